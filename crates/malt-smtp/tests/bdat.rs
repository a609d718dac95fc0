//! BDAT (RFC 3030, CHUNKING) in the SMTP modes: chunks acknowledged one by one, ONE reply after
//! `LAST` for all recipients, content stored without dot-unstuffing, the size limit, and a refused
//! chunk read to its end so the session stays in sync.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[tokio::test]
async fn chunks_then_one_reply() {
    let env = start_mx(|_| {}).await;
    let bob = env.add_account("bob@example.org", None).await;
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<sender@remote.test> BODY=8BITMIME").await;
    c.cmd1("RCPT TO:<alice@example.org>").await;
    c.cmd1("RCPT TO:<bob@example.org>").await;
    let part1 = "Subject: chunked\r\n\r\n.no unstuffing\r\n";
    c.send(format!("BDAT {}\r\n{part1}", part1.len()).as_bytes())
        .await;
    assert_eq!(
        c.one().await,
        format!("250 2.0.0 {0} octets received, {0} in total", part1.len())
    );
    assert_eq!(c.cmd1("DATA").await, "503 5.5.1 DATA not allowed after BDAT");
    let part2 = "end\r\n";
    c.send(format!("BDAT {} LAST\r\n{part2}NOOP\r\n", part2.len()).as_bytes())
        .await;
    let reply = c.one().await;
    assert!(
        reply.starts_with("250 2.0.0 ") && reply.ends_with(" Message accepted for delivery"),
        "{reply}"
    );
    // One reply only: the next is NOOP's.
    assert_eq!(c.one().await, "250 2.0.0 OK");
    for stored in [
        env.alice_inbox().await,
        vec![String::from_utf8(env.inbox_of(&bob).await[0].clone()).unwrap()],
    ] {
        assert_eq!(stored.len(), 1);
        assert!(
            stored[0].ends_with("Subject: chunked\r\n\r\n.no unstuffing\r\nend\r\n"),
            "{}",
            stored[0]
        );
    }
}

#[tokio::test]
async fn refused_and_oversized_chunks() {
    let env = start_mx(|c| c.limits.max_message_size = 1000).await;
    let mut c = env.greeted().await;
    // Outside a transaction: refused, but the chunk is consumed.
    c.send(b"BDAT 6 LAST\r\nNOOP\r\n").await;
    assert_eq!(c.one().await, "503 5.5.1 Send MAIL first");
    assert_eq!(c.cmd1("NOOP").await, "250 2.0.0 OK");
    // Too big: one 552, the transaction is gone.
    c.cmd1("MAIL FROM:<s@remote.test>").await;
    c.cmd1("RCPT TO:<alice@example.org>").await;
    c.send(format!("BDAT 1200 LAST\r\n{}", "z".repeat(1200)).as_bytes())
        .await;
    assert_eq!(
        c.one().await,
        "552 5.3.4 Message size exceeds fixed maximum message size"
    );
    assert_eq!(
        c.cmd1("RCPT TO:<alice@example.org>").await,
        "503 5.5.1 Send MAIL first"
    );
    assert!(env.alice_inbox().await.is_empty());
}
