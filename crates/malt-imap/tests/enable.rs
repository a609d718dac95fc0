//! ENABLE (RFC 5161 §3.1, RFC 9051 §6.3.1): only in the authenticated state (before SELECT); `* ENABLED`
//! lists only what the command newly enabled; unknown capabilities are ignored. The IMAP4rev2
//! differences it switches on are tested here: SELECT without `* n RECENT` and `[UNSEEN]` but with
//! `* LIST` (RFC 9051 §6.3.2), SEARCH answered with ESEARCH (RFC 9051 §6.4.4). UTF8=ACCEPT (RFC 6855 §3)
//! is covered with mailbox names in create.rs and list.rs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[tokio::test]
async fn states() {
    let env = start().await;
    let mut c = env.client().await;
    refused_in_state(&mut c, "a ENABLE IMAP4rev2", "ENABLE").await;
    let mut c = env.selected().await;
    refused_in_state(&mut c, "b ENABLE IMAP4rev2", "ENABLE").await;
    c.cmd("c UNSELECT").await;
    assert_eq!(
        c.cmd("d ENABLE IMAP4rev2").await,
        lines(&["* ENABLED IMAP4rev2", "d OK ENABLE completed"])
    );
}

#[tokio::test]
async fn only_newly_enabled_and_unknown_ignored() {
    let env = start().await;
    let mut c = env.logged_in().await;
    assert_eq!(
        c.cmd("a ENABLE imap4rev2 FOO").await,
        lines(&["* ENABLED IMAP4rev2", "a OK ENABLE completed"])
    );
    assert_eq!(
        c.cmd("b ENABLE IMAP4rev2 UTF8=ACCEPT CONDSTORE QRESYNC").await,
        lines(&["* ENABLED UTF8=ACCEPT CONDSTORE QRESYNC", "b OK ENABLE completed"])
    );
    assert_eq!(
        c.cmd("c ENABLE QRESYNC X-UNKNOWN").await,
        lines(&["* ENABLED", "c OK ENABLE completed"])
    );
}

/// RFC 7162 §3.2.3: QRESYNC implies CONDSTORE, so a later ENABLE CONDSTORE enables nothing new.
#[tokio::test]
async fn qresync_implies_condstore() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.cmd("a ENABLE QRESYNC").await;
    assert_eq!(
        c.cmd("b ENABLE CONDSTORE").await,
        lines(&["* ENABLED", "b OK ENABLE completed"])
    );
}

#[tokio::test]
async fn syntax_error() {
    let env = start().await;
    let mut c = env.logged_in().await;
    only(&mut c, "a ENABLE", "a BAD ENABLE needs a capability").await;
    let r = c.cmd("b ENABLE (IMAP4rev2)").await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].starts_with("b BAD "), "{r:?}");
    // Nothing was enabled by the refused commands.
    assert_eq!(
        c.cmd("c ENABLE IMAP4rev2").await,
        lines(&["* ENABLED IMAP4rev2", "c OK ENABLE completed"])
    );
}

#[tokio::test]
async fn rev1_and_rev2_select_and_search() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    let uv = env.inbox().await.uidvalidity;
    let id = env.inbox().await.uidvalidity;
    let hm = highest_modseq(&env).await;
    let common = |tail: &[&str]| {
        let mut v = vec![
            "* 1 EXISTS".to_owned(),
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)".to_owned(),
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted"
                .to_owned(),
        ];
        v.extend(tail.iter().map(|s| (*s).to_owned()));
        v
    };
    // IMAP4rev1: RECENT and UNSEEN, SEARCH answers * SEARCH.
    let mut c = env.logged_in().await;
    let r = c.cmd("a SELECT INBOX").await;
    let mut want = common(&[]);
    want.insert(1, "* 0 RECENT".to_owned());
    want.extend([
        "* OK [UNSEEN 1] First unseen".to_owned(),
        format!("* OK [UIDVALIDITY {uv}] UIDs valid"),
        "* OK [UIDNEXT 2] Predicted next UID".to_owned(),
        format!("* OK [HIGHESTMODSEQ {hm}] Highest"),
        format!("* OK [MAILBOXID (F{id})] Mailbox id"),
        "a OK [READ-WRITE] SELECT completed".to_owned(),
    ]);
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    assert_eq!(r, lines(&want));
    assert_eq!(
        c.cmd("b SEARCH ALL").await,
        lines(&["* SEARCH 1", "b OK SEARCH completed"])
    );
    // IMAP4rev2: no RECENT, no UNSEEN, a LIST; SEARCH answers ESEARCH.
    let mut c = env.logged_in().await;
    c.cmd("c ENABLE IMAP4rev2").await;
    let r = c.cmd("d SELECT INBOX").await;
    let mut want = common(&[]);
    want.extend([
        format!("* OK [UIDVALIDITY {uv}] UIDs valid"),
        "* OK [UIDNEXT 2] Predicted next UID".to_owned(),
        format!("* OK [HIGHESTMODSEQ {hm}] Highest"),
        format!("* OK [MAILBOXID (F{id})] Mailbox id"),
        "* LIST () \"/\" INBOX".to_owned(),
        "d OK [READ-WRITE] SELECT completed".to_owned(),
    ]);
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    assert_eq!(r, lines(&want));
    assert_eq!(
        c.cmd("e SEARCH ALL").await,
        lines(&["* ESEARCH (TAG \"e\") ALL 1", "e OK SEARCH completed"])
    );
}
