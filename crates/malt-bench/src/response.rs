//! IMAP response framing for the bench client, apart from any socket (RFC 9051 §2.2.2, §7).
//!
//! A server response is a line, or a line ending in a literal announcement `{n}` (`~{n}` for BINARY's
//! literal8, RFC 3516 §4.2) followed by n octets and the rest of the line, possibly with more literals
//! (RFC 9051 §4.3). The reader returns one whole response at a time and classifies it:
//! tagged `tag OK|NO|BAD [code] text` (§7.1), untagged `* ...` (with `EXISTS` and `EXPUNGE` counts parsed,
//! §7.4.1 and §7.5.1, and status conditions `OK/NO/BAD/BYE/PREAUTH` with their response code), and
//! continuation requests `+ ...` (§7.6).
//!
//! Invariants:
//! - Every read is bounded: a line (between literals) by [`Limits::max_line`], a literal by
//!   [`Limits::max_literal`], a whole response by [`Limits::max_response`]. Literal octets are counted and
//!   discarded, never buffered, so a large `BODY[]` costs no memory.
//! - Literals are only recognised where the grammar allows them: in untagged data responses (FETCH, LIST,
//!   STATUS...), outside quoted strings. Tagged responses, continuations and untagged status conditions end
//!   in free text (`resp-text`), where a trailing `{5}` is just text.
//! - A connection closed mid-response is [`FrameError::Closed`], never a partial response.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Bounds on what the reader accepts from a server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Octets in one line (a response's text between literals), CRLF included.
    pub max_line: usize,
    /// Octets announced by one literal.
    pub max_literal: usize,
    /// Octets in one whole response: lines and literals.
    pub max_response: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 1 << 20,
            max_literal: 64 << 20,
            max_response: 256 << 20,
        }
    }
}

/// Why no response could be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The server closed the connection (possibly in the middle of a response).
    #[error("connection closed by the server")]
    Closed,
    /// The socket failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A line went past [`Limits::max_line`] without a line feed.
    #[error("response line longer than {0} octets")]
    LineTooLong(usize),
    /// A literal announced more than [`Limits::max_literal`] octets.
    #[error("literal of {0} octets is over the limit")]
    LiteralTooLarge(u64),
    /// A response went past [`Limits::max_response`] octets.
    #[error("response longer than {0} octets")]
    ResponseTooLarge(usize),
    /// The response does not start like any IMAP response.
    #[error("malformed response: {0}")]
    Malformed(String),
}

/// A tagged response's result (RFC 9051 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Status {
    Ok,
    No,
    Bad,
}

/// An untagged status condition (RFC 9051 §7.1): the greeting, warnings, `BYE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Ok,
    No,
    Bad,
    Bye,
    Preauth,
}

/// What an untagged response says that the client tracks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Untagged {
    /// `* n EXISTS` (RFC 9051 §7.4.1).
    Exists(u32),
    /// `* n EXPUNGE` (RFC 9051 §7.5.1).
    Expunge(u32),
    /// `* OK|NO|BAD|BYE|PREAUTH [code] text`.
    Condition {
        condition: Condition,
        code: Option<String>,
        text: String,
    },
    /// Any other data (`FETCH`, `FLAGS`, `CAPABILITY`, `LIST`...): its keyword, upper-cased.
    Data(String),
}

/// One complete server response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `tag OK|NO|BAD [code] text`.
    Tagged {
        tag: String,
        status: Status,
        code: Option<String>,
        text: String,
    },
    /// `* ...`.
    Untagged(Untagged),
    /// `+ text`: the server waits for a literal's octets or for `DONE`.
    Continuation(String),
}

/// Reads whole responses from a buffered stream, within [`Limits`].
pub struct ResponseReader<R> {
    inner: R,
    limits: Limits,
    line: Vec<u8>,
    /// Octets read so far, literals included.
    pub received: u64,
}

impl<R: AsyncBufRead + Unpin> ResponseReader<R> {
    pub fn new(inner: R, limits: Limits) -> Self {
        ResponseReader {
            inner,
            limits,
            line: Vec::new(),
            received: 0,
        }
    }

