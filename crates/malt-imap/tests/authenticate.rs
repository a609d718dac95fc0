//! AUTHENTICATE (RFC 9051 §6.2.2) with SASL-IR (RFC 4959): PLAIN (RFC 4616) and LOGIN, with and without
//! an initial response; `[AUTHENTICATIONFAILED]` for wrong credentials, NO for an unknown mechanism,
//! BAD for a cancelled exchange (`*`) or invalid base64, `[PRIVACYREQUIRED]` without TLS for a remote
//! client (RFC 9051 §6.2.3), refused (BAD) once authenticated.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

fn plain(user: &str, pass: &str) -> String {
    base64_encode(format!("\0{user}\0{pass}").as_bytes())
}

fn caps_ok(tag: &str) -> Vec<String> {
    lines(&[&format!(
        "{tag} OK [CAPABILITY {BASE_CAPS} COMPRESS=DEFLATE] Logged in"
    )])
}

#[tokio::test]
async fn plain_with_initial_response() {
    let env = start().await;
    let mut c = env.client().await;
    let r = c
        .cmd(&format!("a AUTHENTICATE PLAIN {}", plain(USER, PASS)))
        .await;
    assert_eq!(r, caps_ok("a"));
    refused_in_state(&mut c, "b AUTHENTICATE PLAIN", "AUTHENTICATE").await;
    c.cmd("c SELECT INBOX").await;
    refused_in_state(&mut c, "d AUTHENTICATE PLAIN", "AUTHENTICATE").await;
}

#[tokio::test]
async fn plain_with_challenge() {
    let env = start().await;
    let mut c = env.client().await;
    c.send(b"a AUTHENTICATE PLAIN\r\n").await;
    assert_eq!(c.line().await, "+ \r\n");
    c.send(format!("{}\r\n", plain(USER, PASS)).as_bytes()).await;
    assert_eq!(c.until("a").await, caps_ok("a"));
}

#[tokio::test]
async fn login_mechanism() {
    let env = start().await;
    let mut c = env.client().await;
    c.send(b"b AUTHENTICATE LOGIN\r\n").await;
    assert!(c.line().await.starts_with("+ "));
    c.send(format!("{}\r\n", base64_encode(USER.as_bytes())).as_bytes())
        .await;
    assert!(c.line().await.starts_with("+ "));
    c.send(format!("{}\r\n", base64_encode(PASS.as_bytes())).as_bytes())
        .await;
    assert_eq!(c.until("b").await, caps_ok("b"));
}

#[tokio::test]
async fn failures() {
    let env = start().await;
    let mut c = env.client().await;
    let r = c
        .cmd(&format!("a AUTHENTICATE PLAIN {}", plain(USER, "wrong")))
        .await;
    assert_eq!(r, lines(&["a NO [AUTHENTICATIONFAILED] Authentication failed"]));
    // An empty initial response ("=", RFC 4959 §3) carries no credentials.
    only(
        &mut c,
        "b AUTHENTICATE PLAIN =",
        "b NO [AUTHENTICATIONFAILED] Authentication failed",
    )
    .await;
    only(
        &mut c,
        "c AUTHENTICATE CRAM-MD5",
        "c NO Unsupported authentication mechanism",
    )
    .await;
    only(&mut c, "d AUTHENTICATE PLAIN !!!", "d BAD invalid base64").await;
    only(&mut c, "e AUTHENTICATE", "e BAD expected ' '").await;
    // RFC 9051 §6.2.2: "*" cancels the exchange with BAD.
    c.send(b"f AUTHENTICATE PLAIN\r\n").await;
    assert_eq!(c.line().await, "+ \r\n");
    c.send(b"*\r\n").await;
    assert_eq!(c.until("f").await, lines(&["f BAD Authentication cancelled"]));
    c.send(b"g AUTHENTICATE PLAIN\r\n").await;
    assert_eq!(c.line().await, "+ \r\n");
    c.send(b"not base64!\r\n").await;
    assert_eq!(c.until("g").await, lines(&["g BAD Invalid base64 data"]));
    // Still not authenticated.
    refused_in_state(&mut c, "h SELECT INBOX", "SELECT").await;
}

#[tokio::test]
async fn privacy_required_for_remote_plaintext() {
    let env = start().await;
    let mut c = Client::connect_proxied(env.proxied, "203.0.113.5").await;
    let r = c
        .cmd(&format!("a AUTHENTICATE PLAIN {}", plain(USER, PASS)))
        .await;
    assert_eq!(
        r,
        lines(&["a NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure connections"])
    );
}
