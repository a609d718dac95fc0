//! A small raw IMAP client for the benchmarks: tagged commands, synchronizing literals for APPEND,
//! IDLE/DONE, and the mailbox size as the session knows it (RFC 9051).
//!
//! Invariants:
//! - A command's reply is complete only at its tagged response; untagged responses before it are
//!   counted, and `EXISTS`/`EXPUNGE` keep [`Client::exists`] equal to the server's view of this
//!   session (RFC 9051 §7.4.1, §7.5.1), so sequence numbers the client picks are valid.
//! - Every exchange has a deadline ([`Client::timeout`]); after a timeout or any framing error the
//!   connection is in an unknown state and the caller must drop it.
//! - A tagged response with another tag, or a continuation request where none is expected, is a
//!   protocol error, not something to skip.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use crate::response::{Condition, FrameError, Limits, Response, ResponseReader, Status, Untagged};

/// Why an exchange failed (as opposed to completing with `NO` or `BAD`).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Reading a response failed or the server closed the connection.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The server said `BYE` and closed the connection.
    #[error("server said BYE: {0}")]
    Bye(String),
    /// No complete reply within the deadline.
    #[error("no reply within {0:?}")]
    Timeout(Duration),
    /// The server answered something that does not fit the exchange.
    #[error("unexpected response: {0}")]
    Unexpected(String),
}

impl From<std::io::Error> for ClientError {
    fn from(e: std::io::Error) -> Self {
        ClientError::Frame(FrameError::Io(e))
    }
}

/// A tagged reply and what came before it.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: Status,
    /// The response code without brackets (`APPENDUID 3 17`, `EXPUNGEISSUED`).
    pub code: Option<String>,
    pub text: String,
    /// Untagged responses received during the command.
    pub untagged: u32,
}

impl Reply {
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// Whether the command failed only because another session expunged a message this session
    /// still sees (RFC 9051 §7.1, `EXPUNGEISSUED`): a race between concurrent clients, not an error.
    pub fn is_expunge_race(&self) -> bool {
        self.status == Status::No
            && self
                .code
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case("EXPUNGEISSUED"))
    }

    /// The UID from `[APPENDUID uidvalidity uid]` (RFC 4315 §3).
    pub fn append_uid(&self) -> Option<u32> {
        let code = self.code.as_deref()?;
        let mut words = code.split_ascii_whitespace();
        if !words.next()?.eq_ignore_ascii_case("APPENDUID") {
            return None;
        }
        words.next()?;
        words.next()?.parse().ok()
    }

    /// `NO text` or `BAD [code] text`, for error reports.
    pub fn describe(&self) -> String {
        let status = match self.status {
            Status::Ok => "OK",
            Status::No => "NO",
            Status::Bad => "BAD",
        };
        match &self.code {
            Some(code) => format!("{status} [{code}] {}", self.text),
            None => format!("{status} {}", self.text),
        }
    }
}

/// One IMAP connection.
pub struct Client {
    reader: ResponseReader<BufReader<OwnedReadHalf>>,
    writer: OwnedWriteHalf,
    next_tag: u32,
    /// The tag of the IDLE command in progress.
    idle_tag: Option<String>,
    bye: Option<String>,
    /// Deadline for each exchange.
    pub timeout: Duration,
    /// Messages in the selected mailbox as this session knows it.
    pub exists: u32,
}

