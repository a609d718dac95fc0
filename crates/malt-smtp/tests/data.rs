//! DATA in the SMTP modes (RFC 5321 §4.1.1.4): ONE reply for the whole transaction, sent once the
//! message is durable for every recipient (readable from the store right after the 250), with the
//! RFC 3848 trace keyword; when every recipient failed permanently, that failure; the size limit
//! after the data; Python's smtplib.sendmail to several recipients.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[tokio::test]
async fn one_reply_for_all_recipients_and_durable_at_250() {
    let env = start_mx(|_| {}).await;
    let bob = env.add_account("bob@example.org", None).await;
    let blobs = env.blob_count();
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<sender@remote.test>").await;
    c.cmd1("RCPT TO:<alice@example.org>").await;
    c.cmd1("RCPT TO:<nobody@example.org>").await;
    c.cmd1("RCPT TO:<Bob@Example.org>").await;
    assert_eq!(
        c.cmd1("DATA").await,
        "354 Start mail input; end with <CRLF>.<CRLF>"
    );
    c.send(format!("{}\r\n.\r\n", msg("multi", "..dot\r\nHello all")).as_bytes())
        .await;
    let reply = c.one().await;
    assert!(
        reply.starts_with("250 2.0.0 ") && reply.ends_with(" Message accepted for delivery"),
        "{reply}"
    );
    let id = reply.split(' ').nth(2).unwrap().to_owned();
    // Nothing more: the next reply is NOOP's.
    assert_eq!(c.cmd1("NOOP").await, "250 2.0.0 OK");
    // Already durable in both mailboxes, with the trace headers.
    let alice = env.alice_inbox().await;
    assert_eq!(alice.len(), 1);
    let expected_head = format!(
        "Return-Path: <sender@remote.test>\r\nDelivered-To: alice@example.org\r\n\
         Received: from client.test ([127.0.0.1])\r\n\tby mail.test with ESMTP id {id}\r\n\
         \tfor <alice@example.org>; "
    );
    assert!(alice[0].starts_with(&expected_head), "{}", alice[0]);
    assert!(
        alice[0].ends_with(&format!("{}\r\n", msg("multi", ".dot\r\nHello all"))),
        "{}",
        alice[0]
    );
    let bobs = env.inbox_of(&bob).await;
    assert_eq!(bobs.len(), 1);
    assert!(String::from_utf8_lossy(&bobs[0]).contains("Delivered-To: Bob@Example.org\r\n"));
    assert!(bobs[0].ends_with(format!("{}\r\n", msg("multi", ".dot\r\nHello all")).as_bytes()));
    assert_eq!(env.blob_count(), blobs + 1, "one blob for both copies");
}

#[tokio::test]
async fn every_recipient_failing_permanently_gets_that_failure() {
    let env = start_mx(|_| {}).await;
    // Quotas the message can never fit in: accepted at RCPT (nothing stored yet), refused after DATA.
    env.add_account("tiny@example.org", Some(100)).await;
    env.add_account("small@example.org", Some(120)).await;
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<sender@remote.test>").await;
    c.cmd1("RCPT TO:<tiny@example.org>").await;
    c.cmd1("RCPT TO:<small@example.org>").await;
    assert_eq!(
        c.data(&msg("big", &"y".repeat(500))).await,
        "552 5.2.2 <tiny@example.org> Message exceeds the mailbox quota"
    );
    assert_eq!(c.cmd1("NOOP").await, "250 2.0.0 OK");
}

#[tokio::test]
async fn size_limit_after_the_data() {
    let env = start_mx(|c| c.limits.max_message_size = 1000).await;
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<s@remote.test>").await;
    c.cmd1("RCPT TO:<alice@example.org>").await;
    env.add_account("bob@example.org", None).await;
    c.cmd1("RCPT TO:<bob@example.org>").await;
    // One reply, not one per recipient.
    assert_eq!(
        c.data(&format!("Subject: big\r\n\r\n{}", "y".repeat(3000))).await,
        "552 5.3.4 Message size exceeds fixed maximum message size"
    );
    assert_eq!(c.cmd1("NOOP").await, "250 2.0.0 OK");
    assert!(env.alice_inbox().await.is_empty());
}

#[tokio::test]
async fn data_needs_a_recipient() {
    let env = start_mx(|_| {}).await;
    let mut c = env.greeted().await;
    assert_eq!(c.cmd1("DATA").await, "503 5.5.1 Send MAIL first");
    c.cmd1("MAIL FROM:<s@remote.test>").await;
    assert_eq!(c.cmd1("DATA").await, "503 5.5.1 No valid recipients");
}

#[tokio::test]
async fn smtplib_sendmail_with_pipelining() {
    let env = start_mx(|_| {}).await;
    let bob = env.add_account("bob@example.org", None).await;
    let script = r#"
s = smtplib.SMTP("127.0.0.1", PORT, timeout=10)
refused = s.sendmail("sender@remote.test", ["alice@example.org", "ghost@example.org", "bob@example.org"],
                     b"Subject: smtplib\r\n\r\nhello\r\n")
print(sorted(refused.items()))
try:
    s.sendmail("sender@remote.test", ["ghost@example.org"], b"Subject: none\r\n\r\nx\r\n")
except smtplib.SMTPRecipientsRefused as e:
    print(e.recipients)
s.quit()
"#;
    let out = smtplib(&env, env.smtp.port(), env.smtps.port(), script).await;
    assert_eq!(
        out,
        [
            "[('ghost@example.org', (550, b'5.1.1 <ghost@example.org> No such user here'))]",
            "{'ghost@example.org': (550, b'5.1.1 <ghost@example.org> No such user here')}",
        ]
    );
    assert_eq!(env.alice_inbox().await.len(), 1);
    assert_eq!(env.inbox_of(&bob).await.len(), 1);
}
