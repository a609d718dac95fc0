//! LMTP on a Unix domain socket, as Postfix delivers into Dovecot (`lmtp:unix:...`): Python's
//! smtplib.LMTP, given the socket path, is the client. Two recipients get their own reply after DATA
//! (RFC 2033 §4.2), a third over its quota gets its own failure, and the stored copies carry trace
//! headers whose `Received` line is well-formed with the loopback address (a Unix peer has none).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;

use common::*;
use malt_config::{ListenerConfig, Protocol};

/// The LMTP environment plus a Unix socket listener `lmtp-unix` at `<data_dir>/lmtp.sock`.
async fn start_unix() -> (Env, PathBuf) {
    let env = start_with(|c| {
        let path = c.data_dir.join("lmtp.sock");
        c.listeners
            .push(ListenerConfig::unix("lmtp-unix", Protocol::Lmtp, path));
    })
    .await;
    let path = env
        .server
        .as_ref()
        .unwrap()
        .local_path("lmtp-unix")
        .unwrap()
        .to_path_buf();
    assert_eq!(path, env.dir.path().join("lmtp.sock"));
    (env, path)
}

#[tokio::test]
async fn smtplib_lmtp_over_a_unix_socket_delivers_per_recipient() {
    let (mut env, path) = start_unix().await;
    let bob = env.add_account("bob@example.org", None).await;
    let carol = env.add_account("carol@example.org", Some(10)).await;
    let script = r#"
import os, smtplib
s = smtplib.LMTP(os.environ["SOCK"], timeout=10)   # a path: smtplib connects with AF_UNIX
code, caps = s.ehlo("mta.test")                    # LMTP's ehlo sends LHLO
assert code == 250, (code, caps)
assert s.has_extn("pipelining") and s.has_extn("chunking"), s.esmtp_features
assert not s.has_extn("starttls"), s.esmtp_features  # tls = "none": nothing to upgrade
assert s.mail("bounce@remote.test")[0] == 250
assert s.rcpt("alice@example.org")[0] == 250
assert s.rcpt("nobody@example.org") == (550, b"5.1.1 <nobody@example.org> No such user here")
assert s.rcpt("bob@example.org")[0] == 250
assert s.rcpt("carol@example.org")[0] == 250
code, msg = s.data(b"Message-ID: <unix-1@remote.test>\r\nSubject: over the socket\r\n\r\nhello\r\n")
print(code, msg.decode())
for _ in range(2):
    code, msg = s.getreply()
    print(code, msg.decode())
s.quit()
"#;
    let out = python(script, &[("SOCK", path.to_str().unwrap().to_owned())]).await;
    let replies: Vec<&str> = out.lines().collect();
    assert_eq!(replies.len(), 3, "{out}");
    assert!(
        replies[0].starts_with("250 2.0.0 <alice@example.org> ") && replies[0].ends_with(" Saved"),
        "{out}"
    );
    assert!(replies[1].starts_with("250 2.0.0 <bob@example.org> "), "{out}");
    assert_eq!(
        replies[2],
        "552 5.2.2 <carol@example.org> Message exceeds the mailbox quota"
    );

    // Both copies are in the store, each with its own trace headers.
    let id = replies[0].split(' ').nth(3).unwrap();
    let account = env.account.clone();
    for (who, account) in [("alice@example.org", &account), ("bob@example.org", &bob)] {
        let stored = env.inbox_of(account).await;
        assert_eq!(stored.len(), 1, "{who}");
        let text = String::from_utf8(stored[0].clone()).unwrap();
        assert!(
            text.starts_with(&format!(
                "Return-Path: <bounce@remote.test>\r\nDelivered-To: {who}\r\n\
                 Received: from mta.test ([127.0.0.1])\r\n\tby mail.test with LMTP id {id}\r\n\
                 \tfor <{who}>; "
            )),
            "{text}"
        );
        assert!(
            text.ends_with("Message-ID: <unix-1@remote.test>\r\nSubject: over the socket\r\n\r\nhello\r\n"),
            "{text}"
        );
    }
    assert!(env.inbox_of(&carol).await.is_empty());

    // Shutdown removes the socket file.
    let server = env.server.take().unwrap();
    server.shutdown(std::time::Duration::from_secs(5)).await;
    assert!(!path.exists());
}

#[tokio::test]
async fn raw_lmtp_over_a_unix_socket_shares_the_tcp_session() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    let (env, path) = start_unix().await;
    let mut s = BufReader::new(tokio::net::UnixStream::connect(&path).await.unwrap());
    let mut line = String::new();
    let mut read = async |s: &mut BufReader<tokio::net::UnixStream>| {
        line.clear();
        tokio::time::timeout(std::time::Duration::from_secs(10), s.read_line(&mut line))
            .await
            .unwrap()
            .unwrap();
        line.trim_end().to_owned()
    };
    assert_eq!(read(&mut s).await, "220 mail.test LMTP Malt ready");
    // STARTTLS is never offered on a Unix socket, and refused if asked for.
    s.get_mut().write_all(b"STARTTLS\r\n").await.unwrap();
    assert_eq!(read(&mut s).await, "454 4.7.0 TLS not available");
    s.get_mut()
        .write_all(b"LHLO mta.test\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.org>\r\nBDAT 23 LAST\r\nSubject: raw\r\n\r\nhello\r\n")
        .await
        .unwrap();
    let mut lhlo = Vec::new();
    loop {
        let l = read(&mut s).await;
        let last = l.as_bytes()[3] == b' ';
        lhlo.push(l);
        if last {
            break;
        }
    }
    assert!(!lhlo.iter().any(|l| l.contains("STARTTLS")), "{lhlo:?}");
    assert_eq!(read(&mut s).await, "250 2.1.0 Sender <> OK");
    assert_eq!(read(&mut s).await, "250 2.1.5 <alice@example.org> Recipient OK");
    let saved = read(&mut s).await;
    assert!(
        saved.starts_with("250 2.0.0 <alice@example.org> ") && saved.ends_with(" Saved"),
        "{saved}"
    );
    let stored = env.inbox_of(&env.account).await;
    assert_eq!(stored.len(), 1);
    let text = String::from_utf8(stored[0].clone()).unwrap();
    assert!(text.starts_with("Return-Path: <>\r\n"), "{text}");
    assert!(text.ends_with("\r\nSubject: raw\r\n\r\nhello\r\n"), "{text}");
}
