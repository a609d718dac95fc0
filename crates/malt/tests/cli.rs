//! The admin CLI, driven as an operator drives it: real processes on a temporary data directory.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[test]
fn domains_users_and_quota() {
    let m = Malt::new();
    assert!(
        m.ok(&["domain", "add", "Example.COM"], b"")
            .contains("example.com")
    );
    assert!(m.ok(&["domain", "list"], b"").contains("example.com"));
    let err = m.fails(&["domain", "add", "example.com"], b"");
    assert!(err.contains("already exists"), "{err}");

    m.ok(
        &[
            "user",
            "add",
            "Alice@Example.com",
            "--password-stdin",
            "--quota",
            "10M",
        ],
        b"pw1\n",
    );
    let err = m.fails(&["user", "add", "bob@nowhere.test", "--password-stdin"], b"pw\n");
    assert!(err.contains("not found"), "unknown domain must be named: {err}");
    let err = m.fails(&["user", "add", "carol@example.com", "--password-stdin"], b"\n");
    assert!(err.contains("empty"), "{err}");

    let list = m.ok(&["user", "list"], b"");
    assert!(list.contains("alice@example.com"), "{list}");
    let show = m.ok(&["user", "show", "alice@example.com"], b"");
    for mb in [
        "INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive", "\\Sent", "\\Trash",
    ] {
        assert!(show.contains(mb), "{mb} missing in:\n{show}");
    }
    assert!(show.contains("of 10.0M"), "{show}");
    m.ok(&["user", "quota", "alice@example.com", "none"], b"");
    assert!(
        m.ok(&["user", "show", "alice@example.com"], b"")
            .contains("no quota")
    );
    let err = m.fails(&["user", "quota", "alice@example.com", "12Q"], b"");
    assert!(err.contains("invalid size"), "{err}");
    m.ok(
        &["user", "passwd", "alice@example.com", "--password-stdin"],
        b"pw2\n",
    );

    let err = m.fails(&["domain", "del", "example.com"], b"");
    assert!(!err.is_empty());
    m.ok(&["user", "del", "alice@example.com"], b"");
    let err = m.fails(&["user", "show", "alice@example.com"], b"");
    assert!(err.contains("no account alice@example.com"), "{err}");
    m.ok(&["domain", "del", "example.com"], b"");
    assert!(!m.ok(&["domain", "list"], b"").contains("example.com"));
}

#[test]
fn aliases_groups_and_delivery_through_them() {
    let m = Malt::new();
    m.with_user("a@example.com");
    m.ok(&["user", "add", "b@example.com", "--password-stdin"], b"x\n");
    m.ok(&["alias", "add", "postmaster@example.com", "a@example.com"], b"");
    m.ok(&["alias", "add", "@example.com", "b@example.com"], b"");
    assert!(
        m.ok(&["alias", "list"], b"")
            .contains("postmaster@example.com\ta@example.com")
    );
    m.ok(&["group", "add", "team@example.com", "--name", "Team"], b"");
    let members = m.ok(
        &[
            "group",
            "members",
            "team@example.com",
            "--add",
            "a@example.com",
            "--add",
            "b@example.com",
        ],
        b"",
    );
    assert!(
        members.contains("a@example.com") && members.contains("b@example.com"),
        "{members}"
    );
    assert!(
        m.ok(&["group", "list"], b"")
            .contains("team@example.com\tTeam\t2 members")
    );

    m.ok(
        &["deliver", "--to", "postmaster@example.com"],
        &message("p1", 300),
    );
    m.ok(&["deliver", "--to", "a+news@example.com"], &message("p2", 300));
    m.ok(&["deliver", "--to", "team@example.com"], &message("g1", 300));
    m.ok(&["deliver", "--to", "whoever@example.com"], &message("c1", 300));
    m.ok(
        &["deliver", "--to", "a@example.com", "--mailbox", "Archive"],
        &message("arch", 300),
    );
    m.ok(
        &["deliver", "--to", "a@example.com", "--mailbox", "NoSuchBox"],
        &message("fallback", 300),
    );

    let a = message_ids(&m.ok(&["export", "mbox", "a@example.com", "INBOX"], b""));
    assert_eq!(a, ["p1", "p2", "g1", "fallback"]);
    let b = message_ids(&m.ok(&["export", "mbox", "b@example.com", "INBOX"], b""));
    assert_eq!(b, ["g1", "c1"]);
    let arch = message_ids(&m.ok(&["export", "mbox", "a@example.com", "Archive"], b""));
    assert_eq!(arch, ["arch"]);

    // Unknown recipient without catch-all: EX_NOUSER, as dovecot-lda.
    m.ok(&["alias", "del", "@example.com"], b"");
    let out = m.run(&["deliver", "--to", "nobody@example.com"], &message("x", 100));
    assert_eq!(out.status.code(), Some(67));
    m.ok(&["group", "del", "team@example.com"], b"");
    m.ok(&["alias", "del", "postmaster@example.com", "a@example.com"], b"");
    assert!(!m.ok(&["alias", "list"], b"").contains("postmaster"));
}

