//! What the client writes, and what it reads from EHLO: no I/O.
//!
//! - [`Extensions`]: the EHLO keywords that change how a message is sent (RFC 5321 §4.1.1.1).
//! - [`mail_from`] / [`rcpt_to`]: command lines with their ESMTP parameters: `SIZE` (RFC 1870 §6),
//!   `BODY=8BITMIME` (RFC 6152 §3), `SMTPUTF8` (RFC 6531 §3.4), `RET`/`ENVID` (RFC 3461 §4.3/§4.4),
//!   `NOTIFY`/`ORCPT` (RFC 3461 §4.1/§4.2). ENVID and ORCPT are xtext (RFC 3461 §4); a non-ASCII ORCPT is
//!   `utf-8` typed, utf-8-addr-xtext (RFC 6533 §3).
//! - [`check_path`]: a path that would break the command line (CR, LF, controls, `<>`) or exceed the
//!   RFC 5321 §4.5.3.1.3 limit of 256 octets is refused before anything is sent. Local parts that are not
//!   dot-strings are quoted again (RFC 5321 §4.1.2), since addresses are kept unquoted.
//! - [`data_payload`] / [`normalize_line_ends`]: the message with every line ending CRLF (bare LF and bare
//!   CR become CRLF, RFC 5321 §2.3.8), dot-stuffed for DATA (RFC 5321 §4.5.2) and ended by `CRLF.CRLF`;
//!   BDAT sends the normalised octets as they are (RFC 3030 §2).

use std::borrow::Cow;
use std::fmt::Write as _;

use malt_smtp_proto::Reply;

/// The server's extensions, from its EHLO reply. `Default` is what a HELO (non-ESMTP) server offers: none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extensions {
    /// PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// CHUNKING (RFC 3030): BDAT.
    pub chunking: bool,
    /// STARTTLS (RFC 3207).
    pub starttls: bool,
    /// DSN (RFC 3461).
    pub dsn: bool,
    /// 8BITMIME (RFC 6152).
    pub eight_bit_mime: bool,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// ENHANCEDSTATUSCODES (RFC 2034).
    pub enhanced_status_codes: bool,
    /// SIZE (RFC 1870): `Some(0)` when announced without a fixed limit.
    pub size: Option<u64>,
    /// AUTH mechanisms (RFC 4954), upper case.
    pub auth: Vec<String>,
}

impl Extensions {
    /// Reads the keywords of an EHLO reply (its lines after the first, RFC 5321 §4.1.1.1). Unknown keywords
    /// are ignored; keywords are case-insensitive. `AUTH=` (a pre-standard form still sent) counts as `AUTH`.
    pub fn from_ehlo(reply: &Reply) -> Extensions {
        let mut ext = Extensions::default();
        for line in reply.lines.iter().skip(1) {
            let mut words = line.split([' ', '=']).filter(|w| !w.is_empty());
            let Some(keyword) = words.next() else { continue };
            match keyword.to_ascii_uppercase().as_str() {
                "PIPELINING" => ext.pipelining = true,
                "CHUNKING" => ext.chunking = true,
                "STARTTLS" => ext.starttls = true,
                "DSN" => ext.dsn = true,
                "8BITMIME" => ext.eight_bit_mime = true,
                "SMTPUTF8" => ext.smtputf8 = true,
                "ENHANCEDSTATUSCODES" => ext.enhanced_status_codes = true,
                "SIZE" => ext.size = Some(words.next().and_then(|n| n.parse().ok()).unwrap_or(0)),
                "AUTH" => {
                    for m in words {
                        let m = m.to_ascii_uppercase();
                        if !ext.auth.contains(&m) {
                            ext.auth.push(m);
                        }
                    }
                }
                _ => {}
            }
        }
        ext
    }
}

/// The DSN `RET` parameter (RFC 3461 §4.3): what a bounce should carry of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DsnRet {
    /// `RET=FULL`: the whole message.
    Full,
    /// `RET=HDRS`: its header only.
    Headers,
}

/// The DSN `NOTIFY` parameter (RFC 3461 §4.1): when the recipient's sender wants a report. All false is
/// `NOTIFY=NEVER`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DsnNotify {
    /// `SUCCESS`.
    pub success: bool,
    /// `FAILURE`.
    pub failure: bool,
    /// `DELAY`.
    pub delay: bool,
}

