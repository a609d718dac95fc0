//! FETCH and UID FETCH: items, sections, partials, \Seen on non-PEEK fetches, sequence checks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

const MULTIPART: &str = "From: Bob <bob@example.net>\r\nTo: alice@example.org\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\npreamble\r\n--b\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>second</p>\r\n--b--\r\n";

#[tokio::test]
async fn fetch_items_and_sections() {
    let env = start().await;
    let m = msg("hello", "line one\r\nline two");
    env.append(&m).await;
    env.append(MULTIPART.as_bytes()).await;
    let mut c = env.selected().await;
    let r = c
        .cmd("a FETCH 1 (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)")
        .await;
    assert!(
        r[0].starts_with("* 1 FETCH (UID 1 FLAGS () RFC822.SIZE "),
        "{r:?}"
    );
    assert!(r[0].contains(&format!("RFC822.SIZE {} ", m.len())), "{r:?}");
    assert!(
        r[0].contains("ENVELOPE (\"Mon, 7 Feb 1994 21:52:25 -0800\" \"hello\""),
        "{r:?}"
    );
    let r = c.cmd("b FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]").await;
    assert!(
        r[0].contains("BODY[HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: hello\r\n\r\n)"),
        "{r:?}"
    );
    let r = c.cmd("c FETCH 1 FLAGS").await;
    assert!(r[0].contains("FLAGS ()"), "peek must not set \\Seen: {r:?}");
    let r = c.cmd("d FETCH 1 BODY[TEXT]<5.3>").await;
    assert!(r[0].contains("BODY[TEXT]<5> {3}\r\none"), "{r:?}");
    assert!(r[0].contains("FLAGS (\\Seen)"), "{r:?}");
    let r = c
        .cmd("e FETCH 2 (BODYSTRUCTURE BODY.PEEK[2] BODY.PEEK[1.MIME])")
        .await;
    assert!(r[0].contains("BODYSTRUCTURE ((\"text\" \"plain\""), "{r:?}");
    assert!(r[0].contains("BODY[2] {13}\r\n<p>second</p>"), "{r:?}");
    assert!(
        r[0].contains("BODY[1.MIME] {28}\r\nContent-Type: text/plain\r\n\r\n"),
        "{r:?}"
    );
    let r = c.cmd("f UID FETCH 2 (FLAGS)").await;
    assert!(r[0].starts_with("* 2 FETCH (UID 2 FLAGS ())"), "{r:?}");
    let r = c.cmd("g FETCH 3 FLAGS").await;
    assert!(r[0].starts_with("g BAD"), "{r:?}");
    let r = c.cmd("h UID FETCH 5:* FLAGS").await;
    assert!(
        r[0].starts_with("* 2 FETCH (UID 2 "),
        "n:* includes the last message: {r:?}"
    );
    let r = c.cmd("i FETCH 1 RFC822.HEADER").await;
    assert!(r[0].contains("RFC822.HEADER {"), "{r:?}");
    let r = c.cmd("j FETCH 2 RFC822").await;
    assert!(r[0].contains("first part"), "{r:?}");
}