    /// The next whole response. Not cancel-safe: a response abandoned half-way leaves the stream
    /// in the middle of it, so a timed-out connection must be dropped.
    pub async fn next(&mut self) -> Result<Response, FrameError> {
        let mut total = self.read_line().await?;
        let first = trim_crlf(&self.line);
        let response = classify(first)?;
        let literals_allowed = matches!(response, Response::Untagged(Untagged::Data(_)));
        if !literals_allowed {
            return Ok(response);
        }
        while let Some(n) = trailing_literal(trim_crlf(&self.line), self.limits.max_literal)? {
            total = total.saturating_add(n);
            if total > self.limits.max_response {
                return Err(FrameError::ResponseTooLarge(self.limits.max_response));
            }
            self.skip(n).await?;
            total = total.saturating_add(self.read_line().await?);
            if total > self.limits.max_response {
                return Err(FrameError::ResponseTooLarge(self.limits.max_response));
            }
        }
        Ok(response)
    }

    /// Reads one line (through LF) into `self.line`; returns its length.
    async fn read_line(&mut self) -> Result<usize, FrameError> {
        self.line.clear();
        loop {
            let avail = self.inner.fill_buf().await?;
            if avail.is_empty() {
                return Err(FrameError::Closed);
            }
            let (take, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i + 1, true),
                None => (avail.len(), false),
            };
            if self.line.len() + take > self.limits.max_line {
                return Err(FrameError::LineTooLong(self.limits.max_line));
            }
            self.line.extend_from_slice(avail.get(..take).unwrap_or_default());
            self.inner.consume(take);
            self.received += take as u64;
            if done {
                return Ok(self.line.len());
            }
        }
    }

    /// Reads and discards a literal's `n` octets.
    async fn skip(&mut self, mut n: usize) -> Result<(), FrameError> {
        while n > 0 {
            let avail = self.inner.fill_buf().await?;
            if avail.is_empty() {
                return Err(FrameError::Closed);
            }
            let k = n.min(avail.len());
            self.inner.consume(k);
            self.received += k as u64;
            n -= k;
        }
        Ok(())
    }
}

