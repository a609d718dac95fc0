//! The runner delivering over SMTP: the real `malt-outbound` client, the testkit DNS server
//! (remote.test's MX is mx.remote.test on 127.0.0.1) and SMTP sink, and a real store.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;

use common::*;
use malt_config::Config;
use malt_outbound::Outbound;
use malt_store::RecipientStatus;
use malt_testkit::{DnsServer, Record, SinkOptions, SmtpSink};

const BODY: &str =
    "From: alice@local.test\r\nTo: user@remote.test\r\nSubject: to the world\r\n\r\n.leading dot\r\nbye\r\n";

async fn dns() -> DnsServer {
    DnsServer::start(vec![
        Record::mx("remote.test", 10, "mx.remote.test"),
        Record::a("mx.remote.test", "127.0.0.1"),
    ])
    .await
}

/// Test config pointing outbound delivery at `dns` and the sink's port.
fn remote_config(dns: &DnsServer, sink: &SmtpSink, tweak: impl FnOnce(&mut Config)) -> Config {
    config(|c| {
        c.listeners.clear();
        c.dns.servers = vec![dns.addr()];
        c.outbound.mx_port = sink.addr().port();
        c.outbound.connect_timeout_secs = 5;
        c.outbound.command_timeout_secs = 5;
        c.outbound.data_timeout_secs = 5;
        tweak(c);
    })
}

fn outbound(c: &Config) -> Arc<Outbound> {
    Arc::new(Outbound::new(malt_outbound::Settings::from_config(c)).unwrap())
}

