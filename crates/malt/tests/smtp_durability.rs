//! SMTP durability under SIGKILL: Postfix's `smtp-source` pushes 2,000 messages (10 sessions,
//! 5,000-octet bodies, three local recipients each) into `malt serve`'s MX listener while the
//! server is SIGKILLed at random moments (3 to 5 times) and started again on the same data.
//! Afterwards, with the server killed once more and started again: every message that got a `250`
//! is in each of its recipients' INBOX (read over IMAP) or in the durable queue, no message is
//! there twice, nothing is there that was never sent, and `malt check` finds no damage.
//!
//! `smtp-source` cannot say which of its messages got a `250`, so it talks to the server through
//! a recording proxy (this file): a lockstep relay — `smtp-source` does not pipeline — that
//! notes each message's `Subject:` (which names the `smtp-source` run) and `Message-Id:` (unique
//! within a run: process id, descriptor, countdown) when its final dot is forwarded, and the
//! recipients the server accepted when the server's reply to that dot is a `250` (RFC 5321
//! §4.1.1.4, §6.1: the `250` promises the message is stored). The proxy's own port stays the same
//! while the server's changes at each restart; while the server is down the proxy drops
//! connections and `smtp-source` exits, and it is run again with the messages still to send until
//! 2,000 messages have reached their final dot.
//!
//! Duplicate suppression (`[delivery] dedup_window_secs`) is off, so that a message stored twice
//! would show instead of being hidden by the Message-ID check; the rate limit and sender
//! verification (DNS) are off too, as for a trusted relay.
//!
//! The test fails, never skips, when `/usr/sbin/smtp-source` (Debian's `postfix`) is missing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use malt_store::RecipientStatus;
use rand::Rng;

const SMTP_SOURCE: &str = "/usr/sbin/smtp-source";
const MESSAGES: usize = 2000;
/// `smtp-source -r 3 -t u@example.com` sends to these three.
const USERS: [&str; 3] = ["u@example.com", "2u@example.com", "3u@example.com"];

/// What the proxy saw.
#[derive(Default)]
struct Record {
    /// Where the server listens now; `None` while it is down.
    backend: Option<SocketAddr>,
    /// Keys (`subject|message-id`) of the messages whose final dot reached the server.
    attempted: Vec<String>,
    /// Key -> the recipients the server accepted, for messages answered `250` after the dot.
    acked: HashMap<String, Vec<String>>,
}

type Shared = Arc<Mutex<Record>>;

/// Accepts `smtp-source`'s connections and relays each to the current server.
fn start_proxy(record: Shared) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let record = record.clone();
            std::thread::spawn(move || {
                // Any error ends the connection: the server was killed, or smtp-source gave up.
                let _ = relay(client, &record);
            });
        }
    });
    addr
}