impl DsnNotify {
    /// `NOTIFY=NEVER`.
    pub const NEVER: DsnNotify = DsnNotify {
        success: false,
        failure: false,
        delay: false,
    };

    /// The parameter's value: `NEVER` or a comma list.
    pub fn value(&self) -> String {
        let list: Vec<&str> = [
            (self.success, "SUCCESS"),
            (self.failure, "FAILURE"),
            (self.delay, "DELAY"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        if list.is_empty() {
            "NEVER".to_owned()
        } else {
            list.join(",")
        }
    }
}

/// Longest path accepted, in octets (RFC 5321 §4.5.3.1.3).
pub const MAX_PATH: usize = 256;

/// Why an address cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// Longer than [`MAX_PATH`].
    #[error("address longer than {MAX_PATH} octets")]
    TooLong,
    /// Contains CR, LF, another control character, `<`, `>` or a space outside quotes, or has no `@`.
    #[error("address syntax")]
    Syntax,
}

/// Checks `address` (a reverse-path may be empty: the null path) and returns its path form, the local part
/// quoted when it is not a dot-string.
pub fn check_path(address: &str, reverse: bool) -> Result<String, PathError> {
    if address.is_empty() {
        return if reverse {
            Ok(String::new())
        } else {
            Err(PathError::Syntax)
        };
    }
    if address.chars().any(|c| c.is_control() || c == '<' || c == '>') {
        return Err(PathError::Syntax);
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err(PathError::Syntax);
    };
    if local.is_empty() || domain.is_empty() || domain.contains(' ') {
        return Err(PathError::Syntax);
    }
    let path = if is_dot_string(local) {
        address.to_owned()
    } else {
        let mut q = String::from("\"");
        for c in local.chars() {
            if c == '"' || c == '\\' {
                q.push('\\');
            }
            q.push(c);
        }
        q.push('"');
        q.push('@');
        q.push_str(domain);
        q
    };
    if path.len() > MAX_PATH {
        return Err(PathError::TooLong);
    }
    Ok(path)
}

/// RFC 5321 §4.1.2 Dot-string (atext per RFC 5322 §3.2.3, with UTF-8 allowed by RFC 6531 §3.3).
fn is_dot_string(local: &str) -> bool {
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii();
    !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c == '.' || atext(c))
}

/// xtext (RFC 3461 §4): `!`..`~` except `+` and `=` as themselves, every other octet as `+XX`.
pub fn xtext(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if (b'!'..=b'~').contains(&b) && b != b'+' && b != b'=' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "+{b:02X}");
        }
    }
    out
}

/// utf-8-addr-xtext (RFC 6533 §3): QCHARs as themselves, everything else as `\x{HEX}`.
fn utf8_addr_xtext(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let q = c.is_ascii() && (c as u32) > 0x20 && (c as u32) < 0x7f && !matches!(c, '+' | '=' | '\\');
        if q {
            out.push(c);
        } else {
            let _ = write!(out, "\\x{{{:02X}}}", c as u32);
        }
    }
    out
}

/// The `ORCPT` value for an original recipient address (RFC 3461 §4.2, RFC 6533 §3).
pub fn orcpt_value(address: &str) -> String {
    if address.is_ascii() {
        format!("rfc822;{}", xtext(address))
    } else {
        format!("utf-8;{}", utf8_addr_xtext(address))
    }
}

/// What MAIL FROM carries besides the path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailParams<'a> {
    /// `SIZE=` (RFC 1870 §6), when the server announced SIZE.
    pub size: Option<usize>,
    /// `BODY=8BITMIME` (RFC 6152 §3).
    pub eight_bit: bool,
    /// `SMTPUTF8` (RFC 6531 §3.4).
    pub smtputf8: bool,
    /// `RET=` (RFC 3461 §4.3), when the server announced DSN.
    pub ret: Option<DsnRet>,
    /// `ENVID=` (RFC 3461 §4.4), when the server announced DSN; xtext-encoded here.
    pub envid: Option<&'a str>,
}

