//! COPY and UID COPY (RFC 9051 §6.4.7) with `[COPYUID]` (UIDPLUS, RFC 4315 §3): flags are copied,
//! `[TRYCREATE]` for a missing destination, a UID set naming no message is OK without COPYUID
//! (RFC 9051 §6.4.9), a sequence number beyond EXISTS is BAD, copying into the selected mailbox
//! announces EXISTS before the tagged OK, COPY is allowed in an EXAMINEd mailbox (it does not change
//! it). `[OVERQUOTA]` on COPY is tested in quota.rs.
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
    for s in ["a", "b", "c"] {
        env.append(&msg(s, "x")).await;
    }
    env.add_flags(
        2,
        malt_store::Flags::new(malt_store::flag::FLAGGED, vec!["$Work".into()]),
    )
    .await;
    let mut c = env.selected().await;
    c.cmd("s1 CREATE Dest").await;
    let uv = env.mailbox("Dest").await.uidvalidity;
    (env, c, uv)
}

#[tokio::test]
async fn copy_and_uid_copy() {
    let (env, mut c, uv) = setup().await;
    only(
        &mut c,
        "a COPY 1:2 Dest",
        &format!("a OK [COPYUID {uv} 1:2 1:2] COPY completed"),
    )
    .await;
    only(
        &mut c,
        "b UID COPY 3,1 Dest",
        &format!("b OK [COPYUID {uv} 1,3 3:4] COPY completed"),
    )
    .await;
    only(
        &mut c,
        "c COPY 2:* Dest",
        &format!("c OK [COPYUID {uv} 2:3 5:6] COPY completed"),
    )
    .await;
    assert_eq!(env.mailbox("Dest").await.message_count, 6);
    // The source is unchanged; flags and keywords travel with the copy.
    assert_eq!(env.inbox().await.message_count, 3);
    c.cmd("d EXAMINE Dest").await;
    assert_eq!(
        c.cmd("e FETCH 2 FLAGS").await,
        lines(&["* 2 FETCH (FLAGS (\\Flagged $Work))", "e OK FETCH completed"])
    );
}

#[tokio::test]
async fn nothing_to_copy_and_bad_numbers() {
    let (env, mut c, _) = setup().await;
    only(&mut c, "a UID COPY 99 Dest", "a OK COPY completed").await;
    only(&mut c, "b COPY 9 Dest", "b BAD invalid message sequence number 9").await;
    only(&mut c, "c COPY 0 Dest", "c BAD zero is not allowed here").await;
    assert_eq!(env.mailbox("Dest").await.message_count, 0);
}

#[tokio::test]
async fn trycreate() {
    let (env, mut c, _) = setup().await;
    only(&mut c, "a COPY 1 Nope", "a NO [TRYCREATE] Mailbox does not exist").await;
    only(
        &mut c,
        "b UID COPY 1 Nope",
        "b NO [TRYCREATE] Mailbox does not exist",
    )
    .await;
    assert!(env.core.mailbox(env.account.id, "Nope").await.unwrap().is_none());
}

#[tokio::test]
async fn into_selected_mailbox() {
    let (env, mut c, _) = setup().await;
    let uv = env.inbox().await.uidvalidity;
    assert_eq!(
        c.cmd("a COPY 1 INBOX").await,
        lines(&["* 4 EXISTS", &format!("a OK [COPYUID {uv} 1 4] COPY completed")])
    );
}

#[tokio::test]
async fn from_read_only_mailbox() {
    let (env, mut c, uv) = setup().await;
    c.cmd("a EXAMINE INBOX").await;
    only(
        &mut c,
        "b COPY 1 Dest",
        &format!("b OK [COPYUID {uv} 1 1] COPY completed"),
    )
    .await;
    assert_eq!(env.mailbox("Dest").await.message_count, 1);
}

#[tokio::test]
async fn states_and_names() {
    let (env, mut c, _) = setup().await;
    c.cmd("a CREATE \"Entw&APw-rfe\"").await;
    let uv2 = env.mailbox("Entwürfe").await.uidvalidity;
    only(
        &mut c,
        "b COPY 1 \"Entw&APw-rfe\"",
        &format!("b OK [COPYUID {uv2} 1 1] COPY completed"),
    )
    .await;
    only(
        &mut c,
        "c COPY 1 \"&APw\"",
        "c BAD invalid mailbox name: unterminated '&'",
    )
    .await;
    let mut c = env.logged_in().await;
    refused_in_state(&mut c, "d COPY 1 Dest", "COPY").await;
    // The state table names UID COPY by its command, COPY.
    refused_in_state(&mut c, "e UID COPY 1 Dest", "COPY").await;
    let mut c = env.logged_in().await;
    c.cmd("f ENABLE UTF8=ACCEPT").await;
    c.cmd("g SELECT INBOX").await;
    only(
        &mut c,
        "h COPY 1 Entwürfe",
        &format!("h OK [COPYUID {uv2} 1 2] COPY completed"),
    )
    .await;
}

#[tokio::test]
async fn syntax_errors() {
    let (_env, mut c, _) = setup().await;
    only(&mut c, "a COPY", "a BAD expected ' '").await;
    only(&mut c, "b COPY 1", "b BAD expected ' '").await;
    only(&mut c, "c COPY x Dest", "c BAD expected a number").await;
    only(
        &mut c,
        "d UID COPY 1 Dest x",
        "d BAD unexpected characters at end of command",
    )
    .await;
}

/// A message another session expunged, not yet announced (PITFALLS 2), is skipped and the rest is
/// copied (RFC 2180 §4.1.3 allows either this or NO); COPY may then announce the expunge (RFC 9051
/// §7.5.1 forbids it only during FETCH, STORE and SEARCH).
#[tokio::test]
async fn pending_expunge_is_skipped() {
    let (env, mut c, uv) = setup().await;
    env.expunge(2).await;
    settle().await;
    assert_eq!(
        c.cmd("a COPY 1:2 Dest").await,
        lines(&["* 2 EXPUNGE", &format!("a OK [COPYUID {uv} 1 1] COPY completed")])
    );
    assert_eq!(env.mailbox("Dest").await.message_count, 1);
}
