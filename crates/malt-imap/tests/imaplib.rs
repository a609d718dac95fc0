//! Python's imaplib driving a realistic client session over the real server: login (STARTTLS and
//! implicit TLS), list, select, append, fetch, store, search, copy, move, expunge, and IDLE with a
//! concurrent append from the store.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;

const SESSION: &str = r#"
import os, imaplib, ssl, time
ctx = ssl.create_default_context(cafile=os.environ["CERT"])
M = imaplib.IMAP4("127.0.0.1", int(os.environ["PORT"]))
M.starttls(ssl_context=ctx)
typ, _ = M.login(os.environ["USER"], os.environ["PASS"]); assert typ == "OK"
typ, boxes = M.list(); assert typ == "OK" and any(b'INBOX' in b for b in boxes), boxes
assert M.create("Saved")[0] == "OK"
msg = b"From: bob@example.net\r\nSubject: imaplib test\r\n\r\nHello from Python\r\n"
typ, data = M.append("INBOX", "(\\Flagged)", imaplib.Time2Internaldate(time.time()), msg)
assert typ == "OK" and b"APPENDUID" in data[0], data
typ, data = M.select("INBOX"); assert typ == "OK" and data[-1] == b"2", data
typ, data = M.fetch("2", "(RFC822 FLAGS)"); assert typ == "OK"
assert data[0][1] == msg, data
assert b"\\Seen" in data[0][0] and b"\\Flagged" in data[0][0], data
typ, data = M.search(None, "SUBJECT", "imaplib"); assert data == [b"2"], data
typ, data = M.uid("SEARCH", "FLAGGED"); assert data == [b"2"], data
typ, data = M.store("1", "+FLAGS", "(\\Deleted)"); assert typ == "OK", data
typ, data = M.copy("2", "Saved"); assert typ == "OK" and b"COPYUID" in data[0], data
typ, data = M.uid("MOVE", "2", "Saved"); assert typ == "OK", data
typ, data = M.expunge(); assert typ == "OK" and data[-1] == b"1", data  # imaplib keeps MOVE's EXPUNGE too
typ, data = M.status("Saved", "(MESSAGES)"); assert b"MESSAGES 2" in data[0], data
typ, data = M.select("Saved", readonly=True); assert data[0] == b"2", data
M.close(); M.logout()

S = imaplib.IMAP4_SSL("127.0.0.1", int(os.environ["PORTS"]), ssl_context=ctx)
S.login(os.environ["USER"], os.environ["PASS"])
S.select("INBOX")
print("READY", flush=True)
tag = S._new_tag().decode()
S.send(f"{tag} IDLE\r\n".encode())
assert S.readline().startswith(b"+")
start = time.time()
line = S.readline()
assert line.endswith(b"EXISTS\r\n"), line
print("IDLE", round(time.time() - start, 3), flush=True)
S.send(b"DONE\r\n")
assert S.readline().startswith(tag.encode() + b" OK")
S.logout()
print("DONE")
"#;

#[tokio::test]
async fn python_imaplib_session() {
    let env = start().await;
    env.append(&msg("first", "x")).await;
    let envs = vec![
        ("PORT", env.imap.port().to_string()),
        ("PORTS", env.imaps.port().to_string()),
        ("USER", USER.to_owned()),
        ("PASS", PASS.to_owned()),
        ("CERT", env.cert.display().to_string()),
    ];
    let script = python(SESSION, &envs);
    // The concurrent delivery arrives while the script idles (it waits for EXISTS).
    let deliver = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        env.append(&msg("during idle", "x")).await;
    };
    let (out, ()) = tokio::join!(script, deliver);
    assert!(out.contains("READY") && out.contains("DONE"), "{out}");
    let idle_line = out.lines().find(|l| l.starts_with("IDLE ")).unwrap();
    let secs: f64 = idle_line[5..].parse().unwrap();
    assert!(secs < 1.5, "{out}");
}
