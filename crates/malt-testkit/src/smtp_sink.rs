//! An SMTP server for tests of SMTP clients (outbound delivery, relaying): it accepts mail on a loopback
//! port and records every transaction, so a test can check what the client sent.
//!
//! What it offers is set by [`SinkOptions`] (STARTTLS with a self-signed certificate from rcgen,
//! PIPELINING, CHUNKING, DSN, 8BITMIME, SMTPUTF8, SIZE, AUTH PLAIN/LOGIN), and it can be told to answer a
//! given RCPT address, MAIL or the end of data with a given reply, to refuse connections with a greeting such
//! as `421`, or to drop connections that stay idle.
//!
//! Behaviour worth knowing when writing a test:
//! - Commands are parsed by `malt-smtp-proto` (the codec of Malt's own servers), so a malformed command,
//!   or a MAIL/RCPT parameter of an extension the sink did not announce, gets `501`/`555` as from a strict
//!   server (RFC 5321 §4.1.1.11). Parameters are also recorded as sent (`SIZE=123`, `NOTIFY=FAILURE`).
//! - DATA is dot-unstuffed (RFC 5321 §4.5.2); BDAT chunks are taken byte for byte (RFC 3030 §2).
//! - A [`Transaction`] is recorded when its data is complete (DATA's final dot or `BDAT ... LAST`);
//!   transactions abandoned before (RSET, QUIT, no valid recipient) are not. Every connection is logged
//!   ([`SmtpSink::connections`]) with its command lines, AUTH exchanges redacted.
//! - `pipelined` in a transaction tells whether MAIL and all its RCPTs arrived in a single read (the client
//!   sent them in one write, RFC 2920 §3.1) — on loopback one write arrives as one read.
//! - After STARTTLS, input already buffered is discarded and the session restarts (RFC 3207 §4.2).
//!
//! The sink stops when dropped.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use malt_smtp_proto::command::{Extensions, unsupported_mail_param, unsupported_rcpt_param};
use malt_smtp_proto::{DataReader, DataStatus, MAX_COMMAND_LINE, Reply, Request, parse_command};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// What the sink offers and how it answers. `Default`: hostname `sink.test`, bound to 127.0.0.1 port 0,
/// EHLO answered with `ENHANCEDSTATUSCODES` only, everything accepted with 250.
#[derive(Debug, Clone)]
pub struct SinkOptions {
    /// The name in the greeting and the EHLO reply.
    pub hostname: String,
    /// Where to listen; port 0 picks one (several sinks can share a port on 127.0.0.x addresses).
    pub bind: SocketAddr,
    /// A greeting line to send instead of `220` (e.g. `421 4.3.2 Try later`); a non-220 greeting is followed
    /// by closing the connection (RFC 5321 §3.1).
    pub greeting: Option<String>,
    /// `false`: EHLO is refused with `502 5.5.1` (an old server), HELO works.
    pub ehlo: bool,
    /// Offer STARTTLS (RFC 3207) with a self-signed certificate for [`SinkOptions::tls_names`].
    pub starttls: bool,
    /// Offer PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// Offer CHUNKING (RFC 3030): BDAT.
    pub chunking: bool,
    /// Offer DSN (RFC 3461): RET, ENVID, NOTIFY, ORCPT.
    pub dsn: bool,
    /// Offer 8BITMIME (RFC 6152).
    pub eight_bit_mime: bool,
    /// Offer SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// Offer SIZE (RFC 1870) with this limit, and refuse larger messages with `552 5.3.4`.
    pub size: Option<usize>,
    /// Offer AUTH (RFC 4954) with [`SinkOptions::auth_mechanisms`] and accept these credentials (user,
    /// password). Offered with or without TLS: refusing plaintext AUTH is the client's job, and a test
    /// checks it did.
    pub auth: Option<(String, String)>,
    /// The AUTH mechanisms offered and accepted, among `PLAIN` and `LOGIN`. Default both.
    pub auth_mechanisms: Vec<String>,
    /// After STARTTLS's 220, answer the client's first TLS record with garbage and close: a failed
    /// handshake.
    pub broken_tls: bool,
    /// The certificate's subject alternative names.
    pub tls_names: Vec<String>,
    /// Replies to given RCPT addresses (compared case-insensitively), e.g. `("bad@x.test", "550 5.1.1 No
    /// such user")`; other recipients get `250 2.1.5 OK`.
    pub rcpt_replies: Vec<(String, String)>,
    /// A reply to every MAIL FROM instead of `250 2.1.0 OK`.
    pub mail_reply: Option<String>,
    /// A reply at the end of data instead of `250 2.0.0 Queued`.
    pub data_reply: Option<String>,
    /// Close a connection (without a word) once it has been idle this long between commands.
    pub idle_close: Option<Duration>,
}

