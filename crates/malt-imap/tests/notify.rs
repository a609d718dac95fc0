//! NOTIFY (RFC 5465): each filter and event kind, with a second client or the test environment
//! changing things while the watching client runs no command at all (the events must reach it
//! unasked), the STATUS option, NOTIFY NONE, BADEVENT and the BAD combinations, IDLE with NOTIFY.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;
use malt_store::{Flags, flag};

fn ok(r: &[String], tag: &str) {
    assert!(r.last().unwrap().starts_with(&format!("{tag} OK")), "{r:?}");
}

/// The next line the server sends on its own (no command in progress); fails after 5 s.
async fn pushed(c: &mut Client) -> String {
    tokio::time::timeout(Duration::from_secs(5), c.line())
        .await
        .expect("no notification within 5 s")
}

/// Pushed lines up to and including the first containing `needle`.
async fn pushed_until(c: &mut Client, needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let l = pushed(c).await;
        assert!(!l.is_empty(), "EOF before {needle}: {out:?}");
        let done = l.contains(needle);
        out.push(l);
        if done {
            return out;
        }
    }
}

#[tokio::test]
async fn capability_and_state() {
    let env = start().await;
    let mut c = env.client().await;
    let r = c.cmd("a NOTIFY NONE").await;
    assert_eq!(r, vec!["a BAD NOTIFY is not allowed in this state\r\n"]);
    let mut c = env.logged_in().await;
    let r = c.cmd("b CAPABILITY").await;
    assert!(r[0].contains(" NOTIFY"), "{r:?}");
    let r = c.cmd("c NOTIFY NONE").await;
    assert_eq!(r, vec!["c OK NOTIFY completed\r\n"]);
}

/// §5: the combinations the RFC forbids are BAD; AnnotationChange is `NO [BADEVENT]` listing what
/// is supported; a refused NOTIFY leaves no notification on.
#[tokio::test]
async fn bad_and_badevent() {
    let env = start().await;
    let mut c = env.selected().await;
    for (cmd, why) in [
        (
            "NOTIFY SET (selected (MessageNew))",
            "MessageNew and MessageExpunge",
        ),
        (
            "NOTIFY SET (personal (MessageExpunge))",
            "MessageNew and MessageExpunge",
        ),
        (
            "NOTIFY SET (inboxes (FlagChange))",
            "FlagChange and AnnotationChange",
        ),
        ("NOTIFY SET (selected (MailboxName))", "Only message events"),
        (
            "NOTIFY SET (selected (MessageNew MessageExpunge)) (selected-delayed (MessageNew MessageExpunge))",
            "Only one of SELECTED",
        ),
    ] {
        let r = c.cmd(&format!("x {cmd}")).await;
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(r[0].starts_with("x BAD ") && r[0].contains(why), "{cmd}: {r:?}");
    }
    let r = c
        .cmd("y NOTIFY SET (selected (MessageNew MessageExpunge AnnotationChange))")
        .await;
    assert_eq!(
        r,
        vec![
            "y NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange)] AnnotationChange is not supported\r\n"
        ]
    );
    // Syntax errors stay BAD.
    let r = c.cmd("z NOTIFY SET (bogus (MessageNew))").await;
    assert!(r[0].starts_with("z BAD "), "{r:?}");
    // Nothing was turned on by the refused commands.
    env.append(&msg("n", "x")).await;
    assert!(c.quiet(600).await, "a refused NOTIFY must not notify");
}

