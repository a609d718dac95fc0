//! SMTP/LMTP command lines: parsing with limits and the mapping of syntax errors to replies.
//!
//! Limits (RFC 5321 §4.5.3.1.4 requires at least 512 octets per command line including CRLF; ESMTP
//! parameters such as ORCPT/ENVID/AUTH may need more, RFC 5321 §4.5.3.1 allows a larger limit):
//! a command line is at most [`MAX_COMMAND_LINE`] octets including its line end, except an `AUTH` line,
//! which may carry an initial response of up to [`MAX_AUTH_LINE`] octets (RFC 4954 §4: 12288 octets);
//! a path at most 256 octets (RFC 5321 §4.5.3.1.3, enforced by smtp-proto). Longer lines get
//! `500 5.5.2 Line too long`.
//!
//! Paths: a quoted local part (`"john doe"@example.org`, RFC 5321 §4.1.2) is returned unquoted
//! (`john doe@example.org`); the null reverse-path `<>` is the empty string (RFC 5321 §4.5.5), and so
//! is `MAIL FROM:<Postmaster>` (smtp-proto's reading); `RCPT TO:<Postmaster>` (RFC 5321 §4.5.1) is
//! [`POSTMASTER`], the only forward-path without a domain.
//!
//! Syntax errors map to (RFC 5321 §4.2.4, RFC 3463 §3.5/§3.2):
//! unknown command `500 5.5.1`; bad arguments `501 5.5.4`; bad reverse path `501 5.1.7`;
//! bad forward path `501 5.1.3`; unknown or unannounced MAIL/RCPT parameter `555 5.5.4`
//! (RFC 5321 §4.1.1.11).

use smtp_proto::{
    MAIL_BODY_BINARYMIME, MAIL_BY_NOTIFY, MAIL_BY_RETURN, MAIL_BY_TRACE, MAIL_CONPERM, MAIL_REQUIRETLS,
    MAIL_RET_FULL, MAIL_RET_HDRS, MAIL_SMTPUTF8, MailFrom, RCPT_CONNEG, RCPT_NOTIFY_DELAY,
    RCPT_NOTIFY_FAILURE, RCPT_NOTIFY_NEVER, RCPT_NOTIFY_SUCCESS, RCPT_RRVS_CONTINUE, RCPT_RRVS_REJECT,
    RcptTo, Request,
};

use crate::reply::Reply;

/// Longest command line accepted, CRLF included (RFC 5321 §4.5.3.1.4 minimum is 512).
pub const MAX_COMMAND_LINE: usize = 4096;

/// Longest `AUTH` command line and SASL response line, CRLF included (RFC 4954 §4 requires 12288).
pub const MAX_AUTH_LINE: usize = 12288;

/// A parsed command, owning its strings.
pub type Command = Request<String>;

