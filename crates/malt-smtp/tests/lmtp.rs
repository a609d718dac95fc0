//! LMTP (RFC 2033) over real sockets: the raw protocol (LHLO, MAIL, RCPT, DATA, BDAT, RSET, VRFY, NOOP,
//! QUIT, PIPELINING, SIZE, limits, syntax errors with enhanced status codes) and Python's smtplib.LMTP;
//! delivered messages are checked in the store with their trace headers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_store::Flags;

fn lhlo_lines(starttls: bool) -> Vec<String> {
    let mut v: Vec<String> = [
        "250-mail.test",
        "250-PIPELINING",
        "250-ENHANCEDSTATUSCODES",
        "250-8BITMIME",
        "250-SMTPUTF8",
        "250-CHUNKING",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if starttls {
        v.push("250-SIZE 52428800".into());
        v.push("250 STARTTLS".into());
    } else {
        v.push("250 SIZE 52428800".into());
    }
    v
}

#[tokio::test]
async fn greeting_lhlo_and_ehlo_refused() {
    let env = start().await;
    let mut c = env.client().await;
    assert_eq!(c.greeting, "220 mail.test LMTP Malt ready\r\n");
    // RFC 2033 §4.1: EHLO and HELO are errors in LMTP; MAIL needs LHLO first.
    assert_eq!(
        c.cmd1("EHLO client.test").await,
        "500 5.5.1 This is LMTP: use LHLO"
    );
    assert_eq!(
        c.cmd1("HELO client.test").await,
        "500 5.5.1 This is LMTP: use LHLO"
    );
    assert_eq!(c.cmd1("MAIL FROM:<a@b.test>").await, "503 5.5.1 Send LHLO first");
    assert_eq!(c.cmd("LHLO client.test").await, lhlo_lines(true));
    assert_eq!(c.cmd1("NOOP").await, "250 2.0.0 OK");
    assert_eq!(
        c.cmd1("VRFY alice").await,
        "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery"
    );
    assert_eq!(c.cmd1("EXPN list").await, "502 5.5.1 EXPN not implemented");
    assert_eq!(c.cmd1("QUIT").await, "221 2.0.0 mail.test closing connection");
    assert_eq!(c.rest().await, "");
}

#[tokio::test]
async fn plain_listener_offers_no_starttls() {
    // The proxied listener is plain (tls = none): STARTTLS is neither announced nor accepted.
    let env = start().await;
    let (r, greeting) = malt_testkit::wire::connect(env.proxied, Some(("192.0.2.7", 24))).await;
    let mut c = Client { r, greeting };
    assert_eq!(c.cmd("LHLO client.test").await, lhlo_lines(false));
    assert_eq!(c.cmd1("STARTTLS").await, "454 4.7.0 TLS not available");
}

#[tokio::test]
async fn multi_recipient_data_gets_one_reply_per_recipient() {
    let env = start().await;
    let bob = env.add_account("bob@example.org", None).await;
    // carol: nearly full (temporary failure); dave: the message can never fit (permanent).
    let carol = env.add_account("carol@example.org", Some(2000)).await;
    let dave = env.add_account("dave@example.org", Some(100)).await;
    let carol_inbox = env.core.mailbox_required(carol.id, "INBOX").await.unwrap();
    let filler = msg("filler", &"x".repeat(1800));
    env.core
        .append(
            carol.id,
            carol_inbox.id,
            filler.as_bytes(),
            Flags::default(),
            None,
        )
        .await
        .unwrap();

    let blobs = env.blob_count();
    let mut c = env.greeted().await;
    assert_eq!(
        c.cmd1("MAIL FROM:<sender@remote.test>").await,
        "250 2.1.0 Sender <sender@remote.test> OK"
    );
    assert_eq!(
        c.cmd1("RCPT TO:<alice@example.org>").await,
        "250 2.1.5 <alice@example.org> Recipient OK"
    );
    assert_eq!(
        c.cmd1("RCPT TO:<nobody@example.org>").await,
        "550 5.1.1 <nobody@example.org> No such user here"
    );
    for r in ["Bob@Example.org", "carol@example.org", "dave@example.org"] {
        assert_eq!(
            c.cmd1(&format!("RCPT TO:<{r}>")).await,
            format!("250 2.1.5 <{r}> Recipient OK")
        );
    }
    assert_eq!(
        c.cmd1("DATA").await,
        "354 Start mail input; end with <CRLF>.<CRLF>"
    );
    c.send(format!("{}\r\n.\r\n", msg("multi", "Hello all")).as_bytes())
        .await;
    let alice = c.one().await;
    assert!(
        alice.starts_with("250 2.0.0 <alice@example.org> ") && alice.ends_with(" Saved"),
        "{alice}"
    );
    let bob_reply = c.one().await;
    assert!(
        bob_reply.starts_with("250 2.0.0 <Bob@Example.org> "),
        "{bob_reply}"
    );
    assert_eq!(
        c.one().await,
        "452 4.2.2 <carol@example.org> Mailbox full, try again later"
    );
    assert_eq!(
        c.one().await,
        "552 5.2.2 <dave@example.org> Message exceeds the mailbox quota"
    );
    assert_eq!(c.cmd1("NOOP").await, "250 2.0.0 OK");

    // Stored with the trace headers, per recipient.
    let id = alice.split(' ').nth(3).unwrap().to_owned();
    let stored = env.inbox_of(&env.account).await;
    assert_eq!(stored.len(), 1);
    let text = String::from_utf8(stored[0].clone()).unwrap();
    let expected_head = format!(
        "Return-Path: <sender@remote.test>\r\nDelivered-To: alice@example.org\r\n\
         Received: from client.test ([127.0.0.1])\r\n\tby mail.test with LMTP id {id}\r\n\tfor <alice@example.org>; "
    );
    assert!(text.starts_with(&expected_head), "{text}");
    assert!(
        text.ends_with(&format!("{}\r\n", msg("multi", "Hello all"))),
        "{text}"
    );
    let bobs = env.inbox_of(&bob).await;
    assert_eq!(bobs.len(), 1);
    assert!(String::from_utf8_lossy(&bobs[0]).contains("Delivered-To: Bob@Example.org\r\n"));
    assert!(bobs[0].ends_with(format!("{}\r\n", msg("multi", "Hello all")).as_bytes()));
    assert_eq!(env.blob_count(), blobs + 1, "one blob for both copies");
    assert_eq!(env.inbox_of(&carol).await.len(), 1, "only the filler");
    assert!(env.inbox_of(&dave).await.is_empty());
}

#[tokio::test]
async fn data_without_recipients_and_rset() {
    let env = start().await;
    let mut c = env.greeted().await;
    assert_eq!(c.cmd1("DATA").await, "503 5.5.1 Send MAIL first");
    c.cmd1("MAIL FROM:<>").await;
    assert_eq!(c.cmd1("MAIL FROM:<>").await, "503 5.5.1 Nested MAIL command");
    assert_eq!(
        c.cmd1("RCPT TO:<ghost@example.org>").await,
        "550 5.1.1 <ghost@example.org> No such user here"
    );
    // RFC 2033 §4.2: no successful RCPT, DATA fails with 503.
    assert_eq!(c.cmd1("DATA").await, "503 5.5.1 No valid recipients");
    assert_eq!(
        c.cmd1("RCPT TO:<alice@example.org>").await,
        "250 2.1.5 <alice@example.org> Recipient OK"
    );
    assert_eq!(c.cmd1("RSET").await, "250 2.0.0 OK");
    assert_eq!(
        c.cmd1("RCPT TO:<alice@example.org>").await,
        "503 5.5.1 Send MAIL first"
    );
    assert_eq!(c.cmd1("DATA").await, "503 5.5.1 Send MAIL first");
    assert!(env.inbox_of(&env.account).await.is_empty());
}

#[tokio::test]
async fn dot_unstuffing_and_null_sender() {
    let env = start().await;
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<>").await;
    c.cmd1("RCPT TO:<alice@example.org>").await;
    c.cmd1("DATA").await;
    // Sent in pieces that split the terminator.
    c.send(b"Subject: dots\r\n\r\n..leading dot\r\n...two\r\n.").await;
    c.send(b"\r").await;
    c.send(b"\n").await;
    assert!(c.one().await.starts_with("250 2.0.0 <alice@example.org> "));
    let stored = env.inbox_of(&env.account).await;
    let text = String::from_utf8(stored[0].clone()).unwrap();
    assert!(text.starts_with("Return-Path: <>\r\n"), "{text}");
    assert!(
        text.ends_with("Subject: dots\r\n\r\n.leading dot\r\n..two\r\n"),
        "{text}"
    );
}

#[tokio::test]
async fn bdat_chunks() {
    let env = start().await;
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
        format!(
            "250 2.0.0 {} octets received, {} in total",
            part1.len(),
            part1.len()
        )
    );
    assert_eq!(c.cmd1("DATA").await, "503 5.5.1 DATA not allowed after BDAT");
    let part2 = "end\r\n";
    c.send(format!("BDAT {} LAST\r\n{part2}", part2.len()).as_bytes())
        .await;
    assert!(c.one().await.starts_with("250 2.0.0 <alice@example.org> "));
    assert!(c.one().await.starts_with("250 2.0.0 <bob@example.org> "));
    let stored = env.inbox_of(&bob).await;
    let last = String::from_utf8(stored.last().unwrap().clone()).unwrap();
    assert!(
        last.ends_with("Subject: chunked\r\n\r\n.no unstuffing\r\nend\r\n"),
        "{last}"
    );
    // A refused BDAT still consumes its chunk: the next command is read in sync.
    c.send(b"BDAT 6 LAST\r\nNOOP\r\n").await;
    assert_eq!(c.one().await, "503 5.5.1 Send MAIL first");
    assert_eq!(c.cmd1("NOOP").await, "250 2.0.0 OK");
}