/// Reads one line (up to 8 KiB; `smtp-source`'s lines are short) including its CRLF.
fn read_line(r: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    r.by_ref().take(8192).read_until(b'\n', &mut line)?;
    if !line.ends_with(b"\n") {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(line)
}

/// Relays one reply (all its lines) from the server to the client; returns its code.
fn relay_reply(server: &mut impl BufRead, client: &mut TcpStream) -> std::io::Result<u16> {
    loop {
        let line = read_line(server)?;
        client.write_all(&line)?;
        // The last line of a reply has a space (or nothing) after the code (RFC 5321 §4.2.1).
        if line.get(3) != Some(&b'-') {
            let code = std::str::from_utf8(line.get(..3).unwrap_or_default())
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            return Ok(code);
        }
    }
}

/// One connection, relayed command by command.
fn relay(mut client: TcpStream, record: &Shared) -> std::io::Result<()> {
    let backend = record.lock().unwrap().backend;
    let Some(backend) = backend else {
        return Ok(()); // The server is down: drop the connection.
    };
    let server = TcpStream::connect(backend)?;
    for s in [&client, &server] {
        s.set_read_timeout(Some(Duration::from_secs(60)))?;
        s.set_nodelay(true)?;
    }
    let mut from_client = BufReader::new(client.try_clone()?);
    let mut from_server = BufReader::new(server.try_clone()?);
    let mut to_server = server;
    relay_reply(&mut from_server, &mut client)?; // the greeting
    let mut rcpts: Vec<String> = Vec::new();
    loop {
        let line = read_line(&mut from_client)?;
        to_server.write_all(&line)?;
        let text = String::from_utf8_lossy(&line).to_ascii_uppercase();
        let code = relay_reply(&mut from_server, &mut client)?;
        if text.starts_with("MAIL") {
            rcpts.clear();
        } else if text.starts_with("RCPT") && code == 250 {
            let original = String::from_utf8_lossy(&line);
            let address = original
                .split_once('<')
                .and_then(|(_, rest)| rest.split_once('>'))
                .map(|(a, _)| a.to_ascii_lowercase())
                .unwrap();
            rcpts.push(address);
        } else if text.starts_with("DATA") && code == 354 {
            let key = relay_data(&mut from_client, &mut to_server, record)?;
            let code = relay_reply(&mut from_server, &mut client)?;
            if code == 250 {
                let mut r = record.lock().unwrap();
                assert!(
                    r.acked.insert(key.clone(), rcpts.clone()).is_none(),
                    "{key} acknowledged twice"
                );
            }
        } else if text.starts_with("QUIT") {
            return Ok(());
        }
    }
}

/// Relays the message up to and including the final dot; returns its key, recorded as attempted
/// once the dot is on its way to the server.
fn relay_data(
    from_client: &mut impl BufRead,
    to_server: &mut TcpStream,
    record: &Shared,
) -> std::io::Result<String> {
    let (mut subject, mut id, mut in_header) = (String::new(), String::new(), true);
    loop {
        let line = read_line(from_client)?;
        if line == b".\r\n" {
            let key = format!("{subject}|{id}");
            assert!(!subject.is_empty() && !id.is_empty(), "no key in a message");
            record.lock().unwrap().attempted.push(key.clone());
            to_server.write_all(&line)?;
            return Ok(key);
        }
        to_server.write_all(&line)?;
        let text = String::from_utf8_lossy(&line);
        if in_header {
            if let Some(v) = header_value(&text, "subject") {
                subject = v;
            } else if let Some(v) = header_value(&text, "message-id") {
                id = v;
            }
            in_header = line != b"\r\n";
        }
    }
}

fn header_value(line: &str, name: &str) -> Option<String> {
    let (n, v) = line.split_once(':')?;
    n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
}

fn config(malt: &Malt) -> std::path::PathBuf {
    malt.config(
        "[[listener]]\nname = \"smtp\"\nprotocol = \"smtp\"\naddress = \"127.0.0.1\"\nport = 0\n\n\
         [[listener]]\nname = \"imap\"\nprotocol = \"imap\"\naddress = \"127.0.0.1\"\nport = 0\ntls = \"starttls\"\n\n\
         [smtp]\nmax_messages_per_ip_per_minute = 0\n\n\
         [mail_auth]\nverify = false\n\n\
         [delivery]\ndedup_window_secs = 0\n",
    )
}

fn smtp_source(proxy: SocketAddr, run: usize, count: usize) -> Child {
    Command::new(SMTP_SOURCE)
        .args(["-s", "10", "-l", "5000", "-r", "3"])
        .args(["-m", &count.to_string()])
        .args(["-t", "u@example.com", "-f", "sender@x.test", "-M", "client.test"])
        .args(["-S", &format!("w1 run {run}")])
        .arg(format!("127.0.0.1:{}", proxy.port()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait_for(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("smtp-source did not finish within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// (user, key) for every message in the users' INBOXes, read over IMAP.
fn mailboxes(server: &Server, malt: &Malt) -> Vec<(String, String)> {
    let script = format!(
        r#"
import email, imaplib, ssl
ctx = ssl.create_default_context(cafile={cert:?})
ctx.check_hostname = False
for user in {users:?}:
    m = imaplib.IMAP4("127.0.0.1", {port})
    m.starttls(ssl_context=ctx)
    m.login(user, "secret")
    typ, data = m.select("INBOX", readonly=True)
    assert typ == "OK", data
    if int(data[0]) > 0:
        typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT MESSAGE-ID)])")
        assert typ == "OK", data
        for part in data:
            if isinstance(part, tuple):
                h = email.message_from_bytes(part[1])
                print(f"{{user}}\t{{h['Subject']}}|{{h['Message-Id']}}")
    m.logout()
"#,
        cert = malt.data_dir().join("tls/cert.pem").to_str().unwrap(),
        users = USERS,
        port = server.addr("imap").port(),
    );
    python(&script)
        .lines()
        .map(|l| {
            let (user, key) = l.split_once('\t').unwrap();
            (user.to_owned(), key.to_owned())
        })
        .collect()
}

/// (recipient, key) for every pending recipient in the durable queue, read from the store.
fn queue(malt: &Malt) -> Vec<(String, String)> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let storage = malt.storage().await;
        let mut out = Vec::new();
        for m in storage.store.queue_list().await.unwrap() {
            let raw = storage.blobs.get(&m.blob_id).unwrap();
            let raw = String::from_utf8_lossy(&raw);
            let head = raw.split("\r\n\r\n").next().unwrap();
            let value = |name| head.lines().find_map(|l| header_value(l, name)).unwrap();
            let key = format!("{}|{}", value("subject"), value("message-id"));
            for r in m.recipients {
                if r.status == RecipientStatus::Pending {
                    out.push((r.address.to_ascii_lowercase(), key.clone()));
                }
            }
        }
        out
    })
}

