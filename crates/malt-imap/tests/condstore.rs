//! CONDSTORE (RFC 7162 §3.1) over the socket: ENABLE, CONDSTORE-enabling commands, SELECT (CONDSTORE),
//! FETCH MODSEQ / CHANGEDSINCE, STORE UNCHANGEDSINCE with `[MODIFIED]` (also against a concurrent
//! change by a second client), and MODSEQ in unsolicited FETCH responses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_store::{Flags, flag};

/// RFC 7162 §3.1, §3.2.3, RFC 5161: ENABLE CONDSTORE / QRESYNC and the `* ENABLED` answer.
#[tokio::test]
async fn enable_and_capability() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    let m1 = modseq_of(&env, 1).await;
    let mut c = env.logged_in().await;
    let r = c.cmd("a CAPABILITY").await;
    assert!(r[0].contains(" CONDSTORE QRESYNC"), "{r:?}");
    assert_eq!(
        c.cmd("b ENABLE CONDSTORE").await,
        lines(&["* ENABLED CONDSTORE", "b OK ENABLE completed"])
    );
    // Already enabled: nothing newly enabled.
    assert_eq!(
        c.cmd("c ENABLE CONDSTORE").await,
        lines(&["* ENABLED", "c OK ENABLE completed"])
    );
    assert_eq!(
        c.cmd("d ENABLE QRESYNC").await,
        lines(&["* ENABLED QRESYNC", "d OK ENABLE completed"])
    );
    // ENABLE QRESYNC alone implies CONDSTORE: FETCH responses carry MODSEQ.
    let mut q = env.logged_in().await;
    assert_eq!(
        q.cmd("e ENABLE QRESYNC").await,
        lines(&["* ENABLED QRESYNC", "e OK ENABLE completed"])
    );
    q.cmd("f SELECT INBOX").await;
    assert_eq!(
        q.cmd("g FETCH 1 (FLAGS)").await,
        lines(&[
            &format!("* 1 FETCH (FLAGS () MODSEQ ({m1}))"),
            "g OK FETCH completed"
        ])
    );
    // ENABLE is not allowed once selected (RFC 5161 §3.1).
    assert_eq!(
        q.cmd("h ENABLE CONDSTORE").await,
        lines(&["h BAD ENABLE is not allowed in this state"])
    );
}

/// RFC 7162 §3.1.8: SELECT (CONDSTORE) sends HIGHESTMODSEQ and enables CONDSTORE.
#[tokio::test]
async fn select_condstore() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    env.append(&msg("b", "y")).await;
    let (m1, m2) = (modseq_of(&env, 1).await, modseq_of(&env, 2).await);
    let hm = highest_modseq(&env).await;
    let mut c = env.logged_in().await;
    let r = c.cmd("a SELECT INBOX (CONDSTORE)").await;
    assert!(
        r.contains(&format!("* OK [HIGHESTMODSEQ {hm}] Highest\r\n")),
        "{r:?}"
    );
    assert_eq!(r.last().unwrap(), "a OK [READ-WRITE] SELECT completed\r\n");
    assert_eq!(
        c.cmd("b FETCH 1:2 (UID)").await,
        lines(&[
            &format!("* 1 FETCH (UID 1 MODSEQ ({m1}))"),
            &format!("* 2 FETCH (UID 2 MODSEQ ({m2}))"),
            "b OK FETCH completed"
        ])
    );
    // EXAMINE (CONDSTORE) likewise.
    let mut e = env.logged_in().await;
    let r = e.cmd("c EXAMINE INBOX (CONDSTORE)").await;
    assert!(
        r.contains(&format!("* OK [HIGHESTMODSEQ {hm}] Highest\r\n")),
        "{r:?}"
    );
    assert_eq!(r.last().unwrap(), "c OK [READ-ONLY] EXAMINE completed\r\n");
    assert_eq!(
        e.cmd("d FETCH 2 (FLAGS)").await,
        lines(&[
            &format!("* 2 FETCH (FLAGS () MODSEQ ({m2}))"),
            "d OK FETCH completed"
        ])
    );
}

