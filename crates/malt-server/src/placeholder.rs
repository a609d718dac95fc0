//! Stand-ins for protocols whose servers have not landed yet: each answers with its protocol's standard
//! "service not available" greeting and closes. Replace [`placeholder`] per protocol as they land.
//!
//! - SMTP, submission, LMTP: `554` instead of the `220` greeting. RFC 5321 §3.1 then requires the server to
//!   wait for QUIT (answering `503` to anything else) rather than close; this does so, bounded by the idle
//!   timeout, shutdown, the line length limit and [`MAX_COMMANDS`].
//! - IMAP: an untagged `BYE` greeting (RFC 9051 §7.1.5), `UNAVAILABLE` response code (RFC 5530 §3).
//! - POP3: `-ERR` greeting with the `SYS/PERM` response code (RFC 3206 §4).
//! - ManageSieve: `BYE` (RFC 5804 §1.3).
//! - HTTP: `503 Service Unavailable` (only used if no HTTP handler is registered).

use std::sync::Arc;

use async_trait::async_trait;
use malt_config::Protocol;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::listener::{Connection, Handler, SessionContext, Wait};

/// Commands answered after an SMTP `554` greeting before the connection is closed anyway.
pub const MAX_COMMANDS: usize = 20;

/// The greeting the placeholder for `protocol` sends.
pub fn greeting(protocol: Protocol, hostname: &str) -> String {
    match protocol {
        Protocol::Smtp | Protocol::Submission => {
            format!("554 5.3.2 {hostname} SMTP service not available yet\r\n")
        }
        Protocol::Lmtp => format!("554 5.3.2 {hostname} LMTP service not available yet\r\n"),
        Protocol::Imap => "* BYE [UNAVAILABLE] IMAP service not available yet\r\n".to_string(),
        Protocol::Pop3 => "-ERR [SYS/PERM] POP3 service not available yet\r\n".to_string(),
        Protocol::ManageSieve => "BYE (UNAVAILABLE) \"ManageSieve not available yet\"\r\n".to_string(),
        Protocol::Http => {
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 30\r\n\
             Connection: close\r\n\r\nHTTP service not available yet"
                .to_string()
        }
    }
}

/// The placeholder handler for `protocol`.
pub fn placeholder(protocol: Protocol) -> Arc<dyn Handler> {
    Arc::new(Placeholder(protocol))
}

struct Placeholder(Protocol);

#[async_trait]
impl Handler for Placeholder {
    async fn handle(&self, mut conn: Connection, ctx: SessionContext) {
        let text = greeting(self.0, &ctx.config.hostname);
        if conn.write_all(text.as_bytes()).await.is_err() {
            return;
        }
        if matches!(self.0, Protocol::Smtp | Protocol::Submission | Protocol::Lmtp) {
            smtp_wait_for_quit(&mut conn, &ctx).await;
        }
        let _ = conn.shutdown().await;
    }
}

/// RFC 5321 §3.1: after a 554 greeting, answer 503 until QUIT.
async fn smtp_wait_for_quit(conn: &mut Connection, ctx: &SessionContext) {
    let host = ctx.config.hostname.clone();
    let max_line = u64::try_from(ctx.config.limits.max_line_length).unwrap_or(u64::MAX);
    let mut reader = BufReader::new(conn);
    for _ in 0..MAX_COMMANDS {
        let mut line = Vec::new();
        let mut limited = (&mut reader).take(max_line);
        let read = limited.read_until(b'\n', &mut line);
        match ctx.wait_input(read).await {
            Wait::Ready(Ok(n)) if n > 0 && line.ends_with(b"\n") => {}
            _ => return,
        }
        let is_quit = line.get(..4).is_some_and(|v| v.eq_ignore_ascii_case(b"QUIT"));
        let reply = if is_quit {
            format!("221 2.0.0 {host} closing connection\r\n")
        } else {
            "503 5.5.1 Service not available yet, only QUIT is accepted\r\n".to_string()
        };
        if reader.get_mut().write_all(reply.as_bytes()).await.is_err() || is_quit {
            return;
        }
    }
}
