//! Reading the server's replies (RFC 5321 §4.2): a bounded parser with no I/O.
//!
//! Invariants:
//! - A reply is one or more lines `code-text` ending with one `code text` (or a bare `code`), RFC 5321
//!   §4.2.1; every line carries the same code (a mix is an error), the code is 200..=599 (SMTP uses no 1yz
//!   replies, RFC 5321 §4.2.1). Lines end with LF; a CR before it is dropped (servers that send bare LF
//!   are tolerated, as most clients do).
//! - Limits: at most [`MAX_REPLY_LINES`] lines and [`MAX_REPLY_OCTETS`] octets per reply, checked while the
//!   reply is still incomplete, so a server that never ends its reply cannot make the client buffer more
//!   than that.
//! - The enhanced status code (RFC 3463, announced by ENHANCEDSTATUSCODES, RFC 2034 §3) is read from the
//!   first line when its class matches the reply's first digit, and removed from every line that repeats
//!   it; the text keeps everything else. Control characters in the text become spaces (so a reply's text is
//!   safe for logs and DSNs and keeps [`Reply`]'s no-CR/LF invariant); octets that are not UTF-8 are
//!   replaced (U+FFFD).
//! - Nothing here panics on any input.

use malt_smtp_proto::Reply;

/// Most lines accepted in one reply.
pub const MAX_REPLY_LINES: usize = 512;
/// Most octets accepted in one reply, line ends included.
pub const MAX_REPLY_OCTETS: usize = 64 * 1024;

/// Why the server's reply could not be read. Each is the server's fault; the session is abandoned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// The reply exceeds [`MAX_REPLY_OCTETS`].
    #[error("reply longer than {MAX_REPLY_OCTETS} octets")]
    TooLong,
    /// The reply exceeds [`MAX_REPLY_LINES`].
    #[error("reply of more than {MAX_REPLY_LINES} lines")]
    TooManyLines,
    /// A line does not start with a reply code 200..=599 followed by a space, a hyphen or its end.
    #[error("malformed reply line {0:?}")]
    Syntax(String),
    /// The lines of one reply carry different codes.
    #[error("reply lines with different codes {0} and {1}")]
    MixedCodes(u16, u16),
}

/// Reads one complete reply from the start of `buf`: `Ok(Some((reply, octets used)))`, or `Ok(None)` when
/// more input is needed (and the limits are not yet exceeded).
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Reply, usize)>, ReplyError> {
    let mut pos = 0;
    let mut code = None;
    let mut texts: Vec<String> = Vec::new();
    loop {
        let rest = buf.get(pos..).unwrap_or_default();
        let Some(lf) = rest.iter().position(|&b| b == b'\n') else {
            return if buf.len() > MAX_REPLY_OCTETS {
                Err(ReplyError::TooLong)
            } else {
                Ok(None)
            };
        };
        let end = pos + lf + 1;
        if end > MAX_REPLY_OCTETS {
            return Err(ReplyError::TooLong);
        }
        if texts.len() >= MAX_REPLY_LINES {
            return Err(ReplyError::TooManyLines);
        }
        let raw = rest.get(..lf).unwrap_or_default();
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        pos = end;
        let (line_code, last, text) = parse_line(line)?;
        match code {
            None => code = Some(line_code),
            Some(c) if c != line_code => return Err(ReplyError::MixedCodes(c, line_code)),
            Some(_) => {}
        }
        texts.push(text);
        if last {
            return Ok(Some((build(line_code, texts), pos)));
        }
    }
}

/// One line: its code, whether it is the last line, its text.
fn parse_line(line: &[u8]) -> Result<(u16, bool, String), ReplyError> {
    let syntax = || ReplyError::Syntax(String::from_utf8_lossy(line).chars().take(80).collect());
    let (digits, rest) = line.split_at_checked(3).ok_or_else(syntax)?;
    let mut code: u16 = 0;
    for d in digits {
        if !d.is_ascii_digit() {
            return Err(syntax());
        }
        code = code * 10 + u16::from(d - b'0');
    }
    if !(200..=599).contains(&code) {
        return Err(syntax());
    }
    let (last, text) = match rest.split_first() {
        None => (true, &[][..]),
        Some((b' ', t)) => (true, t),
        Some((b'-', t)) => (false, t),
        Some(_) => return Err(syntax()),
    };
    let text = String::from_utf8_lossy(text)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    Ok((code, last, text))
}

/// The enhanced status code at the start of `text` and the text after it, if the class matches `code`.
fn split_esc(code: u16, text: &str) -> Option<((u8, u16, u16), &str)> {
    let (word, rest) = match text.split_once(' ') {
        Some((w, r)) => (w, r),
        None => (text, ""),
    };
    let mut parts = word.split('.');
    let (Some(class), Some(subject), Some(detail), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let num = |s: &str, max_len: usize| {
        if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            s.parse::<u16>().ok()
        }
    };
    let class = num(class, 1)?;
    // RFC 3463 §2: class is 2, 4 or 5 and agrees with the reply code (RFC 2034 §3).
    if class != code / 100 {
        return None;
    }
    let class = u8::try_from(class).ok()?;
    Some(((class, num(subject, 3)?, num(detail, 3)?), rest))
}

