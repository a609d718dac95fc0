//! The session: greeting and CAPABILITY (RFC 5804 §1.7, §2.4), NOOP with a tag (§2.13), LOGOUT
//! (§2.3), the state table, malformed input (answered `NO`, never a hang), pipelining, the bad
//! command limit, an over-long line and an oversized literal.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::{USER, plain, start, start_with};
use malt_config::SieveConfig;
use malt_managesieve::MAX_BAD_COMMANDS;
use tokio::io::AsyncWriteExt;

/// The value of capability `name` in a listing (`Some("")` for one without a value).
fn capability<'a>(lines: &'a [String], name: &str) -> Option<&'a str> {
    let quoted = format!("\"{name}\"");
    lines.iter().find_map(|l| {
        let rest = l.strip_prefix(&quoted)?;
        Some(rest.trim_start().trim_matches('"'))
    })
}

#[tokio::test]
async fn greeting_and_capability() {
    let env = start().await;
    let mut c = env.client().await;
    let g = c.greeting.clone();
    assert_eq!(g.status, "OK \"Malt ManageSieve ready.\"");
    assert_eq!(capability(&g.lines, "IMPLEMENTATION"), Some("Malt ManageSieve"));
    assert_eq!(
        capability(&g.lines, "SASL"),
        Some("PLAIN LOGIN"),
        "loopback: plaintext allowed"
    );
    assert_eq!(capability(&g.lines, "STARTTLS"), Some(""));
    assert_eq!(capability(&g.lines, "VERSION"), Some("1.0"));
    assert_eq!(capability(&g.lines, "NOTIFY"), Some("mailto"));
    assert_eq!(capability(&g.lines, "MAXREDIRECTS"), Some("4"));
    assert_eq!(capability(&g.lines, "UNAUTHENTICATE"), Some(""));
    assert_eq!(capability(&g.lines, "OWNER"), None);
    let sieve = capability(&g.lines, "SIEVE").unwrap();
    for ext in ["fileinto", "vacation", "imap4flags", "include", "enotify"] {
        assert!(sieve.split(' ').any(|e| e == ext), "{ext} missing from {sieve}");
    }
    // CAPABILITY repeats the listing; after authentication it names the owner.
    let r = c.cmd("CAPABILITY").await;
    assert_eq!(r.lines, g.lines);
    assert!(r.is_ok());
    c.login().await;
    let r = c.cmd("capability").await;
    assert_eq!(capability(&r.lines, "OWNER"), Some(USER));
    assert_eq!(
        capability(&r.lines, "STARTTLS"),
        None,
        "no STARTTLS after authentication"
    );
    assert!(r.is_ok());
}

#[tokio::test]
async fn noop_logout() {
    let env = start().await;
    let mut c = env.client().await;
    assert_eq!(c.cmd("NOOP").await.status, "OK \"Done\"");
    assert_eq!(
        c.cmd("NOOP \"STARTTLS-SYNC-42\"").await.status,
        "OK (TAG \"STARTTLS-SYNC-42\") \"Done\""
    );
    assert_eq!(
        c.cmd("NOOP {3+}\r\na\"b").await.status,
        "OK (TAG \"a\\\"b\") \"Done\""
    );
    assert_eq!(c.cmd("LOGOUT").await.status, "OK \"Logout completed.\"");
    c.expect_eof().await;
}

#[tokio::test]
async fn commands_need_the_right_state() {
    let env = start().await;
    let mut c = env.client().await;
    for cmd in [
        "LISTSCRIPTS",
        "GETSCRIPT \"a\"",
        "PUTSCRIPT \"a\" \"keep;\"",
        "SETACTIVE \"a\"",
        "DELETESCRIPT \"a\"",
        "RENAMESCRIPT \"a\" \"b\"",
        "HAVESPACE \"a\" 1",
        "CHECKSCRIPT \"keep;\"",
        "UNAUTHENTICATE",
    ] {
        let r = c.cmd(cmd).await;
        assert!(
            r.status.starts_with("NO ") && r.status.contains("needs authentication"),
            "{cmd}: {r:?}"
        );
    }
    // Each of those counted as a bad command: a fresh session for the rest.
    let mut c = env.logged_in().await;
    for cmd in [
        "STARTTLS",
        &format!("AUTHENTICATE \"PLAIN\" \"{}\"", plain(USER, "x")),
    ] {
        let r = c.cmd(cmd).await;
        assert!(
            r.status.contains("not allowed after authentication"),
            "{cmd}: {r:?}"
        );
    }
    assert!(c.cmd("LISTSCRIPTS").await.is_ok());
}

