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

/// A header-only FETCH (what a client sends when it opens a folder) is answered from the header
/// block kept at append; a message stored without one (before blocks were kept) gets the same
/// answer from its blob.
#[tokio::test]
async fn header_only_fetch_from_kept_blocks_and_from_blobs() {
    let env = start().await;
    let raw = b"From: Bob <bob@example.net>\r\nTo: alice@example.org\r\nSubject: folded\r\n  subject\r\nX-Other: 1\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\n\r\nbody line\r\n".to_vec();
    env.append(&raw).await;
    let storage = env.core.storage();
    let inbox = env.inbox().await;
    let blob_id = storage.blobs.put(&raw).unwrap();
    storage
        .store
        .append(
            env.account.id,
            vec![malt_store::NewMessage {
                mailbox_id: inbox.id,
                blob_id,
                size: raw.len() as u64,
                flags: malt_store::Flags::default(),
                internal_date: 760_000_000,
                meta: malt_core::parse_message(&raw),
                header: None,
                prefix: None,
            }],
        )
        .await
        .unwrap();
    let kept = storage
        .store
        .message_headers(inbox.id, &malt_store::UidSet::all())
        .await
        .unwrap();
    assert_eq!(
        kept.len(),
        1,
        "only the message appended over IMAP has a kept block"
    );
    let mut c = env.selected().await;
    c.cmd("a STORE 1:2 FLAGS (\\Flagged)").await;
    let items = "(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From Subject)] \
                 BODY.PEEK[HEADER.FIELDS.NOT (From Subject Date)] BODY.PEEK[HEADER] RFC822.HEADER)";
    let r = c.cmd(&format!("b FETCH 1:2 {items}")).await;
    assert!(r[2].starts_with("b OK"), "{r:?}");
    let one = r[0].strip_prefix("* 1 FETCH (UID 1 ").unwrap();
    let two = r[1].strip_prefix("* 2 FETCH (UID 2 ").unwrap();
    assert_eq!(one, two, "the kept block and the blob give the same answer");
    let fields = "From: Bob <bob@example.net>\r\nSubject: folded\r\n  subject\r\n\r\n";
    let expected = format!(
        "BODY[HEADER.FIELDS (From Subject)] {{{}}}\r\n{fields}",
        fields.len()
    );
    assert!(one.contains(&expected), "{one}");
    let others = "To: alice@example.org\r\nX-Other: 1\r\n\r\n";
    let expected = format!(
        "BODY[HEADER.FIELDS.NOT (From Subject Date)] {{{}}}\r\n{others}",
        others.len()
    );
    assert!(one.contains(&expected), "{one}");
    assert!(one.contains(&format!("RFC822.SIZE {} ", raw.len())), "{one}");
    assert!(one.contains("FLAGS (\\Flagged)"), "{one}");
    // Not header-only: the general path, for both.
    let r = c.cmd("c FETCH 1:2 (BODY.PEEK[HEADER] BODY.PEEK[TEXT])").await;
    assert!(r[0].contains("BODY[TEXT] {11}\r\nbody line\r\n"), "{r:?}");
    assert!(r[1].contains("BODY[TEXT] {11}\r\nbody line\r\n"), "{r:?}");
}
