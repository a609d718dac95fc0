//! Sieve in the delivery pipeline (`malt_core::sieve::SieveFilter`), against a real SQLite store
//! and the real engine: each test stores and activates a script as ManageSieve would, delivers
//! messages through `MailCore::deliver_message`, and checks the mailboxes, flags and the
//! outbound queue.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::net::IpAddr;
use std::sync::Arc;

use malt_core::delivery::{Envelope, Outcome};
use malt_core::mail::{DeliveryOptions, MailCore, MailSettings};
use malt_core::sieve::{GlobalScript, SieveFilter, SieveSettings};
use malt_core::srs::Srs;
use malt_sieve::limits::Limits;
use malt_store::{Flags, UidSet, flag};

const BOB: &str = "bob@mail.test";

struct Setup {
    core: MailCore,
    _dir: tempfile::TempDir,
}

fn settings() -> SieveSettings {
    SieveSettings {
        limits: Limits::default(),
        before: Vec::new(),
        after: Vec::new(),
        global_dir: None,
        hostname: "mail.test".into(),
    }
}

async fn setup_with(settings: SieveSettings) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let storage = common::storage(&dir).await;
    let filter = SieveFilter::new(storage.store.clone(), settings).unwrap();
    let core = MailCore::new(storage, MailSettings::default()).with_delivery_options(DeliveryOptions {
        filter: Some(Arc::new(filter)),
        srs: Some(Arc::new(Srs::new([9; 32], "fwd.mail.test", 21))),
        ..DeliveryOptions::default()
    });
    common::account(core.storage(), BOB, "pw").await;
    Setup { core, _dir: dir }
}

async fn setup() -> Setup {
    setup_with(settings()).await
}

impl Setup {
    /// Stores `source` as bob's script `name` (as ManageSieve PUTSCRIPT does).
    async fn put(&self, name: &str, source: &str) {
        let store = &self.core.storage().store;
        let bob = store.account_by_address(BOB).await.unwrap().unwrap();
        malt_sieve::compile(name, source, &Limits::default()).unwrap();
        store.sieve_put(bob.id, name, source, 32, 0).await.unwrap();
    }

    /// Stores and activates bob's script.
    async fn script(&self, source: &str) {
        self.put("main", source).await;
        let store = &self.core.storage().store;
        let bob = store.account_by_address(BOB).await.unwrap().unwrap();
        store.sieve_activate(bob.id, Some("main")).await.unwrap();
    }

    async fn deliver_from(&self, from: &str, raw: &str) -> Outcome {
        let env = Envelope {
            return_path: from.into(),
            helo: "mx.origin.example".into(),
            remote: IpAddr::from([192, 0, 2, 10]),
            hostname: "mail.test".into(),
            protocol: "LMTP".into(),
            id: "S1".into(),
            received_at: 1_795_931_412,
            verify_sender: false,
        };
        let mut out = self
            .core
            .deliver_message(&env, &[BOB.to_owned()], raw.as_bytes())
            .await;
        out.pop().unwrap()
    }

    async fn deliver(&self, raw: &str) -> Outcome {
        self.deliver_from("alice@origin.example", raw).await
    }

    /// Bob's mailbox `name`: (flags, message as clients see it) per message; empty when absent.
    async fn mailbox(&self, name: &str) -> Vec<(Flags, String)> {
        let store = &self.core.storage().store;
        let bob = store.account_by_address(BOB).await.unwrap().unwrap();
        let Some(mb) = self.core.mailbox(bob.id, name).await.unwrap() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for m in store.messages(mb.id, &UidSet::all()).await.unwrap() {
            let raw = String::from_utf8(self.core.read_message(&m).await.unwrap()).unwrap();
            out.push((m.flags.clone(), raw));
        }
        out
    }

    /// The queue: (return path, recipient, content) per entry.
    async fn queue(&self) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for q in self.core.storage().store.queue_list().await.unwrap() {
            let raw = String::from_utf8(self.core.read_blob(&q.blob_id).await.unwrap()).unwrap();
            let to = q
                .recipients
                .iter()
                .map(|r| r.address.clone())
                .collect::<Vec<_>>()
                .join(",");
            out.push((q.return_path.clone(), to, raw));
        }
        out
    }
}

fn msg(subject: &str) -> String {
    format!(
        "From: Alice <alice@origin.example>\r\nTo: Bob <bob@mail.test>\r\nSubject: {subject}\r\n\
         Message-ID: <{}@origin.example>\r\n\r\nHello Bob.\r\n",
        subject.replace(' ', ".")
    )
}

