//! The delivery pipeline applying a filter's decision (`malt_core::filter`), against a real
//! SQLite store: per-copy flags, `:create` and special-use targets, an edited header, redirects
//! (trace, SRS, loops), refusals (protocol level or reject notice) and the order that loses
//! nothing (a copy that fails sends nothing). The filter here answers a fixed decision; the Sieve
//! engine's decisions are tested in `sieve_delivery.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use malt_core::delivery::{Envelope, Outcome};
use malt_core::filter::{DeliveryFilter, DuplicateRecord, FilterDecision, FilterInput, Outgoing, StoreInto};
use malt_core::mail::{DeliveryOptions, MailCore, MailSettings};
use malt_core::srs::Srs;
use malt_store::{Account, Flags, SpecialUse, UidSet, flag};

/// A filter that answers the decision set for the account (INBOX when none is set).
#[derive(Debug, Default)]
struct Fixed {
    decisions: Mutex<Vec<(String, FilterDecision)>>,
}

impl Fixed {
    fn set(&self, account: &str, decision: FilterDecision) {
        let mut d = self.decisions.lock().unwrap();
        d.retain(|(a, _)| a != account);
        d.push((account.to_owned(), decision));
    }
}

impl DeliveryFilter for Fixed {
    fn decide<'a>(
        &'a self,
        input: FilterInput<'a>,
    ) -> Pin<Box<dyn std::future::Future<Output = FilterDecision> + Send + 'a>> {
        let decision = self
            .decisions
            .lock()
            .unwrap()
            .iter()
            .find(|(a, _)| *a == input.account.address)
            .map_or_else(FilterDecision::keep, |(_, d)| d.clone());
        Box::pin(async move { decision })
    }
}

fn envelope(from: &str) -> Envelope {
    Envelope {
        return_path: from.into(),
        helo: "mx.origin.example".into(),
        remote: IpAddr::from([192, 0, 2, 10]),
        hostname: "mail.test".into(),
        protocol: "ESMTP".into(),
        id: "F1".into(),
        received_at: 1_795_931_412,
        verify_sender: false,
    }
}

const MSG: &[u8] = b"From: Alice <alice@origin.example>\r\nTo: bob@mail.test\r\nSubject: plans\r\n\
Message-ID: <p1@origin.example>\r\n\r\nSee you at noon.\r\n";

/// A core with the fixed filter and SRS, and the account bob@mail.test.
async fn setup(dir: &tempfile::TempDir) -> (MailCore, Arc<Fixed>, Account) {
    let filter = Arc::new(Fixed::default());
    let core = MailCore::new(common::storage(dir).await, MailSettings::default()).with_delivery_options(
        DeliveryOptions {
            filter: Some(filter.clone()),
            srs: Some(Arc::new(Srs::new([3; 32], "fwd.mail.test", 21))),
            ..DeliveryOptions::default()
        },
    );
    let bob = common::account(core.storage(), "bob@mail.test", "pw").await;
    (core, filter, bob)
}

/// Delivers `raw` from `from` to `to`, one recipient.
async fn deliver(core: &MailCore, from: &str, to: &str, raw: &[u8]) -> Outcome {
    let mut out = core.deliver_message(&envelope(from), &[to.to_owned()], raw).await;
    out.pop().unwrap()
}

fn redirect(address: &str) -> Outgoing {
    Outgoing::Redirect {
        address: address.into(),
    }
}

fn into(mailbox: &str, flags: Flags) -> StoreInto {
    StoreInto {
        mailbox: mailbox.into(),
        flags,
        create: false,
        special_use: None,
    }
}

/// Every message of `address`'s mailbox `name`, as clients see it, with its flags.
async fn mailbox(core: &MailCore, address: &str, name: &str) -> Vec<(Flags, String, String)> {
    let store = &core.storage().store;
    let acc = store.account_by_address(address).await.unwrap().unwrap();
    let Some(mb) = core.mailbox(acc.id, name).await.unwrap() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for m in store.messages(mb.id, &UidSet::all()).await.unwrap() {
        let raw = String::from_utf8(core.read_message(&m).await.unwrap()).unwrap();
        out.push((m.flags.clone(), m.blob_id.clone(), raw));
    }
    out
}

/// The queue: (return path, recipients, content) of each entry.
async fn queue(core: &MailCore) -> Vec<(String, Vec<String>, String)> {
    let mut out = Vec::new();
    for q in core.storage().store.queue_list().await.unwrap() {
        let raw = core.read_blob(&q.blob_id).await.unwrap();
        out.push((
            q.return_path.clone(),
            q.recipients.iter().map(|r| r.address.clone()).collect(),
            String::from_utf8(raw).unwrap(),
        ));
    }
    out
}

