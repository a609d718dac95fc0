//! RCPT TO (RFC 5321 §4.1.1.3) in the SMTP modes: unknown local users, never an open relay (relay
//! denied to unauthenticated clients, from loopback too), relay allowed to authenticated clients and
//! to `smtp.relay_networks`, `<Postmaster>` (RFC 5321 §4.5.1), a recipient over quota, and DSN's
//! NOTIFY/ORCPT accepted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_store::Flags;

#[tokio::test]
async fn local_recipients() {
    let env = start_mx(|_| {}).await;
    env.add_alias("info@example.org", USER).await;
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<s@remote.test>").await;
    for ok in [
        "alice@example.org",
        "ALICE@EXAMPLE.ORG",
        "alice+tag@example.org",
        "info@example.org",
    ] {
        assert_eq!(
            c.cmd1(&format!("RCPT TO:<{ok}>")).await,
            format!("250 2.1.5 <{ok}> Recipient OK")
        );
    }
    assert_eq!(
        c.cmd1("RCPT TO:<nobody@example.org>").await,
        "550 5.1.1 <nobody@example.org> No such user here"
    );
    assert_eq!(
        c.cmd1("RCPT TO:<nobody@EXAMPLE.org> NOTIFY=FAILURE,DELAY ORCPT=rfc822;nobody@example.org")
            .await,
        "550 5.1.1 <nobody@EXAMPLE.org> No such user here"
    );
    // DSN parameters are accepted in SMTP.
    assert_eq!(
        c.cmd1("RCPT TO:<alice@example.org> NOTIFY=SUCCESS ORCPT=rfc822;alice+2B1@example.org")
            .await,
        "250 2.1.5 <alice@example.org> Recipient OK"
    );
    assert_eq!(
        c.cmd1("RCPT TO:<alice@example.org> NOTIFY=NEVER,SUCCESS").await,
        "501 5.5.4 Invalid value for NOTIFY"
    );
}

#[tokio::test]
async fn never_an_open_relay() {
    let env = start_mx(|_| {}).await;
    // From loopback, unauthenticated, default config.
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<s@remote.test>").await;
    assert_eq!(
        c.cmd1("RCPT TO:<victim@elsewhere.test>").await,
        "554 5.7.1 <victim@elsewhere.test> Relay access denied"
    );
    // A domain that merely contains ours is not ours.
    assert_eq!(
        c.cmd1("RCPT TO:<x@sub.example.org>").await,
        "554 5.7.1 <x@sub.example.org> Relay access denied"
    );
    assert_eq!(c.cmd1("DATA").await, "503 5.5.1 No valid recipients");
    // From a remote address (PROXY header).
    let mut c = Client::connect_proxied(env.proxied, "203.0.113.9").await;
    c.cmd("EHLO spammer.test").await;
    c.cmd1("MAIL FROM:<s@remote.test>").await;
    assert_eq!(
        c.cmd1("RCPT TO:<victim@elsewhere.test>").await,
        "554 5.7.1 <victim@elsewhere.test> Relay access denied"
    );
    // Local mail is still accepted from anyone.
    assert_eq!(
        c.cmd1("RCPT TO:<alice@example.org>").await,
        "250 2.1.5 <alice@example.org> Recipient OK"
    );
}

#[tokio::test]
async fn relay_networks_may_relay() {
    let env = start_mx(|c| c.smtp.relay_networks = vec!["192.0.2.0/24".into(), "2001:db8::/32".into()]).await;
    let mut c = Client::connect_proxied(env.proxied, "192.0.2.77").await;
    c.cmd("EHLO app.internal.test").await;
    c.cmd1("MAIL FROM:<app@internal.test>").await;
    assert_eq!(
        c.cmd1("RCPT TO:<someone@elsewhere.test> NOTIFY=SUCCESS,FAILURE")
            .await,
        "250 2.1.5 <someone@elsewhere.test> Recipient OK"
    );
    let mut c = Client::connect_proxied(env.proxied, "192.0.3.1").await;
    c.cmd("EHLO outside.test").await;
    c.cmd1("MAIL FROM:<x@outside.test>").await;
    assert_eq!(
        c.cmd1("RCPT TO:<someone@elsewhere.test>").await,
        "554 5.7.1 <someone@elsewhere.test> Relay access denied"
    );
}