#[test]
fn app_passwords_are_shown_once_and_revocable() {
    let m = Malt::new();
    m.with_user("a@example.com");
    let out = m.ok(&["app-password", "create", "a@example.com", "phone"], b"");
    assert!(out.contains("shown once"), "{out}");
    let list = m.ok(&["app-password", "list", "a@example.com"], b"");
    assert!(list.contains("phone"));
    let secret = out
        .split(": ")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .to_owned();
    assert!(!list.contains(&secret), "the secret must never be listed");
    let err = m.fails(&["app-password", "create", "a@example.com", "phone"], b"");
    assert!(err.contains("already exists"), "{err}");
    m.ok(&["app-password", "revoke", "a@example.com", "phone"], b"");
    assert!(
        !m.ok(&["app-password", "list", "a@example.com"], b"")
            .contains("phone")
    );
}

#[test]
fn import_export_round_trip_and_quota() {
    let m = Malt::new();
    m.with_user("u@example.com");
    // An mbox with a body line that needs mboxrd quoting.
    let mut mbox = Vec::new();
    for i in 0..250 {
        mbox.extend_from_slice(
            format!("From sender@example.com Tue Nov 14 22:13:{:02} 2023\n", i % 60).as_bytes(),
        );
        let msg = String::from_utf8(message(&format!("i{i}"), 400))
            .unwrap()
            .replace("\r\n", "\n");
        mbox.extend_from_slice(msg.as_bytes());
        mbox.extend_from_slice(b">From quoted line\n\n");
    }
    let path = m.dir.path().join("in.mbox");
    std::fs::write(&path, &mbox).unwrap();
    let out = m.ok(
        &[
            "import",
            "mbox",
            "u@example.com",
            path.to_str().unwrap(),
            "--mailbox",
            "Imported/2023",
        ],
        b"",
    );
    assert!(out.contains("imported 250 messages"), "{out}");
    let exported = m.ok(&["export", "mbox", "u@example.com", "Imported/2023"], b"");
    assert_eq!(message_ids(&exported).len(), 250);
    assert!(exported.contains("\n>From quoted line\n"));
    // Round trip: re-import the export; the same messages (by content) arrive.
    let path2 = m.dir.path().join("out.mbox");
    std::fs::write(&path2, &exported).unwrap();
    m.ok(
        &[
            "import",
            "mbox",
            "u@example.com",
            path2.to_str().unwrap(),
            "--mailbox",
            "Again",
        ],
        b"",
    );
    let again = m.ok(&["export", "mbox", "u@example.com", "Again"], b"");
    assert_eq!(again, exported, "export(import(export)) must equal export");

    // Maildir++ with flags and a subfolder.
    let md = m.dir.path().join("Maildir");
    for d in [
        "cur",
        "new",
        "tmp",
        ".Lists.Rust/cur",
        ".Lists.Rust/new",
        ".Lists.Rust/tmp",
    ] {
        std::fs::create_dir_all(md.join(d)).unwrap();
    }
    std::fs::write(md.join("cur/1.host:2,FS"), message("md1", 200)).unwrap();
    std::fs::write(md.join("new/2.host"), message("md2", 200)).unwrap();
    std::fs::write(md.join(".Lists.Rust/cur/3.host:2,S"), message("md3", 200)).unwrap();
    let out = m.ok(&["import", "maildir", "u@example.com", md.to_str().unwrap()], b"");
    assert!(out.contains("imported 3 messages"), "{out}");
    let show = m.ok(&["user", "show", "u@example.com"], b"");
    assert!(show.contains("Lists/Rust"), "{show}");
    assert_eq!(
        message_ids(&m.ok(&["export", "mbox", "u@example.com", "Lists/Rust"], b"")),
        ["md3"]
    );
    let err = m.fails(
        &[
            "import",
            "maildir",
            "u@example.com",
            m.dir.path().to_str().unwrap(),
        ],
        b"",
    );
    assert!(err.contains("not a Maildir"), "{err}");

    // Over quota: refused with a clear message and nothing half-written.
    m.ok(&["user", "quota", "u@example.com", "1K"], b"");
    let out = m.run(&["deliver", "--to", "u@example.com"], &message("big", 5000));
    assert_eq!(out.status.code(), Some(73));
    assert!(String::from_utf8_lossy(&out.stderr).contains("quota"));
    assert!(m.ok(&["check"], b"").contains("no problems found"));
}

