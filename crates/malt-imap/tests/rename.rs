//! RENAME (RFC 9051 §6.3.6): children move along, missing parents of the new name are created,
//! renaming INBOX moves its messages into the new mailbox and leaves INBOX empty; `[NONEXISTENT]` for a
//! missing source, `[ALREADYEXISTS]` for an existing target, `[CANNOT]` for renaming to INBOX, into the
//! mailbox itself, or to an invalid name. Special-use attributes stay with the mailbox.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

async fn exists(env: &Env, name: &str) -> bool {
    env.core.mailbox(env.account.id, name).await.unwrap().is_some()
}

#[tokio::test]
async fn renames_with_children_and_new_parents() {
    let env = start().await;
    let mut c = env.client().await;
    refused_in_state(&mut c, "a RENAME Trash Bin", "RENAME").await;
    let mut c = env.logged_in().await;
    c.cmd("b CREATE Work/Projects").await;
    env.append_to("Work/Projects", &msg("a", "x")).await;
    only(&mut c, "c RENAME Work Archive/2024", "c OK RENAME completed").await;
    assert_eq!(
        c.cmd("d LIST \"\" Archive*").await,
        lines(&[
            "* LIST (\\HasChildren \\Archive) \"/\" Archive",
            "* LIST (\\HasChildren) \"/\" Archive/2024",
            "* LIST (\\HasNoChildren) \"/\" Archive/2024/Projects",
            "d OK LIST completed",
        ])
    );
    assert!(!exists(&env, "Work").await && !exists(&env, "Work/Projects").await);
    assert_eq!(env.mailbox("Archive/2024/Projects").await.message_count, 1);
    let mut c = env.selected().await;
    only(&mut c, "e RENAME Trash Bin", "e OK RENAME completed").await;
    let r = c.cmd("f LIST \"\" Bin").await;
    assert_eq!(
        r,
        lines(&[
            "* LIST (\\HasNoChildren \\Trash) \"/\" Bin",
            "f OK LIST completed"
        ])
    );
}

#[tokio::test]
async fn inbox_moves_its_messages() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    env.append(&msg("b", "y")).await;
    let mut c = env.logged_in().await;
    only(&mut c, "a RENAME INBOX Old", "a OK RENAME completed").await;
    assert_eq!(env.mailbox("Old").await.message_count, 2);
    assert_eq!(env.inbox().await.message_count, 0);
}

#[tokio::test]
async fn refusals() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.cmd("a CREATE R/S").await;
    only(&mut c, "b RENAME Nope X", "b NO [NONEXISTENT] No such mailbox").await;
    only(
        &mut c,
        "c RENAME R Trash",
        "c NO [ALREADYEXISTS] mailbox Trash already exists",
    )
    .await;
    only(
        &mut c,
        "d RENAME R/S R",
        "d NO [ALREADYEXISTS] mailbox R already exists",
    )
    .await;
    only(
        &mut c,
        "e RENAME R INBOX",
        "e NO [CANNOT] cannot rename a mailbox to INBOX",
    )
    .await;
    only(
        &mut c,
        "f RENAME R R/S/T",
        "f NO [CANNOT] cannot rename a mailbox into itself",
    )
    .await;
    only(
        &mut c,
        "g RENAME R \"\"",
        "g NO [CANNOT] invalid mailbox name: empty",
    )
    .await;
    assert!(exists(&env, "R").await && exists(&env, "R/S").await);
}

#[tokio::test]
async fn mailbox_names() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.cmd("a CREATE Drafts2").await;
    only(
        &mut c,
        "b RENAME Drafts2 \"Entw&APw-rfe\"",
        "b OK RENAME completed",
    )
    .await;
    assert!(exists(&env, "Entwürfe").await);
    only(
        &mut c,
        "c RENAME \"Entw&APw-rfe\" \"&APw\"",
        "c BAD invalid mailbox name: unterminated '&'",
    )
    .await;
    c.cmd("d ENABLE UTF8=ACCEPT").await;
    only(&mut c, "e RENAME Entwürfe Grüße", "e OK RENAME completed").await;
    assert!(exists(&env, "Grüße").await && !exists(&env, "Entwürfe").await);
}

#[tokio::test]
async fn syntax_errors() {
    let env = start().await;
    let mut c = env.logged_in().await;
    only(&mut c, "a RENAME", "a BAD expected ' '").await;
    only(&mut c, "b RENAME Trash", "b BAD expected ' '").await;
    assert!(exists(&env, "Trash").await);
}
