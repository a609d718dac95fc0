//! SELECT and EXAMINE (RFC 9051 §6.3.2, §6.3.3), CLOSE (RFC 9051 §6.4.1) and UNSELECT (RFC 3691 §2):
//! the exact SELECT/EXAMINE responses (op/select.rs; the IMAP4rev1/rev2 differences are in enable.rs),
//! `[READ-WRITE]`/`[READ-ONLY]`, `[CLOSED]` when another mailbox was selected (RFC 9051 §7.1), a failed
//! SELECT leaving the authenticated state, `[NONEXISTENT]`, CLOSE expunging silently but not in a
//! read-only mailbox, UNSELECT never expunging, and the state table.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

/// The untagged SELECT/EXAMINE responses for INBOX as a rev1 client sees them.
async fn opened(env: &Env, read_only: bool, exists: u32, unseen: Option<u32>) -> Vec<String> {
    let mb = env.inbox().await;
    let mut v = vec![
        format!("* {exists} EXISTS"),
        "* 0 RECENT".to_owned(),
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)".to_owned(),
    ];
    v.push(if read_only {
        "* OK [PERMANENTFLAGS ()] Read-only mailbox".to_owned()
    } else {
        "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted".to_owned()
    });
    if let Some(n) = unseen {
        v.push(format!("* OK [UNSEEN {n}] First unseen"));
    }
    v.extend([
        format!("* OK [UIDVALIDITY {}] UIDs valid", mb.uidvalidity),
        format!("* OK [UIDNEXT {}] Predicted next UID", mb.uidnext),
        format!("* OK [HIGHESTMODSEQ {}] Highest", mb.highest_modseq),
        format!("* OK [MAILBOXID (F{})] Mailbox id", mb.uidvalidity),
    ]);
    v.into_iter().map(|l| format!("{l}\r\n")).collect()
}

#[tokio::test]
async fn select_and_examine() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    env.append(&msg("b", "y")).await;
    env.add_flags(1, malt_store::Flags::new(malt_store::flag::SEEN, vec![]))
        .await;
    let mut c = env.logged_in().await;
    let mut want = opened(&env, false, 2, Some(2)).await;
    want.push("a OK [READ-WRITE] SELECT completed\r\n".to_owned());
    assert_eq!(c.cmd("a SELECT INBOX").await, want);
    // EXAMINE while selected: [CLOSED] first, one PERMANENTFLAGS () (RFC 9051 §6.3.3).
    let mut want = vec!["* OK [CLOSED] Previous mailbox closed\r\n".to_owned()];
    want.extend(opened(&env, true, 2, Some(2)).await);
    want.push("b OK [READ-ONLY] EXAMINE completed\r\n".to_owned());
    assert_eq!(c.cmd("b EXAMINE INBOX").await, want);
    only(
        &mut c,
        "c STORE 1 +FLAGS (\\Deleted)",
        "c NO [READ-ONLY] Mailbox is read-only",
    )
    .await;
    // Mailbox names: INBOX in any case (RFC 9051 §5.1).
    let mut want = vec!["* OK [CLOSED] Previous mailbox closed\r\n".to_owned()];
    want.extend(opened(&env, false, 2, Some(2)).await);
    want.push("d OK [READ-WRITE] SELECT completed\r\n".to_owned());
    assert_eq!(c.cmd("d SELECT inbox").await, want);
}

#[tokio::test]
async fn nonexistent() {
    let env = start().await;
    let mut c = env.logged_in().await;
    only(&mut c, "a SELECT Nope", "a NO [NONEXISTENT] No such mailbox").await;
    only(&mut c, "b EXAMINE Nope", "b NO [NONEXISTENT] No such mailbox").await;
    // A failed SELECT while selected closes the old mailbox: back to authenticated (RFC 9051 §6.3.2).
    c.cmd("c SELECT INBOX").await;
    assert_eq!(
        c.cmd("d SELECT Nope").await,
        lines(&[
            "* OK [CLOSED] Previous mailbox closed",
            "d NO [NONEXISTENT] No such mailbox"
        ])
    );
    refused_in_state(&mut c, "e FETCH 1 FLAGS", "FETCH").await;
    refused_in_state(&mut c, "f CLOSE", "CLOSE").await;
}