impl Client {
    /// Connects and reads the greeting (RFC 9051 §7.1.1: `OK` or `PREAUTH`; `BYE` is a refusal).
    pub async fn connect(addr: SocketAddr, timeout: Duration) -> Result<Client, ClientError> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| ClientError::Timeout(timeout))??;
        stream.set_nodelay(true)?;
        let (read, writer) = stream.into_split();
        let mut client = Client {
            reader: ResponseReader::new(BufReader::new(read), Limits::default()),
            writer,
            next_tag: 0,
            idle_tag: None,
            bye: None,
            timeout,
            exists: 0,
        };
        let greeting = tokio::time::timeout(timeout, client.reader.next())
            .await
            .map_err(|_| ClientError::Timeout(timeout))??;
        match greeting {
            Response::Untagged(Untagged::Condition {
                condition: Condition::Ok | Condition::Preauth,
                ..
            }) => Ok(client),
            Response::Untagged(Untagged::Condition {
                condition: Condition::Bye,
                text,
                ..
            }) => Err(ClientError::Bye(text)),
            other => Err(ClientError::Unexpected(format!("greeting {other:?}"))),
        }
    }

    /// Octets received on this connection so far.
    pub fn received(&self) -> u64 {
        self.reader.received
    }

    fn tag(&mut self) -> String {
        self.next_tag += 1;
        format!("b{}", self.next_tag)
    }

    /// Sends `command` (without tag or CRLF) and reads up to its tagged reply.
    pub async fn command(&mut self, command: &str) -> Result<Reply, ClientError> {
        let tag = self.tag();
        let line = format!("{tag} {command}\r\n");
        let timeout = self.timeout;
        tokio::time::timeout(timeout, async {
            self.writer.write_all(line.as_bytes()).await?;
            self.tagged(&tag).await
        })
        .await
        .map_err(|_| ClientError::Timeout(timeout))?
    }

    /// `APPEND mailbox {n}` with a synchronizing literal (RFC 9051 §6.3.12, §4.3): the message is sent
    /// only after the server's continuation request.
    pub async fn append(&mut self, mailbox: &str, message: &[u8]) -> Result<Reply, ClientError> {
        let tag = self.tag();
        let line = format!("{tag} APPEND {mailbox} {{{}}}\r\n", message.len());
        let timeout = self.timeout;
        tokio::time::timeout(timeout, async {
            self.writer.write_all(line.as_bytes()).await?;
            if let Some(reply) = self.reply(&tag, Expect::Continuation).await? {
                return Ok(reply); // refused before the literal
            }
            self.writer.write_all(message).await?;
            self.writer.write_all(b"\r\n").await?;
            self.tagged(&tag).await
        })
        .await
        .map_err(|_| ClientError::Timeout(timeout))?
    }

    /// Starts IDLE (RFC 2177, RFC 9051 §6.3.13). `Ok(None)` once the server sent its continuation
    /// request (the session is idling); `Ok(Some(reply))` if the server refused.
    pub async fn idle(&mut self) -> Result<Option<Reply>, ClientError> {
        let tag = self.tag();
        let line = format!("{tag} IDLE\r\n");
        let timeout = self.timeout;
        let reply = tokio::time::timeout(timeout, async {
            self.writer.write_all(line.as_bytes()).await?;
            self.reply(&tag, Expect::Continuation).await
        })
        .await
        .map_err(|_| ClientError::Timeout(timeout))??;
        if reply.is_none() {
            self.idle_tag = Some(tag);
        }
        Ok(reply)
    }

    /// Ends IDLE with `DONE` and reads the IDLE command's tagged reply.
    pub async fn done(&mut self) -> Result<Reply, ClientError> {
        let tag = self
            .idle_tag
            .take()
            .ok_or_else(|| ClientError::Unexpected("DONE without IDLE".into()))?;
        let timeout = self.timeout;
        tokio::time::timeout(timeout, async {
            self.writer.write_all(b"DONE\r\n").await?;
            self.tagged(&tag).await
        })
        .await
        .map_err(|_| ClientError::Timeout(timeout))?
    }

    /// Reads responses until the tagged reply for `tag`.
    async fn tagged(&mut self, tag: &str) -> Result<Reply, ClientError> {
        self.reply(tag, Expect::Tagged)
            .await?
            .ok_or_else(|| ClientError::Unexpected(format!("no tagged reply for {tag}")))
    }

    /// Reads responses until the tagged reply for `tag`, or (with [`Expect::Continuation`]) until a
    /// continuation request, which gives `None`.
    async fn reply(&mut self, tag: &str, expect: Expect) -> Result<Option<Reply>, ClientError> {
        let mut untagged = 0u32;
        loop {
            let response = match self.reader.next().await {
                Ok(r) => r,
                Err(FrameError::Closed) if self.bye.is_some() => {
                    return Err(ClientError::Bye(self.bye.take().unwrap_or_default()));
                }
                Err(e) => return Err(e.into()),
            };
            match response {
                Response::Tagged {
                    tag: got,
                    status,
                    code,
                    text,
                } => {
                    if got != tag {
                        return Err(ClientError::Unexpected(format!(
                            "tagged reply {got} while waiting for {tag}"
                        )));
                    }
                    let reply = Reply {
                        status,
                        code,
                        text,
                        untagged,
                    };
                    return Ok(Some(reply));
                }
                Response::Continuation(text) => {
                    if expect == Expect::Continuation {
                        return Ok(None);
                    }
                    return Err(ClientError::Unexpected(format!(
                        "continuation request \"+ {text}\" while waiting for {tag}"
                    )));
                }
                Response::Untagged(u) => {
                    untagged = untagged.saturating_add(1);
                    match u {
                        Untagged::Exists(n) => self.exists = n,
                        Untagged::Expunge(_) => self.exists = self.exists.saturating_sub(1),
                        Untagged::Condition {
                            condition: Condition::Bye,
                            text,
                            ..
                        } => self.bye = Some(text),
                        _ => {}
                    }
                }
            }
        }
    }
}

/// What ends [`Client::reply`] besides the tagged response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Tagged,
    Continuation,
}

/// `s` as an IMAP quoted string (RFC 9051 §4.3); `None` if it holds CR, LF or NUL, which no quoted
/// string may carry.
pub fn quoted(s: &str) -> Option<String> {
    if s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return None;
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn reply(status: Status, code: Option<&str>) -> Reply {
        Reply {
            status,
            code: code.map(Into::into),
            text: "x".into(),
            untagged: 0,
        }
    }

    #[test]
    fn appenduid_and_races() {
        assert_eq!(
            reply(Status::Ok, Some("APPENDUID 17 4021")).append_uid(),
            Some(4021)
        );
        assert_eq!(reply(Status::Ok, Some("APPENDUID 17")).append_uid(), None);
        assert_eq!(reply(Status::Ok, None).append_uid(), None);
        assert!(reply(Status::No, Some("EXPUNGEISSUED")).is_expunge_race());
        assert!(!reply(Status::Ok, Some("EXPUNGEISSUED")).is_expunge_race());
        assert!(!reply(Status::No, None).is_expunge_race());
        assert_eq!(
            reply(Status::No, Some("EXPUNGEISSUED")).describe(),
            "NO [EXPUNGEISSUED] x"
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(quoted("pass").unwrap(), "\"pass\"");
        assert_eq!(quoted("a\"b\\c").unwrap(), "\"a\\\"b\\\\c\"");
        assert_eq!(quoted("a\r\nb"), None);
    }
}
