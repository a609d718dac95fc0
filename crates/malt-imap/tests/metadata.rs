//! METADATA and METADATA-SERVER (RFC 5464): server and mailbox entries, DEPTH, MAXSIZE, the
//! SETMETADATA response codes, entry name checks, NIL deletes, persistence, mailbox delete/rename.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

fn ok(r: &[String], tag: &str) {
    assert!(r.last().unwrap().starts_with(&format!("{tag} OK")), "{r:?}");
}

#[tokio::test]
async fn capabilities_and_state() {
    let env = start().await;
    let mut c = env.client().await;
    let r = c.cmd("a GETMETADATA \"\" /shared/comment").await;
    assert_eq!(r, vec!["a BAD GETMETADATA is not allowed in this state\r\n"]);
    let mut c = env.logged_in().await;
    let r = c.cmd("b CAPABILITY").await;
    for cap in [" METADATA ", " METADATA-SERVER ", " QUOTA ", " QUOTA=RES-STORAGE"] {
        assert!(r[0].contains(cap), "{cap} missing: {r:?}");
    }
    assert!(!r[0].contains("QUOTA=RES-MESSAGE"), "{r:?}");
}

#[tokio::test]
async fn server_entries() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let r = c
        .cmd("a SETMETADATA \"\" (/shared/comment \"Hello\" /private/Vendor/X \"y\")")
        .await;
    assert_eq!(r, vec!["a OK SETMETADATA completed\r\n"]);
    let r = c.cmd("b GETMETADATA \"\" /shared/comment").await;
    assert_eq!(
        r,
        vec![
            "* METADATA \"\" (/shared/comment \"Hello\")\r\n",
            "b OK GETMETADATA completed\r\n"
        ]
    );
    // Names compare case-insensitively and come back in the stored (lower-case) form; a missing
    // entry is NIL.
    let r = c
        .cmd("c GETMETADATA \"\" (/PRIVATE/vendor/x /shared/none /shared/Comment)")
        .await;
    assert_eq!(
        r,
        vec![
            "* METADATA \"\" (/private/vendor/x \"y\" /shared/none NIL /shared/comment \"Hello\")\r\n",
            "c OK GETMETADATA completed\r\n"
        ]
    );
    // Server entries are apart from mailbox entries.
    let r = c.cmd("d GETMETADATA INBOX /shared/comment").await;
    assert_eq!(r[0], "* METADATA INBOX (/shared/comment NIL)\r\n");
    // /shared/admin: computed and read-only.
    let r = c.cmd("e GETMETADATA \"\" /shared/admin").await;
    assert_eq!(
        r,
        vec![
            "* METADATA \"\" (/shared/admin \"mailto:postmaster@example.org\")\r\n",
            "e OK GETMETADATA completed\r\n"
        ]
    );
    let r = c.cmd("f SETMETADATA \"\" (/shared/Admin \"mailto:x@y\")").await;
    assert_eq!(r, vec!["f NO [NOPERM] /shared/admin is read-only\r\n"]);
    let r = c.cmd("g GETMETADATA (DEPTH infinity) \"\" /shared").await;
    assert_eq!(
        r[0],
        "* METADATA \"\" (/shared/admin \"mailto:postmaster@example.org\" /shared/comment \"Hello\")\r\n"
    );
    // A mailbox's entries may be set while another is selected, or it is EXAMINEd.
    let r = c.cmd("h EXAMINE INBOX").await;
    ok(&r, "h");
    let r = c.cmd("i SETMETADATA INBOX (/private/comment \"ro\")").await;
    assert_eq!(r, vec!["i OK SETMETADATA completed\r\n"]);
}

