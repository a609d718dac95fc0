//! SEARCH and UID SEARCH.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[tokio::test]
async fn search_keys() {
    let env = start().await;
    env.append(&msg("apple", "red fruit")).await;
    env.append(&msg("banana", "yellow fruit")).await;
    env.append(&msg("cherry", "red berry")).await;
    let mut c = env.selected().await;
    c.cmd("a STORE 2 +FLAGS (\\Flagged $Tasty)").await;
    let r = c.cmd("b SEARCH ALL").await;
    assert_eq!(r[0], "* SEARCH 1 2 3\r\n");
    let r = c.cmd("c SEARCH FLAGGED").await;
    assert_eq!(r[0], "* SEARCH 2\r\n");
    let r = c.cmd("d SEARCH UNFLAGGED KEYWORD $Tasty").await;
    assert_eq!(r[0], "* SEARCH\r\n");
    let r = c.cmd("e SEARCH OR SUBJECT apple SUBJECT cherry").await;
    assert_eq!(r[0], "* SEARCH 1 3\r\n");
    let r = c.cmd("f UID SEARCH BODY red").await;
    assert_eq!(r[0], "* SEARCH 1 3\r\n");
    let r = c.cmd("g SEARCH NOT TEXT fruit").await;
    assert_eq!(r[0], "* SEARCH 3\r\n");
    let r = c.cmd("h SEARCH FROM bob@example.net 2:3").await;
    assert_eq!(r[0], "* SEARCH 2 3\r\n");
    let r = c.cmd("i SEARCH HEADER Message-ID banana LARGER 10").await;
    assert_eq!(r[0], "* SEARCH 2\r\n");
    let r = c.cmd("j SEARCH SENTBEFORE 1-Jan-2000 SINCE 1-Jan-2020").await;
    assert_eq!(r[0], "* SEARCH 1 2 3\r\n");
    let r = c.cmd("k SEARCH UNSEEN UID 2:*").await;
    assert_eq!(r[0], "* SEARCH 2 3\r\n");
    let r = c.cmd("l SEARCH RETURN (MIN MAX COUNT) ALL").await;
    assert_eq!(r[0], "* ESEARCH (TAG \"l\") MIN 1 MAX 3 COUNT 3\r\n");
    let r = c.cmd("l2 UID SEARCH RETURN () FLAGGED").await;
    assert_eq!(r[0], "* ESEARCH (TAG \"l2\") UID ALL 2\r\n");
    let r = c.cmd("m SEARCH CHARSET KOI8-R ALL").await;
    assert!(r[0].starts_with("m NO [BADCHARSET"), "{r:?}");
    // IMAP4rev2: ESEARCH without RETURN.
    assert!(c.cmd("n0 ENABLE IMAP4rev2").await[0].starts_with("n0 BAD"));
    c.cmd("n1 UNSELECT").await;
    c.cmd("n ENABLE IMAP4rev2").await;
    c.cmd("n2 SELECT INBOX").await;
    let r = c.cmd("o SEARCH SEEN").await;
    assert_eq!(r[0], "* ESEARCH (TAG \"o\")\r\n");
    let r = c.cmd("p SEARCH ALL").await;
    assert_eq!(r[0], "* ESEARCH (TAG \"p\") ALL 1:3\r\n");
}
