//! DKIM signing through the mail core with keys from the store, verified by `mail-auth` against a
//! DNS server on loopback that serves the public key.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::Duration;

use mail_auth::hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator};
use malt_core::dkim::{self, KeyAlgorithm};
use malt_core::mail::{DeliveryOptions, MailCore, MailSettings};
use malt_store::DkimKey;
use malt_testkit::{DnsServer, Record};

const MSG: &[u8] = b"From: Alice <alice@Example.org>\r\nTo: bob@example.net\r\nSubject: signed\r\n\
Date: Sun, 29 Nov 2026 05:50:12 +0000\r\nMessage-ID: <s1@example.org>\r\n\r\nHello.\r\n";

fn resolver(dns: &DnsServer) -> MessageAuthenticator {
    let mut ns = NameServerConfig::udp_and_tcp(dns.addr().ip());
    for c in &mut ns.connections {
        c.port = dns.addr().port();
    }
    let mut opts = ResolverOpts::default();
    opts.timeout = Duration::from_secs(2);
    MessageAuthenticator::new(ResolverConfig::from_parts(None, vec![], vec![ns]), opts).unwrap()
}

async fn core_with_key(dir: &tempfile::TempDir, alg: KeyAlgorithm) -> (MailCore, dkim::GeneratedKey) {
    let core = MailCore::new(common::storage(dir).await, MailSettings::default());
    let key = dkim::generate(alg).unwrap();
    core.storage()
        .store
        .dkim_key_put(DkimKey {
            domain: "example.org".into(),
            selector: "malt".into(),
            algorithm: alg.signing_algorithm().into(),
            private_key_pem: key.private_key_pem.clone(),
            created_at: 1,
        })
        .await
        .unwrap();
    (core, key)
}

async fn verify(dns: &DnsServer, signed: &[u8]) -> Vec<DkimResult> {
    let r = resolver(dns);
    let m = AuthenticatedMessage::parse(signed).unwrap();
    r.verify_dkim(&m)
        .await
        .iter()
        .map(|o| o.result().clone())
        .collect()
}

#[tokio::test]
async fn signed_with_the_stored_key_verifies_against_the_published_record() {
    for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::Rsa2048] {
        let dir = tempfile::tempdir().unwrap();
        let (core, key) = core_with_key(&dir, alg).await;
        let dns = DnsServer::start(vec![Record::txt(
            "malt._domainkey.example.org",
            &dkim::txt_value(alg, &key.public_key_base64),
        )])
        .await;

        let header = core.dkim_sign(MSG).await.unwrap().unwrap();
        assert!(
            header.starts_with("DKIM-Signature: ") && header.ends_with("\r\n"),
            "{header}"
        );
        let signed = core.dkim_signed(MSG).await;
        assert!(signed.ends_with(MSG));
        assert_eq!(verify(&dns, &signed).await, vec![DkimResult::Pass], "{alg:?}");

        // A changed body no longer verifies.
        let mut tampered = signed.clone();
        let n = tampered.len();
        tampered[n - 3] = b'?';
        assert_ne!(verify(&dns, &tampered).await, vec![DkimResult::Pass]);
    }
}

#[tokio::test]
async fn nothing_to_sign_with_leaves_the_message_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (core, _) = core_with_key(&dir, KeyAlgorithm::Ed25519).await;
    // Another domain has no key; a message without From has no domain.
    let other = b"From: x@example.net\r\n\r\nx\r\n";
    assert_eq!(core.dkim_sign(other).await.unwrap(), None);
    assert_eq!(core.dkim_signed(other).await, other);
    assert_eq!(core.dkim_sign(b"Subject: x\r\n\r\nx\r\n").await.unwrap(), None);
    // Signing switched off.
    let off = core.clone().with_delivery_options(DeliveryOptions {
        dkim_sign: false,
        ..DeliveryOptions::default()
    });
    assert_eq!(off.dkim_sign(MSG).await.unwrap(), None);
    // The newest key of the domain is used.
    let newer = dkim::generate(KeyAlgorithm::Ed25519).unwrap();
    core.storage()
        .store
        .dkim_key_put(DkimKey {
            domain: "example.org".into(),
            selector: "k2".into(),
            algorithm: "ed25519-sha256".into(),
            private_key_pem: newer.private_key_pem,
            created_at: 2,
        })
        .await
        .unwrap();
    let h = core
        .dkim_sign(MSG)
        .await
        .unwrap()
        .unwrap()
        .replace(['\r', '\n', '\t', ' '], "");
    assert!(h.contains(";s=k2;"), "{h}");
}

#[tokio::test]
async fn a_broken_stored_key_is_an_error_and_the_message_goes_unsigned() {
    let dir = tempfile::tempdir().unwrap();
    let core = MailCore::new(common::storage(&dir).await, MailSettings::default());
    core.storage()
        .store
        .dkim_key_put(DkimKey {
            domain: "example.org".into(),
            selector: "bad".into(),
            algorithm: "rsa-sha256".into(),
            private_key_pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".into(),
            created_at: 1,
        })
        .await
        .unwrap();
    let e = core.dkim_sign(MSG).await.unwrap_err();
    assert!(matches!(e, dkim::DkimError::BadKey { .. }), "{e}");
    assert_eq!(core.dkim_signed(MSG).await, MSG);
}
