//! COMPRESS=DEFLATE (RFC 4978) driven by Python's zlib over a raw socket: raw DEFLATE both ways,
//! pipelined compressed commands right after COMPRESS, a large FETCH, IDLE, COMPRESSIONACTIVE, and
//! the state rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

const CLIENT: &str = r#"
import os, socket, zlib

s = socket.create_connection(("127.0.0.1", int(os.environ["PORT"])))
s.settimeout(20)
comp = zlib.compressobj(wbits=-15)
decomp = None
pending = b""  # received, decoded, not yet returned
raw_in = 0

def until(tag):
    """Responses up to and including the tagged line (literals are not parsed: tags never start one)."""
    global pending, raw_in
    while True:
        start = 0
        while True:
            end = pending.find(b"\r\n", start)
            if end == -1:
                break
            if pending[start:].startswith(tag + b" "):
                out, pending = pending[:end + 2], pending[end + 2:]
                return out
            start = end + 2
        data = s.recv(65536)
        if not data:
            raise SystemExit("EOF")
        raw_in += len(data)
        pending += decomp.decompress(data) if decomp else data

def send(cmd):
    s.sendall(comp.compress(cmd) + comp.flush(zlib.Z_SYNC_FLUSH) if decomp else cmd)

def last(tag):
    return until(tag).decode().strip().split("\r\n")[-1]

assert s.recv(4096).startswith(b"* OK")
send(b"z COMPRESS DEFLATE\r\n")
print("PRELOGIN", last(b"z"))
send(b"a LOGIN " + os.environ["USER"].encode() + b" \"" + os.environ["PASS"].encode() + b"\"\r\n")
print("LOGIN", last(b"a"))
send(b"c CAPABILITY\r\n")
print("CAPS1", until(b"c").decode().split("\r\n")[0])
send(b"x COMPRESS LZW\r\n")
print("UNKNOWN", last(b"x"))
# COMPRESS and a compressed NOOP in one segment: the NOOP is already compressed (RFC 4978 §3).
s.sendall(b"b COMPRESS DEFLATE\r\n" + comp.compress(b"n NOOP\r\n") + comp.flush(zlib.Z_SYNC_FLUSH))
print("COMPRESS", last(b"b"))
# Whatever followed the tagged OK in the same segment is compressed already.
decomp = zlib.decompressobj(wbits=-15)
pending = decomp.decompress(pending)
print("NOOP", last(b"n"))
send(b"c CAPABILITY\r\n")
print("CAPS2", until(b"c").decode().split("\r\n")[0])
send(b"d COMPRESS DEFLATE\r\n")
print("AGAIN", last(b"d"))
send(b"e SELECT INBOX\r\n")
print("SELECT", last(b"e"))
before = raw_in
send(b"f FETCH 1 (BODY.PEEK[])\r\n")
resp = until(b"f")
head, _, rest = resp.partition(b"}\r\n")
body = rest[:int(head[head.rfind(b"{") + 1:])]
expected = open(os.environ["MSG"], "rb").read()
print("FETCH", len(body), body == expected, raw_in - before)
print("FETCHTAG", resp.strip().split(b"\r\n")[-1].decode())
# IDLE reads through the decompressor too.
send(b"i IDLE\r\n")
print("IDLING", last(b"+"))
send(b"DONE\r\n")
print("IDLEDONE", last(b"i"))
send(b"g LOGOUT\r\n")
print("LOGOUT", until(b"g").decode().strip().replace("\r\n", "|"))
"#;

#[tokio::test]
async fn compress_deflate_session() {
    let env = start().await;
    // A large, compressible message.
    let mut text = String::new();
    for i in 0..4000 {
        text.push_str(&format!("line {i} of a rather repetitive body\r\n"));
    }
    let m = msg("big", &text);
    env.append(&m).await;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &m).unwrap();
    let envs = vec![
        ("PORT", env.imap.port().to_string()),
        ("USER", USER.to_owned()),
        ("PASS", PASS.to_owned()),
        ("MSG", file.path().display().to_string()),
    ];
    let out = python(CLIENT, &envs).await;
    let get = |key: &str| -> String {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{key} ")))
            .unwrap_or_else(|| panic!("{key} missing in {out}"))
            .to_owned()
    };
    // Before authentication COMPRESS is not allowed (RFC 4978 §3: authenticated state).
    assert_eq!(get("PRELOGIN"), "z BAD COMPRESS is not allowed in this state");
    assert!(get("LOGIN").starts_with("a OK"), "{out}");
    assert!(get("CAPS1").contains(" COMPRESS=DEFLATE"), "{out}");
    assert_eq!(get("UNKNOWN"), "x BAD Unknown compression mechanism LZW");
    assert_eq!(get("COMPRESS"), "b OK DEFLATE active");
    assert_eq!(get("NOOP"), "n OK NOOP completed");
    // Once active, COMPRESS is no longer offered, and a second one is refused.
    let caps2 = get("CAPS2");
    assert!(
        caps2.starts_with("* CAPABILITY ") && !caps2.contains("COMPRESS"),
        "{out}"
    );
    assert_eq!(
        get("AGAIN"),
        "d NO [COMPRESSIONACTIVE] DEFLATE is already active via COMPRESS"
    );
    assert!(get("SELECT").starts_with("e OK [READ-WRITE]"), "{out}");
    // The whole message arrives intact, and far fewer octets travelled than it has.
    let fetch = get("FETCH");
    let parts: Vec<&str> = fetch.split(' ').collect();
    assert_eq!(parts[..2], [m.len().to_string().as_str(), "True"], "{out}");
    let wire: usize = parts[2].parse().unwrap();
    assert!(
        wire * 4 < m.len(),
        "the response must travel compressed: {wire} wire octets for {} octets",
        m.len()
    );
    assert_eq!(get("FETCHTAG"), "f OK FETCH completed");
    assert_eq!(get("IDLING"), "+ idling");
    assert_eq!(get("IDLEDONE"), "i OK IDLE terminated");
    assert!(
        get("LOGOUT").starts_with("* BYE ") && get("LOGOUT").ends_with("|g OK LOGOUT completed"),
        "{out}"
    );
}
