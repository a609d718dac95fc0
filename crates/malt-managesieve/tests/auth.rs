//! AUTHENTICATE (RFC 5804 §2.1): PLAIN with an initial response (quoted and literal), PLAIN and
//! LOGIN with challenges, cancelling, wrong credentials, unsupported mechanisms, the rate limit;
//! plaintext refused for a remote client without TLS (`ENCRYPT-NEEDED`, via a PROXY v1 header);
//! STARTTLS (§2.2) with the capabilities re-sent and plaintext pipelined behind it refused;
//! implicit TLS; UNAUTHENTICATE (§2.14).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::{Client, PASS, PY_PRELUDE, USER, plain, py_env, python, start, start_with};
use malt_config::SieveConfig;

#[tokio::test]
async fn plain_with_initial_response() {
    let env = start().await;
    let mut c = env.client().await;
    let r = c
        .cmd(&format!("AUTHENTICATE \"PLAIN\" \"{}\"", plain(USER, PASS)))
        .await;
    assert_eq!(r.status, "OK \"Logged in.\"");
    assert!(c.cmd("LISTSCRIPTS").await.is_ok());

    // As a literal, and the mechanism in lower case; the address in any case.
    let mut c = env.client().await;
    let ir = plain("ALICE@example.org", PASS);
    c.send(format!("AUTHENTICATE \"plain\" {{{}+}}\r\n{ir}\r\n", ir.len()).as_bytes())
        .await;
    assert!(c.response().await.is_ok());
}

#[tokio::test]
async fn plain_and_login_with_challenges() {
    let env = start().await;
    let mut c = env.client().await;
    c.send(b"AUTHENTICATE \"PLAIN\"\r\n").await;
    assert_eq!(c.raw_line().await, "\"\"\r\n", "an empty challenge");
    let r = c.cmd(&format!("\"{}\"", plain(USER, "wrong"))).await;
    assert_eq!(r.status, "NO \"Authentication failed.\"");
    c.send(b"AUTHENTICATE \"PLAIN\"\r\n").await;
    assert_eq!(c.raw_line().await, "\"\"\r\n");
    let ir = plain(USER, PASS);
    let r = c.cmd(&format!("{{{}+}}\r\n{ir}", ir.len())).await;
    assert!(r.is_ok(), "{r:?}");

    let mut c = env.client().await;
    c.send(b"AUTHENTICATE \"LOGIN\"\r\n").await;
    assert_eq!(c.raw_line().await, format!("\"{}\"\r\n", B64.encode("Username:")));
    c.send(format!("\"{}\"\r\n", B64.encode(USER)).as_bytes()).await;
    assert_eq!(c.raw_line().await, format!("\"{}\"\r\n", B64.encode("Password:")));
    let r = c.cmd(&format!("\"{}\"", B64.encode(PASS))).await;
    assert!(r.is_ok(), "{r:?}");
}

#[tokio::test]
async fn failures_and_cancellation() {
    let env = start().await;
    let mut c = env.client().await;
    c.send(b"AUTHENTICATE \"LOGIN\"\r\n").await;
    assert!(c.raw_line().await.starts_with('"'));
    assert_eq!(c.cmd("\"*\"").await.status, "NO \"Authentication cancelled.\"");
    assert_eq!(
        c.cmd("AUTHENTICATE \"CRAM-MD5\"").await.status,
        "NO \"Unsupported authentication mechanism.\""
    );
    assert_eq!(
        c.cmd("AUTHENTICATE \"PLAIN\" \"!!!\"").await.status,
        "NO \"Invalid base64 data.\""
    );
    c.send(b"AUTHENTICATE \"PLAIN\"\r\n").await;
    assert_eq!(c.raw_line().await, "\"\"\r\n");
    assert!(
        c.cmd("not-a-string")
            .await
            .status
            .starts_with("NO \"Error in the authentication response")
    );
    let r = c
        .cmd(&format!(
            "AUTHENTICATE \"PLAIN\" \"{}\"",
            plain("nobody@example.org", PASS)
        ))
        .await;
    assert_eq!(
        r.status, "NO \"Authentication failed.\"",
        "an unknown user: the same answer"
    );
    // Still non-authenticated and usable.
    assert!(c.cmd("LISTSCRIPTS").await.status.contains("needs authentication"));
    c.login().await;
}

#[tokio::test]
async fn repeated_failures_are_rate_limited() {
    let env = start().await;
    let mut c = env.client().await;
    // AuthSettings::default(): 10 failures per account within the window.
    for _ in 0..10 {
        let r = c
            .cmd(&format!("AUTHENTICATE \"PLAIN\" \"{}\"", plain(USER, "wrong")))
            .await;
        assert_eq!(r.status, "NO \"Authentication failed.\"");
    }
    let r = c
        .cmd(&format!("AUTHENTICATE \"PLAIN\" \"{}\"", plain(USER, PASS)))
        .await;
    assert_eq!(
        r.status,
        "NO (TRYLATER) \"Temporary authentication failure, try again later.\""
    );
}