#[tokio::test]
async fn without_a_script_mail_goes_to_inbox() {
    let s = setup().await;
    assert!(matches!(s.deliver(&msg("plain")).await, Outcome::Delivered(a) if a.len() == 1));
    assert_eq!(s.mailbox("INBOX").await.len(), 1);
}

#[tokio::test]
async fn fileinto_with_flags_create_and_keep() {
    let s = setup().await;
    s.script(
        r#"require ["fileinto", "imap4flags", "mailbox"];
        if header :contains "subject" "[rust]" {
            fileinto :create :flags ["\\Seen", "$Lists"] "Lists/Rust";
            keep :flags "\\Flagged";
        }"#,
    )
    .await;
    let out = s.deliver(&msg("[rust] release")).await;
    assert!(matches!(&out, Outcome::Delivered(a) if a.len() == 2), "{out:?}");
    let lists = s.mailbox("Lists/Rust").await;
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].0, Flags::new(flag::SEEN, ["$Lists".to_owned()]));
    let inbox = s.mailbox("INBOX").await;
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].0, Flags::new(flag::FLAGGED, []));
    assert_eq!(lists[0].1, inbox[0].1, "the same message in both");

    // Not matching: the implicit keep, no flags.
    s.deliver(&msg("other")).await;
    let inbox = s.mailbox("INBOX").await;
    assert_eq!(inbox.len(), 2);
    assert_eq!(inbox[1].0, Flags::default());
}

#[tokio::test]
async fn fileinto_a_special_use_mailbox() {
    let s = setup().await;
    s.script(
        r#"require ["fileinto", "special-use"];
        fileinto :specialuse "\\Junk" "Spam";"#,
    )
    .await;
    s.deliver(&msg("cheap pills")).await;
    assert_eq!(
        s.mailbox("Junk").await.len(),
        1,
        "the \\Junk mailbox, not a new Spam"
    );
    assert!(s.mailbox("Spam").await.is_empty());
    assert!(s.mailbox("INBOX").await.is_empty());
}

#[tokio::test]
async fn discard_stores_nothing_and_is_delivered() {
    let s = setup().await;
    s.script("discard;").await;
    assert_eq!(s.deliver(&msg("gone")).await, Outcome::Delivered(vec![]));
    assert!(s.mailbox("INBOX").await.is_empty());
    assert!(s.queue().await.is_empty());
}

#[tokio::test]
async fn an_edited_header_is_what_is_stored() {
    let s = setup().await;
    s.script(
        r#"require "editheader";
        addheader "X-Sieve" "filtered";
        deleteheader "X-Spam-Flag";"#,
    )
    .await;
    let raw = format!("X-Spam-Flag: YES\r\n{}", msg("edited"));
    s.deliver(&raw).await;
    let inbox = s.mailbox("INBOX").await;
    let stored = &inbox[0].1;
    assert!(stored.contains("X-Sieve: filtered\r\n"), "{stored}");
    assert!(!stored.contains("X-Spam-Flag"), "{stored}");
    assert!(stored.ends_with("\r\n\r\nHello Bob.\r\n"));
    assert!(stored.starts_with("Return-Path: <alice@origin.example>\r\nDelivered-To: bob@mail.test\r\n"));
}

