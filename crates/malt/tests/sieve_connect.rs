//! A real ManageSieve client against `malt serve`: Debian's `sieve-connect` (Perl, RFC 5804)
//! negotiates STARTTLS on the managesieve listener (the self-signed certificate, not verified),
//! authenticates with SASL PLAIN, and uploads, lists, activates, downloads, checks, deactivates
//! and deletes scripts; the CLI sees what it did. Fails (never skips) when `sieve-connect` is
//! missing: `.ci/run` installs it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::time::Duration;

use common::*;

const USER: &str = "u@example.com";
const SPAM: &str = "require [\"fileinto\", \"imap4flags\"];\r\nif header :contains \"subject\" \"spam\" {\r\n  fileinto :flags \"\\\\Seen\" \"Junk\";\r\n  stop;\r\n}\r\n";
const BROKEN: &str = "if true {\r\n  fileinfo \"Junk\";\r\n}\r\n";

/// Runs `sieve-connect` against `addr` as the test user (password on fd 0) with `args`.
fn sieve_connect(addr: SocketAddr, args: &[&str]) -> Output {
    let port = addr.port().to_string();
    let mut cmd = Command::new("sieve-connect");
    cmd.args([
        "--server",
        "127.0.0.1",
        "--port",
        &port,
        "--user",
        USER,
        "--passwordfd",
        "0",
        "--notlsverify",
        "--authmech",
        "PLAIN",
    ])
    .args(args);
    let out = run_with(&mut cmd, b"secret\n");
    if out.status.code().is_none() {
        panic!("sieve-connect was killed: {out:?}");
    }
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn describe(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn sieve_connect_manages_scripts() {
    let version = Command::new("sieve-connect").arg("--version").output();
    assert!(
        version.is_ok(),
        "sieve-connect is not installed (Debian package sieve-connect; .ci/run installs it)"
    );
    let m = Malt::new();
    m.with_user(USER);
    let config = m.config_with_starttls("managesieve");
    let server = Server::start(&m, &config, 2);
    let addr = server.addr("managesieve");
    let local = m.dir.path().join("spam.sieve");
    std::fs::write(&local, SPAM).unwrap();
    let local_s = local.to_str().unwrap();

    let up = sieve_connect(
        addr,
        &["--upload", "--localsieve", local_s, "--remotesieve", "spam"],
    );
    assert!(up.status.success(), "upload: {}", describe(&up));
    assert_eq!(m.ok(&["sieve", "get", USER, "spam"], b""), SPAM);

    let list = sieve_connect(addr, &["--list"]);
    assert!(list.status.success(), "list: {}", describe(&list));
    assert_eq!(stdout(&list).trim(), "\"spam\"");

    let act = sieve_connect(addr, &["--activate", "--remotesieve", "spam"]);
    assert!(act.status.success(), "activate: {}", describe(&act));
    let list = sieve_connect(addr, &["--list"]);
    assert_eq!(stdout(&list).trim(), "\"spam\" ACTIVE", "{}", describe(&list));
    assert!(m.ok(&["sieve", "list", USER], b"").contains("\tactive"));

    let back = m.dir.path().join("back.sieve");
    let down = sieve_connect(
        addr,
        &[
            "--download",
            "--remotesieve",
            "spam",
            "--localsieve",
            back.to_str().unwrap(),
        ],
    );
    assert!(down.status.success(), "download: {}", describe(&down));
    assert_eq!(std::fs::read_to_string(&back).unwrap(), SPAM);

    // A script that does not compile: refused, with the server's reason.
    let broken = m.dir.path().join("broken.sieve");
    std::fs::write(&broken, BROKEN).unwrap();
    let bad = sieve_connect(
        addr,
        &[
            "--upload",
            "--localsieve",
            broken.to_str().unwrap(),
            "--remotesieve",
            "broken",
        ],
    );
    assert!(!bad.status.success(), "{}", describe(&bad));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("NO \"line 2, column 3: error: unknown command 'fileinfo'.\""),
        "the compile error reaches the user: {}",
        describe(&bad)
    );
    assert!(!m.ok(&["sieve", "list", USER], b"").contains("broken"));

    // The active script cannot be deleted; deactivated, it can.
    let del = sieve_connect(addr, &["--delete", "--remotesieve", "spam"]);
    assert!(
        String::from_utf8_lossy(&del.stderr).contains("ACTIVE"),
        "{}",
        describe(&del)
    );
    let deact = sieve_connect(addr, &["--deactivate"]);
    assert!(deact.status.success(), "deactivate: {}", describe(&deact));
    let del = sieve_connect(addr, &["--delete", "--remotesieve", "spam"]);
    assert!(del.status.success(), "delete: {}", describe(&del));
    assert_eq!(m.ok(&["sieve", "list", USER], b""), "");
    let list = sieve_connect(addr, &["--list"]);
    assert_eq!(stdout(&list).trim(), "", "{}", describe(&list));

    // The server logged the TLS sessions' logins.
    assert!(server.log.lock().unwrap().contains("ManageSieve login"));
    assert!(server.terminate(Duration::from_secs(15)).success());
}