fn sink_opts(rcpt_replies: &[(&str, &str)]) -> SinkOptions {
    SinkOptions {
        pipelining: true,
        dsn: true,
        eight_bit_mime: true,
        rcpt_replies: rcpt_replies
            .iter()
            .map(|(a, r)| ((*a).into(), (*r).into()))
            .collect(),
        ..SinkOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remote_recipient_is_delivered_and_removed() {
    let dns = dns().await;
    let sink = SmtpSink::start(sink_opts(&[])).await;
    let c = remote_config(&dns, &sink, |_| {});
    let mut e = env().await;
    e.start(&c, outbound(&c));
    e.enqueue(SENDER, &["user@remote.test"], BODY, None).await;
    wait_for("the sink to get it", || async { sink.transactions().len() == 1 }).await;
    wait_for("the queue to empty", || async { e.queue_len().await == 0 }).await;
    let t = &sink.transactions()[0];
    assert_eq!(t.mail_from, SENDER);
    assert_eq!(t.accepted(), vec!["user@remote.test"]);
    assert_eq!(
        t.body,
        BODY.as_bytes(),
        "content unchanged (a leading dot survives)"
    );
    assert!(
        t.mail_params.contains(&"ENVID=ENV-42".to_owned()),
        "{:?}",
        t.mail_params
    );
    assert!(
        t.rcpts[0]
            .params
            .iter()
            .any(|p| p.eq_ignore_ascii_case("ORCPT=rfc822;user@remote.test")),
        "{:?}",
        t.rcpts[0].params
    );
    assert!(
        e.inbox(SENDER).await.is_empty(),
        "no DSN for a delivery without NOTIFY=SUCCESS"
    );
    e.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_550_fails_the_recipient_and_bounces_to_the_local_sender() {
    let dns = dns().await;
    let sink = SmtpSink::start(sink_opts(&[("bad@remote.test", "550 5.1.1 No such user here")])).await;
    let c = remote_config(&dns, &sink, |_| {});
    let mut e = env().await;
    e.start(&c, outbound(&c));
    e.enqueue(SENDER, &["bad@remote.test", "good@remote.test"], BODY, None)
        .await;
    wait_for("the bounce", || async { e.inbox(SENDER).await.len() == 1 }).await;
    wait_for("the queue to empty", || async { e.queue_len().await == 0 }).await;
    let (status, whole) = dsn_parts(&e.inbox(SENDER).await[0]);
    for want in [
        "Final-Recipient: rfc822; bad@remote.test",
        "Action: failed",
        "Status: 5.1.1",
        "Remote-MTA: dns; mx.remote.test",
        "Diagnostic-Code: smtp; 550 5.1.1 No such user here",
    ] {
        assert!(status.contains(want), "{want:?} not in\n{status}");
    }
    assert!(!status.contains("good@remote.test"));
    assert!(whole.contains("Subject: to the world"));
    assert_eq!(sink.transactions()[0].accepted(), vec!["good@remote.test"]);

    // The null sender's failure: no DSN at all.
    e.enqueue("", &["bad@remote.test"], BODY, None).await;
    wait_for("the second attempt", || async {
        sink.connections().len() >= 2 || e.queue_len().await == 0
    })
    .await;
    wait_for("the queue to empty", || async { e.queue_len().await == 0 }).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(e.queue_len().await, 0, "nothing queued for <>");
    assert_eq!(e.inbox(SENDER).await.len(), 1);
    e.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bounce_to_a_remote_sender_goes_out_with_the_null_reverse_path() {
    let dns = dns().await;
    let sink = SmtpSink::start(sink_opts(&[("bad@remote.test", "550 5.1.1 No such user")])).await;
    let c = remote_config(&dns, &sink, |_| {});
    let mut e = env().await;
    e.start(&c, outbound(&c));
    e.enqueue("carol@remote.test", &["bad@remote.test"], BODY, None)
        .await;
    wait_for("the bounce at the sink", || async {
        sink.transactions()
            .iter()
            .any(|t| t.accepted() == vec!["carol@remote.test"])
    })
    .await;
    let t = sink
        .transactions()
        .into_iter()
        .find(|t| t.accepted() == vec!["carol@remote.test"])
        .unwrap();
    assert_eq!(t.mail_from, "", "MAIL FROM:<>");
    let (status, _) = dsn_parts(&t.body);
    assert!(
        status.contains("Action: failed") && status.contains("Status: 5.1.1"),
        "{status}"
    );
    wait_for("the queue to empty", || async { e.queue_len().await == 0 }).await;
    e.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_451_is_retried_on_schedule_and_delivered_once_accepted() {
    let dns = dns().await;
    let sink = SmtpSink::start(sink_opts(&[("user@remote.test", "451 4.3.0 Try again later")])).await;
    let addr = sink.addr();
    // No connection reuse: the next attempt must meet the new sink.
    let c = remote_config(&dns, &sink, |c| c.outbound.max_idle_per_destination = 0);
    let mut e = env().await;
    e.start(&c, outbound(&c));
    let id = e.enqueue(SENDER, &["user@remote.test"], BODY, None).await;
    let store = e.core.storage().store.clone();
    wait_for("the first attempt recorded", || async {
        let m = store.queue_get(id).await.unwrap().unwrap();
        m.recipients[0].attempts >= 1
    })
    .await;
    let r = store.queue_get(id).await.unwrap().unwrap().recipients.remove(0);
    assert_eq!(r.status, RecipientStatus::Pending);
    assert_eq!(r.last_error.as_deref(), Some("451 4.3.0 Try again later"));
    assert!(
        r.next_attempt > now() - 2,
        "retried per the schedule, not at once"
    );
    drop(sink);
    // The old listener closes once its task notices the abort.
    let mut tries = 0;
    let sink = loop {
        match SmtpSink::try_start(SinkOptions {
            bind: addr,
            ..sink_opts(&[])
        })
        .await
        {
            Ok(s) => break s,
            Err(e) if tries < 100 => {
                tries += 1;
                let _ = e;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => panic!("cannot restart the sink: {e}"),
        }
    };
    wait_for("the retry to be delivered", || async {
        sink.transactions().len() == 1
    })
    .await;
    wait_for("the queue to empty", || async { e.queue_len().await == 0 }).await;
    assert!(
        e.inbox(SENDER).await.is_empty(),
        "no delay notice (disabled) and no bounce"
    );
    e.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recipient_older_than_max_age_fails_with_a_retry_timeout_bounce() {
    let dns = dns().await;
    let sink = SmtpSink::start(sink_opts(&[("user@remote.test", "451 4.3.0 Try again later")])).await;
    let c = remote_config(&dns, &sink, |c| c.queue.max_age_secs = 1000);
    let mut e = env().await;
    e.start(&c, outbound(&c));
    e.enqueue_at(SENDER, &["user@remote.test"], BODY, None, now() - 1000)
        .await;
    wait_for("the bounce", || async { e.inbox(SENDER).await.len() == 1 }).await;
    wait_for("the queue to empty", || async { e.queue_len().await == 0 }).await;
    let (status, _) = dsn_parts(&e.inbox(SENDER).await[0]);
    assert!(status.contains("Action: failed"), "{status}");
    assert!(status.contains("Status: 4.4.7"), "{status}");
    assert!(
        status.contains("Diagnostic-Code: smtp; 451 4.3.0 Try again later"),
        "{status}"
    );
    let whole = String::from_utf8_lossy(&e.inbox(SENDER).await[0]).into_owned();
    assert!(whole.contains("retry timeout"), "{whole}");
    e.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delay_notice_is_sent_once() {
    let dns = dns().await;
    let sink = SmtpSink::start(sink_opts(&[("user@remote.test", "451 4.3.0 Try again later")])).await;
    let c = remote_config(&dns, &sink, |c| c.queue.delay_warning_secs = 5);
    let mut e = env().await;
    e.start(&c, outbound(&c));
    let id = e
        .enqueue_at(SENDER, &["user@remote.test"], BODY, None, now() - 10)
        .await;
    let store = e.core.storage().store.clone();
    wait_for("three attempts", || async {
        store.queue_get(id).await.unwrap().unwrap().recipients[0].attempts >= 3
    })
    .await;
    let r = store.queue_get(id).await.unwrap().unwrap().recipients.remove(0);
    assert!(r.delay_notified);
    assert_eq!(r.status, RecipientStatus::Pending);
    let inbox = e.inbox(SENDER).await;
    assert_eq!(inbox.len(), 1, "one delay notice, not one per attempt");
    let (status, whole) = dsn_parts(&inbox[0]);
    assert!(status.contains("Action: delayed"), "{status}");
    assert!(status.contains("Status: 4.3.0"), "{status}");
    assert!(status.contains("Will-Retry-Until: "), "{status}");
    assert!(whole.contains("Subject: Delayed Mail"), "{whole}");
    e.stop().await;
}

/// NOTIFY=SUCCESS (RFC 3461 §6.2.3.2): a next hop that announced DSN was given the NOTIFY
/// parameter and reports the delivery itself, so no `relayed` notification comes from here; one
/// that did not gets the sender a `relayed` DSN.
#[tokio::test(flavor = "multi_thread")]
async fn notify_success_gives_a_relayed_dsn_only_when_the_next_hop_has_no_dsn() {
    let success = Some(malt_store::DsnNotify {
        success: true,
        ..malt_store::DsnNotify::default()
    });
    for hop_has_dsn in [true, false] {
        let dns = dns().await;
        let sink = SmtpSink::start(SinkOptions {
            dsn: hop_has_dsn,
            ..sink_opts(&[])
        })
        .await;
        let c = remote_config(&dns, &sink, |_| {});
        let mut e = env().await;
        e.start(&c, outbound(&c));
        e.enqueue(SENDER, &["user@remote.test"], BODY, success).await;
        wait_for("the sink to get it", || async { sink.transactions().len() == 1 }).await;
        wait_for("the queue to empty", || async { e.queue_len().await == 0 }).await;
        let notify_given = sink.transactions()[0].rcpts[0]
            .params
            .iter()
            .any(|p| p.eq_ignore_ascii_case("NOTIFY=SUCCESS"));
        assert_eq!(notify_given, hop_has_dsn);
        if hop_has_dsn {
            // Give a wrongly queued DSN the time to be delivered before concluding there is none.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            assert!(
                e.inbox(SENDER).await.is_empty(),
                "the next hop reports success itself"
            );
        } else {
            wait_for("the relayed DSN", || async { e.inbox(SENDER).await.len() == 1 }).await;
            let (status, _) = dsn_parts(&e.inbox(SENDER).await[0]);
            assert!(status.contains("Action: relayed"), "{status}");
        }
        e.stop().await;
    }
}