#[tokio::test]
async fn pipelining_replies_in_order() {
    let env = start().await;
    let mut c = env.client().await;
    c.send(
        b"LHLO client.test\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<alice@example.org>\r\n\
          RCPT TO:<x@example.org>\r\nDATA\r\n",
    )
    .await;
    assert_eq!(c.reply().await, lhlo_lines(true));
    assert_eq!(c.one().await, "250 2.1.0 Sender <s@remote.test> OK");
    assert_eq!(c.one().await, "250 2.1.5 <alice@example.org> Recipient OK");
    assert_eq!(c.one().await, "550 5.1.1 <x@example.org> No such user here");
    assert_eq!(c.one().await, "354 Start mail input; end with <CRLF>.<CRLF>");
    c.send(b"Subject: p\r\n\r\nbody\r\n.\r\nRSET\r\nQUIT\r\n").await;
    assert!(c.one().await.starts_with("250 2.0.0 <alice@example.org> "));
    assert_eq!(c.one().await, "250 2.0.0 OK");
    assert_eq!(c.one().await, "221 2.0.0 mail.test closing connection");
    assert_eq!(env.inbox_of(&env.account).await.len(), 1);
}

#[tokio::test]
async fn size_limits() {
    let env = start_with(|c| c.limits.max_message_size = 1000).await;
    let mut c = env.client().await;
    let lhlo = c.cmd("LHLO client.test").await;
    assert!(lhlo.contains(&"250-SIZE 1000".to_owned()), "{lhlo:?}");
    // RFC 1870 §6.1: a declared size over the limit is refused at MAIL.
    assert_eq!(
        c.cmd1("MAIL FROM:<s@remote.test> SIZE=1001").await,
        "552 5.3.4 Message size exceeds fixed maximum message size of 1000"
    );
    assert_eq!(
        c.cmd1("MAIL FROM:<s@remote.test> SIZE=999999999999999999999999")
            .await,
        "552 5.3.4 Message size exceeds fixed maximum message size of 1000"
    );
    assert_eq!(
        c.cmd1("MAIL FROM:<s@remote.test> SIZE=500").await,
        "250 2.1.0 Sender <s@remote.test> OK"
    );
    c.cmd1("RCPT TO:<alice@example.org>").await;
    c.cmd1("DATA").await;
    // Undeclared and too big: read to the end, refused per recipient, the session stays in sync.
    let big = format!("Subject: big\r\n\r\n{}\r\n.\r\n", "y".repeat(3000));
    c.send(big.as_bytes()).await;
    assert_eq!(
        c.one().await,
        "552 5.3.4 <alice@example.org> Message size exceeds fixed maximum message size"
    );
    assert_eq!(c.cmd1("NOOP").await, "250 2.0.0 OK");
    // BDAT over the limit.
    c.cmd1("MAIL FROM:<s@remote.test>").await;
    c.cmd1("RCPT TO:<alice@example.org>").await;
    c.send(format!("BDAT 1200\r\n{}", "z".repeat(1200)).as_bytes())
        .await;
    assert_eq!(
        c.one().await,
        "552 5.3.4 Message size exceeds fixed maximum message size of 1000"
    );
    assert_eq!(
        c.cmd1("RCPT TO:<alice@example.org>").await,
        "503 5.5.1 Send MAIL first"
    );
    assert!(env.inbox_of(&env.account).await.is_empty());
}