/// RFC 7162 §3.1: FETCH MODSEQ, STATUS HIGHESTMODSEQ and SEARCH MODSEQ are CONDSTORE-enabling; before
/// any of them FETCH carries no MODSEQ.
#[tokio::test]
async fn enabling_commands() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    let m1 = modseq_of(&env, 1).await;
    let hm = highest_modseq(&env).await;
    let mut c = env.selected().await;
    assert_eq!(
        c.cmd("a FETCH 1 (FLAGS)").await,
        lines(&["* 1 FETCH (FLAGS ())", "a OK FETCH completed"])
    );
    assert_eq!(
        c.cmd("b FETCH 1 (MODSEQ)").await,
        lines(&[&format!("* 1 FETCH (MODSEQ ({m1}))"), "b OK FETCH completed"])
    );
    assert_eq!(
        c.cmd("c FETCH 1 (FLAGS)").await,
        lines(&[
            &format!("* 1 FETCH (FLAGS () MODSEQ ({m1}))"),
            "c OK FETCH completed"
        ])
    );

    let mut s = env.logged_in().await;
    assert_eq!(
        s.cmd("d STATUS INBOX (HIGHESTMODSEQ)").await,
        lines(&[
            &format!("* STATUS INBOX (HIGHESTMODSEQ {hm})"),
            "d OK STATUS completed"
        ])
    );
    s.cmd("e SELECT INBOX").await;
    assert_eq!(
        s.cmd("f FETCH 1 (UID)").await,
        lines(&[
            &format!("* 1 FETCH (UID 1 MODSEQ ({m1}))"),
            "f OK FETCH completed"
        ])
    );

    let mut q = env.selected().await;
    let r = q.cmd("g SEARCH MODSEQ 1").await;
    assert_eq!(r.last().unwrap(), "g OK SEARCH completed\r\n");
    assert_eq!(
        q.cmd("h FETCH 1 (UID)").await,
        lines(&[
            &format!("* 1 FETCH (UID 1 MODSEQ ({m1}))"),
            "h OK FETCH completed"
        ])
    );
}

/// RFC 7162 §3.1.4.1: CHANGEDSINCE returns only messages changed after the given mod-sequence, with
/// MODSEQ even though CONDSTORE was not enabled before.
#[tokio::test]
async fn fetch_changedsince() {
    let env = start().await;
    for s in ["a", "b", "c"] {
        env.append(&msg(s, "x")).await;
    }
    let mut c = env.selected().await;
    let before = highest_modseq(&env).await;
    assert_eq!(
        c.cmd("a STORE 2 +FLAGS (\\Flagged)").await,
        lines(&["* 2 FETCH (FLAGS (\\Flagged))", "a OK STORE completed"])
    );
    let m2 = modseq_of(&env, 2).await;
    assert!(m2 > before);
    assert_eq!(
        c.cmd(&format!("b FETCH 1:* (FLAGS) (CHANGEDSINCE {before})"))
            .await,
        lines(&[
            &format!("* 2 FETCH (FLAGS (\\Flagged) MODSEQ ({m2}))"),
            "b OK FETCH completed"
        ])
    );
    assert_eq!(
        c.cmd(&format!("c UID FETCH 1:* (FLAGS) (CHANGEDSINCE {m2})"))
            .await,
        lines(&["c OK FETCH completed"])
    );
    let (m1, m3) = (modseq_of(&env, 1).await, modseq_of(&env, 3).await);
    assert_eq!(
        c.cmd("d UID FETCH 1:* (UID) (CHANGEDSINCE 0)").await,
        lines(&[
            &format!("* 1 FETCH (UID 1 MODSEQ ({m1}))"),
            &format!("* 2 FETCH (UID 2 MODSEQ ({m2}))"),
            &format!("* 3 FETCH (UID 3 MODSEQ ({m3}))"),
            "d OK FETCH completed"
        ])
    );
}

