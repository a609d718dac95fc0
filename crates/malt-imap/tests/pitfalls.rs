//! The rules of /work/shared/PITFALLS.md, tested over a socket with a second "session" writing to the
//! store concurrently. Pipelining (PITFALLS 1) is in `session.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;
use malt_store::Flags;

/// Lets the change feed deliver the other session's commit.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(400)).await;
}

/// PITFALLS 2: an expunge by another session is not announced during FETCH/STORE/SEARCH, only at NOOP.
#[tokio::test]
async fn expunge_waits_for_a_sync_point() {
    let env = start().await;
    for s in ["a", "b", "c"] {
        env.append(&msg(s, "x")).await;
    }
    let mut c = env.selected().await;
    env.expunge(1).await;
    settle().await;
    let r = c.cmd("a FETCH 1:* (UID)").await;
    assert!(!has(&r, "EXPUNGE"), "{r:?}");
    assert!(
        has(&r, "* 2 FETCH (UID 2)") && has(&r, "* 3 FETCH (UID 3)"),
        "{r:?}"
    );
    let r = c.cmd("b STORE 3 +FLAGS (\\Seen)").await;
    assert!(!has(&r, "EXPUNGE") && has(&r, "* 3 FETCH"), "{r:?}");
    let r = c.cmd("c UID SEARCH ALL").await;
    assert!(!has(&r, "EXPUNGE"), "{r:?}");
    let r = c.cmd("d SEARCH ALL").await;
    assert_eq!(
        r[0], "* SEARCH 2 3\r\n",
        "numbers stay as the client knows them: {r:?}"
    );
    let r = c.cmd("e NOOP").await;
    assert_eq!(r, vec!["* 1 EXPUNGE\r\n", "e OK NOOP completed\r\n"]);
    let r = c.cmd("f FETCH 1 (UID)").await;
    assert_eq!(r[0], "* 1 FETCH (UID 2)\r\n");
}

/// PITFALLS 3: a message delivered meanwhile gets `EXISTS` before anything mentions its number.
#[tokio::test]
async fn exists_before_new_numbers() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    let mut c = env.selected().await;
    env.append(&msg("b", "y")).await;
    settle().await;
    let r = c.cmd("a FETCH 1:* (UID)").await;
    let exists = r.iter().position(|l| l == "* 2 EXISTS\r\n").expect("EXISTS");
    assert!(!r[..exists].iter().any(|l| l.starts_with("* 2 ")), "{r:?}");
    let r = c.cmd("b FETCH 2 (UID)").await;
    assert_eq!(r[0], "* 2 FETCH (UID 2)\r\n");
}

/// PITFALLS 4: a keyword set by another session is announced by FLAGS before the FETCH using it.
#[tokio::test]
async fn new_keyword_announced_before_fetch() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    let mut c = env.selected().await;
    env.add_flags(1, Flags::new(0, ["$Elsewhere".to_owned()])).await;
    settle().await;
    let r = c.cmd("a FETCH 1 (FLAGS)").await;
    let flags = r
        .iter()
        .position(|l| l.starts_with("* FLAGS (") && l.contains("$Elsewhere"));
    let fetch = r
        .iter()
        .position(|l| l.contains("FETCH") && l.contains("$Elsewhere"));
    assert!(flags.unwrap() < fetch.unwrap(), "{r:?}");
    // The same through NOOP.
    env.add_flags(1, Flags::new(0, ["$Again".to_owned()])).await;
    settle().await;
    let r = c.cmd("b NOOP").await;
    assert!(r[0].starts_with("* FLAGS (") && r[0].contains("$Again"), "{r:?}");
    assert!(r[1].contains("PERMANENTFLAGS"), "{r:?}");
    assert!(
        r[2].starts_with("* 1 FETCH (UID 1 FLAGS ($Again $Elsewhere))"),
        "{r:?}"
    );
}

/// IDLE: a concurrent append shows `* N EXISTS` within a second; DONE ends it.
#[tokio::test]
async fn idle_sees_concurrent_append() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    let mut c = env.selected().await;
    c.send(b"i IDLE\r\n").await;
    assert!(c.line().await.starts_with("+ "));
    let t0 = std::time::Instant::now();
    env.append(&msg("b", "y")).await;
    let l = c.line().await;
    assert_eq!(l, "* 2 EXISTS\r\n");
    assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
    env.expunge(1).await;
    // The \Deleted flag may be announced first, if IDLE synchronised between the two commits.
    let mut l = c.line().await;
    if l.starts_with("* 1 FETCH") {
        assert_eq!(l, "* 1 FETCH (UID 1 FLAGS (\\Deleted))\r\n");
        l = c.line().await;
    }
    assert_eq!(l, "* 1 EXPUNGE\r\n");
    c.send(b"DONE\r\n").await;
    let r = c.until("i").await;
    assert_eq!(r, vec!["i OK IDLE terminated\r\n"]);
    c.send(b"j IDLE\r\nNOTDONE\r\n").await;
    assert!(c.line().await.starts_with("+ "));
    let r = c.until("j").await;
    assert!(r[0].starts_with("j BAD"), "{r:?}");
}
