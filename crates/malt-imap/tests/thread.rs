//! THREAD and UID THREAD (RFC 5256 §3, §4) over the real server: ORDEREDSUBJECT and REFERENCES on a
//! reply tree with Message-ID/In-Reply-To/References, a missing parent (dummy), "Re:"/"Fwd:" subjects.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

fn mail(subject: &str, id: &str, references: &str, in_reply_to: &str, date: &str) -> Vec<u8> {
    let mut m = format!(
        "From: Bob <bob@example.net>\r\nTo: team@example.org\r\nSubject: {subject}\r\nMessage-ID: <{id}@example.net>\r\nDate: {date}\r\n"
    );
    if !references.is_empty() {
        m.push_str(&format!("References: {references}\r\n"));
    }
    if !in_reply_to.is_empty() {
        m.push_str(&format!("In-Reply-To: {in_reply_to}\r\n"));
    }
    m.push_str("\r\nHi\r\n");
    m.into_bytes()
}

/// A realistic conversation set; UIDs are sequence numbers + 1 (UID 1 is expunged first).
async fn mailbox() -> (Env, Client) {
    let env = start().await;
    let gone = env.append(&msg("gone", "x")).await;
    env.expunge(gone).await;
    let d = |h: &str| format!("Fri, 1 Mar 2024 {h} +0000");
    let msgs = [
        mail("Project kickoff", "k1", "", "", &d("10:00:00")),
        mail(
            "Re: Project kickoff",
            "k2",
            "<k1@example.net>",
            "<k1@example.net>",
            &d("11:00:00"),
        ),
        mail("Lunch?", "l1", "", "", &d("12:00:00")),
        mail(
            "Re: Project kickoff",
            "k3",
            "<k1@example.net> <k2@example.net>",
            "<k2@example.net>",
            &d("13:00:00"),
        ),
        // Not linked by references, but the same base subject and a forward: gathered under 1.
        mail("Fwd: Project kickoff", "k4", "", "", &d("14:00:00")),
        // In-Reply-To only.
        mail("Re: Lunch?", "l2", "", "<l1@example.net>", &d("12:30:00")),
        // Replies to a message not in the mailbox: a dummy parent.
        mail(
            "Re: Offsite",
            "o2",
            "<o1@example.net>",
            "",
            "Sat, 2 Mar 2024 09:00:00 +0000",
        ),
        mail(
            "RE: Offsite",
            "o3",
            "<o1@example.net>",
            "",
            "Sat, 2 Mar 2024 08:00:00 +0000",
        ),
        // Arrives last but was sent before 2: sorted first among 1's children.
        mail(
            "Re: Project kickoff",
            "k5",
            "<k1@example.net>",
            "",
            &d("10:30:00"),
        ),
    ];
    for m in &msgs {
        env.append(m).await;
    }
    let c = env.selected().await;
    (env, c)
}

#[tokio::test]
async fn references_algorithm() {
    let (_env, mut c) = mailbox().await;
    let r = c.cmd("t THREAD REFERENCES UTF-8 ALL").await;
    assert_eq!(
        r,
        vec![
            "* THREAD (1 (9)(2 4)(5))(3 6)((8)(7))\r\n",
            "t OK THREAD completed\r\n"
        ]
    );
    let r = c.cmd("u UID THREAD REFERENCES US-ASCII ALL").await;
    assert_eq!(r[0], "* THREAD (2 (10)(3 5)(6))(4 7)((9)(8))\r\n");
    // Only the matching messages are threaded.
    let r = c.cmd("k THREAD REFERENCES UTF-8 SUBJECT lunch").await;
    assert_eq!(r[0], "* THREAD (3 6)\r\n");
    // Without the thread's first message its replies get a dummy parent (two children), and the
    // forward with the same subject joins that dummy (RFC 5256 §3 REFERENCES step 5.C).
    let r = c.cmd("n THREAD REFERENCES UTF-8 NOT 1").await;
    assert_eq!(r[0], "* THREAD ((9)(2 4)(5))(3 6)((8)(7))\r\n");
    let r = c.cmd("e THREAD REFERENCES UTF-8 SUBJECT nothing").await;
    assert_eq!(r, vec!["* THREAD\r\n", "e OK THREAD completed\r\n"]);
}

#[tokio::test]
async fn ordered_subject_algorithm() {
    let (_env, mut c) = mailbox().await;
    let r = c.cmd("t THREAD ORDEREDSUBJECT UTF-8 ALL").await;
    assert_eq!(
        r,
        vec![
            "* THREAD (1 (9)(2)(4)(5))(3 6)(8 7)\r\n",
            "t OK THREAD completed\r\n"
        ]
    );
    let r = c.cmd("u UID THREAD ORDEREDSUBJECT UTF-8 ALL").await;
    assert_eq!(r[0], "* THREAD (2 (10)(3)(5)(6))(4 7)(9 8)\r\n");
}

#[tokio::test]
async fn bad_algorithm_and_charset() {
    let (_env, mut c) = mailbox().await;
    let r = c.cmd("a THREAD JWZ UTF-8 ALL").await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].starts_with("a BAD"), "{r:?}");
    let r = c.cmd("b THREAD REFERENCES KOI8-R ALL").await;
    assert_eq!(
        r,
        vec!["b NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset\r\n"]
    );
}