#[tokio::test]
async fn syntax_errors_have_enhanced_codes() {
    let env = start().await;
    let mut c = env.greeted().await;
    assert_eq!(c.cmd1("FOO bar").await, "500 5.5.1 Unknown command");
    assert_eq!(
        c.cmd1("MAIL FROM:sender@remote.test").await,
        "501 5.5.4 Syntax: MAIL FROM:<reverse-path> [parameters]"
    );
    assert_eq!(
        c.cmd1("MAIL FROM:<a@b.test> FOO=BAR").await,
        "555 5.5.4 Unsupported parameter FOO=BAR"
    );
    // DSN is not announced: its parameters are refused.
    assert_eq!(
        c.cmd1("MAIL FROM:<a@b.test> RET=HDRS").await,
        "555 5.5.4 Unsupported parameter RET"
    );
    c.cmd1("MAIL FROM:<a@b.test>").await;
    assert_eq!(
        c.cmd1("RCPT TO:<>").await,
        "501 5.1.3 Bad recipient address syntax"
    );
    assert_eq!(
        c.cmd1("RCPT TO:<alice@example.org> NOTIFY=SUCCESS").await,
        "555 5.5.4 Unsupported parameter NOTIFY"
    );
    assert_eq!(
        c.cmd1("RCPT TO:<jürgen@example.org>").await,
        "553 5.6.7 Non-ASCII address requires SMTPUTF8"
    );
    let long = format!("NOOP {}", "x".repeat(5000));
    assert_eq!(c.cmd1(&long).await, "500 5.5.2 Line too long");
    assert_eq!(c.cmd1("NOOP").await, "250 2.0.0 OK");
}

