//! Two users sharing a mailbox (RFC 4314 rights, per-user `\Seen`, the other users' and shared
//! namespaces of RFC 2342), over the real server: alice owns "Projects" and shares it with bob.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;
mod sharing;

use std::time::Duration;

use common::{Client, msg, settle};
use sharing::{add_user, append_as, create, grant, login, start_shared};

const ALICE: &str = "alice@example.org";
const BOB: &str = "bob@example.org";
const P: &str = "\"Other Users/alice@example.org/Projects\"";

/// alice with "Projects" holding one message, bob and carol with their own accounts.
async fn setup() -> common::Env {
    let env = start_shared(None).await;
    add_user(&env, BOB).await;
    add_user(&env, "carol@example.org").await;
    create(&env, ALICE, "Projects").await;
    append_as(&env, ALICE, "Projects", &msg("one", "1")).await;
    env
}

fn tagged(r: &[String]) -> &str {
    r.last().unwrap().as_str()
}

async fn fetch_flags(c: &mut Client, tag: &str) -> Vec<String> {
    c.cmd(&format!("{tag} FETCH 1 (FLAGS)")).await
}

#[tokio::test]
async fn read_only_then_read_write_with_private_seen() {
    let env = setup().await;
    grant(&env, ALICE, "Projects", BOB, "lr").await;
    let mut bob = login(&env, BOB).await;
    let r = bob.cmd("a LIST \"\" \"Other Users/*\"").await;
    assert_eq!(
        r,
        [
            "* LIST (\\HasChildren) \"/\" \"Other Users/alice@example.org\"\r\n",
            "* LIST (\\HasNoChildren) \"/\" \"Other Users/alice@example.org/Projects\"\r\n",
            "a OK LIST completed\r\n",
        ]
        .map(|l| l.replace("(\\HasChildren)", "(\\Noselect \\HasChildren)"))
    );
    // Read-only: SELECT opens it READ-ONLY, nothing can be set, FETCH BODY does not set \Seen.
    let r = bob.cmd(&format!("b SELECT {P}")).await;
    assert!(
        r.contains(&"* OK [PERMANENTFLAGS ()] Read-only mailbox\r\n".to_owned()),
        "{r:?}"
    );
    assert_eq!(tagged(&r), "b OK [READ-ONLY] SELECT completed\r\n");
    let r = bob.cmd("c FETCH 1 (FLAGS BODY[TEXT])").await;
    assert_eq!(
        r,
        [
            "* 1 FETCH (FLAGS () BODY[TEXT] {3}\r\n1\r\n)\r\n",
            "c OK FETCH completed\r\n"
        ]
    );
    let r = bob.cmd("d STORE 1 +FLAGS (\\Seen)").await;
    assert_eq!(r, ["d NO [READ-ONLY] Mailbox is read-only\r\n"]);

    // Read-write with s and w (no t): \Seen is bob's own, \Deleted silently not set.
    grant(&env, ALICE, "Projects", BOB, "lrsw").await;
    let r = bob.cmd(&format!("e SELECT {P}")).await;
    assert!(
        r.contains(
            &"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Seen \\Draft \\*)] Flags permitted\r\n".to_owned()
        ),
        "{r:?}"
    );
    assert_eq!(tagged(&r), "e OK [READ-WRITE] SELECT completed\r\n");
    let r = bob.cmd("f FETCH 1 (FLAGS BODY[TEXT])").await;
    assert_eq!(
        r,
        [
            "* 1 FETCH (FLAGS (\\Seen) BODY[TEXT] {3}\r\n1\r\n)\r\n",
            "f OK FETCH completed\r\n"
        ]
    );
    let mut alice = login(&env, ALICE).await;
    let r = alice.cmd("g SELECT Projects").await;
    assert_eq!(tagged(&r), "g OK [READ-WRITE] SELECT completed\r\n");
    assert_eq!(
        fetch_flags(&mut alice, "h").await,
        ["* 1 FETCH (FLAGS ())\r\n", "h OK FETCH completed\r\n"],
        "bob's \\Seen is not alice's"
    );
    let r = bob.cmd("i STORE 1 +FLAGS (\\Flagged \\Deleted)").await;
    assert_eq!(
        r,
        [
            "* 1 FETCH (FLAGS (\\Seen \\Flagged))\r\n",
            "i OK STORE completed\r\n"
        ]
    );
    let r = bob.cmd("j STORE 1 -FLAGS (\\Seen)").await;
    assert_eq!(
        r,
        ["* 1 FETCH (FLAGS (\\Flagged))\r\n", "j OK STORE completed\r\n"]
    );
    settle().await;
    let r = alice.cmd("k NOOP").await;
    assert_eq!(
        r,
        [
            "* 1 FETCH (UID 1 FLAGS (\\Flagged))\r\n",
            "k OK NOOP completed\r\n"
        ]
    );
    let r = alice.cmd("l STORE 1 +FLAGS (\\Seen)").await;
    assert_eq!(
        r,
        [
            "* 1 FETCH (FLAGS (\\Seen \\Flagged))\r\n",
            "l OK STORE completed\r\n"
        ]
    );
    settle().await;
    // Alice's \Seen does not reach bob. Her change touched the row, so bob's session (which keeps no
    // flags to compare with) re-announces the message with bob's unchanged flags: allowed by RFC 9051
    // §7.4.2 (an unsolicited FETCH may repeat what the client knows), and they are still not \Seen.
    let r = bob.cmd("m NOOP").await;
    assert_eq!(
        r,
        [
            "* 1 FETCH (UID 1 FLAGS (\\Flagged))\r\n",
            "m OK NOOP completed\r\n"
        ]
    );
    assert_eq!(
        fetch_flags(&mut bob, "n").await,
        ["* 1 FETCH (FLAGS (\\Flagged))\r\n", "n OK FETCH completed\r\n"]
    );
    // A replacing STORE by bob keeps alice's \Seen.
    let r = bob.cmd("o STORE 1 FLAGS (\\Seen)").await;
    assert_eq!(r, ["* 1 FETCH (FLAGS (\\Seen))\r\n", "o OK STORE completed\r\n"]);
    settle().await;
    let r = alice.cmd("p NOOP").await;
    assert_eq!(
        r,
        ["* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n", "p OK NOOP completed\r\n"]
    );
    // STATUS UNSEEN per user.
    let r = bob.cmd("q UNSELECT").await;
    assert_eq!(tagged(&r), "q OK UNSELECT completed\r\n");
    append_as(&env, ALICE, "Projects", &msg("two", "2")).await;
    settle().await;
    let r = bob.cmd(&format!("r STATUS {P} (MESSAGES UNSEEN)")).await;
    assert_eq!(
        r,
        [
            "* STATUS \"Other Users/alice@example.org/Projects\" (MESSAGES 2 UNSEEN 1)\r\n",
            "r OK STATUS completed\r\n"
        ]
    );
    let r = alice.cmd("s STATUS Projects (UNSEEN)").await;
    assert_eq!(
        r,
        [
            "* STATUS Projects (UNSEEN 1)\r\n",
            "* 2 EXISTS\r\n",
            "s OK STATUS completed\r\n"
        ]
    );
}