#[tokio::test]
async fn authenticated_clients_may_relay() {
    let env = start_mx(|_| {}).await;
    let script = r#"
s = smtplib.SMTP("127.0.0.1", PORT, timeout=10)
s.starttls(context=ctx)
s.ehlo("client.test")
s.mail("alice@example.org")
print(s.rcpt("friend@elsewhere.test"))
s.rset()
s.login(USER, PASS)
s.mail("alice@example.org")
print(s.rcpt("friend@elsewhere.test"))
s.quit()
"#;
    let out = smtplib(&env, env.smtp.port(), env.smtps.port(), script).await;
    assert_eq!(
        out,
        [
            "(554, b'5.7.1 <friend@elsewhere.test> Relay access denied')",
            "(250, b'2.1.5 <friend@elsewhere.test> Recipient OK')",
        ]
    );
    // On submission every authenticated client relays.
    let env = start_sub(|_| {}).await;
    let mut c = env.authed().await;
    c.cmd1("MAIL FROM:<alice@example.org>").await;
    assert_eq!(
        c.cmd1("RCPT TO:<friend@elsewhere.test>").await,
        "250 2.1.5 <friend@elsewhere.test> Recipient OK"
    );
}

#[tokio::test]
async fn postmaster_without_a_domain() {
    let env = start_mx(|_| {}).await;
    let bob = env.add_account("bob@example.org", None).await;
    // Nothing routes postmaster@example.org yet: refused, but by the directory.
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<s@remote.test>").await;
    assert_eq!(
        c.cmd1("RCPT TO:<Postmaster>").await,
        "550 5.1.1 <Postmaster> No such user here"
    );
    // The usual alias: accepted (any case) and delivered there.
    env.add_alias("postmaster@example.org", "bob@example.org").await;
    assert_eq!(
        c.cmd1("RCPT TO:<POSTMASTER>").await,
        "250 2.1.5 <Postmaster> Recipient OK"
    );
    let reply = c.data(&msg("pm", "to the postmaster")).await;
    assert!(reply.starts_with("250 2.0.0 "), "{reply}");
    let stored = env.inbox_of(&bob).await;
    assert_eq!(stored.len(), 1);
    let text = String::from_utf8(stored[0].clone()).unwrap();
    assert!(
        text.contains("Delivered-To: postmaster@example.org\r\n"),
        "{text}"
    );
    // smtp.postmaster overrides the default.
    let env = start_mx(|c| c.smtp.postmaster = Some("alice@example.org".into())).await;
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<s@remote.test>").await;
    assert_eq!(
        c.cmd1("RCPT TO:<postmaster>").await,
        "250 2.1.5 <Postmaster> Recipient OK"
    );
    c.data(&msg("pm2", "configured")).await;
    assert_eq!(env.alice_inbox().await.len(), 1);
}

#[tokio::test]
async fn over_quota_at_rcpt() {
    let env = start_mx(|_| {}).await;
    let full = env.add_account("full@example.org", None).await;
    let inbox = env.core.mailbox_required(full.id, "INBOX").await.unwrap();
    let filler = msg("filler", &"x".repeat(1000));
    env.core
        .append(full.id, inbox.id, filler.as_bytes(), Flags::default(), None)
        .await
        .unwrap();
    // The quota lowered below what is stored (an administrator's change).
    let store = &env.core.storage().store;
    store.account_set_quota(full.id, Some(1000)).await.unwrap();
    let mut c = env.greeted().await;
    c.cmd1("MAIL FROM:<s@remote.test>").await;
    assert_eq!(
        c.cmd1("RCPT TO:<full@example.org>").await,
        "452 4.2.2 <full@example.org> Mailbox full, try again later"
    );
    // An alias reaching a full and a non-full account is accepted.
    env.add_alias("both@example.org", "full@example.org").await;
    env.add_alias("both@example.org", USER).await;
    assert_eq!(
        c.cmd1("RCPT TO:<both@example.org>").await,
        "250 2.1.5 <both@example.org> Recipient OK"
    );
}
