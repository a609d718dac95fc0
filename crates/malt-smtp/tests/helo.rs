//! HELO (RFC 5321 §4.1.1.1): a one-line `250` without extensions; a transaction works after it and
//! the trace header says `with SMTP` (RFC 3848); EHLO and LHLO in the wrong protocol are refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[tokio::test]
async fn helo_then_a_transaction() {
    let env = start_mx(|_| {}).await;
    let mut c = env.client().await;
    assert_eq!(c.cmd("HELO old.client.test").await, ["250 mail.test"]);
    assert_eq!(
        c.cmd1("MAIL FROM:<sender@remote.test>").await,
        "250 2.1.0 Sender <sender@remote.test> OK"
    );
    assert_eq!(
        c.cmd1("RCPT TO:<alice@example.org>").await,
        "250 2.1.5 <alice@example.org> Recipient OK"
    );
    let reply = c.data(&msg("helo", "Hi")).await;
    assert!(
        reply.starts_with("250 2.0.0 ") && reply.ends_with(" Message accepted for delivery"),
        "{reply}"
    );
    let stored = env.alice_inbox().await;
    assert_eq!(stored.len(), 1);
    assert!(
        received(&stored[0])
            .starts_with("Received: from old.client.test ([127.0.0.1])\r\n\tby mail.test with SMTP id "),
        "{}",
        stored[0]
    );
    // A later EHLO switches to ESMTP.
    c.cmd("EHLO new.client.test").await;
    c.cmd1("MAIL FROM:<sender@remote.test>").await;
    c.cmd1("RCPT TO:<alice@example.org>").await;
    c.data(&msg("ehlo", "Hi")).await;
    let stored = env.alice_inbox().await;
    assert!(
        received(&stored[1]).contains("from new.client.test ([127.0.0.1])\r\n\tby mail.test with ESMTP id "),
        "{}",
        stored[1]
    );
}

#[tokio::test]
async fn helo_needs_a_domain_and_lmtp_refuses_it() {
    let env = start_mx(|_| {}).await;
    let mut c = env.client().await;
    assert_eq!(c.cmd1("HELO").await, "501 5.5.4 Syntax: HELO domain");
    let env = start().await;
    let mut c = env.client().await;
    assert_eq!(
        c.cmd1("HELO client.test").await,
        "500 5.5.1 This is LMTP: use LHLO"
    );
}
