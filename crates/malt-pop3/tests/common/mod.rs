//! Shared by the integration tests: the real listener layer on port 0 with the POP3 handler, a SQLite store
//! in a temporary directory, one account, a line-oriented raw client, and a runner for Python scripts.
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
use malt_pop3::Pop3Handler;
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
    pub pop3: SocketAddr,
    /// Implicit TLS listener.
    pub pop3s: SocketAddr,
    /// Plain listener expecting a PROXY v1 header.
    pub proxied: SocketAddr,
    pub cert: PathBuf,
}

pub async fn start() -> Env {
    start_with(|_| {}).await
}

pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut config = Config::zero_config(dir.path().to_path_buf());
    config.hostname = "mail.test".to_owned();
    let mut proxied = ListenerConfig::new("pop3-proxied", Protocol::Pop3, lo, 0, TlsMode::None);
    proxied.proxy_protocol = ProxyProtocol::V1;
    config.listeners = vec![
        ListenerConfig::new("pop3", Protocol::Pop3, lo, 0, TlsMode::StartTls),
        ListenerConfig::new("pop3s", Protocol::Pop3, lo, 0, TlsMode::Implicit),
        proxied,
    ];
    tweak(&mut config);

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
    let auth = Authenticator::new(storage.store.clone(), AuthSettings::default());
    let core = MailCore::new(storage, MailSettings::default());

    let tls = Arc::new(TlsManager::from_config(&config).unwrap());
    let handler: Arc<dyn Handler> = Arc::new(Pop3Handler::new(core.clone(), auth));
    let handlers: HashMap<Protocol, Arc<dyn Handler>> = [(Protocol::Pop3, handler)].into_iter().collect();
    let server = Server::start(Arc::new(config), tls, handlers).await.unwrap();
    let pop3 = server.local_addr("pop3").unwrap();
    let pop3s = server.local_addr("pop3s").unwrap();
    let proxied = server.local_addr("pop3-proxied").unwrap();
    let cert = dir.path().join("tls").join("cert.pem");
    assert!(cert.exists());
    Env {
        dir,
        server: Some(server),
        core,
        account,
        pop3,
        pop3s,
        proxied,
        cert,
    }
}

impl Env {
    pub async fn inbox(&self) -> malt_store::Mailbox {
        self.core
            .mailbox_required(self.account.id, "INBOX")
            .await
            .unwrap()
    }

    /// Appends `raw` to INBOX; returns its UID.
    pub async fn append(&self, raw: &[u8]) -> Uid {
        let inbox = self.inbox().await;
        self.core
            .append(self.account.id, inbox.id, raw, Flags::default(), None)
            .await
            .unwrap()
            .uid
    }

    /// The UIDs in INBOX, ascending.
    pub async fn uids(&self) -> Vec<Uid> {
        let inbox = self.inbox().await;
        self.core
            .storage()
            .store
            .message_summaries(inbox.id)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.uid)
            .collect()
    }

    /// Flags of every INBOX message, by UID.
    pub async fn flags(&self) -> Vec<(Uid, Flags)> {
        let inbox = self.inbox().await;
        self.core
            .storage()
            .store
            .message_summaries(inbox.id)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.uid, m.flags))
            .collect()
    }

    /// Expunges `uid` as an IMAP client would (STORE +FLAGS \Deleted, UID EXPUNGE).
    pub async fn imap_expunge(&self, uid: Uid) {
        let inbox = self.inbox().await;
        let set = UidSet::from_uids([uid]);
        let deleted = Flags::new(malt_store::flag::DELETED, []);
        self.core
            .store_flags(
                self.account.id,
                inbox.id,
                &set,
                malt_store::FlagOp::Add,
                &deleted,
                None,
            )
            .await
            .unwrap();
        let gone = self
            .core
            .expunge(self.account.id, inbox.id, Some(&set))
            .await
            .unwrap();
        assert_eq!(gone, vec![uid]);
    }

    pub async fn uidvalidity(&self) -> u32 {
        self.inbox().await.uidvalidity
    }

    pub async fn client(&self) -> Client {
        Client::connect(self.pop3).await
    }

    /// A logged-in raw client on the STARTTLS listener (plaintext on loopback).
    pub async fn logged_in(&self) -> Client {
        let mut c = self.client().await;
        c.login().await;
        c
    }
}

/// A line-oriented raw POP3 client.
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
        let header = format!("PROXY TCP4 {remote} 127.0.0.1 40000 110\r\n");
        s.write_all(header.as_bytes()).await.unwrap();
        let mut c = Client {
            r: BufReader::new(s),
            greeting: String::new(),
        };
        c.greeting = c.line().await;
        c
    }

    /// Reads one line (with its CRLF); empty at EOF.
    pub async fn line(&mut self) -> String {
        let mut buf = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), self.r.read_until(b'\n', &mut buf))
            .await
            .expect("timed out waiting for a line")
            .unwrap();
        String::from_utf8(buf).unwrap()
    }

    pub async fn send(&mut self, raw: &[u8]) {
        self.r.get_mut().write_all(raw).await.unwrap();
    }

    /// Sends `cmd` with CRLF and returns the first response line.
    pub async fn cmd(&mut self, cmd: &str) -> String {
        self.send(format!("{cmd}\r\n").as_bytes()).await;
        self.line().await
    }

    /// Reads a multi-line body up to and excluding the terminator, each line raw (CRLF and stuffing
    /// included).
    pub async fn body(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let l = self.line().await;
            assert!(!l.is_empty(), "EOF inside a multi-line response");
            assert!(l.ends_with("\r\n"), "line without CRLF: {l:?}");
            if l == ".\r\n" {
                return out;
            }
            out.push(l);
        }
    }

    /// The multi-line body as bytes, un-stuffed as a client does (RFC 1939 §3).
    pub async fn body_bytes(&mut self) -> Vec<u8> {
        self.body()
            .await
            .into_iter()
            .flat_map(|l| l.strip_prefix('.').map(str::to_owned).unwrap_or(l).into_bytes())
            .collect()
    }

    pub async fn login(&mut self) {
        assert_eq!(self.cmd(&format!("USER {USER}")).await, "+OK\r\n");
        let r = self.cmd(&format!("PASS {PASS}")).await;
        assert!(r.starts_with("+OK"), "{r}");
    }

    /// Expects the server to close the connection.
    pub async fn expect_eof(&mut self) {
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), self.r.read_to_end(&mut rest))
            .await
            .unwrap()
            .unwrap();
        assert!(
            rest.is_empty(),
            "unexpected data: {:?}",
            String::from_utf8_lossy(&rest)
        );
    }
}

/// Runs `script` with python3; `env` is passed as environment variables. Returns stdout; panics with
/// stderr when the script fails.
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

/// The environment every Python script gets.
pub fn py_env(env: &Env) -> Vec<(&'static str, String)> {
    vec![
        ("POP3_PORT", env.pop3.port().to_string()),
        ("POP3S_PORT", env.pop3s.port().to_string()),
        ("POP3_USER", USER.to_owned()),
        ("POP3_PASS", PASS.to_owned()),
        ("POP3_CERT", env.cert.display().to_string()),
    ]
}

/// A Python prelude: imports and a TLS context trusting the generated certificate.
pub const PY_PRELUDE: &str = r#"
import os, poplib, ssl, base64, sys
PORT = int(os.environ["POP3_PORT"]); PORTS = int(os.environ["POP3S_PORT"])
USER = os.environ["POP3_USER"]; PASS = os.environ["POP3_PASS"]
ctx = ssl.create_default_context(cafile=os.environ["POP3_CERT"])
"#;
