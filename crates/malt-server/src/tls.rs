//! TLS certificates for every listener: loaded from `[tls]`, or self-signed on first start.
//!
//! Invariants:
//! - One `rustls::ServerConfig` serves every listener (implicit TLS and STARTTLS alike). Its certificate is
//!   chosen by [`SwappableCert`], so [`TlsManager::reload`] (SIGHUP) changes the certificate for new
//!   handshakes without rebuilding acceptors; sessions already in TLS keep theirs.
//! - A failed reload changes nothing: the old certificate stays in use.
//! - The crypto provider is `ring`, passed explicitly; the process-wide default provider is never consulted
//!   or installed.
//! - The self-signed certificate (SANs: hostname, `localhost`, `127.0.0.1`, `::1`) is written once to
//!   `<data_dir>/tls/cert.pem` and `key.pem` (mode 0600, written to a temporary file then renamed), and
//!   reused on later starts so clients that pinned it keep working.

use std::fmt;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use malt_config::Config;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio_rustls::TlsAcceptor;

/// Errors loading or creating certificates.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Reading or writing a PEM file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The PEM file held no certificate or no private key.
    #[error("{}: {what}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// What was missing or malformed.
        what: String,
    },
    /// rustls refused the certificate or key (e.g. they do not match).
    #[error("certificate {}: {error}", path.display())]
    Rustls {
        /// rustls's reason.
        error: rustls::Error,
        /// The certificate file.
        path: PathBuf,
    },
    /// Generating the self-signed certificate failed.
    #[error("generating self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
}

/// A certificate resolver whose certificate can be replaced at runtime.
pub struct SwappableCert {
    current: RwLock<Arc<CertifiedKey>>,
}

impl fmt::Debug for SwappableCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SwappableCert")
    }
}

impl SwappableCert {
    fn get(&self) -> Arc<CertifiedKey> {
        // A poisoned lock still holds a valid Arc: the writer only ever assigns a whole value.
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, key: Arc<CertifiedKey>) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = key;
    }
}

impl ResolvesServerCert for SwappableCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.get())
    }
}

/// Where the certificate comes from.
#[derive(Debug, Clone)]
enum Source {
    /// `[tls] cert` and `key`.
    Files { cert: PathBuf, key: PathBuf },
    /// Generated into `dir` (cert.pem, key.pem) for `hostname` when absent.
    SelfSigned { dir: PathBuf, hostname: String },
}

/// Owns the server certificate and the rustls configuration built on it.
pub struct TlsManager {
    source: Source,
    provider: Arc<CryptoProvider>,
    resolver: Arc<SwappableCert>,
    server_config: Arc<ServerConfig>,
}

impl fmt::Debug for TlsManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsManager")
            .field("source", &self.source)
            .finish()
    }
}

impl TlsManager {
    /// Loads `[tls] cert`/`key`, or creates (first start) or reuses the self-signed certificate in
    /// `<data_dir>/tls/`.
    pub fn from_config(config: &Config) -> Result<TlsManager, TlsError> {
        let source = match (&config.tls.cert, &config.tls.key) {
            (Some(cert), Some(key)) => Source::Files {
                cert: cert.clone(),
                key: key.clone(),
            },
            _ => Source::SelfSigned {
                dir: config.tls_dir(),
                hostname: config.hostname.clone(),
            },
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        if let Source::SelfSigned { dir, hostname } = &source {
            ensure_self_signed(dir, hostname)?;
        }
        let (cert_path, key_path) = paths(&source);
        let key = load_certified_key(&cert_path, &key_path, &provider)?;
        let resolver = Arc::new(SwappableCert {
            current: RwLock::new(Arc::new(key)),
        });
        let server_config = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|error| TlsError::Rustls {
                error,
                path: cert_path.clone(),
            })?
            .with_no_client_auth()
            .with_cert_resolver(resolver.clone());
        Ok(TlsManager {
            source,
            provider,
            resolver,
            server_config: Arc::new(server_config),
        })
    }

    /// Re-reads the certificate and key files (SIGHUP). On error the current certificate stays in use; the
    /// caller logs the error.
    pub fn reload(&self) -> Result<(), TlsError> {
        let (cert, key) = paths(&self.source);
        let new = load_certified_key(&cert, &key, &self.provider)?;
        self.resolver.set(Arc::new(new));
        tracing::info!(cert = %cert.display(), "TLS certificate reloaded");
        Ok(())
    }

    /// The rustls configuration shared by every listener.
    pub fn server_config(&self) -> Arc<ServerConfig> {
        self.server_config.clone()
    }

    /// An acceptor for implicit TLS and STARTTLS.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.server_config.clone())
    }

    /// The certificate file in use (configured, or `<data_dir>/tls/cert.pem`).
    pub fn cert_path(&self) -> PathBuf {
        paths(&self.source).0
    }

    /// The key file in use (configured, or `<data_dir>/tls/key.pem`).
    pub fn key_path(&self) -> PathBuf {
        paths(&self.source).1
    }

    /// The DER of the leaf certificate currently presented.
    pub fn current_cert_der(&self) -> Option<CertificateDer<'static>> {
        self.resolver.get().cert.first().cloned()
    }
}

fn paths(source: &Source) -> (PathBuf, PathBuf) {
    match source {
        Source::Files { cert, key } => (cert.clone(), key.clone()),
        Source::SelfSigned { dir, .. } => (dir.join("cert.pem"), dir.join("key.pem")),
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TlsError + '_ {
    move |source| TlsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates `dir/cert.pem` and `dir/key.pem` unless both exist.
fn ensure_self_signed(dir: &Path, hostname: &str) -> Result<(), TlsError> {
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    if cert_path.exists() && key_path.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let mut sans = vec![
        hostname.to_string(),
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    sans.dedup();
    let generated = rcgen::generate_simple_self_signed(sans)?;
    // The key first: a crash between the two renames leaves no cert without its key.
    write_atomic(&key_path, generated.signing_key.serialize_pem().as_bytes(), 0o600)?;
    write_atomic(&cert_path, generated.cert.pem().as_bytes(), 0o644)?;
    tracing::info!(cert = %cert_path.display(), "created a self-signed TLS certificate");
    Ok(())
}

/// Writes `path` via a temporary file in the same directory (created with `mode`), fsync, rename.
fn write_atomic(path: &Path, data: &[u8], mode: u32) -> Result<(), TlsError> {
    let tmp = path.with_extension("pem.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .map_err(io_err(&tmp))?;
    f.write_all(data).map_err(io_err(&tmp))?;
    f.sync_all().map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_err(path))?;
    Ok(())
}

fn load_certified_key(
    cert_path: &Path,
    key_path: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let cert_pem = std::fs::read(cert_path).map_err(io_err(cert_path))?;
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Pem {
            path: cert_path.to_path_buf(),
            what: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            path: cert_path.to_path_buf(),
            what: "no CERTIFICATE found".into(),
        });
    }
    let key_pem = std::fs::read(key_path).map_err(io_err(key_path))?;
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|e| TlsError::Pem {
            path: key_path.to_path_buf(),
            what: e.to_string(),
        })?
        .ok_or_else(|| TlsError::Pem {
            path: key_path.to_path_buf(),
            what: "no PRIVATE KEY found".into(),
        })?;
    CertifiedKey::from_der(certs, key, provider).map_err(|error| TlsError::Rustls {
        error,
        path: cert_path.to_path_buf(),
    })
}
