use base64::Engine as _;

use super::*;

#[test]
fn algorithms_parse() {
    assert_eq!(KeyAlgorithm::parse("RSA"), Some(KeyAlgorithm::Rsa2048));
    assert_eq!(KeyAlgorithm::parse("rsa-sha256"), Some(KeyAlgorithm::Rsa2048));
    assert_eq!(KeyAlgorithm::parse("ed25519"), Some(KeyAlgorithm::Ed25519));
    assert_eq!(KeyAlgorithm::parse("ed25519-sha256"), Some(KeyAlgorithm::Ed25519));
    assert_eq!(KeyAlgorithm::parse("dsa"), None);
}

#[test]
fn ed25519_key_is_pkcs8_pem_and_32_octet_public_key() {
    let k = generate(KeyAlgorithm::Ed25519).unwrap();
    assert!(k.private_key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(k.private_key_pem.ends_with("-----END PRIVATE KEY-----\n"));
    let public = base64::engine::general_purpose::STANDARD
        .decode(&k.public_key_base64)
        .unwrap();
    assert_eq!(public.len(), 32);
    // The private key never shows in Debug output.
    let dbg = format!("{k:?}");
    assert!(!dbg.contains("BEGIN") && dbg.contains("redacted"), "{dbg}");
}

#[test]
fn rsa_key_is_pkcs8_pem_and_spki_public_key() {
    let k = generate(KeyAlgorithm::Rsa2048).unwrap();
    assert!(k.private_key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    // ring reads it as PKCS#8.
    let der = PrivateKeyDer::from_pem_slice(k.private_key_pem.as_bytes()).unwrap();
    assert!(matches!(der, PrivateKeyDer::Pkcs8(_)));
    RsaKey::<Sha256>::from_key_der(der).unwrap();
    for line in k.private_key_pem.lines() {
        assert!(line.len() <= 64 || line.starts_with("-----"), "{line}");
    }
    let spki = base64::engine::general_purpose::STANDARD
        .decode(&k.public_key_base64)
        .unwrap();
    // SEQUENCE (len 0x122) { SEQUENCE { rsaEncryption, NULL }, BIT STRING (len 0x10f) { 0, RSAPublicKey } }
    assert_eq!(spki.len(), 294);
    assert_eq!(&spki[..4], &[0x30, 0x82, 0x01, 0x22]);
    assert_eq!(&spki[19..24], &[0x03, 0x82, 0x01, 0x0f, 0x00]);
    assert_eq!(spki[24], 0x30, "an RSAPublicKey SEQUENCE follows");
}

#[test]
fn pkcs1_rsa_keys_are_read_too() {
    let k = generate(KeyAlgorithm::Rsa2048).unwrap();
    let der = PrivateKeyDer::from_pem_slice(k.private_key_pem.as_bytes()).unwrap();
    let PrivateKeyDer::Pkcs8(p8) = der else { panic!() };
    // PKCS#8 = SEQUENCE { INTEGER 0, AlgorithmIdentifier, OCTET STRING { PKCS#1 } }: take it out.
    let bytes = p8.secret_pkcs8_der();
    let pkcs1 = &bytes[4 + 3 + 15 + 4..];
    assert_eq!(pkcs1[0], 0x30);
    let pem1 = pem("RSA PRIVATE KEY", pkcs1);
    let h = sign(
        b"From: a@example.org\r\n\r\nx\r\n",
        "example.org",
        "s",
        "rsa-sha256",
        &pem1,
    )
    .unwrap();
    assert!(h.starts_with("DKIM-Signature: "));
}

#[test]
fn der_lengths() {
    let enc = |n| {
        let mut v = Vec::new();
        der_len(n, &mut v);
        v
    };
    assert_eq!(enc(5), vec![5]);
    assert_eq!(enc(127), vec![127]);
    assert_eq!(enc(128), vec![0x81, 128]);
    assert_eq!(enc(270), vec![0x82, 0x01, 0x0e]);
}

#[test]
fn dns_record_splits_long_values() {
    let p = "A".repeat(392);
    let r = dns_record("malt", "example.org", KeyAlgorithm::Rsa2048, &p);
    assert!(
        r.starts_with("malt._domainkey.example.org. IN TXT \"v=DKIM1; k=rsa; p=AAA"),
        "{r}"
    );
    // Joined back, the strings are the record value; none is over 255 octets.
    let value = r.split_once(" IN TXT ").unwrap().1;
    let parts: Vec<&str> = value.split("\" \"").collect();
    assert_eq!(parts.len(), 2);
    assert!(parts.iter().all(|p| p.trim_matches('"').len() <= 255));
    assert_eq!(
        parts.concat().trim_matches('"'),
        txt_value(KeyAlgorithm::Rsa2048, &p)
    );
    let short = dns_record("s", "example.org.", KeyAlgorithm::Ed25519, "abc");
    assert_eq!(
        short,
        "s._domainkey.example.org. IN TXT \"v=DKIM1; k=ed25519; p=abc\""
    );
}

#[test]
fn names_are_validated() {
    assert!(validate_dns_name("selector", "malt").is_ok());
    assert!(validate_dns_name("domain", "mail.example.org").is_ok());
    assert!(validate_dns_name("selector", "2026_01").is_ok());
    for bad in ["", "a..b", ".a", "a b", "a;b", "ä", &"x".repeat(64)] {
        assert!(validate_dns_name("selector", bad).is_err(), "{bad:?}");
    }
}

#[test]
fn signature_header_names_domain_selector_and_signed_headers() {
    let k = generate(KeyAlgorithm::Ed25519).unwrap();
    let msg = b"From: a@example.org\r\nTo: b@example.net\r\nSubject: s\r\nX-Other: y\r\n\r\nbody\r\n";
    let h = sign(msg, "example.org", "malt", "ed25519-sha256", &k.private_key_pem).unwrap();
    assert!(h.starts_with("DKIM-Signature: "), "{h}");
    assert!(h.ends_with("\r\n"));
    let unfolded = h.replace("\r\n", "").replace([' ', '\t'], "");
    assert!(unfolded.contains("a=ed25519-sha256"), "{unfolded}");
    assert!(unfolded.contains("d=example.org"));
    assert!(unfolded.contains("s=malt"));
    assert!(unfolded.contains("c=relaxed/relaxed"), "{unfolded}");
    // The listed headers are signed, present or not (absent ones cannot be added later);
    // others are not.
    let h_tag = unfolded
        .split(';')
        .find_map(|t| t.strip_prefix("h="))
        .unwrap()
        .to_ascii_lowercase();
    let mut signed: Vec<&str> = h_tag.split(':').collect();
    signed.sort_unstable();
    let mut want: Vec<String> = SIGNED_HEADERS.iter().map(|h| h.to_ascii_lowercase()).collect();
    want.sort_unstable();
    assert_eq!(signed, want);
    assert!(!h_tag.contains("x-other"));
}

#[test]
fn bad_keys_are_errors_without_key_material() {
    let k = generate(KeyAlgorithm::Ed25519).unwrap();
    let msg = b"From: a@example.org\r\n\r\nbody\r\n";
    // Ed25519 PEM used as RSA.
    let e = sign(msg, "example.org", "malt", "rsa-sha256", &k.private_key_pem).unwrap_err();
    assert!(matches!(e, DkimError::BadKey { .. }), "{e}");
    assert!(!e.to_string().contains("BEGIN"));
    let e = sign(msg, "example.org", "malt", "rsa-sha256", "garbage").unwrap_err();
    assert!(matches!(e, DkimError::BadKey { .. }), "{e}");
    let e = sign(msg, "example.org", "malt", "dsa", &k.private_key_pem).unwrap_err();
    assert!(matches!(e, DkimError::BadKey { .. }), "{e}");
}

#[test]
fn from_domain_of_messages() {
    assert_eq!(
        from_domain(b"From: Alice <alice@Example.ORG>\r\nTo: x@y\r\n\r\nb").as_deref(),
        Some("example.org")
    );
    assert_eq!(
        from_domain(b"From: a@one.org, b@two.org\r\n\r\nb").as_deref(),
        Some("one.org")
    );
    assert_eq!(from_domain(b"To: x@y\r\n\r\nb"), None);
    assert_eq!(from_domain(b"From: undisclosed\r\n\r\nb"), None);
}

#[test]
fn public_key_is_derived_from_the_private_key() {
    for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::Rsa2048] {
        let k = generate(alg).unwrap();
        assert_eq!(
            public_key_base64(alg.signing_algorithm(), &k.private_key_pem).unwrap(),
            k.public_key_base64,
            "{alg:?}"
        );
    }
    assert!(public_key_base64("rsa-sha256", "nope").is_err());
}
