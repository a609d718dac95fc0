//! IMAP through `malt serve`, driven by Python's imaplib: mail delivered by the CLI (another
//! process) is listed, fetched, flagged and moved, and a delivery made while the client idles
//! reaches it within a second or two (the change feed polls the SQLite journal).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;

#[test]
fn imaplib_session_against_malt_serve() {
    let malt = Malt::new();
    malt.with_user("u@example.com");
    malt.ok(&["deliver", "--to", "u@example.com"], &message("first", 300));
    let config = malt.config_with_starttls("imap");
    let server = Server::start(&malt, &config, 2);
    let imap = server.addr("imap");
    let cert = malt.data_dir().join("tls/cert.pem");
    let deliver = format!(
        "{bin} --data-dir {dir} deliver --to u@example.com",
        bin = BIN,
        dir = malt.data_dir().display()
    );
    let script = format!(
        r#"
import imaplib, ssl, subprocess, time
ctx = ssl.create_default_context(cafile={cert:?})
ctx.check_hostname = False
m = imaplib.IMAP4("127.0.0.1", {port})
m.starttls(ssl_context=ctx)
m.login("u@example.com", "secret")
typ, boxes = m.list()
names = b" ".join(boxes)
for b in (b"INBOX", b"Sent", b"Trash", b"\\Sent", b"\\Trash"):
    assert b in names, names
typ, data = m.select("INBOX")
assert data == [b"1"], data
typ, data = m.fetch("1", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
assert b"<first@test>" in data[0][1], data
m.store("1", "+FLAGS", "(\\Flagged)")
typ, data = m.search(None, "FLAGGED")
assert data == [b"1"], data

# A delivery by another process while idling arrives as EXISTS.
tag = m._new_tag()
m.send(tag + b" IDLE\r\n")
assert m.readline().startswith(b"+"), "no IDLE continuation"
msg = b"Subject: later\r\nMessage-ID: <later@test>\r\n\r\nbody\r\n"
subprocess.run({deliver:?}.split(), input=msg, check=True)
m.sock.settimeout(5)
line = m.readline()
assert line.startswith(b"* 2 EXISTS"), line
m.send(b"DONE\r\n")
while not m.readline().startswith(tag):
    pass

typ, data = m.uid("MOVE", "1:*", "Archive")
assert typ == "OK", (typ, data)
m.logout()
print("ok")
"#,
        cert = cert.to_str().unwrap(),
        port = imap.port(),
    );
    let out = python(&script);
    assert!(out.contains("ok"), "imaplib: {out}");
    let archived = message_ids(&malt.ok(&["export", "mbox", "u@example.com", "Archive"], b""));
    assert_eq!(archived, ["first", "later"]);
    assert!(message_ids(&malt.ok(&["export", "mbox", "u@example.com", "INBOX"], b"")).is_empty());
    assert!(server.terminate(Duration::from_secs(15)).success());
}
