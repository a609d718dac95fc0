//! Shared by the SMTP-family integration tests: `malt-testkit`'s environment (real listeners on port 0,
//! a SQLite store, the account alice@example.org) serving LMTP ([`Env`]), SMTP MX ([`MxEnv`]) or
//! submission ([`SubEnv`]), more accounts and aliases, and a raw reply-aware client.
#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use malt_config::{Config, Protocol};
use malt_core::auth::password::{PasswordHasherParams, hash_with};
use malt_server::Handler;
use malt_smtp::{LmtpHandler, SmtpHandler, SubmissionHandler};
use malt_store::{Account, NewAccount, UidSet};
use malt_testkit::{TestEnv, wire};
use tokio::io::BufReader;
use tokio::net::TcpStream;

pub use malt_testkit::{PASS, USER, python};

malt_testkit::protocol_env!(Env, lmtp, lmtps);
malt_testkit::protocol_env!(MxEnv, smtp, smtps);
malt_testkit::protocol_env!(SubEnv, submission, submissions);

/// The password of the accounts [`Kit::add_account`] creates.
pub const OTHER_PASS: &str = "pw";

pub async fn start() -> Env {
    start_with(|_| {}).await
}

pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Env {
    let handler =
        async |p: &malt_testkit::TestParts| Arc::new(LmtpHandler::new(p.core.clone())) as Arc<dyn Handler>;
    malt_testkit::start_with(Protocol::Lmtp, tweak, handler)
        .await
        .into()
}

/// An SMTP MX server (listeners `smtp` with STARTTLS, `smtps`, `smtp-proxied`).
pub async fn start_mx(tweak: impl FnOnce(&mut Config)) -> MxEnv {
    let handler = async |p: &malt_testkit::TestParts| {
        Arc::new(SmtpHandler::new(p.core.clone(), p.auth.clone())) as Arc<dyn Handler>
    };
    malt_testkit::start_with(Protocol::Smtp, tweak, handler)
        .await
        .into()
}

/// A submission server (listeners `submission` with STARTTLS, `submissions`, `submission-proxied`).
pub async fn start_sub(tweak: impl FnOnce(&mut Config)) -> SubEnv {
    let handler = async |p: &malt_testkit::TestParts| {
        Arc::new(SubmissionHandler::new(p.core.clone(), p.auth.clone())) as Arc<dyn Handler>
    };
    malt_testkit::start_with(Protocol::Submission, tweak, handler)
        .await
        .into()
}

/// Store helpers shared by the three environments.
pub trait Kit {
    fn kit(&self) -> &TestEnv;
    /// The listener with STARTTLS.
    fn main_addr(&self) -> SocketAddr;
    /// The greeting verb (LHLO or EHLO).
    fn hello(&self) -> &'static str;

    /// Creates another account in example.org (password [`OTHER_PASS`]), with an optional quota in
    /// octets.
    async fn add_account(&self, address: &str, quota: Option<u64>) -> Account {
        let store = &self.kit().core.storage().store;
        let account = store
            .account_create(NewAccount {
                address: address.to_owned(),
                password_hash: hash_with(OTHER_PASS, &PasswordHasherParams::for_tests()).unwrap(),
                quota_bytes: None,
            })
            .await
            .unwrap();
        if quota.is_some() {
            store.account_set_quota(account.id, quota).await.unwrap();
        }
        account
    }

    async fn add_alias(&self, address: &str, target: &str) {
        let store = &self.kit().core.storage().store;
        store.alias_add(address, target).await.unwrap();
    }

    /// The raw messages in `account`'s INBOX, by ascending UID.
    async fn inbox_of(&self, account: &Account) -> Vec<Vec<u8>> {
        let core = &self.kit().core;
        let store = &core.storage().store;
        let inbox = core.mailbox_required(account.id, "INBOX").await.unwrap();
        let uids: Vec<_> = store
            .message_summaries(inbox.id)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.uid)
            .collect();
        let mut out = Vec::new();
        for m in store.messages(inbox.id, &UidSet::from_uids(uids)).await.unwrap() {
            out.push(core.read_message(&m).await.unwrap());
        }
        out
    }

    /// How many blobs the blob store holds.
    fn blob_count(&self) -> usize {
        self.kit().core.storage().blobs.list().unwrap().len()
    }

    /// The messages of the test account (alice) as text.
    async fn alice_inbox(&self) -> Vec<String> {
        let account = self.kit().account.clone();
        self.inbox_of(&account)
            .await
            .into_iter()
            .map(|m| String::from_utf8(m).unwrap())
            .collect()
    }

    /// A raw client on the STARTTLS listener, greeting read.
    async fn client(&self) -> Client {
        Client::connect(self.main_addr()).await
    }

    /// A raw client after `LHLO`/`EHLO client.test`.
    async fn greeted(&self) -> Client {
        let mut c = self.client().await;
        let r = c.cmd(&format!("{} client.test", self.hello())).await;
        assert!(r.last().unwrap().starts_with("250 "), "{r:?}");
        c
    }
}

impl Kit for Env {
    fn kit(&self) -> &TestEnv {
        &self.kit
    }
    fn main_addr(&self) -> SocketAddr {
        self.lmtp
    }
    fn hello(&self) -> &'static str {
        "LHLO"
    }
}