#[tokio::test]
async fn malformed_commands_are_answered_no() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let cases = [
        ("XYZZY", "NO \"Unknown command.\""),
        ("LOGIN \"a\" \"b\"", "NO \"Unknown command.\""),
        ("GETSCRIPT", "NO \"Error in command: expects one string.\""),
        (
            "GETSCRIPT unquoted",
            "NO \"Error in command: expected a string (quoted or literal) or a number.\"",
        ),
        (
            "GETSCRIPT \"open",
            "NO \"Error in command: CR, LF and NUL are not allowed in a quoted string; use a literal.\"",
        ),
        (
            "HAVESPACE \"a\" 99999999999",
            "NO \"Error in command: number out of range (0 to 4294967295).\"",
        ),
        (
            "LISTSCRIPTS \"extra\"",
            "NO \"Error in command: takes no arguments.\"",
        ),
    ];
    for (cmd, want) in cases {
        assert_eq!(c.cmd(cmd).await.status, want, "{cmd}");
    }
    // Not UTF-8 inside a literal.
    c.send(b"GETSCRIPT {2+}\r\n\xff\xfe\r\n").await;
    assert_eq!(
        c.response().await.status,
        "NO \"Error in command: strings must be UTF-8.\""
    );
    // The session is still usable.
    assert!(c.cmd("LISTSCRIPTS").await.is_ok());
}

#[tokio::test]
async fn pipelined_commands_run_in_order() {
    let env = start().await;
    let mut c = env.client().await;
    let login = format!(
        "AUTHENTICATE \"PLAIN\" {{{}+}}\r\n{}\r\n",
        plain(USER, common::PASS).len(),
        plain(USER, common::PASS)
    );
    let script = "keep;\r\n";
    let pipelined = format!(
        "{login}PUTSCRIPT \"p\" {{{}+}}\r\n{script}\r\nSETACTIVE \"p\"\r\nLISTSCRIPTS\r\nLOGOUT\r\n",
        script.len()
    );
    c.send(pipelined.as_bytes()).await;
    assert!(c.response().await.is_ok(), "authenticate");
    assert!(c.response().await.is_ok(), "putscript");
    assert!(c.response().await.is_ok(), "setactive");
    let list = c.response().await;
    assert_eq!(list.lines, vec!["\"p\" ACTIVE"]);
    assert!(c.response().await.is_ok(), "logout");
    c.expect_eof().await;
    assert_eq!(env.stored().await, vec![("p".to_owned(), true)]);
}

#[tokio::test]
async fn too_many_bad_commands_close_the_connection() {
    let env = start().await;
    let mut c = env.client().await;
    for _ in 1..MAX_BAD_COMMANDS {
        assert!(c.cmd("BOGUS").await.status.starts_with("NO"));
    }
    let r = c.cmd("BOGUS").await;
    assert_eq!(r.status, "BYE \"Too many invalid commands.\"");
    c.expect_eof().await;
}

#[tokio::test]
async fn overlong_line_says_bye() {
    let env = start().await;
    let mut c = env.client().await;
    c.send(format!("NOOP \"{}\"", "x".repeat(9000)).as_bytes()).await;
    let r = c.response().await;
    assert_eq!(r.status, "BYE \"Line or literal too long.\"");
    c.expect_eof().await;
}

#[tokio::test]
async fn oversized_literal_is_skipped_and_refused() {
    let env = start().await;
    let mut c = env.logged_in().await;
    // One octet over the 1 MiB default: refused before it is buffered, its octets skipped.
    let size = (1 << 20) + 1;
    c.send(format!("PUTSCRIPT \"big\" {{{size}+}}\r\n").as_bytes())
        .await;
    c.send(&vec![b'#'; size]).await;
    c.send(b"\r\nNOOP \"after\"\r\n").await;
    let r = c.response().await;
    assert!(r.status.starts_with("NO (QUOTA/MAXSIZE) "), "{r:?}");
    assert_eq!(c.response().await.status, "OK (TAG \"after\") \"Done\"");
    assert!(env.stored().await.is_empty());
    // A literal beyond what is worth skipping closes the session.
    c.send(b"PUTSCRIPT \"huge\" {99999999999+}\r\n").await;
    let r = c.response().await;
    assert_eq!(r.status, "BYE \"Line or literal too long.\"");
    c.expect_eof().await;
}

#[tokio::test]
async fn eof_mid_command_ends_the_session_quietly() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.send(b"PUTSCRIPT \"x\" {100+}\r\nkeep;").await;
    c.r.get_mut().shutdown().await.unwrap();
    c.expect_eof().await;
    assert!(env.stored().await.is_empty(), "a cut-off upload stores nothing");
    // The server still answers others.
    let mut d = env.client().await;
    assert!(d.cmd("NOOP").await.is_ok());
}

#[tokio::test]
async fn idle_timeout_says_bye() {
    let env = start_with(SieveConfig::default(), |c| c.timeouts.idle_secs = 1).await;
    let mut c = env.logged_in().await;
    let r = c.response().await;
    assert_eq!(r.status, "BYE \"Disconnected for inactivity.\"");
    c.expect_eof().await;
}

#[tokio::test]
async fn shutdown_says_bye() {
    let mut env = start().await;
    let mut c = env.logged_in().await;
    let server = env.server.take().unwrap();
    server.shutdown(Duration::from_secs(5)).await;
    assert_eq!(
        c.response().await.status,
        "BYE (TRYLATER) \"Server shutting down.\""
    );
    c.expect_eof().await;
}
