//! The POP3 codec: command parsing, response writing and multi-line framing. No I/O.
//!
//! Invariants:
//! - A command line is at most [`MAX_LINE`] octets including CRLF (RFC 2449 §4 sets 255 octets; we accept
//!   more for lenient clients and answer `-ERR` beyond, never buffering more than that).
//! - Keywords are case-insensitive, 3-4 letters (RFC 1939 §3); arguments are separated by spaces, at most
//!   [`MAX_ARG`] octets each (RFC 2449 §4: 40 in RFC 1939, 255 since). `PASS` takes the rest of the line as
//!   its one argument, spaces included (RFC 1939 §7).
//! - Message numbers are decimal, 1-based, and fit a `u32`; `TOP`'s line count may be 0.
//! - Multi-line responses (RFC 1939 §3) have CRLF line ends, every line starting with `.` gets another `.`
//!   (byte-stuffing), and they end with `.\r\n`. Stored messages with bare LF are normalised to CRLF, and
//!   [`pop3_size`] is the size of that normalised form (RFC 1939 §5: sizes as the client will receive them,
//!   before byte-stuffing, as Dovecot counts them; the CRLF closing an unterminated last line is framing
//!   and not counted). It equals `MessageMeta::wire_size`, recorded at ingest.

use std::fmt;

/// Longest command line accepted, CRLF included.
pub const MAX_LINE: usize = 512;
/// Longest single argument.
pub const MAX_ARG: usize = 255;
/// Longest SASL continuation line: base64 of `malt_core::auth::sasl::MAX_RESPONSE` octets, plus CRLF.
pub const MAX_SASL_LINE: usize = (malt_core::auth::sasl::MAX_RESPONSE / 3 + 1) * 4 + 2;

/// Which command, without its arguments: what the state table ([`crate::state::allowed`]) is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandKind {
    User,
    Pass,
    Auth,
    Stls,
    Capa,
    Stat,
    List,
    Retr,
    Dele,
    Rset,
    Top,
    Uidl,
    Noop,
    Quit,
}

impl CommandKind {
    /// Every command.
    pub const ALL: [CommandKind; 14] = [
        CommandKind::User,
        CommandKind::Pass,
        CommandKind::Auth,
        CommandKind::Stls,
        CommandKind::Capa,
        CommandKind::Stat,
        CommandKind::List,
        CommandKind::Retr,
        CommandKind::Dele,
        CommandKind::Rset,
        CommandKind::Top,
        CommandKind::Uidl,
        CommandKind::Noop,
        CommandKind::Quit,
    ];

    /// The keyword, upper-case.
    pub fn name(self) -> &'static str {
        match self {
            CommandKind::User => "USER",
            CommandKind::Pass => "PASS",
            CommandKind::Auth => "AUTH",
            CommandKind::Stls => "STLS",
            CommandKind::Capa => "CAPA",
            CommandKind::Stat => "STAT",
            CommandKind::List => "LIST",
            CommandKind::Retr => "RETR",
            CommandKind::Dele => "DELE",
            CommandKind::Rset => "RSET",
            CommandKind::Top => "TOP",
            CommandKind::Uidl => "UIDL",
            CommandKind::Noop => "NOOP",
            CommandKind::Quit => "QUIT",
        }
    }

    /// The command named `keyword` (case-insensitive).
    pub fn parse(keyword: &str) -> Option<CommandKind> {
        CommandKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(keyword))
    }
}

/// One parsed command line. The password is redacted from `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub enum Command {
    /// RFC 1939 §7.
    User(String),
    /// RFC 1939 §7.
    Pass(String),
    /// RFC 5034 §4: a mechanism and an optional initial response (base64, `=` for empty). No mechanism:
    /// list the mechanisms (as many servers do).
    Auth {
        mechanism: Option<String>,
        initial_response: Option<String>,
    },
    /// RFC 2595 §4.
    Stls,
    /// RFC 2449 §5.
    Capa,
    Stat,
    List(Option<u32>),
    Retr(u32),
    Dele(u32),
    Rset,
    /// Message number and number of body lines.
    Top(u32, u32),
    Uidl(Option<u32>),
    Noop,
    Quit,
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Pass(_) => f.write_str("Pass(<redacted>)"),
            Command::Auth { mechanism, .. } => f
                .debug_struct("Auth")
                .field("mechanism", mechanism)
                .finish_non_exhaustive(),
            Command::User(u) => f.debug_tuple("User").field(u).finish(),
            Command::List(n) => f.debug_tuple("List").field(n).finish(),
            Command::Uidl(n) => f.debug_tuple("Uidl").field(n).finish(),
            Command::Retr(n) => f.debug_tuple("Retr").field(n).finish(),
            Command::Dele(n) => f.debug_tuple("Dele").field(n).finish(),
            Command::Top(n, l) => f.debug_tuple("Top").field(n).field(l).finish(),
            other => f.write_str(other.kind().name()),
        }
    }
}