#[tokio::test]
async fn redirect_is_queued_with_srs_and_copy_keeps() {
    let s = setup().await;
    s.script(
        r#"require "copy";
        redirect :copy "bob.home@remote.example";"#,
    )
    .await;
    let out = s.deliver(&msg("forward me")).await;
    assert!(
        matches!(&out, Outcome::Delivered(a) if a.len() == 1),
        ":copy keeps: {out:?}"
    );
    let q = s.queue().await;
    assert_eq!(q.len(), 1);
    let (from, to, raw) = &q[0];
    assert_eq!(to, "bob.home@remote.example");
    assert_eq!(
        Srs::new([9; 32], "fwd.mail.test", 21).reverse(from).unwrap(),
        "alice@origin.example"
    );
    assert!(
        raw.starts_with("Delivered-To: bob@mail.test\r\nReceived: "),
        "{raw}"
    );
    assert!(raw.ends_with(&msg("forward me")));

    // Plain redirect: not kept; a loop (it comes back) is kept instead of redirected again.
    s.script(r#"redirect "bob.home@remote.example";"#).await;
    assert_eq!(s.deliver(&msg("forward only")).await, Outcome::Delivered(vec![]));
    let back = format!("Delivered-To: bob@mail.test\r\n{}", msg("came back"));
    assert!(matches!(s.deliver(&back).await, Outcome::Delivered(a) if a.len() == 1));
    assert_eq!(s.queue().await.len(), 2);
    assert_eq!(s.mailbox("INBOX").await.len(), 2);
}

#[tokio::test]
async fn vacation_answers_once_per_period_and_sender() {
    let s = setup().await;
    s.script(
        r#"require "vacation";
        vacation :days 7 :subject "Away" :from "bob@mail.test" "I am away until Monday.";"#,
    )
    .await;
    for _ in 0..2 {
        let out = s.deliver(&msg("meeting")).await;
        assert!(
            matches!(&out, Outcome::Delivered(a) if a.len() == 1),
            "kept too: {out:?}"
        );
    }
    let q = s.queue().await;
    assert_eq!(q.len(), 1, "one reply within the period");
    let (from, to, reply) = &q[0];
    assert_eq!((from.as_str(), to.as_str()), ("", "alice@origin.example"));
    assert!(reply.contains("Subject: Away\r\n"), "{reply}");
    assert!(reply.contains("Auto-Submitted: auto-replied\r\n"));
    assert!(reply.contains("In-Reply-To: <meeting@origin.example>\r\n"));
    assert!(reply.contains("From: bob@mail.test\r\n"));
    assert!(reply.ends_with("I am away until Monday.\r\n"));

    // Another sender gets their own reply; a bounce and a list message get none.
    s.deliver_from("carol@origin.example", &msg("lunch")).await;
    s.deliver_from("", &msg("bounce")).await;
    let list = format!("List-Id: <news.origin.example>\r\n{}", msg("newsletter"));
    s.deliver_from("news@origin.example", &list).await;
    let q = s.queue().await;
    assert_eq!(q.len(), 2);
    assert_eq!(q[1].1, "carol@origin.example");
}

#[tokio::test]
async fn notify_sends_a_mail_notification() {
    let s = setup().await;
    s.script(
        r#"require "enotify";
        notify :message "New mail from Alice" "mailto:bob.phone@remote.example?subject=Ping";"#,
    )
    .await;
    s.deliver(&msg("urgent")).await;
    assert_eq!(s.mailbox("INBOX").await.len(), 1);
    let q = s.queue().await;
    assert_eq!(q.len(), 1);
    let (from, to, note) = &q[0];
    assert_eq!((from.as_str(), to.as_str()), ("", "bob.phone@remote.example"));
    assert!(note.contains("Subject: Ping\r\n"), "{note}");
    assert!(note.contains("Auto-Submitted: auto-notified\r\n"));
    assert!(note.ends_with("New mail from Alice\r\n"));

    // Never about an automatic message.
    let auto = format!("Auto-Submitted: auto-replied\r\n{}", msg("auto"));
    s.deliver(&auto).await;
    assert_eq!(s.queue().await.len(), 1);
}

#[tokio::test]
async fn reject_refuses_the_message() {
    let s = setup().await;
    s.script(
        r#"require "reject";
        if header :contains "subject" "offer" { reject "No offers, please."; }"#,
    )
    .await;
    assert_eq!(
        s.deliver(&msg("great offer")).await,
        Outcome::Rejected("No offers, please.".into())
    );
    assert!(s.mailbox("INBOX").await.is_empty());
    assert!(s.queue().await.is_empty());
}

#[tokio::test]
async fn a_runtime_error_keeps_the_message_in_inbox() {
    let s = setup().await;
    s.script(
        r#"require ["ihave", "fileinto", "mailbox"];
        fileinto :create "Never";
        error "the script gave up";"#,
    )
    .await;
    assert!(matches!(s.deliver(&msg("error")).await, Outcome::Delivered(a) if a.len() == 1));
    assert_eq!(s.mailbox("INBOX").await.len(), 1);
    assert!(
        s.mailbox("Never").await.is_empty(),
        "no action of a failed run is taken"
    );
}

#[tokio::test]
async fn global_scripts_run_before_and_after_the_users() {
    let mut settings = settings();
    settings.before = vec![GlobalScript {
        name: "spam.sieve".into(),
        source: r#"require ["fileinto"];
            if header :contains "subject" "SPAM" { fileinto "Junk"; stop; }"#
            .into(),
    }];
    settings.after = vec![GlobalScript {
        name: "mark.sieve".into(),
        source: r#"require "imap4flags"; addflag "$Checked";"#.into(),
    }];
    let s = setup_with(settings).await;
    // No user script: the globals still run.
    s.deliver(&msg("hello")).await;
    let inbox = s.mailbox("INBOX").await;
    assert_eq!(inbox[0].0, Flags::new(0, ["$Checked".to_owned()]));
    // `stop` in a before script ends every script: no user action, no after flags.
    s.script(r#"require "fileinto"; fileinto "Archive";"#).await;
    s.deliver(&msg("SPAM offer")).await;
    let junk = s.mailbox("Junk").await;
    assert_eq!(junk.len(), 1);
    assert_eq!(junk[0].0, Flags::default());
    assert!(s.mailbox("Archive").await.is_empty());
    // Otherwise the user's script runs, then the after script (whose flag reaches no copy the
    // user's fileinto already made: flags are per action, RFC 5232).
    s.deliver(&msg("report")).await;
    assert_eq!(s.mailbox("Archive").await.len(), 1);
    assert_eq!(
        s.mailbox("INBOX").await.len(),
        1,
        "fileinto cancelled the implicit keep"
    );
}

#[tokio::test]
async fn a_bad_global_script_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let storage = common::storage(&dir).await;
    let mut settings = settings();
    settings.after = vec![GlobalScript {
        name: "broken.sieve".into(),
        source: "fileinto \"x\";".into(),
    }];
    let e = SieveFilter::new(storage.store.clone(), settings).unwrap_err();
    assert!(e.to_string().contains("broken.sieve"), "{e}");
}

#[tokio::test]
async fn include_personal_and_global_scripts() {
    let global = tempfile::tempdir().unwrap();
    std::fs::write(
        global.path().join("lists.sieve"),
        r#"require ["fileinto", "mailbox"];
        if exists "list-id" { fileinto :create "Lists"; }"#,
    )
    .unwrap();
    let mut settings = settings();
    settings.global_dir = Some(global.path().to_path_buf());
    let s = setup_with(settings).await;
    s.put(
        "friends",
        r#"require ["fileinto", "mailbox"];
        if address :domain "from" "origin.example" { fileinto :create "Friends"; }"#,
    )
    .await;
    s.script(
        r#"require "include";
        include :global "lists";
        include :personal "friends";
        include :optional "nonexistent";"#,
    )
    .await;
    let list = format!("List-Id: <news.origin.example>\r\n{}", msg("news"));
    let out = s.deliver(&list).await;
    assert!(matches!(&out, Outcome::Delivered(a) if a.len() == 2), "{out:?}");
    assert_eq!(s.mailbox("Lists").await.len(), 1);
    assert_eq!(s.mailbox("Friends").await.len(), 1);
    assert!(s.mailbox("INBOX").await.is_empty());

    // A required include that does not exist is a run-time error: INBOX.
    s.script(r#"require "include"; include "nonexistent";"#).await;
    s.deliver(&msg("x")).await;
    assert_eq!(s.mailbox("INBOX").await.len(), 1);
}

#[tokio::test]
async fn duplicate_is_remembered_once_delivered() {
    let s = setup().await;
    s.script(
        r#"require ["duplicate", "fileinto", "mailbox"];
        if duplicate { fileinto :create "Duplicates"; }"#,
    )
    .await;
    s.deliver(&msg("twice")).await;
    s.deliver(&msg("twice")).await;
    s.deliver(&msg("once")).await;
    assert_eq!(s.mailbox("INBOX").await.len(), 2);
    assert_eq!(s.mailbox("Duplicates").await.len(), 1);
}

#[tokio::test]
async fn spamtest_reads_a_front_filters_score() {
    let s = setup().await;
    s.script(
        r#"require ["spamtest", "relational", "comparator-i;ascii-numeric", "fileinto"];
        if spamtest :value "ge" :comparator "i;ascii-numeric" "6" { fileinto "Junk"; }"#,
    )
    .await;
    let scored = |points: &str| format!("X-Spam-Score: {points}\r\n{}", msg(&format!("s {points}")));
    s.deliver(&scored("8.5")).await;
    s.deliver(&scored("1.2")).await;
    s.deliver(&msg("untested")).await;
    assert_eq!(s.mailbox("Junk").await.len(), 1);
    assert_eq!(s.mailbox("INBOX").await.len(), 2);
}

#[tokio::test]
async fn the_environment_is_the_mda_at_delivery() {
    let s = setup().await;
    s.script(
        r#"require ["environment", "fileinto", "mailbox"];
        if allof (environment "location" "MDA", environment "phase" "during",
                  environment "host" "mail.test", environment "remote-ip" "192.0.2.10") {
            fileinto :create "Seen-By-MDA";
        }"#,
    )
    .await;
    s.deliver(&msg("env")).await;
    assert_eq!(s.mailbox("Seen-By-MDA").await.len(), 1);
}
