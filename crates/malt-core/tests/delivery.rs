//! The delivery pipeline's sender-authentication seam against a real SQLite store: one
//! `Authentication-Results` per copy, where RFC 8601 §5 wants it, forged ones removed, only for
//! envelopes that ask for verification. DNS here is a server that never answers (every check is
//! `temperror`, delivery goes on); results against served records are tested with a DNS server where one is available.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use malt_core::delivery::{Envelope, Outcome};
use malt_core::mail::{DeliveryOptions, MailCore, MailSettings};
use malt_core::sender_auth::SenderAuthenticator;

const MSG: &[u8] = b"Authentication-Results: mail.test; spf=pass smtp.mailfrom=ceo@example.org\r\n\
Authentication-Results: relay.example.net; dkim=pass header.d=example.org\r\n\
From: CEO <ceo@example.org>\r\nTo: bob@mail.test\r\nSubject: wire money\r\n\
Message-ID: <forged-1@example.org>\r\n\r\nNow.\r\n";

fn envelope(verify: bool) -> Envelope {
    Envelope {
        return_path: "ceo@example.org".into(),
        helo: "mx.example.org".into(),
        remote: IpAddr::from([192, 0, 2, 10]),
        hostname: "mail.test".into(),
        protocol: "ESMTP".into(),
        id: "T1".into(),
        received_at: 1_795_931_412,
        verify_sender: verify,
    }
}

async fn stored(core: &MailCore, outcome: &Outcome) -> String {
    let Outcome::Delivered(appended) = outcome else {
        panic!("{outcome:?}")
    };
    common::stored_message(core.storage(), &appended[0]).await
}

/// A core that verifies senders against a DNS server that never answers (kept alive by the
/// returned socket).
async fn verifying_core(dir: &tempfile::TempDir) -> (MailCore, tokio::net::UdpSocket) {
    let dns = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let verifier = SenderAuthenticator::new(&[dns.local_addr().unwrap()], Duration::from_secs(1)).unwrap();
    let core = MailCore::new(common::storage(dir).await, MailSettings::default()).with_delivery_options(
        DeliveryOptions {
            sender_auth: Some(Arc::new(verifier)),
            ..DeliveryOptions::default()
        },
    );
    common::account(core.storage(), "bob@mail.test", "pw").await;
    (core, dns)
}

