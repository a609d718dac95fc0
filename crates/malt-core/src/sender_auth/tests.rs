//! Verification against a pre-filled, authoritative lookup cache (names not given do not exist),
//! so these tests send no DNS query; the timeout test points the resolver at a server that never
//! answers.

use std::sync::Arc;

use mail_auth::common::crypto::{RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter as _;
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dmarc::Dmarc;
use mail_auth::hickory_resolver::proto::op::ResponseCode;
use mail_auth::spf::Spf;
use mail_auth::{DnsError, DnssecStatus};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject as _;

use super::*;
use crate::dkim::{self, KeyAlgorithm};

const HOST: &str = "mail.test";

fn message(from: &str) -> Vec<u8> {
    format!(
        "From: Alice <{from}>\r\nTo: bob@mail.test\r\nSubject: hello\r\n\
         Date: Sun, 29 Nov 2026 05:50:12 +0000\r\nMessage-ID: <1@example.org>\r\n\r\nHello Bob.\r\n"
    )
    .into_bytes()
}

/// An authoritative zone: the given TXT records exist, every other name is NXDOMAIN.
fn zone(txt: &[(&str, &str)]) -> LookupCache {
    let nx = Txt::Error(mail_auth::Error::Dns(DnsError::RecordNotFound(
        ResponseCode::NXDomain,
    )));
    fn empty<T>() -> RecordSet<T> {
        RecordSet {
            rrset: Arc::from(Vec::new().into_boxed_slice()),
            dnssec_status: DnssecStatus::Indeterminate,
        }
    }
    let cache = LookupCache {
        txt: Cache::new(Some(nx)),
        mx: Cache::new(Some(empty())),
        ipv4: Cache::new(Some(empty())),
        ipv6: Cache::new(Some(empty())),
        ptr: Cache::new(Some(empty())),
    };
    for (name, value) in txt {
        let record: Txt = if value.starts_with("v=spf1") {
            Spf::parse(value.as_bytes()).into()
        } else if value.starts_with("v=DMARC1") {
            Dmarc::parse(value.as_bytes()).into()
        } else {
            DomainKey::parse(value.as_bytes()).into()
        };
        cache.txt.insert(
            format!("{name}.").into_boxed_str(),
            record,
            std::time::Instant::now(),
        );
    }
    cache
}

/// A DNS server that never answers: lookups that reach it time out.
async fn silent_dns() -> (tokio::net::UdpSocket, SocketAddr) {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    (sock, addr)
}

async fn verifier(budget: Duration) -> (SenderAuthenticator, tokio::net::UdpSocket) {
    let (sock, addr) = silent_dns().await;
    (SenderAuthenticator::new(&[addr], budget).unwrap(), sock)
}

fn input<'a>(raw: &'a [u8], remote: &str, helo: &'a str, mail_from: &'a str) -> AuthInput<'a> {
    AuthInput {
        raw,
        remote: remote.parse().unwrap(),
        helo,
        mail_from,
        hostname: HOST,
    }
}

/// The header unfolded (RFC 5322 §2.2.3), without the trailing CRLF.
fn unfold(h: &str) -> String {
    h.trim_end_matches("\r\n").replace("\r\n", "")
}

const SPF: (&str, &str) = ("example.org", "v=spf1 ip4:192.0.2.0/24 -all");

#[tokio::test]
async fn spf_pass_and_fail_for_mail_from() {
    let (v, _dns) = verifier(Duration::from_secs(5)).await;
    let raw = message("alice@example.org");
    let z = zone(&[SPF]);
    let r = v
        .verify_with(
            &input(&raw, "192.0.2.10", "mx.example.org", "alice@example.org"),
            &z,
        )
        .await;
    assert_eq!(r.spf, Verdict::Pass);
    assert_eq!(r.spf_identity, "alice@example.org");
    assert!(unfold(&r.header).contains("spf=pass"), "{}", r.header);
    assert!(unfold(&r.header).contains("smtp.mailfrom=alice@example.org"));

    let z = zone(&[SPF]);
    let r = v
        .verify_with(
            &input(&raw, "198.51.100.7", "mx.example.org", "alice@example.org"),
            &z,
        )
        .await;
    assert_eq!(r.spf, Verdict::Fail);
    assert!(unfold(&r.header).contains("spf=fail"), "{}", r.header);

    // No SPF record: none.
    let z = zone(&[]);
    let r = v
        .verify_with(
            &input(&raw, "192.0.2.10", "mx.example.org", "alice@example.org"),
            &z,
        )
        .await;
    assert_eq!(r.spf, Verdict::None);
}