#[tokio::test]
async fn each_copy_gets_its_own_mailbox_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let (core, filter, bob) = setup(&dir).await;
    // New accounts have a \Junk mailbox (named Junk); renamed, it is found by its use.
    let junk = core.mailbox(bob.id, "Junk").await.unwrap().unwrap();
    assert_eq!(junk.role, Some(SpecialUse::Junk));
    core.storage()
        .store
        .mailbox_rename(bob.id, junk.id, "Junk Mail")
        .await
        .unwrap();
    let seen = Flags::new(flag::SEEN, []);
    let label = Flags::new(0, ["$Label1".to_owned()]);
    filter.set(
        "bob@mail.test",
        FilterDecision {
            stores: vec![
                into("INBOX", seen.clone()),
                // RFC 5490 :create, with a parent that does not exist either.
                StoreInto {
                    create: true,
                    ..into("Lists/News", label.clone())
                },
                // RFC 8579 :specialuse: the \Junk mailbox wins over the name.
                StoreInto {
                    special_use: Some(SpecialUse::Junk),
                    ..into("Spam", Flags::default())
                },
                // Missing without :create: INBOX, one copy with both actions' flags.
                into("Missing", Flags::new(flag::FLAGGED, [])),
            ],
            ..FilterDecision::default()
        },
    );
    let out = deliver(&core, "alice@origin.example", "bob@mail.test", MSG).await;
    let Outcome::Delivered(appended) = &out else {
        panic!("{out:?}")
    };
    assert_eq!(appended.len(), 3, "INBOX, Lists/News, Junk Mail");

    let inbox = mailbox(&core, "bob@mail.test", "INBOX").await;
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].0, Flags::new(flag::SEEN | flag::FLAGGED, []));
    let news = mailbox(&core, "bob@mail.test", "Lists/News").await;
    assert_eq!(news.len(), 1);
    assert_eq!(news[0].0, label);
    assert!(
        core.mailbox(bob.id, "Lists").await.unwrap().is_some(),
        "parent created"
    );
    let junk = mailbox(&core, "bob@mail.test", "Junk Mail").await;
    assert_eq!(junk.len(), 1);
    assert!(core.mailbox(bob.id, "Spam").await.unwrap().is_none());
    // One blob for every copy; each copy is the message under this recipient's trace.
    assert!(inbox[0].1 == news[0].1 && news[0].1 == junk[0].1);
    for (_, _, raw) in [&inbox[0], &news[0], &junk[0]] {
        assert!(raw.starts_with("Return-Path: <alice@origin.example>\r\nDelivered-To: bob@mail.test\r\n"));
        assert!(raw.ends_with(std::str::from_utf8(MSG).unwrap()));
    }
}

#[tokio::test]
async fn a_special_use_mailbox_is_created_with_its_use() {
    let dir = tempfile::tempdir().unwrap();
    let (core, filter, bob) = setup(&dir).await;
    filter.set(
        "bob@mail.test",
        FilterDecision {
            stores: vec![StoreInto {
                create: true,
                special_use: Some(SpecialUse::Flagged),
                ..into("Old", Flags::default())
            }],
            ..FilterDecision::default()
        },
    );
    deliver(&core, "alice@origin.example", "bob@mail.test", MSG).await;
    let old = core.mailbox(bob.id, "Old").await.unwrap().unwrap();
    assert_eq!(old.role, Some(SpecialUse::Flagged));
    // The second time the \Flagged mailbox is found by its use.
    core.storage()
        .store
        .mailbox_rename(bob.id, old.id, "Attic")
        .await
        .unwrap();
    deliver(&core, "alice@origin.example", "bob@mail.test", MSG).await;
    assert_eq!(mailbox(&core, "bob@mail.test", "Attic").await.len(), 2);
    assert!(core.mailbox(bob.id, "Old").await.unwrap().is_none());
}

