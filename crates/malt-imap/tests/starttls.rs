//! STARTTLS (RFC 9051 §6.2.1): only in the not-authenticated state on a listener that offers it; after
//! the handshake the session starts over without a new greeting and announces neither STARTTLS nor
//! LOGINDISABLED; plaintext pipelined behind STARTTLS is never acted on (CVE-2011-0411: the server
//! closes). Refused (BAD) on a listener without TLS.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

/// A raw client over TLS after STARTTLS (Python's ssl, trusting the test certificate): prints every
/// line the server sends.
const UPGRADE: &str = r#"
import os, socket, ssl
ctx = ssl.create_default_context(cafile=os.environ["CERT"])
raw = socket.create_connection(("127.0.0.1", int(os.environ["PORT"])))
f = raw.makefile("rb")
f.readline()
raw.sendall(b"a STARTTLS\r\n")
print(f.readline().decode().rstrip())
s = ctx.wrap_socket(raw, server_hostname="mail.test")
g = s.makefile("rb")
for cmd in [b"b CAPABILITY", b"c STARTTLS", b"d LOGIN " + os.environ["USER"].encode() + b' "' + os.environ["PASS"].encode() + b'"']:
    s.sendall(cmd + b"\r\n")
    tag = cmd.split(b" ")[0]
    while True:
        line = g.readline().decode().rstrip()
        print(line)
        if line.startswith(tag.decode() + " "):
            break
"#;

#[tokio::test]
async fn upgrade_then_login() {
    let env = start().await;
    let envs = vec![
        ("PORT", env.imap.port().to_string()),
        ("CERT", env.cert.display().to_string()),
        ("USER", USER.to_owned()),
        ("PASS", PASS.to_owned()),
    ];
    let out = python(UPGRADE, &envs).await;
    let after = format!("{BASE_CAPS} AUTH=PLAIN AUTH=LOGIN");
    let want = [
        "a OK Begin TLS negotiation now".to_owned(),
        format!("* CAPABILITY {after}"),
        "b OK CAPABILITY completed".to_owned(),
        "c BAD STARTTLS not available".to_owned(),
        format!("d OK [CAPABILITY {BASE_CAPS} COMPRESS=DEFLATE] Logged in"),
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), want);
}

#[tokio::test]
async fn refuses_pipelined_plaintext() {
    let env = start().await;
    let mut c = env.client().await;
    c.send(b"a STARTTLS\r\nb NOOP\r\n").await;
    let r = c.until("a").await;
    assert_eq!(r, lines(&["a OK Begin TLS negotiation now"]));
    c.expect_eof().await;
}

#[tokio::test]
async fn not_available_without_tls_listener() {
    let env = start().await;
    let mut c = Client::connect_proxied(env.proxied, "203.0.113.5").await;
    only(&mut c, "a STARTTLS", "a BAD STARTTLS not available").await;
    only(&mut c, "b NOOP", "b OK NOOP completed").await;
}

#[tokio::test]
async fn refused_after_login() {
    let env = start().await;
    let mut c = env.logged_in().await;
    refused_in_state(&mut c, "a STARTTLS", "STARTTLS").await;
    let mut c = env.selected().await;
    refused_in_state(&mut c, "b STARTTLS", "STARTTLS").await;
}

#[tokio::test]
async fn syntax_error() {
    let env = start().await;
    let mut c = env.client().await;
    only(
        &mut c,
        "a STARTTLS now",
        "a BAD unexpected characters at end of command",
    )
    .await;
    // Still plaintext: the session goes on.
    only(&mut c, "b NOOP", "b OK NOOP completed").await;
}