/// Why a command line was refused. Each variant is a client syntax error (RFC 5321 §4.2.4).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The verb is not an SMTP/LMTP command: `500 5.5.1`.
    #[error("unknown command")]
    Unknown,
    /// The line exceeds [`MAX_COMMAND_LINE`] or has no line end: `500 5.5.2`.
    #[error("line too long")]
    TooLong,
    /// The arguments do not match the command's syntax: `501 5.5.4` with the expected syntax.
    #[error("syntax: {0}")]
    Syntax(&'static str),
    /// The MAIL FROM path is not a valid reverse-path: `501 5.1.7`.
    #[error("bad sender address")]
    BadSender,
    /// The RCPT TO path is not a valid forward-path: `501 5.1.3`.
    #[error("bad recipient address")]
    BadRecipient,
    /// A parameter's value is invalid: `501 5.5.4`.
    #[error("invalid value for parameter {0}")]
    BadParameter(&'static str),
    /// A parameter is not recognised: `555 5.5.4`.
    #[error("unsupported parameter {0}")]
    Unsupported(String),
}

impl ParseError {
    /// The reply for this error.
    pub fn reply(&self) -> Reply {
        match self {
            ParseError::Unknown => Reply::new(500, (5, 5, 1), "Unknown command"),
            ParseError::TooLong => Reply::new(500, (5, 5, 2), "Line too long"),
            ParseError::Syntax(s) => Reply::new(501, (5, 5, 4), &format!("Syntax: {s}")),
            ParseError::BadSender => Reply::new(501, (5, 1, 7), "Bad sender address syntax"),
            ParseError::BadRecipient => Reply::new(501, (5, 1, 3), "Bad recipient address syntax"),
            ParseError::BadParameter(p) => Reply::new(501, (5, 5, 4), &format!("Invalid value for {p}")),
            ParseError::Unsupported(p) => Reply::new(555, (5, 5, 4), &format!("Unsupported parameter {p}")),
        }
    }
}

/// Parses one command line (its CRLF or LF included).
pub fn parse_command(line: &[u8]) -> Result<Command, ParseError> {
    let is_auth = line.get(..5).is_some_and(|v| v.eq_ignore_ascii_case(b"AUTH "));
    let limit = if is_auth { MAX_AUTH_LINE } else { MAX_COMMAND_LINE };
    if line.len() > limit {
        return Err(ParseError::TooLong);
    }
    if line.last() != Some(&b'\n') {
        return Err(ParseError::TooLong);
    }
    match Request::parse(&mut line.iter()) {
        // RFC 5321 §4.5.1: `<Postmaster>` without a domain is a valid forward-path (smtp-proto
        // reads it as the null path).
        Ok(Request::Rcpt { to }) if to.address.is_empty() && is_postmaster_path(line) => {
            let mut to = to.into_owned();
            to.address = POSTMASTER.to_owned();
            Ok(Request::Rcpt { to })
        }
        // RFC 5321 §4.1.1.3: the forward-path is never null.
        Ok(Request::Rcpt { to }) if to.address.is_empty() => Err(ParseError::BadRecipient),
        // RFC 3461 §4.1: NEVER is not combined with another NOTIFY value.
        Ok(Request::Rcpt { to })
            if to.flags & RCPT_NOTIFY_NEVER != 0
                && to.flags & (RCPT_NOTIFY_SUCCESS | RCPT_NOTIFY_FAILURE | RCPT_NOTIFY_DELAY) != 0 =>
        {
            Err(ParseError::BadParameter("NOTIFY"))
        }
        Ok(Request::Mail { from }) => {
            let mut from = from.into_owned();
            if from.size != 0 {
                from.size = declared_size(line);
            }
            Ok(Request::Mail { from })
        }
        Ok(r) => Ok(r.into_owned()),
        Err(e) => Err(match e {
            smtp_proto::Error::UnknownCommand => ParseError::Unknown,
            smtp_proto::Error::InvalidSenderAddress => ParseError::BadSender,
            smtp_proto::Error::InvalidRecipientAddress => ParseError::BadRecipient,
            smtp_proto::Error::SyntaxError { syntax } => ParseError::Syntax(syntax),
            smtp_proto::Error::InvalidParameter { param } => ParseError::BadParameter(param),
            smtp_proto::Error::UnsupportedParameter { param } => {
                ParseError::Unsupported(param.chars().take(64).collect())
            }
            smtp_proto::Error::ResponseTooLong | smtp_proto::Error::NeedsMoreData { .. } => {
                ParseError::TooLong
            }
            smtp_proto::Error::InvalidResponse { .. } => ParseError::Syntax("command"),
        }),
    }
}

/// The forward-path of `RCPT TO:<Postmaster>` (RFC 5321 §4.5.1): the only path without a domain.
pub const POSTMASTER: &str = "Postmaster";

/// Whether the first path of `line` is `<Postmaster>` (any case).
fn is_postmaster_path(line: &[u8]) -> bool {
    let Some(open) = line.iter().position(|&b| b == b'<') else {
        return false;
    };
    let rest = line.get(open + 1..).unwrap_or_default();
    let Some(close) = rest.iter().position(|&b| b == b'>') else {
        return false;
    };
    rest.get(..close)
        .is_some_and(|p| p.eq_ignore_ascii_case(POSTMASTER.as_bytes()))
}

/// The `SIZE=` value of a MAIL line (RFC 1870 §6), saturating at `usize::MAX`. smtp-proto 0.2.5's own
/// value wraps for numbers over 20 digits (`SIZE=999999999999999999999999` reads as 9999), which would
/// let a client declare a huge message as a small one; this re-reads it.
fn declared_size(line: &[u8]) -> usize {
    let Some(value) = line.split(|b| b.is_ascii_whitespace()).find_map(|tok| {
        tok.get(..5)
            .filter(|p| p.eq_ignore_ascii_case(b"SIZE="))
            .and(tok.get(5..))
    }) else {
        return usize::MAX;
    };
    value
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .try_fold(0usize, |acc, &d| {
            acc.checked_mul(10)?.checked_add(usize::from(d - b'0'))
        })
        .unwrap_or(usize::MAX)
}

/// Which ESMTP extensions the session announced (their MAIL/RCPT parameters are allowed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extensions {
    /// SIZE (RFC 1870).
    pub size: bool,
    /// 8BITMIME (RFC 6152): `BODY=7BIT|8BITMIME`.
    pub eight_bit_mime: bool,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// DSN (RFC 3461): RET, ENVID, NOTIFY, ORCPT.
    pub dsn: bool,
    /// AUTH (RFC 4954): the `AUTH=` MAIL parameter.
    pub auth: bool,
}

