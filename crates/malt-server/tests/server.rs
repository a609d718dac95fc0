//! The listener layer over real sockets: port-0 listeners, Unix socket listeners in a temporary data
//! directory, small test handlers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use malt_config::{Config, ListenerConfig, Protocol, ProxyProtocol, TlsMode};
use malt_server::http::{HttpHandler, HttpState, router};
use malt_server::{
    Connection, Handler, Server, SessionContext, TlsManager, Transport, UnixPeer, Wait, take_for_starttls,
};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpStream, UnixStream};
use tokio_rustls::TlsConnector;

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn listener(name: &str, protocol: Protocol, tls: TlsMode) -> ListenerConfig {
    ListenerConfig::new(name, protocol, LO, 0, tls)
}

fn config(dir: &Path, listeners: Vec<ListenerConfig>) -> Config {
    let mut c = Config::zero_config(dir.to_path_buf());
    c.hostname = "mail.test".to_string();
    c.listeners = listeners;
    c
}

/// Greets with "HELLO <remote> <tls>", then echoes lines; "STARTTLS" upgrades; idle and shutdown say BYE.
struct Echo;

#[async_trait]
impl Handler for Echo {
    async fn handle(&self, conn: Connection, ctx: SessionContext) {
        let greeting = format!("HELLO {} {}\r\n", conn.remote, conn.is_tls());
        echo(conn, ctx, &greeting).await;
    }
}

/// Writes `greeting`, then echoes lines as "ECHO <tls> <line>"; "STARTTLS" upgrades; idle and shutdown
/// say BYE.
async fn echo(conn: Connection, ctx: SessionContext, greeting: &str) {
    let mut reader = BufReader::new(conn);
    if reader.get_mut().write_all(greeting.as_bytes()).await.is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match ctx.wait_input(reader.read_line(&mut line)).await {
            Wait::Ready(Ok(n)) if n > 0 => {}
            Wait::Ready(_) => return,
            Wait::Idle => {
                let _ = reader.get_mut().write_all(b"BYE idle\r\n").await;
                return;
            }
            Wait::Shutdown => {
                let _ = reader.get_mut().write_all(b"BYE shutdown\r\n").await;
                return;
            }
        }
        if line.trim_end() == "STARTTLS" {
            reader.get_mut().write_all(b"OK\r\n").await.unwrap();
            let (conn, discarded) = take_for_starttls(reader);
            assert_eq!(discarded, 0);
            let conn = match ctx.start_tls(conn).await {
                Ok(c) => c,
                Err(_) => return,
            };
            assert!(ctx.plaintext_auth_allowed(&conn));
            reader = BufReader::new(conn);
            continue;
        }
        let reply = format!("ECHO {} {}\r\n", reader.get_ref().is_tls(), line.trim_end());
        if reader.get_mut().write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Ignores shutdown: sleeps for a long time.
struct Stubborn;

#[async_trait]
impl Handler for Stubborn {
    async fn handle(&self, mut conn: Connection, _ctx: SessionContext) {
        conn.write_all(b"HI\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
}

fn handlers(h: Arc<dyn Handler>) -> HashMap<Protocol, Arc<dyn Handler>> {
    Protocol::ALL.into_iter().map(|p| (p, h.clone())).collect()
}

async fn start(config: Config, h: Arc<dyn Handler>) -> (Server, Arc<TlsManager>) {
    let tls = Arc::new(TlsManager::from_config(&config).unwrap());
    let server = Server::start(Arc::new(config), tls.clone(), handlers(h))
        .await
        .unwrap();
    (server, tls)
}

async fn read_line<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> String {
    let mut s = String::new();
    tokio::time::timeout(Duration::from_secs(5), r.read_line(&mut s))
        .await
        .unwrap()
        .unwrap();
    s
}

/// Reads until EOF, expecting nothing more (a refused connection writes nothing).
async fn expect_eof<R: AsyncRead + Unpin>(r: &mut R) {
    let mut buf = Vec::new();
    let res = tokio::time::timeout(Duration::from_secs(5), r.read_to_end(&mut buf))
        .await
        .unwrap();
    match res {
        Ok(_) => assert!(
            buf.is_empty(),
            "expected EOF, got {:?}",
            String::from_utf8_lossy(&buf)
        ),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset),
    }
}

fn connector(cert_pem_path: &Path) -> TlsConnector {
    let pem = std::fs::read(cert_pem_path).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(c.unwrap()).unwrap();
    }
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(cfg))
}

