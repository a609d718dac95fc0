//! Session-level behaviour: greeting, CAPABILITY, NOOP, LOGOUT, state checks, bad commands, pipelining
//! (PITFALLS 1), literals.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[tokio::test]
async fn greeting_capability_logout() {
    let env = start().await;
    let mut c = env.client().await;
    assert!(
        c.greeting.starts_with("* OK [CAPABILITY IMAP4rev1 IMAP4rev2 "),
        "{}",
        c.greeting
    );
    assert!(c.greeting.contains("STARTTLS") && c.greeting.contains("AUTH=PLAIN"));
    let r = c.cmd("a CAPABILITY").await;
    assert!(r[0].starts_with("* CAPABILITY ") && r[0].contains("IDLE") && r[0].contains("MOVE"));
    assert!(r[1].starts_with("a OK"));
    let r = c.cmd("b NOOP").await;
    assert_eq!(r, vec!["b OK NOOP completed\r\n"]);
    let r = c.cmd("c LOGOUT").await;
    assert!(r[0].starts_with("* BYE"));
    assert!(r[1].starts_with("c OK"));
    c.expect_eof().await;
}

#[tokio::test]
async fn state_checks_and_bad_syntax() {
    let env = start().await;
    let mut c = env.client().await;
    let r = c.cmd("a SELECT INBOX").await;
    assert!(r[0].starts_with("a BAD"), "{r:?}");
    let r = c.cmd("b FETCH 1 FLAGS").await;
    assert!(r[0].starts_with("b BAD"), "{r:?}");
    let r = c.cmd("c FROBNICATE").await;
    assert!(r[0].starts_with("c BAD"), "{r:?}");
    let r = c.cmd("d GETACL INBOX").await;
    assert!(r[0].starts_with("d BAD"), "{r:?}");
    let r = c.cmd("e LOGIN alice@example.org wrong").await;
    assert!(r[0].starts_with("e NO [AUTHENTICATIONFAILED]"), "{r:?}");
    let r = c.cmd(&format!("f LOGIN {USER} \"{PASS}\"")).await;
    assert!(r[0].starts_with("f OK [CAPABILITY "), "{r:?}");
    let r = c.cmd("g LOGIN x y").await;
    assert!(r[0].starts_with("g BAD"), "{r:?}");
    let r = c.cmd("h FETCH 1 FLAGS").await;
    assert!(r[0].starts_with("h BAD"), "{r:?}");
}

/// PITFALLS 1: LOGIN, SELECT and FETCH in one write are answered in order, as if sent one by one.
#[tokio::test]
async fn pipelined_login_select_fetch() {
    let env = start().await;
    env.append(&msg("one", "hello")).await;
    let mut c = env.client().await;
    let batch =
        format!("a LOGIN {USER} \"{PASS}\"\r\nb SELECT INBOX\r\nc FETCH 1 (UID FLAGS)\r\nd LOGOUT\r\n");
    c.send(batch.as_bytes()).await;
    let a = c.until("a").await;
    assert!(a.last().unwrap().starts_with("a OK"), "{a:?}");
    let b = c.until("b").await;
    assert!(has(&b, "* 1 EXISTS"), "{b:?}");
    assert!(b.last().unwrap().starts_with("b OK [READ-WRITE]"), "{b:?}");
    let f = c.until("c").await;
    assert!(f[0].starts_with("* 1 FETCH (UID 1 FLAGS ())"), "{f:?}");
    assert!(f.last().unwrap().starts_with("c OK"));
    let d = c.until("d").await;
    assert!(d[0].starts_with("* BYE"));
}

#[tokio::test]
async fn synchronising_literal_login() {
    let env = start().await;
    let mut c = env.client().await;
    c.send(format!("a LOGIN {{{}}}\r\n", USER.len()).as_bytes()).await;
    let cont = c.line().await;
    assert!(cont.starts_with("+ "), "{cont}");
    c.send(format!("{USER} {{{}}}\r\n", PASS.len()).as_bytes()).await;
    let cont = c.line().await;
    assert!(cont.starts_with("+ "), "{cont}");
    c.send(format!("{PASS}\r\n").as_bytes()).await;
    let r = c.until("a").await;
    assert!(r.last().unwrap().starts_with("a OK"), "{r:?}");
    // LITERAL+: no continuation.
    let r = c.cmd("b LOGOUT").await;
    assert!(r[0].starts_with("* BYE"));
}