#[test]
fn sigkill_under_smtp_source_loses_nothing_acknowledged_and_stores_nothing_twice() {
    assert!(
        std::path::Path::new(SMTP_SOURCE).exists(),
        "{SMTP_SOURCE} is missing: install Debian's postfix package (see .ci/run)"
    );
    let malt = Malt::new();
    for u in USERS {
        malt.with_user(u);
    }
    let config = config(&malt);
    let record: Shared = Arc::default();
    let proxy = start_proxy(record.clone());
    let attempted = || record.lock().unwrap().attempted.len();
    let set_backend = |server: Option<&Server>| {
        record.lock().unwrap().backend = server.map(|s| s.addr("smtp"));
    };

    let mut rng = rand::thread_rng();
    // Kill when this many messages have reached their final dot (plus a little jitter), so that
    // every kill lands while smtp-source is sending.
    let kills = rng.gen_range(3..=5);
    let mut kill_points: Vec<usize> = rand::seq::index::sample(&mut rng, MESSAGES - 200, kills)
        .into_iter()
        .map(|p| p + 100)
        .collect();
    kill_points.sort_unstable();
    let mut kill_points = kill_points.into_iter().peekable();

    let mut server = Server::start(&malt, &config, 3);
    set_backend(Some(&server));
    let mut killed = 0;
    let started = Instant::now();
    for run in 0.. {
        let left = MESSAGES - attempted();
        if left == 0 {
            break;
        }
        assert!(run < 20, "smtp-source was run {run} times without finishing");
        let mut source = smtp_source(proxy, run, left);
        let status = loop {
            if let Some(st) = source.try_wait().unwrap() {
                break Some(st);
            }
            if kill_points.peek().is_some_and(|&p| attempted() >= p) {
                kill_points.next();
                std::thread::sleep(Duration::from_micros(rng.gen_range(0..20_000)));
                set_backend(None);
                drop(server); // SIGKILL
                killed += 1;
                // The proxy drops its connections; smtp-source gives up.
                wait_for(&mut source, Duration::from_secs(60));
                server = Server::start(&malt, &config, 3);
                set_backend(Some(&server));
                break None;
            }
            if started.elapsed() > Duration::from_secs(300) {
                let _ = source.kill();
                panic!("no end after 5 minutes: {} messages sent", attempted());
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        if let Some(st) = status {
            // Not interrupted by a kill: every message must have gone through.
            assert!(st.success(), "smtp-source failed without a kill: {st}");
        }
    }
    let (attempted, acked) = {
        let r = record.lock().unwrap();
        (r.attempted.clone(), r.acked.clone())
    };
    eprintln!(
        "{} messages sent to their final dot, {} acknowledged, {killed} kills, {:?}",
        attempted.len(),
        acked.len(),
        started.elapsed()
    );
    assert_eq!(attempted.len(), MESSAGES);
    assert!(killed >= 3, "only {killed} kills");
    let unique: HashSet<&String> = attempted.iter().collect();
    assert_eq!(
        unique.len(),
        attempted.len(),
        "smtp-source's messages are not told apart"
    );
    assert!(acked.len() > MESSAGES / 2, "{} acknowledged", acked.len());

    // Once more without warning, then read everything back.
    set_backend(None);
    drop(server);
    let queued = queue(&malt);
    let server = Server::start(&malt, &config, 3);
    let stored = mailboxes(&server, &malt);
    assert!(server.terminate(Duration::from_secs(20)).success());

    let mut copies: HashMap<(String, String), usize> = HashMap::new();
    for entry in stored.into_iter().chain(queued.iter().cloned()) {
        *copies.entry(entry).or_default() += 1;
    }
    let twice: Vec<_> = copies.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    let phantoms: Vec<_> = copies.keys().filter(|(_, key)| !unique.contains(key)).collect();
    assert!(phantoms.is_empty(), "stored but never sent: {phantoms:?}");
    let mut missing = Vec::new();
    for (key, rcpts) in &acked {
        assert_eq!(rcpts.len(), USERS.len(), "{key}: {rcpts:?}");
        for rcpt in rcpts {
            if !copies.contains_key(&(rcpt.clone(), key.clone())) {
                missing.push((rcpt, key));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "acknowledged with 250 but neither in the mailbox nor queued: {missing:?}"
    );
    eprintln!(
        "{} copies stored ({} in the queue); {} acknowledged copies",
        copies.len(),
        queued.len(),
        acked.len() * USERS.len()
    );

    let report = malt.ok(&["check"], b"");
    assert!(report.contains("no problems found"), "{report}");
}
