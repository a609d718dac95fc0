//! NOOP (RFC 9051 §6.1.2) in every state, and CHECK (RFC 3501 §6.4.1; removed in IMAP4rev2, kept as a
//! NOOP alias in the selected state only, op/noop.rs). Both are sync points: changes by another session
//! (new messages, expunges) are announced before the tagged OK.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[tokio::test]
async fn noop_in_every_state() {
    let env = start().await;
    let mut c = env.client().await;
    only(&mut c, "a NOOP", "a OK NOOP completed").await;
    let mut c = env.logged_in().await;
    only(&mut c, "b NOOP", "b OK NOOP completed").await;
    let mut c = env.selected().await;
    only(&mut c, "c NOOP", "c OK NOOP completed").await;
}

#[tokio::test]
async fn check_only_when_selected() {
    let env = start().await;
    let mut c = env.client().await;
    refused_in_state(&mut c, "a CHECK", "CHECK").await;
    let mut c = env.logged_in().await;
    refused_in_state(&mut c, "b CHECK", "CHECK").await;
    let mut c = env.selected().await;
    // op/noop.rs: CHECK runs as NOOP.
    only(&mut c, "c CHECK", "c OK CHECK completed").await;
}

/// NOOP and CHECK report another session's append and expunge (RFC 9051 §6.1.2, §7.4.1).
#[tokio::test]
async fn sync_points() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    env.append(&msg("b", "y")).await;
    let mut c = env.selected().await;
    env.append(&msg("c", "z")).await;
    settle().await;
    assert_eq!(
        c.cmd("a NOOP").await,
        lines(&["* 3 EXISTS", "a OK NOOP completed"])
    );
    env.expunge(1).await;
    settle().await;
    assert_eq!(
        c.cmd("b CHECK").await,
        lines(&["* 1 EXPUNGE", "b OK CHECK completed"])
    );
    only(&mut c, "c NOOP", "c OK NOOP completed").await;
}

#[tokio::test]
async fn syntax_errors() {
    let env = start().await;
    let mut c = env.selected().await;
    only(
        &mut c,
        "a NOOP now",
        "a BAD unexpected characters at end of command",
    )
    .await;
    only(
        &mut c,
        "b CHECK x",
        "b BAD unexpected characters at end of command",
    )
    .await;
}
