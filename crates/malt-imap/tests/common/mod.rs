//! Shared by the integration tests: `malt-testkit`'s environment (real listeners on port 0, a SQLite store,
//! one account) serving IMAP, a raw IMAP client, and IMAP-specific helpers.
#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use malt_imap::Imap4Handler;
use malt_server::Handler;
use malt_testkit::wire;
use tokio::io::{AsyncReadExt, BufReader};
use tokio::net::TcpStream;

pub use malt_testkit::{PASS, USER, python};

malt_testkit::protocol_env!(Env, imap, imaps);

pub async fn start() -> Env {
    malt_testkit::start(malt_config::Protocol::Imap, async |p| {
        let feed = p.core.storage().change_feed().await.unwrap();
        Arc::new(Imap4Handler::new(p.core.clone(), p.auth.clone(), feed)) as Arc<dyn Handler>
    })
    .await
    .into()
}

impl Env {
    pub async fn client(&self) -> Client {
        Client::connect(self.imap).await
    }

    /// A logged-in raw client on the STARTTLS listener (plaintext on loopback).
    pub async fn logged_in(&self) -> Client {
        let mut c = self.client().await;
        let r = c.cmd(&format!("a0 LOGIN {USER} \"{PASS}\"")).await;
        assert!(r.last().unwrap().starts_with("a0 OK"), "{r:?}");
        c
    }

    pub async fn selected(&self) -> Client {
        let mut c = self.logged_in().await;
        let r = c.cmd("s0 SELECT INBOX").await;
        assert!(r.last().unwrap().starts_with("s0 OK"), "{r:?}");
        c
    }
}

pub fn msg(subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Bob <bob@example.net>\r\nTo: alice@example.org\r\nSubject: {subject}\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <{subject}@example.net>\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// A raw IMAP client: responses are lines with any literals inlined.
pub struct Client {
    pub r: BufReader<TcpStream>,
    pub greeting: String,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        let (r, greeting) = wire::connect(addr, None).await;
        Client { r, greeting }
    }

    /// Connects to a PROXY v1 listener claiming the client is `remote`.
    pub async fn connect_proxied(addr: SocketAddr, remote: &str) -> Client {
        let (r, greeting) = wire::connect(addr, Some((remote, 143))).await;
        Client { r, greeting }
    }

    /// One response line with literals inlined; empty at EOF.
    pub async fn line(&mut self) -> String {
        let mut out = String::new();
        loop {
            let l = String::from_utf8_lossy(&wire::line(&mut self.r).await).into_owned();
            out.push_str(&l);
            let t = l.trim_end();
            if let Some(open) = t.rfind('{')
                && t.ends_with('}')
                && let Ok(n) = t[open + 1..t.len() - 1].parse::<usize>()
            {
                out.push_str(&String::from_utf8_lossy(&wire::exact(&mut self.r, n).await));
                continue;
            }
            return out;
        }
    }

    pub async fn send(&mut self, raw: &[u8]) {
        wire::send(&mut self.r, raw).await;
    }

    /// Reads responses up to and including the tagged one for `tag`.
    pub async fn until(&mut self, tag: &str) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let l = self.line().await;
            assert!(!l.is_empty(), "EOF before {tag}: {out:?}");
            let done = l.starts_with(&format!("{tag} "));
            out.push(l);
            if done {
                return out;
            }
        }
    }

    /// Sends `cmd` (tag first) with CRLF and returns every response line up to the tagged one.
    pub async fn cmd(&mut self, cmd: &str) -> Vec<String> {
        let tag = cmd.split(' ').next().unwrap().to_owned();
        self.send(format!("{cmd}\r\n").as_bytes()).await;
        self.until(&tag).await
    }

    /// Expects the server to close the connection (after any remaining data).
    pub async fn expect_eof(&mut self) {
        wire::rest(&mut self.r).await;
    }

    /// Whether nothing arrives within `ms`.
    pub async fn quiet(&mut self, ms: u64) -> bool {
        let mut buf = [0u8; 1];
        tokio::time::timeout(Duration::from_millis(ms), self.r.read(&mut buf))
            .await
            .is_err()
    }
}

/// Whether any line contains `needle`.
pub fn has(lines: &[String], needle: &str) -> bool {
    lines.iter().any(|l| l.contains(needle))
}

/// Lets the change feed deliver another session's commit (as `pitfalls.rs` does).
pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(400)).await;
}

/// The mailbox's HIGHESTMODSEQ as the store has it now (RFC 7162).
pub async fn highest_modseq(env: &Env) -> u64 {
    env.inbox().await.highest_modseq
}

/// The store's mod-sequence of INBOX message `uid`.
pub async fn modseq_of(env: &Env, uid: u32) -> u64 {
    let inbox = env.inbox().await;
    env.core
        .storage()
        .store
        .message_summaries(inbox.id)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.uid == uid)
        .map(|m| m.modseq)
        .unwrap()
}

/// Expected response lines: each of `v` with its CRLF.
pub fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|l| format!("{l}\r\n")).collect()
}

/// Sends `cmd` and asserts the state table's refusal (RFC 9051 §6: a command not valid in the
/// current state is BAD); `name` is the command as the server names it (e.g. `UID EXPUNGE`).
pub async fn refused_in_state(c: &mut Client, cmd: &str, name: &str) {
    let tag = cmd.split(' ').next().unwrap();
    assert_eq!(
        c.cmd(cmd).await,
        vec![format!("{tag} BAD {name} is not allowed in this state\r\n")],
        "{cmd}"
    );
}

/// Sends `cmd` and asserts exactly one tagged line `want` (CRLF added).
pub async fn only(c: &mut Client, cmd: &str, want: &str) {
    assert_eq!(c.cmd(cmd).await, vec![format!("{want}\r\n")], "{cmd}");
}

/// Standard base64 (RFC 4648 §4) for SASL responses.
pub fn base64_encode(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The capabilities every state announces (op/capability.rs `BASE` and `APPENDLIMIT`).
pub const BASE_CAPS: &str = "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ENABLE ID IDLE NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE CREATE-SPECIAL-USE LIST-EXTENDED LIST-STATUS STATUS=SIZE MULTIAPPEND UTF8=ACCEPT CONDSTORE QRESYNC BINARY OBJECTID PREVIEW SAVEDATE ESEARCH SEARCHRES SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES METADATA METADATA-SERVER QUOTA QUOTA=RES-STORAGE NOTIFY ACL RIGHTS=texk APPENDLIMIT=67108864";