/// The names of the header fields, in order.
fn field_names(message: &str) -> Vec<String> {
    let head = message.split("\r\n\r\n").next().unwrap();
    head.split("\r\n")
        .filter(|l| !l.starts_with([' ', '\t']))
        .map(|l| l.split(':').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn mx_copies_get_one_authentication_results_above_received() {
    let dir = tempfile::tempdir().unwrap();
    let (core, _dns) = verifying_core(&dir).await;
    common::account(core.storage(), "carol@mail.test", "pw").await;

    let rcpts = vec!["bob@mail.test".to_owned(), "carol@mail.test".to_owned()];
    let outcomes = core.deliver_message(&envelope(true), &rcpts, MSG).await;
    assert_eq!(outcomes.len(), 2);
    for (rcpt, outcome) in rcpts.iter().zip(&outcomes) {
        let m = stored(&core, outcome).await;
        assert_eq!(
            field_names(&m),
            [
                "Return-Path",
                "Delivered-To",
                "Authentication-Results",
                "Received",
                "Authentication-Results",
                "From",
                "To",
                "Subject",
                "Message-ID"
            ],
            "{m}"
        );
        assert!(m.contains(&format!("Delivered-To: {rcpt}\r\n")));
        // Ours is the only one claiming mail.test, and DNS that never answers is temperror.
        assert_eq!(m.matches("Authentication-Results: mail.test").count(), 1, "{m}");
        assert!(
            !m.contains("spf=pass smtp.mailfrom=ceo@example.org"),
            "forged results kept: {m}"
        );
        let ours = m.split("Authentication-Results: mail.test;").nth(1).unwrap();
        let ours = ours.split("\r\nReceived:").next().unwrap().replace("\r\n", "");
        assert!(ours.contains("spf=temperror"), "{ours}");
        assert!(ours.contains("dmarc=temperror"), "{ours}");
        // Another server's results are not ours to judge.
        assert!(m.contains("Authentication-Results: relay.example.net; dkim=pass"));
        assert!(m.ends_with("\r\n\r\nNow.\r\n"));
    }
    // One blob for both: the message as received, without the forged results; the verdict is in
    // each copy's prefix.
    let bob = inbox_messages(&core, "bob@mail.test").await;
    let carol = inbox_messages(&core, "carol@mail.test").await;
    assert_eq!(bob[0].0.blob_id, carol[0].0.blob_id);
    let blob = core.storage().blobs.get(&bob[0].0.blob_id).unwrap();
    assert!(!String::from_utf8_lossy(&blob).contains("mail.test; spf=pass"));
    let prefix = String::from_utf8(bob[0].0.prefix.clone().unwrap()).unwrap();
    assert!(prefix.contains("Authentication-Results: mail.test;"), "{prefix}");
}

#[tokio::test]
async fn envelopes_that_do_not_ask_are_not_verified() {
    let dir = tempfile::tempdir().unwrap();
    let (core, _dns) = verifying_core(&dir).await;
    let outcomes = core
        .deliver_message(&envelope(false), &["bob@mail.test".to_owned()], MSG)
        .await;
    let m = stored(&core, &outcomes[0]).await;
    // The message is stored as received under our trace headers: LMTP's front MTA owns the results.
    assert!(
        m.starts_with("Return-Path: <ceo@example.org>\r\nDelivered-To: bob@mail.test\r\nReceived: "),
        "{m}"
    );
    assert!(m.ends_with(std::str::from_utf8(MSG).unwrap()));

    // A core without a verifier delivers verifying envelopes unchanged too.
    let plain = MailCore::new(core.storage().clone(), MailSettings::default());
    let outcomes = plain
        .deliver_message(&envelope(true), &["bob@mail.test".to_owned()], MSG)
        .await;
    let m = stored(&plain, &outcomes[0]).await;
    assert!(!m.contains("spf=temperror"));
    assert!(m.ends_with(std::str::from_utf8(MSG).unwrap()));
}

// ---- Duplicate suppression -------------------------------------------------------------------

fn plain_envelope() -> Envelope {
    Envelope {
        protocol: "LMTP".into(),
        ..envelope(false)
    }
}

async fn dedup_core(dir: &tempfile::TempDir, window: u64) -> MailCore {
    MailCore::new(common::storage(dir).await, MailSettings::default()).with_delivery_options(
        DeliveryOptions {
            dedup_window_secs: window,
            ..DeliveryOptions::default()
        },
    )
}

async fn inbox(core: &MailCore, address: &str) -> malt_store::Mailbox {
    let acc = core
        .storage()
        .store
        .account_by_address(address)
        .await
        .unwrap()
        .unwrap();
    core.mailbox_required(acc.id, "INBOX").await.unwrap()
}

async fn inbox_count(core: &MailCore, address: &str) -> u32 {
    inbox(core, address).await.message_count
}

const DUP: &[u8] =
    b"From: a@example.org\r\nTo: bob@mail.test\r\nMessage-ID: <dup-1@example.org>\r\n\r\nx\r\n";

#[tokio::test]
async fn a_message_id_is_stored_once_per_account_within_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let core = dedup_core(&dir, 86_400).await;
    common::account(core.storage(), "bob@mail.test", "pw").await;
    common::account(core.storage(), "carol@mail.test", "pw").await;
    core.storage()
        .store
        .alias_add("robert@mail.test", "bob@mail.test")
        .await
        .unwrap();
    let env = plain_envelope();

    let first = core
        .deliver_message(&env, &["bob@mail.test".to_owned()], DUP)
        .await;
    assert!(
        matches!(&first[0], Outcome::Delivered(a) if a.len() == 1),
        "{first:?}"
    );
    // The same message again, and through an alias and a +tag in one transaction: acknowledged,
    // not stored. Another account gets its own copy.
    let again = core
        .deliver_message(
            &env,
            &[
                "bob@mail.test".to_owned(),
                "robert@mail.test".to_owned(),
                "bob+x@mail.test".to_owned(),
                "carol@mail.test".to_owned(),
            ],
            DUP,
        )
        .await;
    assert_eq!(again[0], Outcome::Delivered(vec![]));
    assert_eq!(again[1], Outcome::Delivered(vec![]));
    assert_eq!(again[2], Outcome::Delivered(vec![]));
    assert!(
        matches!(&again[3], Outcome::Delivered(a) if a.len() == 1),
        "{again:?}"
    );
    assert_eq!(inbox_count(&core, "bob@mail.test").await, 1);
    assert_eq!(inbox_count(&core, "carol@mail.test").await, 1);

    // After the window it is a new delivery.
    let later = Envelope {
        received_at: env.received_at + 86_401,
        ..plain_envelope()
    };
    let third = core
        .deliver_message(&later, &["bob@mail.test".to_owned()], DUP)
        .await;
    assert!(
        matches!(&third[0], Outcome::Delivered(a) if a.len() == 1),
        "{third:?}"
    );
    assert_eq!(inbox_count(&core, "bob@mail.test").await, 2);

    // A resent message (RFC 5322 §3.6.6) is a new delivery; messages without a Message-ID are
    // never duplicates.
    let resent = [b"Resent-Message-ID: <r1@example.org>\r\n".as_slice(), DUP].concat();
    let out = core
        .deliver_message(&later, &["bob@mail.test".to_owned()], &resent)
        .await;
    assert!(
        matches!(&out[0], Outcome::Delivered(a) if a.len() == 1),
        "{out:?}"
    );
    let no_id = b"From: a@example.org\r\n\r\nx\r\n";
    for _ in 0..2 {
        let out = core
            .deliver_message(&later, &["bob@mail.test".to_owned()], no_id)
            .await;
        assert!(
            matches!(&out[0], Outcome::Delivered(a) if a.len() == 1),
            "{out:?}"
        );
    }
    assert_eq!(inbox_count(&core, "bob@mail.test").await, 5);

    // The maintenance purge removes records past the window.
    let purged = malt_core::dedup::purge(&*core.storage().store, later.received_at + 86_401, 86_400)
        .await
        .unwrap();
    assert!(purged >= 3, "{purged}");
}

#[tokio::test]
async fn a_failed_delivery_does_not_make_the_retry_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let core = dedup_core(&dir, 86_400).await;
    let bob = common::account(core.storage(), "bob@mail.test", "pw").await;
    core.storage()
        .store
        .account_set_quota(bob.id, Some(10))
        .await
        .unwrap();
    let env = plain_envelope();
    let out = core
        .deliver_message(&env, &["bob@mail.test".to_owned()], DUP)
        .await;
    assert!(matches!(out[0], Outcome::OverQuota { .. }), "{out:?}");
    // The sender retries once the user made room.
    core.storage()
        .store
        .account_set_quota(bob.id, None)
        .await
        .unwrap();
    let out = core
        .deliver_message(&env, &["bob@mail.test".to_owned()], DUP)
        .await;
    assert!(
        matches!(&out[0], Outcome::Delivered(a) if a.len() == 1),
        "{out:?}"
    );
    assert_eq!(inbox_count(&core, "bob@mail.test").await, 1);
}

