//! APPEND (RFC 9051 §6.3.12) with MULTIAPPEND (RFC 3502), UIDPLUS `[APPENDUID]` (RFC 4315 §3), literals
//! synchronising and non-synchronising (LITERAL+, RFC 7888 §3), `[TRYCREATE]`, `[TOOBIG]` (RFC 7888 §4,
//! RFC 9051 §7.1), `[OVERQUOTA]` (RFC 9208 §4.3.1) and the UTF8 literal `UTF8 (~{n})` (RFC 6855 §4,
//! RFC 9051 §6.3.12). Flags and the internal date are kept; appending to the selected mailbox announces
//! `EXISTS` before the tagged OK.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

async fn appended(env: &Env, tag: &str, uids: &str) -> Vec<String> {
    let uv = env.inbox().await.uidvalidity;
    lines(&[&format!("{tag} OK [APPENDUID {uv} {uids}] APPEND completed")])
}

/// `tag APPEND INBOX {args} {n+}` with `m` as a non-synchronising literal.
async fn append_plus(c: &mut Client, tag: &str, args: &str, m: &[u8]) -> Vec<String> {
    let mut raw = format!("{tag} APPEND INBOX {args}{{{}+}}\r\n", m.len()).into_bytes();
    raw.extend_from_slice(m);
    raw.extend_from_slice(b"\r\n");
    c.send(&raw).await;
    c.until(tag).await
}

#[tokio::test]
async fn synchronising_literal_with_flags_and_date() {
    let env = start().await;
    let mut c = env.client().await;
    refused_in_state(&mut c, "a APPEND INBOX {1+}\r\nx", "APPEND").await;
    let mut c = env.logged_in().await;
    let m = msg("hi", "body");
    c.send(
        format!(
            "b APPEND INBOX (\\Seen $Work) \"07-Feb-1994 21:52:25 -0800\" {{{}}}\r\n",
            m.len()
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(c.line().await, "+ Ready for literal data\r\n");
    c.send(&m).await;
    c.send(b"\r\n").await;
    assert_eq!(c.until("b").await, appended(&env, "b", "1").await);
    c.cmd("c SELECT INBOX").await;
    assert_eq!(
        c.cmd("d FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE)").await,
        lines(&[
            &format!(
                "* 1 FETCH (FLAGS (\\Seen $Work) INTERNALDATE \"08-Feb-1994 05:52:25 +0000\" RFC822.SIZE {})",
                m.len()
            ),
            "d OK FETCH completed"
        ])
    );
}

#[tokio::test]
async fn multiappend_and_literal_plus() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let m = msg("hi", "body");
    let mut batch = format!("a APPEND INBOX {{{}+}}\r\n", m.len()).into_bytes();
    batch.extend_from_slice(&m);
    batch.extend_from_slice(format!(" (\\Flagged) {{{}+}}\r\n", m.len()).as_bytes());
    batch.extend_from_slice(&m);
    batch.extend_from_slice(b"\r\n");
    c.send(&batch).await;
    assert_eq!(c.until("a").await, appended(&env, "a", "1:2").await);
    assert_eq!(env.inbox().await.message_count, 2);
}

/// RFC 3502 §6: MULTIAPPEND is all or nothing; here the second message breaks the quota.
#[tokio::test]
async fn multiappend_over_quota_stores_nothing() {
    let env = start().await;
    let m = msg("big", &"z".repeat(1500));
    let limit = 2 * m.len() as u64 - 100;
    env.core
        .storage()
        .store
        .account_set_quota(env.account.id, Some(limit))
        .await
        .unwrap();
    let mut c = env.logged_in().await;
    let mut batch = format!("a APPEND INBOX {{{}+}}\r\n", m.len()).into_bytes();
    batch.extend_from_slice(&m);
    batch.extend_from_slice(format!(" {{{}+}}\r\n", m.len()).as_bytes());
    batch.extend_from_slice(&m);
    batch.extend_from_slice(b"\r\n");
    c.send(&batch).await;
    let r = c.until("a").await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].starts_with("a NO [OVERQUOTA] "), "{r:?}");
    assert_eq!(env.inbox().await.message_count, 0);
    // One of them fits.
    assert_eq!(
        append_plus(&mut c, "b", "", &m).await,
        appended(&env, "b", "1").await
    );
}

#[tokio::test]
async fn trycreate() {
    let env = start().await;
    let mut c = env.logged_in().await;
    only(
        &mut c,
        "a APPEND Nope {1+}\r\nx",
        "a NO [TRYCREATE] Mailbox does not exist",
    )
    .await;
    assert!(env.core.mailbox(env.account.id, "Nope").await.unwrap().is_none());
}

