//! Connection reuse: consecutive messages to one destination share a session (RSET between them), a
//! session the server closed while idle is replaced once, reuse can be turned off, and shutdown QUITs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;
use malt_testkit::{DnsServer, SinkOptions, SmtpSink};

async fn zone() -> DnsServer {
    DnsServer::start(vec![
        Record::mx("example.net", 10, "mx.example.net"),
        Record::mx("example.org", 10, "mx.example.net"),
        Record::a("mx.example.net", "127.0.0.1"),
    ])
    .await
}

#[tokio::test]
async fn two_messages_one_connection() {
    let sink = SmtpSink::start(SinkOptions {
        pipelining: true,
        starttls: true,
        ..SinkOptions::default()
    })
    .await;
    let dns = zone().await;
    let out = outbound(settings(&dns, sink.addr().port()));
    let first = send_mx(&out, "example.net", &["b@example.net"], BODY).await;
    assert_eq!(summary(&first)[0].1, "delivered");
    assert_eq!(out.idle_connections(), 1);
    // Another domain with the same MX host reuses the session too.
    let second = out
        .deliver(
            &mx("example.org"),
            &message("c@client.test", &["d@example.org"], BODY),
        )
        .await;
    assert_eq!(summary(&second)[0].1, "delivered");
    assert_eq!(sink.connection_count(), 1);
    let t = sink.transactions();
    assert_eq!(t.len(), 2);
    assert_eq!((t[0].connection, t[1].connection), (0, 0));
    assert!(t[1].tls, "the reused session is still in TLS");
    let cmds = &sink.connections()[0].commands;
    let rsets = cmds.iter().filter(|l| *l == "RSET").count();
    assert_eq!(rsets, 2, "{cmds:?}");
    assert_eq!(
        cmds.iter().filter(|l| l.starts_with("EHLO")).count(),
        2,
        "one greeting, TLS once"
    );

    out.close_idle().await;
    assert_eq!(out.idle_connections(), 0);
    let cmds = &sink.connections()[0].commands;
    assert_eq!(cmds.last().map(String::as_str), Some("QUIT"));
}

#[tokio::test]
async fn a_connection_closed_while_idle_is_replaced_once() {
    let sink = SmtpSink::start(SinkOptions {
        idle_close: Some(Duration::from_millis(200)),
        ..SinkOptions::default()
    })
    .await;
    let dns = zone().await;
    let out = outbound(settings(&dns, sink.addr().port()));
    let msg = message("a@client.test", &["b@example.net"], BODY);
    assert_eq!(
        summary(&out.deliver(&mx("example.net"), &msg).await)[0].1,
        "delivered"
    );
    assert_eq!(out.idle_connections(), 1);
    // The sink drops the idle session; the pool does not know yet.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(out.idle_connections(), 1);
    let r = out.deliver(&mx("example.net"), &msg).await;
    assert_eq!(summary(&r)[0].1, "delivered", "{}", reply_text(&r[0]));
    assert_eq!(sink.connection_count(), 2);
    let t = sink.transactions();
    assert_eq!(t.len(), 2, "delivered once, on the fresh connection");
    assert_eq!(t[1].connection, 1);
}

#[tokio::test]
async fn reuse_off_opens_a_connection_per_message() {
    let sink = SmtpSink::start(SinkOptions::default()).await;
    let dns = zone().await;
    let mut s = settings(&dns, sink.addr().port());
    s.max_idle_per_destination = 0;
    let out = outbound(s);
    let msg = message("a@client.test", &["b@example.net"], BODY);
    for _ in 0..2 {
        assert_eq!(
            summary(&out.deliver(&mx("example.net"), &msg).await)[0].1,
            "delivered"
        );
    }
    assert_eq!(sink.connection_count(), 2);
    assert_eq!(out.idle_connections(), 0);
    for c in sink.connections() {
        assert_eq!(
            c.commands.last().map(String::as_str),
            Some("QUIT"),
            "{:?}",
            c.commands
        );
    }
}

#[tokio::test]
async fn idle_connections_expire() {
    let sink = SmtpSink::start(SinkOptions::default()).await;
    let dns = zone().await;
    let mut s = settings(&dns, sink.addr().port());
    s.idle_connection = Duration::from_millis(200);
    let out = outbound(s);
    let msg = message("a@client.test", &["b@example.net"], BODY);
    assert_eq!(
        summary(&out.deliver(&mx("example.net"), &msg).await)[0].1,
        "delivered"
    );
    assert_eq!(out.idle_connections(), 1);
    // The timer closes it with QUIT; wait for that (bounded).
    for _ in 0..50 {
        if sink.connections()[0].commands.last().map(String::as_str) == Some("QUIT") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(out.idle_connections(), 0);
    assert_eq!(
        sink.connections()[0].commands.last().map(String::as_str),
        Some("QUIT")
    );
    assert_eq!(
        summary(&out.deliver(&mx("example.net"), &msg).await)[0].1,
        "delivered"
    );
    assert_eq!(sink.connection_count(), 2);
}
