//! Greeting, CAPA, USER/PASS, AUTH (PLAIN, LOGIN, cancel), plaintext refusal for a non-loopback client
//! (via a PROXY v1 header), STLS and implicit TLS (with Python's poplib), and the state table.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::{Client, PASS, PY_PRELUDE, USER, py_env, python, start};

fn plain(user: &str, pass: &str) -> String {
    B64.encode(format!("\0{user}\0{pass}"))
}

#[tokio::test]
async fn greeting_and_capa() {
    let env = start().await;
    let mut c = env.client().await;
    assert_eq!(c.greeting, "+OK mail.test Malt POP3 ready\r\n");
    assert!(!c.greeting.contains('<'), "no APOP timestamp");
    assert_eq!(c.cmd("CAPA").await, "+OK Capability list follows\r\n");
    let caps = c.body().await;
    let caps: Vec<&str> = caps.iter().map(|l| l.trim_end()).collect();
    for want in [
        "TOP",
        "UIDL",
        "RESP-CODES",
        "AUTH-RESP-CODE",
        "PIPELINING",
        "USER",
        "SASL PLAIN LOGIN",
        "STLS",
        "EXPIRE NEVER",
        "LOGIN-DELAY 0",
        "IMPLEMENTATION Malt",
    ] {
        assert!(caps.contains(&want), "{want} missing from {caps:?}");
    }
    c.login().await;
    assert!(c.cmd("CAPA").await.starts_with("+OK"));
    let caps = c.body().await;
    assert!(caps.iter().any(|l| l == "TOP\r\n"));
    assert!(
        !caps.iter().any(|l| l == "STLS\r\n" || l == "USER\r\n"),
        "{caps:?}"
    );
    assert!(c.cmd("QUIT").await.starts_with("+OK"));
    c.expect_eof().await;
}

#[tokio::test]
async fn user_pass() {
    let env = start().await;
    let mut c = env.client().await;
    // PASS without USER.
    assert!(c.cmd("PASS x").await.starts_with("-ERR "));
    // Wrong password: [AUTH], and the USER is forgotten.
    assert_eq!(c.cmd(&format!("USER {USER}")).await, "+OK\r\n");
    assert_eq!(c.cmd("PASS wrong").await, "-ERR [AUTH] Authentication failed\r\n");
    assert!(c.cmd(&format!("PASS {PASS}")).await.starts_with("-ERR "));
    // Unknown user: the same answer.
    assert_eq!(c.cmd("USER nobody@example.org").await, "+OK\r\n");
    assert_eq!(c.cmd("PASS wrong").await, "-ERR [AUTH] Authentication failed\r\n");
    // Right (the password has a space: PASS takes the rest of the line), in any case of the address.
    assert_eq!(c.cmd("user ALICE@example.org").await, "+OK\r\n");
    assert_eq!(
        c.cmd(&format!("pass {PASS}")).await,
        "+OK Logged in, 0 messages\r\n"
    );
    // Authorization commands are refused now.
    assert!(c.cmd("USER x").await.starts_with("-ERR"));
    assert!(c.cmd("STLS").await.starts_with("-ERR"));
    assert!(c.cmd("AUTH PLAIN").await.starts_with("-ERR"));
    assert_eq!(c.cmd("STAT").await, "+OK 0 0\r\n");
}

#[tokio::test]
async fn transaction_commands_need_login() {
    let env = start().await;
    let mut c = env.client().await;
    for cmd in [
        "STAT", "LIST", "UIDL", "RETR 1", "TOP 1 0", "DELE 1", "RSET", "NOOP",
    ] {
        let r = c.cmd(cmd).await;
        assert!(r.starts_with("-ERR") && r.contains("not allowed"), "{cmd}: {r}");
    }
    assert_eq!(c.cmd("QUIT").await, "+OK Logging out\r\n");
    c.expect_eof().await;
}

#[tokio::test]
async fn auth_plain_and_login() {
    let env = start().await;
    // Initial response (RFC 5034 §4).
    let mut c = env.client().await;
    let r = c.cmd(&format!("AUTH PLAIN {}", plain(USER, PASS))).await;
    assert!(r.starts_with("+OK Logged in"), "{r}");
    assert!(c.cmd("QUIT").await.starts_with("+OK"));

    // Empty challenge, then the response.
    let mut c = env.client().await;
    assert_eq!(c.cmd("AUTH PLAIN").await, "+ \r\n");
    let r = c.cmd(&plain(USER, "bad")).await;
    assert_eq!(r, "-ERR [AUTH] Authentication failed\r\n");
    assert_eq!(c.cmd("AUTH plain").await, "+ \r\n");
    assert!(c.cmd(&plain(USER, PASS)).await.starts_with("+OK"));

    // LOGIN.
    let mut c = env.client().await;
    assert_eq!(
        c.cmd("AUTH LOGIN").await,
        format!("+ {}\r\n", B64.encode("Username:"))
    );
    assert_eq!(
        c.cmd(&B64.encode(USER)).await,
        format!("+ {}\r\n", B64.encode("Password:"))
    );
    assert!(c.cmd(&B64.encode(PASS)).await.starts_with("+OK"));

    // Cancel, bad base64, unknown mechanism, listing.
    let mut c = env.client().await;
    assert_eq!(
        c.cmd("AUTH LOGIN").await,
        format!("+ {}\r\n", B64.encode("Username:"))
    );
    assert_eq!(c.cmd("*").await, "-ERR Authentication cancelled\r\n");
    assert!(c.cmd("AUTH PLAIN !!!").await.starts_with("-ERR"));
    assert!(c.cmd("AUTH CRAM-MD5").await.starts_with("-ERR"));
    assert!(c.cmd("AUTH").await.starts_with("+OK"));
    assert_eq!(c.body().await, vec!["PLAIN\r\n", "LOGIN\r\n"]);
    // Still in AUTHORIZATION and usable.
    c.login().await;
}

