//! Sender authentication end to end through the delivery pipeline: a verifying (MX) envelope, a
//! DNS server on loopback serving SPF, DKIM and DMARC records, and the `Authentication-Results`
//! read back from the stored copy.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use malt_core::delivery::{Envelope, Outcome};
use malt_core::dkim::{self, KeyAlgorithm};
use malt_core::mail::{DeliveryOptions, MailCore, MailSettings};
use malt_core::sender_auth::SenderAuthenticator;
use malt_testkit::{DnsServer, Record};

fn message(subject: &str) -> Vec<u8> {
    format!(
        "From: Alice <alice@example.org>\r\nTo: bob@mail.test\r\nSubject: {subject}\r\n\
         Date: Sun, 29 Nov 2026 05:50:12 +0000\r\nMessage-ID: <{subject}@example.org>\r\n\r\nHello Bob.\r\n"
    )
    .into_bytes()
}

struct World {
    _dir: tempfile::TempDir,
    dns: DnsServer,
    core: MailCore,
    key: dkim::GeneratedKey,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let key = dkim::generate(KeyAlgorithm::Rsa2048).unwrap();
    let dns = DnsServer::start(vec![
        Record::txt("example.org", "v=spf1 ip4:192.0.2.0/24 -all"),
        Record::txt("_dmarc.example.org", "v=DMARC1; p=reject"),
        Record::txt(
            "s1._domainkey.example.org",
            &dkim::txt_value(KeyAlgorithm::Rsa2048, &key.public_key_base64),
        ),
    ])
    .await;
    let verifier = SenderAuthenticator::new(&[dns.addr()], Duration::from_secs(5)).unwrap();
    let core = MailCore::new(common::storage(&dir).await, MailSettings::default()).with_delivery_options(
        DeliveryOptions {
            sender_auth: Some(Arc::new(verifier)),
            ..DeliveryOptions::default()
        },
    );
    common::account(core.storage(), "bob@mail.test", "pw").await;
    World {
        _dir: dir,
        dns,
        core,
        key,
    }
}

impl World {
    fn sign(&self, raw: &[u8]) -> Vec<u8> {
        let h = dkim::sign(raw, "example.org", "s1", "rsa-sha256", &self.key.private_key_pem).unwrap();
        [h.as_bytes(), raw].concat()
    }

    /// Delivers over a verifying envelope from `remote` and returns our header, unfolded.
    async fn deliver(&self, remote: [u8; 4], mail_from: &str, raw: &[u8]) -> String {
        let env = Envelope {
            return_path: mail_from.into(),
            helo: "mx.example.org".into(),
            remote: IpAddr::from(remote),
            hostname: "mail.test".into(),
            protocol: "ESMTP".into(),
            id: "T".into(),
            received_at: 1_795_931_412,
            verify_sender: true,
        };
        let out = self
            .core
            .deliver_message(&env, &["bob@mail.test".to_owned()], raw)
            .await;
        let Outcome::Delivered(a) = &out[0] else {
            panic!("{out:?}")
        };
        let stored = common::stored_message(self.core.storage(), &a[0]).await;
        let ours = stored
            .split_once("Authentication-Results: ")
            .unwrap()
            .1
            .split_once("\r\nReceived: ")
            .unwrap()
            .0;
        ours.replace("\r\n", "")
    }
}

#[tokio::test]
async fn spf_pass_for_an_allowed_ip_and_fail_otherwise() {
    let w = world().await;
    let h = w
        .deliver([192, 0, 2, 25], "alice@example.org", &message("a"))
        .await;
    assert!(h.starts_with("mail.test;"), "{h}");
    assert!(h.contains("spf=pass"), "{h}");
    assert!(h.contains("smtp.mailfrom=alice@example.org"), "{h}");
    // SPF aligned with the From domain: DMARC passes without a signature.
    assert!(h.contains("dkim=none"), "{h}");
    assert!(h.contains("dmarc=pass"), "{h}");

    let h = w
        .deliver([198, 51, 100, 1], "alice@example.org", &message("b"))
        .await;
    assert!(h.contains("spf=fail"), "{h}");
    assert!(h.contains("dmarc=fail"), "{h}");
    assert!(h.contains("policy.dmarc=reject"), "{h}");
    // The verifier asked our DNS server.
    let asked: Vec<String> = w.dns.queries().into_iter().map(|(n, _)| n).collect();
    assert!(asked.contains(&"example.org.".to_owned()), "{asked:?}");
    assert!(asked.contains(&"_dmarc.example.org.".to_owned()), "{asked:?}");
}

#[tokio::test]
async fn dkim_pass_makes_dmarc_pass_from_a_forwarder() {
    let w = world().await;
    // A forwarder's address: SPF fails, but the signature survives and is aligned.
    let h = w
        .deliver([203, 0, 113, 9], "alice@example.org", &w.sign(&message("c")))
        .await;
    assert!(h.contains("spf=fail"), "{h}");
    assert!(h.contains("dkim=pass header.d=example.org header.s=s1"), "{h}");
    assert!(h.contains("dmarc=pass"), "{h}");
    assert!(h.contains("arc=none"), "{h}");

    // Modified on the way: DKIM and DMARC fail.
    let tampered = String::from_utf8(w.sign(&message("d")))
        .unwrap()
        .replace("Hello Bob.", "Pay me.");
    let h = w
        .deliver([203, 0, 113, 9], "alice@example.org", tampered.as_bytes())
        .await;
    // A body that no longer matches its hash: `neutral (body hash did not verify)`, as OpenDKIM
    // and mail-auth write it.
    assert!(h.contains("dkim=neutral"), "{h}");
    assert!(h.contains("dmarc=fail"), "{h}");
}

#[tokio::test]
async fn a_domain_without_records_is_none_and_a_dead_server_is_temperror() {
    let w = world().await;
    let h = w
        .deliver([192, 0, 2, 25], "x@nowhere.example", &message("e"))
        .await;
    assert!(h.contains("spf=none"), "{h}");

    // A name server that answers SERVFAIL: temperror, and the message is still delivered.
    w.dns.add([Record::servfail("broken.example")]);
    let h = w
        .deliver([192, 0, 2, 25], "x@broken.example", &message("f"))
        .await;
    assert!(h.contains("spf=temperror"), "{h}");
}