/// The first MAIL FROM parameter the session did not announce, if any (`555 5.5.4`, RFC 5321 §4.1.1.11).
pub fn unsupported_mail_param(from: &MailFrom<String>, ext: Extensions) -> Option<&'static str> {
    let f = from.flags;
    let checks: [(bool, &'static str); 14] = [
        (from.size != 0 && !ext.size, "SIZE"),
        (
            f & smtp_proto::MAIL_BODY_8BITMIME != 0 && !ext.eight_bit_mime,
            "BODY",
        ),
        (f & MAIL_BODY_BINARYMIME != 0, "BODY=BINARYMIME"),
        (f & MAIL_SMTPUTF8 != 0 && !ext.smtputf8, "SMTPUTF8"),
        (f & (MAIL_RET_FULL | MAIL_RET_HDRS) != 0 && !ext.dsn, "RET"),
        (from.env_id.is_some() && !ext.dsn, "ENVID"),
        (from.auth.is_some() && !ext.auth, "AUTH"),
        (f & MAIL_REQUIRETLS != 0, "REQUIRETLS"),
        (f & MAIL_CONPERM != 0, "CONPERM"),
        (
            f & (MAIL_BY_NOTIFY | MAIL_BY_RETURN | MAIL_BY_TRACE) != 0 || from.by != 0,
            "BY",
        ),
        (from.trans_id.is_some(), "TRANSID"),
        (from.solicit.is_some(), "SOLICIT"),
        (from.mtrk.is_some(), "MTRK"),
        (
            from.hold_for != 0 || from.hold_until != 0 || from.mt_priority != 0,
            "FUTURERELEASE",
        ),
    ];
    checks.into_iter().find(|(bad, _)| *bad).map(|(_, name)| name)
}

/// Whether MAIL FROM carried `SMTPUTF8` (RFC 6531 §3.4).
pub fn smtputf8(from: &MailFrom<String>) -> bool {
    from.flags & MAIL_SMTPUTF8 != 0
}

/// Whether MAIL FROM carried `RET=FULL` (RFC 3461 §4.3; `RET=HDRS` or none: false).
pub fn ret_full(from: &MailFrom<String>) -> bool {
    from.flags & MAIL_RET_FULL != 0
}

/// The NOTIFY parameter of a RCPT command (RFC 3461 §4.1). [`parse_command`] refuses `NEVER`
/// combined with another value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Notify {
    pub success: bool,
    pub failure: bool,
    pub delay: bool,
    pub never: bool,
}

/// The RCPT's NOTIFY, `None` when the client gave none.
pub fn notify(to: &RcptTo<String>) -> Option<Notify> {
    let f = to.flags;
    let n = Notify {
        success: f & RCPT_NOTIFY_SUCCESS != 0,
        failure: f & RCPT_NOTIFY_FAILURE != 0,
        delay: f & RCPT_NOTIFY_DELAY != 0,
        never: f & RCPT_NOTIFY_NEVER != 0,
    };
    (n != Notify::default()).then_some(n)
}

