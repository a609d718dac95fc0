//! MX routing against a test DNS server and sinks on loopback: preference order, fallback, implicit MX,
//! null MX, NXDOMAIN, DNS failure, address literals, mail loops.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_testkit::{DnsServer, SinkOptions, SmtpSink};

#[tokio::test]
async fn lowest_preference_first() {
    let sinks = sinks_on_one_port(vec![SinkOptions::default(), SinkOptions::default()]).await;
    // Listed worst first: the order must come from the preferences.
    let dns = DnsServer::start(vec![
        Record::mx("example.net", 20, "mx2.example.net"),
        Record::mx("example.net", 10, "mx1.example.net"),
        Record::a("mx1.example.net", "127.0.0.2"),
        Record::a("mx2.example.net", "127.0.0.1"),
    ])
    .await;
    let out = outbound(settings(&dns, sinks[0].addr().port()));
    for _ in 0..3 {
        let r = send_mx(&out, "example.net", &["b@example.net"], BODY).await;
        assert_eq!(summary(&r), vec![("b@example.net".into(), "delivered", 250)]);
        let remote = r[0].remote.as_ref().unwrap();
        assert_eq!(remote.host, "mx1.example.net");
        assert_eq!(remote.addr.ip().to_string(), "127.0.0.2");
    }
    assert_eq!(sinks[1].transactions().len(), 3, "preference 10 gets the mail");
    assert!(sinks[0].transactions().is_empty());
    let t = &sinks[1].transactions()[0];
    assert_eq!(t.helo, "client.test");
    assert_eq!(t.mail_from, "a@client.test");
    assert_eq!(t.accepted(), vec!["b@example.net"]);
    assert_eq!(t.body, BODY);
}

#[tokio::test]
async fn next_mx_when_the_first_refuses_or_is_down() {
    // mx1 greets with 421, mx2 has no server at all (connection refused), mx3 takes the mail.
    let sinks = sinks_on_one_port(vec![
        SinkOptions::default(),
        SinkOptions {
            greeting: Some("421 4.3.2 Too busy".into()),
            ..SinkOptions::default()
        },
    ])
    .await;
    let dns = DnsServer::start(vec![
        Record::mx("example.net", 10, "mx1.example.net"),
        Record::mx("example.net", 20, "mx2.example.net"),
        Record::mx("example.net", 30, "mx3.example.net"),
        Record::a("mx1.example.net", "127.0.0.2"),
        Record::a("mx2.example.net", "127.0.0.3"),
        Record::a("mx3.example.net", "127.0.0.1"),
    ])
    .await;
    let out = outbound(settings(&dns, sinks[0].addr().port()));
    let r = send_mx(&out, "example.net", &["b@example.net"], BODY).await;
    assert_eq!(summary(&r), vec![("b@example.net".into(), "delivered", 250)]);
    assert_eq!(r[0].remote.as_ref().unwrap().host, "mx3.example.net");
    assert_eq!(sinks[1].connection_count(), 1, "mx1 was tried");
    assert_eq!(sinks[0].transactions().len(), 1);
}

#[tokio::test]
async fn every_mx_failing_is_temporary_with_the_last_reason() {
    let sinks = sinks_on_one_port(vec![SinkOptions {
        greeting: Some("554 5.7.1 Go away".into()),
        ..SinkOptions::default()
    }])
    .await;
    let dns = DnsServer::start(vec![
        Record::mx("example.net", 10, "mx1.example.net"),
        Record::mx("example.net", 20, "mx2.example.net"),
        Record::a("mx1.example.net", "127.0.0.2"),
        Record::a("mx2.example.net", "127.0.0.1"),
    ])
    .await;
    let out = outbound(settings(&dns, sinks[0].addr().port()));
    let r = send_mx(&out, "example.net", &["b@example.net"], BODY).await;
    // mx2's 554 greeting came last; a refused session is never final.
    assert_eq!(summary(&r), vec![("b@example.net".into(), "temp", 554)]);
    assert_eq!(r[0].remote.as_ref().unwrap().host, "mx2.example.net");
}

#[tokio::test]
async fn implicit_mx_is_the_domain_itself() {
    let sink = SmtpSink::start(SinkOptions::default()).await;
    let dns = DnsServer::start(vec![Record::a("example.net", "127.0.0.1")]).await;
    let out = outbound(settings(&dns, sink.addr().port()));
    let r = send_mx(&out, "example.net", &["b@example.net"], BODY).await;
    assert_eq!(summary(&r), vec![("b@example.net".into(), "delivered", 250)]);
    assert_eq!(r[0].remote.as_ref().unwrap().host, "example.net");
    assert_eq!(sink.transactions().len(), 1);
    let asked: Vec<_> = dns
        .queries()
        .into_iter()
        .map(|(n, t)| format!("{n} {t}"))
        .collect();
    assert!(asked.contains(&"example.net. MX".to_owned()), "{asked:?}");
}