#[tokio::test]
async fn plaintext_refused_for_remote_client_without_tls() {
    let env = start().await;
    let mut c = Client::connect_proxied(env.proxied, "192.0.2.1").await;
    assert!(c.greeting.starts_with("+OK"));
    assert!(c.cmd("CAPA").await.starts_with("+OK"));
    let caps = c.body().await;
    assert!(
        !caps.iter().any(|l| l == "USER\r\n" || l.starts_with("SASL")),
        "{caps:?}"
    );
    assert!(
        !caps.iter().any(|l| l == "STLS\r\n"),
        "not a STARTTLS listener: {caps:?}"
    );
    let r = c.cmd(&format!("USER {USER}")).await;
    assert!(r.starts_with("-ERR [AUTH] "), "{r}");
    let r = c.cmd(&format!("PASS {PASS}")).await;
    assert!(r.starts_with("-ERR [AUTH] "), "{r}");
    let r = c.cmd(&format!("AUTH PLAIN {}", plain(USER, PASS))).await;
    assert!(r.starts_with("-ERR [AUTH] "), "{r}");
    assert!(c.cmd("STLS").await.starts_with("-ERR"));
    assert!(c.cmd("STAT").await.starts_with("-ERR"));

    // A loopback client behind the same proxy may log in.
    let mut c = Client::connect_proxied(env.proxied, "127.0.0.1").await;
    c.login().await;
}

#[tokio::test]
async fn plaintext_allowed_by_config() {
    let env = common::start_with(|c| c.auth.allow_plaintext_without_tls = true).await;
    let mut c = Client::connect_proxied(env.proxied, "192.0.2.1").await;
    c.login().await;
}

#[tokio::test]
async fn stls_then_login_with_poplib() {
    let env = start().await;
    env.append(b"Subject: tls\r\n\r\nover TLS\r\n").await;
    let script = format!(
        "{PY_PRELUDE}
p = poplib.POP3('127.0.0.1', PORT)
caps = p.capa()
assert 'STLS' in caps, caps
p.stls(context=ctx)
caps = p.capa()
assert 'STLS' not in caps, caps
assert 'USER' in caps, caps
p.user(USER)
p.pass_(PASS)
resp, lines, octets = p.retr(1)
print(b'\\n'.join(lines).decode())
print(p.quit().decode())
"
    );
    let out = python(&script, &py_env(&env)).await;
    assert!(out.contains("over TLS"), "{out}");
    assert!(out.contains("+OK Logging out"), "{out}");
}

#[tokio::test]
async fn stls_discards_pipelined_plaintext() {
    let env = start().await;
    let mut c = env.client().await;
    // Plaintext pipelined behind STLS must never be executed: the server closes instead.
    c.send(b"STLS\r\nUSER injected\r\n").await;
    assert!(c.line().await.starts_with("+OK"));
    c.expect_eof().await;
}

#[tokio::test]
async fn implicit_tls_with_poplib() {
    let env = start().await;
    let script = format!(
        "{PY_PRELUDE}
p = poplib.POP3_SSL('127.0.0.1', PORTS, context=ctx)
print(p.getwelcome().decode())
caps = p.capa()
assert 'STLS' not in caps, caps
assert 'SASL' in caps and caps['SASL'] == ['PLAIN', 'LOGIN'], caps
try:
    p._shortcmd('STLS')
    raise SystemExit('STLS accepted under TLS')
except poplib.error_proto as e:
    print('stls:', e)
resp = p._shortcmd('AUTH PLAIN ' + base64.b64encode(('\\0' + USER + '\\0' + PASS).encode()).decode())
print(resp.decode())
print(p.stat())
p.quit()
"
    );
    let out = python(&script, &py_env(&env)).await;
    assert!(out.contains("+OK mail.test Malt POP3 ready"), "{out}");
    assert!(out.contains("stls: b'-ERR"), "{out}");
    assert!(out.contains("+OK Logged in"), "{out}");
    assert!(out.contains("(0, 0)"), "{out}");
}