impl Default for SinkOptions {
    fn default() -> Self {
        SinkOptions {
            hostname: "sink.test".to_owned(),
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            greeting: None,
            ehlo: true,
            starttls: false,
            pipelining: false,
            chunking: false,
            dsn: false,
            eight_bit_mime: false,
            smtputf8: false,
            size: None,
            auth: None,
            auth_mechanisms: vec!["PLAIN".to_owned(), "LOGIN".to_owned()],
            broken_tls: false,
            tls_names: vec!["localhost".to_owned(), "127.0.0.1".to_owned()],
            rcpt_replies: Vec::new(),
            mail_reply: None,
            data_reply: None,
            idle_close: None,
        }
    }
}

/// One recipient as the sink saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rcpt {
    /// The address (unquoted, as `malt-smtp-proto` returns it).
    pub address: String,
    /// The parameters as sent (`NOTIFY=SUCCESS,FAILURE`, `ORCPT=rfc822;a@b.test`).
    pub params: Vec<String>,
    /// The reply code the sink gave.
    pub code: u16,
}

/// A transaction whose data was received.
#[derive(Debug, Clone)]
pub struct Transaction {
    /// Index of its connection in [`SmtpSink::connections`] (0 for the first).
    pub connection: usize,
    /// The EHLO/HELO argument.
    pub helo: String,
    /// Whether the client said EHLO (not HELO).
    pub esmtp: bool,
    /// Whether the connection was in TLS.
    pub tls: bool,
    /// The authenticated user, if any.
    pub auth_user: Option<String>,
    /// The reverse-path (empty for `<>`).
    pub mail_from: String,
    /// MAIL parameters as sent (`SIZE=123`, `BODY=8BITMIME`, `RET=HDRS`, `ENVID=...`, `SMTPUTF8`).
    pub mail_params: Vec<String>,
    /// Every RCPT, accepted or not.
    pub rcpts: Vec<Rcpt>,
    /// The message: unstuffed (DATA) or as sent (BDAT).
    pub body: Vec<u8>,
    /// Whether the data came with BDAT (else DATA).
    pub bdat: bool,
    /// Whether MAIL and every RCPT arrived in one read (a pipelining client's single write).
    pub pipelined: bool,
    /// The code of the sink's reply to the data.
    pub code: u16,
}

impl Transaction {
    /// The recipients the sink accepted (2xx).
    pub fn accepted(&self) -> Vec<&str> {
        self.rcpts
            .iter()
            .filter(|r| (200..300).contains(&r.code))
            .map(|r| r.address.as_str())
            .collect()
    }
}

/// One connection as the sink saw it.
#[derive(Debug, Clone, Default)]
pub struct ConnectionLog {
    /// The client's address.
    pub peer: Option<SocketAddr>,
    /// Whether STARTTLS succeeded.
    pub tls: bool,
    /// Every command line without its CRLF (SASL exchanges shown as `<sasl>`), in order.
    pub commands: Vec<String>,
    /// Users who tried AUTH, with whether they succeeded.
    pub auth_attempts: Vec<(String, bool)>,
}

#[derive(Default)]
struct Log {
    transactions: Vec<Transaction>,
    connections: Vec<ConnectionLog>,
}

/// A running sink; stops when dropped.
pub struct SmtpSink {
    addr: SocketAddr,
    log: Arc<Mutex<Log>>,
    cert: CertificateDer<'static>,
    task: JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Shared {
    opts: SinkOptions,
    acceptor: TlsAcceptor,
    log: Arc<Mutex<Log>>,
}

impl SmtpSink {
    /// Starts a sink with `opts`; panics if it cannot listen.
    pub async fn start(opts: SinkOptions) -> SmtpSink {
        Self::try_start(opts).await.unwrap()
    }