/// §5.1-§5.3, §6.1.1: with SELECTED, new messages (EXISTS then the FETCH of the MessageNew
/// attributes), flag changes and expunges of the selected mailbox arrive with no command running.
#[tokio::test]
async fn selected_events_arrive_unasked() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    let mut c = env.selected().await;
    let r = c
        .cmd("n NOTIFY SET (selected (MessageNew (UID FLAGS) MessageExpunge FlagChange))")
        .await;
    assert_eq!(r, vec!["n OK NOTIFY completed\r\n"]);
    env.append(&msg("b", "y")).await;
    assert_eq!(pushed(&mut c).await, "* 2 EXISTS\r\n");
    assert_eq!(pushed(&mut c).await, "* 2 FETCH (UID 2 FLAGS ())\r\n");
    env.add_flags(1, Flags::new(flag::FLAGGED, [])).await;
    assert_eq!(pushed(&mut c).await, "* 1 FETCH (UID 1 FLAGS (\\Flagged))\r\n");
    env.expunge(1).await;
    let lines = pushed_until(&mut c, "EXPUNGE").await;
    assert_eq!(lines.last().unwrap(), "* 1 EXPUNGE\r\n", "{lines:?}");
    // The session still answers commands normally, numbers as announced.
    let r = c.cmd("f FETCH 1 (UID)").await;
    assert_eq!(r, vec!["* 1 FETCH (UID 2)\r\n", "f OK FETCH completed\r\n"]);
}

/// §6.1.2: SELECTED-DELAYED pushes new messages but holds expunges until a command that allows them.
#[tokio::test]
async fn selected_delayed_holds_expunges() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    env.append(&msg("b", "x")).await;
    let mut c = env.selected().await;
    let r = c
        .cmd("n NOTIFY SET (selected-delayed (MessageNew MessageExpunge))")
        .await;
    ok(&r, "n");
    env.expunge(1).await;
    env.append(&msg("c", "y")).await;
    let lines = pushed_until(&mut c, "EXISTS").await;
    assert!(!has(&lines, "EXPUNGE"), "{lines:?}");
    assert_eq!(lines.last().unwrap(), "* 3 EXISTS\r\n", "{lines:?}");
    let r = c.cmd("o NOOP").await;
    assert_eq!(r, vec!["* 1 EXPUNGE\r\n", "o OK NOOP completed\r\n"]);
}

/// §5.2: another mailbox gets `* STATUS`; with CONDSTORE enabled it carries HIGHESTMODSEQ. The
/// `mailboxes` filter names exactly its mailboxes (§6.6); names that do not exist are ignored.
#[tokio::test]
async fn status_for_watched_mailboxes() {
    let env = start().await;
    let mut c = env.selected().await;
    ok(&c.cmd("a CREATE Lists").await, "a");
    ok(&c.cmd("b CREATE Other").await, "b");
    let v = env.mailbox("Lists").await.uidvalidity;
    let r = c
        .cmd("n NOTIFY SET (mailboxes (Lists NoSuchBox) (MessageNew MessageExpunge))")
        .await;
    assert_eq!(r, vec!["n OK NOTIFY completed\r\n"]);
    env.append_to("Other", &msg("o", "x")).await;
    env.append_to("Lists", &msg("l", "x")).await;
    assert_eq!(
        pushed(&mut c).await,
        format!("* STATUS Lists (MESSAGES 1 UIDNEXT 2 UIDVALIDITY {v} UNSEEN 1)\r\n")
    );
    let mut c = env.logged_in().await;
    ok(&c.cmd("e ENABLE CONDSTORE").await, "e");
    ok(
        &c.cmd("n NOTIFY SET (mailboxes Lists (MessageNew MessageExpunge))")
            .await,
        "n",
    );
    env.append_to("Lists", &msg("m", "x")).await;
    let modseq = env.mailbox("Lists").await.highest_modseq;
    assert_eq!(
        pushed(&mut c).await,
        format!("* STATUS Lists (MESSAGES 2 UIDNEXT 3 UIDVALIDITY {v} UNSEEN 2 HIGHESTMODSEQ {modseq})\r\n")
    );
}

