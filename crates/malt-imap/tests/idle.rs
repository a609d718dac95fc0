//! IDLE (RFC 2177, RFC 9051 §6.3.13): `+ idling`, then the selected mailbox's changes by other sessions
//! as they happen (EXISTS, EXPUNGE: IDLE is a sync point) until `DONE` (any case); any other line ends
//! IDLE with BAD. Allowed in the authenticated state too, where there is nothing to report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[tokio::test]
async fn reports_changes_until_done() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    let mut c = env.client().await;
    refused_in_state(&mut c, "a IDLE", "IDLE").await;
    let mut c = env.selected().await;
    c.send(b"b IDLE\r\n").await;
    assert_eq!(c.line().await, "+ idling\r\n");
    env.append(&msg("b", "y")).await;
    assert_eq!(c.line().await, "* 2 EXISTS\r\n");
    // The other session sets \Deleted, then expunges: the flag change may be seen on its own first.
    env.expunge(1).await;
    let mut l = c.line().await;
    if l.starts_with("* 1 FETCH") {
        assert_eq!(l, "* 1 FETCH (UID 1 FLAGS (\\Deleted))\r\n");
        l = c.line().await;
    }
    assert_eq!(l, "* 1 EXPUNGE\r\n");
    c.send(b"DONE\r\n").await;
    assert_eq!(c.until("b").await, lines(&["b OK IDLE terminated"]));
    assert_eq!(
        c.cmd("c FETCH 1 (UID)").await,
        lines(&["* 1 FETCH (UID 2)", "c OK FETCH completed"])
    );
}

/// Changes made before IDLE that the client has not seen are sent right after the continuation.
#[tokio::test]
async fn pending_changes_first() {
    let env = start().await;
    let mut c = env.selected().await;
    env.append(&msg("a", "x")).await;
    settle().await;
    c.send(b"a IDLE\r\n").await;
    assert_eq!(c.line().await, "+ idling\r\n");
    assert_eq!(c.line().await, "* 1 EXISTS\r\n");
    c.send(b"done\r\n").await;
    assert_eq!(c.until("a").await, lines(&["a OK IDLE terminated"]));
}

#[tokio::test]
async fn authenticated_state() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.send(b"a IDLE\r\n").await;
    assert_eq!(c.line().await, "+ idling\r\n");
    env.append(&msg("a", "x")).await;
    c.send(b"DONE\r\n").await;
    assert_eq!(c.until("a").await, lines(&["a OK IDLE terminated"]));
}

#[tokio::test]
async fn anything_but_done_is_bad() {
    let env = start().await;
    let mut c = env.selected().await;
    c.send(b"a IDLE\r\n").await;
    assert_eq!(c.line().await, "+ idling\r\n");
    c.send(b"b NOOP\r\n").await;
    assert_eq!(c.until("a").await, lines(&["a BAD Expected DONE"]));
    // The line that ended IDLE is not run as a command.
    only(&mut c, "c NOOP", "c OK NOOP completed").await;
    only(
        &mut c,
        "d IDLE now",
        "d BAD unexpected characters at end of command",
    )
    .await;
}

/// `DONE` pipelined with the IDLE command itself (one write) ends IDLE at once.
#[tokio::test]
async fn done_in_the_same_write() {
    let env = start().await;
    let mut c = env.selected().await;
    c.send(b"a IDLE\r\nDONE\r\nb NOOP\r\n").await;
    assert_eq!(c.until("a").await, lines(&["+ idling", "a OK IDLE terminated"]));
    assert_eq!(c.until("b").await, lines(&["b OK NOOP completed"]));
}