/// RFC 7162 §3.1.3: STORE (UNCHANGEDSINCE n) with `[MODIFIED]` as sequence numbers or UIDs, UNCHANGEDSINCE
/// 0 failing for every message, and `.SILENT` still reporting the new MODSEQ.
#[tokio::test]
async fn store_unchangedsince() {
    let env = start().await;
    for s in ["a", "b", "c"] {
        env.append(&msg(s, "x")).await;
    }
    let mut c = env.selected().await;
    let m0 = highest_modseq(&env).await;
    let r = c
        .cmd(&format!("a STORE 1:3 (UNCHANGEDSINCE {m0}) +FLAGS (\\Seen)"))
        .await;
    let m1 = highest_modseq(&env).await;
    assert!(m1 > m0);
    assert_eq!(
        r,
        lines(&[
            &format!("* 1 FETCH (FLAGS (\\Seen) MODSEQ ({m1}))"),
            &format!("* 2 FETCH (FLAGS (\\Seen) MODSEQ ({m1}))"),
            &format!("* 3 FETCH (FLAGS (\\Seen) MODSEQ ({m1}))"),
            "a OK STORE completed"
        ])
    );
    // Every message changed after m0: nothing is stored.
    assert_eq!(
        c.cmd(&format!("b STORE 2:3 (UNCHANGEDSINCE {m0}) -FLAGS (\\Seen)"))
            .await,
        lines(&["b OK [MODIFIED 2:3] Conditional STORE failed for some messages"])
    );
    assert_eq!(
        c.cmd("c UID STORE 1:3 (UNCHANGEDSINCE 0) +FLAGS (\\Flagged)")
            .await,
        lines(&["c OK [MODIFIED 1:3] Conditional STORE failed for some messages"])
    );
    assert_eq!(highest_modseq(&env).await, m1, "nothing was stored");
    // .SILENT: no FLAGS, but the new MODSEQ of each changed message (UID for UID STORE).
    let r = c
        .cmd(&format!(
            "d UID STORE 1,3 (UNCHANGEDSINCE {m1}) +FLAGS.SILENT (\\Answered)"
        ))
        .await;
    let m2 = highest_modseq(&env).await;
    assert_eq!(
        r,
        lines(&[
            &format!("* 1 FETCH (UID 1 MODSEQ ({m2}))"),
            &format!("* 3 FETCH (UID 3 MODSEQ ({m2}))"),
            "d OK STORE completed"
        ])
    );
    // Mixed: 2 passes, 1 and 3 fail (changed at m2 > m1); MODIFIED in sequence numbers.
    let r = c
        .cmd(&format!("e STORE 1:3 (UNCHANGEDSINCE {m1}) +FLAGS (\\Draft)"))
        .await;
    let m3 = highest_modseq(&env).await;
    assert_eq!(
        r,
        lines(&[
            &format!("* 2 FETCH (FLAGS (\\Seen \\Draft) MODSEQ ({m3}))"),
            "e OK [MODIFIED 1,3] Conditional STORE failed for some messages"
        ])
    );
}

