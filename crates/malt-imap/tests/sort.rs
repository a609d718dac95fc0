//! SORT and UID SORT (RFC 5256 §3, RFC 5957 DISPLAYFROM/DISPLAYTO) and ESORT (RFC 5267 §3) over the
//! real server: every key, REVERSE, several keys, tie-breaks by sequence number, BADCHARSET, RETURN.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

/// A message with the given headers (`None` leaves a header out) and a body of `body_len` octets.
pub fn mail(
    from: &str,
    to: &str,
    cc: Option<&str>,
    subject: &str,
    date: Option<&str>,
    body_len: usize,
) -> Vec<u8> {
    let mut m = format!("From: {from}\r\nTo: {to}\r\n");
    if let Some(cc) = cc {
        m.push_str(&format!("Cc: {cc}\r\n"));
    }
    m.push_str(&format!("Subject: {subject}\r\n"));
    if let Some(d) = date {
        m.push_str(&format!("Date: {d}\r\n"));
    }
    m.push_str("\r\n");
    m.push_str(&"x".repeat(body_len));
    m.push_str("\r\n");
    m.into_bytes()
}

/// APPENDs `raw` with INTERNALDATE `date` through IMAP (LITERAL+).
pub async fn append_at(c: &mut Client, raw: &[u8], date: &str) {
    let mut cmd = format!("ap APPEND INBOX \"{date}\" {{{}+}}\r\n", raw.len()).into_bytes();
    cmd.extend_from_slice(raw);
    cmd.extend_from_slice(b"\r\n");
    c.send(&cmd).await;
    let r = c.until("ap").await;
    assert!(r.last().unwrap().starts_with("ap OK"), "{r:?}");
}

/// Four messages whose orders differ per key (UIDs 2..5: UID 1 is expunged first).
async fn mailbox() -> (Env, Client) {
    let env = start().await;
    let gone = env.append(&msg("gone", "x")).await;
    env.expunge(gone).await;
    let mut a = env.logged_in().await;
    let m1 = mail(
        "Zoe <zoe@x.org>",
        "bob@b.org",
        Some("carl@c.org"),
        "Re: Budget",
        Some("Tue, 5 Mar 2024 10:00:00 +0000"),
        100,
    );
    let m2 = mail("adam@a.org", "Yvonne <yvonne@y.org>", None, "agenda", None, 400);
    let m3 = mail(
        "Aaron <mal@m.org>",
        "alice@a.org",
        Some("zed@z.org"),
        "[team] Budget",
        Some("Fri, 1 Mar 2024 12:00:00 +0200"),
        300,
    );
    let m4 = mail(
        "Bea <bea@b.org>",
        "Alice <xavier@x.org>",
        None,
        "Fwd: Zebra",
        Some("Fri, 1 Mar 2024 10:00:00 +0000"),
        200,
    );
    append_at(&mut a, &m1, "03-Jan-2020 00:00:00 +0000").await;
    append_at(&mut a, &m2, "01-Jan-2020 00:00:00 +0000").await;
    append_at(&mut a, &m3, "02-Jan-2020 00:00:00 +0000").await;
    append_at(&mut a, &m4, "04-Jan-2020 00:00:00 +0000").await;
    let c = env.selected().await;
    (env, c)
}

async fn sorted(c: &mut Client, criteria: &str) -> String {
    let r = c.cmd(&format!("s SORT ({criteria}) UTF-8 ALL")).await;
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(r[1], "s OK SORT completed\r\n");
    r[0].clone()
}

#[tokio::test]
async fn every_key_and_reverse() {
    let (_env, mut c) = mailbox().await;
    assert_eq!(sorted(&mut c, "ARRIVAL").await, "* SORT 2 3 1 4\r\n");
    assert_eq!(sorted(&mut c, "REVERSE ARRIVAL").await, "* SORT 4 1 3 2\r\n");
    // Message 2 has no Date: its INTERNALDATE (2020) is used. 3 and 4 are the same instant in UTC:
    // ties go by sequence number, also under REVERSE.
    assert_eq!(sorted(&mut c, "DATE").await, "* SORT 2 3 4 1\r\n");
    assert_eq!(sorted(&mut c, "REVERSE DATE").await, "* SORT 1 3 4 2\r\n");
    assert_eq!(sorted(&mut c, "FROM").await, "* SORT 2 4 3 1\r\n");
    assert_eq!(sorted(&mut c, "TO").await, "* SORT 3 1 4 2\r\n");
    // No Cc sorts as the empty string, first.
    assert_eq!(sorted(&mut c, "CC").await, "* SORT 2 4 1 3\r\n");
    // Base subjects: budget, agenda, budget, zebra.
    assert_eq!(sorted(&mut c, "SUBJECT").await, "* SORT 2 1 3 4\r\n");
    assert_eq!(sorted(&mut c, "SIZE").await, "* SORT 1 4 3 2\r\n");
    // Display names, or the address without one: Aaron, adam@a.org, Bea, Zoe.
    assert_eq!(sorted(&mut c, "DISPLAYFROM").await, "* SORT 3 2 4 1\r\n");
    // "Alice" < "alice@a.org" < "bob@b.org" < "Yvonne".
    assert_eq!(sorted(&mut c, "DISPLAYTO").await, "* SORT 4 3 1 2\r\n");
    assert_eq!(sorted(&mut c, "REVERSE SUBJECT").await, "* SORT 4 1 3 2\r\n");
    assert_eq!(sorted(&mut c, "REVERSE SUBJECT DATE").await, "* SORT 4 3 1 2\r\n");
    assert_eq!(sorted(&mut c, "SUBJECT REVERSE SIZE").await, "* SORT 2 3 1 4\r\n");
}

