//! The client-side test harness itself: the DNS server answered through hickory's resolver, the SMTP sink
//! driven over a raw socket.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::IpAddr;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};
use malt_testkit::{DnsServer, Record, SinkOptions, SmtpSink, wire};

fn resolver(dns: &DnsServer) -> TokioResolver {
    let mut udp = ConnectionConfig::udp();
    udp.port = dns.addr().port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = dns.addr().port();
    let ns = NameServerConfig::new(dns.addr().ip(), true, vec![udp, tcp]);
    let mut b = Resolver::builder_with_config(
        ResolverConfig::from_name_servers(vec![ns]),
        TokioRuntimeProvider::default(),
    );
    let mut opts = ResolverOpts::default();
    opts.cache_size = 0;
    *b.options_mut() = opts;
    b.build().unwrap()
}

fn response_code(e: &hickory_resolver::net::NetError) -> Option<ResponseCode> {
    match e {
        hickory_resolver::net::NetError::Dns(hickory_resolver::net::DnsError::NoRecordsFound(nr)) => {
            Some(nr.response_code)
        }
        hickory_resolver::net::NetError::Dns(hickory_resolver::net::DnsError::ResponseCode(c)) => Some(*c),
        _ => None,
    }
}

#[tokio::test]
async fn dns_server_answers_the_zone() {
    let long = "v=DKIM1; k=rsa; p=".to_owned() + &"A".repeat(700);
    let dns = DnsServer::start(vec![
        Record::mx("example.net", 20, "mx2.example.net"),
        Record::mx("Example.NET", 10, "mx1.example.net"),
        Record::a("mx1.example.net", "127.0.0.2"),
        Record::aaaa("mx1.example.net", "::1"),
        Record::txt("example.net", "v=spf1 -all"),
        Record::txt("sel._domainkey.example.net", &long),
        Record::cname("alias.example.net", "mx1.example.net"),
        Record::servfail("broken.example.net"),
    ])
    .await;
    let r = resolver(&dns);

    let mx = r.mx_lookup("example.net.").await.unwrap();
    let mut got: Vec<(u16, String)> = mx
        .answers()
        .iter()
        .filter_map(|rec| match &rec.data {
            RData::MX(m) => Some((m.preference, m.exchange.to_ascii())),
            _ => None,
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (10, "mx1.example.net.".to_owned()),
            (20, "mx2.example.net.".to_owned())
        ]
    );

    let ips: Vec<IpAddr> = r.lookup_ip("alias.example.net.").await.unwrap().iter().collect();
    assert!(ips.contains(&"127.0.0.2".parse().unwrap()), "{ips:?}");

    // More than 512 octets: truncated over UDP, complete over TCP, joined from 255-octet strings.
    let txt = r.txt_lookup("sel._domainkey.example.net.").await.unwrap();
    let joined: Vec<u8> = txt
        .answers()
        .iter()
        .filter_map(|rec| match &rec.data {
            RData::TXT(t) => Some(
                t.txt_data
                    .iter()
                    .flat_map(|s| s.iter().copied())
                    .collect::<Vec<u8>>(),
            ),
            _ => None,
        })
        .next()
        .unwrap();
    assert_eq!(joined, long.as_bytes());

    let nx = r.mx_lookup("nowhere.example.net.").await.unwrap_err();
    assert_eq!(response_code(&nx), Some(ResponseCode::NXDomain), "{nx:?}");
    let nodata = r.lookup("mx1.example.net.", RecordType::MX).await.unwrap_err();
    assert_eq!(response_code(&nodata), Some(ResponseCode::NoError), "{nodata:?}");
    let sf = r.mx_lookup("broken.example.net.").await.unwrap_err();
    assert_eq!(response_code(&sf), Some(ResponseCode::ServFail), "{sf:?}");
    assert!(
        dns.queries()
            .contains(&("nowhere.example.net.".to_owned(), RecordType::MX))
    );
}

#[tokio::test]
async fn sink_records_a_transaction() {
    let sink = SmtpSink::start(SinkOptions {
        pipelining: true,
        dsn: true,
        rcpt_replies: vec![("bad@example.net".into(), "550 5.1.1 No such user".into())],
        ..SinkOptions::default()
    })
    .await;
    let (mut c, greeting) = wire::connect(sink.addr(), None).await;
    assert!(greeting.starts_with("220 sink.test"), "{greeting}");
    wire::send(&mut c, b"EHLO client.test\r\n").await;
    let mut ehlo = Vec::new();
    loop {
        let l = String::from_utf8(wire::line(&mut c).await).unwrap();
        ehlo.push(l.clone());
        if l.as_bytes()[3] == b' ' {
            break;
        }
    }
    assert!(ehlo.iter().any(|l| l.contains("PIPELINING")), "{ehlo:?}");
    assert!(!ehlo.iter().any(|l| l.contains("CHUNKING")), "{ehlo:?}");
    wire::send(
        &mut c,
        b"MAIL FROM:<a@client.test> RET=HDRS\r\nRCPT TO:<ok@example.net> NOTIFY=FAILURE\r\nRCPT TO:<bad@example.net>\r\n",
    )
    .await;
    assert!(wire::line(&mut c).await.starts_with(b"250"));
    assert!(wire::line(&mut c).await.starts_with(b"250"));
    assert!(wire::line(&mut c).await.starts_with(b"550 5.1.1"));
    wire::send(&mut c, b"DATA\r\n").await;
    assert!(wire::line(&mut c).await.starts_with(b"354"));
    wire::send(&mut c, b"Subject: x\r\n\r\n..dot\r\n.\r\n").await;
    assert!(wire::line(&mut c).await.starts_with(b"250"));
    // A parameter of an extension the sink did not offer is refused.
    wire::send(&mut c, b"MAIL FROM:<a@client.test> SMTPUTF8\r\n").await;
    assert!(wire::line(&mut c).await.starts_with(b"555"));
    wire::send(&mut c, b"QUIT\r\n").await;
    assert!(wire::line(&mut c).await.starts_with(b"221"));

    let t = sink.transactions();
    assert_eq!(t.len(), 1);
    let t = &t[0];
    assert_eq!(t.helo, "client.test");
    assert!(t.esmtp && !t.tls && !t.bdat && t.pipelined);
    assert_eq!(t.mail_from, "a@client.test");
    assert_eq!(t.mail_params, vec!["RET=HDRS"]);
    assert_eq!(t.rcpts[0].params, vec!["NOTIFY=FAILURE"]);
    assert_eq!(t.accepted(), vec!["ok@example.net"]);
    assert_eq!(t.body, b"Subject: x\r\n\r\n.dot\r\n");
    assert_eq!(sink.connection_count(), 1);
}

#[tokio::test]
async fn sink_refuses_with_its_greeting() {
    let sink = SmtpSink::start(SinkOptions {
        greeting: Some("421 4.3.2 Not now".into()),
        ..SinkOptions::default()
    })
    .await;
    let (mut c, greeting) = wire::connect(sink.addr(), None).await;
    assert_eq!(greeting, "421 4.3.2 Not now\r\n");
    assert!(wire::rest(&mut c).await.is_empty());
}
