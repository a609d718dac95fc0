//! QRESYNC (RFC 7162 §3.2) over the socket: BAD without ENABLE QRESYNC, SELECT (QRESYNC ...) with
//! `VANISHED (EARLIER)` and the changed messages after another client expunged and changed flags,
//! `UID FETCH ... (CHANGEDSINCE n VANISHED)`, and `VANISHED` instead of `EXPUNGE`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_store::{Flags, flag};

/// A logged-in client with QRESYNC enabled.
async fn qresync_client(env: &Env) -> Client {
    let mut c = env.logged_in().await;
    assert_eq!(
        c.cmd("q0 ENABLE QRESYNC").await,
        lines(&["* ENABLED QRESYNC", "q0 OK ENABLE completed"])
    );
    c
}

/// RFC 7162 §3.2.5, §3.2.6: the QRESYNC parameter and the VANISHED modifier need ENABLE QRESYNC;
/// VANISHED needs UID FETCH and CHANGEDSINCE. A refused SELECT leaves the current mailbox selected.
#[tokio::test]
async fn bad_without_enable() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    let uv = env.uidvalidity().await;
    let mut c = env.logged_in().await;
    assert_eq!(
        c.cmd(&format!("a SELECT INBOX (QRESYNC ({uv} 1))")).await,
        lines(&["a BAD QRESYNC is not enabled"])
    );
    c.cmd("b SELECT INBOX").await;
    assert_eq!(
        c.cmd(&format!("c EXAMINE INBOX (QRESYNC ({uv} 1 1:*))")).await,
        lines(&["c BAD QRESYNC is not enabled"])
    );
    assert_eq!(
        c.cmd("d FETCH 1 (UID)").await,
        lines(&["* 1 FETCH (UID 1)", "d OK FETCH completed"]),
        "still selected"
    );
    assert_eq!(
        c.cmd("e UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)").await,
        lines(&["e BAD VANISHED requires ENABLE QRESYNC"])
    );

    let mut q = qresync_client(&env).await;
    q.cmd("f SELECT INBOX").await;
    assert_eq!(
        q.cmd("g FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)").await,
        lines(&["g BAD VANISHED is only allowed with UID FETCH"])
    );
    assert_eq!(
        q.cmd("h UID FETCH 1:* (FLAGS) (VANISHED)").await,
        lines(&["h BAD VANISHED requires CHANGEDSINCE"])
    );
}

/// RFC 7162 §3.2.5: after another client expunged and changed messages, SELECT (QRESYNC (uidvalidity
/// modseq known-uids)) reports the expunged known UIDs as `VANISHED (EARLIER)` and the changed
/// messages as FETCH (UID FLAGS MODSEQ), after the usual SELECT responses.
#[tokio::test]
async fn select_qresync_after_another_client_changed_the_mailbox() {
    let env = start().await;
    for s in ["a", "b", "c", "d", "e"] {
        env.append(&msg(s, "x")).await;
    }
    let uv = env.uidvalidity().await;
    let mut c = qresync_client(&env).await;
    let r = c.cmd("a SELECT INBOX").await;
    let hm0 = highest_modseq(&env).await;
    assert!(
        r.contains(&format!("* OK [HIGHESTMODSEQ {hm0}] Highest\r\n")),
        "{r:?}"
    );
    c.cmd("b UNSELECT").await;

    // Another client: expunges 2 and 4, flags 3.
    let mut other = env.selected().await;
    other.cmd("o1 STORE 2,4 +FLAGS.SILENT (\\Deleted)").await;
    other.cmd("o2 EXPUNGE").await;
    other.cmd("o3 UID STORE 3 +FLAGS.SILENT (\\Seen)").await;
    let m3 = modseq_of(&env, 3).await;
    let hm = highest_modseq(&env).await;

    let r = c.cmd(&format!("c SELECT INBOX (QRESYNC ({uv} {hm0} 1:5))")).await;
    assert_eq!(
        r,
        lines(&[
            "* 3 EXISTS",
            "* 0 RECENT",
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted",
            "* OK [UNSEEN 1] First unseen",
            &format!("* OK [UIDVALIDITY {uv}] UIDs valid"),
            "* OK [UIDNEXT 6] Predicted next UID",
            &format!("* OK [HIGHESTMODSEQ {hm}] Highest"),
            &format!("* OK [MAILBOXID (F{})] Mailbox id", env.inbox().await.uidvalidity),
            "* VANISHED (EARLIER) 2,4",
            &format!("* 2 FETCH (UID 3 FLAGS (\\Seen) MODSEQ ({m3}))"),
            "c OK [READ-WRITE] SELECT completed",
        ])
    );

    // Selecting again while selected: [CLOSED] first; known-uids narrows VANISHED (EARLIER).
    let r = c
        .cmd(&format!("d EXAMINE INBOX (QRESYNC ({uv} {hm0} 3:5))"))
        .await;
    assert_eq!(r[0], "* OK [CLOSED] Previous mailbox closed\r\n");
    let tail = &r[r.len() - 3..];
    assert_eq!(
        tail,
        lines(&[
            "* VANISHED (EARLIER) 4",
            &format!("* 2 FETCH (UID 3 FLAGS (\\Seen) MODSEQ ({m3}))"),
            "d OK [READ-ONLY] EXAMINE completed",
        ])
    );

    // Up to date: nothing to report.
    let r = c.cmd(&format!("e SELECT INBOX (QRESYNC ({uv} {hm}))")).await;
    assert!(!has(&r, "VANISHED") && !has(&r, "FETCH"), "{r:?}");
    // Another UIDVALIDITY: a plain SELECT, the client must resynchronise itself.
    let r = c
        .cmd(&format!(
            "f SELECT INBOX (QRESYNC ({} {hm0}))",
            uv.wrapping_add(1)
        ))
        .await;
    assert!(!has(&r, "VANISHED") && !has(&r, "FETCH"), "{r:?}");
    assert_eq!(r.last().unwrap(), "f OK [READ-WRITE] SELECT completed\r\n");
}