/// The line without its line end (LF, or CRLF).
fn trim_crlf(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// What a response's first line is (RFC 9051 §7): tagged, untagged or a continuation request.
pub fn classify(line: &[u8]) -> Result<Response, FrameError> {
    let text = String::from_utf8_lossy(line);
    if let Some(rest) = text.strip_prefix('+') {
        return Ok(Response::Continuation(rest.trim_start().to_owned()));
    }
    if let Some(rest) = text.strip_prefix("* ") {
        return Ok(Response::Untagged(untagged(rest)));
    }
    let (tag, rest) = text
        .split_once(' ')
        .ok_or_else(|| malformed(&text, "no space after the tag"))?;
    if tag.is_empty() {
        return Err(malformed(&text, "empty tag"));
    }
    let (word, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let status = match word.to_ascii_uppercase().as_str() {
        "OK" => Status::Ok,
        "NO" => Status::No,
        "BAD" => Status::Bad,
        _ => return Err(malformed(&text, "tagged response without OK, NO or BAD")),
    };
    let (code, text) = resp_text(rest);
    Ok(Response::Tagged {
        tag: tag.to_owned(),
        status,
        code,
        text,
    })
}

fn malformed(line: &str, why: &str) -> FrameError {
    let shown: String = line.chars().take(120).collect();
    FrameError::Malformed(format!("{why}: {shown:?}"))
}

/// An untagged response after `* `.
fn untagged(rest: &str) -> Untagged {
    let mut words = rest.splitn(3, ' ');
    let first = words.next().unwrap_or_default();
    let second = words.next().unwrap_or_default();
    let condition = match first.to_ascii_uppercase().as_str() {
        "OK" => Some(Condition::Ok),
        "NO" => Some(Condition::No),
        "BAD" => Some(Condition::Bad),
        "BYE" => Some(Condition::Bye),
        "PREAUTH" => Some(Condition::Preauth),
        _ => None,
    };
    if let Some(condition) = condition {
        let after = rest.split_once(' ').map(|(_, t)| t).unwrap_or_default();
        let (code, text) = resp_text(after);
        return Untagged::Condition {
            condition,
            code,
            text,
        };
    }
    if let Ok(n) = first.parse::<u32>() {
        match second.to_ascii_uppercase().as_str() {
            "EXISTS" => return Untagged::Exists(n),
            "EXPUNGE" => return Untagged::Expunge(n),
            other => return Untagged::Data(other.to_owned()),
        }
    }
    Untagged::Data(first.to_ascii_uppercase())
}

/// `[code] text` (RFC 9051 §7.1): the response code without brackets, and the text.
fn resp_text(rest: &str) -> (Option<String>, String) {
    if let Some(inner) = rest.strip_prefix('[')
        && let Some((code, text)) = inner.split_once(']')
    {
        return (Some(code.to_owned()), text.trim_start().to_owned());
    }
    (None, rest.to_owned())
}

/// The octet count of a literal announced at the end of `segment` (`{n}` or `~{n}`), if the braces
/// are outside any quoted string; an announcement over `max` is an error.
pub fn trailing_literal(segment: &[u8], max: usize) -> Result<Option<usize>, FrameError> {
    let Some(body) = segment.strip_suffix(b"}") else {
        return Ok(None);
    };
    let Some(open) = memchr::memrchr(b'{', body) else {
        return Ok(None);
    };
    let digits = body.get(open + 1..).unwrap_or_default();
    if digits.is_empty() || digits.len() > 20 || !digits.iter().all(u8::is_ascii_digit) {
        return Ok(None);
    }
    if in_quoted_string(body.get(..open).unwrap_or_default()) {
        return Ok(None);
    }
    let n = std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse::<u64>().ok())
        .ok_or(FrameError::LiteralTooLarge(u64::MAX))?;
    match usize::try_from(n) {
        Ok(n) if n <= max => Ok(Some(n)),
        _ => Err(FrameError::LiteralTooLarge(n)),
    }
}

/// Whether `prefix` ends inside a quoted string (RFC 9051 §4.3: `"` opens and closes, `\` escapes
/// inside).
fn in_quoted_string(prefix: &[u8]) -> bool {
    let mut quoted = false;
    let mut escaped = false;
    for &b in prefix {
        if quoted {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                quoted = false;
            }
        } else if b == b'"' {
            quoted = true;
        }
    }
    quoted
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    async fn all(input: &[u8], limits: Limits) -> Vec<Result<Response, String>> {
        let mut r = ResponseReader::new(input, limits);
        let mut out = Vec::new();
        loop {
            match r.next().await {
                Ok(resp) => out.push(Ok(resp)),
                Err(FrameError::Closed) => return out,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    return out;
                }
            }
        }
    }

    fn tagged(tag: &str, status: Status, code: Option<&str>, text: &str) -> Response {
        Response::Tagged {
            tag: tag.into(),
            status,
            code: code.map(Into::into),
            text: text.into(),
        }
    }

    #[tokio::test]
    async fn literals_are_skipped_and_the_response_continues_after_them() {
        let input = b"* 1 FETCH (UID 7 BODY[] {11}\r\nhello\r\nworld FLAGS (\\Seen))\r\n\
                      * 2 FETCH (BODY[HEADER] {5}\r\nab\r\nc BODY[TEXT] ~{3}\r\n\0\0\0)\r\n\
                      a1 OK done\r\n";
        let mut r = ResponseReader::new(&input[..], Limits::default());
        assert_eq!(
            r.next().await.unwrap(),
            Response::Untagged(Untagged::Data("FETCH".into()))
        );
        assert_eq!(
            r.next().await.unwrap(),
            Response::Untagged(Untagged::Data("FETCH".into()))
        );
        assert_eq!(r.next().await.unwrap(), tagged("a1", Status::Ok, None, "done"));
        assert_eq!(r.received, input.len() as u64);
        assert!(matches!(r.next().await, Err(FrameError::Closed)));
    }

    #[tokio::test]
    async fn a_literal_holding_a_line_that_looks_tagged_is_data() {
        // The literal's octets contain "a1 OK" and a literal announcement: neither is a response.
        let input = b"* 3 FETCH (BODY[] {20}\r\na1 OK fake {99}\r\n\r\n)\r\na1 NO [EXPUNGEISSUED] gone\r\n";
        let got = all(input, Limits::default()).await;
        assert_eq!(
            got,
            vec![
                Ok(Response::Untagged(Untagged::Data("FETCH".into()))),
                Ok(tagged("a1", Status::No, Some("EXPUNGEISSUED"), "gone")),
            ]
        );
    }

    #[tokio::test]
    async fn untagged_counts_and_conditions() {
        let input = b"* OK [CAPABILITY IMAP4rev1] ready {5}\r\n* 12 EXISTS\r\n* 3 expunge\r\n* 0 RECENT\r\n\
                      * FLAGS (\\Seen)\r\n* BYE logging out\r\n";
        let got = all(input, Limits::default()).await;
        assert_eq!(
            got,
            vec![
                Ok(Response::Untagged(Untagged::Condition {
                    condition: Condition::Ok,
                    code: Some("CAPABILITY IMAP4rev1".into()),
                    text: "ready {5}".into(),
                })),
                Ok(Response::Untagged(Untagged::Exists(12))),
                Ok(Response::Untagged(Untagged::Expunge(3))),
                Ok(Response::Untagged(Untagged::Data("RECENT".into()))),
                Ok(Response::Untagged(Untagged::Data("FLAGS".into()))),
                Ok(Response::Untagged(Untagged::Condition {
                    condition: Condition::Bye,
                    code: None,
                    text: "logging out".into(),
                })),
            ]
        );
    }

    #[tokio::test]
    async fn tagged_no_and_bad_keep_code_and_text() {
        let input = b"t1 NO [TRYCREATE] no such mailbox\r\nt2 BAD unknown command\r\nt3 OK [APPENDUID 9 41] APPEND done\r\n";
        let got = all(input, Limits::default()).await;
        assert_eq!(
            got,
            vec![
                Ok(tagged("t1", Status::No, Some("TRYCREATE"), "no such mailbox")),
                Ok(tagged("t2", Status::Bad, None, "unknown command")),
                Ok(tagged("t3", Status::Ok, Some("APPENDUID 9 41"), "APPEND done")),
            ]
        );
    }

    #[tokio::test]
    async fn a_tagged_line_ending_in_braces_is_text_not_a_literal() {
        let input = b"a1 OK done {4}\r\na2 OK next\r\n";
        let got = all(input, Limits::default()).await;
        assert_eq!(
            got,
            vec![
                Ok(tagged("a1", Status::Ok, None, "done {4}")),
                Ok(tagged("a2", Status::Ok, None, "next")),
            ]
        );
    }

    #[tokio::test]
    async fn continuation_requests() {
        let got = all(b"+ idling\r\n+\r\n", Limits::default()).await;
        assert_eq!(
            got,
            vec![
                Ok(Response::Continuation("idling".into())),
                Ok(Response::Continuation(String::new())),
            ]
        );
    }

    #[test]
    fn braces_inside_a_quoted_string_are_not_a_literal() {
        let max = 100;
        assert_eq!(trailing_literal(b"* 1 FETCH (X \"a {5}", max).unwrap(), None);
        assert_eq!(
            trailing_literal(b"* 1 FETCH (X \"a \\\" b\" {5}", max).unwrap(),
            Some(5)
        );
        assert_eq!(trailing_literal(b"* 1 FETCH (X \"a \\\" {5}", max).unwrap(), None);
        assert_eq!(trailing_literal(b"* 1 FETCH (X {}", max).unwrap(), None);
        assert_eq!(trailing_literal(b"* 1 FETCH (X {5a}", max).unwrap(), None);
        assert_eq!(trailing_literal(b"* 1 FETCH (X ~{0}", max).unwrap(), Some(0));
    }

    #[tokio::test]
    async fn limits_are_errors() {
        let small = Limits {
            max_line: 32,
            max_literal: 10,
            max_response: 64,
        };
        let long_line = [b"* ".as_slice(), &[b'x'; 40], b"\r\n"].concat();
        assert_eq!(
            all(&long_line, small).await,
            vec![Err("response line longer than 32 octets".into())]
        );
        assert_eq!(
            all(b"* 1 FETCH (BODY[] {11}\r\n", small).await,
            vec![Err("literal of 11 octets is over the limit".into())]
        );
        let many =
            b"* 1 FETCH ({10}\r\n0123456789 {10}\r\n0123456789 {10}\r\n0123456789 {10}\r\n0123456789)\r\n";
        assert_eq!(
            all(many, small).await,
            vec![Err("response longer than 64 octets".into())]
        );
        assert_eq!(
            all(b"* 1 FETCH (BODY[] {99999999999999999999}\r\n", Limits::default()).await,
            vec![Err(format!("literal of {} octets is over the limit", u64::MAX))]
        );
    }

    #[tokio::test]
    async fn eof_inside_a_literal_or_a_line_is_closed() {
        let mut r = ResponseReader::new(&b"* 1 FETCH (BODY[] {10}\r\nabc"[..], Limits::default());
        assert!(matches!(r.next().await, Err(FrameError::Closed)));
        let mut r = ResponseReader::new(&b"a1 OK no line end"[..], Limits::default());
        assert!(matches!(r.next().await, Err(FrameError::Closed)));
    }

    #[test]
    fn garbage_is_malformed() {
        assert!(matches!(classify(b"hello"), Err(FrameError::Malformed(_))));
        assert!(matches!(
            classify(b"a1 MAYBE later"),
            Err(FrameError::Malformed(_))
        ));
        assert!(matches!(classify(b" OK x"), Err(FrameError::Malformed(_))));
    }
}