/// RFC 7162 §3.1.3: another client changes a message between this client's read and its conditional
/// STORE; the STORE fails for it with `[MODIFIED]`, and the change is announced with MODSEQ.
#[tokio::test]
async fn store_unchangedsince_against_a_concurrent_change() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    env.append(&msg("b", "y")).await;
    let mut a = env.logged_in().await;
    a.cmd("a1 ENABLE CONDSTORE").await;
    a.cmd("a2 SELECT INBOX").await;
    let m0 = highest_modseq(&env).await;
    let mut b = env.selected().await;
    assert_eq!(
        b.cmd("b1 STORE 1 +FLAGS (\\Flagged)").await,
        lines(&["* 1 FETCH (FLAGS (\\Flagged))", "b1 OK STORE completed"])
    );
    let mb = modseq_of(&env, 1).await;
    settle().await;
    let r = a
        .cmd(&format!("a3 STORE 1:2 (UNCHANGEDSINCE {m0}) +FLAGS (\\Seen)"))
        .await;
    let m2 = modseq_of(&env, 2).await;
    assert!(m2 > mb);
    assert_eq!(
        r,
        lines(&[
            &format!("* 2 FETCH (FLAGS (\\Seen) MODSEQ ({m2}))"),
            &format!("* 1 FETCH (UID 1 FLAGS (\\Flagged) MODSEQ ({mb}))"),
            "a3 OK [MODIFIED 1] Conditional STORE failed for some messages"
        ])
    );
    // Message 1 was left alone by the failed STORE.
    assert_eq!(
        a.cmd("a4 FETCH 1 (FLAGS)").await,
        lines(&[
            &format!("* 1 FETCH (FLAGS (\\Flagged) MODSEQ ({mb}))"),
            "a4 OK FETCH completed"
        ])
    );
}

/// RFC 7162 §3.1.4: once CONDSTORE is enabled, unsolicited FETCH responses carry MODSEQ; a session
/// without CONDSTORE gets the plain RFC 9051 form.
#[tokio::test]
async fn unsolicited_fetch_carries_modseq() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    let mut c = env.logged_in().await;
    c.cmd("a1 ENABLE CONDSTORE").await;
    c.cmd("a2 SELECT INBOX").await;
    let mut plain = env.selected().await;
    env.add_flags(1, Flags::new(flag::SEEN, [])).await;
    let m = modseq_of(&env, 1).await;
    settle().await;
    assert_eq!(
        c.cmd("a3 NOOP").await,
        lines(&[
            &format!("* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ ({m}))"),
            "a3 OK NOOP completed"
        ])
    );
    assert_eq!(
        plain.cmd("b1 NOOP").await,
        lines(&["* 1 FETCH (UID 1 FLAGS (\\Seen))", "b1 OK NOOP completed"])
    );
    // The MODSEQ the client was told stays the one of the flags it knows.
    assert_eq!(
        c.cmd("a4 FETCH 1 (MODSEQ)").await,
        lines(&[&format!("* 1 FETCH (MODSEQ ({m}))"), "a4 OK FETCH completed"])
    );
}

/// RFC 7162 §3.1.4: the MODSEQ of a FETCH is the one of the FLAGS it is sent with; both are read
/// from the store together, even when another session changed them and no sync point has passed.
#[tokio::test]
async fn fetch_modseq_matches_flags() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    let mut c = env.logged_in().await;
    c.cmd("a ENABLE CONDSTORE").await;
    c.cmd("a2 SELECT INBOX").await;
    env.add_flags(1, Flags::new(flag::FLAGGED, [])).await;
    let m = modseq_of(&env, 1).await;
    let r = c.cmd("b FETCH 1 (FLAGS)").await;
    assert_eq!(
        r[0],
        format!("* 1 FETCH (FLAGS (\\Flagged) MODSEQ ({m}))\r\n"),
        "{r:?}"
    );
    // The sync point after it does not repeat what the FETCH showed.
    assert_eq!(r.len(), 2, "{r:?}");
    // A `\Seen` set by this FETCH comes back with its new modseq, and is not echoed later.
    let r = c.cmd("c FETCH 1 (BODY[TEXT])").await;
    let m2 = modseq_of(&env, 1).await;
    assert!(m2 > m);
    assert_eq!(
        r[0],
        format!("* 1 FETCH (FLAGS (\\Seen \\Flagged) BODY[TEXT] {{3}}\r\nx\r\n MODSEQ ({m2}))\r\n"),
        "{r:?}"
    );
    assert_eq!(r.len(), 2, "{r:?}");
    settle().await;
    let r = c.cmd("d NOOP").await;
    assert!(!has(&r, "FETCH"), "{r:?}");
}