/// `MAIL FROM:<path> params CRLF`; `path` from [`check_path`].
pub fn mail_from(path: &str, p: &MailParams<'_>) -> String {
    let mut line = format!("MAIL FROM:<{path}>");
    if let Some(size) = p.size {
        let _ = write!(line, " SIZE={size}");
    }
    if p.eight_bit {
        line.push_str(" BODY=8BITMIME");
    }
    if p.smtputf8 {
        line.push_str(" SMTPUTF8");
    }
    match p.ret {
        Some(DsnRet::Full) => line.push_str(" RET=FULL"),
        Some(DsnRet::Headers) => line.push_str(" RET=HDRS"),
        None => {}
    }
    if let Some(envid) = p.envid {
        let _ = write!(line, " ENVID={}", xtext(envid));
    }
    line.push_str("\r\n");
    line
}

/// `RCPT TO:<path> [NOTIFY=..] [ORCPT=..] CRLF`; the DSN parameters only when `dsn` (the server announced
/// DSN, RFC 3461 §4).
pub fn rcpt_to(path: &str, notify: Option<DsnNotify>, orcpt: Option<&str>, dsn: bool) -> String {
    let mut line = format!("RCPT TO:<{path}>");
    if dsn {
        if let Some(n) = notify {
            let _ = write!(line, " NOTIFY={}", n.value());
        }
        if let Some(o) = orcpt {
            let _ = write!(line, " ORCPT={}", orcpt_value(o));
        }
    }
    line.push_str("\r\n");
    line
}

/// Whether `body` has octets above 127 (it needs 8BITMIME, RFC 6152).
pub fn has_8bit(body: &[u8]) -> bool {
    !body.is_ascii()
}

/// `body` with every line end CRLF: bare LF and bare CR become CRLF (RFC 5321 §2.3.8). Borrowed when it
/// already is.
pub fn normalize_line_ends(body: &[u8]) -> Cow<'_, [u8]> {
    let clean = body.iter().enumerate().all(|(i, &b)| match b {
        b'\r' => body.get(i + 1) == Some(&b'\n'),
        b'\n' => i > 0 && body.get(i - 1) == Some(&b'\r'),
        _ => true,
    });
    if clean {
        return Cow::Borrowed(body);
    }
    let mut out = Vec::with_capacity(body.len() + body.len() / 32);
    let mut iter = body.iter().peekable();
    while let Some(&b) = iter.next() {
        match b {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if iter.peek() == Some(&&b'\n') {
                    iter.next();
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            _ => out.push(b),
        }
    }
    Cow::Owned(out)
}

