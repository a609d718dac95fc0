//! A real client: mbsync (isync) two-way syncs an account of 5,000 messages with a local Maildir
//! over STARTTLS; flags are then changed on both sides (and messages deleted and added on both),
//! synced again, and the result is checked message by message on both sides.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;

const MESSAGES: usize = 5000;

/// Maildir flags by Message-ID id part, read from the files of `dir` (cur and new).
fn maildir_state(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for sub in ["cur", "new"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = e.unwrap().path();
            let text = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&text);
            let id = message_ids(&text.replace("\r\n", "\n"))
                .into_iter()
                .next()
                .unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let flags = name
                .rsplit_once(":2,")
                .map(|(_, f)| f.to_owned())
                .unwrap_or_default();
            out.insert(id, flags);
        }
    }
    out
}

fn mbsync(rc: &Path) {
    let out = Command::new("mbsync")
        .arg("-c")
        .arg(rc)
        .arg("-a")
        .output()
        .expect("mbsync (Debian isync) missing");
    assert!(
        out.status.success(),
        "mbsync failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Server state over IMAP: id -> maildir-style flag letters, via Python's imaplib.
fn server_state(port: u16) -> BTreeMap<String, String> {
    let script = format!(
        r#"
import imaplib, re
m = imaplib.IMAP4("127.0.0.1", {port}); m.login("u@example.com", "secret"); m.select("INBOX")
typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
for part in data:
    if not isinstance(part, tuple):
        continue
    flags = re.search(rb"FLAGS \(([^)]*)\)", part[0]).group(1).decode()
    mid = re.search(rb"<([^@>]+)@", part[1]).group(1).decode()
    letters = "".join(l for f, l in (("\\Draft","D"),("\\Flagged","F"),("\\Answered","R"),("\\Seen","S")) if f in flags)
    print(mid, letters)
"#
    );
    python(&script)
        .lines()
        .map(|l| {
            let (id, f) = l.split_once(' ').unwrap();
            (id.to_owned(), f.to_owned())
        })
        .collect()
}

#[test]
fn mbsync_two_way_sync_of_5000_messages() {
    let malt = Malt::new();
    malt.with_user("u@example.com");
    // 5,000 messages of varied size in one mbox, imported through the CLI.
    let mut mbox = Vec::new();
    for i in 0..MESSAGES {
        mbox.extend_from_slice(b"From sender@example.com Tue Nov 14 22:13:20 2023\n");
        let m = String::from_utf8(message(&format!("m{i}"), 300 + (i * 37) % 6000)).unwrap();
        mbox.extend_from_slice(m.replace("\r\n", "\n").as_bytes());
        mbox.push(b'\n');
    }
    let path = malt.dir.path().join("in.mbox");
    std::fs::write(&path, &mbox).unwrap();
    malt.ok(&["import", "mbox", "u@example.com", path.to_str().unwrap()], b"");

    let config = malt.config_with_starttls("imap");
    let server = Server::start(&malt, &config, 2);
    let port = server.addr("imap").port();
    let near = malt.dir.path().join("Maildir");
    std::fs::create_dir_all(&near).unwrap();
    let rc = malt.dir.path().join("mbsyncrc");
    std::fs::write(
        &rc,
        format!(
            "IMAPAccount malt\nHost 127.0.0.1\nPort {port}\nUser u@example.com\nPass secret\nSSLType STARTTLS\n\
             CertificateFile {cert}\n\nIMAPStore remote\nAccount malt\n\nMaildirStore local\nPath {near}/\n\
             Inbox {near}/INBOX\nSubFolders Verbatim\n\nChannel sync\nFar :remote:\nNear :local:\nPatterns INBOX\n\
             Create Both\nExpunge Both\nSyncState *\n",
            cert = malt.data_dir().join("tls/cert.pem").display(),
            near = near.display()
        ),
    )
    .unwrap();

    // 1. Full download.
    mbsync(&rc);
    let inbox = near.join("INBOX");
    let local = maildir_state(&inbox);
    assert_eq!(local.len(), MESSAGES);
    assert_eq!(local, server_state(port), "after the first sync");

    // 2. Changes on the near side: flag 200 (F+S), delete 25, add one message. The expected final
    // state is computed alongside, message by message.
    let mut expected: BTreeMap<String, String> = local.clone();
    for (changed, e) in std::fs::read_dir(inbox.join("new")).unwrap().enumerate() {
        let p = e.unwrap().path();
        let text = String::from_utf8(std::fs::read(&p).unwrap()).unwrap();
        let id = message_ids(&text.replace("\r\n", "\n"))
            .into_iter()
            .next()
            .unwrap();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let base = name.split(":2,").next().unwrap().to_owned();
        if changed < 200 {
            std::fs::rename(&p, inbox.join("cur").join(format!("{base}:2,FS"))).unwrap();
            expected.insert(id, "FS".to_owned());
        } else if changed < 225 {
            std::fs::remove_file(&p).unwrap();
            expected.remove(&id);
        } else {
            break;
        }
    }
    std::fs::write(inbox.join("new/1.local.host"), message("local1", 500)).unwrap();
    expected.insert("local1".to_owned(), String::new());
    // Changes on the far side: answer messages 1000-1299 (m999-m1298), expunge 4000-4009
    // (m3999-m4008). Imported in order, so sequence number n is message m{n-1}.
    let script = format!(
        r#"
import imaplib
m = imaplib.IMAP4("127.0.0.1", {port}); m.login("u@example.com", "secret"); m.select("INBOX")
m.store("1000:1299", "+FLAGS", "(\\Answered)")
m.store("4000:4009", "+FLAGS", "(\\Deleted)"); m.expunge()
m.logout()
"#
    );
    python(&script);
    for i in 999..1299 {
        // Deleted on the near side stays deleted; otherwise R joins whatever flags it has.
        if let Some(f) = expected.get_mut(&format!("m{i}")) {
            let mut letters: Vec<char> = f.chars().chain(['R']).collect();
            letters.sort_unstable();
            *f = letters.into_iter().collect();
        }
    }
    for i in 3999..4009 {
        expected.remove(&format!("m{i}"));
    }
    // Maildir timestamps have a one-second resolution: let mbsync see the changes as settled.
    std::thread::sleep(Duration::from_millis(1100));

    // 3. Two-way sync, then both sides hold exactly the expected messages and flags.
    mbsync(&rc);
    let local = maildir_state(&inbox);
    let remote = server_state(port);
    assert_eq!(local.len(), expected.len(), "local count");
    assert_eq!(local, expected, "near side after the two-way sync");
    assert_eq!(remote, expected, "far side after the two-way sync");
    assert!(server.terminate(Duration::from_secs(20)).success());
}
