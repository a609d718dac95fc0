//! SEARCH and UID SEARCH.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_store::{Flags, flag};

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

/// The MODSEQ of message `seq`, from FETCH (RFC 7162 §3.1.4).
async fn modseq_of(c: &mut Client, seq: u32) -> u64 {
    let r = c.cmd(&format!("ms FETCH {seq} (MODSEQ)")).await;
    r[0].split("MODSEQ (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{r:?}"))
}

#[tokio::test]
async fn search_modseq() {
    let env = start().await;
    for s in ["a", "b", "c"] {
        env.append(&msg(s, "x")).await;
    }
    let mut c = env.selected().await;
    c.cmd("a STORE 2 +FLAGS.SILENT (\\Seen)").await;
    let m2 = modseq_of(&mut c, 2).await;
    c.cmd("b STORE 1 +FLAGS.SILENT (\\Flagged)").await;
    let m1 = modseq_of(&mut c, 1).await;
    assert!(m1 > m2);
    // RFC 7162 §3.1.5: the highest modseq of the matches follows the numbers.
    let r = c.cmd(&format!("c SEARCH MODSEQ {m2}")).await;
    assert_eq!(
        r,
        vec![
            format!("* SEARCH 1 2 (MODSEQ {m1})\r\n"),
            "c OK SEARCH completed\r\n".to_owned()
        ]
    );
    let r = c.cmd(&format!("d UID SEARCH SEEN MODSEQ {m2}")).await;
    assert_eq!(r[0], format!("* SEARCH 2 (MODSEQ {m2})\r\n"));
    let r = c
        .cmd(&format!("e SEARCH MODSEQ \"/flags/\\\\draft\" all {m2}"))
        .await;
    assert_eq!(r[0], format!("* SEARCH 1 2 (MODSEQ {m1})\r\n"));
    // Nothing matched: nothing extra.
    let r = c.cmd(&format!("f SEARCH MODSEQ {}", m1 + 1)).await;
    assert_eq!(r[0], "* SEARCH\r\n");
    // Without a MODSEQ key there is no MODSEQ in the answer.
    assert_eq!(c.cmd("g SEARCH SEEN").await[0], "* SEARCH 2\r\n");
    // ESEARCH: MODSEQ of what is returned; MIN alone reports the minimum's modseq.
    let r = c.cmd(&format!("h SEARCH RETURN (ALL) MODSEQ {m2}")).await;
    assert_eq!(r[0], format!("* ESEARCH (TAG \"h\") ALL 1:2 MODSEQ {m1}\r\n"));
    let r = c.cmd(&format!("i UID SEARCH RETURN (MAX) MODSEQ {m2}")).await;
    assert_eq!(r[0], format!("* ESEARCH (TAG \"i\") UID MAX 2 MODSEQ {m2}\r\n"));
    let r = c.cmd(&format!("j SEARCH RETURN (COUNT) MODSEQ {}", m1 + 1)).await;
    assert_eq!(r[0], "* ESEARCH (TAG \"j\") COUNT 0\r\n");
}

#[tokio::test]
async fn esearch_edge_cases() {
    let env = start().await;
    for s in ["a", "b", "c", "d"] {
        env.append(&msg(s, "x")).await;
    }
    let mut c = env.selected().await;
    c.cmd("a STORE 1,3:4 +FLAGS.SILENT (\\Seen)").await;
    // RETURN () means ALL (RFC 4731 §3.1).
    let r = c.cmd("b SEARCH RETURN () SEEN").await;
    assert_eq!(
        r,
        vec!["* ESEARCH (TAG \"b\") ALL 1,3:4\r\n", "b OK SEARCH completed\r\n"]
    );
    // No match: COUNT 0 is still reported; MIN, MAX and ALL are omitted.
    let r = c.cmd("c SEARCH RETURN (MIN MAX COUNT ALL) DELETED").await;
    assert_eq!(r[0], "* ESEARCH (TAG \"c\") COUNT 0\r\n");
    let r = c.cmd("d SEARCH RETURN (MIN MAX) DELETED").await;
    assert_eq!(r[0], "* ESEARCH (TAG \"d\")\r\n");
    let r = c.cmd("e UID SEARCH RETURN (MIN MAX) UNSEEN").await;
    assert_eq!(r[0], "* ESEARCH (TAG \"e\") UID MIN 2 MAX 2\r\n");
}

/// SEARCH reads the mailbox in chunks of 500 (flags from the store, never all metadata at once):
/// hits on both sides of the chunk boundaries, with an expunge gap in the view's UID runs.
#[tokio::test]
async fn search_across_chunks() {
    let env = start().await;
    for i in 0..1050 {
        env.append(&msg(&format!("m{i}"), "x")).await;
    }
    env.expunge(2).await;
    for uid in [1, 500, 501, 502, 1001, 1050] {
        env.add_flags(uid, Flags::new(flag::FLAGGED, [])).await;
    }
    let mut c = env.selected().await;
    assert_eq!(
        c.cmd("a UID SEARCH FLAGGED").await,
        lines(&["* SEARCH 1 500 501 502 1001 1050", "a OK SEARCH completed"])
    );
    assert_eq!(
        c.cmd("b SEARCH FLAGGED").await,
        lines(&["* SEARCH 1 499 500 501 1000 1049", "b OK SEARCH completed"])
    );
    assert_eq!(
        c.cmd("c SORT (REVERSE SUBJECT) UTF-8 FLAGGED SUBJECT m5").await,
        lines(&["* SORT 501 500", "c OK SORT completed"])
    );
    assert_eq!(
        c.cmd("d SEARCH RETURN (COUNT) UNFLAGGED").await,
        lines(&["* ESEARCH (TAG \"d\") COUNT 1043", "d OK SEARCH completed"])
    );
}
