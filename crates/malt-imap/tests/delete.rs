//! DELETE (RFC 9051 §6.3.5): `[NONEXISTENT]` for a missing mailbox, `[CANNOT]` for INBOX (in any case).
//! Malt deliberately refuses a mailbox with children with `NO [HASCHILDREN]` instead of keeping it as
//! `\Noselect` (op/delete.rs: "INBOX and mailboxes with children are refused"). A name deleted and
//! created again gets a new UIDVALIDITY (RFC 9051 §6.3.5).
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
async fn deletes_in_both_states() {
    let env = start().await;
    let mut c = env.client().await;
    refused_in_state(&mut c, "a DELETE Junk", "DELETE").await;
    let mut c = env.logged_in().await;
    c.cmd("b CREATE Old").await;
    env.append_to("Old", &msg("a", "x")).await;
    only(&mut c, "c DELETE Old", "c OK DELETE completed").await;
    assert!(!exists(&env, "Old").await);
    let mut c = env.selected().await;
    // A special-use mailbox is an ordinary one for DELETE.
    only(&mut c, "d DELETE Junk", "d OK DELETE completed").await;
    assert!(!exists(&env, "Junk").await);
}

#[tokio::test]
async fn refusals() {
    let env = start().await;
    let mut c = env.logged_in().await;
    only(&mut c, "a DELETE INBOX", "a NO [CANNOT] INBOX cannot be deleted").await;
    only(&mut c, "b DELETE inbox", "b NO [CANNOT] INBOX cannot be deleted").await;
    only(&mut c, "c DELETE Nope", "c NO [NONEXISTENT] No such mailbox").await;
    c.cmd("d CREATE Work/Projects").await;
    only(
        &mut c,
        "e DELETE Work",
        "e NO [HASCHILDREN] Mailbox has children, delete them first",
    )
    .await;
    // Children first, then the parent.
    only(&mut c, "f DELETE Work/Projects", "f OK DELETE completed").await;
    only(&mut c, "g DELETE Work", "g OK DELETE completed").await;
    assert!(!exists(&env, "Work").await);
}

#[tokio::test]
async fn recreated_name_gets_new_uidvalidity() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.cmd("a CREATE Box").await;
    let before = env.mailbox("Box").await.uidvalidity;
    c.cmd("b DELETE Box").await;
    c.cmd("c CREATE Box").await;
    assert_ne!(env.mailbox("Box").await.uidvalidity, before);
}

#[tokio::test]
async fn mailbox_names() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.cmd("a CREATE \"Entw&APw-rfe\"").await;
    only(&mut c, "b DELETE \"Entw&APw-rfe\"", "b OK DELETE completed").await;
    assert!(!exists(&env, "Entwürfe").await);
    only(
        &mut c,
        "c DELETE \"&APw\"",
        "c BAD invalid mailbox name: unterminated '&'",
    )
    .await;
    c.cmd("d ENABLE UTF8=ACCEPT").await;
    c.cmd("e CREATE Grüße").await;
    only(&mut c, "f DELETE Grüße", "f OK DELETE completed").await;
    assert!(!exists(&env, "Grüße").await);
}

#[tokio::test]
async fn syntax_errors() {
    let env = start().await;
    let mut c = env.logged_in().await;
    only(&mut c, "a DELETE", "a BAD expected ' '").await;
    only(
        &mut c,
        "b DELETE Junk Trash",
        "b BAD unexpected characters at end of command",
    )
    .await;
    assert!(exists(&env, "Junk").await);
}
