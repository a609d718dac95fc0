//! BINARY (RFC 3516): FETCH BINARY/BINARY.PEEK/BINARY.SIZE with the transfer encoding removed,
//! literal8 for NUL, UNKNOWN-CTE, \Seen, and APPEND with a literal8.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

/// Parts: 1 QP text, 2 base64 octets with NUL, 3 8bit text, 4 an unknown CTE, 5 base64 text with
/// bare LF line ends, 6 an encapsulated message.
const PARTS: &str = "From: Bob <bob@example.net>\r\nTo: alice@example.org\r\nSubject: binary\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =3D ok=\r\nsoft\r\n\
--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nYQBi/w==\r\n\
--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\ngr\u{fc}\u{df}e\r\n\
--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n\
--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8Kd29ybGQ=\r\n\
--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n\
--b--\r\n";

#[tokio::test]
async fn binary_decodes_parts() {
    let env = start().await;
    env.append(PARTS.as_bytes()).await;
    let mut c = env.selected().await;

    // Quoted-printable: escapes decoded, the soft line break joins the lines.
    let r = c.cmd("a FETCH 1 (BINARY.PEEK[1])").await;
    assert_eq!(
        r,
        vec![
            "* 1 FETCH (BINARY[1] {14}\r\ncafé = oksoft)\r\n",
            "a OK FETCH completed\r\n"
        ]
    );
    // Base64 octets containing NUL: a literal8 (RFC 3516 §4.2).
    let r = c.cmd("b FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2])").await;
    assert_eq!(
        r[0], "* 1 FETCH (BINARY[2] ~{4}\r\na\u{0}b\u{fffd} BINARY.SIZE[2] 4)\r\n",
        "{r:?}"
    );
    // 8bit is sent as stored, in a normal literal (no NUL).
    let r = c.cmd("c FETCH 1 (BINARY.PEEK[3] BINARY.SIZE[3])").await;
    assert_eq!(
        r[0], "* 1 FETCH (BINARY[3] {7}\r\ngrüße BINARY.SIZE[3] 7)\r\n",
        "{r:?}"
    );
    // Base64 text: decoded, bare LF sent as CRLF; a partial counts decoded octets.
    let r = c
        .cmd("d FETCH 1 (BINARY.SIZE[5] BINARY.PEEK[5] BINARY.PEEK[5]<7.3>)")
        .await;
    assert_eq!(
        r[0], "* 1 FETCH (BINARY.SIZE[5] 12 BINARY[5] {12}\r\nhello\r\nworld BINARY[5]<7> {3}\r\nwor)\r\n",
        "{r:?}"
    );
    // Unknown transfer encoding: NO [UNKNOWN-CTE] (RFC 3516 §4.3), for BINARY.SIZE too.
    let r = c.cmd("e FETCH 1 (BINARY.PEEK[4])").await;
    assert_eq!(
        r,
        vec!["e NO [UNKNOWN-CTE] Cannot decode content-transfer-encoding X-UUENCODE\r\n"]
    );
    let r = c.cmd("f FETCH 1 (BINARY.SIZE[4])").await;
    assert!(r[0].starts_with("f NO [UNKNOWN-CTE]"), "{r:?}");
    // Refused before anything happens: no FETCH data and no \Seen (checked below).
    let r = c.cmd("f2 FETCH 1 (BINARY[5] BINARY[4])").await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].starts_with("f2 NO [UNKNOWN-CTE]"), "{r:?}");
    // An encapsulated message is sent as stored; a missing part is NIL.
    let r = c.cmd("g FETCH 1 (BINARY.PEEK[6] BINARY.PEEK[9])").await;
    assert_eq!(
        r[0], "* 1 FETCH (BINARY[6] {28}\r\nSubject: inner\r\n\r\ninner body BINARY[9] NIL)\r\n",
        "{r:?}"
    );
    // Nothing above set \Seen; BINARY without PEEK does, like BODY[] (RFC 3516 §4.2).
    let r = c.cmd("h FETCH 1 (FLAGS)").await;
    assert_eq!(r[0], "* 1 FETCH (FLAGS ())\r\n");
    let r = c.cmd("i FETCH 1 (BINARY[5]<0.5>)").await;
    assert_eq!(
        r[0], "* 1 FETCH (FLAGS (\\Seen) BINARY[5]<0> {5}\r\nhello)\r\n",
        "{r:?}"
    );
    // UID FETCH works the same and carries the UID.
    let r = c.cmd("j UID FETCH 1 (BINARY.SIZE[1])").await;
    assert_eq!(r[0], "* 1 FETCH (UID 1 BINARY.SIZE[1] 14)\r\n", "{r:?}");
}

#[tokio::test]
async fn binary_of_a_single_part_message() {
    let env = start().await;
    let raw = "From: a@example.net\r\nSubject: one\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n";
    env.append(raw.as_bytes()).await;
    let mut c = env.selected().await;
    // Part 1 of a non-multipart message is its body (RFC 9051 §6.4.5); BINARY[] is the whole message.
    let r = c.cmd("a FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[])").await;
    assert_eq!(
        r[0],
        format!(
            "* 1 FETCH (BINARY[1] {{2}}\r\nhi BINARY.SIZE[] {})\r\n",
            raw.len()
        ),
        "{r:?}"
    );
}

#[tokio::test]
async fn append_with_literal8() {
    let env = start().await;
    let mut c = env.selected().await;
    let raw = b"From: a@example.net\r\nSubject: nul\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\nx\0y\r\n";
    c.send(format!("a APPEND INBOX ~{{{}}}\r\n", raw.len()).as_bytes())
        .await;
    let cont = c.line().await;
    assert!(cont.starts_with("+ "), "{cont}");
    let mut data = raw.to_vec();
    data.extend_from_slice(b"\r\n");
    c.send(&data).await;
    let r = c.until("a").await;
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(r[0], "* 1 EXISTS\r\n", "{r:?}");
    assert!(r[1].starts_with("a OK [APPENDUID "), "RFC 3516 §4.4: {r:?}");
    // Stored as sent: the body keeps its NUL and comes back as a literal8.
    let r = c.cmd("c FETCH 1 (BINARY.PEEK[1] RFC822.SIZE)").await;
    assert_eq!(
        r[0],
        format!(
            "* 1 FETCH (BINARY[1] ~{{5}}\r\nx\u{0}y\r\n RFC822.SIZE {})\r\n",
            raw.len()
        ),
        "{r:?}"
    );
}
