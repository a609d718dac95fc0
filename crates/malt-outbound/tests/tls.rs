//! STARTTLS and AUTH: opportunistic TLS to MX hosts, a relay host with verified TLS and AUTH, and the
//! refusals (no credentials without TLS, no delivery when required TLS is missing or unverified).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_outbound::{Credentials, Destination};
use malt_testkit::{DnsServer, SinkOptions, SmtpSink};

#[tokio::test]
async fn starttls_is_used_when_offered() {
    // A self-signed certificate for other names: accepted for MX delivery (RFC 7435).
    let sink = SmtpSink::start(SinkOptions {
        starttls: true,
        pipelining: true,
        chunking: true,
        tls_names: vec!["somewhere.else".into()],
        ..SinkOptions::default()
    })
    .await;
    let dns = DnsServer::start(vec![
        Record::mx("example.net", 10, "mx.example.net"),
        Record::a("mx.example.net", "127.0.0.1"),
    ])
    .await;
    let out = outbound(settings(&dns, sink.addr().port()));
    let r = send_mx(&out, "example.net", &["b@example.net"], BODY).await;
    assert_eq!(summary(&r)[0].1, "delivered");
    assert!(r[0].remote.as_ref().unwrap().tls);
    let t = &sink.transactions()[0];
    assert!(t.tls && t.bdat && t.pipelined);
    let c = &sink.connections()[0];
    assert!(c.tls);
    // EHLO again after the handshake (RFC 3207 §4.2).
    let ehlos: Vec<_> = c.commands.iter().filter(|l| l.starts_with("EHLO")).collect();
    assert_eq!(ehlos.len(), 2, "{:?}", c.commands);
    assert!(
        c.commands.iter().position(|l| l == "STARTTLS")
            < c.commands.iter().rposition(|l| l.starts_with("EHLO"))
    );
}

#[tokio::test]
async fn failed_opportunistic_handshake_falls_back_to_plaintext() {
    let sink = SmtpSink::start(SinkOptions {
        starttls: true,
        broken_tls: true,
        ..SinkOptions::default()
    })
    .await;
    let dns = DnsServer::start(vec![Record::a("example.net", "127.0.0.1")]).await;
    let out = outbound(settings(&dns, sink.addr().port()));
    let r = send_mx(&out, "example.net", &["b@example.net"], BODY).await;
    assert_eq!(summary(&r)[0].1, "delivered", "{}", reply_text(&r[0]));
    assert!(!r[0].remote.as_ref().unwrap().tls);
    let conns = sink.connections();
    assert_eq!(conns.len(), 2);
    assert!(conns[0].commands.contains(&"STARTTLS".to_owned()));
    assert!(!conns[1].commands.contains(&"STARTTLS".to_owned()));
    assert!(!sink.transactions()[0].tls);
}

#[tokio::test]
async fn plaintext_when_starttls_is_not_offered() {
    let sink = SmtpSink::start(SinkOptions::default()).await;
    let dns = DnsServer::start(vec![Record::a("example.net", "127.0.0.1")]).await;
    let out = outbound(settings(&dns, sink.addr().port()));
    let r = send_mx(&out, "example.net", &["b@example.net"], BODY).await;
    assert_eq!(summary(&r)[0].1, "delivered");
    assert!(!r[0].remote.as_ref().unwrap().tls);
    assert!(!sink.transactions()[0].tls);
}

fn relay(sink: &SmtpSink, require_tls: bool, allow_plaintext: bool) -> Destination {
    Destination::Relay {
        host: "relay.test".into(),
        port: sink.addr().port(),
        auth: Some(Credentials {
            username: "smarthost-user".into(),
            password: "s3cret pass".into(),
            allow_plaintext,
        }),
        require_tls,
    }
}

async fn send_relay(
    out: &malt_outbound::Outbound,
    dest: &Destination,
) -> Vec<malt_outbound::RecipientResult> {
    out.deliver(dest, &message("a@client.test", &["b@far.example"], BODY))
        .await
}

/// A relay sink: STARTTLS with a certificate for `relay.test`, AUTH for smarthost-user; `tweak` changes it.
async fn relay_sink(tweak: impl FnOnce(&mut SinkOptions)) -> SmtpSink {
    let mut o = SinkOptions {
        starttls: true,
        auth: Some(("smarthost-user".into(), "s3cret pass".into())),
        tls_names: vec!["relay.test".into()],
        ..SinkOptions::default()
    };
    tweak(&mut o);
    SmtpSink::start(o).await
}

async fn relay_dns() -> DnsServer {
    DnsServer::start(vec![Record::a("relay.test", "127.0.0.1")]).await
}

