//! Test support shared by the protocol crates' integration tests: the real listener layer on port 0 with one
//! protocol handler, a SQLite store in a temporary directory, one account, store helpers that act as
//! "another client", and a runner for Python scripts.
//!
//! For tests of Malt as an SMTP *client* (outbound delivery, sender authentication): [`DnsServer`], a DNS
//! server serving a test zone on loopback, and [`SmtpSink`], an SMTP server that records what it receives.
//!
//! This crate is a dev-dependency only (`publish = false`). Like code under `tests/`, it may unwrap, expect,
//! panic and index: a failure here is a failed test, so the workspace's deny lints are allowed below.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod dns;
pub mod smtp_sink;

pub use dns::{DnsServer, Record};
pub use smtp_sink::{ConnectionLog, Rcpt, SinkOptions, SmtpSink, Transaction};

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use malt_config::{Config, ListenerConfig, Protocol, ProxyProtocol, TlsMode};
use malt_core::auth::password::{PasswordHasherParams, hash_with};
use malt_core::storage::{BackendChoice, open_storage};
use malt_core::{AuthSettings, Authenticator, MailCore, MailSettings};
use malt_server::{Handler, Server, TlsManager};
use malt_store::{Account, Flags, Mailbox, NewAccount, Uid, UidSet};

/// The test account's address.
pub const USER: &str = "alice@example.org";
/// The test account's password.
pub const PASS: &str = "correct horse";

/// What a handler factory gets to build the protocol handler under test.
pub struct TestParts {
    pub core: MailCore,
    pub auth: Authenticator,
}

/// A running server with one protocol's listeners, its store and the test account.
///
/// Listeners, all on loopback port 0, named after the protocol `p` (e.g. `imap`):
/// `p` (STARTTLS), `ps` (implicit TLS) and `p-proxied` (plain, expecting a PROXY v1 header so the
/// connection appears to come from a remote client).
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    /// `None` once a test has taken it to shut it down.
    pub server: Option<Server>,
    pub core: MailCore,
    pub auth: Authenticator,
    pub account: Account,
    /// The generated self-signed certificate (PEM) the TLS listeners present.
    pub cert: PathBuf,
    /// Bound address of every listener, by name.
    pub listeners: HashMap<String, SocketAddr>,
}

/// Starts `protocol`'s listeners with the handler built by `handler`.
pub async fn start(protocol: Protocol, handler: impl AsyncFnOnce(&TestParts) -> Arc<dyn Handler>) -> TestEnv {
    start_with(protocol, |_| {}, handler).await
}

