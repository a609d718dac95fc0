//! CREATE (RFC 9051 §6.3.4; CREATE-SPECIAL-USE RFC 6154 §3; OBJECTID RFC 8474 §4.1): `OK [MAILBOXID]`,
//! missing parents created, a trailing delimiter dropped, `[ALREADYEXISTS]` (INBOX in any case
//! included), `[CANNOT]` for invalid names, `[USEATTR]` for an unknown or second special use, names in
//! modified UTF-7 (RFC 9051 §5.1.3) or, after ENABLE UTF8=ACCEPT, in UTF-8 (RFC 6855 §3).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

async fn created(env: &Env, tag: &str, name: &str) -> Vec<String> {
    let id = env.mailbox(name).await.uidvalidity;
    lines(&[&format!("{tag} OK [MAILBOXID (F{id})] CREATE completed")])
}

async fn exists(env: &Env, name: &str) -> bool {
    env.core.mailbox(env.account.id, name).await.unwrap().is_some()
}

#[tokio::test]
async fn creates_with_parents_in_both_states() {
    let env = start().await;
    let mut c = env.client().await;
    refused_in_state(&mut c, "a CREATE Work", "CREATE").await;
    let mut c = env.logged_in().await;
    let r = c.cmd("b CREATE Work/Projects/2024").await;
    assert_eq!(r, created(&env, "b", "Work/Projects/2024").await);
    assert!(exists(&env, "Work").await && exists(&env, "Work/Projects").await);
    let mut c = env.selected().await;
    // A trailing delimiter is dropped (RFC 9051 §6.3.4).
    let r = c.cmd("c CREATE Later/").await;
    assert_eq!(r, created(&env, "c", "Later").await);
}

#[tokio::test]
async fn already_exists() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.cmd("a CREATE Work/Projects").await;
    for (tag, name) in [("b", "Work"), ("c", "Work/Projects"), ("d", "Work/")] {
        only(
            &mut c,
            &format!("{tag} CREATE {name}"),
            &format!(
                "{tag} NO [ALREADYEXISTS] mailbox {} already exists",
                name.trim_end_matches('/')
            ),
        )
        .await;
    }
    only(
        &mut c,
        "e CREATE inbox",
        "e NO [ALREADYEXISTS] mailbox INBOX already exists",
    )
    .await;
}

#[tokio::test]
async fn invalid_names() {
    let env = start().await;
    let mut c = env.logged_in().await;
    only(
        &mut c,
        "a CREATE \"\"",
        "a NO [CANNOT] invalid mailbox name: empty",
    )
    .await;
    let level = "NO [CANNOT] invalid mailbox name: empty hierarchy level (around '/')";
    only(&mut c, "b CREATE \"a//b\"", &format!("b {level}")).await;
    only(&mut c, "c CREATE /top", &format!("c {level}")).await;
    assert!(!exists(&env, "a").await && !exists(&env, "top").await);
}

#[tokio::test]
async fn special_use() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let r = c.cmd("a CREATE Starred (USE (\\Flagged))").await;
    assert_eq!(r, created(&env, "a", "Starred").await);
    let r = c.cmd("b LIST \"\" Starred").await;
    assert_eq!(
        r,
        lines(&[
            "* LIST (\\HasNoChildren \\Flagged) \"/\" Starred",
            "b OK LIST completed"
        ])
    );
    only(
        &mut c,
        "c CREATE X (USE (\\Foo))",
        "c NO [USEATTR] Unsupported special use \\Foo",
    )
    .await;
    only(
        &mut c,
        "d CREATE Y (USE (\\Drafts \\Sent))",
        "d NO [USEATTR] Unsupported special use \\Sent",
    )
    .await;
    assert!(!exists(&env, "X").await && !exists(&env, "Y").await);
}

#[tokio::test]
async fn modified_utf7_names() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let r = c.cmd("a CREATE \"Entw&APw-rfe\"").await;
    assert_eq!(r, created(&env, "a", "Entwürfe").await);
    let r = c.cmd("b CREATE \"a&-b\"").await;
    assert_eq!(r, created(&env, "b", "a&b").await);
    only(
        &mut c,
        "c CREATE \"&APw\"",
        "c BAD invalid mailbox name: unterminated '&'",
    )
    .await;
    // 8-bit names are not modified UTF-7.
    only(
        &mut c,
        "d CREATE Grüße",
        "d BAD invalid mailbox name: octet outside printable ASCII",
    )
    .await;
}

#[tokio::test]
async fn utf8_names_after_enable() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.cmd("a ENABLE UTF8=ACCEPT").await;
    let r = c.cmd("b CREATE Grüße").await;
    assert_eq!(r, created(&env, "b", "Grüße").await);
    // No modified UTF-7 decoding once UTF8=ACCEPT is on (RFC 6855 §3): "&APw-" is taken as is.
    let r = c.cmd("c CREATE \"&APw-\"").await;
    assert_eq!(r, created(&env, "c", "&APw-").await);
    assert!(!exists(&env, "ü").await);
}

#[tokio::test]
async fn syntax_errors() {
    let env = start().await;
    let mut c = env.logged_in().await;
    only(&mut c, "a CREATE", "a BAD expected ' '").await;
    let r = c.cmd("b CREATE X (USE)").await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].starts_with("b BAD "), "{r:?}");
    assert!(!exists(&env, "X").await);
}