/// The SASL mechanism of an AUTH command (smtp-proto's `AUTH_*` bit) when it is one Malt offers
/// (`PLAIN`, `LOGIN`), by its registered name.
pub fn sasl_mechanism(mechanism: u64) -> Option<&'static str> {
    match mechanism {
        smtp_proto::AUTH_PLAIN => Some("PLAIN"),
        smtp_proto::AUTH_LOGIN => Some("LOGIN"),
        _ => None,
    }
}

/// The first RCPT TO parameter the session did not announce, if any (`555 5.5.4`).
pub fn unsupported_rcpt_param(to: &RcptTo<String>, ext: Extensions) -> Option<&'static str> {
    let notify = RCPT_NOTIFY_SUCCESS | RCPT_NOTIFY_FAILURE | RCPT_NOTIFY_DELAY | RCPT_NOTIFY_NEVER;
    if to.flags & notify != 0 && !ext.dsn {
        return Some("NOTIFY");
    }
    if to.orcpt.is_some() && !ext.dsn {
        return Some("ORCPT");
    }
    if to.flags & (RCPT_CONNEG | RCPT_RRVS_REJECT | RCPT_RRVS_CONTINUE) != 0 || to.rrvs != 0 {
        return Some("RRVS");
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn mail(line: &str) -> MailFrom<String> {
        match parse_command(line.as_bytes()).unwrap() {
            Request::Mail { from } => from,
            other => panic!("{other:?}"),
        }
    }

    fn rcpt(line: &str) -> RcptTo<String> {
        match parse_command(line.as_bytes()).unwrap() {
            Request::Rcpt { to } => to,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn paths() {
        assert_eq!(mail("MAIL FROM:<>\r\n").address, "");
        assert_eq!(mail("mail from:<a@b.org>\r\n").address, "a@b.org");
        assert_eq!(
            mail("MAIL FROM:<\"john doe\"@b.org>\r\n").address,
            "john doe@b.org"
        );
        assert_eq!(rcpt("RCPT TO:<Bob@Example.org>\r\n").address, "Bob@Example.org");
        assert_eq!(parse_command(b"RCPT TO:<>\r\n"), Err(ParseError::BadRecipient));
        assert_eq!(rcpt("RCPT TO:<postMaster>\r\n").address, POSTMASTER);
        assert_eq!(rcpt("RCPT TO:<Postmaster> NOTIFY=NEVER\r\n").address, POSTMASTER);
        assert_eq!(
            rcpt("RCPT TO:<postmaster@example.org>\r\n").address,
            "postmaster@example.org"
        );
        assert!(matches!(
            parse_command(b"MAIL FROM:a@b\r\n"),
            Err(ParseError::Syntax(_))
        ));
        assert!(matches!(
            parse_command(b"RCPT TO <a@b>\r\n"),
            Err(ParseError::Syntax(_))
        ));
    }

    #[test]
    fn mail_params() {
        let m = mail("MAIL FROM:<a@b.org> SIZE=1000 BODY=8BITMIME SMTPUTF8\r\n");
        assert_eq!(m.size, 1000);
        let huge = mail("MAIL FROM:<a@b.org> size=999999999999999999999999\r\n");
        assert_eq!(huge.size, usize::MAX);
        assert_ne!(m.flags & smtp_proto::MAIL_BODY_8BITMIME, 0);
        assert_ne!(m.flags & MAIL_SMTPUTF8, 0);
        let all = Extensions {
            size: true,
            eight_bit_mime: true,
            smtputf8: true,
            dsn: false,
            auth: false,
        };
        assert_eq!(unsupported_mail_param(&m, all), None);
        assert_eq!(unsupported_mail_param(&m, Extensions::default()), Some("SIZE"));
        let d = mail("MAIL FROM:<a@b.org> RET=HDRS ENVID=QQ314159 AUTH=<>\r\n");
        assert_eq!(d.env_id.as_deref(), Some("QQ314159"));
        assert_eq!(unsupported_mail_param(&d, all), Some("RET"));
        let r = rcpt("RCPT TO:<a@b.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bb@b.org\r\n");
        assert_eq!(r.orcpt.as_deref(), Some("a+b@b.org"));
        assert_eq!(
            notify(&r),
            Some(Notify {
                success: true,
                failure: true,
                ..Notify::default()
            })
        );
        assert_eq!(notify(&rcpt("RCPT TO:<a@b.org>\r\n")), None);
        let never = notify(&rcpt("RCPT TO:<a@b.org> NOTIFY=NEVER\r\n")).unwrap();
        assert!(never.never && !never.failure);
        assert!(parse_command(b"RCPT TO:<a@b.org> NOTIFY=NEVER,DELAY\r\n").is_err());
        assert!(ret_full(&mail("MAIL FROM:<a@b.org> RET=FULL\r\n")));
        assert!(!ret_full(&mail("MAIL FROM:<a@b.org> RET=HDRS\r\n")));
        let e = mail("MAIL FROM:<a@b.org> ENVID=QQ+2B314\r\n");
        assert_eq!(e.env_id.as_deref(), Some("QQ+314"));
        let auth = |l: &[u8]| match parse_command(l).unwrap() {
            Request::Auth { mechanism, .. } => sasl_mechanism(mechanism),
            other => panic!("{other:?}"),
        };
        assert_eq!(auth(b"AUTH plain\r\n"), Some("PLAIN"));
        assert_eq!(auth(b"AUTH LOGIN dXNlcg==\r\n"), Some("LOGIN"));
        assert_eq!(auth(b"AUTH CRAM-MD5\r\n"), None);
        assert_eq!(auth(b"AUTH X-UNKNOWN\r\n"), None);
        assert_eq!(unsupported_rcpt_param(&r, all), Some("NOTIFY"));
        assert!(matches!(
            parse_command(b"MAIL FROM:<a@b.org> FOO=BAR\r\n"),
            Err(ParseError::Unsupported(_))
        ));
        assert!(matches!(
            parse_command(b"MAIL FROM:<a@b.org> SIZE=abc\r\n"),
            Err(ParseError::BadParameter(_) | ParseError::Syntax(_))
        ));
    }

    #[test]
    fn verbs_and_limits() {
        assert_eq!(
            parse_command(b"LHLO client.test\r\n").unwrap(),
            Request::Lhlo {
                host: "client.test".to_owned()
            }
        );
        assert_eq!(
            parse_command(b"BDAT 10 LAST\r\n").unwrap(),
            Request::Bdat {
                chunk_size: 10,
                is_last: true
            }
        );
        assert_eq!(parse_command(b"DATA\r\n").unwrap(), Request::Data);
        assert_eq!(parse_command(b"FOO\r\n"), Err(ParseError::Unknown));
        assert_eq!(parse_command(b"\x00\xff\r\n"), Err(ParseError::Unknown));
        assert_eq!(parse_command(b"LHLO\r\n"), Err(ParseError::Syntax("LHLO domain")));
        assert!(matches!(parse_command(b"BDAT x\r\n"), Err(ParseError::Syntax(_))));
        assert_eq!(parse_command(b"NOOP"), Err(ParseError::TooLong));
        let long = format!("NOOP {}\r\n", "x".repeat(MAX_COMMAND_LINE));
        assert_eq!(parse_command(long.as_bytes()), Err(ParseError::TooLong));
        // RFC 4954 §4: an AUTH line may be longer.
        let auth = format!("AUTH PLAIN {}\r\n", "A".repeat(MAX_COMMAND_LINE));
        assert!(matches!(parse_command(auth.as_bytes()), Ok(Request::Auth { .. })));
        let auth = format!("AUTH PLAIN {}\r\n", "A".repeat(MAX_AUTH_LINE));
        assert_eq!(parse_command(auth.as_bytes()), Err(ParseError::TooLong));
        assert_eq!(
            ParseError::Unknown.reply().to_string(),
            "500 5.5.1 Unknown command\r\n"
        );
    }
}