#[tokio::test]
async fn null_sender_checks_the_helo_identity() {
    let (v, _dns) = verifier(Duration::from_secs(5)).await;
    let raw = message("alice@example.org");
    let z = zone(&[("mx.example.org", "v=spf1 ip4:192.0.2.10 -all")]);
    let r = v
        .verify_with(&input(&raw, "192.0.2.10", "mx.example.org", ""), &z)
        .await;
    assert_eq!(r.spf, Verdict::Pass);
    assert_eq!(r.spf_identity, "postmaster@mx.example.org");
    assert!(
        unfold(&r.header).contains("smtp.helo=mx.example.org"),
        "{}",
        r.header
    );

    let z = zone(&[("mx.example.org", "v=spf1 ip4:192.0.2.10 -all")]);
    let r = v
        .verify_with(&input(&raw, "192.0.2.99", "mx.example.org", ""), &z)
        .await;
    assert_eq!(r.spf, Verdict::Fail);

    // An address literal is not a domain: nothing to check (RFC 7208 §2.3).
    let r = v
        .verify_with(&input(&raw, "192.0.2.10", "[192.0.2.10]", ""), &zone(&[]))
        .await;
    assert_eq!(r.spf, Verdict::None);
}

/// Signs `raw` with a fresh key for `example.org`, selector `s1`; returns the signed message and the
/// DNS record value.
fn signed(raw: &[u8], alg: KeyAlgorithm) -> (Vec<u8>, String) {
    let key = dkim::generate(alg).unwrap();
    let header = dkim::sign(
        raw,
        "example.org",
        "s1",
        alg.signing_algorithm(),
        &key.private_key_pem,
    )
    .unwrap();
    let mut out = header.into_bytes();
    out.extend_from_slice(raw);
    (out, dkim::txt_value(alg, &key.public_key_base64))
}

#[tokio::test]
async fn dkim_pass_makes_dmarc_pass_despite_spf_fail() {
    let (v, _dns) = verifier(Duration::from_secs(5)).await;
    let (raw, record) = signed(&message("alice@example.org"), KeyAlgorithm::Ed25519);
    let z = zone(&[
        SPF,
        ("s1._domainkey.example.org", &record),
        ("_dmarc.example.org", "v=DMARC1; p=reject"),
    ]);
    let r = v
        .verify_with(
            &input(&raw, "198.51.100.7", "mx.other.net", "alice@example.org"),
            &z,
        )
        .await;
    assert_eq!(r.spf, Verdict::Fail);
    assert_eq!(
        r.dkim,
        vec![DkimVerdict {
            result: Verdict::Pass,
            domain: "example.org".into(),
            selector: "s1".into()
        }]
    );
    assert_eq!(r.dmarc, Verdict::Pass);
    assert_eq!(r.dmarc_domain, "example.org");
    assert_eq!(r.dmarc_policy, DmarcPolicy::Reject);
    let h = unfold(&r.header);
    assert!(h.contains("dkim=pass header.d=example.org header.s=s1"), "{h}");
    assert!(h.contains("dmarc=pass header.from=example.org"), "{h}");
}

#[tokio::test]
async fn modified_message_fails_dkim_and_dmarc() {
    let (v, _dns) = verifier(Duration::from_secs(5)).await;
    let (raw, record) = signed(&message("alice@example.org"), KeyAlgorithm::Ed25519);
    let tampered = String::from_utf8(raw)
        .unwrap()
        .replace("Subject: hello", "Subject: pay now");
    let z = zone(&[
        SPF,
        ("s1._domainkey.example.org", &record),
        ("_dmarc.example.org", "v=DMARC1; p=quarantine"),
    ]);
    let r = v
        .verify_with(
            &input(
                tampered.as_bytes(),
                "198.51.100.7",
                "mx.other.net",
                "alice@example.org",
            ),
            &z,
        )
        .await;
    assert_eq!(r.dkim.len(), 1);
    assert_eq!(r.dkim[0].result, Verdict::Fail);
    assert_eq!(r.dmarc, Verdict::Fail);
    assert_eq!(r.dmarc_policy, DmarcPolicy::Quarantine);
    assert!(unfold(&r.header).contains("dmarc=fail"), "{}", r.header);
}