async fn tls_connect<S: AsyncRead + AsyncWrite + Unpin>(
    connector: &TlsConnector,
    s: S,
) -> tokio_rustls::client::TlsStream<S> {
    connector
        .connect(ServerName::try_from("localhost").unwrap(), s)
        .await
        .unwrap()
}

fn presented_cert<S>(s: &tokio_rustls::client::TlsStream<S>) -> CertificateDer<'static> {
    s.get_ref().1.peer_certificates().unwrap()[0].clone().into_owned()
}

#[tokio::test]
async fn self_signed_certificate_is_created_once_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), vec![]);
    let first = TlsManager::from_config(&c).unwrap();
    let cert = dir.path().join("tls/cert.pem");
    let key = dir.path().join("tls/key.pem");
    assert_eq!(first.cert_path(), cert);
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let pem = std::fs::read(&cert).unwrap();
    let second = TlsManager::from_config(&c).unwrap();
    assert_eq!(std::fs::read(&cert).unwrap(), pem, "reused, not regenerated");
    assert_eq!(first.current_cert_der(), second.current_cert_der());
}

#[tokio::test]
async fn implicit_tls_listener() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(
        dir.path(),
        vec![listener("imaps", Protocol::Imap, TlsMode::Implicit)],
    );
    let (server, tls) = start(c, Arc::new(Echo)).await;
    let tcp = TcpStream::connect(server.local_addr("imaps").unwrap())
        .await
        .unwrap();
    let local = tcp.local_addr().unwrap();
    let mut s = BufReader::new(tls_connect(&connector(&tls.cert_path()), tcp).await);
    assert_eq!(read_line(&mut s).await, format!("HELLO {local} true\r\n"));
    s.get_mut().write_all(b"ping\r\n").await.unwrap();
    assert_eq!(read_line(&mut s).await, "ECHO true ping\r\n");
    assert_eq!(server.local_addr("nope"), None);
    server.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn starttls_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(
        dir.path(),
        vec![listener("imap", Protocol::Imap, TlsMode::StartTls)],
    );
    let (server, tls) = start(c, Arc::new(Echo)).await;
    let tcp = TcpStream::connect(server.local_addr("imap").unwrap())
        .await
        .unwrap();
    let mut plain = BufReader::new(tcp);
    assert!(read_line(&mut plain).await.ends_with(" false\r\n"));
    plain
        .get_mut()
        .write_all(b"before\r\nSTARTTLS\r\n")
        .await
        .unwrap();
    assert_eq!(read_line(&mut plain).await, "ECHO false before\r\n");
    assert_eq!(read_line(&mut plain).await, "OK\r\n");
    assert!(plain.buffer().is_empty());
    let mut s = BufReader::new(tls_connect(&connector(&tls.cert_path()), plain.into_inner()).await);
    s.get_mut().write_all(b"secret\r\n").await.unwrap();
    assert_eq!(read_line(&mut s).await, "ECHO true secret\r\n");
    server.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn per_ip_limit_refuses_the_next_connection() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path(), vec![listener("imap", Protocol::Imap, TlsMode::None)]);
    c.limits.max_connections_per_ip = 2;
    let (server, _) = start(c, Arc::new(Echo)).await;
    let addr = server.local_addr("imap").unwrap();
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = BufReader::new(TcpStream::connect(addr).await.unwrap());
        assert!(read_line(&mut s).await.starts_with("HELLO"));
        held.push(s);
    }
    let mut third = TcpStream::connect(addr).await.unwrap();
    expect_eof(&mut third).await;
    // Closing one frees its slot.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut s = BufReader::new(TcpStream::connect(addr).await.unwrap());
        let mut line = String::new();
        if s.read_line(&mut line).await.unwrap() > 0 {
            assert!(line.starts_with("HELLO"));
            break;
        }
        assert!(Instant::now() < deadline, "slot never freed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn global_connection_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path(), vec![listener("imap", Protocol::Imap, TlsMode::None)]);
    c.limits.max_connections = 1;
    let (server, _) = start(c, Arc::new(Echo)).await;
    let addr = server.local_addr("imap").unwrap();
    let mut first = BufReader::new(TcpStream::connect(addr).await.unwrap());
    assert!(read_line(&mut first).await.starts_with("HELLO"));
    let mut second = TcpStream::connect(addr).await.unwrap();
    expect_eof(&mut second).await;
    server.shutdown(Duration::from_secs(2)).await;
}

