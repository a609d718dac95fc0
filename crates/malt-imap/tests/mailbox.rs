//! Authenticated-state commands: LIST/LSUB, CREATE, DELETE, RENAME, SUBSCRIBE, STATUS, APPEND, SELECT,
//! EXAMINE, CLOSE, UNSELECT.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[tokio::test]
async fn create_list_delete_rename() {
    let env = start().await;
    let mut c = env.logged_in().await;
    assert!(c.cmd("a CREATE Work/Projects").await[0].starts_with("a OK"));
    let r = c.cmd("b CREATE Work").await;
    assert!(r[0].starts_with("b NO [ALREADYEXISTS]"), "{r:?}");
    let r = c.cmd("c CREATE Starred (USE (\\Flagged))").await;
    assert!(r[0].starts_with("c OK"), "{r:?}");
    let r = c.cmd("d LIST \"\" *").await;
    assert!(has(&r, "* LIST (\\HasNoChildren) \"/\" INBOX"), "{r:?}");
    assert!(has(&r, "* LIST (\\HasChildren) \"/\" Work\r\n"), "{r:?}");
    assert!(has(&r, "* LIST (\\HasNoChildren) \"/\" Work/Projects"), "{r:?}");
    assert!(has(&r, "* LIST (\\HasNoChildren \\Sent) \"/\" Sent"), "{r:?}");
    assert!(
        has(&r, "* LIST (\\HasNoChildren \\Flagged) \"/\" Starred"),
        "{r:?}"
    );
    let r = c.cmd("e LIST \"\" %").await;
    assert!(!has(&r, "Work/Projects") && has(&r, "Work"), "{r:?}");
    let r = c.cmd("f LIST \"\" \"\"").await;
    assert_eq!(r[0], "* LIST (\\Noselect) \"/\" \"\"\r\n");
    let r = c.cmd("g DELETE Work").await;
    assert!(r[0].starts_with("g NO [HASCHILDREN]"), "{r:?}");
    let r = c.cmd("h DELETE INBOX").await;
    assert!(r[0].starts_with("h NO [CANNOT]"), "{r:?}");
    let r = c.cmd("i DELETE Nope").await;
    assert!(r[0].starts_with("i NO [NONEXISTENT]"), "{r:?}");
    assert!(c.cmd("j RENAME Work/Projects Archive/2024").await[0].starts_with("j OK"));
    let r = c.cmd("k LIST \"\" Archive/*").await;
    assert!(has(&r, "Archive/2024"), "{r:?}");
    assert!(c.cmd("l DELETE Archive/2024").await[0].starts_with("l OK"));
    let r = c.cmd("m CREATE \"Entw&APw-rfe\"").await;
    assert!(r[0].starts_with("m OK"), "{r:?}");
    let r = c.cmd("n LIST \"\" Entw*").await;
    assert!(has(&r, "Entw&APw-rfe"), "{r:?}");
    assert!(
        env.core
            .mailbox(env.account.id, "Entwürfe")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn subscribe_lsub_and_list_extended() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.cmd("a CREATE Lists").await;
    assert!(c.cmd("b SUBSCRIBE Lists").await[0].starts_with("b OK"));
    let r = c.cmd("c LSUB \"\" *").await;
    assert!(has(&r, "* LSUB () \"/\" Lists"), "{r:?}");
    let r = c.cmd("d LIST (SUBSCRIBED) \"\" *").await;
    assert!(has(&r, "\\Subscribed) \"/\" Lists"), "{r:?}");
    let r = c.cmd("e LIST \"\" * RETURN (STATUS (MESSAGES UIDNEXT))").await;
    assert!(has(&r, "* STATUS INBOX (MESSAGES 0 UIDNEXT 1)"), "{r:?}");
    c.cmd("e1 CREATE Lists/Rust").await;
    c.cmd("e2 UNSUBSCRIBE Lists").await;
    c.cmd("e3 SUBSCRIBE Lists/Rust").await;
    let r = c.cmd("e4 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" Lists").await;
    assert_eq!(
        r[0],
        "* LIST (\\HasChildren) \"/\" Lists (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"
    );
    let r = c.cmd("e5 LIST (RECURSIVEMATCH) \"\" *").await;
    assert!(r[0].starts_with("e5 BAD"), "{r:?}");
    c.cmd("e6 SUBSCRIBE Lists").await;
    assert!(c.cmd("f UNSUBSCRIBE Lists").await[0].starts_with("f OK"));
    let r = c.cmd("g LSUB \"\" *").await;
    assert!(!has(&r, "Lists\r\n"), "{r:?}");
}

#[tokio::test]
async fn status_and_append() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let m = msg("hi", "body");
    c.send(
        format!(
            "a APPEND INBOX (\\Seen $Work) \"07-Feb-1994 21:52:25 -0800\" {{{}}}\r\n",
            m.len()
        )
        .as_bytes(),
    )
    .await;
    assert!(c.line().await.starts_with("+ "));
    c.send(&m).await;
    c.send(b"\r\n").await;
    let r = c.until("a").await;
    let mb = env.mailbox("INBOX").await;
    assert_eq!(
        r.last().unwrap(),
        &format!("a OK [APPENDUID {} 1] APPEND completed\r\n", mb.uidvalidity)
    );
    // LITERAL+ and MULTIAPPEND.
    let mut batch = format!("b APPEND INBOX {{{}+}}\r\n", m.len()).into_bytes();
    batch.extend_from_slice(&m);
    batch.extend_from_slice(format!(" {{{}+}}\r\n", m.len()).as_bytes());
    batch.extend_from_slice(&m);
    batch.extend_from_slice(b"\r\n");
    c.send(&batch).await;
    let r = c.until("b").await;
    assert!(
        r.last().unwrap().contains("[APPENDUID ") && r.last().unwrap().contains(" 2:3]"),
        "{r:?}"
    );
    let r = c.cmd("c APPEND Nope {1+}\r\nx").await;
    assert!(r[0].starts_with("c NO [TRYCREATE]"), "{r:?}");
    let r = c
        .cmd("d STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN SIZE)")
        .await;
    let want = format!(
        "* STATUS INBOX (MESSAGES 3 UIDNEXT 4 UIDVALIDITY {} UNSEEN 2 SIZE {})\r\n",
        mb.uidvalidity,
        3 * m.len()
    );
    assert_eq!(r[0], want);
    let r = c.cmd("e STATUS Nope (MESSAGES)").await;
    assert!(r[0].starts_with("e NO [NONEXISTENT]"), "{r:?}");
}

#[tokio::test]
async fn select_examine_close_unselect() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    env.append(&msg("b", "y")).await;
    let mut c = env.logged_in().await;
    let r = c.cmd("a SELECT INBOX").await;
    let mb = env.mailbox("INBOX").await;
    assert!(has(&r, "* 2 EXISTS"), "{r:?}");
    assert!(has(&r, "* 0 RECENT"), "{r:?}");
    assert!(
        has(&r, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)"),
        "{r:?}"
    );
    assert!(
        has(
            &r,
            "[PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)]"
        ),
        "{r:?}"
    );
    assert!(has(&r, "* OK [UNSEEN 1]"), "{r:?}");
    assert!(
        has(&r, &format!("* OK [UIDVALIDITY {}]", mb.uidvalidity)),
        "{r:?}"
    );
    assert!(has(&r, "* OK [UIDNEXT 3]"), "{r:?}");
    assert!(has(&r, "[HIGHESTMODSEQ "), "{r:?}");
    assert!(r.last().unwrap().starts_with("a OK [READ-WRITE]"));
    // Read-only: STORE refused.
    let r = c.cmd("b EXAMINE INBOX").await;
    assert!(has(&r, "* OK [CLOSED]"), "{r:?}");
    assert!(r.last().unwrap().starts_with("b OK [READ-ONLY]"));
    let r = c.cmd("c STORE 1 +FLAGS (\\Deleted)").await;
    assert!(r[0].starts_with("c NO [READ-ONLY]"), "{r:?}");
    assert!(c.cmd("d SELECT INBOX").await.last().unwrap().starts_with("d OK"));
    c.cmd("e STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    let r = c.cmd("f CLOSE").await;
    assert_eq!(r, vec!["f OK CLOSE completed\r\n"]);
    assert_eq!(env.mailbox("INBOX").await.message_count, 1);
    let r = c.cmd("g FETCH 1 FLAGS").await;
    assert!(r[0].starts_with("g BAD"), "{r:?}");
    c.cmd("h SELECT INBOX").await;
    c.cmd("i STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    assert!(c.cmd("j UNSELECT").await[0].starts_with("j OK"));
    assert_eq!(env.mailbox("INBOX").await.message_count, 1);
    let r = c.cmd("k SELECT Nope").await;
    assert!(r[0].starts_with("k NO [NONEXISTENT]"), "{r:?}");
}