#[tokio::test]
async fn rsa_signature_and_arc_seal_verify() {
    let (v, _dns) = verifier(Duration::from_secs(5)).await;
    let key = dkim::generate(KeyAlgorithm::Rsa2048).unwrap();
    let record = dkim::txt_value(KeyAlgorithm::Rsa2048, &key.public_key_base64);
    let raw = message("alice@example.org");
    let sig = dkim::sign(&raw, "example.org", "s1", "rsa-sha256", &key.private_key_pem).unwrap();
    let mut signed = sig.into_bytes();
    signed.extend_from_slice(&raw);

    // A forwarder (example.org itself here) seals the message with an ARC set.
    let parsed = AuthenticatedMessage::parse(&signed).unwrap();
    let resolver = v.resolver.clone();
    let z = zone(&[("s1._domainkey.example.org", &record)]);
    let arc_in = resolver.verify_arc(z.parameters(&parsed)).await;
    let dkim_in = resolver.verify_dkim(z.parameters(&parsed)).await;
    assert!(arc_in.can_be_sealed());
    let results =
        AuthenticationResults::new("fwd.example.org").with_dkim_results(&dkim_in, "alice@example.org");
    let pk = RsaKey::<Sha256>::from_key_der(
        PrivateKeyDer::from_pem_slice(key.private_key_pem.as_bytes()).unwrap(),
    )
    .unwrap();
    let set = mail_auth::arc::ArcSealer::from_key(pk)
        .domain("example.org")
        .selector("s1")
        .headers(["From", "To", "Subject", "DKIM-Signature"])
        .seal(&parsed, &results, &arc_in)
        .unwrap();
    let mut sealed = set.to_header().into_bytes();
    sealed.extend_from_slice(&signed);

    let z = zone(&[SPF, ("s1._domainkey.example.org", &record)]);
    let r = v
        .verify_with(
            &input(&sealed, "192.0.2.10", "fwd.example.org", "alice@example.org"),
            &z,
        )
        .await;
    assert_eq!(r.dkim[0].result, Verdict::Pass, "{}", r.header);
    assert_eq!(r.arc, Verdict::Pass, "{}", r.header);
    assert!(unfold(&r.header).contains("arc=pass"), "{}", r.header);
    // No DMARC record: none.
    assert_eq!(r.dmarc, Verdict::None);
}

#[tokio::test]
async fn unsigned_message_reads_dkim_none_and_arc_none() {
    let (v, _dns) = verifier(Duration::from_secs(5)).await;
    let raw = message("alice@example.org");
    let r = v
        .verify_with(
            &input(&raw, "192.0.2.10", "mx.example.org", "alice@example.org"),
            &zone(&[SPF]),
        )
        .await;
    assert!(r.dkim.is_empty());
    assert_eq!(r.arc, Verdict::None);
    let h = unfold(&r.header);
    assert!(h.contains(";\tdkim=none;"), "{h}");
    assert!(h.contains("arc=none"), "{h}");
}