impl Kit for MxEnv {
    fn kit(&self) -> &TestEnv {
        &self.kit
    }
    fn main_addr(&self) -> SocketAddr {
        self.smtp
    }
    fn hello(&self) -> &'static str {
        "EHLO"
    }
}

impl Kit for SubEnv {
    fn kit(&self) -> &TestEnv {
        &self.kit
    }
    fn main_addr(&self) -> SocketAddr {
        self.submission
    }
    fn hello(&self) -> &'static str {
        "EHLO"
    }
}

impl SubEnv {
    /// A raw client on the STARTTLS listener (loopback: plaintext AUTH allowed), greeted and
    /// authenticated as `user`.
    pub async fn authed_as(&self, user: &str, pass: &str) -> Client {
        let mut c = self.greeted().await;
        assert_eq!(
            c.cmd1(&format!("AUTH PLAIN {}", plain(user, pass))).await,
            "235 2.7.0 Authentication successful"
        );
        c
    }

    /// As [`SubEnv::authed_as`] for alice.
    pub async fn authed(&self) -> Client {
        self.authed_as(USER, PASS).await
    }
}

/// The SASL PLAIN initial response for `user` / `pass`, base64.
pub fn plain(user: &str, pass: &str) -> String {
    B64.encode(format!("\0{user}\0{pass}"))
}

pub fn b64(s: &str) -> String {
    B64.encode(s)
}

/// A raw SMTP/LMTP client that reads whole (multi-line) replies.
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
        let (r, greeting) = wire::connect(addr, Some((remote, 25))).await;
        Client { r, greeting }
    }

    /// Reads one line (CRLF stripped); empty at EOF.
    pub async fn line(&mut self) -> String {
        let l = String::from_utf8(wire::line(&mut self.r).await).unwrap();
        l.trim_end_matches("\r\n").to_owned()
    }

    /// Reads one reply: its lines, up to the one with a space after the code.
    pub async fn reply(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let l = self.line().await;
            let last = l.len() < 4 || l.as_bytes()[3] == b' ';
            out.push(l);
            if last {
                return out;
            }
        }
    }

    /// Reads a one-line reply.
    pub async fn one(&mut self) -> String {
        let r = self.reply().await;
        assert_eq!(r.len(), 1, "{r:?}");
        r.into_iter().next().unwrap()
    }

    /// Sends raw bytes.
    pub async fn send(&mut self, raw: &[u8]) {
        wire::send(&mut self.r, raw).await;
    }

    /// Sends `cmd` with CRLF and reads one reply.
    pub async fn cmd(&mut self, cmd: &str) -> Vec<String> {
        self.send(format!("{cmd}\r\n").as_bytes()).await;
        self.reply().await
    }

    /// Sends `cmd` with CRLF and reads a one-line reply.
    pub async fn cmd1(&mut self, cmd: &str) -> String {
        self.send(format!("{cmd}\r\n").as_bytes()).await;
        self.one().await
    }

    /// Sends DATA, the message (`CRLF.CRLF` appended) and returns the final reply.
    pub async fn data(&mut self, message: &str) -> String {
        assert_eq!(
            self.cmd1("DATA").await,
            "354 Start mail input; end with <CRLF>.<CRLF>"
        );
        self.send(format!("{message}\r\n.\r\n").as_bytes()).await;
        self.one().await
    }

    /// Reads everything until the server closes.
    pub async fn rest(&mut self) -> String {
        String::from_utf8_lossy(&wire::rest(&mut self.r).await).into_owned()
    }
}

/// Runs a Python `script` after a prelude that imports `os`, `smtplib` and `ssl` and defines
/// `PORT` (`port`), `TLSPORT` (`tls_port`), `USER`/`PASS` (alice) and `ctx`, an SSL context trusting
/// `env`'s self-signed certificate (host name not checked). Returns the script's output lines.
pub async fn smtplib(env: &impl Kit, port: u16, tls_port: u16, script: &str) -> Vec<String> {
    let prelude = r#"
import os, smtplib, ssl
PORT, TLSPORT = int(os.environ["PORT"]), int(os.environ["TLSPORT"])
USER, PASS = os.environ["USER"], os.environ["PASS"]
ctx = ssl.create_default_context(cafile=os.environ["CERT"])
ctx.check_hostname = False
"#;
    let out = python(
        &format!("{prelude}{script}"),
        &[
            ("PORT", port.to_string()),
            ("TLSPORT", tls_port.to_string()),
            ("CERT", env.kit().cert.to_str().unwrap().to_owned()),
            ("USER", USER.to_owned()),
            ("PASS", PASS.to_owned()),
        ],
    )
    .await;
    out.lines().map(str::to_owned).collect()
}

/// A small test message.
pub fn msg(subject: &str, body: &str) -> String {
    format!(
        "From: Sender <sender@remote.test>\r\nTo: alice@example.org\r\nSubject: {subject}\r\n\
         Message-ID: <{subject}@remote.test>\r\n\r\n{body}"
    )
}

/// The head of a stored message up to the end of its first `Received:` field.
pub fn received(stored: &str) -> &str {
    let start = stored.find("Received: ").unwrap();
    let end = stored[start..].find(" +0000\r\n").unwrap();
    &stored[start..start + end]
}
