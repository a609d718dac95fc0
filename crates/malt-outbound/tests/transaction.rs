//! One mail transaction against the sink: per-recipient results, PIPELINING, CHUNKING, DATA dot-stuffing,
//! DSN and other MAIL/RCPT parameters, HELO fallback, refusals before sending.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_outbound::{DsnNotify, DsnRet, OutboundMessage, OutboundRecipient};
use malt_testkit::{DnsServer, SinkOptions, SmtpSink};

async fn setup(opts: SinkOptions) -> (SmtpSink, DnsServer, malt_outbound::Outbound) {
    let sink = SmtpSink::start(opts).await;
    let dns = DnsServer::start(vec![
        Record::mx("example.net", 10, "mx.example.net"),
        Record::a("mx.example.net", "127.0.0.1"),
    ])
    .await;
    let out = outbound(settings(&dns, sink.addr().port()));
    (sink, dns, out)
}

#[tokio::test]
async fn per_recipient_results_mix_250_550_451() {
    for pipelining in [true, false] {
        let (sink, _dns, out) = setup(SinkOptions {
            pipelining,
            rcpt_replies: vec![
                ("nobody@example.net".into(), "550 5.1.1 No such user".into()),
                ("later@example.net".into(), "451 4.3.0 Try later".into()),
            ],
            ..SinkOptions::default()
        })
        .await;
        let to = [
            "ok@example.net",
            "nobody@example.net",
            "later@example.net",
            "ok2@example.net",
        ];
        let r = out
            .deliver(&mx("example.net"), &message("a@client.test", &to, BODY))
            .await;
        assert_eq!(
            summary(&r),
            vec![
                ("ok@example.net".into(), "delivered", 250),
                ("nobody@example.net".into(), "perm", 550),
                ("later@example.net".into(), "temp", 451),
                ("ok2@example.net".into(), "delivered", 250),
            ],
            "pipelining {pipelining}"
        );
        assert_eq!(r[1].outcome.reply().esc, Some((5, 1, 1)));
        assert_eq!(r[1].outcome.reply().lines, vec!["No such user"]);
        let t = sink.transactions();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].accepted(), vec!["ok@example.net", "ok2@example.net"]);
        assert_eq!(
            t[0].pipelined, pipelining,
            "MAIL and RCPTs in one write iff PIPELINING"
        );
    }
}

#[tokio::test]
async fn no_accepted_recipient_sends_no_data() {
    let (sink, _dns, out) = setup(SinkOptions {
        pipelining: true,
        rcpt_replies: vec![("x@example.net".into(), "550 5.1.1 No".into())],
        ..SinkOptions::default()
    })
    .await;
    let r = send_mx(&out, "example.net", &["x@example.net"], BODY).await;
    assert_eq!(summary(&r), vec![("x@example.net".into(), "perm", 550)]);
    assert!(sink.transactions().is_empty());
    let cmds = &sink.connections()[0].commands;
    assert!(
        !cmds.iter().any(|c| c == "DATA" || c.starts_with("BDAT")),
        "{cmds:?}"
    );
}

#[tokio::test]
async fn mail_from_refused_is_every_recipients_answer() {
    for (reply, kind) in [
        ("550 5.7.1 Sender rejected", "perm"),
        ("451 4.7.1 Greylisted", "temp"),
    ] {
        let (_sink, _dns, out) = setup(SinkOptions {
            pipelining: true,
            mail_reply: Some(reply.into()),
            ..SinkOptions::default()
        })
        .await;
        let r = send_mx(&out, "example.net", &["b@example.net", "c@example.net"], BODY).await;
        let code = reply[..3].parse().unwrap();
        assert_eq!(
            summary(&r),
            vec![
                ("b@example.net".into(), kind, code),
                ("c@example.net".into(), kind, code)
            ]
        );
    }
}