/// §5.1: FlagChange on another mailbox is a STATUS too (UNSEEN changes); without FlagChange it is not.
#[tokio::test]
async fn flag_change_elsewhere() {
    let env = start().await;
    let mut c = env.logged_in().await;
    env.append(&msg("a", "x")).await;
    // The feed reaches the session asynchronously: the append is not an event of the NOTIFY below.
    settle().await;
    ok(
        &c.cmd("n NOTIFY SET (inboxes (MessageNew MessageExpunge))").await,
        "n",
    );
    env.add_flags(1, Flags::new(flag::SEEN, [])).await;
    settle().await;
    assert!(c.quiet(300).await, "FlagChange was not asked for");
    ok(
        &c.cmd("m NOTIFY SET (inboxes (MessageNew MessageExpunge FlagChange))")
            .await,
        "m",
    );
    env.add_flags(1, Flags::new(flag::FLAGGED, [])).await;
    let l = pushed(&mut c).await;
    assert!(
        l.starts_with("* STATUS INBOX (MESSAGES 1 UIDNEXT 2 ") && l.ends_with("UNSEEN 0)\r\n"),
        "{l}"
    );
    // §5.3: an expunge elsewhere is a STATUS as well (the \Deleted before it may come first).
    env.expunge(1).await;
    let lines = pushed_until(&mut c, "MESSAGES 0 ").await;
    assert!(
        lines.iter().all(|l| l.starts_with("* STATUS INBOX (")),
        "{lines:?}"
    );
}

/// §6.3, §6.5, §6.4: `inboxes` is INBOX only; `subtree` a mailbox and its children; `subscribed`
/// follows subscriptions made after NOTIFY SET.
#[tokio::test]
async fn inboxes_subtree_subscribed() {
    let env = start().await;
    let mut other = env.logged_in().await;
    ok(&other.cmd("a CREATE Lists/rust").await, "a");
    ok(&other.cmd("b CREATE Outbox").await, "b");
    let mut c = env.logged_in().await;
    ok(
        &c.cmd("n NOTIFY SET (inboxes (MessageNew MessageExpunge))").await,
        "n",
    );
    env.append_to("Outbox", &msg("s", "x")).await;
    env.append(&msg("i", "x")).await;
    assert!(pushed(&mut c).await.starts_with("* STATUS INBOX (MESSAGES 1 "));
    ok(
        &c.cmd("o NOTIFY SET (subtree Lists (MessageNew MessageExpunge))")
            .await,
        "o",
    );
    env.append(&msg("i2", "x")).await;
    env.append_to("Lists/rust", &msg("r", "x")).await;
    assert!(
        pushed(&mut c)
            .await
            .starts_with("* STATUS Lists/rust (MESSAGES 1 ")
    );
    ok(
        &c.cmd("p NOTIFY SET (subscribed (MessageNew MessageExpunge))")
            .await,
        "p",
    );
    env.append_to("Outbox", &msg("s2", "x")).await;
    settle().await;
    assert!(c.quiet(300).await, "Outbox is not subscribed");
    ok(&other.cmd("c SUBSCRIBE Outbox").await, "c");
    settle().await;
    env.append_to("Outbox", &msg("s3", "x")).await;
    assert!(pushed(&mut c).await.starts_with("* STATUS Outbox (MESSAGES 3 "));
}

/// §3.1: with STATUS, a STATUS for every watched mailbox but the selected one precedes the tagged OK.
#[tokio::test]
async fn status_option() {
    let env = start().await;
    let mut c = env.selected().await;
    ok(&c.cmd("a CREATE Lists").await, "a");
    env.append_to("Lists", &msg("l", "x")).await;
    let v = env.mailbox("Lists").await.uidvalidity;
    // The feed reaches the session asynchronously: the append is not an event of the NOTIFY below.
    settle().await;
    let r = c
        .cmd("n NOTIFY SET STATUS (selected (MessageNew MessageExpunge)) (personal (MessageNew MessageExpunge))")
        .await;
    ok(&r, "n");
    let status = &r[..r.len() - 1];
    // The account's special-use mailboxes and Lists; never the selected INBOX.
    assert_eq!(status.len(), 6, "{r:?}");
    assert!(status.iter().all(|l| l.starts_with("* STATUS ")), "{r:?}");
    assert!(!has(status, "INBOX"), "{r:?}");
    assert!(
        status.contains(&format!(
            "* STATUS Lists (MESSAGES 1 UIDNEXT 2 UIDVALIDITY {v} UNSEEN 1)\r\n"
        )),
        "{r:?}"
    );
    // Without STATUS: no STATUS.
    let r = c.cmd("o NOTIFY SET (personal (MessageNew MessageExpunge))").await;
    assert_eq!(r, vec!["o OK NOTIFY completed\r\n"]);
}

