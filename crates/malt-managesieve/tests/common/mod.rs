//! Shared by the integration tests: `malt-testkit`'s environment (real listeners on port 0, a
//! SQLite store, one account) serving ManageSieve, a raw client that reads responses with their
//! literals, and the Python prelude for the TLS tests.
#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use malt_config::{Config, Protocol, SieveConfig};
use malt_core::sieve_scripts::{ScriptPolicy, SieveScripts};
use malt_managesieve::ManageSieveHandler;
use malt_server::Handler;
use malt_testkit::wire;
use tokio::io::BufReader;
use tokio::net::TcpStream;

pub use malt_testkit::{PASS, USER, python};

malt_testkit::protocol_env!(Env, managesieve, managesieves);

/// The default `[sieve]` policy.
pub async fn start() -> Env {
    start_with(SieveConfig::default(), |_| {}).await
}

/// A server whose scripts follow `sieve`, with the configuration adjusted by `tweak`.
pub async fn start_with(sieve: SieveConfig, tweak: impl FnOnce(&mut Config)) -> Env {
    let handler = async move |p: &malt_testkit::TestParts| {
        let scripts = SieveScripts::new(p.core.storage().store.clone(), ScriptPolicy::from_config(&sieve));
        Arc::new(ManageSieveHandler::new(scripts, p.auth.clone())) as Arc<dyn Handler>
    };
    malt_testkit::start_with(Protocol::ManageSieve, tweak, handler)
        .await
        .into()
}

impl Env {
    pub async fn client(&self) -> Client {
        Client::connect(self.managesieve).await
    }

    /// An authenticated raw client on the STARTTLS listener (plaintext on loopback).
    pub async fn logged_in(&self) -> Client {
        let mut c = self.client().await;
        c.login().await;
        c
    }

    /// The test account's scripts as the store has them: (name, active).
    pub async fn stored(&self) -> Vec<(String, bool)> {
        self.core
            .storage()
            .store
            .sieve_list(self.account.id)
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.name, s.active))
            .collect()
    }

    /// The source of a stored script.
    pub async fn source(&self, name: &str) -> Option<String> {
        self.core
            .storage()
            .store
            .sieve_get(self.account.id, name)
            .await
            .unwrap()
            .map(|s| s.source)
    }
}

/// What the server answered to one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The lines before the status line, literals inlined (`{n}` CRLF octets kept as sent).
    pub lines: Vec<String>,
    /// The `OK`/`NO`/`BYE` line, literal inlined, without its final CRLF; empty at EOF.
    pub status: String,
}

impl Response {
    pub fn is_ok(&self) -> bool {
        self.status.starts_with("OK")
    }
}

/// The PLAIN message for `user` and `pass`, base64.
pub fn plain(user: &str, pass: &str) -> String {
    B64.encode(format!("\0{user}\0{pass}"))
}