#[tokio::test]
async fn uid_sort_search_key_and_charset() {
    let (_env, mut c) = mailbox().await;
    let r = c.cmd("u UID SORT (ARRIVAL) US-ASCII ALL").await;
    assert_eq!(r, vec!["* SORT 3 4 2 5\r\n", "u OK SORT completed\r\n"]);
    let r = c.cmd("k SORT (REVERSE DATE) UTF-8 SUBJECT budget").await;
    assert_eq!(r, vec!["* SORT 1 3\r\n", "k OK SORT completed\r\n"]);
    let r = c.cmd("n SORT (DATE) UTF-8 SUBJECT nothing").await;
    assert_eq!(r, vec!["* SORT\r\n", "n OK SORT completed\r\n"]);
    let r = c.cmd("b SORT (DATE) KOI8-R ALL").await;
    assert_eq!(
        r,
        vec!["b NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset\r\n"]
    );
    let r = c.cmd("x SORT (NOSUCHKEY) UTF-8 ALL").await;
    assert!(r[0].starts_with("x BAD"), "{r:?}");
    // SORT needs a selected mailbox.
    c.cmd("z UNSELECT").await;
    let r = c.cmd("y SORT (DATE) UTF-8 ALL").await;
    assert!(r[0].starts_with("y BAD"), "{r:?}");
}

#[tokio::test]
async fn esort_return_options() {
    let (_env, mut c) = mailbox().await;
    // MIN/MAX are first/last in sort order; ALL keeps the sort order (RFC 5267 §3).
    let r = c.cmd("e1 SORT RETURN (MIN MAX COUNT ALL) (DATE) UTF-8 ALL").await;
    assert_eq!(
        r,
        vec![
            "* ESEARCH (TAG \"e1\") MIN 2 MAX 1 COUNT 4 ALL 2:4,1\r\n",
            "e1 OK SORT completed\r\n"
        ]
    );
    let r = c
        .cmd("e2 UID SORT RETURN (ALL) (REVERSE ARRIVAL) UTF-8 ALL")
        .await;
    assert_eq!(r[0], "* ESEARCH (TAG \"e2\") UID ALL 5,2,4,3\r\n");
    let r = c.cmd("e3 SORT RETURN () (SIZE) UTF-8 ALL").await;
    assert_eq!(r[0], "* ESEARCH (TAG \"e3\") ALL 1,4,3,2\r\n");
    // No match: COUNT 0 is still reported, MIN/MAX/ALL are omitted.
    let r = c
        .cmd("e4 SORT RETURN (MIN MAX COUNT ALL) (DATE) UTF-8 SUBJECT nothing")
        .await;
    assert_eq!(r[0], "* ESEARCH (TAG \"e4\") COUNT 0\r\n");
    // RETURN (SAVE) alone answers nothing but saves the result for `$` (RFC 5182 §2.4).
    let r = c.cmd("e5 SORT RETURN (SAVE) (DATE) UTF-8 SUBJECT budget").await;
    assert_eq!(r, vec!["e5 OK SORT completed\r\n"]);
    let r = c.cmd("e6 FETCH $ (UID)").await;
    assert_eq!(
        r,
        vec![
            "* 1 FETCH (UID 2)\r\n",
            "* 3 FETCH (UID 4)\r\n",
            "e6 OK FETCH completed\r\n"
        ]
    );
    // SAVE with MAX only saves the last in sort order.
    let r = c.cmd("e7 SORT RETURN (SAVE MAX) (DATE) UTF-8 ALL").await;
    assert_eq!(r[0], "* ESEARCH (TAG \"e7\") MAX 1\r\n");
    let r = c.cmd("e8 SEARCH $").await;
    assert_eq!(r[0], "* SEARCH 1\r\n");
}

#[tokio::test]
async fn sort_with_modseq() {
    let (_env, mut c) = mailbox().await;
    c.cmd("m0 STORE 3 +FLAGS.SILENT (\\Seen)").await;
    let r = c.cmd("m1 FETCH 3 (MODSEQ)").await;
    let modseq: u64 = r[0]
        .split("MODSEQ (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{r:?}"));
    let r = c
        .cmd(&format!("m2 SORT (REVERSE DATE) UTF-8 MODSEQ {modseq}"))
        .await;
    assert_eq!(r[0], format!("* SORT 3 (MODSEQ {modseq})\r\n"));
    let r = c
        .cmd(&format!("m3 SORT (DATE) UTF-8 MODSEQ {}", modseq + 1))
        .await;
    assert_eq!(r[0], "* SORT\r\n");
    let r = c.cmd("m4 SORT RETURN (COUNT) (DATE) UTF-8 MODSEQ 1").await;
    assert_eq!(
        r[0],
        format!("* ESEARCH (TAG \"m4\") COUNT 4 MODSEQ {modseq}\r\n")
    );
}

#[tokio::test]
async fn capabilities_announced() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let r = c.cmd("c CAPABILITY").await;
    let caps: Vec<&str> = r[0].split_whitespace().collect();
    for cap in [
        "SORT",
        "SORT=DISPLAY",
        "ESORT",
        "THREAD=ORDEREDSUBJECT",
        "THREAD=REFERENCES",
        "SEARCHRES",
        "ESEARCH",
    ] {
        assert!(caps.contains(&cap), "{cap} missing: {r:?}");
    }
}