#[tokio::test]
async fn relay_with_auth_over_verified_tls() {
    let sink = relay_sink(|_| {}).await;
    let dns = relay_dns().await;
    let mut s = settings(&dns, 9);
    s.extra_roots = vec![sink.cert_der()];
    let out = outbound(s);
    // Any recipient domain: the relay takes it.
    let r = send_relay(&out, &relay(&sink, true, false)).await;
    assert_eq!(
        summary(&r),
        vec![("b@far.example".into(), "delivered", 250)],
        "{}",
        reply_text(&r[0])
    );
    let t = &sink.transactions()[0];
    assert!(t.tls);
    assert_eq!(t.auth_user.as_deref(), Some("smarthost-user"));
    let c = &sink.connections()[0];
    assert_eq!(c.auth_attempts, vec![("smarthost-user".to_owned(), true)]);
    let starttls = c.commands.iter().position(|l| l == "STARTTLS").unwrap();
    let auth = c.commands.iter().position(|l| l == "AUTH PLAIN <sasl>").unwrap();
    assert!(starttls < auth);
}

#[tokio::test]
async fn relay_auth_login_when_plain_is_not_offered() {
    let sink = relay_sink(|o| {
        o.auth_mechanisms = vec!["LOGIN".into()];
    })
    .await;
    let dns = relay_dns().await;
    let out = outbound(settings(&dns, 9));
    let r = send_relay(&out, &relay(&sink, false, false)).await;
    assert_eq!(summary(&r)[0].1, "delivered", "{}", reply_text(&r[0]));
    let c = &sink.connections()[0];
    assert!(c.commands.contains(&"AUTH LOGIN".to_owned()), "{:?}", c.commands);
    assert_eq!(
        sink.transactions()[0].auth_user.as_deref(),
        Some("smarthost-user")
    );
}

#[tokio::test]
async fn refused_credentials_are_temporary() {
    // The sink knows another password.
    let sink = relay_sink(|o| o.auth = Some(("smarthost-user".into(), "other".into()))).await;
    let dns = relay_dns().await;
    let out = outbound(settings(&dns, 9));
    let r = send_relay(&out, &relay(&sink, false, false)).await;
    // Refused credentials are a configuration problem: temporary, the server's reply kept.
    assert_eq!(summary(&r), vec![("b@far.example".into(), "temp", 535)]);
    assert_eq!(
        sink.connections()[0].auth_attempts,
        vec![("smarthost-user".to_owned(), false)]
    );
    assert!(sink.transactions().is_empty());
}

#[tokio::test]
async fn no_credentials_in_plaintext() {
    let sink = relay_sink(|o| {
        o.starttls = false;
    })
    .await;
    let dns = relay_dns().await;
    let out = outbound(settings(&dns, 9));

    // TLS required, not offered: nothing sent, temporary.
    let r = send_relay(&out, &relay(&sink, true, false)).await;
    assert_eq!(summary(&r)[0].1, "temp");
    assert!(reply_text(&r[0]).contains("4.7.10"), "{}", reply_text(&r[0]));
    assert!(reply_text(&r[0]).contains("STARTTLS"));

    // TLS not required, but credentials: still not sent in plaintext.
    let r = send_relay(&out, &relay(&sink, false, false)).await;
    assert_eq!(summary(&r)[0].1, "temp");
    assert!(reply_text(&r[0]).contains("without TLS"), "{}", reply_text(&r[0]));
    for c in sink.connections() {
        assert!(c.auth_attempts.is_empty());
        assert!(
            !c.commands
                .iter()
                .any(|l| l.starts_with("AUTH") || l.starts_with("MAIL")),
            "{:?}",
            c.commands
        );
    }
    assert!(sink.transactions().is_empty());

    // Unless the route explicitly allows it.
    let r = send_relay(&out, &relay(&sink, false, true)).await;
    assert_eq!(summary(&r)[0].1, "delivered");
    assert_eq!(
        sink.transactions()[0].auth_user.as_deref(),
        Some("smarthost-user")
    );
}

#[tokio::test]
async fn required_tls_with_an_untrusted_certificate_fails() {
    let sink = relay_sink(|_| {}).await;
    let dns = relay_dns().await;
    // The sink's certificate is not among the roots.
    let out = outbound(settings(&dns, 9));
    let r = send_relay(&out, &relay(&sink, true, false)).await;
    assert_eq!(summary(&r)[0].1, "temp");
    assert!(reply_text(&r[0]).contains("4.7.5"), "{}", reply_text(&r[0]));
    assert!(sink.transactions().is_empty());
    assert!(sink.connections().iter().all(|c| c.auth_attempts.is_empty()));

    // Trusted, but for another name: refused as well.
    let other = SmtpSink::start(SinkOptions {
        starttls: true,
        tls_names: vec!["not-the-relay.test".into()],
        ..SinkOptions::default()
    })
    .await;
    let mut s = settings(&dns, 9);
    s.extra_roots = vec![other.cert_der()];
    let out = outbound(s);
    let r = send_relay(&out, &relay(&other, true, false)).await;
    assert_eq!(summary(&r)[0].1, "temp");
    assert!(other.transactions().is_empty());
}