/// §5.4: created, renamed (extended LIST with OLDNAME) and deleted (`\NonExistent`) mailboxes.
#[tokio::test]
async fn mailbox_name_events() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let mut other = env.logged_in().await;
    ok(&c.cmd("n NOTIFY SET (personal (MailboxName))").await, "n");
    ok(&other.cmd("a CREATE foo").await, "a");
    assert_eq!(pushed(&mut c).await, "* LIST (\\HasNoChildren) \"/\" foo\r\n");
    ok(&other.cmd("b RENAME foo bar").await, "b");
    assert_eq!(
        pushed(&mut c).await,
        "* LIST (\\HasNoChildren) \"/\" bar (\"OLDNAME\" (foo))\r\n"
    );
    ok(&other.cmd("c DELETE bar").await, "c");
    assert_eq!(pushed(&mut c).await, "* LIST (\\NonExistent) \"/\" bar\r\n");
}

/// §5.5: subscribing and unsubscribing: LIST with `\Subscribed` iff subscribed after the event.
#[tokio::test]
async fn subscription_events() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let mut other = env.logged_in().await;
    ok(&other.cmd("a CREATE Lists").await, "a");
    ok(&c.cmd("n NOTIFY SET (personal (SubscriptionChange))").await, "n");
    ok(&other.cmd("b SUBSCRIBE Lists").await, "b");
    assert_eq!(pushed(&mut c).await, "* LIST (\\Subscribed) \"/\" Lists\r\n");
    ok(&other.cmd("c UNSUBSCRIBE Lists").await, "c");
    assert_eq!(pushed(&mut c).await, "* LIST () \"/\" Lists\r\n");
}

/// §5.6, §5.7: METADATA changes name the entries that changed (RFC 5464 §4.4.2), deletions included.
#[tokio::test]
async fn metadata_events() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let mut other = env.logged_in().await;
    ok(
        &c.cmd("n NOTIFY SET (inboxes (MailboxMetadataChange ServerMetadataChange))")
            .await,
        "n",
    );
    ok(
        &other.cmd("a SETMETADATA INBOX (/private/comment \"x\")").await,
        "a",
    );
    assert_eq!(pushed(&mut c).await, "* METADATA INBOX /private/comment\r\n");
    ok(
        &other.cmd("b SETMETADATA \"\" (/private/vendor/x \"y\")").await,
        "b",
    );
    assert_eq!(pushed(&mut c).await, "* METADATA \"\" /private/vendor/x\r\n");
    ok(
        &other.cmd("c SETMETADATA INBOX (/private/comment NIL)").await,
        "c",
    );
    assert_eq!(pushed(&mut c).await, "* METADATA INBOX /private/comment\r\n");
}

/// §3.1: NOTIFY NONE stops every event; the base protocol's NOOP updates remain.
#[tokio::test]
async fn none_stops_events() {
    let env = start().await;
    let mut c = env.selected().await;
    ok(
        &c.cmd("n NOTIFY SET (selected (MessageNew MessageExpunge)) (personal (MessageNew MessageExpunge MailboxName))")
            .await,
        "n",
    );
    env.append(&msg("a", "x")).await;
    assert_eq!(pushed(&mut c).await, "* 1 EXISTS\r\n");
    let r = c.cmd("o NOTIFY NONE").await;
    assert_eq!(r, vec!["o OK NOTIFY completed\r\n"]);
    env.append(&msg("b", "x")).await;
    let mut other = env.logged_in().await;
    ok(&other.cmd("a CREATE foo").await, "a");
    settle().await;
    assert!(c.quiet(300).await, "nothing after NOTIFY NONE");
    let r = c.cmd("p NOOP").await;
    assert_eq!(r, vec!["* 2 EXISTS\r\n", "p OK NOOP completed\r\n"]);
}