#[tokio::test]
async fn an_edited_message_is_stored_and_redirected_instead_of_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let (core, filter, _) = setup(&dir).await;
    common::account(core.storage(), "carol@mail.test", "pw").await;
    let edited = b"X-Filtered: yes\r\nSubject: [ext] plans\r\n\r\n".to_vec();
    filter.set(
        "bob@mail.test",
        FilterDecision {
            stores: vec![into("INBOX", Flags::default())],
            edited_header: Some(edited.clone()),
            outgoing: vec![redirect("bob.home@remote.example")],
            ..FilterDecision::default()
        },
    );
    let rcpts = ["bob@mail.test".to_owned(), "carol@mail.test".to_owned()];
    let out = core
        .deliver_message(&envelope("alice@origin.example"), &rcpts, MSG)
        .await;
    assert!(
        out.iter()
            .all(|o| matches!(o, Outcome::Delivered(a) if a.len() == 1)),
        "{out:?}"
    );
    let bob = mailbox(&core, "bob@mail.test", "INBOX").await;
    let carol = mailbox(&core, "carol@mail.test", "INBOX").await;
    assert!(
        bob[0]
            .2
            .ends_with("X-Filtered: yes\r\nSubject: [ext] plans\r\n\r\nSee you at noon.\r\n"),
        "{}",
        bob[0].2
    );
    assert!(
        carol[0].2.ends_with(std::str::from_utf8(MSG).unwrap()),
        "carol's copy is untouched"
    );
    assert_ne!(bob[0].1, carol[0].1, "the edited message is a blob of its own");

    // The redirect: the edited message under bob's Delivered-To and Received, no Return-Path,
    // from an SRS address that reverses to the original sender.
    let q = queue(&core).await;
    assert_eq!(q.len(), 1);
    let (from, to, raw) = &q[0];
    assert_eq!(to, &["bob.home@remote.example"]);
    let srs = Srs::new([3; 32], "fwd.mail.test", 21);
    assert!(
        from.starts_with("SRS0=") && from.ends_with("@fwd.mail.test"),
        "{from}"
    );
    assert_eq!(srs.reverse(from).unwrap(), "alice@origin.example");
    assert!(
        raw.starts_with("Delivered-To: bob@mail.test\r\nReceived: from mx.origin.example"),
        "{raw}"
    );
    assert!(raw.ends_with("X-Filtered: yes\r\nSubject: [ext] plans\r\n\r\nSee you at noon.\r\n"));
    assert!(!raw.contains("Return-Path"));
}

#[tokio::test]
async fn redirects_keep_the_sender_locally_and_the_null_sender_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let (core, filter, _) = setup(&dir).await;
    filter.set(
        "bob@mail.test",
        FilterDecision {
            outgoing: vec![redirect("dave@MAIL.test"), redirect("x@remote.example")],
            ..FilterDecision::default()
        },
    );
    let out = deliver(&core, "alice@origin.example", "bob@mail.test", MSG).await;
    assert_eq!(
        out,
        Outcome::Delivered(vec![]),
        "redirected only: accepted, nothing stored"
    );
    assert!(mailbox(&core, "bob@mail.test", "INBOX").await.is_empty());
    let q = queue(&core).await;
    let sender_of = |to: &str| q.iter().find(|e| e.1 == [to]).unwrap().0.clone();
    assert_eq!(
        sender_of("dave@MAIL.test"),
        "alice@origin.example",
        "local: not rewritten"
    );
    assert!(sender_of("x@remote.example").starts_with("SRS0="));

    // A bounce is redirected with the null sender (RFC 5321 §4.5.5), never rewritten.
    deliver(&core, "", "bob@mail.test", MSG).await;
    let q = queue(&core).await;
    assert_eq!(q.iter().filter(|e| e.0.is_empty()).count(), 2);
}

#[tokio::test]
async fn a_redirect_loop_is_kept_instead() {
    let dir = tempfile::tempdir().unwrap();
    let (core, filter, _) = setup(&dir).await;
    filter.set(
        "bob@mail.test",
        FilterDecision {
            outgoing: vec![redirect("bob.home@remote.example")],
            ..FilterDecision::default()
        },
    );
    // The message went through bob here before (it came back from bob.home).
    let looped = [&b"Delivered-To: BOB@mail.test\r\n"[..], MSG].concat();
    let out = deliver(&core, "alice@origin.example", "bob@mail.test", &looped).await;
    assert!(matches!(&out, Outcome::Delivered(a) if a.len() == 1), "{out:?}");
    assert!(queue(&core).await.is_empty(), "not redirected again");
    assert_eq!(
        mailbox(&core, "bob@mail.test", "INBOX").await.len(),
        1,
        "kept instead"
    );
}