/// A raw ManageSieve client.
pub struct Client {
    pub r: BufReader<TcpStream>,
    /// The greeting: the capability lines and the `OK`.
    pub greeting: Response,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        Self::proxied_or_not(addr, None).await
    }

    /// Connects to a PROXY v1 listener claiming the client is `remote`.
    pub async fn connect_proxied(addr: SocketAddr, remote: &str) -> Client {
        Self::proxied_or_not(addr, Some((remote, 4190))).await
    }

    async fn proxied_or_not(addr: SocketAddr, proxy: Option<(&str, u16)>) -> Client {
        let (r, first) = wire::connect(addr, proxy).await;
        let mut c = Client {
            r,
            greeting: Response {
                lines: Vec::new(),
                status: String::new(),
            },
        };
        c.greeting = c.response_from(first).await;
        c
    }

    /// One line with any literals it announces and the lines that follow them; empty at EOF.
    async fn logical_line(&mut self, first: String) -> String {
        let mut line = first;
        while let Some(n) = literal_size(&line) {
            let data = wire::exact(&mut self.r, n).await;
            line.push_str(&String::from_utf8(data).unwrap());
            line.push_str(&String::from_utf8(wire::line(&mut self.r).await).unwrap());
        }
        line
    }

    async fn response_from(&mut self, first: String) -> Response {
        let mut lines = Vec::new();
        let mut next = first;
        loop {
            let line = self.logical_line(next).await;
            if line.is_empty() {
                return Response {
                    lines,
                    status: String::new(),
                };
            }
            if ["OK", "NO", "BYE"]
                .iter()
                .any(|w| line.starts_with(w) && !line[w.len()..].starts_with(|c: char| c.is_alphanumeric()))
            {
                return Response {
                    lines,
                    status: line.trim_end_matches("\r\n").to_owned(),
                };
            }
            lines.push(line.trim_end_matches("\r\n").to_owned());
            next = self.raw_line().await;
        }
    }

    /// One raw line (lossy UTF-8, CRLF included); empty at EOF.
    pub async fn raw_line(&mut self) -> String {
        String::from_utf8_lossy(&wire::line(&mut self.r).await).into_owned()
    }

    /// Reads one response.
    pub async fn response(&mut self) -> Response {
        let first = self.raw_line().await;
        self.response_from(first).await
    }

    /// Sends `cmd` with CRLF and reads the response.
    pub async fn cmd(&mut self, cmd: &str) -> Response {
        self.send(format!("{cmd}\r\n").as_bytes()).await;
        self.response().await
    }

    pub async fn send(&mut self, raw: &[u8]) {
        wire::send(&mut self.r, raw).await;
    }

    /// AUTHENTICATE PLAIN with an initial response, as the test user; asserts `OK`.
    pub async fn login(&mut self) {
        let r = self
            .cmd(&format!("AUTHENTICATE \"PLAIN\" \"{}\"", plain(USER, PASS)))
            .await;
        assert!(r.is_ok(), "{r:?}");
    }

    /// PUTSCRIPT `name` (quoted) with `script` as a non-synchronising literal.
    pub async fn put(&mut self, name: &str, script: &str) -> Response {
        let name = name.replace('\\', "\\\\").replace('"', "\\\"");
        let raw = format!("PUTSCRIPT \"{name}\" {{{}+}}\r\n{script}\r\n", script.len());
        self.send(raw.as_bytes()).await;
        self.response().await
    }

    /// The names listed by LISTSCRIPTS, with `ACTIVE` where the server said so.
    pub async fn list(&mut self) -> Vec<String> {
        let r = self.cmd("LISTSCRIPTS").await;
        assert!(r.is_ok(), "{r:?}");
        r.lines
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

/// The size of the literal `line` announces at its end (`{n}` or `{n+}` then CRLF).
fn literal_size(line: &str) -> Option<usize> {
    let body = line.strip_suffix("\r\n")?.strip_suffix('}')?;
    let open = body.rfind('{')?;
    let digits = &body[open + 1..];
    digits.strip_suffix('+').unwrap_or(digits).parse().ok()
}

/// The environment every Python script gets.
pub fn py_env(env: &Env) -> Vec<(&'static str, String)> {
    vec![
        ("SIEVE_PORT", env.managesieve.port().to_string()),
        ("SIEVES_PORT", env.managesieves.port().to_string()),
        ("SIEVE_USER", USER.to_owned()),
        ("SIEVE_PASS", PASS.to_owned()),
        ("SIEVE_CERT", env.cert.display().to_string()),
    ]
}

/// A Python prelude: a minimal ManageSieve client over a socket that TLS can wrap.
pub const PY_PRELUDE: &str = r#"
import os, socket, ssl, base64, re
PORT = int(os.environ["SIEVE_PORT"]); PORTS = int(os.environ["SIEVES_PORT"])
USER = os.environ["SIEVE_USER"]; PASS = os.environ["SIEVE_PASS"]
ctx = ssl.create_default_context(cafile=os.environ["SIEVE_CERT"])
ctx.check_hostname = False

class Sieve:
    def __init__(self, sock):
        self.sock = sock
        self.f = sock.makefile("rb")
    def wrap(self):
        self.sock = ctx.wrap_socket(self.sock)
        self.f = self.sock.makefile("rb")
    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)
    def response(self):
        """Lines up to the status line: (lines, status)."""
        lines = []
        while True:
            line = self.f.readline().decode()
            m = re.search(r"\{(\d+)\+?\}\r\n$", line)
            while m:
                line += self.f.read(int(m.group(1))).decode() + self.f.readline().decode()
                m = re.search(r"\{(\d+)\+?\}\r\n$", line)
            line = line.rstrip("\r\n")
            if re.match(r"(OK|NO|BYE)\b", line):
                return lines, line
            lines.append(line)
    def cmd(self, text):
        self.send(text + "\r\n")
        return self.response()
"#;