impl Command {
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::User(_) => CommandKind::User,
            Command::Pass(_) => CommandKind::Pass,
            Command::Auth { .. } => CommandKind::Auth,
            Command::Stls => CommandKind::Stls,
            Command::Capa => CommandKind::Capa,
            Command::Stat => CommandKind::Stat,
            Command::List(_) => CommandKind::List,
            Command::Retr(_) => CommandKind::Retr,
            Command::Dele(_) => CommandKind::Dele,
            Command::Rset => CommandKind::Rset,
            Command::Top(..) => CommandKind::Top,
            Command::Uidl(_) => CommandKind::Uidl,
            Command::Noop => CommandKind::Noop,
            Command::Quit => CommandKind::Quit,
        }
    }
}

/// Why a command line was refused. Every variant is answered with `-ERR` and counts as a bad command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Longer than [`MAX_LINE`].
    #[error("line too long")]
    TooLong,
    /// Nothing but whitespace.
    #[error("empty command")]
    Empty,
    /// Not UTF-8, or a control character (NUL, bare CR) inside the line.
    #[error("invalid characters in command")]
    BadBytes,
    /// Not a POP3 keyword Malt knows.
    #[error("unknown command")]
    Unknown,
    /// A known command with the wrong arguments.
    #[error("{0}")]
    Syntax(&'static str),
}

/// Parses one command line (with or without its CRLF / LF).
pub fn parse_command(line: &[u8]) -> Result<Command, ParseError> {
    if line.len() > MAX_LINE {
        return Err(ParseError::TooLong);
    }
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().any(|&b| b == 0 || b == b'\r' || b == b'\n') {
        return Err(ParseError::BadBytes);
    }
    let line = std::str::from_utf8(line).map_err(|_| ParseError::BadBytes)?;
    let trimmed = line.trim_start_matches(' ');
    if trimmed.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let (keyword, rest) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
    let kind = CommandKind::parse(keyword).ok_or(ParseError::Unknown)?;
    if kind == CommandKind::Pass {
        // RFC 1939 §7: the one argument may contain spaces; only the line end is not part of it.
        if rest.is_empty() {
            return Err(ParseError::Syntax("PASS needs a password"));
        }
        if rest.len() > MAX_ARG {
            return Err(ParseError::Syntax("argument too long"));
        }
        return Ok(Command::Pass(rest.to_owned()));
    }
    let args: Vec<&str> = rest.split(' ').filter(|a| !a.is_empty()).collect();
    if args.iter().any(|a| a.len() > MAX_ARG) {
        return Err(ParseError::Syntax("argument too long"));
    }
    let cmd = match (kind, args.as_slice()) {
        (CommandKind::User, [name]) => Command::User((*name).to_owned()),
        (CommandKind::User, _) => return Err(ParseError::Syntax("USER needs one argument")),
        (CommandKind::Auth, []) => Command::Auth {
            mechanism: None,
            initial_response: None,
        },
        (CommandKind::Auth, [m]) => Command::Auth {
            mechanism: Some((*m).to_owned()),
            initial_response: None,
        },
        (CommandKind::Auth, [m, ir]) => Command::Auth {
            mechanism: Some((*m).to_owned()),
            initial_response: Some((*ir).to_owned()),
        },
        (CommandKind::Auth, _) => return Err(ParseError::Syntax("AUTH takes a mechanism and a response")),
        (CommandKind::List, []) => Command::List(None),
        (CommandKind::List, [n]) => Command::List(Some(msg_number(n)?)),
        (CommandKind::Uidl, []) => Command::Uidl(None),
        (CommandKind::Uidl, [n]) => Command::Uidl(Some(msg_number(n)?)),
        (CommandKind::Retr, [n]) => Command::Retr(msg_number(n)?),
        (CommandKind::Dele, [n]) => Command::Dele(msg_number(n)?),
        (CommandKind::Top, [n, lines]) => Command::Top(msg_number(n)?, number(lines)?),
        (CommandKind::Stls, []) => Command::Stls,
        (CommandKind::Capa, []) => Command::Capa,
        (CommandKind::Stat, []) => Command::Stat,
        (CommandKind::Rset, []) => Command::Rset,
        (CommandKind::Noop, []) => Command::Noop,
        (CommandKind::Quit, []) => Command::Quit,
        (CommandKind::Retr | CommandKind::Dele, _) => {
            return Err(ParseError::Syntax("a message number is required"));
        }
        (CommandKind::Top, _) => {
            return Err(ParseError::Syntax("TOP needs a message number and a line count"));
        }
        (CommandKind::List | CommandKind::Uidl, _) => {
            return Err(ParseError::Syntax("at most one message number"));
        }
        (_, _) => return Err(ParseError::Syntax("no arguments expected")),
    };
    Ok(cmd)
}