fn proxied(mode: ProxyProtocol, trusted: Vec<IpAddr>) -> ListenerConfig {
    let mut l = listener("proxied", Protocol::Imap, TlsMode::None);
    l.proxy_protocol = mode;
    l.trusted_proxies = trusted;
    l
}

#[tokio::test]
async fn proxy_protocol_v1_and_v2_set_remote() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), vec![proxied(ProxyProtocol::Any, vec![LO])]);
    let (server, _) = start(c, Arc::new(Echo)).await;
    let addr = server.local_addr("proxied").unwrap();

    let mut s = BufReader::new(TcpStream::connect(addr).await.unwrap());
    s.get_mut()
        .write_all(b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 143\r\n")
        .await
        .unwrap();
    assert_eq!(read_line(&mut s).await, "HELLO 192.0.2.7:40000 false\r\n");

    let src: SocketAddr = "[2001:db8::7]:40001".parse().unwrap();
    let dst: SocketAddr = "[2001:db8::1]:143".parse().unwrap();
    let header = ppp::v2::Builder::with_addresses(
        ppp::v2::Version::Two | ppp::v2::Command::Proxy,
        ppp::v2::Protocol::Stream,
        (src, dst),
    )
    .build()
    .unwrap();
    let mut s = BufReader::new(TcpStream::connect(addr).await.unwrap());
    s.get_mut().write_all(&header).await.unwrap();
    assert_eq!(read_line(&mut s).await, format!("HELLO {src} false\r\n"));
    s.get_mut().write_all(b"x\r\n").await.unwrap();
    assert_eq!(read_line(&mut s).await, "ECHO false x\r\n");
    server.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn malformed_or_untrusted_proxy_header_closes() {
    let dir = tempfile::tempdir().unwrap();
    let mut untrusted = proxied(ProxyProtocol::V1, vec!["192.0.2.1".parse().unwrap()]);
    untrusted.name = "untrusted".into();
    let c = config(dir.path(), vec![proxied(ProxyProtocol::V2, vec![]), untrusted]);
    let (server, _) = start(c, Arc::new(Echo)).await;

    let mut s = TcpStream::connect(server.local_addr("proxied").unwrap())
        .await
        .unwrap();
    s.write_all(b"GARBAGE NOT A PROXY HEADER\r\n").await.unwrap();
    expect_eof(&mut s).await;
    // A v1 header on a v2-only listener is refused too.
    let mut s = TcpStream::connect(server.local_addr("proxied").unwrap())
        .await
        .unwrap();
    s.write_all(b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 143\r\n")
        .await
        .unwrap();
    expect_eof(&mut s).await;
    // Loopback is not in trusted_proxies: closed even with a good header.
    let mut s = TcpStream::connect(server.local_addr("untrusted").unwrap())
        .await
        .unwrap();
    let _ = s
        .write_all(b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 143\r\n")
        .await;
    expect_eof(&mut s).await;
    server.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn idle_timeout_closes_idle_session() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path(), vec![listener("imap", Protocol::Imap, TlsMode::None)]);
    c.timeouts.idle_secs = 1;
    let (server, _) = start(c, Arc::new(Echo)).await;
    let started = Instant::now();
    let mut s = BufReader::new(
        TcpStream::connect(server.local_addr("imap").unwrap())
            .await
            .unwrap(),
    );
    assert!(read_line(&mut s).await.starts_with("HELLO"));
    assert_eq!(read_line(&mut s).await, "BYE idle\r\n");
    assert!(started.elapsed() >= Duration::from_millis(900));
    expect_eof(&mut s).await;
    server.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn shutdown_stops_accepting_and_ends_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), vec![listener("imap", Protocol::Imap, TlsMode::None)]);
    let (server, _) = start(c, Arc::new(Echo)).await;
    let addr = server.local_addr("imap").unwrap();
    let mut s = BufReader::new(TcpStream::connect(addr).await.unwrap());
    assert!(read_line(&mut s).await.starts_with("HELLO"));
    assert_eq!(server.active_sessions(), 1);
    let started = Instant::now();
    server.shutdown(Duration::from_secs(5)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "cooperative sessions end well within the grace"
    );
    assert_eq!(read_line(&mut s).await, "BYE shutdown\r\n");
    expect_eof(&mut s).await;
    assert!(TcpStream::connect(addr).await.is_err(), "no longer accepting");
}

