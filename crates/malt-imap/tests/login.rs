//! LOGIN (RFC 9051 §6.2.3): the tagged OK carries `[CAPABILITY]`; wrong credentials are
//! `[AUTHENTICATIONFAILED]`; `[PRIVACYREQUIRED]` for a remote client without TLS; refused (BAD) once
//! authenticated; arguments as atoms, quoted strings and literals (synchronising and LITERAL+, RFC 7888).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

fn logged_in(tag: &str) -> Vec<String> {
    lines(&[&format!(
        "{tag} OK [CAPABILITY {BASE_CAPS} COMPRESS=DEFLATE] Logged in"
    )])
}

#[tokio::test]
async fn success_then_refused() {
    let env = start().await;
    let mut c = env.client().await;
    assert_eq!(c.cmd(&format!("a LOGIN {USER} \"{PASS}\"")).await, logged_in("a"));
    refused_in_state(&mut c, "b LOGIN x y", "LOGIN").await;
    c.cmd("c SELECT INBOX").await;
    refused_in_state(&mut c, "d LOGIN x y", "LOGIN").await;
}

#[tokio::test]
async fn wrong_credentials_and_syntax() {
    let env = start().await;
    let mut c = env.client().await;
    let fail = "NO [AUTHENTICATIONFAILED] Authentication failed";
    only(&mut c, &format!("a LOGIN {USER} wrong"), &format!("a {fail}")).await;
    only(&mut c, "b LOGIN nobody@example.org x", &format!("b {fail}")).await;
    only(&mut c, "c LOGIN", "c BAD expected ' '").await;
    only(&mut c, &format!("d LOGIN {USER}"), "d BAD expected ' '").await;
    // Still not authenticated.
    refused_in_state(&mut c, "e LIST \"\" *", "LIST").await;
}

#[tokio::test]
async fn synchronising_literals() {
    let env = start().await;
    let mut c = env.client().await;
    c.send(format!("a LOGIN {{{}}}\r\n", USER.len()).as_bytes()).await;
    assert_eq!(c.line().await, "+ Ready for literal data\r\n");
    c.send(format!("{USER} {{{}}}\r\n", PASS.len()).as_bytes()).await;
    assert_eq!(c.line().await, "+ Ready for literal data\r\n");
    c.send(format!("{PASS}\r\n").as_bytes()).await;
    assert_eq!(c.until("a").await, logged_in("a"));
}

/// RFC 7888 §3: a non-synchronising literal gets no continuation.
#[tokio::test]
async fn non_synchronising_literal() {
    let env = start().await;
    let mut c = env.client().await;
    let r = c
        .cmd(&format!("a LOGIN \"{USER}\" {{{}+}}\r\n{PASS}", PASS.len()))
        .await;
    assert_eq!(r, logged_in("a"));
}

/// A remote client without TLS: LOGIN refused (RFC 9051 §6.2.3; capability.rs checks LOGINDISABLED).
#[tokio::test]
async fn privacy_required_for_remote_plaintext() {
    let env = start().await;
    let mut c = Client::connect_proxied(env.proxied, "203.0.113.5").await;
    only(
        &mut c,
        &format!("a LOGIN {USER} \"{PASS}\""),
        "a NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure connections",
    )
    .await;
}

/// A too big synchronising literal is refused without a continuation (RFC 9051 §7.5; the limit for
/// non-APPEND literals is 64 KiB, malt-imap-proto `Limits`).
#[tokio::test]
async fn too_big_literal() {
    let env = start().await;
    let mut c = env.client().await;
    only(
        &mut c,
        "a LOGIN {70000}",
        "a NO [TOOBIG] literal of 70000 octets is too big",
    )
    .await;
    only(&mut c, "b NOOP", "b OK NOOP completed").await;
}
