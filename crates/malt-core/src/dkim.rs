//! DKIM signing of outgoing mail (RFC 6376) and key generation.
//!
//! Invariants:
//! - Private keys are PKCS#8 PEM text (`PRIVATE KEY`, RFC 5958; what `openssl genpkey` writes);
//!   PKCS#1 `RSA PRIVATE KEY` is read too. They are never logged, printed or part of an error
//!   message ([`GeneratedKey`]'s `Debug` hides them).
//! - Signing uses `ring` through `mail-auth`; RSA keys are *generated* with the pure-Rust `rsa`
//!   crate (ring cannot generate RSA keys). Ed25519 (RFC 8463) is offered too, but many receivers
//!   still verify RSA only, so RSA-2048 is the default.
//! - The published RSA key is a SubjectPublicKeyInfo (what `openssl rsa -pubout` and OpenDKIM
//!   publish; RFC 6376 §3.6.1 names RSAPublicKey, and verifiers accept both); Ed25519's is the raw
//!   32-octet key (RFC 8463 §4.2).
//! - Signatures use relaxed/relaxed canonicalization (RFC 6376 §3.4.2, §3.4.4) over every header of
//!   [`SIGNED_HEADERS`]: one the message lacks is signed as absent (RFC 6376 §5.4.2), so it cannot
//!   be added in transit without breaking the signature. No `l=` (body length) tag, `t=` set, no
//!   expiry.

use std::fmt::Write as _;

use base64::Engine as _;
use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256, SigningKey};
use mail_auth::common::headers::HeaderWriter as _;
use mail_auth::dkim::generate::DkimKeyPair;
use mail_auth::dkim::{Canonicalization, DkimSigner, Signature};
use malt_store::StoreError;
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject as _;

use crate::mail::MailCore;

/// Header fields signed (RFC 6376 §5.4.1 recommends these); absent ones are signed as absent.
pub const SIGNED_HEADERS: [&str; 12] = [
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
];

/// The default selector of `malt dkim generate`.
pub const DEFAULT_SELECTOR: &str = "malt";

/// A key algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// RSA, 2048-bit modulus, `rsa-sha256` (RFC 8301 §3.2: at least 1024, 2048 recommended).
    Rsa2048,
    /// Ed25519, `ed25519-sha256` (RFC 8463).
    Ed25519,
}

impl KeyAlgorithm {
    /// The `a=` tag value (and the store's `DkimKey::algorithm`).
    pub fn signing_algorithm(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa2048 => "rsa-sha256",
            KeyAlgorithm::Ed25519 => "ed25519-sha256",
        }
    }

    /// The `k=` tag value of the DNS record.
    pub fn key_type(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa2048 => "rsa",
            KeyAlgorithm::Ed25519 => "ed25519",
        }
    }

    /// From a `k=` value (`rsa`, `ed25519`) or an `a=` value (`rsa-sha256`, `ed25519-sha256`).
    pub fn parse(s: &str) -> Option<KeyAlgorithm> {
        match s.to_ascii_lowercase().as_str() {
            "rsa" | "rsa-sha256" => Some(KeyAlgorithm::Rsa2048),
            "ed25519" | "ed25519-sha256" => Some(KeyAlgorithm::Ed25519),
            _ => None,
        }
    }
}