    /// Starts a sink with `opts`, or says why it cannot listen (e.g. `opts.bind` is taken).
    pub async fn try_start(opts: SinkOptions) -> std::io::Result<SmtpSink> {
        let generated = rcgen::generate_simple_self_signed(opts.tls_names.clone()).unwrap();
        let cert = generated.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(generated.signing_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)
            .unwrap();
        let listener = TcpListener::bind(opts.bind).await?;
        let addr = listener.local_addr()?;
        let log = Arc::new(Mutex::new(Log::default()));
        let shared = Arc::new(Shared {
            opts,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            log: log.clone(),
        });
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else {
                    continue;
                };
                let id = {
                    let mut log = shared.log.lock().unwrap();
                    log.connections.push(ConnectionLog {
                        peer: Some(peer),
                        ..ConnectionLog::default()
                    });
                    log.connections.len() - 1
                };
                tokio::spawn(serve(stream, id, shared.clone()));
            }
        });
        Ok(SmtpSink {
            addr,
            log,
            cert,
            task,
        })
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The self-signed certificate presented after STARTTLS (DER), for clients that verify it.
    pub fn cert_der(&self) -> CertificateDer<'static> {
        self.cert.clone()
    }

    /// Every completed transaction so far, in order of completion.
    pub fn transactions(&self) -> Vec<Transaction> {
        self.log.lock().unwrap().transactions.clone()
    }

    /// Every connection accepted so far.
    pub fn connections(&self) -> Vec<ConnectionLog> {
        self.log.lock().unwrap().connections.clone()
    }

    /// How many connections were accepted.
    pub fn connection_count(&self) -> usize {
        self.log.lock().unwrap().connections.len()
    }
}

async fn serve(stream: TcpStream, id: usize, shared: Arc<Shared>) {
    let mut session = Session::new(id, shared.clone());
    let mut stream = stream;
    if let Some(greeting) = &shared.opts.greeting {
        let _ = stream.write_all(format!("{greeting}\r\n").as_bytes()).await;
        if !greeting.starts_with("220") {
            return;
        }
    } else {
        let g = format!("220 {} ESMTP test sink\r\n", shared.opts.hostname);
        if stream.write_all(g.as_bytes()).await.is_err() {
            return;
        }
    }
    if let Next::StartTls = session.run(&mut stream).await {
        if shared.opts.broken_tls {
            let mut hello = [0u8; 512];
            let _ = stream.read(&mut hello).await;
            let _ = stream.write_all(b"this is not TLS\r\n").await;
            return;
        }
        let Ok(mut tls) = shared.acceptor.accept(stream).await else {
            return;
        };
        session.tls = true;
        session.log(|c| c.tls = true);
        let _ = session.run(&mut tls).await;
    }
}

enum Next {
    Close,
    StartTls,
}

/// The transaction being built.
struct Pending {
    mail_from: String,
    mail_params: Vec<String>,
    rcpts: Vec<Rcpt>,
    /// Read counter when the MAIL line was complete, and when the last RCPT line was.
    mail_read: u64,
    last_rcpt_read: u64,
    body: Vec<u8>,
    too_big: bool,
}

struct Session {
    id: usize,
    shared: Arc<Shared>,
    buf: Vec<u8>,
    reads: u64,
    tls: bool,
    helo: Option<(String, bool)>,
    auth_user: Option<String>,
    pending: Option<Pending>,
}

impl Session {
    fn new(id: usize, shared: Arc<Shared>) -> Self {
        Session {
            id,
            shared,
            buf: Vec::new(),
            reads: 0,
            tls: false,
            helo: None,
            auth_user: None,
            pending: None,
        }
    }

    fn log(&self, f: impl FnOnce(&mut ConnectionLog)) {
        let mut log = self.shared.log.lock().unwrap();
        if let Some(c) = log.connections.get_mut(self.id) {
            f(c);
        }
    }

    fn extensions(&self) -> Extensions {
        let o = &self.shared.opts;
        Extensions {
            size: o.size.is_some(),
            eight_bit_mime: o.eight_bit_mime,
            smtputf8: o.smtputf8,
            dsn: o.dsn,
            auth: o.auth.is_some(),
        }
    }

