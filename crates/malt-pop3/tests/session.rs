//! Session-level behaviour: line limits, bad-command limit, pipelining, idle timeout, shutdown.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::{PASS, USER, start, start_with};

#[tokio::test]
async fn long_lines_are_refused_without_buffering() {
    let env = start().await;
    let mut c = env.client().await;
    let long = format!("USER {}\r\n", "a".repeat(100_000));
    c.send(long.as_bytes()).await;
    assert_eq!(c.line().await, "-ERR Line too long\r\n");
    // The session goes on.
    assert!(c.cmd("NOOP").await.starts_with("-ERR"));
    c.login().await;
    assert_eq!(c.cmd("NOOP").await, "+OK\r\n");
}

#[tokio::test]
async fn too_many_bad_commands_close() {
    let env = start().await;
    let mut c = env.client().await;
    for i in 1..malt_pop3::MAX_BAD_COMMANDS {
        let r = c.cmd(&format!("BOGUS{i}")).await;
        assert_eq!(r, "-ERR Unknown command\r\n");
    }
    let r = c.cmd("BOGUS").await;
    assert!(r.starts_with("-ERR Too many bad commands"), "{r}");
    c.expect_eof().await;
}

#[tokio::test]
async fn pipelining() {
    let env = start().await;
    env.append(b"Subject: p\r\n\r\nx\r\n").await;
    let mut c = env.client().await;
    c.send(format!("USER {USER}\r\nPASS {PASS}\r\nSTAT\r\nUIDL 1\r\nLIST\r\nQUIT\r\n").as_bytes())
        .await;
    assert_eq!(c.line().await, "+OK\r\n");
    assert!(c.line().await.starts_with("+OK Logged in"));
    assert_eq!(c.line().await, "+OK 1 17\r\n");
    assert!(c.line().await.starts_with("+OK 1 "));
    assert!(c.line().await.starts_with("+OK 1 messages"));
    assert_eq!(c.body().await, vec!["1 17\r\n"]);
    assert!(c.line().await.starts_with("+OK Logging out"));
    c.expect_eof().await;
}

#[tokio::test]
async fn idle_timeout_closes() {
    let env = start_with(|c| c.timeouts.idle_secs = 1).await;
    let mut c = env.logged_in().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let r = c.line().await;
    assert!(r.starts_with("-ERR"), "{r}");
    c.expect_eof().await;
}

#[tokio::test]
async fn shutdown_says_goodbye() {
    let mut env = start().await;
    let mut c = env.logged_in().await;
    let server = env.server.take().unwrap();
    server.shutdown(Duration::from_secs(5)).await;
    assert_eq!(c.line().await, "-ERR [SYS/TEMP] server shutting down\r\n");
    c.expect_eof().await;
}
