//! Session-level behaviour not tied to one command: state checks and unknown or unsupported commands,
//! pipelining (PITFALLS 1), overlong lines. Each command has its own file (`login.rs`,
//! `append.rs`, ...).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[tokio::test]
async fn state_checks_and_bad_syntax() {
    let env = start().await;
    let mut c = env.client().await;
    refused_in_state(&mut c, "a SELECT INBOX", "SELECT").await;
    refused_in_state(&mut c, "b FETCH 1 FLAGS", "FETCH").await;
    let r = c.cmd("c FROBNICATE").await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].starts_with("c BAD "), "{r:?}");
    // BAD whether unsupported (state.rs `Group::Unsupported`) or only not allowed before login.
    let r = c.cmd("d GETACL INBOX").await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].starts_with("d BAD "), "{r:?}");
}

/// PITFALLS 1: LOGIN, SELECT and FETCH in one write are answered in order, as if sent one by one.
#[tokio::test]
async fn pipelined_login_select_fetch() {
    let env = start().await;
    env.append(&msg("one", "hello")).await;
    let mut c = env.client().await;
    let batch =
        format!("a LOGIN {USER} \"{PASS}\"\r\nb SELECT INBOX\r\nc FETCH 1 (UID FLAGS)\r\nd LOGOUT\r\n");
    c.send(batch.as_bytes()).await;
    let a = c.until("a").await;
    assert!(a.last().unwrap().starts_with("a OK"), "{a:?}");
    let b = c.until("b").await;
    assert!(has(&b, "* 1 EXISTS"), "{b:?}");
    assert!(b.last().unwrap().starts_with("b OK [READ-WRITE]"), "{b:?}");
    let f = c.until("c").await;
    assert!(f[0].starts_with("* 1 FETCH (UID 1 FLAGS ())"), "{f:?}");
    assert!(f.last().unwrap().starts_with("c OK"));
    let d = c.until("d").await;
    assert!(d[0].starts_with("* BYE"));
}

#[tokio::test]
async fn overlong_line_closes() {
    let env = start().await;
    let mut c = env.client().await;
    let mut line = b"a ".to_vec();
    line.extend(std::iter::repeat_n(b'x', 70_000));
    c.send(&line).await;
    let l = c.line().await;
    assert!(l.starts_with("* BAD") || l.starts_with("a BAD"), "{l}");
    let l = c.line().await;
    assert!(l.starts_with("* BYE"), "{l}");
    c.expect_eof().await;
}
