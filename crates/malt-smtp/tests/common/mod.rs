//! Shared by the LMTP integration tests: `malt-testkit`'s environment (real listeners on port 0, a SQLite
//! store, the account alice@example.org) serving LMTP, more accounts, and a raw reply-aware client.
#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::net::SocketAddr;
use std::sync::Arc;

use malt_config::{Config, Protocol};
use malt_core::auth::password::{PasswordHasherParams, hash_with};
use malt_server::Handler;
use malt_smtp::LmtpHandler;
use malt_store::{Account, NewAccount, UidSet};
use malt_testkit::wire;
use tokio::io::BufReader;
use tokio::net::TcpStream;

pub use malt_testkit::{USER, python};

malt_testkit::protocol_env!(Env, lmtp, lmtps);

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

impl Env {
    /// Creates another account in example.org, with an optional quota in octets.
    pub async fn add_account(&self, address: &str, quota: Option<u64>) -> Account {
        let store = &self.core.storage().store;
        let account = store
            .account_create(NewAccount {
                address: address.to_owned(),
                password_hash: hash_with("pw", &PasswordHasherParams::for_tests()).unwrap(),
                quota_bytes: None,
            })
            .await
            .unwrap();
        if quota.is_some() {
            store.account_set_quota(account.id, quota).await.unwrap();
        }
        account
    }

    /// The raw messages in `account`'s INBOX, by ascending UID.
    pub async fn inbox_of(&self, account: &Account) -> Vec<Vec<u8>> {
        let store = &self.core.storage().store;
        let inbox = self.core.mailbox_required(account.id, "INBOX").await.unwrap();
        let uids: Vec<_> = store
            .message_summaries(inbox.id)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.uid)
            .collect();
        let mut out = Vec::new();
        for m in store.messages(inbox.id, &UidSet::from_uids(uids)).await.unwrap() {
            out.push(self.core.read_message(&m.blob_id).await.unwrap());
        }
        out
    }

    /// A raw client on the STARTTLS listener, greeting read.
    pub async fn client(&self) -> Client {
        Client::connect(self.lmtp).await
    }

    /// A raw client after `LHLO client.test`.
    pub async fn greeted(&self) -> Client {
        let mut c = self.client().await;
        let r = c.cmd("LHLO client.test").await;
        assert!(r.last().unwrap().starts_with("250 "), "{r:?}");
        c
    }
}

/// A raw LMTP client that reads whole (multi-line) replies.
pub struct Client {
    pub r: BufReader<TcpStream>,
    pub greeting: String,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        let (r, greeting) = wire::connect(addr, None).await;
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

    /// Reads everything until the server closes.
    pub async fn rest(&mut self) -> String {
        String::from_utf8_lossy(&wire::rest(&mut self.r).await).into_owned()
    }
}

/// A small test message.
pub fn msg(subject: &str, body: &str) -> String {
    format!(
        "From: Sender <sender@remote.test>\r\nTo: alice@example.org\r\nSubject: {subject}\r\n\
         Message-ID: <{subject}@remote.test>\r\n\r\n{body}"
    )
}