#[tokio::test]
async fn depth_maxsize_and_nil() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let r = c
        .cmd(
            "a SETMETADATA INBOX (/private/comment \"mine\" /shared/comment \"ours!\" /shared/a/b \"1\" \
             /shared/a/b/c \"2\")",
        )
        .await;
    assert_eq!(r, vec!["a OK SETMETADATA completed\r\n"]);
    let r = c.cmd("b GETMETADATA (DEPTH 1) INBOX /shared").await;
    assert_eq!(
        r,
        vec![
            "* METADATA INBOX (/shared/comment \"ours!\")\r\n",
            "b OK GETMETADATA completed\r\n"
        ]
    );
    let r = c.cmd("c GETMETADATA (DEPTH 1) INBOX /shared/a").await;
    assert_eq!(r[0], "* METADATA INBOX (/shared/a/b \"1\")\r\n");
    let r = c
        .cmd("d GETMETADATA (DEPTH infinity) INBOX (/shared /private)")
        .await;
    assert_eq!(
        r[0],
        "* METADATA INBOX (/shared/a/b \"1\" /shared/a/b/c \"2\" /shared/comment \"ours!\" \
         /private/comment \"mine\")\r\n"
    );
    let r = c.cmd("e GETMETADATA (DEPTH 0) INBOX /shared/a/b").await;
    assert_eq!(r[0], "* METADATA INBOX (/shared/a/b \"1\")\r\n");
    // MAXSIZE leaves longer values out and reports the longest.
    let r = c
        .cmd("f GETMETADATA (MAXSIZE 4) INBOX (/private/comment /shared/comment)")
        .await;
    assert_eq!(
        r,
        vec![
            "* METADATA INBOX (/private/comment \"mine\")\r\n",
            "f OK [METADATA LONGENTRIES 5] GETMETADATA completed\r\n"
        ]
    );
    let r = c.cmd("g GETMETADATA (MAXSIZE 1) INBOX (/shared/comment)").await;
    assert_eq!(r, vec!["g OK [METADATA LONGENTRIES 5] GETMETADATA completed\r\n"]);
    // NIL removes.
    let r = c
        .cmd("h SETMETADATA INBOX (/shared/comment NIL /shared/absent NIL)")
        .await;
    assert_eq!(r, vec!["h OK SETMETADATA completed\r\n"]);
    let r = c.cmd("i GETMETADATA INBOX /shared/comment").await;
    assert_eq!(r[0], "* METADATA INBOX (/shared/comment NIL)\r\n");
    // Nothing below: no METADATA response.
    let r = c.cmd("j GETMETADATA (DEPTH infinity) Archive /private").await;
    assert_eq!(r, vec!["j OK GETMETADATA completed\r\n"]);
}

#[tokio::test]
async fn literals_for_8bit_and_binary_values() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.send(
        "a SETMETADATA INBOX (/private/comment {6+}\r\nh\u{e4}llo /shared/bin ~{3+}\r\na\0b)\r\n".as_bytes(),
    )
    .await;
    assert_eq!(c.until("a").await, vec!["a OK SETMETADATA completed\r\n"]);
    let r = c.cmd("b GETMETADATA INBOX (/private/comment /shared/bin)").await;
    assert_eq!(
        r,
        vec![
            "* METADATA INBOX (/private/comment {6}\r\nh\u{e4}llo /shared/bin ~{3}\r\na\0b)\r\n",
            "b OK GETMETADATA completed\r\n"
        ]
    );
    // Long values are literals too.
    let long = "x".repeat(2000);
    let r = c
        .cmd(&format!(
            "c SETMETADATA INBOX (/private/long {{2000+}}\r\n{long})"
        ))
        .await;
    ok(&r, "c");
    let r = c.cmd("d GETMETADATA INBOX /private/long").await;
    assert_eq!(
        r[0],
        format!("* METADATA INBOX (/private/long {{2000}}\r\n{long})\r\n")
    );
}

#[tokio::test]
async fn bad_names_and_missing_mailbox() {
    let env = start().await;
    let mut c = env.logged_in().await;
    for (i, name) in [
        "/other/x",
        "/shared/a*",
        "/shared/a%",
        "/shared//x",
        "/shared/x/",
        "/shared",
        "private/x",
    ]
    .iter()
    .enumerate()
    {
        let r = c.cmd(&format!("s{i} SETMETADATA INBOX ({name} \"v\")")).await;
        assert!(r[0].starts_with(&format!("s{i} BAD ")), "{name}: {r:?}");
    }
    let r = c.cmd("g1 GETMETADATA INBOX /nope/x").await;
    assert!(r[0].starts_with("g1 BAD "), "{r:?}");
    let r = c.cmd("g2 GETMETADATA Nope /shared/comment").await;
    assert_eq!(r, vec!["g2 NO [NONEXISTENT] No such mailbox\r\n"]);
    let r = c.cmd("g3 SETMETADATA Nope (/shared/comment \"x\")").await;
    assert_eq!(r, vec!["g3 NO [NONEXISTENT] No such mailbox\r\n"]);
    // Nothing was stored by the refused commands.
    let r = c
        .cmd("g4 GETMETADATA (DEPTH infinity) INBOX (/shared /private)")
        .await;
    assert_eq!(r, vec!["g4 OK GETMETADATA completed\r\n"]);
}