#[tokio::test]
async fn shutdown_aborts_sessions_after_grace() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), vec![listener("imap", Protocol::Imap, TlsMode::None)]);
    let (server, _) = start(c, Arc::new(Stubborn)).await;
    let mut s = BufReader::new(
        TcpStream::connect(server.local_addr("imap").unwrap())
            .await
            .unwrap(),
    );
    assert_eq!(read_line(&mut s).await, "HI\r\n");
    let started = Instant::now();
    server.shutdown(Duration::from_millis(300)).await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    expect_eof(&mut s).await;
}

#[tokio::test]
async fn missing_handler_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), vec![listener("pop3", Protocol::Pop3, TlsMode::None)]);
    let tls = Arc::new(TlsManager::from_config(&c).unwrap());
    let err = Server::start(Arc::new(c), tls, HashMap::new()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "listener \"pop3\": no handler registered for protocol pop3"
    );
}

async fn http_get(addr: SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_string(&mut out))
        .await
        .unwrap()
        .unwrap();
    out
}

#[tokio::test]
async fn healthz_and_metrics_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(
        dir.path(),
        vec![
            listener("ok", Protocol::Http, TlsMode::None),
            listener("sick", Protocol::Smtp, TlsMode::None),
        ],
    );
    let ok = router(HttpState::new(Arc::new(|| Box::pin(async { Ok(()) }))));
    let sick = router(HttpState::new(Arc::new(|| {
        Box::pin(async { Err("database is down".to_string()) })
    })));
    let mut hs: HashMap<Protocol, Arc<dyn Handler>> = HashMap::new();
    hs.insert(Protocol::Http, Arc::new(HttpHandler::new(ok)));
    // Any protocol can carry HTTP in a test; "sick" reuses the SMTP slot.
    hs.insert(Protocol::Smtp, Arc::new(HttpHandler::new(sick)));
    let tls = Arc::new(TlsManager::from_config(&c).unwrap());
    let server = Server::start(Arc::new(c), tls, hs).await.unwrap();

    let r = http_get(server.local_addr("ok").unwrap(), "/healthz").await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert!(r.ends_with("\r\n\r\nok\n"), "{r}");
    let r = http_get(server.local_addr("sick").unwrap(), "/healthz").await;
    assert!(r.starts_with("HTTP/1.1 503"), "{r}");
    assert!(!r.contains("database is down"), "internal errors stay in the log");
    let r = http_get(server.local_addr("ok").unwrap(), "/metrics").await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    for name in [
        "malt_sessions_total",
        "malt_sessions_active",
        "malt_store_latency_seconds",
    ] {
        assert!(r.contains(name), "{name} missing from {r}");
    }
    let r = http_get(server.local_addr("ok").unwrap(), "/nope").await;
    assert!(r.starts_with("HTTP/1.1 404"), "{r}");
    server.shutdown(Duration::from_secs(2)).await;
}

fn write_cert(dir: &Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), name.to_string()]).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

#[tokio::test]
async fn reload_presents_the_new_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = write_cert(dir.path(), "one.test");
    let mut c = config(
        dir.path(),
        vec![listener("imaps", Protocol::Imap, TlsMode::Implicit)],
    );
    c.tls.cert = Some(cert.clone());
    c.tls.key = Some(key.clone());
    let (server, tls) = start(c, Arc::new(Echo)).await;
    let addr = server.local_addr("imaps").unwrap();

    let first = {
        let s = tls_connect(&connector(&cert), TcpStream::connect(addr).await.unwrap()).await;
        presented_cert(&s)
    };
    write_cert(dir.path(), "two.test");
    let trust_new = connector(&cert);
    tls.reload().unwrap();
    let second = {
        let s = tls_connect(&trust_new, TcpStream::connect(addr).await.unwrap()).await;
        presented_cert(&s)
    };
    assert_ne!(first, second);
    assert_eq!(tls.current_cert_der(), Some(second.clone()));

    // A failed reload keeps the current certificate.
    std::fs::write(&key, "not a key").unwrap();
    assert!(tls.reload().is_err());
    let s = tls_connect(&trust_new, TcpStream::connect(addr).await.unwrap()).await;
    assert_eq!(presented_cert(&s), second);
    server.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn placeholder_greetings() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(
        dir.path(),
        vec![
            listener("imap", Protocol::Imap, TlsMode::None),
            listener("smtp", Protocol::Smtp, TlsMode::None),
        ],
    );
    let hs: HashMap<Protocol, Arc<dyn Handler>> = Protocol::ALL
        .into_iter()
        .map(|p| (p, malt_server::placeholder::placeholder(p)))
        .collect();
    let tls = Arc::new(TlsManager::from_config(&c).unwrap());
    let server = Server::start(Arc::new(c), tls, hs).await.unwrap();

    let mut s = BufReader::new(
        TcpStream::connect(server.local_addr("imap").unwrap())
            .await
            .unwrap(),
    );
    assert_eq!(
        read_line(&mut s).await,
        "* BYE [UNAVAILABLE] IMAP service not available yet\r\n"
    );
    expect_eof(&mut s).await;

    let mut s = BufReader::new(
        TcpStream::connect(server.local_addr("smtp").unwrap())
            .await
            .unwrap(),
    );
    assert_eq!(
        read_line(&mut s).await,
        "554 5.3.2 mail.test SMTP service not available yet\r\n"
    );
    s.get_mut().write_all(b"EHLO client.test\r\n").await.unwrap();
    assert!(read_line(&mut s).await.starts_with("503 5.5.1 "));
    s.get_mut().write_all(b"QUIT\r\n").await.unwrap();
    assert!(read_line(&mut s).await.starts_with("221 2.0.0 "));
    expect_eof(&mut s).await;
    server.shutdown(Duration::from_secs(2)).await;
}