#[tokio::test]
async fn too_many_errors_close_the_connection() {
    let env = start().await;
    let mut c = env.greeted().await;
    for _ in 0..19 {
        assert_eq!(c.cmd1("BOGUS").await, "500 5.5.1 Unknown command");
    }
    c.send(b"BOGUS\r\n").await;
    assert_eq!(c.line().await, "500 5.5.1 Unknown command");
    assert_eq!(
        c.line().await,
        "421 4.7.0 mail.test Too many errors, closing connection"
    );
    assert_eq!(c.rest().await, "");
}

#[tokio::test]
async fn recipient_limit() {
    let env = start().await;
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<s@remote.test>").await;
    let mut batch = String::new();
    for _ in 0..101 {
        batch.push_str("RCPT TO:<alice@example.org>\r\n");
    }
    c.send(batch.as_bytes()).await;
    for _ in 0..100 {
        assert_eq!(c.one().await, "250 2.1.5 <alice@example.org> Recipient OK");
    }
    assert_eq!(c.one().await, "452 4.5.3 Too many recipients");
}

#[tokio::test]
async fn smtplib_lmtp_with_starttls_and_per_recipient_replies() {
    let env = start().await;
    env.add_account("bob@example.org", None).await;
    let script = r#"
import os, smtplib, ssl
ctx = ssl.create_default_context(cafile=os.environ["CERT"])
ctx.check_hostname = False
s = smtplib.LMTP("127.0.0.1", int(os.environ["PORT"]))
code, caps = s.ehlo()   # LMTP's ehlo sends LHLO
assert code == 250, (code, caps)
assert s.has_extn("starttls") and s.has_extn("chunking") and s.has_extn("pipelining"), s.esmtp_features
s.starttls(context=ctx)
s.ehlo()
assert not s.has_extn("starttls"), s.esmtp_features
# sendmail with one good recipient: one reply after DATA.
refused = s.sendmail("sender@remote.test", ["alice@example.org"], b"Subject: one\r\n\r\nfirst\r\n")
assert refused == {}, refused
# Several recipients: RFC 2033 gives one reply per accepted recipient after DATA.
assert s.mail("sender@remote.test")[0] == 250
assert s.rcpt("alice@example.org")[0] == 250
assert s.rcpt("nobody@example.org") == (550, b"5.1.1 <nobody@example.org> No such user here")
assert s.rcpt("bob@example.org")[0] == 250
code, msg = s.data(b"Subject: two\r\n\r\nsecond\r\n")
assert code == 250 and msg.startswith(b"2.0.0 <alice@example.org>"), (code, msg)
code, msg = s.getreply()
assert code == 250 and msg.startswith(b"2.0.0 <bob@example.org>"), (code, msg)
s.quit()
print("ok")
"#;
    let out = python(
        script,
        &[
            ("PORT", env.lmtp.port().to_string()),
            ("CERT", env.cert.to_str().unwrap().to_owned()),
        ],
    )
    .await;
    assert_eq!(out.trim(), "ok");
    let stored = env.inbox_of(&env.account).await;
    assert_eq!(stored.len(), 2);
    let second = String::from_utf8(stored[1].clone()).unwrap();
    // RFC 3848: TLS was active.
    assert!(second.contains("\tby mail.test with LMTPS id "), "{second}");
    assert!(second.ends_with("Subject: two\r\n\r\nsecond\r\n"), "{second}");
}