/// A synchronising literal over APPENDLIMIT gets `NO [TOOBIG]` and no continuation; the session goes
/// on (RFC 7888 §4, RFC 7889 §2).
#[tokio::test]
async fn too_big_synchronising_literal() {
    let env = start().await;
    let mut c = env.logged_in().await;
    only(
        &mut c,
        "a APPEND INBOX {67108865}",
        "a NO [TOOBIG] literal of 67108865 octets is too big",
    )
    .await;
    only(
        &mut c,
        "b APPEND INBOX {999999999999}",
        "b NO [TOOBIG] literal of 999999999999 octets is too big",
    )
    .await;
    only(&mut c, "c NOOP", "c OK NOOP completed").await;
}

/// A non-synchronising literal over the limit: the octets would follow anyway, so the server ends
/// the session with `BYE [TOOBIG]` (RFC 7888 §4).
#[tokio::test]
async fn too_big_non_synchronising_literal() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.send(b"a APPEND INBOX {67108865+}\r\n").await;
    assert_eq!(c.line().await, "* BYE [TOOBIG] Literal too big\r\n");
    c.expect_eof().await;
}

#[tokio::test]
async fn selected_mailbox_gets_exists() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    let mut c = env.selected().await;
    let r = append_plus(&mut c, "a", "", b"Subject: x\r\n\r\ny").await;
    let mut want = lines(&["* 2 EXISTS"]);
    want.extend(appended(&env, "a", "2").await);
    assert_eq!(r, want);
}

/// RFC 9051 §6.3.12 / RFC 6855 §4: the message as `UTF8 (~{n})`, with UTF-8 in its header.
#[tokio::test]
async fn utf8_literal() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.cmd("a ENABLE UTF8=ACCEPT").await;
    let m = "Subject: Grüße\r\n\r\nHallo\r\n".as_bytes();
    let mut raw = format!("b APPEND INBOX UTF8 (~{{{}+}}\r\n", m.len()).into_bytes();
    raw.extend_from_slice(m);
    raw.extend_from_slice(b")\r\n");
    c.send(&raw).await;
    assert_eq!(c.until("b").await, appended(&env, "b", "1").await);
    c.cmd("c SELECT INBOX").await;
    assert_eq!(
        c.cmd("d FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]").await,
        lines(&[
            "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {20}\r\nSubject: Grüße\r\n\r\n)",
            "d OK FETCH completed"
        ])
    );
}

#[tokio::test]
async fn mailbox_names() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.cmd("a CREATE \"Entw&APw-rfe\"").await;
    let uv = env.mailbox("Entwürfe").await.uidvalidity;
    only(
        &mut c,
        "b APPEND \"Entw&APw-rfe\" {1+}\r\nx",
        &format!("b OK [APPENDUID {uv} 1] APPEND completed"),
    )
    .await;
    c.cmd("c ENABLE UTF8=ACCEPT").await;
    only(
        &mut c,
        "d APPEND Entwürfe {1+}\r\nx",
        &format!("d OK [APPENDUID {uv} 2] APPEND completed"),
    )
    .await;
}

#[tokio::test]
async fn syntax_errors() {
    let env = start().await;
    let mut c = env.logged_in().await;
    only(&mut c, "a APPEND", "a BAD expected ' '").await;
    only(&mut c, "b APPEND INBOX", "b BAD APPEND needs a message").await;
    only(&mut c, "c APPEND INBOX \"bad date\" {1+}\r\nx", "c BAD bad date").await;
    let r = c.cmd("d APPEND INBOX (\\Seen {1+}\r\nx").await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].starts_with("d BAD "), "{r:?}");
    assert_eq!(env.inbox().await.message_count, 0);
}

/// A command trickled in one byte per packet, literal included, is parsed once it can complete
/// (not after every byte) and runs exactly as if sent at once; `+` comes once per literal.
#[tokio::test]
async fn trickled_command_with_literal() {
    let env = start().await;
    let mut c = env.logged_in().await;
    for &b in b"t1 APPEND INBOX (\\Seen) {11}\r\n" {
        c.send(&[b]).await;
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let l = c.line().await;
    assert!(l.starts_with('+'), "{l}");
    for &b in b"hello world\r\n" {
        c.send(&[b]).await;
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let r = c.until("t1").await;
    assert_eq!(r, appended(&env, "t1", "1").await, "no second continuation");
    let r = c.cmd("t2 SELECT INBOX").await;
    assert!(has(&r, "* 1 EXISTS"), "{r:?}");
}
