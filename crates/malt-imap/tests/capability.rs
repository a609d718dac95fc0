//! CAPABILITY (RFC 9051 §6.1.1) in every state: the greeting's and LOGIN's `[CAPABILITY]` codes, the
//! state-dependent tail (STARTTLS and AUTH= before login, RFC 9051 §6.2; COMPRESS=DEFLATE after it,
//! RFC 4978 §3), LOGINDISABLED for a remote client without TLS (RFC 9051 §6.2.3), syntax errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[tokio::test]
async fn not_authenticated() {
    let env = start().await;
    let mut c = env.client().await;
    let caps = format!("{BASE_CAPS} STARTTLS AUTH=PLAIN AUTH=LOGIN");
    assert_eq!(c.greeting, format!("* OK [CAPABILITY {caps}] Malt ready\r\n"));
    let r = c.cmd("a CAPABILITY").await;
    assert_eq!(
        r,
        lines(&[&format!("* CAPABILITY {caps}"), "a OK CAPABILITY completed"])
    );
}

#[tokio::test]
async fn authenticated_and_selected() {
    let env = start().await;
    let mut c = env.client().await;
    let caps = format!("{BASE_CAPS} COMPRESS=DEFLATE");
    let r = c.cmd(&format!("a LOGIN {USER} \"{PASS}\"")).await;
    assert_eq!(r, lines(&[&format!("a OK [CAPABILITY {caps}] Logged in")]));
    let want = lines(&[&format!("* CAPABILITY {caps}"), "b OK CAPABILITY completed"]);
    assert_eq!(c.cmd("b CAPABILITY").await, want);
    c.cmd("c SELECT INBOX").await;
    let want = lines(&[&format!("* CAPABILITY {caps}"), "d OK CAPABILITY completed"]);
    assert_eq!(c.cmd("d CAPABILITY").await, want);
    // RFC 4978 §3: no COMPRESS=DEFLATE once compression is active.
    only(&mut c, "e COMPRESS DEFLATE", "e OK DEFLATE active").await;
}

/// A remote client on a listener without TLS: no STARTTLS (the listener has none), LOGINDISABLED
/// instead of AUTH= mechanisms (RFC 9051 §6.2.3, op/capability.rs).
#[tokio::test]
async fn remote_plaintext_client() {
    let env = start().await;
    let mut c = Client::connect_proxied(env.proxied, "203.0.113.5").await;
    let caps = format!("{BASE_CAPS} LOGINDISABLED");
    assert_eq!(c.greeting, format!("* OK [CAPABILITY {caps}] Malt ready\r\n"));
    let r = c.cmd("a CAPABILITY").await;
    assert_eq!(
        r,
        lines(&[&format!("* CAPABILITY {caps}"), "a OK CAPABILITY completed"])
    );
}

#[tokio::test]
async fn syntax_error() {
    let env = start().await;
    let mut c = env.client().await;
    only(
        &mut c,
        "a CAPABILITY IMAP4rev2",
        "a BAD unexpected characters at end of command",
    )
    .await;
    // Command names are case-insensitive (RFC 9051 §9 "Formal Syntax"); the session continues.
    let r = c.cmd("b capability").await;
    assert_eq!(r[1], "b OK CAPABILITY completed\r\n", "{r:?}");
}