#[tokio::test]
async fn idle_timeout_between_commands_and_inside_data() {
    let env = start_with(|c| c.timeouts.idle_secs = 1).await;
    let mut c = env.greeted().await;
    // No sleep needed: the read waits (up to 10 s) for the server's 421.
    assert_eq!(
        c.line().await,
        "421 4.4.2 mail.test Idle timeout, closing connection"
    );
    assert_eq!(c.rest().await, "");
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<s@remote.test>").await;
    c.cmd1("RCPT TO:<alice@example.org>").await;
    c.cmd1("DATA").await;
    c.send(b"Subject: never finished\r\n").await;
    assert_eq!(
        c.line().await,
        "421 4.4.2 mail.test Idle timeout, closing connection"
    );
    assert_eq!(c.rest().await, "");
    assert!(env.inbox_of(&env.account).await.is_empty());
}

#[tokio::test]
async fn shutdown_says_421() {
    let mut env = start().await;
    let mut c = env.greeted().await;
    let server = env.server.take().unwrap();
    server.shutdown(std::time::Duration::from_secs(5)).await;
    assert_eq!(c.line().await, "421 4.3.2 mail.test Server shutting down");
    assert_eq!(c.rest().await, "");
}

#[tokio::test]
async fn starttls_never_acts_on_pipelined_plaintext() {
    let env = start().await;
    let mut c = env.greeted().await;
    // RFC 3207 §4.2 / CVE-2011-0411: the NOOP sent with STARTTLS must not be answered.
    c.send(b"STARTTLS\r\nNOOP\r\n").await;
    assert_eq!(c.line().await, "220 2.0.0 Ready to start TLS");
    assert_eq!(c.rest().await, "");
    // Inside a transaction STARTTLS is out of sequence.
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<s@remote.test>").await;
    assert_eq!(
        c.cmd1("STARTTLS").await,
        "503 5.5.1 Mail transaction in progress, RSET first"
    );
}