#[tokio::test]
async fn a_zero_window_stores_every_copy() {
    let dir = tempfile::tempdir().unwrap();
    let core = dedup_core(&dir, 0).await;
    common::account(core.storage(), "bob@mail.test", "pw").await;
    for _ in 0..2 {
        let out = core
            .deliver_message(&plain_envelope(), &["bob@mail.test".to_owned()], DUP)
            .await;
        assert!(
            matches!(&out[0], Outcome::Delivered(a) if a.len() == 1),
            "{out:?}"
        );
    }
    assert_eq!(inbox_count(&core, "bob@mail.test").await, 2);
}

// ---- One blob per delivery, the trace headers as each copy's prefix ---------------------------

const MULTI: &[u8] = b"From: a@example.org\r\nTo: team@mail.test\r\nSubject: plans\r\n\
Message-ID: <shared-1@example.org>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nThe plan.\r\n--b\r\nContent-Type: application/octet-stream\r\n\
Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n";

/// Every message of `address`'s INBOX with its octets as clients get them.
async fn inbox_messages(core: &MailCore, address: &str) -> Vec<(malt_store::Message, Vec<u8>)> {
    let inbox = inbox(core, address).await;
    let mut out = Vec::new();
    for m in core
        .storage()
        .store
        .messages(inbox.id, &malt_store::UidSet::all())
        .await
        .unwrap()
    {
        let raw = core.read_message(&m).await.unwrap();
        out.push((m, raw));
    }
    out
}

fn blob_count(core: &MailCore) -> usize {
    core.storage().blobs.list().unwrap().len()
}