// Unix domain socket listeners (`path`), as a local MTA delivers by LMTP.

/// Greets with "PEER <remote> <transport> <plaintext auth allowed>", then as [`Echo`].
struct Peer;

#[async_trait]
impl Handler for Peer {
    async fn handle(&self, conn: Connection, ctx: SessionContext) {
        let greeting = format!(
            "PEER {} {:?} {}\r\n",
            conn.remote,
            conn.transport,
            ctx.plaintext_auth_allowed(&conn)
        );
        echo(conn, ctx, &greeting).await;
    }
}

/// The error of a server that must not start.
async fn start_err(c: Config) -> String {
    let tls = Arc::new(TlsManager::from_config(&c).unwrap());
    Server::start(Arc::new(c), tls, handlers(Arc::new(Peer)))
        .await
        .unwrap_err()
        .to_string()
}

fn unix_listener(name: &str, path: &Path, mode: Option<u32>) -> ListenerConfig {
    let mut l = ListenerConfig::unix(name, Protocol::Lmtp, path);
    l.mode = mode;
    l
}

fn is_socket(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

async fn unix_connect(path: &Path) -> BufReader<UnixStream> {
    BufReader::new(UnixStream::connect(path).await.unwrap())
}

#[tokio::test]
async fn unix_listener_accepts_applies_mode_and_is_removed_on_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let lmtp = dir.path().join("lmtp.sock");
    let private = dir.path().join("private.sock");
    let c = config(
        dir.path(),
        vec![
            unix_listener("lmtp-unix", &lmtp, None),
            unix_listener("private", &private, Some(0o600)),
            listener("tcp", Protocol::Imap, TlsMode::None),
        ],
    );
    let (server, _) = start(c, Arc::new(Peer)).await;
    assert_eq!(server.local_path("lmtp-unix"), Some(lmtp.as_path()));
    assert_eq!(server.local_path("tcp"), None);
    assert_eq!(server.local_addr("lmtp-unix"), None);
    assert_eq!(server.local_paths().len(), 2);
    assert_eq!(server.local_addrs().len(), 1);
    // The default mode lets owner and group connect; "0600" only the owner.
    for (path, mode) in [(&lmtp, 0o660), (&private, 0o600)] {
        let meta = std::fs::symlink_metadata(path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o7777, mode, "{}", path.display());
    }

    // A Unix peer is loopback for the protocol code, with the kernel's credentials of this process.
    let uid = std::fs::metadata(dir.path()).unwrap().uid();
    let gid = std::fs::metadata(&lmtp).unwrap().gid();
    let mut s = unix_connect(&lmtp).await;
    let peer = UnixPeer {
        uid,
        gid,
        pid: Some(std::process::id() as i32),
    };
    assert_eq!(
        read_line(&mut s).await,
        format!("PEER 127.0.0.1:0 {:?} true\r\n", Transport::Unix(Some(peer)))
    );
    s.get_mut().write_all(b"hello\r\n").await.unwrap();
    assert_eq!(read_line(&mut s).await, "ECHO false hello\r\n");
    // STARTTLS cannot happen on a Unix socket: the session ends.
    s.get_mut().write_all(b"STARTTLS\r\n").await.unwrap();
    assert_eq!(read_line(&mut s).await, "OK\r\n");
    expect_eof(&mut s).await;
    let mut s = unix_connect(&lmtp).await;
    assert!(read_line(&mut s).await.starts_with("PEER 127.0.0.1:0 Unix("));
    // Over TCP the same handler sees the real peer.
    let tcp = TcpStream::connect(server.local_addr("tcp").unwrap())
        .await
        .unwrap();
    let local = tcp.local_addr().unwrap();
    let mut t = BufReader::new(tcp);
    assert_eq!(read_line(&mut t).await, format!("PEER {local} Tcp true\r\n"));

    // Shutdown ends the session and removes both socket files.
    server.shutdown(Duration::from_secs(5)).await;
    assert_eq!(read_line(&mut s).await, "BYE shutdown\r\n");
    expect_eof(&mut s).await;
    assert!(!lmtp.exists() && !private.exists());
    assert!(UnixStream::connect(&lmtp).await.is_err());
}

