//! `malt serve` as an operator runs it: zero-config ports and certificate, a config file, JSON
//! logs, /healthz and /metrics, SIGHUP, and graceful shutdown on SIGTERM.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use common::*;

/// The zero-config defaults. The only test that binds the fixed ports.
#[test]
fn zero_config_listens_on_the_default_ports_with_a_self_signed_certificate() {
    let malt = Malt::new();
    let mut child = Command::new(BIN)
        .env_remove("MALT_DATA_DIR")
        .env_remove("MALT_CONFIG")
        .env("RUST_LOG", "info")
        .arg("serve")
        .current_dir(malt.dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut listening = Vec::new();
    while listening.len() < 11 {
        let line = lines.next().expect("server exited early").unwrap();
        if line.contains("listening") {
            listening.push(line);
        }
    }
    std::thread::spawn(move || for _ in lines {});
    for port in [2525, 2587, 2465, 2424, 2143, 2993, 2110, 2995, 4190, 8080, 8443] {
        assert!(
            listening.iter().any(|l| l.contains(&format!("127.0.0.1:{port}"))),
            "port {port} not listening: {listening:#?}"
        );
        TcpStream::connect(("127.0.0.1", port)).unwrap();
    }
    // Data directory and certificate in ./malt-data.
    assert!(malt.dir.path().join("malt-data/malt.db").exists());
    assert!(malt.dir.path().join("malt-data/tls/cert.pem").exists());
    // IMAP, POP3, LMTP, SMTP, submission and ManageSieve answer.
    let greeting = |port: u16| {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).unwrap();
        line
    };
    assert!(greeting(2143).starts_with("* OK"), "{}", greeting(2143));
    assert!(greeting(2110).starts_with("+OK"), "{}", greeting(2110));
    assert!(greeting(2424).starts_with("220 "), "{}", greeting(2424));
    for smtp in [2525, 2587] {
        let g = greeting(smtp);
        assert!(g.starts_with("220 ") && g.contains(" ESMTP Malt ready"), "{g}");
    }
    // ManageSieve greets with its capabilities (RFC 5804 §1.7), the first being IMPLEMENTATION.
    let g = greeting(4190);
    assert_eq!(g, "\"IMPLEMENTATION\" \"Malt ManageSieve\"\r\n");
    let (status, body) = http_get("127.0.0.1:8080".parse().unwrap(), "/healthz");
    assert_eq!((status, body.trim()), (200, "ok"));

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success());
}

#[test]
fn config_file_metrics_json_logs_sighup_and_graceful_shutdown() {
    let malt = Malt::new();
    malt.with_user("u@example.com");
    let config = malt.config(
        "[[listener]]\nname = \"imap\"\nprotocol = \"imap\"\naddress = \"127.0.0.1\"\nport = 0\ntls = \"starttls\"\n\n\
         [log]\nformat = \"json\"\n\n[timeouts]\nshutdown_grace_secs = 2\n",
    );
    let server = Server::start_json(&malt, &config, 2);
    let http = server.addr("http");
    let (status, _) = http_get(http, "/healthz");
    assert_eq!(status, 200);
    malt.ok(&["deliver", "--to", "u@example.com"], &message("m1", 300));
    let (status, metrics) = http_get(http, "/metrics");
    assert_eq!(status, 200);
    assert!(metrics.contains("malt_sessions_total"), "{metrics}");
    assert!(metrics.contains("malt_store_latency_seconds"), "{metrics}");

    // SIGHUP reloads the certificate and the server keeps serving.
    let pid = server.child.id().to_string();
    Command::new("kill").args(["-HUP", &pid]).status().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(http_get(http, "/healthz").0, 200);
    assert!(server.log.lock().unwrap().contains("TLS certificate reloaded"));

    // Graceful shutdown: an open session does not hold the server past the grace period.
    let mut idle = TcpStream::connect(server.addr("imap")).unwrap();
    idle.write_all(b"").unwrap();
    let log = server.log.clone();
    let status = server.terminate(Duration::from_secs(15));
    assert!(status.success());
    let log = log.lock().unwrap();
    // JSON logs: every line is an object.
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        assert!(line.starts_with('{') && line.ends_with('}'), "not JSON: {line}");
    }
    assert!(log.contains("\"stopped\""), "{log}");
}

#[test]
fn a_malformed_config_is_refused_naming_the_key() {
    let malt = Malt::new();
    let config = malt.config("[[listener]]\nname = \"x\"\nprotocol = \"imapx\"\nport = 1\n");
    let out = malt.run(&["--config", config.to_str().unwrap(), "serve"], b"");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("imapx"), "{err}");
    let config = malt.config("[store]\nbackend = \"postgres\"\n");
    let err = String::from_utf8_lossy(
        &malt
            .run(&["--config", config.to_str().unwrap(), "serve"], b"")
            .stderr,
    )
    .into_owned();
    assert!(err.contains("store.url"), "{err}");
}