/// RFC 7162 §3.2.6: UID FETCH (CHANGEDSINCE n VANISHED) sends `VANISHED (EARLIER)` for UIDs of the set
/// expunged since n, before the FETCH responses of the messages changed since n.
#[tokio::test]
async fn uid_fetch_changedsince_vanished() {
    let env = start().await;
    for s in ["a", "b", "c", "d"] {
        env.append(&msg(s, "x")).await;
    }
    let hm0 = highest_modseq(&env).await;
    // Another session, while this client was away: expunges 2, flags 3.
    env.expunge(2).await;
    env.add_flags(3, Flags::new(flag::FLAGGED, [])).await;
    let m3 = modseq_of(&env, 3).await;
    let mut c = qresync_client(&env).await;
    c.cmd("a SELECT INBOX").await;
    assert_eq!(
        c.cmd(&format!("b UID FETCH 1:* (FLAGS) (CHANGEDSINCE {hm0} VANISHED)"))
            .await,
        lines(&[
            "* VANISHED (EARLIER) 2",
            &format!("* 2 FETCH (UID 3 FLAGS (\\Flagged) MODSEQ ({m3}))"),
            "b OK FETCH completed",
        ])
    );
    // Only UIDs of the set are reported.
    assert_eq!(
        c.cmd(&format!("c UID FETCH 3:4 (FLAGS) (CHANGEDSINCE {hm0} VANISHED)"))
            .await,
        lines(&[
            &format!("* 2 FETCH (UID 3 FLAGS (\\Flagged) MODSEQ ({m3}))"),
            "c OK FETCH completed",
        ])
    );
    // Without VANISHED: the changes only.
    assert_eq!(
        c.cmd(&format!("d UID FETCH 1:* (FLAGS) (CHANGEDSINCE {hm0})"))
            .await,
        lines(&[
            &format!("* 2 FETCH (UID 3 FLAGS (\\Flagged) MODSEQ ({m3}))"),
            "d OK FETCH completed",
        ])
    );
}

/// RFC 7162 §3.2.10: with QRESYNC enabled, EXPUNGE, UID EXPUNGE, MOVE and other sessions' expunges are
/// reported as `* VANISHED uids`, never `* n EXPUNGE`; still not during FETCH/STORE/SEARCH.
#[tokio::test]
async fn vanished_instead_of_expunge() {
    let env = start().await;
    for s in ["a", "b", "c", "d", "e", "f"] {
        env.append(&msg(s, "x")).await;
    }
    let mut c = qresync_client(&env).await;
    c.cmd("a SELECT INBOX").await;
    c.cmd("b CREATE Dest").await;
    c.cmd("c UID STORE 1,2,4 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(
        c.cmd("d UID EXPUNGE 4").await,
        lines(&["* VANISHED 4", "d OK EXPUNGE completed"])
    );
    assert_eq!(
        c.cmd("e EXPUNGE").await,
        lines(&["* VANISHED 1:2", "e OK EXPUNGE completed"])
    );
    let dest_uv = env.mailbox("Dest").await.uidvalidity;
    assert_eq!(
        c.cmd("f UID MOVE 3 Dest").await,
        lines(&[
            &format!("* OK [COPYUID {dest_uv} 3 1] Moved UIDs"),
            "* VANISHED 3",
            "f OK MOVE completed",
        ])
    );
    // Another session expunges 6: not during FETCH, then VANISHED at NOOP.
    let before = highest_modseq(&env).await;
    env.expunge(6).await;
    settle().await;
    let r = c.cmd("g FETCH 1:* (UID)").await;
    assert!(!has(&r, "VANISHED") && !has(&r, " EXPUNGE"), "{r:?}");
    // The flags and modseqs are read from the store, which no longer has 6: it is skipped with
    // `[EXPUNGEISSUED]` (RFC 5530 §3) instead of an answer from a cache.
    // RFC 7162 §3.2: MODSEQs went out while the expunge waits, so HIGHESTMODSEQ below the expunge's.
    assert_eq!(r.len(), 3, "{r:?}");
    assert!(r[0].starts_with("* 1 FETCH (UID 5 MODSEQ ("), "{r:?}");
    let floor: u64 = r[1]
        .strip_prefix("* OK [HIGHESTMODSEQ ")
        .and_then(|t| t.strip_suffix("] Expunges pending\r\n"))
        .unwrap_or_else(|| panic!("{r:?}"))
        .parse()
        .unwrap();
    assert!(floor <= before, "{floor} > {before}");
    assert_eq!(
        r[2],
        "g OK [EXPUNGEISSUED] Some messages were expunged meanwhile\r\n"
    );
    assert_eq!(
        c.cmd("h NOOP").await,
        lines(&["* VANISHED 6", "h OK NOOP completed"])
    );
    assert_eq!(
        c.cmd("i FETCH 1:* (UID)").await,
        lines(&[
            &format!("* 1 FETCH (UID 5 MODSEQ ({}))", modseq_of(&env, 5).await),
            "i OK FETCH completed"
        ])
    );
}