#[tokio::test]
async fn stale_unix_socket_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lmtp.sock");
    // A crashed server's socket file: still there, nobody listening.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(is_socket(&path));
    assert!(UnixStream::connect(&path).await.is_err());
    let c = config(dir.path(), vec![unix_listener("lmtp-unix", &path, None)]);
    let (server, _) = start(c, Arc::new(Peer)).await;
    let mut s = unix_connect(&path).await;
    assert!(read_line(&mut s).await.starts_with("PEER 127.0.0.1:0 Unix("));
    server.shutdown(Duration::from_secs(2)).await;
    assert!(!path.exists());
}

#[tokio::test]
async fn live_unix_socket_is_not_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lmtp.sock");
    let other = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let c = config(dir.path(), vec![unix_listener("lmtp-unix", &path, None)]);
    let err = start_err(c).await;
    assert_eq!(
        err,
        format!(
            "listener \"lmtp-unix\": cannot listen on {}: a socket file exists and a server is listening on it",
            path.display()
        )
    );
    // The other server still owns the path: a new client reaches it.
    let _client = std::os::unix::net::UnixStream::connect(&path).unwrap();
    other.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    // The probe's connection and the client's are both queued on `other`.
    let mut accepted = 0;
    while accepted < 2 {
        match other.accept() {
            Ok(_) => accepted += 1,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "{accepted} accepted");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
}

#[tokio::test]
async fn regular_file_at_unix_path_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.sock");
    let path = dir.path().join("lmtp.sock");
    std::fs::write(&path, b"not a socket").unwrap();
    let c = config(
        dir.path(),
        vec![
            unix_listener("first", &first, None),
            unix_listener("lmtp-unix", &path, None),
        ],
    );
    let err = start_err(c).await;
    assert_eq!(
        err,
        format!(
            "listener \"lmtp-unix\": cannot listen on {}: the path exists and is a regular file; not removing it",
            path.display()
        )
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"not a socket");
    // The listener bound before the failure was closed and its file removed.
    assert!(!first.exists());
}

#[tokio::test]
async fn unix_peers_skip_the_per_ip_cap_but_not_the_global_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lmtp.sock");
    let mut c = config(dir.path(), vec![unix_listener("lmtp-unix", &path, None)]);
    c.limits.max_connections_per_ip = 1;
    c.limits.max_connections = 2;
    let (server, _) = start(c, Arc::new(Peer)).await;
    let mut a = unix_connect(&path).await;
    assert!(read_line(&mut a).await.starts_with("PEER "));
    let mut b = unix_connect(&path).await;
    assert!(read_line(&mut b).await.starts_with("PEER "));
    let mut third = UnixStream::connect(&path).await.unwrap();
    expect_eof(&mut third).await;
    server.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn dropped_server_removes_its_socket_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lmtp.sock");
    let c = config(dir.path(), vec![unix_listener("lmtp-unix", &path, None)]);
    let (server, _) = start(c, Arc::new(Peer)).await;
    assert!(is_socket(&path));
    drop(server);
    let deadline = Instant::now() + Duration::from_secs(5);
    while path.exists() {
        assert!(Instant::now() < deadline, "socket file left behind");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn unvalidated_mixed_endpoint_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = unix_listener("mixed", &dir.path().join("x.sock"), None);
    l.port = Some(24);
    let c = config(dir.path(), vec![l]);
    let err = start_err(c).await;
    assert!(
        err.to_string()
            .starts_with("listener \"mixed\": port: not used by a Unix socket listener"),
        "{err}"
    );
    assert!(!dir.path().join("x.sock").exists());
}
