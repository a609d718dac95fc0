//! STORE, EXPUNGE, UID EXPUNGE, COPY, MOVE.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[tokio::test]
async fn store_flags_and_keywords() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    env.append(&msg("b", "y")).await;
    let mut c = env.selected().await;
    let r = c.cmd("a STORE 1 +FLAGS (\\Flagged)").await;
    assert_eq!(r[0], "* 1 FETCH (FLAGS (\\Flagged))\r\n");
    let r = c.cmd("b STORE 1:2 +FLAGS ($Work)").await;
    // A new keyword: FLAGS and PERMANENTFLAGS come before the FETCHes (PITFALLS 4).
    assert!(r[0].starts_with("* FLAGS (") && r[0].contains("$Work"), "{r:?}");
    assert!(r[1].contains("PERMANENTFLAGS") && r[1].contains("$Work"), "{r:?}");
    assert!(r[2].starts_with("* 1 FETCH (FLAGS (\\Flagged $Work))"), "{r:?}");
    let r = c.cmd("c UID STORE 2 FLAGS.SILENT (\\Seen)").await;
    assert_eq!(r, vec!["c OK STORE completed\r\n"]);
    let r = c.cmd("d UID STORE 2 -FLAGS (\\Seen)").await;
    assert_eq!(r[0], "* 2 FETCH (UID 2 FLAGS ())\r\n");
}

#[tokio::test]
async fn expunge_and_uid_expunge() {
    let env = start().await;
    for s in ["a", "b", "c", "d"] {
        env.append(&msg(s, "x")).await;
    }
    let mut c = env.selected().await;
    c.cmd("a STORE 1:4 +FLAGS.SILENT (\\Deleted)").await;
    let r = c.cmd("b UID EXPUNGE 2:3").await;
    assert_eq!(
        r,
        vec!["* 3 EXPUNGE\r\n", "* 2 EXPUNGE\r\n", "b OK EXPUNGE completed\r\n"]
    );
    let r = c.cmd("c EXPUNGE").await;
    assert_eq!(
        r,
        vec!["* 2 EXPUNGE\r\n", "* 1 EXPUNGE\r\n", "c OK EXPUNGE completed\r\n"]
    );
    assert_eq!(env.mailbox("INBOX").await.message_count, 0);
}

#[tokio::test]
async fn copy_and_move() {
    let env = start().await;
    for s in ["a", "b", "c"] {
        env.append(&msg(s, "x")).await;
    }
    let mut c = env.selected().await;
    c.cmd("a CREATE Dest").await;
    let dest = env.mailbox("Dest").await;
    let r = c.cmd("b COPY 1:2 Dest").await;
    assert_eq!(
        r[0],
        format!("b OK [COPYUID {} 1:2 1:2] COPY completed\r\n", dest.uidvalidity)
    );
    let r = c.cmd("c COPY 1 Nope").await;
    assert!(r[0].starts_with("c NO [TRYCREATE]"), "{r:?}");
    let r = c.cmd("d UID MOVE 2:3 Dest").await;
    assert_eq!(
        r[0],
        format!("* OK [COPYUID {} 2:3 3:4] Moved UIDs\r\n", dest.uidvalidity)
    );
    assert_eq!(r[1], "* 3 EXPUNGE\r\n");
    assert_eq!(r[2], "* 2 EXPUNGE\r\n");
    assert!(r[3].starts_with("d OK"));
    assert_eq!(env.mailbox("Dest").await.message_count, 4);
    // Copy into the selected mailbox: EXISTS before the tagged OK.
    let r = c.cmd("e COPY 1 INBOX").await;
    assert_eq!(r[0], "* 2 EXISTS\r\n", "{r:?}");
}
