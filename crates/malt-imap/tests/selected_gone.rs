//! The selected mailbox going away under the session: deleted by another session (or by this one)
//! the session ends with `* BYE` at its next sync point (RFC 9051 §7.1.5, as Dovecot does); renamed,
//! it stays selected and working (same mailbox id, UIDs and UIDVALIDITY).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;

const BYE: &str = "* BYE Selected mailbox was deleted, have to disconnect\r\n";

fn ok(r: &[String], tag: &str) {
    assert!(r.last().unwrap().starts_with(&format!("{tag} OK")), "{r:?}");
}

/// A client with `Lists` (one message) selected.
async fn lists_selected(env: &Env) -> Client {
    let mut c = env.logged_in().await;
    ok(&c.cmd("a CREATE Lists").await, "a");
    env.append_to("Lists", &msg("l", "x")).await;
    ok(&c.cmd("b SELECT Lists").await, "b");
    c
}

#[tokio::test]
async fn deleted_by_another_session() {
    let env = start().await;
    let mut c = lists_selected(&env).await;
    let mut other = env.logged_in().await;
    ok(&other.cmd("d DELETE Lists").await, "d");
    settle().await;
    let r = c.cmd("n NOOP").await;
    assert_eq!(r, vec![BYE.to_owned(), "n OK NOOP completed\r\n".to_owned()]);
    c.expect_eof().await;
    // The other session is unaffected.
    ok(&other.cmd("e NOOP").await, "e");
}

#[tokio::test]
async fn deleted_by_this_session() {
    let env = start().await;
    let mut c = lists_selected(&env).await;
    let r = c.cmd("d DELETE Lists").await;
    assert_eq!(r, vec![BYE.to_owned(), "d OK DELETE completed\r\n".to_owned()]);
    c.expect_eof().await;
}

/// IDLE is a sync point: the BYE comes without waiting for DONE.
#[tokio::test]
async fn deleted_during_idle() {
    let env = start().await;
    let mut c = lists_selected(&env).await;
    c.send(b"i IDLE\r\n").await;
    assert_eq!(c.line().await, "+ idling\r\n");
    let mut other = env.logged_in().await;
    ok(&other.cmd("d DELETE Lists").await, "d");
    let l = tokio::time::timeout(Duration::from_secs(5), c.line())
        .await
        .unwrap();
    assert_eq!(l, BYE);
    c.expect_eof().await;
}

/// Another mailbox deleted: nothing happens to this session.
#[tokio::test]
async fn other_mailbox_deleted() {
    let env = start().await;
    let mut c = lists_selected(&env).await;
    let mut other = env.logged_in().await;
    ok(&other.cmd("c CREATE Junk2").await, "c");
    ok(&other.cmd("d DELETE Junk2").await, "d");
    settle().await;
    assert_eq!(c.cmd("n NOOP").await, vec!["n OK NOOP completed\r\n"]);
}

/// Renamed (directly or with its parent): still selected; messages delivered under the new name show.
#[tokio::test]
async fn renamed_stays_selected() {
    let env = start().await;
    let mut c = lists_selected(&env).await;
    let mut other = env.logged_in().await;
    ok(&other.cmd("r RENAME Lists Groups").await, "r");
    settle().await;
    assert_eq!(c.cmd("n NOOP").await, vec!["n OK NOOP completed\r\n"]);
    env.append_to("Groups", &msg("g", "y")).await;
    settle().await;
    let r = c.cmd("o NOOP").await;
    assert_eq!(r, vec!["* 2 EXISTS\r\n", "o OK NOOP completed\r\n"]);
    let r = c.cmd("f UID FETCH 1:* (UID)").await;
    assert_eq!(
        r,
        vec![
            "* 1 FETCH (UID 1)\r\n",
            "* 2 FETCH (UID 2)\r\n",
            "f OK FETCH completed\r\n"
        ]
    );
    // A child renamed with its parent.
    ok(&other.cmd("c CREATE Groups/sub").await, "c");
    ok(&c.cmd("s SELECT Groups/sub").await, "s");
    ok(&other.cmd("r2 RENAME Groups Teams").await, "r2");
    settle().await;
    assert_eq!(c.cmd("p NOOP").await, vec!["p OK NOOP completed\r\n"]);
    env.append_to("Teams/sub", &msg("t", "z")).await;
    settle().await;
    let r = c.cmd("q NOOP").await;
    assert_eq!(r, vec!["* 1 EXISTS\r\n", "q OK NOOP completed\r\n"]);
}
