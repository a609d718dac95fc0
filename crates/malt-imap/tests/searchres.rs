//! SEARCHRES (RFC 5182): SEARCH RETURN (SAVE) and `$` in FETCH, STORE, COPY, MOVE, SEARCH, UID SEARCH and
//! UID EXPUNGE; `$` is empty before any SAVE, reset by SELECT, emptied by a failed SAVE, and loses
//! expunged messages.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

async fn four() -> (Env, Client) {
    let env = start().await;
    for s in ["a", "b", "c", "d"] {
        env.append(&msg(s, "x")).await;
    }
    let mut c = env.selected().await;
    let r = c.cmd("f0 STORE 2,4 +FLAGS.SILENT (\\Flagged)").await;
    assert_eq!(r, vec!["f0 OK STORE completed\r\n"]);
    (env, c)
}

#[tokio::test]
async fn empty_before_save() {
    let (_env, mut c) = four().await;
    // RFC 5182 §2.1: `$` starts empty; commands using it succeed with nothing to do.
    assert_eq!(c.cmd("a FETCH $ (UID)").await, vec!["a OK FETCH completed\r\n"]);
    assert_eq!(
        c.cmd("b UID FETCH $ (UID)").await,
        vec!["b OK FETCH completed\r\n"]
    );
    assert_eq!(
        c.cmd("c SEARCH $").await,
        vec!["* SEARCH\r\n", "c OK SEARCH completed\r\n"]
    );
    assert_eq!(c.cmd("d SEARCH NOT $").await[0], "* SEARCH 1 2 3 4\r\n");
    let r = c.cmd("e STORE $ +FLAGS (\\Seen)").await;
    assert_eq!(r, vec!["e OK STORE completed\r\n"]);
}

#[tokio::test]
async fn save_then_use_everywhere() {
    let (env, mut c) = four().await;
    // RETURN (SAVE) alone: no ESEARCH (RFC 5182 §2.4).
    let r = c.cmd("b SEARCH RETURN (SAVE) FLAGGED").await;
    assert_eq!(r, vec!["b OK SEARCH completed\r\n"]);
    let r = c.cmd("c FETCH $ (UID)").await;
    assert_eq!(
        r,
        vec![
            "* 2 FETCH (UID 2)\r\n",
            "* 4 FETCH (UID 4)\r\n",
            "c OK FETCH completed\r\n"
        ]
    );
    assert_eq!(c.cmd("d SEARCH $").await[0], "* SEARCH 2 4\r\n");
    assert_eq!(c.cmd("e SEARCH NOT $").await[0], "* SEARCH 1 3\r\n");
    assert_eq!(c.cmd("f UID SEARCH UID $").await[0], "* SEARCH 2 4\r\n");
    assert_eq!(c.cmd("f2 SEARCH OR $ 1").await[0], "* SEARCH 1 2 4\r\n");
    let r = c.cmd("g STORE $ +FLAGS (\\Seen)").await;
    assert_eq!(
        r,
        vec![
            "* 2 FETCH (FLAGS (\\Seen \\Flagged))\r\n",
            "* 4 FETCH (FLAGS (\\Seen \\Flagged))\r\n",
            "g OK STORE completed\r\n"
        ]
    );
    c.cmd("h0 CREATE Archive").await;
    let archive = env.mailbox("Archive").await;
    let r = c.cmd("h COPY $ Archive").await;
    assert_eq!(
        r,
        vec![format!(
            "h OK [COPYUID {} 2,4 1:2] COPY completed\r\n",
            archive.uidvalidity
        )]
    );
    // UID EXPUNGE $ removes the \Deleted ones of `$`; `$` loses them.
    c.cmd("i0 STORE 1,4 +FLAGS.SILENT (\\Deleted)").await;
    let r = c.cmd("i UID EXPUNGE $").await;
    assert_eq!(r, vec!["* 4 EXPUNGE\r\n", "i OK EXPUNGE completed\r\n"]);
    assert_eq!(c.cmd("j SEARCH $").await[0], "* SEARCH 2\r\n");
    let r = c.cmd("k MOVE $ Archive").await;
    assert_eq!(
        r,
        vec![
            format!("* OK [COPYUID {} 2 3] Moved UIDs\r\n", archive.uidvalidity),
            "* 2 EXPUNGE\r\n".to_owned(),
            "k OK MOVE completed\r\n".to_owned()
        ]
    );
    assert_eq!(c.cmd("l SEARCH $").await[0], "* SEARCH\r\n");
    assert_eq!(env.mailbox("Archive").await.message_count, 3);
}