#[tokio::test]
async fn a_refusal_is_the_recipients_outcome_or_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let (core, filter, _) = setup(&dir).await;
    common::account(core.storage(), "carol@mail.test", "pw").await;
    let reject = FilterDecision {
        reject: Some("No plans, thanks.".into()),
        // A refusal stores nothing, whatever else was decided.
        stores: vec![into("INBOX", Flags::default())],
        ..FilterDecision::default()
    };
    filter.set("bob@mail.test", reject.clone());
    let out = deliver(&core, "alice@origin.example", "bob@mail.test", MSG).await;
    assert_eq!(out, Outcome::Rejected("No plans, thanks.".into()));
    assert!(mailbox(&core, "bob@mail.test", "INBOX").await.is_empty());
    assert!(queue(&core).await.is_empty(), "the protocol says it; no notice");

    // A group whose other member accepts: delivered, and the sender gets a reject notice.
    let store = &core.storage().store;
    store.group_add("team@mail.test", "Team").await.unwrap();
    store
        .group_member_add("team@mail.test", "bob@mail.test")
        .await
        .unwrap();
    store
        .group_member_add("team@mail.test", "carol@mail.test")
        .await
        .unwrap();
    let out = deliver(&core, "alice@origin.example", "team@mail.test", MSG).await;
    assert!(matches!(&out, Outcome::Delivered(a) if a.len() == 1), "{out:?}");
    let q = queue(&core).await;
    assert_eq!(q.len(), 1);
    let (from, to, notice) = &q[0];
    assert_eq!(
        (from.as_str(), to.as_slice()),
        ("", &["alice@origin.example".to_owned()][..])
    );
    assert!(
        notice.contains("Final-Recipient: rfc822; team@mail.test\r\n"),
        "{notice}"
    );
    assert!(notice.contains("No plans, thanks."));
    assert!(notice.contains("Subject: Rejected: plans\r\n"));

    // Never a notice to the null sender.
    deliver(&core, "", "team@mail.test", MSG).await;
    assert_eq!(queue(&core).await.len(), 1);
}

#[tokio::test]
async fn a_copy_that_fails_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (core, filter, bob) = setup(&dir).await;
    core.storage()
        .store
        .account_set_quota(bob.id, Some(10))
        .await
        .unwrap();
    filter.set(
        "bob@mail.test",
        FilterDecision {
            stores: vec![into("INBOX", Flags::default())],
            outgoing: vec![redirect("x@remote.example")],
            ..FilterDecision::default()
        },
    );
    let out = deliver(&core, "alice@origin.example", "bob@mail.test", MSG).await;
    assert_eq!(out, Outcome::OverQuota { permanent: true });
    assert!(
        queue(&core).await.is_empty(),
        "outgoing mail only once the copies are durable"
    );
}

#[tokio::test]
async fn duplicate_records_are_made_only_for_a_delivered_message() {
    let dir = tempfile::tempdir().unwrap();
    let (core, filter, bob) = setup(&dir).await;
    let store = core.storage().store.clone();
    let record = |key: &str| DuplicateRecord {
        key: key.into(),
        until: i64::MAX,
    };
    filter.set(
        "bob@mail.test",
        FilterDecision {
            stores: vec![into("INBOX", Flags::default())],
            duplicates: vec![record("delivered")],
            ..FilterDecision::default()
        },
    );
    deliver(&core, "alice@origin.example", "bob@mail.test", MSG).await;
    assert!(store.sieve_duplicate_seen(bob.id, "delivered", 0).await.unwrap());

    store.account_set_quota(bob.id, Some(10)).await.unwrap();
    filter.set(
        "bob@mail.test",
        FilterDecision {
            stores: vec![into("INBOX", Flags::default())],
            duplicates: vec![record("failed")],
            ..FilterDecision::default()
        },
    );
    deliver(&core, "alice@origin.example", "bob@mail.test", MSG).await;
    assert!(
        !store.sieve_duplicate_seen(bob.id, "failed", 0).await.unwrap(),
        "the retry must not be taken for a duplicate"
    );
}

#[tokio::test]
async fn bounces_to_srs_addresses_are_queued_for_the_original_sender() {
    let dir = tempfile::tempdir().unwrap();
    let (core, _, _) = setup(&dir).await;
    let srs = Srs::new([3; 32], "fwd.mail.test", 21);
    let address = srs.forward("alice@origin.example");
    let forged = address.replace("=alice@", "=mallory@");
    let env = malt_core::queue::QueueEnvelope::default();
    for to in [&address, &forged] {
        core.enqueue(&env, &[(to.clone(), None, None)], b"Subject: bounce\r\n\r\nx\r\n")
            .await
            .unwrap();
    }
    let q = queue(&core).await;
    assert_eq!(q[0].1, ["alice@origin.example"]);
    assert_eq!(q[1].1, [forged], "an invalid one stays as it is");
}
