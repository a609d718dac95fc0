//! SUBSCRIBE and UNSUBSCRIBE (RFC 9051 §6.3.7, §6.3.8) and LSUB (RFC 3501 §6.3.9). Malt allows
//! subscribing to a name that does not exist (op/subscribe.rs; LSUB then flags it `\Noselect`),
//! unsubscribing a name never subscribed is OK, an invalid name is `[CANNOT]`. LSUB with `%` answers an
//! unsubscribed parent of a subscribed mailbox as `\Noselect` (RFC 3501 §6.3.9). The special-use
//! mailboxes created with the account start subscribed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

const DEFAULTS: [&str; 6] = [
    "* LSUB () \"/\" INBOX",
    "* LSUB () \"/\" Archive",
    "* LSUB () \"/\" Drafts",
    "* LSUB () \"/\" Junk",
    "* LSUB () \"/\" Sent",
    "* LSUB () \"/\" Trash",
];

fn lsub(tag: &str) -> Vec<String> {
    let done = format!("{tag} OK LSUB completed");
    let mut v: Vec<&str> = DEFAULTS.to_vec();
    v.push(&done);
    lines(&v)
}

#[tokio::test]
async fn subscribe_unsubscribe_lsub() {
    let env = start().await;
    let mut c = env.client().await;
    refused_in_state(&mut c, "a SUBSCRIBE INBOX", "SUBSCRIBE").await;
    refused_in_state(&mut c, "b UNSUBSCRIBE INBOX", "UNSUBSCRIBE").await;
    refused_in_state(&mut c, "c LSUB \"\" *", "LSUB").await;
    let mut c = env.logged_in().await;
    assert_eq!(c.cmd("d LSUB \"\" *").await, lsub("d"));
    c.cmd("e CREATE Lists").await;
    only(&mut c, "f SUBSCRIBE Lists", "f OK SUBSCRIBE completed").await;
    assert_eq!(
        c.cmd("g LSUB \"\" Lists").await,
        lines(&["* LSUB () \"/\" Lists", "g OK LSUB completed"])
    );
    let mut c = env.selected().await;
    only(&mut c, "h UNSUBSCRIBE Lists", "h OK UNSUBSCRIBE completed").await;
    assert_eq!(c.cmd("i LSUB \"\" *").await, lsub("i"));
    // Unsubscribing what is not subscribed is not an error.
    only(&mut c, "j UNSUBSCRIBE Lists", "j OK UNSUBSCRIBE completed").await;
}

#[tokio::test]
async fn nonexistent_and_invalid_names() {
    let env = start().await;
    let mut c = env.logged_in().await;
    only(&mut c, "a SUBSCRIBE Gone", "a OK SUBSCRIBE completed").await;
    assert_eq!(
        c.cmd("b LSUB \"\" G*").await,
        lines(&["* LSUB (\\Noselect) \"/\" Gone", "b OK LSUB completed"])
    );
    only(
        &mut c,
        "c SUBSCRIBE \"\"",
        "c NO [CANNOT] invalid mailbox name: empty",
    )
    .await;
    only(
        &mut c,
        "d SUBSCRIBE \"a//b\"",
        "d NO [CANNOT] invalid mailbox name: empty hierarchy level (around '/')",
    )
    .await;
    only(
        &mut c,
        "e SUBSCRIBE \"&APw\"",
        "e BAD invalid mailbox name: unterminated '&'",
    )
    .await;
}

#[tokio::test]
async fn lsub_patterns() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.cmd("a CREATE Lists/Rust").await;
    c.cmd("b SUBSCRIBE Lists/Rust").await;
    // "%" stops at Lists, which is not subscribed: \Noselect (RFC 3501 §6.3.9).
    assert_eq!(
        c.cmd("c LSUB \"\" L%").await,
        lines(&["* LSUB (\\Noselect) \"/\" Lists", "c OK LSUB completed"])
    );
    assert_eq!(
        c.cmd("d LSUB \"\" L*").await,
        lines(&["* LSUB () \"/\" Lists/Rust", "d OK LSUB completed"])
    );
    assert_eq!(
        c.cmd("e LSUB Lists/ %").await,
        lines(&["* LSUB () \"/\" Lists/Rust", "e OK LSUB completed"])
    );
    c.cmd("f SUBSCRIBE Lists").await;
    assert_eq!(
        c.cmd("g LSUB \"\" L%").await,
        lines(&["* LSUB () \"/\" Lists", "g OK LSUB completed"])
    );
    assert_eq!(
        c.cmd("h LSUB \"\" Nothing*").await,
        lines(&["h OK LSUB completed"])
    );
}

#[tokio::test]
async fn mailbox_names() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.cmd("a CREATE \"Entw&APw-rfe\"").await;
    only(&mut c, "b SUBSCRIBE \"Entw&APw-rfe\"", "b OK SUBSCRIBE completed").await;
    assert_eq!(
        c.cmd("c LSUB \"\" Entw*").await,
        lines(&["* LSUB () \"/\" Entw&APw-rfe", "c OK LSUB completed"])
    );
    c.cmd("d ENABLE UTF8=ACCEPT").await;
    assert_eq!(
        c.cmd("e LSUB \"\" Entw*").await,
        lines(&["* LSUB () \"/\" \"Entwürfe\"", "e OK LSUB completed"])
    );
    only(&mut c, "f UNSUBSCRIBE Entwürfe", "f OK UNSUBSCRIBE completed").await;
    assert_eq!(c.cmd("g LSUB \"\" Entw*").await, lines(&["g OK LSUB completed"]));
}

#[tokio::test]
async fn syntax_errors() {
    let env = start().await;
    let mut c = env.logged_in().await;
    only(&mut c, "a SUBSCRIBE", "a BAD expected ' '").await;
    only(&mut c, "b UNSUBSCRIBE", "b BAD expected ' '").await;
    only(&mut c, "c LSUB \"\"", "c BAD expected ' '").await;
    only(
        &mut c,
        "d SUBSCRIBE a b",
        "d BAD unexpected characters at end of command",
    )
    .await;
}