    /// Reads more input; false at EOF, error or idle timeout.
    async fn fill<S: AsyncRead + Unpin>(&mut self, s: &mut S) -> bool {
        let mut chunk = vec![0u8; 65536];
        let idle = self.shared.opts.idle_close.unwrap_or(Duration::from_secs(120));
        match tokio::time::timeout(idle, s.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => {
                self.reads += 1;
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            _ => false,
        }
    }

    /// The next line, CRLF included; `None` at EOF or when a line is too long.
    async fn line<S: AsyncRead + Unpin>(&mut self, s: &mut S) -> Option<Vec<u8>> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                return Some(self.buf.drain(..=pos).collect());
            }
            if self.buf.len() > MAX_COMMAND_LINE || !self.fill(s).await {
                return None;
            }
        }
    }

    /// Exactly `n` octets.
    async fn exact<S: AsyncRead + Unpin>(&mut self, s: &mut S, n: usize) -> Option<Vec<u8>> {
        while self.buf.len() < n {
            if !self.fill(s).await {
                return None;
            }
        }
        Some(self.buf.drain(..n).collect())
    }

    async fn run<S: AsyncRead + AsyncWrite + Unpin>(&mut self, s: &mut S) -> Next {
        // RFC 3207 §4.2: forget everything from before the TLS handshake.
        self.helo = None;
        self.pending = None;
        self.buf.clear();
        loop {
            let Some(line) = self.line(s).await else {
                return Next::Close;
            };
            let text = String::from_utf8_lossy(&line).trim_end().to_owned();
            self.log(|c| c.commands.push(redact_auth(&text)));
            let reply = match parse_command(&line) {
                Err(e) => e.reply().to_string(),
                Ok(cmd) => match self.command(cmd, &text, s).await {
                    Step::Reply(r) => r,
                    Step::Quit => {
                        let _ = s.write_all(b"221 2.0.0 Bye\r\n").await;
                        return Next::Close;
                    }
                    Step::StartTls => {
                        if s.write_all(b"220 2.0.0 Ready to start TLS\r\n").await.is_err() {
                            return Next::Close;
                        }
                        return Next::StartTls;
                    }
                    Step::Close => return Next::Close,
                },
            };
            if s.write_all(reply.as_bytes()).await.is_err() {
                return Next::Close;
            }
        }
    }

    async fn command<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        cmd: Request<String>,
        text: &str,
        s: &mut S,
    ) -> Step {
        let opts = self.shared.opts.clone();
        let line = |r: &str| Step::Reply(format!("{r}\r\n"));
        match cmd {
            Request::Ehlo { host } => {
                if !opts.ehlo {
                    return line("502 5.5.1 EHLO not supported");
                }
                self.helo = Some((host, true));
                self.pending = None;
                let mut lines = vec![opts.hostname.clone(), "ENHANCEDSTATUSCODES".to_owned()];
                let mut add = |on: bool, kw: &str| {
                    if on {
                        lines.push(kw.to_owned());
                    }
                };
                add(opts.starttls && !self.tls, "STARTTLS");
                add(opts.pipelining, "PIPELINING");
                add(opts.chunking, "CHUNKING");
                add(opts.dsn, "DSN");
                add(opts.eight_bit_mime, "8BITMIME");
                add(opts.smtputf8, "SMTPUTF8");
                if opts.auth.is_some() {
                    lines.push(format!("AUTH {}", opts.auth_mechanisms.join(" ")));
                }
                if let Some(size) = opts.size {
                    lines.push(format!("SIZE {size}"));
                }
                Step::Reply(Reply::multiline(250, lines).to_string())
            }
            Request::Helo { host } => {
                self.helo = Some((host, false));
                self.pending = None;
                line(&format!("250 {}", opts.hostname))
            }
            Request::StartTls if opts.starttls && !self.tls => Step::StartTls,
            Request::StartTls => line("502 5.5.1 STARTTLS not offered"),
            Request::Auth {
                mechanism,
                initial_response,
            } => self.auth(mechanism, initial_response, s).await,
            Request::Mail { from } => {
                if self.helo.is_none() {
                    return line("503 5.5.1 Say EHLO first");
                }
                if self.pending.is_some() {
                    return line("503 5.5.1 Nested MAIL");
                }
                if let Some(p) = unsupported_mail_param(&from, self.extensions()) {
                    return line(&format!("555 5.5.4 Unsupported parameter {p}"));
                }
                if let Some(max) = opts.size
                    && from.size > max
                {
                    return line("552 5.3.4 Message too big");
                }
                let reply = opts.mail_reply.clone().unwrap_or("250 2.1.0 OK".to_owned());
                if reply.starts_with('2') {
                    self.pending = Some(Pending {
                        mail_from: from.address,
                        mail_params: params_of(text),
                        rcpts: Vec::new(),
                        mail_read: self.reads,
                        last_rcpt_read: self.reads,
                        body: Vec::new(),
                        too_big: false,
                    });
                }
                line(&reply)
            }
            Request::Rcpt { to } => {
                let ext = self.extensions();
                let reads = self.reads;
                let Some(p) = self.pending.as_mut() else {
                    return line("503 5.5.1 Need MAIL first");
                };
                if let Some(param) = unsupported_rcpt_param(&to, ext) {
                    return line(&format!("555 5.5.4 Unsupported parameter {param}"));
                }
                let reply = opts
                    .rcpt_replies
                    .iter()
                    .find(|(a, _)| a.eq_ignore_ascii_case(&to.address))
                    .map(|(_, r)| r.clone())
                    .unwrap_or("250 2.1.5 OK".to_owned());
                p.rcpts.push(Rcpt {
                    address: to.address,
                    params: params_of(text),
                    code: reply.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0),
                });
                p.last_rcpt_read = reads;
                line(&reply)
            }
            Request::Data => {
                if !self.has_valid_rcpt() {
                    return line("554 5.5.1 No valid recipients");
                }
                if s.write_all(b"354 Go ahead\r\n").await.is_err() {
                    return Step::Close;
                }
                let max = opts.size.unwrap_or(64 << 20);
                let mut reader = DataReader::new(max);
                loop {
                    let (used, status) = reader.ingest(&self.buf);
                    self.buf.drain(..used);
                    match status {
                        DataStatus::NeedMore => {
                            if !self.fill(s).await {
                                return Step::Close;
                            }
                        }
                        DataStatus::Done | DataStatus::TooLarge => {
                            if let Some(p) = self.pending.as_mut() {
                                p.too_big = status == DataStatus::TooLarge;
                                p.body = reader.into_body();
                            }
                            return self.finish(false);
                        }
                    }
                }
            }
            Request::Bdat { chunk_size, is_last } => {
                let Some(chunk) = self.exact(s, chunk_size).await else {
                    return Step::Close;
                };
                if !self.has_valid_rcpt() {
                    return line("554 5.5.1 No valid recipients");
                }
                let max = opts.size.unwrap_or(64 << 20);
                if let Some(p) = self.pending.as_mut() {
                    p.body.extend_from_slice(&chunk);
                    if p.body.len() > max {
                        p.too_big = true;
                        p.body.clear();
                    }
                }
                if is_last {
                    self.finish(true)
                } else {
                    line(&format!("250 2.0.0 {chunk_size} octets received"))
                }
            }
            Request::Rset => {
                self.pending = None;
                line("250 2.0.0 OK")
            }
            Request::Noop { .. } => line("250 2.0.0 OK"),
            Request::Quit => Step::Quit,
            Request::Vrfy { .. } => line("252 2.1.5 Cannot VRFY"),
            _ => line("502 5.5.1 Not implemented"),
        }
    }

    fn has_valid_rcpt(&self) -> bool {
        self.pending
            .as_ref()
            .is_some_and(|p| p.rcpts.iter().any(|r| (200..300).contains(&r.code)))
    }

    fn finish(&mut self, bdat: bool) -> Step {
        let Some(p) = self.pending.take() else {
            return Step::Reply("503 5.5.1 No transaction\r\n".to_owned());
        };
        let reply = if p.too_big {
            "552 5.3.4 Message too big".to_owned()
        } else {
            self.shared
                .opts
                .data_reply
                .clone()
                .unwrap_or("250 2.0.0 Queued".to_owned())
        };
        let (helo, esmtp) = self.helo.clone().unwrap_or_default();
        let t = Transaction {
            connection: self.id,
            helo,
            esmtp,
            tls: self.tls,
            auth_user: self.auth_user.clone(),
            mail_from: p.mail_from,
            mail_params: p.mail_params,
            rcpts: p.rcpts,
            body: p.body,
            bdat,
            pipelined: p.mail_read == p.last_rcpt_read,
            code: reply.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0),
        };
        self.shared.log.lock().unwrap().transactions.push(t);
        Step::Reply(format!("{reply}\r\n"))
    }

    /// AUTH PLAIN (RFC 4616) and LOGIN, with or without an initial response (RFC 4954 §4).
    async fn auth<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        mechanism: u64,
        initial: String,
        s: &mut S,
    ) -> Step {
        let Some((user, pass)) = self.shared.opts.auth.clone() else {
            return Step::Reply("502 5.5.1 AUTH not offered\r\n".to_owned());
        };
        if self.auth_user.is_some() {
            return Step::Reply("503 5.5.1 Already authenticated\r\n".to_owned());
        }
        let b64 = base64::engine::general_purpose::STANDARD;
        let ask = async |s: &mut S, this: &mut Session, challenge: &str| -> Option<Vec<u8>> {
            s.write_all(format!("334 {}\r\n", b64.encode(challenge)).as_bytes())
                .await
                .ok()?;
            let line = this.line(s).await?;
            this.log(|c| c.commands.push("<sasl>".to_owned()));
            b64.decode(String::from_utf8_lossy(&line).trim()).ok()
        };
        let offered = |name: &str| self.shared.opts.auth_mechanisms.iter().any(|m| m == name);
        let (given_user, given_pass) = if mechanism == smtp_proto::AUTH_PLAIN && offered("PLAIN") {
            let raw = if initial.is_empty() {
                match ask(s, self, "").await {
                    Some(r) => r,
                    None => return Step::Reply("501 5.5.2 Bad base64\r\n".to_owned()),
                }
            } else {
                match b64.decode(initial.trim()) {
                    Ok(r) => r,
                    Err(_) => return Step::Reply("501 5.5.2 Bad base64\r\n".to_owned()),
                }
            };
            let parts: Vec<&[u8]> = raw.split(|&b| b == 0).collect();
            let [_authzid, u, p] = parts.as_slice() else {
                return Step::Reply("501 5.5.2 Bad PLAIN response\r\n".to_owned());
            };
            (
                String::from_utf8_lossy(u).into_owned(),
                String::from_utf8_lossy(p).into_owned(),
            )
        } else if mechanism == smtp_proto::AUTH_LOGIN && offered("LOGIN") {
            let u = if initial.is_empty() {
                ask(s, self, "Username:").await
            } else {
                b64.decode(initial.trim()).ok()
            };
            let Some(u) = u else {
                return Step::Reply("501 5.5.2 Bad base64\r\n".to_owned());
            };
            let Some(p) = ask(s, self, "Password:").await else {
                return Step::Reply("501 5.5.2 Bad base64\r\n".to_owned());
            };
            (
                String::from_utf8_lossy(&u).into_owned(),
                String::from_utf8_lossy(&p).into_owned(),
            )
        } else {
            return Step::Reply("504 5.5.4 Mechanism not supported\r\n".to_owned());
        };
        let ok = given_user == user && given_pass == pass;
        self.log(|c| c.auth_attempts.push((given_user.clone(), ok)));
        if ok {
            self.auth_user = Some(given_user);
            Step::Reply("235 2.7.0 Authenticated\r\n".to_owned())
        } else {
            Step::Reply("535 5.7.8 Bad credentials\r\n".to_owned())
        }
    }
}

enum Step {
    Reply(String),
    Quit,
    StartTls,
    Close,
}

/// An AUTH line without its initial response (`AUTH PLAIN <sasl>`).
fn redact_auth(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        [auth, mech, _] if auth.eq_ignore_ascii_case("AUTH") => format!("{auth} {mech} <sasl>"),
        _ => line.to_owned(),
    }
}

/// The parameters of a MAIL/RCPT line: the words after the path's closing `>` (quotes in the path
/// respected).
fn params_of(line: &str) -> Vec<String> {
    let Some(start) = line.find('<') else {
        return Vec::new();
    };
    let mut quoted = false;
    let mut escaped = false;
    let mut end = None;
    for (i, c) in line[start..].char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '>' if !quoted => {
                end = Some(start + i + 1);
                break;
            }
            _ => {}
        }
    }
    end.map(|e| line[e..].split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}