#[tokio::test]
async fn recipients_of_one_delivery_share_one_blob_with_their_own_trace_headers() {
    let dir = tempfile::tempdir().unwrap();
    let core = dedup_core(&dir, 0).await;
    let rcpts: Vec<String> = ["bob", "carol", "dave"]
        .iter()
        .map(|u| format!("{u}@mail.test"))
        .collect();
    for r in &rcpts {
        common::account(core.storage(), r, "pw").await;
    }
    let before = blob_count(&core);
    let outcomes = core.deliver_message(&plain_envelope(), &rcpts, MULTI).await;
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Outcome::Delivered(a) if a.len() == 1)),
        "{outcomes:?}"
    );
    assert_eq!(blob_count(&core), before + 1, "one new blob for three recipients");

    let mut blobs = Vec::new();
    let mut content_ids = Vec::new();
    for r in &rcpts {
        let got = inbox_messages(&core, r).await;
        assert_eq!(got.len(), 1);
        let (m, whole) = &got[0];
        let prefix = m.prefix.as_deref().expect("a delivered copy has a prefix");
        let text = String::from_utf8(prefix.to_vec()).unwrap();
        assert!(text.starts_with("Return-Path: <ceo@example.org>\r\n"), "{text}");
        assert!(text.contains(&format!("Delivered-To: {r}\r\n")), "{text}");
        assert!(text.contains(&format!("\tfor <{r}>; ")), "{text}");
        assert_eq!(
            whole.as_slice(),
            [prefix, MULTI].concat().as_slice(),
            "read = prefix ++ blob"
        );
        assert_eq!(
            core.storage().blobs.get(&m.blob_id).unwrap(),
            MULTI,
            "the blob is the message as received"
        );
        assert_eq!(m.size, whole.len() as u64, "the size counts the prefix");
        assert_eq!(
            m.meta,
            malt_core::parse_message(whole),
            "metadata describes the whole"
        );
        let body_start = m.meta.body.body_start as usize;
        let attachment = &m.meta.body.parts[1];
        assert_eq!(
            &whole[attachment.body_start as usize..attachment.body_end as usize],
            b"AAEC"
        );
        let acc = core.storage().store.account_by_address(r).await.unwrap().unwrap();
        assert_eq!(acc.used_bytes, m.size, "quota counts prefix and blob");
        let headers = core
            .storage()
            .store
            .message_headers(m.mailbox_id, &malt_store::UidSet::all())
            .await
            .unwrap();
        assert_eq!(
            headers[0].header,
            whole[..body_start],
            "the kept header block is the whole header"
        );
        blobs.push(m.blob_id.clone());
        content_ids.push(m.content_id());
    }
    blobs.dedup();
    assert_eq!(blobs.len(), 1);
    content_ids.sort();
    content_ids.dedup();
    assert_eq!(content_ids.len(), 3, "each copy names its own content");

    // A delivery that reaches nobody writes no blob.
    let out = core
        .deliver_message(
            &plain_envelope(),
            &["nobody@mail.test".to_owned()],
            b"Subject: lost\r\n\r\nx\r\n",
        )
        .await;
    assert_eq!(out, [Outcome::NoSuchUser]);
    assert_eq!(blob_count(&core), before + 1);
}

#[tokio::test]
async fn two_copies_in_one_account_share_the_blob_but_not_the_content() {
    let dir = tempfile::tempdir().unwrap();
    let core = dedup_core(&dir, 0).await;
    common::account(core.storage(), "bob@mail.test", "pw").await;
    core.storage()
        .store
        .alias_add("robert@mail.test", "bob@mail.test")
        .await
        .unwrap();
    let out = core
        .deliver_message(
            &plain_envelope(),
            &["bob@mail.test".to_owned(), "robert@mail.test".to_owned()],
            MULTI,
        )
        .await;
    assert!(
        out.iter()
            .all(|o| matches!(o, Outcome::Delivered(a) if a.len() == 1)),
        "{out:?}"
    );
    let got = inbox_messages(&core, "bob@mail.test").await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0.blob_id, got[1].0.blob_id);
    assert!(String::from_utf8_lossy(&got[0].1).contains("Delivered-To: bob@mail.test\r\n"));
    assert!(String::from_utf8_lossy(&got[1].1).contains("Delivered-To: robert@mail.test\r\n"));
    assert_ne!(got[0].0.content_id(), got[1].0.content_id());
}

#[tokio::test]
async fn size_limit_and_quota_count_the_trace_headers() {
    let dir = tempfile::tempdir().unwrap();
    let storage = common::storage(&dir).await;
    let bob = common::account(&storage, "bob@mail.test", "pw").await;
    // The message alone fits the limit; with its trace headers it does not.
    let core = MailCore::new(
        storage.clone(),
        MailSettings {
            max_message_size: MULTI.len() as u64 + 10,
        },
    );
    let out = core
        .deliver_message(&plain_envelope(), &["bob@mail.test".to_owned()], MULTI)
        .await;
    assert_eq!(out, [Outcome::TooBig]);
    // A quota the blob alone would fit, exactly: the copy (prefix + blob) is over it.
    let core = MailCore::new(storage.clone(), MailSettings::default());
    storage
        .store
        .account_set_quota(bob.id, Some(MULTI.len() as u64))
        .await
        .unwrap();
    let out = core
        .deliver_message(&plain_envelope(), &["bob@mail.test".to_owned()], MULTI)
        .await;
    assert_eq!(out, [Outcome::OverQuota { permanent: true }]);
    assert_eq!(inbox_count(&core, "bob@mail.test").await, 0);
}