#[tokio::test]
async fn header_is_one_field_folded_and_ends_in_crlf() {
    let (v, _dns) = verifier(Duration::from_secs(5)).await;
    let (raw, record) = signed(&message("alice@example.org"), KeyAlgorithm::Ed25519);
    let z = zone(&[
        SPF,
        ("s1._domainkey.example.org", &record),
        ("_dmarc.example.org", "v=DMARC1; p=none"),
    ]);
    let r = v
        .verify_with(
            &input(&raw, "192.0.2.10", "mx.example.org", "alice@example.org"),
            &z,
        )
        .await;
    let h = &r.header;
    assert!(h.starts_with("Authentication-Results: mail.test;"), "{h}");
    assert!(h.ends_with("\r\n") && !h.ends_with("\r\n\r\n"), "{h:?}");
    // Every continuation line starts with whitespace; no bare CR or LF.
    let body = h.trim_end_matches("\r\n");
    for line in body.split("\r\n").skip(1) {
        assert!(line.starts_with([' ', '\t']), "{line:?}");
    }
    assert!(!body.replace("\r\n", "").contains(['\r', '\n']));
    for line in body.split("\r\n") {
        assert!(line.len() <= 78, "{line:?} is longer than 78");
    }
    // The methods, in order.
    let u = unfold(h);
    let pos = |m: &str| u.find(m).unwrap_or_else(|| panic!("{m} missing in {u}"));
    assert!(pos("spf=") < pos("dkim=") && pos("dkim=") < pos("dmarc=") && pos("dmarc=") < pos("arc="));
    // It parses as one header field of the message it is prepended to.
    let mut full = h.clone().into_bytes();
    full.extend_from_slice(&raw);
    let fields = header_fields(&full);
    assert_eq!(fields[0].2, b"Authentication-Results");
    assert_eq!(results_authserv_id(fields[0].3).as_deref(), Some("mail.test"));
}

#[tokio::test]
async fn unanswered_dns_is_temperror_within_the_budget() {
    let (v, _dns) = verifier(Duration::from_secs(1)).await;
    let (raw, _) = signed(&message("alice@example.org"), KeyAlgorithm::Ed25519);
    let r = v
        .verify(&input(&raw, "192.0.2.10", "mx.example.org", "alice@example.org"))
        .await;
    assert_eq!(r.spf, Verdict::TempError);
    assert_eq!(r.dkim.len(), 1);
    assert_eq!(r.dkim[0].result, Verdict::TempError);
    assert_eq!(r.dmarc, Verdict::TempError);
    let h = unfold(&r.header);
    assert!(h.contains("spf=temperror") && h.contains("dkim=temperror"), "{h}");
}

#[test]
fn own_results_are_stripped_others_kept() {
    let raw = b"Authentication-Results: MAIL.test; spf=pass smtp.mailfrom=a@b\r\n\
        Authentication-Results: (forged)\r\n mail.test;\r\n\tdkim=pass\r\n\
        Authentication-Results: \"mail.test\"; dmarc=pass\r\n\
        Authentication-Results: mx.example.org; spf=fail\r\n\
        Authentication-Results: mail.test.evil.org; spf=pass\r\n\
        Subject: x\r\n\
        \r\n\
        Authentication-Results: mail.test; in the body\r\n";
    let out = String::from_utf8(strip_own_results(raw, HOST).unwrap()).unwrap();
    assert_eq!(
        out,
        "Authentication-Results: mx.example.org; spf=fail\r\n\
         Authentication-Results: mail.test.evil.org; spf=pass\r\n\
         Subject: x\r\n\
         \r\n\
         Authentication-Results: mail.test; in the body\r\n"
    );
    assert_eq!(strip_own_results(b"Subject: x\r\n\r\nbody", HOST), None);
    // LF-only messages too.
    let out = strip_own_results(b"Authentication-Results: mail.test; x\nSubject: y\n\nz", HOST).unwrap();
    assert_eq!(out, b"Subject: y\n\nz");
}

#[test]
fn folding_keeps_the_text() {
    let long = format!("X: {}\r\n", "word ".repeat(40).trim_end());
    let folded = fold(&long);
    for line in folded.trim_end_matches("\r\n").split("\r\n") {
        assert!(line.len() <= 78, "{line:?}");
    }
    assert_eq!(unfold(&folded), unfold(&long));
    // A word longer than a line stays whole.
    let unbreakable = format!("X: {}", "a".repeat(100));
    assert_eq!(unfold(&fold(&unbreakable)), unbreakable);
    assert!(fold(&unbreakable).contains(&"a".repeat(100)));
}

#[test]
fn authserv_id_and_domains() {
    assert_eq!(authserv_id("mail.test"), "mail.test");
    assert_eq!(authserv_id("a b;c"), "abc");
    assert_eq!(authserv_id(";"), "localhost");
    assert!(is_domain("mx.example.org"));
    assert!(is_domain("mx.example.org."));
    assert!(!is_domain("[192.0.2.1]"));
    assert!(!is_domain("localhost"));
    assert!(!is_domain(""));
}
