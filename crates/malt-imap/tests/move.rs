//! MOVE and UID MOVE (RFC 6851): `* OK [COPYUID]` untagged (RFC 6851 §4.3, RFC 4315 §3), then
//! `* n EXPUNGE` for each moved message, then the tagged OK; `[TRYCREATE]` for a missing destination;
//! `[READ-ONLY]` in an EXAMINEd mailbox; a UID set naming no message is OK with nothing else; selected
//! state only. The QRESYNC form (`* VANISHED`) is tested in qresync.rs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

async fn setup() -> (Env, Client, u32) {
    let env = start().await;
    for s in ["a", "b", "c", "d"] {
        env.append(&msg(s, "x")).await;
    }
    let mut c = env.selected().await;
    c.cmd("s1 CREATE Dest").await;
    let uv = env.mailbox("Dest").await.uidvalidity;
    (env, c, uv)
}

#[tokio::test]
async fn move_and_uid_move() {
    let (env, mut c, uv) = setup().await;
    assert_eq!(
        c.cmd("a UID MOVE 2:3 Dest").await,
        lines(&[
            &format!("* OK [COPYUID {uv} 2:3 1:2] Moved UIDs"),
            "* 3 EXPUNGE",
            "* 2 EXPUNGE",
            "a OK MOVE completed"
        ])
    );
    assert_eq!(
        c.cmd("b MOVE 2 Dest").await,
        lines(&[
            &format!("* OK [COPYUID {uv} 4 3] Moved UIDs"),
            "* 2 EXPUNGE",
            "b OK MOVE completed"
        ])
    );
    assert_eq!(env.uids().await, vec![1]);
    assert_eq!(env.mailbox("Dest").await.message_count, 3);
    assert_eq!(
        c.cmd("c FETCH 1:* UID").await,
        lines(&["* 1 FETCH (UID 1)", "c OK FETCH completed"])
    );
}

#[tokio::test]
async fn nothing_to_move_and_bad_numbers() {
    let (env, mut c, _) = setup().await;
    only(&mut c, "a UID MOVE 99 Dest", "a OK MOVE completed").await;
    only(&mut c, "b MOVE 9 Dest", "b BAD invalid message sequence number 9").await;
    assert_eq!(env.inbox().await.message_count, 4);
}

#[tokio::test]
async fn trycreate_and_read_only() {
    let (env, mut c, _) = setup().await;
    only(&mut c, "a MOVE 1 Nope", "a NO [TRYCREATE] Mailbox does not exist").await;
    c.cmd("b EXAMINE INBOX").await;
    only(&mut c, "c MOVE 1 Dest", "c NO [READ-ONLY] Mailbox is read-only").await;
    only(
        &mut c,
        "d UID MOVE 1 Dest",
        "d NO [READ-ONLY] Mailbox is read-only",
    )
    .await;
    assert_eq!(env.inbox().await.message_count, 4);
    assert_eq!(env.mailbox("Dest").await.message_count, 0);
}

/// Moving into the selected mailbox itself: the message gets a new UID (RFC 6851 §3.3 allows it).
#[tokio::test]
async fn into_selected_mailbox() {
    let (env, mut c, _) = setup().await;
    let uv = env.inbox().await.uidvalidity;
    assert_eq!(
        c.cmd("a MOVE 1 INBOX").await,
        lines(&[
            &format!("* OK [COPYUID {uv} 1 5] Moved UIDs"),
            "* 1 EXPUNGE",
            "* 4 EXISTS",
            "a OK MOVE completed"
        ])
    );
    assert_eq!(env.uids().await, vec![2, 3, 4, 5]);
}

#[tokio::test]
async fn states_and_names() {
    let (env, mut c, _) = setup().await;
    c.cmd("a CREATE \"Entw&APw-rfe\"").await;
    let uv = env.mailbox("Entwürfe").await.uidvalidity;
    assert_eq!(
        c.cmd("b MOVE 1 \"Entw&APw-rfe\"").await,
        lines(&[
            &format!("* OK [COPYUID {uv} 1 1] Moved UIDs"),
            "* 1 EXPUNGE",
            "b OK MOVE completed"
        ])
    );
    only(
        &mut c,
        "c MOVE 1 \"&APw\"",
        "c BAD invalid mailbox name: unterminated '&'",
    )
    .await;
    let mut c = env.logged_in().await;
    refused_in_state(&mut c, "d MOVE 1 Dest", "MOVE").await;
    refused_in_state(&mut c, "e UID MOVE 1 Dest", "MOVE").await;
}

#[tokio::test]
async fn syntax_errors() {
    let (_env, mut c, _) = setup().await;
    only(&mut c, "a MOVE", "a BAD expected ' '").await;
    only(&mut c, "b MOVE 1", "b BAD expected ' '").await;
    only(&mut c, "c UID MOVE x Dest", "c BAD expected a number").await;
}