#[tokio::test]
async fn other_mailbox_and_utf7_name() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.cmd("a CREATE \"Entw&APw-rfe\"").await;
    env.append_to("Entwürfe", &msg("a", "x")).await;
    let r = c.cmd("b EXAMINE \"Entw&APw-rfe\"").await;
    assert_eq!(r[0], "* 1 EXISTS\r\n");
    assert_eq!(r.last().unwrap(), "b OK [READ-ONLY] EXAMINE completed\r\n");
    // The IMAP4rev2 LIST in the SELECT answer names the mailbox as the client does.
    let mut c = env.logged_in().await;
    c.cmd("c ENABLE IMAP4rev2").await;
    let r = c.cmd("d SELECT \"Entw&APw-rfe\"").await;
    assert!(has(&r, "* LIST () \"/\" Entw&APw-rfe\r\n"), "{r:?}");
    let mut c = env.logged_in().await;
    c.cmd("e ENABLE IMAP4rev2 UTF8=ACCEPT").await;
    let r = c.cmd("f SELECT Entwürfe").await;
    assert!(has(&r, "* LIST () \"/\" \"Entwürfe\"\r\n"), "{r:?}");
}

#[tokio::test]
async fn close_expunges_silently_unselect_does_not() {
    let env = start().await;
    for s in ["a", "b", "c"] {
        env.append(&msg(s, "x")).await;
    }
    let mut c = env.selected().await;
    c.cmd("a STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    only(&mut c, "b UNSELECT", "b OK UNSELECT completed").await;
    assert_eq!(env.inbox().await.message_count, 3);
    refused_in_state(&mut c, "c FETCH 1 FLAGS", "FETCH").await;
    // EXAMINE then CLOSE: nothing is expunged (RFC 9051 §6.4.1).
    c.cmd("d EXAMINE INBOX").await;
    only(&mut c, "e CLOSE", "e OK CLOSE completed").await;
    assert_eq!(env.inbox().await.message_count, 3);
    // SELECT then CLOSE: \Deleted messages go, without EXPUNGE responses.
    c.cmd("f SELECT INBOX").await;
    only(&mut c, "g CLOSE", "g OK CLOSE completed").await;
    assert_eq!(env.uids().await, vec![2, 3]);
    refused_in_state(&mut c, "h FETCH 1 FLAGS", "FETCH").await;
}

#[tokio::test]
async fn states() {
    let env = start().await;
    let mut c = env.client().await;
    refused_in_state(&mut c, "a SELECT INBOX", "SELECT").await;
    refused_in_state(&mut c, "b EXAMINE INBOX", "EXAMINE").await;
    refused_in_state(&mut c, "c CLOSE", "CLOSE").await;
    refused_in_state(&mut c, "d UNSELECT", "UNSELECT").await;
    let mut c = env.logged_in().await;
    refused_in_state(&mut c, "e CLOSE", "CLOSE").await;
    refused_in_state(&mut c, "f UNSELECT", "UNSELECT").await;
}

#[tokio::test]
async fn syntax_errors() {
    let env = start().await;
    let mut c = env.logged_in().await;
    only(&mut c, "a SELECT", "a BAD expected ' '").await;
    only(&mut c, "b EXAMINE", "b BAD expected ' '").await;
    only(&mut c, "c SELECT INBOX (FOO)", "c BAD unknown SELECT parameter").await;
    only(
        &mut c,
        "d SELECT \"&Jjo\"",
        "d BAD invalid mailbox name: unterminated '&'",
    )
    .await;
    // RFC 7162 §3.2.5: the QRESYNC parameter needs ENABLE QRESYNC.
    only(
        &mut c,
        "e SELECT INBOX (QRESYNC (1 1))",
        "e BAD QRESYNC is not enabled",
    )
    .await;
    c.cmd("f SELECT INBOX").await;
    only(
        &mut c,
        "g CLOSE x",
        "g BAD unexpected characters at end of command",
    )
    .await;
    only(
        &mut c,
        "h UNSELECT x",
        "h BAD unexpected characters at end of command",
    )
    .await;
    // Still selected.
    only(&mut c, "i UNSELECT", "i OK UNSELECT completed").await;
}