/// A filter in the style of a user's Sieve script: `[list]` subjects to Archive flagged, into a
/// mailbox that does not exist (INBOX then), spam discarded, the rest kept. It records what it saw.
#[derive(Debug, Default)]
struct SubjectFilter {
    seen: std::sync::Mutex<Vec<(String, String, Option<String>)>>,
}

impl malt_core::filter::DeliveryFilter for SubjectFilter {
    fn decide<'a>(
        &'a self,
        input: malt_core::filter::FilterInput<'a>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = malt_core::filter::FilterDecision> + Send + 'a>>
    {
        use malt_core::filter::{FilterDecision as D, StoreInto};
        Box::pin(async move {
            let text = String::from_utf8_lossy(input.message).to_string();
            self.seen.lock().unwrap().push((
                input.account.address.clone(),
                input.recipient.to_owned(),
                input.tag.map(str::to_owned),
            ));
            let flagged = malt_store::Flags::new(malt_store::flag::FLAGGED, []);
            let into = |mailbox: &str| StoreInto {
                mailbox: mailbox.into(),
                flags: flagged.clone(),
                create: false,
                special_use: None,
            };
            if text.contains("Subject: [list]") {
                D {
                    stores: vec![into("Archive"), into("Archive"), into("No Such Box")],
                    ..D::default()
                }
            } else if text.contains("Subject: spam") {
                D::discard()
            } else {
                D::keep()
            }
        })
    }
}

#[tokio::test]
async fn a_filter_files_discards_or_keeps_each_accounts_copy() {
    let dir = tempfile::tempdir().unwrap();
    let filter = Arc::new(SubjectFilter::default());
    let core = MailCore::new(common::storage(&dir).await, MailSettings::default()).with_delivery_options(
        DeliveryOptions {
            filter: Some(filter.clone()),
            ..DeliveryOptions::default()
        },
    );
    let bob = common::account(core.storage(), "bob@mail.test", "pw").await;
    let env = plain_envelope();
    let to = |a: &str| vec![a.to_owned()];
    let list = b"From: l@example.org\r\nSubject: [list] news\r\n\r\nx\r\n";
    let spam = b"From: s@example.org\r\nSubject: spam\r\n\r\nx\r\n";
    let plain = b"From: p@example.org\r\nSubject: hello\r\n\r\nx\r\n";
    for (msg, rcpt) in [
        (&list[..], "bob+lists@mail.test"),
        (spam, "bob@mail.test"),
        (plain, "bob@mail.test"),
    ] {
        let out = core.deliver_message(&env, &to(rcpt), msg).await;
        assert!(matches!(out[0], Outcome::Delivered(_)), "{out:?}");
    }
    let store = &core.storage().store;
    let archive = core.mailbox_required(bob.id, "Archive").await.unwrap();
    let filed = store
        .messages(archive.id, &malt_store::UidSet::all())
        .await
        .unwrap();
    assert_eq!(filed.len(), 1, "named twice, filed once");
    assert!(filed[0].flags.has(malt_store::flag::FLAGGED));
    let inbox = store
        .messages(inbox(&core, "bob@mail.test").await.id, &malt_store::UidSet::all())
        .await
        .unwrap();
    assert_eq!(
        inbox.len(),
        2,
        "the missing mailbox fell back to INBOX, plus the kept one; spam discarded"
    );
    assert_eq!(inbox[0].blob_id, filed[0].blob_id, "one blob for both copies");
    assert!(inbox[0].flags.has(malt_store::flag::FLAGGED));
    let kept = String::from_utf8(core.read_message(&inbox[1]).await.unwrap()).unwrap();
    assert!(
        kept.contains("Subject: hello") && kept.contains("Delivered-To: bob@mail.test"),
        "{kept}"
    );
    let seen = filter.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen[0],
        (
            "bob@mail.test".to_owned(),
            "bob+lists@mail.test".to_owned(),
            Some("lists".to_owned())
        )
    );
}