#[tokio::test]
async fn null_mx_nxdomain_and_dns_failure() {
    let dns = DnsServer::start(vec![
        Record::null_mx("nomail.example"),
        Record::a("nomail.example", "127.0.0.1"),
        Record::servfail("broken.example"),
        Record::txt("noaddr.example", "v=spf1 -all"),
    ])
    .await;
    let out = outbound(settings(&dns, 9));
    let msg = message("a@client.test", &["b@x"], BODY);

    let r = out.deliver(&mx("nomail.example"), &msg).await;
    assert_eq!(summary(&r), vec![("b@x".into(), "perm", 556)]);
    assert!(reply_text(&r[0]).contains("5.1.10"), "{}", reply_text(&r[0]));
    assert!(reply_text(&r[0]).contains("does not accept mail"));
    assert!(r[0].remote.is_none());

    let r = out.deliver(&mx("missing.example"), &msg).await;
    assert_eq!(summary(&r), vec![("b@x".into(), "perm", 550)]);
    assert!(reply_text(&r[0]).contains("5.1.2"));

    let r = out.deliver(&mx("noaddr.example"), &msg).await;
    assert_eq!(summary(&r)[0].1, "perm");

    let r = out.deliver(&mx("broken.example"), &msg).await;
    assert_eq!(summary(&r), vec![("b@x".into(), "temp", 451)]);
    assert!(reply_text(&r[0]).contains("4.4.3"), "{}", reply_text(&r[0]));
}

#[tokio::test]
async fn mx_host_without_address_is_skipped() {
    let sinks = sinks_on_one_port(vec![SinkOptions::default()]).await;
    let dns = DnsServer::start(vec![
        Record::mx("example.net", 5, "ghost.example.net"),
        Record::mx("example.net", 10, "mx.example.net"),
        Record::a("mx.example.net", "127.0.0.1"),
    ])
    .await;
    let out = outbound(settings(&dns, sinks[0].addr().port()));
    let r = send_mx(&out, "example.net", &["b@example.net"], BODY).await;
    assert_eq!(summary(&r)[0].1, "delivered");
}

#[tokio::test]
async fn address_literal_needs_no_dns() {
    let sink = SmtpSink::start(SinkOptions::default()).await;
    let dns = DnsServer::start(vec![]).await;
    let out = outbound(settings(&dns, sink.addr().port()));
    // The route comes from the literal alone. (The recipient is an ordinary address: the sink's parser,
    // smtp-proto 0.2.5, refuses address literals in paths; the client sends them, see the RCPT below.)
    let r = send_mx(&out, "[127.0.0.1]", &["u@example.net"], BODY).await;
    assert_eq!(summary(&r), vec![("u@example.net".into(), "delivered", 250)]);
    assert_eq!(r[0].remote.as_ref().unwrap().host, "[127.0.0.1]");
    assert!(dns.queries().is_empty());
    let r = out
        .deliver(
            &mx("[127.0.0.1]"),
            &message("a@client.test", &["u@[127.0.0.1]"], BODY),
        )
        .await;
    assert_eq!(r[0].outcome.reply().code, 501);
    assert!(
        sink.connections()
            .iter()
            .any(|c| c.commands.iter().any(|l| l == "RCPT TO:<u@[127.0.0.1]>")),
        "{:?}",
        sink.connections()
    );
}

#[tokio::test]
async fn mail_loops_back_to_myself() {
    let sinks = sinks_on_one_port(vec![SinkOptions::default(), SinkOptions::default()]).await;
    let dns = DnsServer::start(vec![
        Record::mx("example.net", 10, "client.test"),
        Record::mx("example.net", 20, "backup.example.net"),
        Record::a("client.test", "127.0.0.1"),
        Record::a("backup.example.net", "127.0.0.2"),
        Record::mx("other.example", 10, "mx.other.example"),
        Record::mx("other.example", 20, "me.other.example"),
        Record::a("mx.other.example", "127.0.0.1"),
        Record::a("me.other.example", "127.0.0.2"),
    ])
    .await;
    let mut s = settings(&dns, sinks[0].addr().port());
    s.local_addrs = vec!["127.0.0.2".parse().unwrap()];
    let out = outbound(s);
    // We are the best MX by name: the backup (worse preference) is not tried either.
    let r = send_mx(&out, "example.net", &["b@example.net"], BODY).await;
    assert_eq!(summary(&r), vec![("b@example.net".into(), "temp", 451)]);
    assert!(reply_text(&r[0]).contains("4.4.6 mail for example.net loops back to myself"));
    assert_eq!(sinks[0].connection_count() + sinks[1].connection_count(), 0);
    // We are a backup MX by address: the better MX is used.
    let r = send_mx(&out, "other.example", &["b@other.example"], BODY).await;
    assert_eq!(summary(&r)[0].1, "delivered");
    assert_eq!(sinks[0].transactions().len(), 1);
}
