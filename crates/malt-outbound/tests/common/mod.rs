//! Shared by the outbound integration tests: the client's settings pointed at a test DNS server and test
//! SMTP sinks on loopback, and short ways to build messages and read results.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use malt_outbound::{
    Destination, Outbound, OutboundMessage, OutboundRecipient, Outcome, RecipientResult, Settings, Timeouts,
};
use malt_testkit::{DnsServer, SinkOptions, SmtpSink};

pub use malt_testkit::Record;

/// The client's settings: `dns` as name server, MX port `port`, 5 s timeouts, EHLO `client.test`.
pub fn settings(dns: &DnsServer, port: u16) -> Settings {
    Settings {
        helo_name: "client.test".to_owned(),
        mx_port: port,
        timeouts: Timeouts {
            connect: Duration::from_secs(5),
            command: Duration::from_secs(5),
            data: Duration::from_secs(5),
        },
        idle_connection: Duration::from_secs(30),
        max_idle_per_destination: 4,
        dns_servers: vec![dns.addr()],
        local_addrs: Vec::new(),
        extra_roots: Vec::new(),
    }
}

pub fn outbound(settings: Settings) -> Outbound {
    Outbound::new(settings).unwrap()
}

/// Sinks listening on one port, the i-th on 127.0.0.(i+1) (an MX port is one port for every host).
pub async fn sinks_on_one_port(opts: Vec<SinkOptions>) -> Vec<SmtpSink> {
    'retry: for _ in 0..20 {
        let mut sinks: Vec<SmtpSink> = Vec::new();
        let mut port = 0;
        for (i, mut o) in opts.clone().into_iter().enumerate() {
            let ip = Ipv4Addr::new(127, 0, 0, u8::try_from(i + 1).unwrap());
            o.bind = SocketAddr::from((ip, port));
            match SmtpSink::try_start(o).await {
                Ok(s) => {
                    port = s.addr().port();
                    sinks.push(s);
                }
                Err(_) => continue 'retry,
            }
        }
        return sinks;
    }
    panic!("no common free port");
}

pub fn mx(domain: &str) -> Destination {
    Destination::Mx {
        domain: domain.to_owned(),
    }
}

/// A message from `from` to `to` with `body`, no DSN parameters.
pub fn message<'a>(from: &'a str, to: &[&'a str], body: &'a [u8]) -> OutboundMessage<'a> {
    OutboundMessage {
        return_path: from,
        envid: None,
        ret: None,
        recipients: to
            .iter()
            .map(|a| OutboundRecipient {
                address: a,
                notify: None,
                orcpt: None,
            })
            .collect(),
        body,
    }
}

pub const BODY: &[u8] = b"From: a@client.test\r\nTo: b@example.net\r\nSubject: test\r\n\r\nHello\r\n";

/// Delivers a message from `a@client.test` to `to` through `domain`'s MX hosts.
pub async fn send_mx(out: &Outbound, domain: &str, to: &[&str], body: &[u8]) -> Vec<RecipientResult> {
    out.deliver(&mx(domain), &message("a@client.test", to, body))
        .await
}

/// Each result as (address, "delivered"/"temp"/"perm", reply code).
pub fn summary(results: &[RecipientResult]) -> Vec<(String, &'static str, u16)> {
    results
        .iter()
        .map(|r| {
            let kind = match r.outcome {
                Outcome::Delivered { .. } => "delivered",
                Outcome::TempFail { .. } => "temp",
                Outcome::PermFail { .. } => "perm",
            };
            (r.address.clone(), kind, r.outcome.reply().code)
        })
        .collect()
}

/// The reply of the only recipient, one line.
pub fn reply_text(r: &RecipientResult) -> String {
    r.outcome.reply().to_string()
}