#[tokio::test]
async fn maxsize_and_toomany() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let big = "v".repeat(32 * 1024 + 1);
    let r = c
        .cmd(&format!(
            "a SETMETADATA INBOX (/private/ok \"x\" /private/big {{{}+}}\r\n{big})",
            big.len()
        ))
        .await;
    assert_eq!(r, vec!["a NO [METADATA MAXSIZE 32768] Value too long\r\n"]);
    // 129 entries for one mailbox: refused as a whole.
    let entries: Vec<String> = (0..129).map(|i| format!("/private/e{i} \"v\"")).collect();
    let r = c
        .cmd(&format!("b SETMETADATA INBOX ({})", entries.join(" ")))
        .await;
    assert_eq!(
        r,
        vec!["b NO [METADATA TOOMANY] At most 128 entries per mailbox\r\n"]
    );
    let r = c.cmd("c GETMETADATA (DEPTH infinity) INBOX /private").await;
    assert_eq!(r, vec!["c OK GETMETADATA completed\r\n"], "nothing was set");
    // 128 fit.
    let r = c
        .cmd(&format!("d SETMETADATA INBOX ({})", entries[..128].join(" ")))
        .await;
    assert_eq!(r, vec!["d OK SETMETADATA completed\r\n"]);
    // Replacing an entry of a full mailbox is fine; one more is not.
    let r = c.cmd("e SETMETADATA INBOX (/private/e0 \"w\")").await;
    ok(&r, "e");
    let r = c.cmd("f SETMETADATA INBOX (/private/one-more \"w\")").await;
    assert!(r[0].starts_with("f NO [METADATA TOOMANY]"), "{r:?}");
    // Deleting makes room.
    let r = c
        .cmd("g SETMETADATA INBOX (/private/e1 NIL /private/one-more \"w\")")
        .await;
    ok(&r, "g");
}

#[tokio::test]
async fn account_metadata_octets_are_limited() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let value = "v".repeat(32 * 1024);
    // Each entry is 15 name octets plus 32768 value octets: the 32nd passes 1 MiB.
    for i in 0..31 {
        let r = c
            .cmd(&format!(
                "a{i} SETMETADATA \"\" (/private/big/{i:02} {{32768+}}\r\n{value})"
            ))
            .await;
        assert_eq!(r, vec![format!("a{i} OK SETMETADATA completed\r\n")]);
    }
    let r = c
        .cmd(&format!(
            "b SETMETADATA INBOX (/private/big/31 {{32768+}}\r\n{value})"
        ))
        .await;
    assert_eq!(
        r,
        vec!["b NO [METADATA TOOMANY] At most 1048576 octets of metadata per account\r\n"]
    );
}

#[tokio::test]
async fn persistence_rename_and_delete() {
    let env = start().await;
    let mut c = env.logged_in().await;
    ok(&c.cmd("a CREATE Notes").await, "a");
    ok(&c.cmd("b CREATE Keep").await, "b");
    let r = c
        .cmd("c SETMETADATA Notes (/shared/comment \"n\" /private/comment \"p\")")
        .await;
    ok(&r, "c");
    ok(&c.cmd("d SETMETADATA Keep (/shared/comment \"k\")").await, "d");
    ok(&c.cmd("e SETMETADATA \"\" (/private/s \"server\")").await, "e");
    ok(&c.cmd("f LOGOUT").await, "f");

    // Another session sees them.
    let mut c = env.logged_in().await;
    let r = c
        .cmd("a GETMETADATA Notes (/shared/comment /private/comment)")
        .await;
    assert_eq!(
        r[0],
        "* METADATA Notes (/shared/comment \"n\" /private/comment \"p\")\r\n"
    );
    let r = c.cmd("b GETMETADATA \"\" /private/s").await;
    assert_eq!(r[0], "* METADATA \"\" (/private/s \"server\")\r\n");
    // Rename keeps the entries.
    ok(&c.cmd("c RENAME Keep Kept").await, "c");
    let r = c.cmd("d GETMETADATA Kept /shared/comment").await;
    assert_eq!(r[0], "* METADATA Kept (/shared/comment \"k\")\r\n");
    // Delete removes them: a new mailbox of the same name starts empty.
    ok(&c.cmd("e DELETE Notes").await, "e");
    ok(&c.cmd("f CREATE Notes").await, "f");
    let r = c
        .cmd("g GETMETADATA (DEPTH infinity) Notes (/shared /private)")
        .await;
    assert_eq!(r, vec!["g OK GETMETADATA completed\r\n"]);
    // Server entries are untouched by mailbox deletion.
    let r = c.cmd("h GETMETADATA \"\" /private/s").await;
    assert_eq!(r[0], "* METADATA \"\" (/private/s \"server\")\r\n");
}