#[tokio::test]
async fn data_reply_applies_to_accepted_recipients() {
    let (_sink, _dns, out) = setup(SinkOptions {
        data_reply: Some("554 5.6.0 Content rejected".into()),
        rcpt_replies: vec![("later@example.net".into(), "452 4.2.2 Mailbox full".into())],
        ..SinkOptions::default()
    })
    .await;
    let r = send_mx(&out, "example.net", &["b@example.net", "later@example.net"], BODY).await;
    assert_eq!(
        summary(&r),
        vec![
            ("b@example.net".into(), "perm", 554),
            ("later@example.net".into(), "temp", 452)
        ]
    );
}

#[tokio::test]
async fn data_is_dot_stuffed_and_line_ends_normalised() {
    let (sink, _dns, out) = setup(SinkOptions::default()).await;
    let body = b"Subject: dots\r\n\r\n.leading dot\r\n..two\r\n.\r\nbare LF\nlast line without end";
    let r = send_mx(&out, "example.net", &["b@example.net"], body).await;
    assert_eq!(summary(&r)[0].1, "delivered");
    let t = &sink.transactions()[0];
    assert!(!t.bdat);
    assert_eq!(
        t.body,
        b"Subject: dots\r\n\r\n.leading dot\r\n..two\r\n.\r\nbare LF\r\nlast line without end\r\n"
    );
}

#[tokio::test]
async fn bdat_when_chunking_is_offered() {
    let (sink, _dns, out) = setup(SinkOptions {
        chunking: true,
        pipelining: true,
        ..SinkOptions::default()
    })
    .await;
    let body = b"Subject: chunk\r\n\r\n.not stuffed\r\n";
    let r = send_mx(&out, "example.net", &["b@example.net"], body).await;
    assert_eq!(summary(&r)[0].1, "delivered");
    let t = &sink.transactions()[0];
    assert!(t.bdat);
    assert_eq!(t.body, body);
    let cmds = &sink.connections()[0].commands;
    assert!(cmds.contains(&format!("BDAT {} LAST", body.len())), "{cmds:?}");
    assert!(!cmds.iter().any(|c| c == "DATA"));
}

fn dsn_message<'a>() -> OutboundMessage<'a> {
    OutboundMessage {
        return_path: "a@client.test",
        envid: Some("Q 1+2"),
        ret: Some(DsnRet::Headers),
        recipients: vec![
            OutboundRecipient {
                address: "b@example.net",
                notify: Some(DsnNotify {
                    success: true,
                    failure: true,
                    delay: false,
                }),
                orcpt: Some("B@example.net"),
            },
            OutboundRecipient {
                address: "c@example.net",
                notify: Some(DsnNotify::NEVER),
                orcpt: None,
            },
        ],
        body: BODY,
    }
}

#[tokio::test]
async fn dsn_parameters_only_when_offered() {
    let (sink, _dns, out) = setup(SinkOptions {
        dsn: true,
        size: Some(1_000_000),
        ..SinkOptions::default()
    })
    .await;
    let r = out.deliver(&mx("example.net"), &dsn_message()).await;
    assert_eq!(summary(&r).iter().filter(|s| s.1 == "delivered").count(), 2);
    let t = &sink.transactions()[0];
    assert_eq!(
        t.mail_params,
        vec![
            format!("SIZE={}", BODY.len()),
            "RET=HDRS".into(),
            "ENVID=Q+201+2B2".into()
        ]
    );
    assert_eq!(
        t.rcpts[0].params,
        vec!["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;B@example.net"]
    );
    assert_eq!(t.rcpts[1].params, vec!["NOTIFY=NEVER"]);

    // The same message to a server without DSN (nor SIZE): no parameters at all (the sink would answer 555
    // to any).
    let (sink, _dns, out) = setup(SinkOptions::default()).await;
    let r = out.deliver(&mx("example.net"), &dsn_message()).await;
    assert_eq!(summary(&r).iter().filter(|s| s.1 == "delivered").count(), 2);
    let t = &sink.transactions()[0];
    assert!(t.mail_params.is_empty(), "{:?}", t.mail_params);
    assert!(t.rcpts.iter().all(|r| r.params.is_empty()));
}