#[tokio::test]
async fn append_copy_move_expunge_need_their_rights() {
    let env = setup().await;
    append_as(&env, BOB, "INBOX", &msg("bobs", "b")).await;
    grant(&env, ALICE, "Projects", BOB, "lr").await;
    let mut bob = login(&env, BOB).await;
    let raw = msg("new", "n");
    let append = |tag: &str| {
        format!(
            "{tag} APPEND {P} (\\Seen) {{{}+}}\r\n{}",
            raw.len(),
            String::from_utf8_lossy(&raw)
        )
    };
    let r = bob.cmd(&append("a")).await;
    assert_eq!(r, ["a NO [NOPERM] Permission denied (right i needed)\r\n"]);
    let r = bob.cmd("b SELECT INBOX").await;
    assert_eq!(tagged(&r), "b OK [READ-WRITE] SELECT completed\r\n");
    let r = bob.cmd(&format!("c COPY 1 {P}")).await;
    assert_eq!(r, ["c NO [NOPERM] Permission denied (right i needed)\r\n"]);

    grant(&env, ALICE, "Projects", BOB, "lrsi").await;
    let r = bob.cmd(&format!("d COPY 1 {P}")).await;
    assert!(tagged(&r).starts_with("d OK [COPYUID "), "{r:?}");
    assert!(tagged(&r).ends_with(" 1 2] COPY completed\r\n"), "{r:?}");
    let r = bob.cmd(&append("e")).await;
    assert!(
        tagged(&r).starts_with("e OK [APPENDUID ") && tagged(&r).ends_with(" 3] APPEND completed\r\n"),
        "{r:?}"
    );
    // The appended \Seen is bob's; alice has seen none of the three.
    let r = bob.cmd(&format!("f STATUS {P} (MESSAGES UNSEEN)")).await;
    assert_eq!(
        r[0],
        "* STATUS \"Other Users/alice@example.org/Projects\" (MESSAGES 3 UNSEEN 2)\r\n"
    );
    let mut alice = login(&env, ALICE).await;
    let r = alice.cmd("g STATUS Projects (MESSAGES UNSEEN)").await;
    assert_eq!(r[0], "* STATUS Projects (MESSAGES 3 UNSEEN 3)\r\n");

    // In the shared mailbox: EXPUNGE needs e, MOVE needs t and e; COPY out needs only r.
    let r = bob.cmd(&format!("h SELECT {P}")).await;
    assert_eq!(tagged(&r), "h OK [READ-WRITE] SELECT completed\r\n");
    let r = bob.cmd("i EXPUNGE").await;
    assert_eq!(r, ["i NO [NOPERM] Permission denied (right e needed)\r\n"]);
    let r = bob.cmd("j MOVE 1 INBOX").await;
    assert_eq!(r, ["j NO [NOPERM] Permission denied (right te needed)\r\n"]);
    let r = bob.cmd("k COPY 1 INBOX").await;
    assert!(tagged(&r).starts_with("k OK [COPYUID "), "{r:?}");
    grant(&env, ALICE, "Projects", BOB, "+te").await;
    let r = bob.cmd("l MOVE 3 INBOX").await;
    assert!(r[0].starts_with("* OK [COPYUID "), "{r:?}");
    assert_eq!(&r[1..], ["* 3 EXPUNGE\r\n", "l OK MOVE completed\r\n"]);
    let r = bob.cmd("m STORE 2 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(r, ["m OK STORE completed\r\n"]);
    let r = bob.cmd("n EXPUNGE").await;
    assert_eq!(r, ["* 2 EXPUNGE\r\n", "n OK EXPUNGE completed\r\n"]);
    let r = alice.cmd("o STATUS Projects (MESSAGES)").await;
    assert_eq!(r[0], "* STATUS Projects (MESSAGES 1)\r\n");
    let r = bob.cmd("p STATUS INBOX (MESSAGES UNSEEN)").await;
    assert_eq!(r[0], "* STATUS INBOX (MESSAGES 3 UNSEEN 2)\r\n", "{r:?}");
}

#[tokio::test]
async fn idle_sees_owner_append() {
    let env = setup().await;
    grant(&env, ALICE, "Projects", BOB, "lrs").await;
    let mut bob = login(&env, BOB).await;
    let r = bob.cmd(&format!("a SELECT {P}")).await;
    assert_eq!(tagged(&r), "a OK [READ-WRITE] SELECT completed\r\n");
    bob.send(b"i IDLE\r\n").await;
    assert!(bob.line().await.starts_with("+ "));
    let t0 = std::time::Instant::now();
    append_as(&env, ALICE, "Projects", &msg("two", "2")).await;
    assert_eq!(bob.line().await, "* 2 EXISTS\r\n");
    assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
    bob.send(b"DONE\r\n").await;
    assert_eq!(bob.until("i").await, ["i OK IDLE terminated\r\n"]);
}

#[tokio::test]
async fn no_rights_is_nonexistent_some_rights_is_noperm() {
    let env = setup().await;
    grant(&env, ALICE, "Projects", BOB, "l").await;
    let mut carol = login(&env, "carol@example.org").await;
    let none = "NO [NONEXISTENT] No such mailbox\r\n";
    for (tag, cmd) in [
        ("a", format!("SELECT {P}")),
        ("b", format!("EXAMINE {P}")),
        ("c", format!("STATUS {P} (MESSAGES)")),
        ("d", format!("MYRIGHTS {P}")),
        ("e", format!("GETACL {P}")),
        ("f", format!("DELETE {P}")),
        ("g", "SELECT \"Other Users/alice@example.org/Nope\"".to_owned()),
        ("h", "SELECT \"Other Users/nobody@example.org/INBOX\"".to_owned()),
        (
            "i",
            "GETQUOTAROOT \"Other Users/alice@example.org/Projects\"".to_owned(),
        ),
    ] {
        let r = carol.cmd(&format!("{tag} {cmd}")).await;
        assert_eq!(r, [format!("{tag} {none}")], "{cmd}");
    }
    let r = carol.cmd("j LIST \"\" \"Other Users/*\"").await;
    assert_eq!(r, ["j OK LIST completed\r\n"]);
    let r = carol.cmd(&format!("k APPEND {P} {{1+}}\r\nx")).await;
    assert_eq!(r, ["k NO [TRYCREATE] Mailbox does not exist\r\n"]);
    // bob has `l` only: the mailbox is visible, other commands are NOPERM.
    let mut bob = login(&env, BOB).await;
    let r = bob.cmd(&format!("l SELECT {P}")).await;
    assert_eq!(r, ["l NO [NOPERM] Permission denied (right r needed)\r\n"]);
    let r = bob.cmd(&format!("m STATUS {P} (MESSAGES)")).await;
    assert_eq!(r, ["m NO [NOPERM] Permission denied (right r needed)\r\n"]);
    let r = bob.cmd(&format!("n DELETE {P}")).await;
    assert_eq!(r, ["n NO [NOPERM] Permission denied (right x needed)\r\n"]);
    let r = bob
        .cmd("o CREATE \"Other Users/alice@example.org/Projects/sub\"")
        .await;
    assert_eq!(r, ["o NO [NOPERM] Permission denied (right k needed)\r\n"]);
    let r = bob.cmd(&format!("p SUBSCRIBE {P}")).await;
    assert_eq!(r, ["p OK SUBSCRIBE completed\r\n"]);
    let r = bob.cmd("q LSUB \"\" \"Other Users/*\"").await;
    assert_eq!(
        r,
        [
            "* LSUB () \"/\" \"Other Users/alice@example.org/Projects\"\r\n",
            "q OK LSUB completed\r\n"
        ]
    );
}

#[tokio::test]
async fn private_seen_has_its_modseq() {
    let env = setup().await;
    grant(&env, ALICE, "Projects", BOB, "lrs").await;
    let mut bob = login(&env, BOB).await;
    let r = bob.cmd(&format!("a SELECT {P} (CONDSTORE)")).await;
    let hms = r
        .iter()
        .find_map(|l| l.strip_prefix("* OK [HIGHESTMODSEQ "))
        .and_then(|l| l.split(']').next())
        .map(|n| n.parse::<u64>().unwrap())
        .unwrap();
    let r = bob.cmd("b STORE 1 +FLAGS (\\Seen)").await;
    // The owner's counter gives the private \Seen its modseq (the ACL change took one too).
    let new: u64 = r[0]
        .strip_prefix("* 1 FETCH (FLAGS (\\Seen) MODSEQ (")
        .and_then(|l| l.strip_suffix("))\r\n"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(new > hms, "{r:?}");
    assert_eq!(r[1], "b OK STORE completed\r\n");
    let r = bob
        .cmd(&format!("c FETCH 1:* (FLAGS) (CHANGEDSINCE {hms})"))
        .await;
    assert_eq!(
        r,
        [
            format!("* 1 FETCH (FLAGS (\\Seen) MODSEQ ({new}))\r\n"),
            "c OK FETCH completed\r\n".to_owned()
        ]
    );
    // A new session sees bob's \Seen with its modseq; alice's flags did not change.
    let mut again = login(&env, BOB).await;
    again.cmd(&format!("d SELECT {P} (CONDSTORE)")).await;
    let r = again.cmd("e FETCH 1 (FLAGS MODSEQ)").await;
    assert_eq!(r[0], format!("* 1 FETCH (FLAGS (\\Seen) MODSEQ ({new}))\r\n"));
    let mut alice = login(&env, ALICE).await;
    alice.cmd("f SELECT Projects").await;
    let r = alice.cmd("g FETCH 1 (FLAGS)").await;
    assert_eq!(r[0], "* 1 FETCH (FLAGS ())\r\n");
}

#[tokio::test]
async fn withdrawn_read_right_deselects() {
    let env = setup().await;
    grant(&env, ALICE, "Projects", BOB, "lr").await;
    let mut bob = login(&env, BOB).await;
    let r = bob.cmd(&format!("a EXAMINE {P}")).await;
    assert_eq!(tagged(&r), "a OK [READ-ONLY] EXAMINE completed\r\n");
    // Checked before the next command, whatever the change feed's delay.
    grant(&env, ALICE, "Projects", BOB, "l").await;
    let r = bob.cmd("b FETCH 1 (FLAGS)").await;
    assert_eq!(
        r,
        [
            "* OK [CLOSED] Access to the mailbox was withdrawn\r\n",
            "b NO [NOPERM] Access to the mailbox was withdrawn; it is no longer selected\r\n"
        ]
    );
    let r = bob.cmd("c NOOP").await;
    assert_eq!(r, ["c OK NOOP completed\r\n"]);
}

#[tokio::test]
async fn shared_namespace_of_the_shared_account() {
    let env = start_shared(Some("shared@example.org")).await;
    add_user(&env, BOB).await;
    create(&env, "shared@example.org", "News").await;
    append_as(&env, "shared@example.org", "News", &msg("news", "n")).await;
    grant(&env, "shared@example.org", "News", "anyone", "lrs").await;
    let mut bob = login(&env, BOB).await;
    let r = bob.cmd("a NAMESPACE").await;
    assert_eq!(
        r[0],
        "* NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) ((\"Shared/\" \"/\"))\r\n"
    );
    let r = bob.cmd("b LIST \"\" \"Shared*\"").await;
    assert_eq!(
        r,
        [
            "* LIST (\\Noselect \\HasChildren) \"/\" Shared\r\n",
            "* LIST (\\HasNoChildren) \"/\" Shared/News\r\n",
            "b OK LIST completed\r\n"
        ]
    );
    let r = bob.cmd("c SELECT Shared/News").await;
    assert_eq!(tagged(&r), "c OK [READ-WRITE] SELECT completed\r\n");
    let r = bob.cmd("d FETCH 1 (FLAGS BODY[TEXT])").await;
    assert_eq!(
        r[0],
        "* 1 FETCH (FLAGS (\\Seen) BODY[TEXT] {3}\r\n1\r\n)\r\n".replace("{3}\r\n1", "{3}\r\nn")
    );
    let r = bob.cmd("e MYRIGHTS Shared/News").await;
    assert_eq!(
        r,
        ["* MYRIGHTS Shared/News lrs\r\n", "e OK MYRIGHTS completed\r\n"]
    );
    let r = bob.cmd("f SELECT \"Other Users/shared@example.org/News\"").await;
    assert_eq!(tagged(&r), "f NO [NONEXISTENT] No such mailbox\r\n");
}

/// The octets of every message of `owner`'s mailbox `name`, as clients get them, with the store's
/// records.
async fn stored(env: &common::Env, owner: &str, name: &str) -> Vec<(malt_store::Message, String)> {
    let store = &env.core.storage().store;
    let account = store.account_by_address(owner).await.unwrap().unwrap();
    let mb = env.core.mailbox_required(account.id, name).await.unwrap();
    let mut out = Vec::new();
    for m in store.messages(mb.id, &malt_store::UidSet::all()).await.unwrap() {
        let raw = env.core.read_message(&m).await.unwrap();
        out.push((m, String::from_utf8(raw).unwrap()));
    }
    out
}

#[tokio::test]
async fn delivered_copies_keep_their_trace_headers_across_accounts() {
    let env = setup().await;
    let envelope = malt_core::delivery::Envelope {
        return_path: "sender@example.net".into(),
        helo: "mx.example.net".into(),
        remote: std::net::IpAddr::from([192, 0, 2, 1]),
        hostname: "mail.example.org".into(),
        protocol: "LMTP".into(),
        id: "X1".into(),
        received_at: 1_700_000_000,
        verify_sender: false,
    };
    let raw = msg("delivered", "shared body");
    for _ in 0..2 {
        let out = env
            .core
            .deliver_message(&envelope, &[ALICE.to_owned()], &raw)
            .await;
        assert!(
            matches!(&out[0], malt_core::delivery::Outcome::Delivered(a) if a.len() == 1),
            "{out:?}"
        );
    }
    let original = stored(&env, ALICE, "INBOX").await;
    assert_eq!(original.len(), 2);
    let whole = original[0].1.clone();
    assert!(whole.starts_with("Return-Path: <sender@example.net>\r\nDelivered-To: alice@example.org\r\n"));
    assert!(whole.ends_with(std::str::from_utf8(&raw).unwrap()));

    // bob copies one and moves the other from alice's INBOX into his own.
    grant(&env, ALICE, "INBOX", BOB, "lrte").await;
    let mut bob = login(&env, BOB).await;
    let r = bob.cmd("a SELECT \"Other Users/alice@example.org/INBOX\"").await;
    assert_eq!(tagged(&r), "a OK [READ-WRITE] SELECT completed\r\n");
    let r = bob.cmd("b FETCH 1 (RFC822.SIZE BODY.PEEK[])").await;
    assert_eq!(
        r[0],
        format!(
            "* 1 FETCH (RFC822.SIZE {0} BODY[] {{{0}}}\r\n{whole})\r\n",
            whole.len()
        )
    );
    let r = bob.cmd("c COPY 1 INBOX").await;
    assert!(tagged(&r).starts_with("c OK [COPYUID "), "{r:?}");
    let r = bob.cmd("d MOVE 2 INBOX").await;
    assert_eq!(r.last().unwrap(), "d OK MOVE completed\r\n", "{r:?}");
    let r = bob.cmd("e SELECT INBOX").await;
    assert_eq!(tagged(&r), "e OK [READ-WRITE] SELECT completed\r\n");
    for (seq, (_, want)) in ["1", "2"].iter().zip(&original) {
        let r = bob
            .cmd(&format!(
                "f FETCH {seq} (RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DELIVERED-TO)] BODY.PEEK[])"
            ))
            .await;
        assert_eq!(
            r[0],
            format!(
                "* {seq} FETCH (RFC822.SIZE {0} BODY[HEADER.FIELDS (DELIVERED-TO)] {{35}}\r\n\
                 Delivered-To: alice@example.org\r\n\r\n BODY[] {{{0}}}\r\n{want})\r\n",
                want.len()
            )
        );
    }
    // The copies are prefix and blob, the blob shared with the originals.
    let copies = stored(&env, BOB, "INBOX").await;
    assert_eq!(copies.len(), 2);
    for ((c, text), (o, want)) in copies.iter().zip(&original) {
        assert_eq!(
            (text, &c.blob_id, &c.prefix, c.size),
            (want, &o.blob_id, &o.prefix, o.size)
        );
        assert!(c.prefix.is_some());
    }
    assert_eq!(stored(&env, ALICE, "INBOX").await.len(), 1, "the moved one left");
}
