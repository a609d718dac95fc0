//! EXPUNGE (RFC 9051 §6.4.3) and UID EXPUNGE (UIDPLUS, RFC 4315 §2.1): each removed `\Deleted` message
//! announced as `* n EXPUNGE`, numbered as of when it is sent; UID EXPUNGE only inside its UID set;
//! `[READ-ONLY]` in an EXAMINEd mailbox; selected state only. The QRESYNC form (`* VANISHED`, RFC 7162
//! §3.2.10) is tested in qresync.rs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[tokio::test]
async fn expunge_and_uid_expunge() {
    let env = start().await;
    for s in ["a", "b", "c", "d", "e"] {
        env.append(&msg(s, "x")).await;
    }
    let mut c = env.selected().await;
    c.cmd("a STORE 1:4 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(
        c.cmd("b UID EXPUNGE 2:3,5").await,
        lines(&["* 3 EXPUNGE", "* 2 EXPUNGE", "b OK EXPUNGE completed"])
    );
    assert_eq!(
        c.cmd("c EXPUNGE").await,
        lines(&["* 2 EXPUNGE", "* 1 EXPUNGE", "c OK EXPUNGE completed"])
    );
    assert_eq!(env.uids().await, vec![5]);
    // Nothing left to remove.
    only(&mut c, "d EXPUNGE", "d OK EXPUNGE completed").await;
    only(&mut c, "e UID EXPUNGE 1:*", "e OK EXPUNGE completed").await;
    only(&mut c, "f UID EXPUNGE 99", "f OK EXPUNGE completed").await;
    assert_eq!(env.uids().await, vec![5]);
}

/// EXPUNGE is a sync point: another session's expunge is announced too.
#[tokio::test]
async fn includes_other_sessions_changes() {
    let env = start().await;
    for s in ["a", "b", "c"] {
        env.append(&msg(s, "x")).await;
    }
    let mut c = env.selected().await;
    c.cmd("a STORE 3 +FLAGS.SILENT (\\Deleted)").await;
    env.expunge(1).await;
    settle().await;
    // Its own expunge first, then the other session's, each numbered as the client knows it then.
    assert_eq!(
        c.cmd("b EXPUNGE").await,
        lines(&["* 3 EXPUNGE", "* 1 EXPUNGE", "b OK EXPUNGE completed"])
    );
    assert_eq!(env.uids().await, vec![2]);
}

#[tokio::test]
async fn read_only_and_states() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    env.add_flags(1, malt_store::Flags::new(malt_store::flag::DELETED, vec![]))
        .await;
    let mut c = env.logged_in().await;
    refused_in_state(&mut c, "a EXPUNGE", "EXPUNGE").await;
    refused_in_state(&mut c, "b UID EXPUNGE 1", "UID EXPUNGE").await;
    c.cmd("c EXAMINE INBOX").await;
    only(&mut c, "d EXPUNGE", "d NO [READ-ONLY] Mailbox is read-only").await;
    only(&mut c, "e UID EXPUNGE 1", "e NO [READ-ONLY] Mailbox is read-only").await;
    assert_eq!(env.uids().await, vec![1]);
}

#[tokio::test]
async fn syntax_errors() {
    let env = start().await;
    let mut c = env.selected().await;
    only(
        &mut c,
        "a EXPUNGE 1",
        "a BAD unexpected characters at end of command",
    )
    .await;
    only(&mut c, "b UID EXPUNGE", "b BAD expected ' '").await;
    only(&mut c, "c UID EXPUNGE x", "c BAD expected a number").await;
    only(&mut c, "d UID EXPUNGE 0", "d BAD zero is not allowed here").await;
}
