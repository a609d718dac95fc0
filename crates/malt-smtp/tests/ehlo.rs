//! Greeting, EHLO (RFC 5321 §4.1.1.1) and the extensions announced per mode and TLS state: DSN and
//! AUTH in SMTP only; AUTH on MX only over TLS, on submission where plaintext passwords are allowed
//! (TLS, loopback, or `auth.allow_plaintext_without_tls`); STARTTLS only before TLS on a STARTTLS
//! listener. LHLO is refused in SMTP; HELP lists the SMTP commands.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

/// The EHLO reply lines for `extra` extensions after SIZE (AUTH, STARTTLS).
fn ehlo_lines(extra: &[&str]) -> Vec<String> {
    let mut keys = vec![
        "mail.test",
        "PIPELINING",
        "ENHANCEDSTATUSCODES",
        "8BITMIME",
        "SMTPUTF8",
        "CHUNKING",
        "DSN",
        "SIZE 52428800",
    ];
    keys.extend_from_slice(extra);
    let last = keys.len() - 1;
    keys.iter()
        .enumerate()
        .map(|(i, k)| format!("250{}{k}", if i == last { ' ' } else { '-' }))
        .collect()
}

#[tokio::test]
async fn mx_greeting_and_ehlo_on_plaintext() {
    let env = start_mx(|_| {}).await;
    let mut c = env.client().await;
    assert_eq!(c.greeting, "220 mail.test ESMTP Malt ready\r\n");
    // LMTP's verb is not SMTP's.
    assert_eq!(
        c.cmd1("LHLO client.test").await,
        "500 5.5.1 This is SMTP: use EHLO or HELO"
    );
    assert_eq!(
        c.cmd1("MAIL FROM:<a@remote.test>").await,
        "503 5.5.1 Send EHLO/HELO first"
    );
    // MX without TLS: no AUTH, even from loopback.
    assert_eq!(c.cmd("EHLO client.test").await, ehlo_lines(&["STARTTLS"]));
    assert_eq!(
        c.cmd1("HELP").await,
        "214 2.0.0 Commands: EHLO HELO AUTH MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS"
    );
    assert_eq!(c.cmd1("EXPN staff").await, "502 5.5.1 EXPN not implemented");
    assert_eq!(c.cmd1("QUIT").await, "221 2.0.0 mail.test closing connection");
    assert_eq!(c.rest().await, "");
}

#[tokio::test]
async fn mx_offers_auth_over_tls_only() {
    let env = start_mx(|_| {}).await;
    // After STARTTLS (smtplib) and on the implicit TLS listener.
    let script = r#"
s = smtplib.SMTP("127.0.0.1", PORT, timeout=10)
s.ehlo("client.test")
print(sorted(s.esmtp_features))
s.starttls(context=ctx)
s.ehlo("client.test")
print(sorted(s.esmtp_features), s.esmtp_features["auth"].strip())
s.quit()
s = smtplib.SMTP_SSL("127.0.0.1", TLSPORT, context=ctx, timeout=10)
s.ehlo("client.test")
print(sorted(s.esmtp_features), s.esmtp_features["auth"].strip())
s.quit()
"#;
    let lines = smtplib(&env, env.smtp.port(), env.smtps.port(), script).await;
    assert_eq!(
        lines,
        [
            "['8bitmime', 'chunking', 'dsn', 'enhancedstatuscodes', 'pipelining', 'size', 'smtputf8', 'starttls']",
            "['8bitmime', 'auth', 'chunking', 'dsn', 'enhancedstatuscodes', 'pipelining', 'size', 'smtputf8'] PLAIN LOGIN",
            "['8bitmime', 'auth', 'chunking', 'dsn', 'enhancedstatuscodes', 'pipelining', 'size', 'smtputf8'] PLAIN LOGIN",
        ]
    );
}

#[tokio::test]
async fn submission_extensions_by_client_and_config() {
    let env = start_sub(|_| {}).await;
    let mut c = env.client().await;
    assert_eq!(c.greeting, "220 mail.test ESMTP Malt ready\r\n");
    // Loopback: plaintext passwords allowed, so AUTH is offered before STARTTLS.
    assert_eq!(
        c.cmd("EHLO client.test").await,
        ehlo_lines(&["AUTH PLAIN LOGIN", "STARTTLS"])
    );
    // A remote client on a plain listener (PROXY header): neither AUTH nor STARTTLS.
    let mut c = Client::connect_proxied(env.proxied, "192.0.2.7").await;
    assert_eq!(c.cmd("EHLO client.test").await, ehlo_lines(&[]));
    // ... unless plaintext passwords are allowed without TLS.
    let env = start_sub(|c| c.auth.allow_plaintext_without_tls = true).await;
    let mut c = Client::connect_proxied(env.proxied, "192.0.2.7").await;
    assert_eq!(c.cmd("EHLO client.test").await, ehlo_lines(&["AUTH PLAIN LOGIN"]));
}

#[tokio::test]
async fn ehlo_size_follows_the_limit_and_resets_the_transaction() {
    let env = start_mx(|c| c.limits.max_message_size = 1000).await;
    let mut c = env.client().await;
    let lines = c.cmd("EHLO client.test").await;
    assert!(lines.contains(&"250-SIZE 1000".to_owned()), "{lines:?}");
    assert_eq!(
        c.cmd1("MAIL FROM:<a@remote.test>").await,
        "250 2.1.0 Sender <a@remote.test> OK"
    );
    // RFC 5321 §4.1.4: EHLO again aborts the transaction.
    c.cmd("EHLO client.test").await;
    assert_eq!(
        c.cmd1("RCPT TO:<alice@example.org>").await,
        "503 5.5.1 Send MAIL first"
    );
}