/// RFC 5465 §4: during IDLE, the events NOTIFY asked for are sent as well.
#[tokio::test]
async fn idle_carries_notify_events() {
    let env = start().await;
    let mut c = env.selected().await;
    ok(&c.cmd("a CREATE Lists").await, "a");
    ok(
        &c.cmd("n NOTIFY SET (mailboxes Lists (MessageNew MessageExpunge))")
            .await,
        "n",
    );
    c.send(b"i IDLE\r\n").await;
    assert_eq!(pushed(&mut c).await, "+ idling\r\n");
    env.append_to("Lists", &msg("l", "x")).await;
    assert!(pushed(&mut c).await.starts_with("* STATUS Lists (MESSAGES 1 "));
    c.send(b"DONE\r\n").await;
    assert_eq!(c.until("i").await, vec!["i OK IDLE terminated\r\n"]);
}

/// RFC 9051 §7.1.5: with NOTIFY active, the deletion of the selected mailbox ends the session at once.
#[tokio::test]
async fn selected_deleted_while_waiting() {
    let env = start().await;
    let mut c = env.logged_in().await;
    ok(&c.cmd("a CREATE Lists").await, "a");
    ok(&c.cmd("b SELECT Lists").await, "b");
    ok(
        &c.cmd("n NOTIFY SET (selected (MessageNew MessageExpunge))").await,
        "n",
    );
    let mut other = env.logged_in().await;
    ok(&other.cmd("c DELETE Lists").await, "c");
    assert_eq!(
        pushed(&mut c).await,
        "* BYE Selected mailbox was deleted, have to disconnect\r\n"
    );
    c.expect_eof().await;
}

/// §5.8: when the session cannot keep up (its share of the change feed overflowed while a command
/// was arriving), it says `* OK [NOTIFICATIONOVERFLOW]` and behaves as after NOTIFY NONE.
#[tokio::test]
async fn overflow_turns_notify_off() {
    let env = start().await;
    let uid = env.append(&msg("a", "x")).await;
    let mut c = env.logged_in().await;
    ok(
        &c.cmd("n NOTIFY SET (inboxes (MessageNew MessageExpunge FlagChange))")
            .await,
        "n",
    );
    // A command in progress: nothing is delivered (nor read from the feed) until it is complete.
    c.send(b"o NO").await;
    let inbox = env.inbox().await;
    let flagged = Flags::new(flag::FLAGGED, []);
    // More entries than the feed holds for a session (malt-store CHANNEL_CAPACITY, 4096).
    for i in 0..4200 {
        let op = if i % 2 == 0 {
            malt_store::FlagOp::Add
        } else {
            malt_store::FlagOp::Remove
        };
        env.core
            .store_flags(
                env.account.id,
                inbox.id,
                &malt_store::UidSet::from_uids([uid]),
                op,
                &flagged,
                None,
            )
            .await
            .unwrap();
    }
    settle().await;
    c.send(b"OP\r\n").await;
    let r = c.until("o").await;
    assert_eq!(
        r,
        vec![
            "* OK [NOTIFICATIONOVERFLOW] Too many changes; NOTIFY is off\r\n",
            "o OK NOOP completed\r\n"
        ]
    );
    env.append(&msg("b", "x")).await;
    settle().await;
    assert!(c.quiet(300).await, "NOTIFY is off after the overflow");
}

/// RFC 5465 §1, RFC 9051 §7: nothing is pushed while a command is in progress (here: partly
/// received); the events come with that command's answer instead.
#[tokio::test]
async fn nothing_pushed_during_a_command() {
    let env = start().await;
    let mut c = env.selected().await;
    ok(
        &c.cmd("n NOTIFY SET (selected (MessageNew MessageExpunge))").await,
        "n",
    );
    c.send(b"o NO").await;
    env.append(&msg("a", "x")).await;
    settle().await;
    assert!(c.quiet(300).await, "a command is in progress");
    c.send(b"OP\r\n").await;
    let r = c.until("o").await;
    assert_eq!(r, vec!["* 1 EXISTS\r\n", "o OK NOOP completed\r\n"]);
}