/// As [`start`], letting the test adjust the configuration before the server starts.
pub async fn start_with(
    protocol: Protocol,
    tweak: impl FnOnce(&mut Config),
    handler: impl AsyncFnOnce(&TestParts) -> Arc<dyn Handler>,
) -> TestEnv {
    let dir = tempfile::tempdir().unwrap();
    let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let name = protocol.as_str();
    let mut config = Config::zero_config(dir.path().to_path_buf());
    config.hostname = "mail.test".to_owned();
    let mut proxied = ListenerConfig::new(&format!("{name}-proxied"), protocol, lo, 0, TlsMode::None);
    proxied.proxy_protocol = ProxyProtocol::V1;
    config.listeners = vec![
        ListenerConfig::new(name, protocol, lo, 0, TlsMode::StartTls),
        ListenerConfig::new(&format!("{name}s"), protocol, lo, 0, TlsMode::Implicit),
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
    let parts = TestParts {
        core: core.clone(),
        auth: auth.clone(),
    };
    let handler = handler(&parts).await;

    let tls = Arc::new(TlsManager::from_config(&config).unwrap());
    let handlers: HashMap<Protocol, Arc<dyn Handler>> = [(protocol, handler)].into_iter().collect();
    let server = Server::start(Arc::new(config), tls, handlers).await.unwrap();
    let listeners = server.local_addrs().iter().cloned().collect();
    let cert = dir.path().join("tls").join("cert.pem");
    assert!(cert.exists());
    TestEnv {
        dir,
        server: Some(server),
        core,
        auth,
        account,
        cert,
        listeners,
    }
}

impl TestEnv {
    /// The bound address of listener `name`; panics if there is none.
    pub fn addr(&self, name: &str) -> SocketAddr {
        *self
            .listeners
            .get(name)
            .unwrap_or_else(|| panic!("no listener {name}"))
    }

    pub async fn mailbox(&self, name: &str) -> Mailbox {
        self.core.mailbox_required(self.account.id, name).await.unwrap()
    }

    pub async fn inbox(&self) -> Mailbox {
        self.mailbox("INBOX").await
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

    /// Appends `raw` to INBOX; returns its UID.
    pub async fn append(&self, raw: &[u8]) -> Uid {
        self.append_to("INBOX", raw).await
    }

    /// Another session sets `flags` (added) on `uid` in INBOX.
    pub async fn add_flags(&self, uid: Uid, flags: Flags) {
        let mb = self.inbox().await;
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

    /// Another session expunges `uid` from INBOX (STORE +FLAGS \Deleted, UID EXPUNGE).
    pub async fn expunge(&self, uid: Uid) {
        self.add_flags(uid, Flags::new(malt_store::flag::DELETED, []))
            .await;
        let mb = self.inbox().await;
        let gone = self
            .core
            .expunge(self.account.id, mb.id, Some(&UidSet::from_uids([uid])))
            .await
            .unwrap();
        assert_eq!(gone, vec![uid]);
    }

    /// The UIDs in INBOX, ascending.
    pub async fn uids(&self) -> Vec<Uid> {
        self.flags().await.into_iter().map(|(uid, _)| uid).collect()
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

    pub async fn uidvalidity(&self) -> u32 {
        self.inbox().await.uidvalidity
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

/// Declares a protocol's test environment `$name`: the [`TestEnv`] as `kit` (dereferencing to it, so
/// `env.core`, `env.append(..)` and `env.server.take()` work) plus the address of each listener [`start`]
/// creates — `$starttls` (listener named like the field, e.g. `imap`), `$implicit` (e.g. `imaps`) and
/// `proxied` (`<starttls>-proxied`) — and `From<TestEnv>` looking them up.
///
/// ```text
/// malt_testkit::protocol_env!(Env, imap, imaps);
/// ```
#[macro_export]
macro_rules! protocol_env {
    ($name:ident, $starttls:ident, $implicit:ident) => {
        /// The kit's environment (store helpers, `core`, `account`, `cert`, `server`...) and the listeners.
        pub struct $name {
            pub kit: $crate::TestEnv,
            /// STARTTLS listener.
            pub $starttls: ::std::net::SocketAddr,
            /// Implicit TLS listener.
            pub $implicit: ::std::net::SocketAddr,
            /// Plain listener expecting a PROXY v1 header (to appear as a remote client).
            pub proxied: ::std::net::SocketAddr,
        }

        impl ::std::ops::Deref for $name {
            type Target = $crate::TestEnv;
            fn deref(&self) -> &$crate::TestEnv {
                &self.kit
            }
        }

        impl ::std::ops::DerefMut for $name {
            fn deref_mut(&mut self) -> &mut $crate::TestEnv {
                &mut self.kit
            }
        }

        impl ::std::convert::From<$crate::TestEnv> for $name {
            fn from(kit: $crate::TestEnv) -> Self {
                $name {
                    $starttls: kit.addr(stringify!($starttls)),
                    $implicit: kit.addr(stringify!($implicit)),
                    proxied: kit.addr(concat!(stringify!($starttls), "-proxied")),
                    kit,
                }
            }
        }
    };
}

/// Byte-level helpers for the protocols' raw test clients; every read times out after 10 s.
pub mod wire {
    use std::net::SocketAddr;
    use std::time::Duration;

    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpStream;

    const READ_TIMEOUT: Duration = Duration::from_secs(10);

    /// Connects to `addr`; with `proxy = Some((remote, port))` first sends a PROXY v1 header claiming the
    /// client is `remote` talking to 127.0.0.1:`port`. Returns the stream and the greeting line (lossy
    /// UTF-8, CRLF included).
    pub async fn connect(addr: SocketAddr, proxy: Option<(&str, u16)>) -> (BufReader<TcpStream>, String) {
        let mut s = TcpStream::connect(addr).await.unwrap();
        if let Some((remote, port)) = proxy {
            let header = format!("PROXY TCP4 {remote} 127.0.0.1 40000 {port}\r\n");
            s.write_all(header.as_bytes()).await.unwrap();
        }
        let mut r = BufReader::new(s);
        let greeting = String::from_utf8_lossy(&line(&mut r).await).into_owned();
        (r, greeting)
    }

    /// One line up to and including LF; empty at EOF.
    pub async fn line(r: &mut BufReader<TcpStream>) -> Vec<u8> {
        let mut buf = Vec::new();
        tokio::time::timeout(READ_TIMEOUT, r.read_until(b'\n', &mut buf))
            .await
            .expect("timed out waiting for a line")
            .unwrap();
        buf
    }

    /// Exactly `n` bytes (a literal's data).
    pub async fn exact(r: &mut BufReader<TcpStream>, n: usize) -> Vec<u8> {
        let mut data = vec![0u8; n];
        tokio::time::timeout(READ_TIMEOUT, r.read_exact(&mut data))
            .await
            .unwrap()
            .unwrap();
        data
    }

    /// Everything up to EOF; panics unless the server closes the connection in time.
    pub async fn rest(r: &mut BufReader<TcpStream>) -> Vec<u8> {
        let mut rest = Vec::new();
        tokio::time::timeout(READ_TIMEOUT, r.read_to_end(&mut rest))
            .await
            .unwrap()
            .unwrap();
        rest
    }

    pub async fn send(r: &mut BufReader<TcpStream>, raw: &[u8]) {
        r.get_mut().write_all(raw).await.unwrap();
    }
}
