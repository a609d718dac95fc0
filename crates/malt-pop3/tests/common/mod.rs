//! Shared by the integration tests: `malt-testkit`'s environment (real listeners on port 0, a SQLite store,
//! one account) serving POP3, a line-oriented raw client, and the Python prelude.
#![allow(dead_code, unused_imports, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use malt_config::{Config, Protocol};
use malt_pop3::Pop3Handler;
use malt_server::Handler;
use malt_store::Uid;
use malt_testkit::wire;
use tokio::io::BufReader;
use tokio::net::TcpStream;

pub use malt_testkit::{PASS, USER, python};

malt_testkit::protocol_env!(Env, pop3, pop3s);

pub async fn start() -> Env {
    start_with(|_| {}).await
}

pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Env {
    let handler = async |p: &malt_testkit::TestParts| {
        Arc::new(Pop3Handler::new(p.core.clone(), p.auth.clone())) as Arc<dyn Handler>
    };
    malt_testkit::start_with(Protocol::Pop3, tweak, handler)
        .await
        .into()
}

impl Env {
    /// Expunges `uid` as an IMAP client would (STORE +FLAGS \Deleted, UID EXPUNGE).
    pub async fn imap_expunge(&self, uid: Uid) {
        self.kit.expunge(uid).await;
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
        Self::proxied_or_not(addr, None).await
    }

    /// Connects to a PROXY v1 listener claiming the client is `remote`.
    pub async fn connect_proxied(addr: SocketAddr, remote: &str) -> Client {
        Self::proxied_or_not(addr, Some((remote, 110))).await
    }

    async fn proxied_or_not(addr: SocketAddr, proxy: Option<(&str, u16)>) -> Client {
        let (r, greeting) = wire::connect(addr, proxy).await;
        Client { r, greeting }
    }

    /// Reads one line (with its CRLF); empty at EOF.
    pub async fn line(&mut self) -> String {
        String::from_utf8(wire::line(&mut self.r).await).unwrap()
    }

    /// Sends `cmd` with CRLF and returns the first response line.
    pub async fn cmd(&mut self, cmd: &str) -> String {
        wire::send(&mut self.r, format!("{cmd}\r\n").as_bytes()).await;
        self.line().await
    }

    pub async fn send(&mut self, raw: &[u8]) {
        wire::send(&mut self.r, raw).await;
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
        let rest = wire::rest(&mut self.r).await;
        assert!(
            rest.is_empty(),
            "unexpected data: {:?}",
            String::from_utf8_lossy(&rest)
        );
    }
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
