//! TLS for the SMTP client (STARTTLS, RFC 3207): the two ways a server's certificate is judged.
//!
//! - Opportunistic (RFC 7435 §3; RFC 3207 §4.1 lets the client go on after any certificate): any
//!   certificate is accepted, expired, self-signed or for another name; the handshake signatures are still
//!   checked, so the session is encrypted to whoever holds the key the server showed. Used for MX delivery,
//!   where no name is authenticated (MX records are not signed, and most MX certificates would fail).
//! - Verified: the chain must lead to a trusted root (the system's store, read once by
//!   `rustls-native-certs`, plus roots the caller adds) and name the host (RFC 6125). Used for routes
//!   that require TLS, e.g. a relay host that gets credentials.
//!
//! Invariants: the crypto provider is `ring`, passed explicitly (the process default is never installed or
//! read); both configurations are built once and shared.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// The client TLS configurations, built once.
#[derive(Clone)]
pub struct TlsConfigs {
    /// Any certificate (opportunistic TLS).
    pub opportunistic: Arc<ClientConfig>,
    /// Certificates checked against the roots and the host name.
    pub verified: Arc<ClientConfig>,
}

impl std::fmt::Debug for TlsConfigs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfigs")
    }
}

impl TlsConfigs {
    /// Builds both configurations; the verified one trusts the system's roots and `extra_roots`. Roots the
    /// system store holds that rustls cannot parse are skipped (logged at debug level).
    pub fn new(extra_roots: &[CertificateDer<'static>]) -> Result<TlsConfigs, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        for e in &native.errors {
            tracing::debug!(error = %e, "reading the system's trusted certificates");
        }
        let (added, ignored) = roots.add_parsable_certificates(native.certs);
        tracing::debug!(added, ignored, "system roots for verified outbound TLS");
        roots.add_parsable_certificates(extra_roots.iter().cloned());

        let verified = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let algorithms = provider.signature_verification_algorithms;
        let opportunistic = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate { algorithms }))
            .with_no_client_auth();
        Ok(TlsConfigs {
            opportunistic: Arc::new(opportunistic),
            verified: Arc::new(verified),
        })
    }
}

/// Accepts any certificate chain, but checks that the server holds the key of the certificate it showed.
#[derive(Debug)]
struct AnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