/// Why signing or key generation failed. Never carries key material.
#[derive(Debug, thiserror::Error)]
pub enum DkimError {
    /// The key could not be generated.
    #[error("DKIM key generation failed: {0}")]
    Generate(String),
    /// The stored key is not usable (bad PEM, wrong algorithm).
    #[error("the DKIM key of {domain} (selector {selector}) is not usable: {reason}")]
    BadKey {
        domain: String,
        selector: String,
        reason: String,
    },
    /// The message could not be signed (e.g. it has no header).
    #[error("DKIM signing failed: {0}")]
    Sign(String),
    /// The key could not be read from the store.
    #[error("cannot read the DKIM key: {0}")]
    Store(#[from] StoreError),
    /// A domain or selector that cannot appear in a DNS name.
    #[error("invalid {what} {value:?}: {reason}")]
    Invalid {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
}

/// A freshly generated key pair.
#[derive(Clone, PartialEq, Eq)]
pub struct GeneratedKey {
    /// The private key, PEM.
    pub private_key_pem: String,
    /// The public key as it goes in the DNS record's `p=` tag (base64).
    pub public_key_base64: String,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("private_key_pem", &"<redacted>")
            .field("public_key_base64", &self.public_key_base64)
            .finish()
    }
}

/// Generates a key pair: (private key PEM, public key base64 for `p=`).
pub fn generate(algorithm: KeyAlgorithm) -> Result<GeneratedKey, DkimError> {
    let gen_err = |e: mail_auth::Error| DkimError::Generate(e.to_string());
    match algorithm {
        KeyAlgorithm::Rsa2048 => {
            let pair = DkimKeyPair::generate_rsa(2048).map_err(gen_err)?;
            let (private, public) = pair.into_inner();
            Ok(GeneratedKey {
                private_key_pem: pem("PRIVATE KEY", &rsa_pkcs8(&private)),
                public_key_base64: base64::engine::general_purpose::STANDARD.encode(rsa_spki(&public)),
            })
        }
        KeyAlgorithm::Ed25519 => {
            let pair = DkimKeyPair::generate_ed25519().map_err(gen_err)?;
            let (private, public) = pair.into_inner();
            Ok(GeneratedKey {
                private_key_pem: pem("PRIVATE KEY", &private),
                public_key_base64: base64::engine::general_purpose::STANDARD.encode(public),
            })
        }
    }
}

/// The public key (`p=` value) of a stored private key, to print its DNS record again.
pub fn public_key_base64(algorithm: &str, private_key_pem: &str) -> Result<String, DkimError> {
    let bad = |reason: &str| DkimError::BadKey {
        domain: String::new(),
        selector: String::new(),
        reason: reason.to_owned(),
    };
    let alg = KeyAlgorithm::parse(algorithm).ok_or_else(|| bad("unknown algorithm"))?;
    let der = PrivateKeyDer::from_pem_slice(private_key_pem.as_bytes())
        .map_err(|_| bad("not a PEM private key"))?;
    let public = match (alg, der) {
        (KeyAlgorithm::Rsa2048, der) => rsa_spki(
            &RsaKey::<Sha256>::from_key_der(der)
                .map_err(|_| bad("not an RSA private key"))?
                .public_key(),
        ),
        (KeyAlgorithm::Ed25519, PrivateKeyDer::Pkcs8(der)) => {
            Ed25519Key::from_pkcs8_maybe_unchecked_der(der.secret_pkcs8_der())
                .map_err(|_| bad("not an Ed25519 private key"))?
                .public_key()
        }
        (KeyAlgorithm::Ed25519, _) => return Err(bad("an Ed25519 key must be PKCS#8")),
    };
    Ok(base64::engine::general_purpose::STANDARD.encode(public))
}

/// PEM armour (RFC 7468): base64 in lines of 64.
fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    let _ = writeln!(out, "-----END {label}-----");
    out
}

/// A DER length.
fn der_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
}

/// AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL } (RFC 3279 §2.3.1).
const RSA_ALGORITHM: [u8; 15] = [
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

/// Wraps a PKCS#1 RSAPublicKey in a SubjectPublicKeyInfo (RFC 5280 §4.1).
fn rsa_spki(pkcs1: &[u8]) -> Vec<u8> {
    let mut bit_string = vec![0x03];
    der_len(pkcs1.len() + 1, &mut bit_string);
    bit_string.push(0); // no unused bits
    bit_string.extend_from_slice(pkcs1);
    let mut out = vec![0x30];
    der_len(RSA_ALGORITHM.len() + bit_string.len(), &mut out);
    out.extend_from_slice(&RSA_ALGORITHM);
    out.extend_from_slice(&bit_string);
    out
}

/// Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo (RFC 5958 §2: version 0, the
/// rsaEncryption algorithm, the key as an OCTET STRING).
fn rsa_pkcs8(pkcs1: &[u8]) -> Vec<u8> {
    let mut octets = vec![0x04];
    der_len(pkcs1.len(), &mut octets);
    octets.extend_from_slice(pkcs1);
    let version = [0x02, 0x01, 0x00];
    let mut out = vec![0x30];
    der_len(version.len() + RSA_ALGORITHM.len() + octets.len(), &mut out);
    out.extend_from_slice(&version);
    out.extend_from_slice(&RSA_ALGORITHM);
    out.extend_from_slice(&octets);
    out
}

/// Checks a domain name or selector: dot-separated labels of letters, digits, `-` and `_`
/// (RFC 6376 §3.1 selectors are sub-domains), at most 253 octets.
pub fn validate_dns_name(what: &'static str, value: &str) -> Result<(), DkimError> {
    let bad = |reason| DkimError::Invalid {
        what,
        value: value.to_owned(),
        reason,
    };
    if value.is_empty() || value.len() > 253 {
        return Err(bad("must be 1 to 253 characters"));
    }
    for label in value.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(bad("each dot-separated part must be 1 to 63 characters"));
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(bad("only letters, digits, '-', '_' and '.' are allowed"));
        }
    }
    Ok(())
}

/// The TXT record value to publish: `v=DKIM1; k=rsa; p=...` (RFC 6376 §3.6.1).
pub fn txt_value(algorithm: KeyAlgorithm, public_key_base64: &str) -> String {
    format!("v=DKIM1; k={}; p={public_key_base64}", algorithm.key_type())
}

