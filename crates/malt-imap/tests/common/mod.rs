//! Shared by the integration tests: the real listener layer on port 0 with the IMAP handler, a SQLite
//! store in a temporary directory, one account, a raw IMAP client, and a runner for Python scripts.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use malt_config::{Config, ListenerConfig, Protocol, ProxyProtocol, TlsMode};
use malt_core::auth::password::{PasswordHasherParams, hash_with};
use malt_core::storage::{BackendChoice, open_storage};
use malt_core::{AuthSettings, Authenticator, MailCore, MailSettings};
use malt_imap::Imap4Handler;
use malt_server::{Handler, Server, TlsManager};
use malt_store::{Account, Flags, NewAccount, Uid, UidSet};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub const USER: &str = "alice@example.org";
pub const PASS: &str = "correct horse";

pub struct Env {
    pub dir: tempfile::TempDir,
    pub server: Option<Server>,
    pub core: MailCore,
    pub account: Account,
    /// STARTTLS listener.
    pub imap: SocketAddr,
    /// Implicit TLS listener.
    pub imaps: SocketAddr,
    /// Plain listener expecting a PROXY v1 header (to appear as a remote client).
    pub proxied: SocketAddr,
    pub cert: PathBuf,
}

pub async fn start() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut config = Config::zero_config(dir.path().to_path_buf());
    config.hostname = "mail.test".to_owned();
    let mut proxied = ListenerConfig::new("imap-proxied", Protocol::Imap, lo, 0, TlsMode::None);
    proxied.proxy_protocol = ProxyProtocol::V1;
    config.listeners = vec![
        ListenerConfig::new("imap", Protocol::Imap, lo, 0, TlsMode::StartTls),
        ListenerConfig::new("imaps", Protocol::Imap, lo, 0, TlsMode::Implicit),
        proxied,
    ];
    let storage = open_storage(
        BackendChoice::Sqlite {
            path: dir.path().join("malt.db"),
        },
        dir.path().join("blobs"),
    )
    .await
    .unwrap();
    storage.store.domain_add("example.org").await.unwrap();
    let account = storage
        .store
        .account_create(NewAccount {
            address: USER.to_owned(),
            password_hash: hash_with(PASS, &PasswordHasherParams::for_tests()).unwrap(),
            quota_bytes: None,
        })
        .await
        .unwrap();
    let feed = storage.change_feed().await.unwrap();
    let auth = Authenticator::new(storage.store.clone(), AuthSettings::default());
    let core = MailCore::new(storage, MailSettings::default());
    let tls = Arc::new(TlsManager::from_config(&config).unwrap());
    let handler: Arc<dyn Handler> = Arc::new(Imap4Handler::new(core.clone(), auth, feed));
    let handlers: HashMap<Protocol, Arc<dyn Handler>> = [(Protocol::Imap, handler)].into_iter().collect();
    let server = Server::start(Arc::new(config), tls, handlers).await.unwrap();
    let imap = server.local_addr("imap").unwrap();
    let imaps = server.local_addr("imaps").unwrap();
    let proxied = server.local_addr("imap-proxied").unwrap();
    let cert = dir.path().join("tls").join("cert.pem");
    Env {
        dir,
        server: Some(server),
        core,
        account,
        imap,
        imaps,
        proxied,
        cert,
    }
}

impl Env {
    pub async fn mailbox(&self, name: &str) -> malt_store::Mailbox {
        self.core.mailbox_required(self.account.id, name).await.unwrap()
    }

    /// Appends `raw` to `mailbox` as another client would; returns its UID.
    pub async fn append_to(&self, mailbox: &str, raw: &[u8]) -> Uid {
        let mb = self.mailbox(mailbox).await;
        self.core
            .append(self.account.id, mb.id, raw, Flags::default(), None)
            .await
            .unwrap()
            .uid
    }

    pub async fn append(&self, raw: &[u8]) -> Uid {
        self.append_to("INBOX", raw).await
    }

    /// Another session sets `flags` (added) on `uid` in INBOX.
    pub async fn add_flags(&self, uid: Uid, flags: Flags) {
        let mb = self.mailbox("INBOX").await;
        self.core
            .store_flags(
                self.account.id,
                mb.id,
                &UidSet::from_uids([uid]),
                malt_store::FlagOp::Add,
                &flags,
                None,
            )
            .await
            .unwrap();
    }

    /// Another session expunges `uid` from INBOX.
    pub async fn expunge(&self, uid: Uid) {
        self.add_flags(uid, Flags::new(malt_store::flag::DELETED, []))
            .await;
        let mb = self.mailbox("INBOX").await;
        let gone = self
            .core
            .expunge(self.account.id, mb.id, Some(&UidSet::from_uids([uid])))
            .await
            .unwrap();
        assert_eq!(gone, vec![uid]);
    }

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
        let s = TcpStream::connect(addr).await.unwrap();
        let mut c = Client {
            r: BufReader::new(s),
            greeting: String::new(),
        };
        c.greeting = c.line().await;
        c
    }

    /// Connects to a PROXY v1 listener claiming the client is `remote`.
    pub async fn connect_proxied(addr: SocketAddr, remote: &str) -> Client {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let header = format!("PROXY TCP4 {remote} 127.0.0.1 40000 143\r\n");
        s.write_all(header.as_bytes()).await.unwrap();
        let mut c = Client {
            r: BufReader::new(s),
            greeting: String::new(),
        };
        c.greeting = c.line().await;
        c
    }

    async fn raw_line(&mut self) -> String {
        let mut buf = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), self.r.read_until(b'\n', &mut buf))
            .await
            .expect("timed out waiting for a line")
            .unwrap();
        String::from_utf8_lossy(&buf).into_owned()
    }

    /// One response line with literals inlined; empty at EOF.
    pub async fn line(&mut self) -> String {
        let mut out = String::new();
        loop {
            let l = self.raw_line().await;
            out.push_str(&l);
            let t = l.trim_end();
            if let Some(open) = t.rfind('{')
                && t.ends_with('}')
                && let Ok(n) = t[open + 1..t.len() - 1].parse::<usize>()
            {
                let mut data = vec![0u8; n];
                tokio::time::timeout(Duration::from_secs(10), self.r.read_exact(&mut data))
                    .await
                    .unwrap()
                    .unwrap();
                out.push_str(&String::from_utf8_lossy(&data));
                continue;
            }
            return out;
        }
    }

    pub async fn send(&mut self, raw: &[u8]) {
        self.r.get_mut().write_all(raw).await.unwrap();
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
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), self.r.read_to_end(&mut rest))
            .await
            .unwrap()
            .unwrap();
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

/// Runs `script` with python3; `env` is passed as environment variables. Returns stdout.
pub async fn python(script: &str, env: &[(&str, String)]) -> String {
    let mut cmd = tokio::process::Command::new("python3");
    cmd.arg("-c").arg(script);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "python failed: {}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