fn build(code: u16, texts: Vec<String>) -> Reply {
    let esc = texts.first().and_then(|t| split_esc(code, t)).map(|(esc, _)| esc);
    let lines = match esc {
        None => texts,
        Some(esc) => texts
            .into_iter()
            .map(|t| match split_esc(code, &t) {
                Some((e, rest)) if e == esc => rest.to_owned(),
                _ => t,
            })
            .collect(),
    };
    Reply { code, esc, lines }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn one(s: &str) -> Reply {
        let (r, used) = parse_reply(s.as_bytes()).unwrap().unwrap();
        assert_eq!(used, s.len());
        r
    }

    #[test]
    fn single_and_multi_line() {
        let r = one("250 2.1.0 Sender OK\r\n");
        assert_eq!((r.code, r.esc), (250, Some((2, 1, 0))));
        assert_eq!(r.lines, vec!["Sender OK"]);
        let r = one("250-mx.example.net hello\r\n250-PIPELINING\r\n250 SIZE 1000\r\n");
        assert_eq!(r.code, 250);
        assert_eq!(r.esc, None);
        assert_eq!(r.lines, vec!["mx.example.net hello", "PIPELINING", "SIZE 1000"]);
        let r = one("550-5.1.1 No such\r\n550 5.1.1 user\r\n");
        assert_eq!(r.esc, Some((5, 1, 1)));
        assert_eq!(r.lines, vec!["No such", "user"]);
        assert_eq!(r.to_string(), "550-5.1.1 No such\r\n550 user\r\n");
        // A bare code, a bare LF, and a class that does not match is kept as text.
        assert_eq!(one("354\r\n").lines, vec![""]);
        assert_eq!(one("220 ready\n").lines, vec!["ready"]);
        let r = one("451 5.0.0 odd\r\n");
        assert_eq!((r.esc, r.lines[0].as_str()), (None, "5.0.0 odd"));
        assert_eq!(one("250 2.0.0\r\n").esc, Some((2, 0, 0)));
    }

    #[test]
    fn incomplete_and_following_input() {
        assert_eq!(parse_reply(b"250-a\r\n250 b").unwrap(), None);
        assert_eq!(parse_reply(b"").unwrap(), None);
        let (r, used) = parse_reply(b"250 OK\r\n354 Go\r\n").unwrap().unwrap();
        assert_eq!((r.code, used), (250, 8));
    }

    #[test]
    fn malformed() {
        for bad in [
            "25 x\r\n",
            "abc x\r\n",
            "250x\r\n",
            "199 x\r\n",
            "600 x\r\n",
            "\r\n",
        ] {
            assert!(
                matches!(parse_reply(bad.as_bytes()), Err(ReplyError::Syntax(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_reply(b"250-a\r\n251 b\r\n"),
            Err(ReplyError::MixedCodes(250, 251))
        );
        assert_eq!(one("250 a\rb\x00c\r\n").lines, vec!["a b c"]);
    }

    #[test]
    fn limits() {
        let many = "250-x\r\n".repeat(MAX_REPLY_LINES) + "250 x\r\n";
        assert_eq!(parse_reply(many.as_bytes()), Err(ReplyError::TooManyLines));
        let max = "250-x\r\n".repeat(MAX_REPLY_LINES - 1) + "250 x\r\n";
        assert_eq!(one(&max).lines.len(), MAX_REPLY_LINES);
        // Still incomplete but over the limit: an error, not a request for more.
        let endless = vec![b'x'; MAX_REPLY_OCTETS + 1];
        let mut line = b"250 ".to_vec();
        line.extend_from_slice(&endless);
        assert_eq!(parse_reply(&line), Err(ReplyError::TooLong));
        let long_lines = "250-".to_owned() + &"y".repeat(1000) + "\r\n";
        let big = long_lines.repeat(70);
        assert_eq!(parse_reply(big.as_bytes()), Err(ReplyError::TooLong));
    }

    proptest! {
        /// Any input: no panic, and an answer is consistent with the input.
        #[test]
        fn never_panics(input in proptest::collection::vec(any::<u8>(), 0..2000)) {
            if let Ok(Some((r, used))) = parse_reply(&input) {
                prop_assert!(used <= input.len());
                prop_assert!((200..=599).contains(&r.code));
                prop_assert!(!r.lines.is_empty());
                prop_assert!(r.lines.iter().all(|l| !l.contains('\r') && !l.contains('\n')));
            }
        }

        /// A reply written by `Reply::to_bytes` reads back as itself, however it is split.
        #[test]
        fn round_trip(
            code in 200u16..600,
            esc in proptest::option::of((1u16..1000, 0u16..1000)),
            lines in proptest::collection::vec("[ -~]{0,40}", 1..6),
            split in 0usize..400,
        ) {
            let class = u8::try_from(code / 100).unwrap();
            let lines: Vec<String> = lines.into_iter().map(|l| l.trim_start().to_owned()).collect();
            let reply = Reply { code, esc: esc.map(|(s, d)| (class, s, d)), lines };
            let wire = reply.to_bytes();
            let split = split.min(wire.len());
            if split < wire.len() {
                prop_assert_eq!(parse_reply(&wire[..split]).unwrap(), None);
            }
            let (got, used) = parse_reply(&wire).unwrap().unwrap();
            prop_assert_eq!(used, wire.len());
            prop_assert_eq!(got.code, reply.code);
            // Without an enhanced code, a first line that happens to look like one is read as one: compare the
            // wire form, which is what the reply means.
            prop_assert_eq!(got.to_bytes(), wire);
        }
    }
}