#[tokio::test]
async fn save_with_other_return_options() {
    let (_env, mut c) = four().await;
    // MIN alone with SAVE: only the minimum is saved (RFC 5182 §2.4).
    let r = c.cmd("a SEARCH RETURN (SAVE MIN) FLAGGED").await;
    assert_eq!(r[0], "* ESEARCH (TAG \"a\") MIN 2\r\n");
    assert_eq!(c.cmd("b SEARCH $").await[0], "* SEARCH 2\r\n");
    let r = c.cmd("c SEARCH RETURN (MIN SAVE MAX) ALL").await;
    assert_eq!(r[0], "* ESEARCH (TAG \"c\") MIN 1 MAX 4\r\n");
    assert_eq!(c.cmd("d SEARCH $").await[0], "* SEARCH 1 4\r\n");
    // With COUNT (or ALL) everything is saved.
    let r = c.cmd("e UID SEARCH RETURN (SAVE MIN COUNT) NOT FLAGGED").await;
    assert_eq!(r[0], "* ESEARCH (TAG \"e\") UID MIN 1 COUNT 2\r\n");
    assert_eq!(c.cmd("f SEARCH $").await[0], "* SEARCH 1 3\r\n");
    // `$` in the key of a SAVE uses the previous result, then is replaced.
    let r = c.cmd("g SEARCH RETURN (SAVE ALL) $ 3:4").await;
    assert_eq!(r[0], "* ESEARCH (TAG \"g\") ALL 3\r\n");
    assert_eq!(c.cmd("h UID FETCH $ (UID)").await[0], "* 3 FETCH (UID 3)\r\n");
    // A SAVE that fails empties `$` (RFC 5182 §2.1).
    let r = c.cmd("i SEARCH RETURN (SAVE) CHARSET KOI8-R ALL").await;
    assert!(r[0].starts_with("i NO [BADCHARSET"), "{r:?}");
    assert_eq!(c.cmd("j SEARCH $").await[0], "* SEARCH\r\n");
}

#[tokio::test]
async fn reset_on_select_and_expunge_elsewhere() {
    let (env, mut c) = four().await;
    c.cmd("a SEARCH RETURN (SAVE) ALL").await;
    assert_eq!(c.cmd("b SEARCH $").await[0], "* SEARCH 1 2 3 4\r\n");
    // Another session expunges UID 2: at the next sync point `$` no longer holds it.
    env.expunge(2).await;
    let r = c.cmd("c NOOP").await;
    assert_eq!(r, vec!["* 2 EXPUNGE\r\n", "c OK NOOP completed\r\n"]);
    assert_eq!(c.cmd("d UID SEARCH $").await[0], "* SEARCH 1 3 4\r\n");
    // Re-SELECT resets it.
    c.cmd("e SELECT INBOX").await;
    assert_eq!(c.cmd("f SEARCH $").await[0], "* SEARCH\r\n");
    // So do UNSELECT and CLOSE before the next SELECT/EXAMINE.
    c.cmd("g SEARCH RETURN (SAVE) ALL").await;
    c.cmd("h UNSELECT").await;
    c.cmd("i EXAMINE INBOX").await;
    assert_eq!(c.cmd("j SEARCH $").await[0], "* SEARCH\r\n");
    c.cmd("k SEARCH RETURN (SAVE) ALL").await;
    c.cmd("l CLOSE").await;
    c.cmd("m SELECT INBOX").await;
    assert_eq!(c.cmd("n FETCH $ (UID)").await, vec!["n OK FETCH completed\r\n"]);
}