#[test]
fn bad_input_is_handled() {
    let m = Malt::new();
    m.with_user("u@example.com");
    // Corrupt, truncated, binary and 8-bit input is stored as it came.
    let mut garbage: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    garbage.extend_from_slice(b"\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\ntruncated");
    m.ok(&["deliver", "--to", "u@example.com"], &garbage);
    m.ok(
        &["deliver", "--to", "u@example.com"],
        "Subject: caf\u{e9} \u{fc}ber\n\nK\u{f6}rper\n".as_bytes(),
    );
    m.ok(&["deliver", "--to", "u@example.com"], b"");
    // A 50 MB message.
    let big = message("huge", 50 * 1000 * 1000);
    m.ok(&["deliver", "--to", "u@example.com"], &big);
    let show = m.ok(&["user", "show", "u@example.com"], b"");
    assert!(show.contains("4 messages"), "{show}");
    assert!(m.ok(&["check"], b"").contains("no problems found"));

    // Invalid mailbox names get a clear error.
    let path = m.dir.path().join("x.mbox");
    std::fs::write(&path, b"From a Tue Nov 14 22:13:20 2023\nSubject: x\n\nbody\n").unwrap();
    for bad in ["a//b", "/lead", "trail/", ""] {
        let err = m.fails(
            &[
                "import",
                "mbox",
                "u@example.com",
                path.to_str().unwrap(),
                "--mailbox",
                bad,
            ],
            b"",
        );
        assert!(err.contains("invalid"), "{bad:?}: {err}");
    }
    // Unknown user, unknown mailbox, malformed config.
    assert!(
        m.fails(&["user", "show", "ghost@example.com"], b"")
            .contains("no account")
    );
    assert!(
        m.fails(&["export", "mbox", "u@example.com", "Nope"], b"")
            .contains("no mailbox")
    );
    let cfg = m.dir.path().join("bad.toml");
    std::fs::write(&cfg, "hostname = \"x\"\nlisten_typo = 1\n").unwrap();
    let err = m.fails(&["--config", cfg.to_str().unwrap(), "domain", "list"], b"");
    assert!(err.contains("listen_typo"), "the bad key must be named: {err}");
}

#[test]
fn help_is_complete() {
    let m = Malt::new();
    let top = m.ok(&["--help"], b"");
    for c in [
        "serve",
        "domain",
        "user",
        "alias",
        "group",
        "acl",
        "app-password",
        "deliver",
        "import",
        "export",
        "gc",
        "check",
    ] {
        assert!(top.contains(c), "{c} missing from --help");
    }
    for c in [
        &["user", "--help"][..],
        &["user", "add", "--help"],
        &["import", "mbox", "--help"],
        &["deliver", "--help"],
    ] {
        let h = m.ok(c, b"");
        assert!(h.contains("Usage"), "{h}");
    }
}

