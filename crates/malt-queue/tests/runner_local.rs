//! The runner with local routes: delivery to local mailboxes, bounces into the sender's INBOX,
//! holds, refusals, retries of local temporary failures. Remote delivery is not involved: the
//! transport here records any call (none is expected) and fails it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use malt_config::{RouteAction, RouteConfig};
use malt_queue::route::Route;
use malt_queue::{RemoteResult, ResultKind, Transport};
use malt_store::{DsnNotify, QueueRecipient, QueuedMessage};

#[derive(Default)]
struct NoRemote {
    calls: Mutex<Vec<String>>,
}

impl Transport for NoRemote {
    async fn deliver(
        &self,
        route: &Route,
        _message: &QueuedMessage,
        recipients: &[QueueRecipient],
        _body: &[u8],
    ) -> Vec<RemoteResult> {
        self.calls.lock().unwrap().push(route.key());
        recipients
            .iter()
            .map(|_| RemoteResult {
                kind: ResultKind::TempFail,
                reply: "451 4.4.0 no remote delivery in this test".into(),
                remote_mta: None,
            })
            .collect()
    }
}

const BODY: &str = "From: alice@local.test\r\nTo: bob@local.test\r\nSubject: queued hello\r\n\r\nhi bob\r\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_local_recipient_is_delivered_and_leaves_the_queue() {
    let mut e = env().await;
    let remote = Arc::new(NoRemote::default());
    e.start(&config(|_| {}), remote.clone());
    let id = e.enqueue(SENDER, &[LOCAL_RCPT], BODY, None).await;
    wait_for("delivery", || async { e.inbox(LOCAL_RCPT).await.len() == 1 }).await;
    wait_for("the queue to empty", || async { e.queue_len().await == 0 }).await;
    let got = String::from_utf8(e.inbox(LOCAL_RCPT).await.remove(0)).unwrap();
    assert!(
        got.starts_with("Return-Path: <alice@local.test>\r\nDelivered-To: bob@local.test\r\n"),
        "{got}"
    );
    assert!(got.contains(&format!("id Q{id}")), "{got}");
    assert!(got.ends_with(BODY));
    assert!(e.inbox(SENDER).await.is_empty(), "no DSN without NOTIFY=SUCCESS");
    assert!(
        remote.calls.lock().unwrap().is_empty(),
        "local mail never leaves the server"
    );
    e.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_local_user_bounces_to_the_sender() {
    let mut e = env().await;
    e.start(&config(|_| {}), Arc::new(NoRemote::default()));
    e.enqueue(SENDER, &["nobody@local.test", LOCAL_RCPT], BODY, None)
        .await;
    wait_for("the bounce", || async { e.inbox(SENDER).await.len() == 1 }).await;
    wait_for("the queue to empty", || async { e.queue_len().await == 0 }).await;
    assert_eq!(e.inbox(LOCAL_RCPT).await.len(), 1, "the other recipient got it");
    let (status, whole) = dsn_parts(&e.inbox(SENDER).await[0]);
    for want in [
        "Reporting-MTA: dns; mail.local.test",
        "Original-Envelope-Id: ENV-42",
        "Original-Recipient: rfc822; nobody@local.test",
        "Final-Recipient: rfc822; nobody@local.test",
        "Action: failed",
        "Status: 5.1.1",
        "Diagnostic-Code: smtp; 550 5.1.1 <nobody@local.test>: no such user here",
    ] {
        assert!(status.contains(want), "{want:?} not in\n{status}");
    }
    assert!(
        !status.contains("bob@local.test"),
        "only the failed recipient is reported"
    );
    assert!(
        whole.contains("Return-Path: <>\r\n"),
        "a DSN goes out with the null sender:\n{whole}"
    );
    assert!(whole.contains("From: Mail Delivery System <MAILER-DAEMON@mail.local.test>"));
    assert!(
        whole.contains("Subject: queued hello"),
        "the original header is returned"
    );
    assert!(!whole.contains("hi bob"), "RET=HDRS: not the body");
    e.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_null_sender_failure_gets_no_dsn() {
    let mut e = env().await;
    e.start(&config(|_| {}), Arc::new(NoRemote::default()));
    e.enqueue("", &["nobody@local.test"], BODY, None).await;
    // The message leaves the queue as failed, and nothing is queued in its place.
    wait_for("the queue to empty", || async { e.queue_len().await == 0 }).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(e.queue_len().await, 0);
    assert!(e.inbox(SENDER).await.is_empty());
    e.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn notify_never_and_success() {
    let mut e = env().await;
    e.start(&config(|_| {}), Arc::new(NoRemote::default()));
    let never = DsnNotify {
        never: true,
        ..DsnNotify::default()
    };
    e.enqueue(SENDER, &["nobody@local.test"], BODY, Some(never)).await;
    wait_for("the queue to empty", || async { e.queue_len().await == 0 }).await;
    let success = DsnNotify {
        success: true,
        ..DsnNotify::default()
    };
    e.enqueue(SENDER, &[LOCAL_RCPT], BODY, Some(success)).await;
    wait_for("the success DSN", || async { e.inbox(SENDER).await.len() == 1 }).await;
    let (status, _) = dsn_parts(&e.inbox(SENDER).await[0]);
    assert!(status.contains("Action: delivered"), "{status}");
    assert!(
        status.contains("Final-Recipient: rfc822; bob@local.test"),
        "{status}"
    );
    assert_eq!(e.inbox(SENDER).await.len(), 1, "NEVER: no bounce for the first");
    e.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_message_waits_until_released() {
    let mut e = env().await;
    let id = e.enqueue(SENDER, &[LOCAL_RCPT], BODY, None).await;
    e.core.storage().store.queue_hold(id, true).await.unwrap();
    e.start(&config(|_| {}), Arc::new(NoRemote::default()));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(e.inbox(LOCAL_RCPT).await.is_empty(), "held");
    assert_eq!(e.queue_len().await, 1);
    e.core.storage().store.queue_hold(id, false).await.unwrap();
    e.core.queue_notify().notify_one();
    wait_for("delivery after release", || async {
        e.inbox(LOCAL_RCPT).await.len() == 1
    })
    .await;
    e.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refuse_route_bounces_with_5_7_1_and_remote_mail_is_routed_out() {
    let mut e = env().await;
    let remote = Arc::new(NoRemote::default());
    let cfg = config(|c| {
        c.queue.routes = vec![RouteConfig {
            pattern: "blocked.test".into(),
            action: RouteAction::Refuse,
            host: None,
            port: None,
            auth_user: None,
            auth_password_file: None,
            require_tls: false,
        }];
        c.queue.relayhost = Some("smart.test:2525".into());
    });
    e.start(&cfg, remote.clone());
    e.enqueue(SENDER, &["x@blocked.test", "y@remote.test"], BODY, None)
        .await;
    wait_for("the bounce", || async { e.inbox(SENDER).await.len() == 1 }).await;
    let (status, _) = dsn_parts(&e.inbox(SENDER).await[0]);
    assert!(
        status.contains("Final-Recipient: rfc822; x@blocked.test"),
        "{status}"
    );
    assert!(status.contains("Status: 5.7.1"), "{status}");
    wait_for("the relay attempt", || async {
        !remote.calls.lock().unwrap().is_empty()
    })
    .await;
    assert_eq!(remote.calls.lock().unwrap()[0], "relay:smart.test:2525");
    // The remote recipient stays queued for a retry.
    let q = e.core.storage().store.queue_list().await.unwrap();
    assert_eq!(q.len(), 1);
    let y = q[0]
        .recipients
        .iter()
        .find(|r| r.address == "y@remote.test")
        .unwrap();
    assert_eq!(y.status, malt_store::RecipientStatus::Pending);
    assert_eq!(
        y.last_error.as_deref(),
        Some("451 4.4.0 no remote delivery in this test")
    );
    e.stop().await;
    // Nothing stays leased after the runner stopped: the message is claimable.
    let now = now();
    let claimed = e
        .core
        .storage()
        .store
        .queue_claim(now + 5, now + 60, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
}

/// A transport whose deliveries never finish.
struct Hangs;

impl Transport for Hangs {
    async fn deliver(
        &self,
        _: &Route,
        _: &QueuedMessage,
        _: &[QueueRecipient],
        _: &[u8],
    ) -> Vec<RemoteResult> {
        std::future::pending().await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_releases_what_is_in_flight() {
    let mut e = env().await;
    e.start(&config(|c| c.timeouts.shutdown_grace_secs = 1), Arc::new(Hangs));
    let id = e.enqueue(SENDER, &["x@remote.test"], BODY, None).await;
    // Claimed and in delivery: leased, so not claimable by anyone else.
    wait_for("the claim", || async {
        let now = now();
        let s = e.core.storage().store.clone();
        s.queue_next_due()
            .await
            .unwrap()
            .is_some_and(|due| due > now + 60)
    })
    .await;
    e.stop().await;
    let now = now();
    let claimed = e
        .core
        .storage()
        .store
        .queue_claim(now, now + 60, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "the lease was released on shutdown");
    assert_eq!(claimed[0].id, id);
    assert_eq!(claimed[0].recipients[0].attempts, 0, "nothing was recorded");
}