/// A non-negative decimal number that fits a `u32`.
fn number(s: &str) -> Result<u32, ParseError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::Syntax("invalid number"));
    }
    s.parse().map_err(|_| ParseError::Syntax("number too large"))
}

/// A message number: 1 or more (RFC 1939 §3).
fn msg_number(s: &str) -> Result<u32, ParseError> {
    match number(s)? {
        0 => Err(ParseError::Syntax("invalid message number")),
        n => Ok(n),
    }
}

/// RFC 2449 §8 extended response codes (RFC 3206 for SYS/*, AUTH).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RespCode {
    /// RFC 3206 §5: the failure is about authentication credentials or policy.
    Auth,
    /// RFC 3206 §4: a temporary system problem; try again later.
    SysTemp,
    /// RFC 3206 §4: a permanent system problem.
    SysPerm,
    /// RFC 2449 §8.1.2: the maildrop is in use.
    InUse,
    /// RFC 2449 §8.1.1: logged in too soon after the last login.
    LoginDelay,
}

impl RespCode {
    pub fn as_str(self) -> &'static str {
        match self {
            RespCode::Auth => "AUTH",
            RespCode::SysTemp => "SYS/TEMP",
            RespCode::SysPerm => "SYS/PERM",
            RespCode::InUse => "IN-USE",
            RespCode::LoginDelay => "LOGIN-DELAY",
        }
    }
}

/// `+OK text\r\n` (`+OK\r\n` when `text` is empty). Line ends in `text` are removed.
pub fn ok(text: &str) -> Vec<u8> {
    status_line("+OK", None, text)
}

/// `-ERR [CODE] text\r\n`.
pub fn err(code: Option<RespCode>, text: &str) -> Vec<u8> {
    status_line("-ERR", code, text)
}

