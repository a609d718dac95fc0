//! One message delivered to several recipients is stored once, through `malt serve`: Python's
//! smtplib delivers a message to three users over LMTP and another over the SMTP MX; the blob store
//! then holds exactly one new blob per message (the message as received), and each user reads,
//! over IMAP (imaplib) and POP3 (poplib), the same message under their own trace headers
//! (`Delivered-To`, `Received ... for`), with sizes, part offsets, header fetches and searches
//! that describe the whole. COPY and MOVE keep the trace headers; quota counts them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::*;

const USERS: [&str; 3] = ["u@example.com", "v@example.com", "w@example.com"];

/// A multipart message: a text part and a base64 attachment (octets 0, 1, 2).
fn message(subject: &str, text: &str) -> Vec<u8> {
    format!(
        "From: Alice <alice@remote.test>\r\nTo: team@example.com\r\nSubject: {subject}\r\n\
         Message-ID: <{subject}@remote.test>\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=sep\r\n\r\n\
         --sep\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{text}\r\n\
         --sep\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         AAEC\r\n--sep--\r\n"
    )
    .into_bytes()
}

/// The contents of every blob in the data directory's blob store.
fn blobs(data: &Path) -> Vec<Vec<u8>> {
    let store = malt_store::BlobStore::open(data.join("blobs")).unwrap();
    store
        .list()
        .unwrap()
        .into_iter()
        .map(|(id, _)| store.get(&id).unwrap())
        .collect()
}