#[tokio::test]
async fn eight_bit_body() {
    let body = "Subject: caf\u{e9}\r\n\r\n\u{e9}t\u{e9}\r\n".as_bytes();
    // Announced: BODY=8BITMIME.
    let (sink, _dns, out) = setup(SinkOptions {
        eight_bit_mime: true,
        ..SinkOptions::default()
    })
    .await;
    let r = send_mx(&out, "example.net", &["b@example.net"], body).await;
    assert_eq!(summary(&r)[0].1, "delivered");
    assert!(!r[0].remote.as_ref().unwrap().eight_bit_unannounced);
    assert_eq!(sink.transactions()[0].mail_params, vec!["BODY=8BITMIME"]);
    // Not announced: sent anyway, without the parameter, and recorded.
    let (sink, _dns, out) = setup(SinkOptions::default()).await;
    let r = send_mx(&out, "example.net", &["b@example.net"], body).await;
    assert_eq!(summary(&r)[0].1, "delivered");
    assert!(r[0].remote.as_ref().unwrap().eight_bit_unannounced);
    assert_eq!(sink.transactions()[0].body, body);
    assert!(sink.transactions()[0].mail_params.is_empty());
}

#[tokio::test]
async fn refused_before_sending_size_and_smtputf8() {
    let (sink, _dns, out) = setup(SinkOptions {
        size: Some(20),
        ..SinkOptions::default()
    })
    .await;
    let r = send_mx(&out, "example.net", &["b@example.net"], BODY).await;
    assert_eq!(summary(&r), vec![("b@example.net".into(), "perm", 552)]);
    assert!(reply_text(&r[0]).contains("5.3.4"));
    let r = send_mx(&out, "example.net", &["j\u{f6}rg@example.net"], b"x\r\n").await;
    assert_eq!(summary(&r)[0].1, "perm");
    assert!(reply_text(&r[0]).contains("5.6.7"), "{}", reply_text(&r[0]));
    assert!(sink.transactions().is_empty());
    let cmds: Vec<String> = sink.connections().into_iter().flat_map(|c| c.commands).collect();
    assert!(!cmds.iter().any(|c| c.starts_with("MAIL")), "{cmds:?}");

    // With SMTPUTF8 offered, the non-ASCII recipient goes through with the parameter.
    let (sink, _dns, out) = setup(SinkOptions {
        smtputf8: true,
        ..SinkOptions::default()
    })
    .await;
    let r = send_mx(&out, "example.net", &["j\u{f6}rg@example.net"], b"x\r\n").await;
    assert_eq!(summary(&r)[0].1, "delivered", "{}", reply_text(&r[0]));
    assert_eq!(sink.transactions()[0].mail_params, vec!["SMTPUTF8"]);
}

#[tokio::test]
async fn bad_addresses_are_refused_locally() {
    let (sink, _dns, out) = setup(SinkOptions::default()).await;
    let r = out
        .deliver(
            &mx("example.net"),
            &message(
                "a@client.test",
                &["b@example.net\r\nRSET", "ok@example.net"],
                BODY,
            ),
        )
        .await;
    assert_eq!(summary(&r)[0].1, "perm");
    assert!(r[0].remote.is_none());
    assert_eq!(summary(&r)[1].1, "delivered");
    assert_eq!(sink.transactions()[0].accepted(), vec!["ok@example.net"]);
    let r = out
        .deliver(
            &mx("example.net"),
            &message("a>@client.test", &["ok@example.net"], BODY),
        )
        .await;
    assert_eq!(summary(&r)[0].1, "perm");
    assert!(reply_text(&r[0]).contains("5.1.7"));
    // The null reverse-path is fine (bounces).
    let r = out
        .deliver(&mx("example.net"), &message("", &["ok@example.net"], BODY))
        .await;
    assert_eq!(summary(&r)[0].1, "delivered");
    assert_eq!(sink.transactions()[1].mail_from, "");
}

#[tokio::test]
async fn helo_when_ehlo_is_refused() {
    let (sink, _dns, out) = setup(SinkOptions {
        ehlo: false,
        ..SinkOptions::default()
    })
    .await;
    let r = send_mx(&out, "example.net", &["b@example.net"], BODY).await;
    assert_eq!(summary(&r)[0].1, "delivered");
    let t = &sink.transactions()[0];
    assert!(!t.esmtp);
    assert_eq!(t.helo, "client.test");
}