#[test]
fn acl_shares_a_mailbox() {
    let m = Malt::new();
    m.with_user("owner@example.com");
    m.ok(&["user", "add", "bob@example.com", "--password-stdin"], b"x\n");
    m.ok(&["group", "add", "team@example.com"], b"");
    let set = |identifier: &str, rights: &str| {
        m.ok(
            &["acl", "set", "owner@example.com", "INBOX", identifier, rights],
            b"",
        )
    };
    let list = || m.ok(&["acl", "list", "owner@example.com", "INBOX"], b"");
    assert_eq!(list(), "");

    // Replace, add with +, remove with -, obsolete c expands (RFC 4314 §2.1.1, §3.1).
    assert_eq!(set("Bob@Example.com", "rl"), "bob@example.com\tlr\n");
    assert_eq!(
        m.ok(
            &[
                "acl",
                "set",
                "owner@example.com",
                "inbox",
                "bob@example.com",
                "+sc"
            ],
            b""
        ),
        "bob@example.com\tlrskx\n"
    );
    assert_eq!(set("bob@example.com", "-x"), "bob@example.com\tlrsk\n");
    set("team@example.com", "lr");
    set("-team@example.com", "r");
    set("anyone", "l");
    assert_eq!(
        list(),
        "-team@example.com\tr\nanyone\tl\nbob@example.com\tlrsk\nteam@example.com\tlr\n"
    );

    // An unknown address is stored with a warning; removing all rights removes the entry.
    let out = m.run(
        &[
            "acl",
            "set",
            "owner@example.com",
            "INBOX",
            "ghost@example.com",
            "l",
        ],
        b"",
    );
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ghost@example.com is neither an account nor a group")
    );
    let out = set("ghost@example.com", "-l");
    assert!(out.contains("removed ghost@example.com"), "{out}");
    m.ok(
        &["acl", "delete", "owner@example.com", "INBOX", "-team@example.com"],
        b"",
    );
    m.ok(&["acl", "delete", "owner@example.com", "INBOX", "anyone"], b"");
    assert_eq!(list(), "bob@example.com\tlrsk\nteam@example.com\tlr\n");

    // Bad input: unknown rights letter, missing entry, mailbox, user.
    let err = m.fails(
        &[
            "acl",
            "set",
            "owner@example.com",
            "INBOX",
            "bob@example.com",
            "lrq",
        ],
        b"",
    );
    assert!(err.contains("unknown right 'q'"), "{err}");
    let err = m.fails(&["acl", "delete", "owner@example.com", "INBOX", "anyone"], b"");
    assert!(err.contains("anyone has no entry"), "{err}");
    let err = m.fails(&["acl", "list", "owner@example.com", "Nope"], b"");
    assert!(err.contains("no mailbox"), "{err}");
    let err = m.fails(&["acl", "list", "ghost@example.com", "INBOX"], b"");
    assert!(err.contains("no account ghost@example.com"), "{err}");

    // Deleting bob removes his entry from the owner's ACL.
    m.ok(&["user", "del", "bob@example.com"], b"");
    assert_eq!(list(), "team@example.com\tlr\n");
    assert!(m.ok(&["check"], b"").contains("no problems found"));
}