#[test]
fn a_message_to_three_recipients_is_one_blob_read_with_each_ones_trace_headers() {
    let malt = Malt::new();
    for u in USERS {
        malt.with_user(u);
    }
    let listener = |name: &str| {
        format!(
            "[[listener]]\nname = \"{name}\"\nprotocol = \"{name}\"\naddress = \"127.0.0.1\"\nport = 0\ntls = \"starttls\"\n\n"
        )
    };
    // The MX verifies senders; DNS that refuses at once makes every verdict a quick temperror.
    let config = malt.config(&format!(
        "{}{}{}{}[dns]\nservers = [\"127.0.0.1:9\"]\n\n[mail_auth]\nverify_timeout_secs = 2\n",
        listener("lmtp"),
        listener("smtp"),
        listener("imap"),
        listener("pop3"),
    ));
    let server = Server::start(&malt, &config, 5);
    let lmtp_msg = message("over-lmtp", "The quick brown fox.");
    let smtp_msg = message("over-smtp", "Jumps over the lazy dog.");
    let path = |name: &str, content: &[u8]| {
        let p = malt.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let (a, b) = (path("a.eml", &lmtp_msg), path("b.eml", &smtp_msg));
    assert!(blobs(&malt.data_dir()).is_empty());

    let deliver = format!(
        r#"
import smtplib
USERS = {USERS:?}
l = smtplib.LMTP("127.0.0.1", {lmtp}, timeout=10)
l.ehlo("mta.test")
assert l.mail("bounce@remote.test")[0] == 250
for u in USERS:
    assert l.rcpt(u)[0] == 250
code, text = l.data(open({a:?}, "rb").read())
assert code == 250, (code, text)
for _ in USERS[1:]:
    code, text = l.getreply()
    assert code == 250, (code, text)
l.quit()
s = smtplib.SMTP("127.0.0.1", {smtp}, timeout=30)
s.ehlo("mx.remote.test")
assert s.sendmail("sender@remote.test", USERS, open({b:?}, "rb").read()) == {{}}
s.quit()
print("ok")
"#,
        lmtp = server.addr("lmtp").port(),
        smtp = server.addr("smtp").port(),
    );
    assert_eq!(python(&deliver).trim(), "ok");
    let stored: BTreeSet<Vec<u8>> = blobs(&malt.data_dir()).into_iter().collect();
    assert_eq!(
        stored,
        BTreeSet::from([lmtp_msg.clone(), smtp_msg.clone()]),
        "one blob per message, holding the message as received"
    );

    let read = format!(
        r#"
import imaplib, poplib, re
USERS = {USERS:?}
A, B = open({a:?}, "rb").read(), open({b:?}, "rb").read()
emailids = set()

def fetch(M, seq, item):
    typ, data = M.fetch(seq, "(" + item + ")")
    assert typ == "OK", data
    return data[0][1] if isinstance(data[0], tuple) else data[0]

def size(M, seq):
    return int(re.search(rb"RFC822\.SIZE (\d+)", fetch(M, seq, "RFC822.SIZE")).group(1))

for u in USERS:
    # POP3 first: the INBOX as delivered.
    p = poplib.POP3("127.0.0.1", {pop3}, timeout=10)
    p.user(u); p.pass_("secret")
    listing = [l.split() for l in p.list()[1]]
    pop = [b"\r\n".join(p.retr(n)[1]) + b"\r\n" for n in (1, 2)]
    p.quit()

    M = imaplib.IMAP4("127.0.0.1", {imap})
    M.login(u, "secret")
    M.select("INBOX")
    sizes = []
    for seq, sent, via in ((b"1", A, b"LMTP"), (b"2", B, b"ESMTP")):
        whole = fetch(M, seq, "BODY.PEEK[]")
        prefix = whole[: len(whole) - len(sent)]
        assert whole.endswith(sent) and prefix, whole[:300]
        assert prefix.startswith(b"Return-Path: <"), prefix
        assert b"Delivered-To: " + u.encode() + b"\r\n" in prefix, prefix
        assert b"\tfor <" + u.encode() + b">; " in prefix, prefix
        assert b" with " + via + b" id " in prefix, prefix
        if via == b"ESMTP":
            assert b"Authentication-Results: test.example;" in prefix, prefix
        n = size(M, seq)
        assert n == len(whole), (n, len(whole))
        sizes.append(n)
        assert fetch(M, seq, "BODY.PEEK[HEADER.FIELDS (Delivered-To)]") == b"Delivered-To: " + u.encode() + b"\r\n\r\n"
        assert fetch(M, seq, "BODY.PEEK[HEADER]") == whole[: whole.index(b"\r\n\r\n") + 4]
        text = b"The quick brown fox." if seq == b"1" else b"Jumps over the lazy dog."
        assert fetch(M, seq, "BODY.PEEK[1]") == text
        assert fetch(M, seq, "BODY.PEEK[2]") == b"AAEC"
        assert fetch(M, seq, "BINARY.PEEK[2]") == b"\x00\x01\x02"
        assert fetch(M, seq, "BODY.PEEK[TEXT]") == sent[sent.index(b"\r\n\r\n") + 4 :]
        emailids.add(re.search(rb"EMAILID \((\w+)\)", fetch(M, seq, "EMAILID")).group(1))
        # POP3 saw the same octets and size (CRLF lines: the wire size is the size).
        assert pop[int(seq) - 1] == whole, pop[int(seq) - 1][:300]
        assert listing[int(seq) - 1][1] == str(n).encode(), listing
    typ, data = M.search(None, "HEADER", "Delivered-To", u)
    assert data == [b"1 2"], data
    other = USERS[(USERS.index(u) + 1) % 3]
    typ, data = M.search(None, "HEADER", "Delivered-To", other)
    assert data == [b""], data
    typ, data = M.search(None, "TEXT", '"lazy dog"')
    assert data == [b"2"], data
    typ, data = M.status("INBOX", "(SIZE)")
    assert data == [("INBOX (SIZE %d)" % sum(sizes)).encode()], data

    # COPY and MOVE keep the trace headers.
    first, second = fetch(M, b"1", "BODY.PEEK[]"), fetch(M, b"2", "BODY.PEEK[]")
    assert M.copy("1", "Archive")[0] == "OK"
    assert M._simple_command("MOVE", "2", "Archive")[0] == "OK"
    M.select("Archive")
    for seq, whole in ((b"1", first), (b"2", second)):
        assert fetch(M, seq, "BODY.PEEK[]") == whole
        assert size(M, seq) == len(whole)
        assert fetch(M, seq, "BODY.PEEK[HEADER.FIELDS (Delivered-To)]") == b"Delivered-To: " + u.encode() + b"\r\n\r\n"
    M.logout()
    print(u, sizes[0], sizes[1])
assert len(emailids) == 6, emailids
"#,
        pop3 = server.addr("pop3").port(),
        imap = server.addr("imap").port(),
    );
    let out = python(&read);
    assert!(server.terminate(Duration::from_secs(15)).success());
    assert_eq!(
        blobs(&malt.data_dir()).len(),
        2,
        "reading, copying and moving wrote no blob"
    );

    // Quota: the copy in Archive counts too, prefix and blob.
    let sizes: Vec<(String, u64, u64)> = out
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_owned(), f[1].parse().unwrap(), f[2].parse().unwrap())
        })
        .collect();
    assert_eq!(sizes.len(), 3, "{out}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let storage = malt.storage().await;
        for (user, first, second) in sizes {
            assert!(first > lmtp_msg.len() as u64 && second > smtp_msg.len() as u64);
            let account = storage.store.account_by_address(&user).await.unwrap().unwrap();
            assert_eq!(account.used_bytes, 2 * first + second, "{user}");
            assert_eq!(account.message_count, 3, "{user}");
        }
    });
}
