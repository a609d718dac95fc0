//! Limits of the SMTP sessions, each with its reply: recipients per transaction
//! (`smtp.max_recipients`, `452 4.5.3`), message size (SIZE and after the data, `552 5.3.4`), the
//! message rate per client address on MX (`451 4.7.1`), connections per client address (the
//! listener layer closes the extra connection without a word), errors before disconnect
//! (`smtp.max_errors`, `421 4.7.0`), the idle timeout (`421 4.4.2`) and the command line length
//! (`500 5.5.2`; AUTH lines and SASL responses up to 12288 octets, RFC 4954 §4).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[tokio::test]
async fn recipients_per_transaction() {
    let env = start_mx(|c| c.smtp.max_recipients = 3).await;
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<s@remote.test>").await;
    let mut batch = String::new();
    for _ in 0..4 {
        batch.push_str("RCPT TO:<alice@example.org>\r\n");
    }
    c.send(batch.as_bytes()).await;
    for _ in 0..3 {
        assert_eq!(c.one().await, "250 2.1.5 <alice@example.org> Recipient OK");
    }
    assert_eq!(c.one().await, "452 4.5.3 Too many recipients");
    // The default is 100.
    let env = start_sub(|_| {}).await;
    let mut c = env.authed().await;
    c.cmd1("MAIL FROM:<alice@example.org>").await;
    let batch = "RCPT TO:<x@elsewhere.test>\r\n".repeat(101);
    c.send(batch.as_bytes()).await;
    for _ in 0..100 {
        assert_eq!(c.one().await, "250 2.1.5 <x@elsewhere.test> Recipient OK");
    }
    assert_eq!(c.one().await, "452 4.5.3 Too many recipients");
}

#[tokio::test]
async fn message_size() {
    let env = start_sub(|c| c.limits.max_message_size = 1000).await;
    let mut c = env.authed().await;
    assert_eq!(
        c.cmd1("MAIL FROM:<alice@example.org> SIZE=1001").await,
        "552 5.3.4 Message size exceeds fixed maximum message size of 1000"
    );
    c.cmd1("MAIL FROM:<alice@example.org> SIZE=10").await;
    c.cmd1("RCPT TO:<alice@example.org>").await;
    assert_eq!(
        c.data(&format!("From: alice@example.org\r\n\r\n{}", "y".repeat(2000)))
            .await,
        "552 5.3.4 Message size exceeds fixed maximum message size"
    );
    assert!(env.alice_inbox().await.is_empty());
}

#[tokio::test]
async fn message_rate_per_client_address() {
    let env = start_mx(|c| c.smtp.max_messages_per_ip_per_minute = 2).await;
    let mut c = env.greeted().await;
    for _ in 0..2 {
        assert_eq!(
            c.cmd1("MAIL FROM:<s@remote.test>").await,
            "250 2.1.0 Sender <s@remote.test> OK"
        );
        c.cmd1("RSET").await;
    }
    assert_eq!(
        c.cmd1("MAIL FROM:<s@remote.test>").await,
        "451 4.7.1 Too many messages from your address, try again later"
    );
    // Counted per address across connections, not per connection.
    let mut c2 = env.greeted().await;
    assert_eq!(
        c2.cmd1("MAIL FROM:<s@remote.test>").await,
        "451 4.7.1 Too many messages from your address, try again later"
    );
    // Another address has its own allowance.
    let mut c3 = Client::connect_proxied(env.proxied, "203.0.113.5").await;
    c3.cmd("EHLO other.test").await;
    assert_eq!(
        c3.cmd1("MAIL FROM:<s@remote.test>").await,
        "250 2.1.0 Sender <s@remote.test> OK"
    );
    // 0 turns it off.
    let env = start_mx(|c| c.smtp.max_messages_per_ip_per_minute = 0).await;
    let mut c = env.greeted().await;
    for _ in 0..100 {
        assert_eq!(
            c.cmd1("MAIL FROM:<s@remote.test>").await,
            "250 2.1.0 Sender <s@remote.test> OK"
        );
        c.cmd1("RSET").await;
    }
}

#[tokio::test]
async fn connections_per_client_address() {
    let env = start_mx(|c| c.limits.max_connections_per_ip = 2).await;
    let a = env.client().await;
    let b = env.client().await;
    assert_eq!(a.greeting, "220 mail.test ESMTP Malt ready\r\n");
    assert_eq!(b.greeting, "220 mail.test ESMTP Malt ready\r\n");
    // The third is closed without a greeting.
    let mut c = env.client().await;
    assert_eq!(c.greeting, "");
    assert_eq!(c.rest().await, "");
    // Once one closes, a new connection is served again.
    drop(a);
    let mut greeting = String::new();
    for _ in 0..100 {
        greeting = env.client().await.greeting;
        if !greeting.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(greeting, "220 mail.test ESMTP Malt ready\r\n");
    drop(b);
}

#[tokio::test]
async fn errors_before_disconnect() {
    let env = start_mx(|c| c.smtp.max_errors = 3).await;
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<s@remote.test>").await;
    // Refused relaying counts as an error.
    assert_eq!(
        c.cmd1("RCPT TO:<a@elsewhere.test>").await,
        "554 5.7.1 <a@elsewhere.test> Relay access denied"
    );
    assert_eq!(c.cmd1("BOGUS").await, "500 5.5.1 Unknown command");
    c.send(b"RCPT TO:<nobody@example.org>\r\n").await;
    assert_eq!(c.line().await, "550 5.1.1 <nobody@example.org> No such user here");
    assert_eq!(
        c.line().await,
        "421 4.7.0 mail.test Too many errors, closing connection"
    );
    assert_eq!(c.rest().await, "");
}

#[tokio::test]
async fn idle_timeout() {
    let env = start_sub(|c| c.timeouts.idle_secs = 1).await;
    let mut c = env.greeted().await;
    // No sleep needed: the read waits (up to 10 s) for the server's 421.
    assert_eq!(
        c.line().await,
        "421 4.4.2 mail.test Idle timeout, closing connection"
    );
    assert_eq!(c.rest().await, "");
    // Inside an AUTH exchange too.
    let mut c = env.greeted().await;
    assert_eq!(c.cmd1("AUTH LOGIN").await, "334 VXNlcm5hbWU6");
    assert_eq!(
        c.line().await,
        "421 4.4.2 mail.test Idle timeout, closing connection"
    );
}

#[tokio::test]
async fn command_line_length() {
    let env = start_sub(|_| {}).await;
    let mut c = env.greeted().await;
    let long = format!("NOOP {}", "x".repeat(5000));
    assert_eq!(c.cmd1(&long).await, "500 5.5.2 Line too long");
    // RFC 4954 §4: an AUTH line may carry up to 12288 octets (here a valid but long response).
    let padded = plain(USER, &format!("{PASS}{}", " ".repeat(6000)));
    assert!(padded.len() > 5000);
    assert_eq!(
        c.cmd1(&format!("AUTH PLAIN {padded}")).await,
        "535 5.7.8 Authentication credentials invalid"
    );
    let too_long = format!("AUTH PLAIN {}", "A".repeat(13_000));
    assert_eq!(c.cmd1(&too_long).await, "500 5.5.2 Line too long");
    // A challenge response is limited the same way.
    assert_eq!(c.cmd1("AUTH PLAIN").await, "334 ");
    assert_eq!(
        c.cmd1(&"A".repeat(13_000)).await,
        "500 5.5.6 Authentication exchange line is too long"
    );
    assert_eq!(
        c.cmd1(&format!("AUTH PLAIN {}", plain(USER, PASS))).await,
        "235 2.7.0 Authentication successful"
    );
}