#[test]
fn dkim_keys_print_their_dns_record_never_the_private_key() {
    let m = Malt::new();
    m.with_user("a@example.com");
    let out = m.ok(&["dkim", "generate", "Example.com"], b"");
    assert!(!out.contains("PRIVATE KEY"), "{out}");
    let record = out
        .lines()
        .find(|l| l.starts_with("malt._domainkey.example.com. IN TXT "))
        .unwrap_or_else(|| panic!("no record in {out}"));
    assert!(record.contains("\"v=DKIM1; k=rsa; p=MII"), "{record}");
    // The 2048-bit key's record is split in strings of at most 255 octets.
    let strings: Vec<&str> = record.split_once(" IN TXT ").unwrap().1.split("\" \"").collect();
    assert_eq!(strings.len(), 2, "{record}");
    assert!(strings.iter().all(|s| s.trim_matches('"').len() <= 255));

    let err = m.fails(&["dkim", "generate", "example.com"], b"");
    assert!(err.contains("--replace"), "{err}");
    let err = m.fails(&["dkim", "generate", "nowhere.test"], b"");
    assert!(err.contains("domain nowhere.test not found"), "{err}");
    let err = m.fails(&["dkim", "generate", "example.com", "--selector", "a b"], b"");
    assert!(err.contains("invalid selector"), "{err}");

    // A second key (rotation): the newest (or, created the same second, the last stored) is in use.
    let out = m.ok(
        &[
            "dkim",
            "generate",
            "example.com",
            "--selector",
            "ed1",
            "--algorithm",
            "ed25519",
        ],
        b"",
    );
    assert!(
        out.contains("ed1._domainkey.example.com. IN TXT \"v=DKIM1; k=ed25519; p="),
        "{out}"
    );
    let list = m.ok(&["dkim", "list"], b"");
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(
        lines[0].starts_with("example.com\ted1\ted25519-sha256\tcreated "),
        "{list}"
    );
    assert!(lines[0].ends_with("\tin use"), "{list}");
    assert!(lines[1].starts_with("example.com\tmalt\trsa-sha256\t") && !lines[1].ends_with("in use"));
    assert!(!list.contains("PRIVATE"));

    // `record` prints the same record again, derived from the stored key.
    let again = m.ok(&["dkim", "record", "example.com", "--selector", "malt"], b"");
    assert!(again.contains(record), "{again}\nvs\n{record}");
    assert!(
        m.ok(&["dkim", "record", "example.com"], b"")
            .contains("ed1._domainkey")
    );

    m.ok(&["dkim", "delete", "example.com", "ed1"], b"");
    assert!(m.ok(&["dkim", "list"], b"").contains("malt\trsa-sha256"));
    assert!(!m.ok(&["dkim", "list"], b"").contains("ed1"));
    let err = m.fails(&["dkim", "delete", "example.com", "ed1"], b"");
    assert!(err.contains("not found"), "{err}");
    m.ok(&["dkim", "generate", "example.com", "--replace"], b"");
    assert_eq!(m.ok(&["dkim", "list"], b"").lines().count(), 1);
}

#[test]
fn delegations_send_as_and_on_behalf() {
    let m = Malt::new();
    m.with_user("alice@example.com");
    m.ok(&["group", "add", "team@example.com", "--name", "Team"], b"");
    let out = m.ok(
        &[
            "delegate",
            "add",
            "--user",
            "alice@example.com",
            "--send-as",
            "Team@example.com",
        ],
        b"",
    );
    assert!(
        out.contains("alice@example.com may now send as team@example.com"),
        "{out}"
    );
    assert_eq!(
        m.ok(&["delegate", "list"], b""),
        "alice@example.com\tsend-as\tteam@example.com\n"
    );
    // The other kind for the same pair replaces it.
    m.ok(
        &[
            "delegate",
            "add",
            "--user",
            "alice@example.com",
            "--on-behalf",
            "team@example.com",
        ],
        b"",
    );
    assert_eq!(
        m.ok(&["delegate", "list", "--user", "alice@example.com"], b""),
        "alice@example.com\ton-behalf\tteam@example.com\n"
    );
    // Exactly one of --send-as and --on-behalf.
    let err = m.fails(&["delegate", "add", "--user", "alice@example.com"], b"");
    assert!(err.contains("required arguments were not provided"), "{err}");
    let err = m.fails(
        &[
            "delegate",
            "add",
            "--user",
            "alice@example.com",
            "--send-as",
            "x@example.com",
            "--on-behalf",
            "y@example.com",
        ],
        b"",
    );
    assert!(err.contains("cannot be used with"), "{err}");
    let err = m.fails(
        &[
            "delegate",
            "add",
            "--user",
            "nobody@example.com",
            "--send-as",
            "x@example.com",
        ],
        b"",
    );
    assert!(err.contains("no account nobody@example.com"), "{err}");

    m.ok(
        &[
            "delegate",
            "remove",
            "--user",
            "alice@example.com",
            "team@example.com",
        ],
        b"",
    );
    assert_eq!(m.ok(&["delegate", "list"], b""), "");
    let err = m.fails(
        &[
            "delegate",
            "remove",
            "--user",
            "alice@example.com",
            "team@example.com",
        ],
        b"",
    );
    assert!(err.contains("not found"), "{err}");
}
