//! STATUS (RFC 9051 §6.3.11; STATUS=SIZE RFC 8438; CONDSTORE RFC 7162 §3.1.6; APPENDLIMIT RFC 7889 §3;
//! OBJECTID RFC 8474 §4.3): every item, `[NONEXISTENT]` for a missing mailbox, the selected mailbox,
//! names in modified UTF-7 or UTF-8. RECENT is always 0: Malt has no `\Recent` (op/status.rs). The
//! DELETED and DELETED-STORAGE items are tested in quota.rs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[tokio::test]
async fn all_items() {
    let env = start().await;
    let m = msg("a", "x");
    env.append(&m).await;
    env.append(&m).await;
    env.add_flags(1, malt_store::Flags::new(malt_store::flag::SEEN, vec![]))
        .await;
    let mb = env.inbox().await;
    let mut c = env.client().await;
    refused_in_state(&mut c, "a STATUS INBOX (MESSAGES)", "STATUS").await;
    let mut c = env.logged_in().await;
    let r = c
        .cmd("b STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE HIGHESTMODSEQ APPENDLIMIT MAILBOXID)")
        .await;
    assert_eq!(
        r,
        lines(&[
            &format!(
                "* STATUS INBOX (MESSAGES 2 RECENT 0 UIDNEXT 3 UIDVALIDITY {} UNSEEN 1 SIZE {} HIGHESTMODSEQ {} APPENDLIMIT 67108864 MAILBOXID (F{}))",
                mb.uidvalidity,
                2 * m.len(),
                mb.highest_modseq,
                mb.uidvalidity
            ),
            "b OK STATUS completed"
        ])
    );
    // RFC 9051 §6.3.11 allows STATUS on the selected mailbox; it answers the same.
    c.cmd("c SELECT INBOX").await;
    assert_eq!(
        c.cmd("d STATUS inbox (UNSEEN MESSAGES)").await,
        lines(&["* STATUS INBOX (UNSEEN 1 MESSAGES 2)", "d OK STATUS completed"])
    );
}

#[tokio::test]
async fn nonexistent() {
    let env = start().await;
    let mut c = env.logged_in().await;
    only(
        &mut c,
        "a STATUS Nope (MESSAGES)",
        "a NO [NONEXISTENT] No such mailbox",
    )
    .await;
}

#[tokio::test]
async fn mailbox_names() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.cmd("a CREATE \"Entw&APw-rfe\"").await;
    assert_eq!(
        c.cmd("b STATUS \"Entw&APw-rfe\" (MESSAGES)").await,
        lines(&["* STATUS Entw&APw-rfe (MESSAGES 0)", "b OK STATUS completed"])
    );
    only(
        &mut c,
        "c STATUS \"&APw\" (MESSAGES)",
        "c BAD invalid mailbox name: unterminated '&'",
    )
    .await;
    c.cmd("d ENABLE UTF8=ACCEPT").await;
    assert_eq!(
        c.cmd("e STATUS Entwürfe (MESSAGES)").await,
        lines(&["* STATUS \"Entwürfe\" (MESSAGES 0)", "e OK STATUS completed"])
    );
}

#[tokio::test]
async fn syntax_errors() {
    let env = start().await;
    let mut c = env.logged_in().await;
    only(&mut c, "a STATUS", "a BAD expected ' '").await;
    only(&mut c, "b STATUS INBOX", "b BAD expected ' '").await;
    only(&mut c, "c STATUS INBOX MESSAGES", "c BAD expected '('").await;
    only(&mut c, "d STATUS INBOX ()", "d BAD empty list").await;
    only(&mut c, "e STATUS INBOX (FOO)", "e BAD unknown STATUS item FOO").await;
}
