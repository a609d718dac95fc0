//! What the SMTP sessions say about filter decisions and forwarded mail: a recipient whose filter
//! refused the message (RFC 5429) gets `550 5.7.1` in LMTP (§2.1.1); the MX answers `550` when
//! every recipient refused and otherwise accepts and sends the sender a reject notice (§2.1); and
//! the MX forwards bounces to this server's SRS addresses to the original sender while refusing
//! forged ones.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::pin::Pin;
use std::sync::Arc;

use common::*;
use malt_config::Protocol;
use malt_core::filter::{DeliveryFilter, FilterDecision, FilterInput};
use malt_core::mail::DeliveryOptions;
use malt_core::srs::Srs;
use malt_server::Handler;
use malt_smtp::{LmtpHandler, SmtpHandler};
use malt_store::QueuedMessage;

/// Refuses, for alice only, messages whose subject asks for it.
#[derive(Debug)]
struct RejectForAlice;

impl DeliveryFilter for RejectForAlice {
    fn decide<'a>(
        &'a self,
        input: FilterInput<'a>,
    ) -> Pin<Box<dyn std::future::Future<Output = FilterDecision> + Send + 'a>> {
        let refuse = input.account.address == USER
            && String::from_utf8_lossy(input.message).contains("Subject: reject");
        Box::pin(async move {
            if refuse {
                FilterDecision {
                    reject: Some("Not wanted here.\nReally.".into()),
                    ..FilterDecision::default()
                }
            } else {
                FilterDecision::keep()
            }
        })
    }
}

fn options() -> DeliveryOptions {
    DeliveryOptions {
        filter: Some(Arc::new(RejectForAlice)),
        srs: Some(Arc::new(srs())),
        ..DeliveryOptions::default()
    }
}

fn srs() -> Srs {
    Srs::new([5; 32], "fwd.example.org", 21)
}

async fn lmtp() -> Env {
    let handler = async |p: &malt_testkit::TestParts| {
        let core = p.core.clone().with_delivery_options(options());
        Arc::new(LmtpHandler::new(core)) as Arc<dyn Handler>
    };
    malt_testkit::start_with(Protocol::Lmtp, |_| {}, handler)
        .await
        .into()
}

async fn mx() -> MxEnv {
    let handler = async |p: &malt_testkit::TestParts| {
        let core = p.core.clone().with_delivery_options(options());
        Arc::new(SmtpHandler::new(core, p.auth.clone())) as Arc<dyn Handler>
    };
    malt_testkit::start_with(Protocol::Smtp, |_| {}, handler)
        .await
        .into()
}

async fn queued(env: &impl Kit) -> Vec<(QueuedMessage, String)> {
    let core = &env.kit().core;
    let mut out = Vec::new();
    for q in core.storage().store.queue_list().await.unwrap() {
        let raw = String::from_utf8(core.read_blob(&q.blob_id).await.unwrap()).unwrap();
        out.push((q, raw));
    }
    out
}

#[tokio::test]
async fn lmtp_refuses_each_rejecting_recipient_with_550_5_7_1() {
    let env = lmtp().await;
    let bob = env.add_account("bob@example.org", None).await;
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<sender@remote.test>").await;
    c.cmd1("RCPT TO:<alice@example.org>").await;
    c.cmd1("RCPT TO:<bob@example.org>").await;
    assert_eq!(
        c.cmd1("DATA").await,
        "354 Start mail input; end with <CRLF>.<CRLF>"
    );
    c.send(format!("{}\r\n.\r\n", msg("reject me", "x")).as_bytes())
        .await;
    assert_eq!(c.one().await, "550 5.7.1 Not wanted here. Really.");
    assert!(c.one().await.starts_with("250 2.0.0 <bob@example.org>"));
    assert!(env.alice_inbox().await.is_empty());
    assert_eq!(env.inbox_of(&bob).await.len(), 1);
    assert!(queued(&env).await.is_empty(), "LMTP says it; no notice");
}

#[tokio::test]
async fn the_mx_refuses_when_every_recipient_rejects() {
    let env = mx().await;
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<sender@remote.test>").await;
    c.cmd1("RCPT TO:<alice@example.org>").await;
    assert_eq!(
        c.data(&msg("reject me", "x")).await,
        "550 5.7.1 Not wanted here. Really."
    );
    assert!(env.alice_inbox().await.is_empty());
    assert!(queued(&env).await.is_empty());
}

#[tokio::test]
async fn the_mx_sends_a_reject_notice_when_others_took_the_message() {
    let env = mx().await;
    let bob = env.add_account("bob@example.org", None).await;
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<sender@remote.test>").await;
    c.cmd1("RCPT TO:<alice@example.org>").await;
    c.cmd1("RCPT TO:<bob@example.org>").await;
    let reply = c.data(&msg("reject me", "x")).await;
    assert!(reply.starts_with("250 2.0.0 "), "{reply}");
    assert_eq!(env.inbox_of(&bob).await.len(), 1);
    let q = queued(&env).await;
    assert_eq!(q.len(), 1, "a notice, and alice is not queued for a bounce");
    let (entry, notice) = &q[0];
    assert_eq!(entry.return_path, "", "sent with the null reverse-path");
    assert_eq!(entry.recipients[0].address, "sender@remote.test");
    assert!(
        notice.contains("report-type=disposition-notification"),
        "{notice}"
    );
    assert!(notice.contains("Final-Recipient: rfc822; alice@example.org\r\n"));
    assert!(notice.contains("Not wanted here.\r\nReally."));
}

#[tokio::test]
async fn the_mx_forwards_bounces_to_srs_addresses_and_refuses_forged_ones() {
    let env = mx().await;
    let srs = srs();
    let remote = srs.forward("carol@remote.test");
    let local = srs.forward("alice@example.org");
    let forged = remote.replace("=carol@", "=mallory@");
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<>").await;
    assert_eq!(
        c.cmd1(&format!("RCPT TO:<{forged}>")).await,
        format!("550 5.1.1 <{forged}> Invalid or expired SRS address")
    );
    assert!(c.cmd1(&format!("RCPT TO:<{remote}>")).await.starts_with("250 "));
    assert!(c.cmd1(&format!("RCPT TO:<{local}>")).await.starts_with("250 "));
    let reply = c
        .data(&msg("Undelivered Mail Returned to Sender", "bounce"))
        .await;
    assert!(reply.starts_with("250 2.0.0 "), "{reply}");
    // No relay permission needed: the remote original is queued, the local one delivered.
    let q = queued(&env).await;
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].0.return_path, "");
    let to: Vec<_> = q[0].0.recipients.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(to, ["carol@remote.test"]);
    let inbox = env.alice_inbox().await;
    assert_eq!(inbox.len(), 1);
    assert!(
        inbox[0].contains("Delivered-To: alice@example.org\r\n"),
        "{}",
        inbox[0]
    );
}
