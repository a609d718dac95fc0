//! STARTTLS (RFC 3207) in the SMTP modes: upgrade with Python's smtplib, everything learnt before
//! forgotten (EHLO again, and the extensions change: no STARTTLS, AUTH on MX), plaintext pipelined
//! after the command never acted on (CVE-2011-0411), refused inside a transaction, after TLS and on a
//! plain listener; trace keywords ESMTPS and ESMTPSA (RFC 3848).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[tokio::test]
async fn upgrade_then_deliver_and_relay() {
    let env = start_mx(|_| {}).await;
    let script = r#"
s = smtplib.SMTP("127.0.0.1", PORT, timeout=10)
s.ehlo("client.test")
s.starttls(context=ctx)
# RFC 3207 §4.2: the EHLO before TLS is forgotten.
print(s.docmd("MAIL FROM:<a@remote.test>"))
s.ehlo("client.test")
print(s.has_extn("starttls"), s.has_extn("auth"))
print(s.docmd("STARTTLS"))
print(s.sendmail("a@remote.test", ["alice@example.org"], b"Subject: over tls\r\n\r\nsecret\r\n"))
s.login(USER, PASS)
print(s.sendmail("alice@example.org", ["alice@example.org"], b"Subject: authed\r\n\r\nx\r\n"))
s.quit()
"#;
    let out = smtplib(&env, env.smtp.port(), env.smtps.port(), script).await;
    assert_eq!(
        out,
        [
            "(503, b'5.5.1 Send EHLO/HELO first')",
            "False True",
            "(503, b'5.5.1 TLS already active')",
            "{}",
            "{}",
        ]
    );
    let stored = env.alice_inbox().await;
    assert_eq!(stored.len(), 2);
    assert!(
        received(&stored[0]).contains("\tby mail.test with ESMTPS id "),
        "{}",
        stored[0]
    );
    assert!(
        received(&stored[1]).contains("\tby mail.test with ESMTPSA id "),
        "{}",
        stored[1]
    );
}

#[tokio::test]
async fn pipelined_plaintext_is_never_acted_on() {
    for sub in [false, true] {
        let (addr, _keep): (std::net::SocketAddr, Box<dyn std::any::Any>) = if sub {
            let env = start_sub(|_| {}).await;
            (env.submission, Box::new(env))
        } else {
            let env = start_mx(|_| {}).await;
            (env.smtp, Box::new(env))
        };
        let mut c = Client::connect(addr).await;
        c.cmd("EHLO client.test").await;
        c.send(b"STARTTLS\r\nMAIL FROM:<a@remote.test>\r\n").await;
        assert_eq!(c.line().await, "220 2.0.0 Ready to start TLS");
        assert_eq!(c.rest().await, "");
    }
}

#[tokio::test]
async fn starttls_refusals() {
    let env = start_mx(|_| {}).await;
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<a@remote.test>").await;
    assert_eq!(
        c.cmd1("STARTTLS").await,
        "503 5.5.1 Mail transaction in progress, RSET first"
    );
    // A plain listener offers no TLS.
    let mut c = Client::connect_proxied(env.proxied, "192.0.2.7").await;
    c.cmd("EHLO client.test").await;
    assert_eq!(c.cmd1("STARTTLS").await, "454 4.7.0 TLS not available");
}
