//! The durable outbound queue behind the SMTP sessions: a relayed recipient is queued with its DSN
//! parameters (RFC 3461: RET, ENVID, NOTIFY, ORCPT) and this server's Received line before the 250;
//! local recipients are delivered, never queued, unless their delivery failed temporarily; when some
//! recipients succeed, those that failed permanently are queued too (the queue reports them).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_store::{DsnNotify, Flags, QueuedMessage, RecipientStatus};

async fn queued(env: &impl Kit) -> Vec<QueuedMessage> {
    env.kit().core.storage().store.queue_list().await.unwrap()
}

async fn content(env: &impl Kit, q: &QueuedMessage) -> String {
    String::from_utf8(env.kit().core.read_blob(&q.blob_id).await.unwrap()).unwrap()
}

#[tokio::test]
async fn relayed_recipients_are_queued_with_dsn_parameters() {
    let env = start_mx(|c| c.smtp.relay_networks = vec!["192.0.2.0/24".into()]).await;
    let mut c = Client::connect_proxied(env.proxied, "192.0.2.10").await;
    c.cmd("EHLO app.internal.test").await;
    c.cmd1("MAIL FROM:<app@internal.test> RET=HDRS ENVID=run+2B42")
        .await;
    c.cmd1("RCPT TO:<Ann@Remote.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;ann+2Blists@remote.test")
        .await;
    c.cmd1("RCPT TO:<alice@example.org>").await;
    c.cmd1("RCPT TO:<zed@other.test> NOTIFY=NEVER").await;
    c.cmd1("RCPT TO:<x@third.test>").await;
    let reply = c.data(&msg("out", "to the world")).await;
    assert!(reply.starts_with("250 2.0.0 "), "{reply}");
    let id = reply.split(' ').nth(2).unwrap().to_owned();
    // Queued at the 250, once, for the three remote recipients; alice got it locally.
    let q = queued(&env).await;
    assert_eq!(q.len(), 1);
    let q = &q[0];
    assert_eq!(q.return_path, "app@internal.test");
    assert_eq!(q.envid.as_deref(), Some("run+42"));
    assert!(!q.ret_full);
    assert_eq!(q.submitter, None);
    let rcpts: Vec<_> = q
        .recipients
        .iter()
        .map(|r| (r.address.as_str(), r.notify, r.orcpt.as_deref(), r.status))
        .collect();
    let notify = |success, failure, never| DsnNotify {
        success,
        failure,
        delay: false,
        never,
    };
    assert_eq!(
        rcpts,
        [
            (
                "Ann@Remote.test",
                Some(notify(true, true, false)),
                Some("rfc822;ann+lists@remote.test"),
                RecipientStatus::Pending
            ),
            (
                "zed@other.test",
                Some(notify(false, false, true)),
                None,
                RecipientStatus::Pending
            ),
            ("x@third.test", None, None, RecipientStatus::Pending),
        ]
    );
    let text = content(&env, q).await;
    assert!(
        text.starts_with(&format!(
            "Received: from app.internal.test ([192.0.2.10])\r\n\tby mail.test with ESMTP id {id}; "
        )),
        "{text}"
    );
    assert!(
        text.ends_with(&format!("{}\r\n", msg("out", "to the world"))),
        "{text}"
    );
    assert!(!text.contains("Delivered-To"), "{text}");
    assert_eq!(env.alice_inbox().await.len(), 1);
}

#[tokio::test]
async fn ret_full_and_the_submitter_are_kept() {
    let env = start_sub(|_| {}).await;
    let mut c = env.authed().await;
    c.cmd1("MAIL FROM:<alice@example.org> RET=FULL").await;
    c.cmd1("RCPT TO:<friend@elsewhere.test>").await;
    let reply = c.data("From: alice@example.org\r\nSubject: s\r\n\r\nbody").await;
    assert!(reply.starts_with("250 2.0.0 "), "{reply}");
    let q = queued(&env).await;
    assert_eq!(q.len(), 1);
    assert!(q[0].ret_full);
    assert_eq!(q[0].envid, None);
    assert_eq!(q[0].submitter, Some(env.account.id));
    assert!(
        content(&env, &q[0])
            .await
            .contains("\tby mail.test with ESMTPA id ")
    );
}

#[tokio::test]
async fn local_temporary_failures_are_queued_and_permanent_ones_follow_the_others() {
    let env = start_mx(|_| {}).await;
    // carol has room at RCPT time but not for this message: a temporary failure after DATA.
    let carol = env.add_account("carol@example.org", Some(2000)).await;
    let inbox = env.core.mailbox_required(carol.id, "INBOX").await.unwrap();
    let filler = msg("filler", &"x".repeat(1700));
    env.core
        .append(carol.id, inbox.id, filler.as_bytes(), Flags::default(), None)
        .await
        .unwrap();
    // dave: the message can never fit.
    env.add_account("dave@example.org", Some(100)).await;
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<sender@remote.test>").await;
    c.cmd1("RCPT TO:<alice@example.org>").await;
    c.cmd1("RCPT TO:<carol@example.org> NOTIFY=DELAY").await;
    c.cmd1("RCPT TO:<dave@example.org>").await;
    let reply = c.data(&msg("mixed", &"y".repeat(500))).await;
    assert!(reply.starts_with("250 2.0.0 "), "{reply}");
    assert_eq!(env.alice_inbox().await.len(), 1);
    assert_eq!(env.inbox_of(&carol).await.len(), 1, "only the filler");
    let q = queued(&env).await;
    assert_eq!(q.len(), 1);
    let rcpts: Vec<_> = q[0]
        .recipients
        .iter()
        .map(|r| (r.address.as_str(), r.notify.is_some()))
        .collect();
    assert_eq!(rcpts, [("carol@example.org", true), ("dave@example.org", false)]);
}

#[tokio::test]
async fn local_mail_is_never_queued() {
    let env = start_sub(|_| {}).await;
    let bob = env.add_account("bob@example.org", None).await;
    let mut c = env.authed().await;
    c.cmd1("MAIL FROM:<alice@example.org>").await;
    c.cmd1("RCPT TO:<bob@example.org>").await;
    c.cmd1("RCPT TO:<alice@example.org>").await;
    let reply = c
        .data("From: alice@example.org\r\nSubject: internal\r\n\r\nhi")
        .await;
    assert!(reply.starts_with("250 2.0.0 "), "{reply}");
    assert!(queued(&env).await.is_empty());
    assert_eq!(env.inbox_of(&bob).await.len(), 1);
    assert_eq!(env.alice_inbox().await.len(), 1);
}