#[tokio::test]
async fn plaintext_refused_for_remote_client_without_tls() {
    let env = start().await;
    let mut c = Client::connect_proxied(env.proxied, "192.0.2.1").await;
    assert!(
        c.greeting.lines.contains(&"\"SASL\" \"\"".to_owned()),
        "{:?}",
        c.greeting
    );
    assert!(
        !c.greeting.lines.iter().any(|l| l.starts_with("\"STARTTLS\"")),
        "not a STARTTLS listener: {:?}",
        c.greeting
    );
    let r = c
        .cmd(&format!("AUTHENTICATE \"PLAIN\" \"{}\"", plain(USER, PASS)))
        .await;
    assert_eq!(
        r.status,
        "NO (ENCRYPT-NEEDED) \"Plaintext authentication disallowed on non-secure connections; use STARTTLS.\""
    );
    assert!(c.cmd("STARTTLS").await.status.starts_with("NO"));

    // A loopback client behind the same proxy may; so may anyone when the config allows it.
    Client::connect_proxied(env.proxied, "127.0.0.1")
        .await
        .login()
        .await;
    let env = start_with(SieveConfig::default(), |c| {
        c.auth.allow_plaintext_without_tls = true
    })
    .await;
    Client::connect_proxied(env.proxied, "192.0.2.1")
        .await
        .login()
        .await;
}

#[tokio::test]
async fn starttls_resends_capabilities() {
    let env = start().await;
    let script = format!(
        "{PY_PRELUDE}
s = Sieve(socket.create_connection(('127.0.0.1', PORT)))
caps, ok = s.response()
assert '\"STARTTLS\"' in caps, caps
lines, ok = s.cmd('STARTTLS')
assert ok.startswith('OK'), ok
s.wrap()
caps, ok = s.response()
print('after tls:', ok)
assert '\"STARTTLS\"' not in caps, caps
assert '\"SASL\" \"PLAIN LOGIN\"' in caps, caps
lines, ok = s.cmd('NOOP \"STARTTLS-RESYNC-CAPA\"')
print(ok)
ir = base64.b64encode(('\\0' + USER + '\\0' + PASS).encode()).decode()
lines, ok = s.cmd('AUTHENTICATE \"PLAIN\" \"' + ir + '\"')
print('auth:', ok)
lines, ok = s.cmd('PUTSCRIPT \"tls\" {{7+}}\\r\\nkeep;\\r\\n')
print('put:', ok)
lines, ok = s.cmd('STARTTLS')
print('again:', ok)
"
    );
    let out = python(&script, &py_env(&env)).await;
    assert!(out.contains("after tls: OK"), "{out}");
    assert!(
        out.contains("OK (TAG \"STARTTLS-RESYNC-CAPA\") \"Done\""),
        "{out}"
    );
    assert!(out.contains("auth: OK"), "{out}");
    assert!(out.contains("put: OK"), "{out}");
    assert!(out.contains("again: NO"), "{out}");
    assert_eq!(env.source("tls").await.as_deref(), Some("keep;\r\n"));
}

#[tokio::test]
async fn starttls_refuses_pipelined_plaintext() {
    let env = start().await;
    let mut c = env.client().await;
    // Plaintext pipelined behind STARTTLS must never be executed: the server closes instead.
    c.send(format!("STARTTLS\r\nAUTHENTICATE \"PLAIN\" \"{}\"\r\n", plain(USER, PASS)).as_bytes())
        .await;
    assert_eq!(c.response().await.status, "OK \"Begin TLS negotiation now.\"");
    c.expect_eof().await;
}

#[tokio::test]
async fn implicit_tls() {
    let env = start().await;
    let script = format!(
        "{PY_PRELUDE}
s = Sieve(ctx.wrap_socket(socket.create_connection(('127.0.0.1', PORTS))))
caps, ok = s.response()
print(ok)
assert '\"STARTTLS\"' not in caps, caps
lines, ok = s.cmd('STARTTLS')
print('starttls:', ok)
ir = base64.b64encode(('\\0' + USER + '\\0' + PASS).encode()).decode()
lines, ok = s.cmd('AUTHENTICATE \"PLAIN\" \"' + ir + '\"')
print('auth:', ok)
"
    );
    let out = python(&script, &py_env(&env)).await;
    assert!(out.contains("OK \"Malt ManageSieve ready.\""), "{out}");
    assert!(out.contains("starttls: NO"), "{out}");
    assert!(out.contains("auth: OK"), "{out}");
}

#[tokio::test]
async fn unauthenticate() {
    let env = start().await;
    let mut c = env.logged_in().await;
    assert_eq!(
        c.cmd("UNAUTHENTICATE").await.status,
        "OK \"Unauthenticate completed.\""
    );
    assert!(c.cmd("LISTSCRIPTS").await.status.contains("needs authentication"));
    let r = c.cmd("CAPABILITY").await;
    assert!(!r.lines.iter().any(|l| l.starts_with("\"OWNER\"")), "{r:?}");
    // Authenticating again works.
    c.login().await;
    assert!(c.cmd("LISTSCRIPTS").await.is_ok());
}