#[tokio::test]
async fn authenticate_plain_and_login() {
    let env = start().await;
    let mut c = env.client().await;
    let ir = base64_encode(format!("\0{USER}\0{PASS}").as_bytes());
    let r = c.cmd(&format!("a AUTHENTICATE PLAIN {ir}")).await;
    assert!(r[0].starts_with("a OK"), "{r:?}");

    let mut c = env.client().await;
    c.send(b"b AUTHENTICATE LOGIN\r\n").await;
    assert!(c.line().await.starts_with("+ "));
    c.send(format!("{}\r\n", base64_encode(USER.as_bytes())).as_bytes())
        .await;
    assert!(c.line().await.starts_with("+ "));
    c.send(format!("{}\r\n", base64_encode(PASS.as_bytes())).as_bytes())
        .await;
    let r = c.until("b").await;
    assert!(r.last().unwrap().starts_with("b OK"), "{r:?}");

    let mut c = env.client().await;
    c.send(b"c AUTHENTICATE PLAIN\r\n").await;
    assert!(c.line().await.starts_with("+"));
    c.send(b"*\r\n").await;
    let r = c.until("c").await;
    assert!(r[0].starts_with("c BAD"), "{r:?}");
}

#[tokio::test]
async fn enable_id_namespace() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let r = c.cmd("a ENABLE IMAP4rev2 UTF8=ACCEPT").await;
    assert!(r[0].starts_with("* ENABLED IMAP4rev2 UTF8=ACCEPT"), "{r:?}");
    let r = c.cmd("b ID NIL").await;
    assert!(r[0].starts_with("* ID ("), "{r:?}");
    let r = c.cmd("c NAMESPACE").await;
    assert_eq!(
        r[0],
        "* NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) NIL\r\n"
    );
    // rev2 SELECT: no RECENT, a LIST response.
    let r = c.cmd("d SELECT INBOX").await;
    assert!(!has(&r, "RECENT") && has(&r, "* LIST () \"/\" INBOX"), "{r:?}");
}

#[tokio::test]
async fn starttls_refuses_pipelined_plaintext() {
    let env = start().await;
    let mut c = env.client().await;
    c.send(b"a STARTTLS\r\nb NOOP\r\n").await;
    let r = c.until("a").await;
    assert!(r[0].starts_with("a OK"), "{r:?}");
    c.expect_eof().await;
}

#[tokio::test]
async fn overlong_line_closes() {
    let env = start().await;
    let mut c = env.client().await;
    let mut line = b"a ".to_vec();
    line.extend(std::iter::repeat_n(b'x', 70_000));
    c.send(&line).await;
    let l = c.line().await;
    assert!(l.starts_with("* BAD") || l.starts_with("a BAD"), "{l}");
    let l = c.line().await;
    assert!(l.starts_with("* BYE"), "{l}");
    c.expect_eof().await;
}

#[tokio::test]
async fn too_big_sync_literal_is_refused_without_continuation() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let r = c.cmd("a APPEND INBOX {999999999999}").await;
    assert!(r[0].starts_with("a NO [TOOBIG]"), "{r:?}");
    let r = c.cmd("b NOOP").await;
    assert!(r[0].starts_with("b OK"), "{r:?}");
}

/// A remote client without TLS: LOGINDISABLED, no AUTH= mechanisms, LOGIN refused.
#[tokio::test]
async fn plaintext_refused_for_remote_clients() {
    let env = start().await;
    let mut c = Client::connect_proxied(env.proxied, "203.0.113.5").await;
    assert!(
        c.greeting.contains("LOGINDISABLED") && !c.greeting.contains("AUTH=PLAIN"),
        "{}",
        c.greeting
    );
    assert!(
        !c.greeting.contains("STARTTLS"),
        "no STARTTLS on a plain listener: {}",
        c.greeting
    );
    let r = c.cmd(&format!("a LOGIN {USER} \"{PASS}\"")).await;
    assert!(r[0].starts_with("a NO [PRIVACYREQUIRED]"), "{r:?}");
    let r = c.cmd("b AUTHENTICATE PLAIN =").await;
    assert!(r[0].starts_with("b NO [PRIVACYREQUIRED]"), "{r:?}");
}

pub fn base64_encode(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A command trickled in one byte per packet, literal included, is parsed once it can complete
/// (not after every byte) and runs exactly as if sent at once; `+` comes once per literal.
#[tokio::test]
async fn trickled_command_with_literal() {
    let env = start().await;
    let mut c = env.logged_in().await;
    for &b in b"t1 APPEND INBOX (\\Seen) {11}\r\n" {
        c.send(&[b]).await;
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let l = c.line().await;
    assert!(l.starts_with('+'), "{l}");
    for &b in b"hello world\r\n" {
        c.send(&[b]).await;
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let r = c.until("t1").await;
    assert!(
        r.last().is_some_and(|l| l.starts_with("t1 OK [APPENDUID")),
        "{r:?}"
    );
    assert!(
        !r.iter().any(|l| l.starts_with('+')),
        "a second continuation: {r:?}"
    );
    let r = c.cmd("t2 SELECT INBOX").await;
    assert!(has(&r, "* 1 EXISTS"), "{r:?}");
}