/// The zone-file line to publish: `SELECTOR._domainkey.DOMAIN. IN TXT "..." "..."`, the value
/// split into strings of at most 255 octets (RFC 1035 §3.3.14; RFC 6376 §3.6.2.2 concatenates
/// them).
pub fn dns_record(selector: &str, domain: &str, algorithm: KeyAlgorithm, public_key_base64: &str) -> String {
    let value = txt_value(algorithm, public_key_base64);
    let strings: Vec<String> = value
        .as_bytes()
        .chunks(255)
        .map(|c| format!("\"{}\"", String::from_utf8_lossy(c)))
        .collect();
    format!(
        "{selector}._domainkey.{}. IN TXT {}",
        domain.trim_end_matches('.'),
        strings.join(" ")
    )
}

/// Signs `message` with the key of `domain`/`selector` and returns the `DKIM-Signature: ...\r\n`
/// header to prepend. `algorithm` is the store's `rsa-sha256` or `ed25519-sha256`.
pub fn sign(
    message: &[u8],
    domain: &str,
    selector: &str,
    algorithm: &str,
    private_key_pem: &str,
) -> Result<String, DkimError> {
    let bad_key = |reason: String| DkimError::BadKey {
        domain: domain.to_owned(),
        selector: selector.to_owned(),
        reason,
    };
    let alg =
        KeyAlgorithm::parse(algorithm).ok_or_else(|| bad_key(format!("unknown algorithm {algorithm:?}")))?;
    let der = PrivateKeyDer::from_pem_slice(private_key_pem.as_bytes())
        .map_err(|_| bad_key("not a PEM private key".to_owned()))?;
    let signature = match (alg, der) {
        (KeyAlgorithm::Rsa2048, der) => {
            let key = RsaKey::<Sha256>::from_key_der(der)
                .map_err(|_| bad_key("not an RSA private key".to_owned()))?;
            sign_with(key, message, domain, selector)?
        }
        (KeyAlgorithm::Ed25519, PrivateKeyDer::Pkcs8(der)) => {
            let key = Ed25519Key::from_pkcs8_maybe_unchecked_der(der.secret_pkcs8_der())
                .map_err(|_| bad_key("not an Ed25519 private key".to_owned()))?;
            sign_with(key, message, domain, selector)?
        }
        (KeyAlgorithm::Ed25519, _) => {
            return Err(bad_key("an Ed25519 key must be PKCS#8".to_owned()));
        }
    };
    Ok(signature.to_header())
}

fn sign_with<K: SigningKey>(
    key: K,
    message: &[u8],
    domain: &str,
    selector: &str,
) -> Result<Signature, DkimError> {
    DkimSigner::from_key(key)
        .domain(domain)
        .selector(selector)
        .headers(SIGNED_HEADERS)
        .header_canonicalization(Canonicalization::Relaxed)
        .body_canonicalization(Canonicalization::Relaxed)
        .sign(message)
        .map_err(|e| DkimError::Sign(e.to_string()))
}

/// The domain of the message's first `From:` address (RFC 5322 §3.6.2), lower-cased.
pub fn from_domain(message: &[u8]) -> Option<String> {
    let parsed = mail_parser::MessageParser::new().parse_headers(message)?;
    let addr = parsed.from()?.first()?.address()?;
    let (_, domain) = addr.rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    (!domain.is_empty()).then_some(domain)
}

impl MailCore {
    /// The `DKIM-Signature: ...\r\n` header to prepend to outgoing `message`, signed with the newest
    /// key of its `From:` domain (`Store::dkim_key_get`). `None` when signing is off
    /// ([`crate::DeliveryOptions::dkim_sign`]), the message has no From domain, or that domain has
    /// no key. Signing runs on the blocking pool.
    pub async fn dkim_sign(&self, message: &[u8]) -> Result<Option<String>, DkimError> {
        if !self.delivery_options().dkim_sign {
            return Ok(None);
        }
        let Some(domain) = from_domain(message) else {
            return Ok(None);
        };
        let Some(key) = self.storage().store.dkim_key_get(&domain).await? else {
            return Ok(None);
        };
        let message = message.to_vec();
        tokio::task::spawn_blocking(move || {
            sign(
                &message,
                &key.domain,
                &key.selector,
                &key.algorithm,
                &key.private_key_pem,
            )
        })
        .await
        .map_err(|e| DkimError::Sign(e.to_string()))?
        .map(Some)
    }

    /// `message` with its DKIM-Signature prepended ([`MailCore::dkim_sign`]); unchanged when there is
    /// nothing to sign with or signing failed (logged: an unsigned message beats a lost one).
    pub async fn dkim_signed(&self, message: &[u8]) -> Vec<u8> {
        match self.dkim_sign(message).await {
            Ok(Some(header)) => [header.as_bytes(), message].concat(),
            Ok(None) => message.to_vec(),
            Err(e) => {
                tracing::warn!(error = %e, "DKIM signing failed; sending unsigned");
                message.to_vec()
            }
        }
    }
}

#[cfg(test)]
mod tests;