fn status_line(status: &str, code: Option<RespCode>, text: &str) -> Vec<u8> {
    let mut s = String::with_capacity(status.len() + text.len() + 16);
    s.push_str(status);
    if let Some(c) = code {
        s.push_str(" [");
        s.push_str(c.as_str());
        s.push(']');
    }
    if !text.is_empty() {
        s.push(' ');
        s.extend(text.chars().filter(|c| *c != '\r' && *c != '\n'));
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// Appends `line` (no line end) byte-stuffed, with CRLF, to `out`.
pub fn push_line(out: &mut Vec<u8>, line: &[u8]) {
    if line.first() == Some(&b'.') {
        out.push(b'.');
    }
    out.extend_from_slice(line);
    out.extend_from_slice(b"\r\n");
}

/// The terminator of a multi-line response.
pub const END: &[u8] = b".\r\n";

/// The lines of `text`, split at LF with a preceding CR removed; a final line without a line end counts,
/// an empty tail after the last LF does not.
pub fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    let empty = text.is_empty();
    body.split(|&b| b == b'\n')
        .filter(move |_| !empty)
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

/// The size of `message` as POP3 sends it: every bare LF counted as CRLF, before byte-stuffing. The
/// same number as `MessageMeta::wire_size` recorded at ingest, so LIST/STAT (from the metadata) and
/// RETR agree. As in Dovecot, the CRLF added after a last line without a line end is framing (the
/// terminator must start a line, RFC 1939 §3) and is not counted.
pub fn pop3_size(message: &[u8]) -> u64 {
    malt_core::ingest::wire_size(message)
}

/// The multi-line body for RETR: `message` with CRLF line ends, byte-stuffed, and the terminator.
pub fn multiline_message(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 32 + 8);
    for l in lines(message) {
        push_line(&mut out, l);
    }
    out.extend_from_slice(END);
    out
}

/// The multi-line body for TOP (RFC 1939 §7): the header, the blank line, then the first `n` body lines;
/// byte-stuffed, with the terminator. A message without a blank line is all header.
pub fn multiline_top(message: &[u8], n: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut it = lines(message);
    for l in it.by_ref() {
        push_line(&mut out, l);
        if l.is_empty() {
            break;
        }
    }
    for l in it.take(usize::try_from(n).unwrap_or(usize::MAX)) {
        push_line(&mut out, l);
    }
    out.extend_from_slice(END);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn commands_table() {
        let ok = [
            (
                "USER alice@example.org\r\n",
                Command::User("alice@example.org".into()),
            ),
            ("user bob\n", Command::User("bob".into())),
            (
                "PASS a secret with spaces\r\n",
                Command::Pass("a secret with spaces".into()),
            ),
            ("pass  x", Command::Pass(" x".into())),
            (
                "AUTH\r\n",
                Command::Auth {
                    mechanism: None,
                    initial_response: None,
                },
            ),
            (
                "AUTH PLAIN\r\n",
                Command::Auth {
                    mechanism: Some("PLAIN".into()),
                    initial_response: None,
                },
            ),
            (
                "AUTH plain AGFsaWNlAHB3\r\n",
                Command::Auth {
                    mechanism: Some("plain".into()),
                    initial_response: Some("AGFsaWNlAHB3".into()),
                },
            ),
            ("STLS\r\n", Command::Stls),
            ("capa\r\n", Command::Capa),
            ("STAT\r\n", Command::Stat),
            ("LIST\r\n", Command::List(None)),
            ("LIST 2\r\n", Command::List(Some(2))),
            ("UIDL\r\n", Command::Uidl(None)),
            ("UIDL 7\r\n", Command::Uidl(Some(7))),
            ("RETR 1\r\n", Command::Retr(1)),
            ("DELE 4294967295\r\n", Command::Dele(u32::MAX)),
            ("TOP 1 0\r\n", Command::Top(1, 0)),
            ("TOP 3 10\r\n", Command::Top(3, 10)),
            ("RSET\r\n", Command::Rset),
            ("NOOP\r\n", Command::Noop),
            ("QUIT\r\n", Command::Quit),
            ("QUIT \r\n", Command::Quit),
        ];
        for (line, want) in ok {
            assert_eq!(parse_command(line.as_bytes()), Ok(want), "{line:?}");
        }
        let bad = [
            ("\r\n", ParseError::Empty),
            ("   \r\n", ParseError::Empty),
            ("APOP a b\r\n", ParseError::Unknown),
            ("XYZZY\r\n", ParseError::Unknown),
            ("RETR\r\n", ParseError::Syntax("a message number is required")),
            ("RETR 0\r\n", ParseError::Syntax("invalid message number")),
            ("RETR -1\r\n", ParseError::Syntax("invalid number")),
            ("RETR 1 2\r\n", ParseError::Syntax("a message number is required")),
            ("RETR 4294967296\r\n", ParseError::Syntax("number too large")),
            (
                "TOP 1\r\n",
                ParseError::Syntax("TOP needs a message number and a line count"),
            ),
            ("LIST 1 2\r\n", ParseError::Syntax("at most one message number")),
            ("STAT 1\r\n", ParseError::Syntax("no arguments expected")),
            ("USER\r\n", ParseError::Syntax("USER needs one argument")),
            ("USER a b\r\n", ParseError::Syntax("USER needs one argument")),
            ("PASS\r\n", ParseError::Syntax("PASS needs a password")),
            (
                "AUTH a b c\r\n",
                ParseError::Syntax("AUTH takes a mechanism and a response"),
            ),
            ("NOOP\0\r\n", ParseError::BadBytes),
            ("NO\rOP\r\n", ParseError::BadBytes),
        ];
        for (line, want) in bad {
            assert_eq!(parse_command(line.as_bytes()), Err(want), "{line:?}");
        }
        assert_eq!(parse_command(b"USER \xff\r\n"), Err(ParseError::BadBytes));
        let long = format!("USER {}\r\n", "a".repeat(MAX_LINE));
        assert_eq!(parse_command(long.as_bytes()), Err(ParseError::TooLong));
        let long_arg = format!("USER {}\r\n", "a".repeat(MAX_ARG + 1));
        assert_eq!(
            parse_command(long_arg.as_bytes()),
            Err(ParseError::Syntax("argument too long"))
        );
    }

    #[test]
    fn debug_redacts_secrets() {
        let s = format!("{:?}", parse_command(b"PASS hunter2").unwrap());
        assert!(!s.contains("hunter2"));
        let s = format!("{:?}", parse_command(b"AUTH PLAIN aHVudGVyMg==").unwrap());
        assert!(!s.contains("aHVudGVyMg"));
    }

    #[test]
    fn status_lines() {
        assert_eq!(ok("hi"), b"+OK hi\r\n");
        assert_eq!(ok(""), b"+OK\r\n");
        assert_eq!(err(Some(RespCode::Auth), "no"), b"-ERR [AUTH] no\r\n");
        assert_eq!(
            err(Some(RespCode::SysTemp), "later"),
            b"-ERR [SYS/TEMP] later\r\n"
        );
        assert_eq!(err(Some(RespCode::SysPerm), "x"), b"-ERR [SYS/PERM] x\r\n");
        assert_eq!(err(Some(RespCode::InUse), "x"), b"-ERR [IN-USE] x\r\n");
        assert_eq!(err(Some(RespCode::LoginDelay), "x"), b"-ERR [LOGIN-DELAY] x\r\n");
        assert_eq!(err(None, "a\r\nb"), b"-ERR ab\r\n");
    }

    #[test]
    fn stuffing_and_sizes() {
        let msg = b"Subject: x\r\n\r\n.hello\r\n..two\r\nplain\r\n.\r\n";
        assert_eq!(
            multiline_message(msg),
            b"Subject: x\r\n\r\n..hello\r\n...two\r\nplain\r\n..\r\n.\r\n"
        );
        assert_eq!(pop3_size(msg), msg.len() as u64);
        let lf = b"Subject: y\n\nbody\n.dot\nlast";
        assert_eq!(
            multiline_message(lf),
            b"Subject: y\r\n\r\nbody\r\n..dot\r\nlast\r\n.\r\n"
        );
        // The CRLF added after the unterminated last line is framing, not counted.
        assert_eq!(
            pop3_size(lf),
            b"Subject: y\r\n\r\nbody\r\n.dot\r\nlast".len() as u64
        );
        assert_eq!(multiline_message(b""), b".\r\n");
        assert_eq!(pop3_size(b""), 0);
    }

    #[test]
    fn top() {
        let msg = b"A: 1\r\nB: 2\r\n\r\nl1\r\n.l2\r\nl3\r\n";
        assert_eq!(multiline_top(msg, 0), b"A: 1\r\nB: 2\r\n\r\n.\r\n");
        assert_eq!(multiline_top(msg, 2), b"A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\n.\r\n");
        assert_eq!(multiline_top(msg, 99), multiline_message(msg));
        assert_eq!(multiline_top(b"A: 1\nB: 2\n", 5), b"A: 1\r\nB: 2\r\n.\r\n");
    }

    /// Undoes byte-stuffing the way a client does (RFC 1939 §3).
    fn unstuff(wire: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let body = wire.strip_suffix(END)?;
        for line in body.split_inclusive(|&b| b == b'\n') {
            let line = line.strip_prefix(b".").unwrap_or(line);
            out.extend_from_slice(line);
        }
        Some(out)
    }

    proptest! {
        #[test]
        fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_command(&bytes);
        }

        #[test]
        fn parser_roundtrips_numbers(n in 1u32.., l in 0u32..) {
            prop_assert_eq!(parse_command(format!("RETR {n}\r\n").as_bytes()), Ok(Command::Retr(n)));
            prop_assert_eq!(parse_command(format!("top {n} {l}").as_bytes()), Ok(Command::Top(n, l)));
        }

        #[test]
        fn stuffing_roundtrips(lines in proptest::collection::vec("[.a-z ]{0,6}", 0..12)) {
            // A CRLF message survives stuffing + unstuffing, has no line that is just "." inside,
            // and its POP3 size is its own length.
            let msg: Vec<u8> = lines.iter().flat_map(|l| format!("{l}\r\n").into_bytes()).collect();
            let wire = multiline_message(&msg);
            prop_assert!(wire.ends_with(END));
            let inner = &wire[..wire.len() - END.len()];
            prop_assert!(!inner.split(|&b| b == b'\n').any(|l| l == b".\r"));
            prop_assert_eq!(unstuff(&wire), Some(msg.clone()));
            prop_assert_eq!(pop3_size(&msg), msg.len() as u64);
        }
    }
}