/// What follows `DATA`'s 354: `body` (already [`normalize_line_ends`]) dot-stuffed, a CRLF added if it does
/// not end with one, then `.CRLF`.
pub fn data_payload(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 64 + 5);
    let mut at_line_start = true;
    for &b in body {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n';
    }
    if !body.is_empty() && !body.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::reply::parse_reply;

    #[test]
    fn ehlo_keywords() {
        let wire = "250-mx.example.net Hello\r\n250-pipelining\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n\
                    250-AUTH=LOGIN\r\n250-AUTH PLAIN LOGIN\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n\
                    250-STARTTLS\r\n250-X-UNKNOWN 1\r\n250 CHUNKING\r\n";
        let (reply, _) = parse_reply(wire.as_bytes()).unwrap().unwrap();
        let ext = Extensions::from_ehlo(&reply);
        assert!(ext.pipelining && ext.eight_bit_mime && ext.dsn && ext.starttls && ext.chunking);
        assert!(ext.enhanced_status_codes && !ext.smtputf8);
        assert_eq!(ext.size, Some(35882577));
        assert_eq!(ext.auth, vec!["LOGIN", "PLAIN"]);
        let (bare, _) = parse_reply(b"250-x\r\n250 SIZE\r\n").unwrap().unwrap();
        assert_eq!(Extensions::from_ehlo(&bare).size, Some(0));
    }

    #[test]
    fn paths() {
        assert_eq!(check_path("", true).unwrap(), "");
        assert_eq!(check_path("", false), Err(PathError::Syntax));
        assert_eq!(
            check_path("a.b+c@example.net", false).unwrap(),
            "a.b+c@example.net"
        );
        assert_eq!(
            check_path("john doe@example.net", false).unwrap(),
            "\"john doe\"@example.net"
        );
        assert_eq!(check_path("a\"b@x.test", false).unwrap(), "\"a\\\"b\"@x.test");
        assert_eq!(
            check_path("jörg@bücher.example", false).unwrap(),
            "jörg@bücher.example"
        );
        assert_eq!(check_path("u@[192.0.2.1]", false).unwrap(), "u@[192.0.2.1]");
        for bad in ["a@b\r\nRSET", "a>@b", "nodomain", "@b", "a@", "a@b c"] {
            assert_eq!(check_path(bad, false), Err(PathError::Syntax), "{bad:?}");
        }
        let long = format!("{}@example.net", "a".repeat(250));
        assert_eq!(check_path(&long, false), Err(PathError::TooLong));
    }

    #[test]
    fn commands() {
        let p = MailParams {
            size: Some(1234),
            eight_bit: true,
            smtputf8: false,
            ret: Some(DsnRet::Headers),
            envid: Some("QQ 31=4+"),
        };
        assert_eq!(
            mail_from("a@b.test", &p),
            "MAIL FROM:<a@b.test> SIZE=1234 BODY=8BITMIME RET=HDRS ENVID=QQ+2031+3D4+2B\r\n"
        );
        assert_eq!(mail_from("", &MailParams::default()), "MAIL FROM:<>\r\n");
        let n = DsnNotify {
            success: true,
            failure: true,
            delay: false,
        };
        assert_eq!(
            rcpt_to("c@d.test", Some(n), Some("Orig+1@d.test"), true),
            "RCPT TO:<c@d.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Orig+2B1@d.test\r\n"
        );
        assert_eq!(
            rcpt_to("c@d.test", Some(DsnNotify::NEVER), Some("x@d.test"), false),
            "RCPT TO:<c@d.test>\r\n"
        );
        assert_eq!(
            rcpt_to("c@d.test", Some(DsnNotify::NEVER), None, true),
            "RCPT TO:<c@d.test> NOTIFY=NEVER\r\n"
        );
        assert_eq!(orcpt_value("jörg=x@d.test"), "utf-8;j\\x{F6}rg\\x{3D}x@d.test");
    }

    #[test]
    fn the_sink_parses_what_we_write() {
        // The server-side codec (malt-smtp-proto, over smtp-proto) reads our parameters back.
        let line = mail_from(
            "a@b.test",
            &MailParams {
                size: Some(10),
                ret: Some(DsnRet::Full),
                envid: Some("id with space"),
                ..MailParams::default()
            },
        );
        let Ok(malt_smtp_proto::Request::Mail { from }) = malt_smtp_proto::parse_command(line.as_bytes())
        else {
            unreachable!("{line}")
        };
        assert_eq!(from.env_id.as_deref(), Some("id with space"));
        assert_eq!(from.size, 10);
        let line = rcpt_to("c@d.test", Some(DsnNotify::NEVER), Some("o+1@d.test"), true);
        let Ok(malt_smtp_proto::Request::Rcpt { to }) = malt_smtp_proto::parse_command(line.as_bytes())
        else {
            unreachable!("{line}")
        };
        assert_eq!(to.orcpt.as_deref(), Some("o+1@d.test"));
    }

    #[test]
    fn body_encoding() {
        assert!(matches!(normalize_line_ends(b"a\r\nb\r\n"), Cow::Borrowed(_)));
        assert_eq!(&*normalize_line_ends(b"a\nb\rc\r\n\n"), b"a\r\nb\r\nc\r\n\r\n");
        assert_eq!(&*normalize_line_ends(b"\n"), b"\r\n");
        assert_eq!(
            data_payload(b".first\r\nmid\r\n..two\r\n.\r\nlast"),
            b"..first\r\nmid\r\n...two\r\n..\r\nlast\r\n.\r\n"
        );
        assert_eq!(data_payload(b""), b".\r\n");
        assert_eq!(data_payload(b"x\r\n"), b"x\r\n.\r\n");
        assert!(has_8bit("é".as_bytes()) && !has_8bit(b"plain"));
    }
}
