//! Helpers for the binary's integration tests: a temporary data directory, running `malt`
//! commands, and starting `malt serve` on port-0 listeners.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_malt");

pub struct Malt {
    pub dir: tempfile::TempDir,
}

impl Malt {
    pub fn new() -> Malt {
        Malt {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(BIN);
        c.env_remove("MALT_CONFIG")
            .env_remove("RUST_LOG")
            .arg("--data-dir")
            .arg(self.data_dir());
        c
    }

    /// Runs `malt ARGS` with `stdin`, returning its output.
    pub fn run(&self, args: &[&str], stdin: &[u8]) -> Output {
        run_with(self.cmd().args(args), stdin)
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str], stdin: &[u8]) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "malt {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and asserts failure; returns stderr.
    pub fn fails(&self, args: &[&str], stdin: &[u8]) -> String {
        let out = self.run(args, stdin);
        assert!(!out.status.success(), "malt {args:?} should have failed");
        String::from_utf8(out.stderr).unwrap()
    }

    /// A domain and one user with password `secret`.
    pub fn with_user(&self, address: &str) {
        let domain = address.split('@').nth(1).unwrap();
        let _ = self.run(&["domain", "add", domain], b"");
        self.ok(&["user", "add", address, "--password-stdin"], b"secret\n");
    }

    /// Writes a config with one HTTP listener on port 0 (plus `extra` TOML) and returns its path.
    pub fn config(&self, extra: &str) -> PathBuf {
        let path = self.dir.path().join("malt.toml");
        let text = format!(
            "hostname = \"test.example\"\ndata_dir = \"{}\"\n\n[[listener]]\nname = \"http\"\nprotocol = \"http\"\naddress = \"127.0.0.1\"\nport = 0\n\n{extra}",
            self.data_dir().display()
        );
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Malt {
    /// The data directory's store (SQLite) and blobs, opened directly as the CLI does.
    pub async fn storage(&self) -> malt_store::Storage {
        let data = self.data_dir();
        malt_core::storage::open_storage(
            malt_core::storage::BackendChoice::Sqlite {
                path: data.join("malt.db"),
            },
            data.join("blobs"),
        )
        .await
        .unwrap()
    }

    /// [`Malt::config`] plus one `protocol` listener, named after it, on 127.0.0.1 port 0 with
    /// STARTTLS.
    pub fn config_with_starttls(&self, protocol: &str) -> PathBuf {
        self.config(&format!(
            "[[listener]]\nname = \"{protocol}\"\nprotocol = \"{protocol}\"\naddress = \"127.0.0.1\"\nport = 0\ntls = \"starttls\"\n"
        ))
    }
}

/// Runs a Python 3 script (the real clients: imaplib, poplib); asserts that it exits 0 and
/// returns its standard output.
pub fn python(script: &str) -> String {
    python_in(Command::new("python3").arg("-c").arg(script))
}

/// Runs `cmd` (a Python interpreter with its script and environment); asserts that it exits 0
/// and returns its standard output.
pub fn python_in(cmd: &mut Command) -> String {
    let out = cmd.output().expect("the Python interpreter");
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn run_with(cmd: &mut Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// A running `malt serve`.
pub struct Server {
    pub child: Child,
    /// listener name -> address, read from the listener layer's "listening" log lines.
    pub listeners: Vec<(String, SocketAddr)>,
    pub log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    /// Starts `malt serve` with the given config file and waits until every listener is bound.
    pub fn start(malt: &Malt, config: &Path, expected_listeners: usize) -> Server {
        Self::start_with(malt, config, expected_listeners, false)
    }

    /// As [`Server::start`], for a config whose logs are JSON.
    pub fn start_json(malt: &Malt, config: &Path, expected_listeners: usize) -> Server {
        Self::start_with(malt, config, expected_listeners, true)
    }

    fn start_with(malt: &Malt, config: &Path, expected_listeners: usize, json: bool) -> Server {
        let mut child = Command::new(BIN)
            .env("RUST_LOG", "info")
            .arg("--config")
            .arg(config)
            .arg("serve")
            .current_dir(malt.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let log2 = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                log2.lock().unwrap().push_str(&line);
                log2.lock().unwrap().push('\n');
                let _ = tx.send(line);
            }
        });
        let mut listeners = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while listeners.len() < expected_listeners {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).unwrap_or_else(|_| {
                let _ = child.kill();
                panic!(
                    "server did not report its listeners; log:\n{}",
                    log.lock().unwrap()
                )
            });
            if line.contains("listening") {
                if json {
                    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                    let name = v["listener"].as_str().unwrap().to_owned();
                    listeners.push((name, v["local"].as_str().unwrap().parse().unwrap()));
                    continue;
                }
                let field = |k: &str| {
                    line.split_whitespace()
                        .find_map(|w| w.strip_prefix(k))
                        .map(|v| v.trim_matches('"').to_owned())
                };
                if let (Some(name), Some(addr)) = (field("listener="), field("local=")) {
                    listeners.push((name, addr.parse().unwrap()));
                }
            }
        }
        Server {
            child,
            listeners,
            log,
        }
    }

    pub fn addr(&self, name: &str) -> SocketAddr {
        self.listeners
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| *a)
            .unwrap()
    }

    /// Sends SIGTERM and waits for the exit, at most `within`.
    pub fn terminate(mut self, within: Duration) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + within;
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "server did not stop within {within:?}; log:\n{}",
                    self.log.lock().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET; returns (status, body).
pub fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// A test message with a unique Message-ID and about `size` octets of body.
pub fn message(id: &str, size: usize) -> Vec<u8> {
    let mut m = format!(
        "From: Alice <alice@example.com>\r\nTo: u@example.com\r\nSubject: test {id}\r\nMessage-ID: <{id}@test>\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\n"
    )
    .into_bytes();
    let line = b"The quick brown fox jumps over the lazy dog, again and again.\r\n";
    while m.len() < size {
        m.extend_from_slice(line);
    }
    m
}

/// Message-IDs found in an mbox export.
pub fn message_ids(mbox: &str) -> Vec<String> {
    mbox.lines()
        .filter_map(|l| l.strip_prefix("Message-ID: <"))
        .filter_map(|l| l.split('@').next())
        .map(str::to_owned)
        .collect()
}
