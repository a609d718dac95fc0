//! The mail core against a real SQLite store.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use malt_core::delivery::{Envelope, Outcome};
use malt_core::mail::{AppendItem, MailCore, MailSettings};
use malt_store::{Flags, StoreError, UidSet, flag};

const MSG: &[u8] = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n";

/// The envelope `malt deliver` gives.
fn local_envelope() -> Envelope {
    Envelope {
        return_path: "a@example.org".into(),
        helo: "localhost".into(),
        remote: std::net::IpAddr::from([127, 0, 0, 1]),
        hostname: "mail.example.org".into(),
        protocol: "LOCAL".into(),
        id: "L1".into(),
        received_at: 1_795_931_412,
        verify_sender: false,
    }
}

async fn core(dir: &tempfile::TempDir, max: u64) -> MailCore {
    MailCore::new(
        common::storage(dir).await,
        MailSettings {
            max_message_size: max,
        },
    )
}

#[tokio::test]
async fn create_rename_delete_rules() {
    let dir = tempfile::tempdir().unwrap();
    let mc = core(&dir, 1 << 20).await;
    let acc = common::account(mc.storage(), "u@example.org", "pw").await.id;

    // Parent creation (RFC 9051 §6.3.4).
    mc.create_mailbox(acc, "a/b/c", None).await.unwrap();
    for n in ["a", "a/b", "a/b/c"] {
        assert!(mc.mailbox(acc, n).await.unwrap().is_some(), "{n}");
    }
    assert!(matches!(
        mc.create_mailbox(acc, "a/b", None).await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert!(matches!(
        mc.create_mailbox(acc, "inbox", None).await,
        Err(StoreError::AlreadyExists(_))
    ));
    for bad in ["", "x//y", "/x", "x/", "x\ty", "x*"] {
        assert!(
            matches!(
                mc.create_mailbox(acc, bad, None).await,
                Err(StoreError::Invalid { .. })
            ),
            "{bad:?}"
        );
    }
    mc.create_mailbox(acc, "Inbox/Child", None).await.unwrap();
    assert!(mc.mailbox(acc, "INBOX/Child").await.unwrap().is_some());

    // Delete rules.
    assert!(matches!(
        mc.delete_mailbox(acc, "inbox").await,
        Err(StoreError::Conflict(_))
    ));
    match mc.delete_mailbox(acc, "a").await {
        Err(StoreError::Conflict(m)) => assert_eq!(m, "Mailbox has children, delete them first"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        mc.delete_mailbox(acc, "nope").await,
        Err(StoreError::NotFound(_))
    ));
    mc.delete_mailbox(acc, "a/b/c").await.unwrap();
    assert!(mc.mailbox(acc, "a/b/c").await.unwrap().is_none());

    // Rename with children and missing parents of the new name.
    mc.rename_mailbox(acc, "a", "x/y").await.unwrap();
    assert!(mc.mailbox(acc, "x").await.unwrap().is_some());
    assert!(mc.mailbox(acc, "x/y/b").await.unwrap().is_some());
    assert!(mc.mailbox(acc, "a").await.unwrap().is_none());
    assert!(matches!(
        mc.rename_mailbox(acc, "x", "INBOX").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        mc.rename_mailbox(acc, "x", "x/z").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        mc.rename_mailbox(acc, "x", "Sent").await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert!(matches!(
        mc.rename_mailbox(acc, "nope", "z").await,
        Err(StoreError::NotFound(_))
    ));

    // Renaming INBOX moves its messages and leaves it empty (RFC 9051 §6.3.6).
    let inbox = mc.mailbox_required(acc, "INBOX").await.unwrap();
    for _ in 0..2 {
        mc.append(acc, inbox.id, MSG, Flags::new(flag::SEEN, []), None)
            .await
            .unwrap();
    }
    let old = mc.rename_mailbox(acc, "INBOX", "Old/Inbox").await.unwrap();
    assert_eq!(old.name, "Old/Inbox");
    assert_eq!(old.message_count, 2);
    let inbox_after = mc.mailbox_required(acc, "INBOX").await.unwrap();
    assert_eq!(inbox_after.id, inbox.id);
    assert_eq!(inbox_after.message_count, 0);
    assert!(mc.mailbox(acc, "INBOX/Child").await.unwrap().is_some());
}

#[tokio::test]
async fn append_read_back_and_limits() {
    let dir = tempfile::tempdir().unwrap();
    let mc = core(&dir, 60 * 1024 * 1024).await;
    let acc = common::account(mc.storage(), "u@example.org", "pw").await.id;
    let inbox = mc.mailbox_required(acc, "INBOX").await.unwrap();

    // Corrupt input is stored as it came and reads back byte-identical.
    let mut garbage: Vec<u8> = (0..10_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 7) as u8)
        .collect();
    garbage.extend_from_slice(b"\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--\r\n");
    let a = mc
        .append(acc, inbox.id, &garbage, Flags::default(), Some(1_700_000_000))
        .await
        .unwrap();
    let msgs = mc
        .storage()
        .store
        .messages(inbox.id, &UidSet::from_uids([a.uid]))
        .await
        .unwrap();
    assert_eq!(msgs[0].internal_date, 1_700_000_000);
    assert_eq!(msgs[0].size, garbage.len() as u64);
    assert_eq!(mc.read_message(&msgs[0]).await.unwrap(), garbage);

    // 50 MB.
    let mut big = b"Subject: big\r\nContent-Type: text/plain\r\n\r\n".to_vec();
    while big.len() < 50 * 1024 * 1024 {
        big.extend_from_slice(b"The quick brown fox jumps over the lazy dog, again and again and again.\r\n");
    }
    let a = mc
        .append(acc, inbox.id, &big, Flags::default(), None)
        .await
        .unwrap();
    let msgs = mc
        .storage()
        .store
        .messages(inbox.id, &UidSet::from_uids([a.uid]))
        .await
        .unwrap();
    assert_eq!(msgs[0].meta.sort.subject, "big");
    assert_eq!(msgs[0].meta.body.body_end, big.len() as u64);
    assert!(mc.read_message(&msgs[0]).await.unwrap() == big);

    // append_many: one transaction, consecutive UIDs, one modseq.
    let items: Vec<AppendItem> = (0..3)
        .map(|i| AppendItem {
            mailbox_id: inbox.id,
            raw: format!("Subject: m{i}\r\n\r\nbody {i}\r\n").into_bytes(),
            flags: Flags::default(),
            internal_date: None,
        })
        .collect();
    let out = mc.append_many(acc, items).await.unwrap();
    assert_eq!(out.len(), 3);
    assert_eq!(out[1].uid, out[0].uid + 1);
    assert_eq!(out[2].uid, out[0].uid + 2);
    assert!(out.iter().all(|a| a.modseq == out[0].modseq));

    // Over the size limit: refused before anything is written.
    let dir2 = tempfile::tempdir().unwrap();
    let small = core(&dir2, 100).await;
    let acc2 = common::account(small.storage(), "v@example.org", "pw").await.id;
    let inbox2 = small.mailbox_required(acc2, "INBOX").await.unwrap();
    let r = small
        .append(acc2, inbox2.id, &[b'x'; 101], Flags::default(), None)
        .await;
    assert!(
        matches!(r, Err(StoreError::Invalid { what: "message", .. })),
        "{r:?}"
    );
    assert!(small.storage().blobs.list().unwrap().is_empty());
    assert_eq!(
        small.mailbox_required(acc2, "INBOX").await.unwrap().message_count,
        0
    );
}

#[tokio::test]
async fn deliver_dedups_blob_and_picks_mailbox() {
    let dir = tempfile::tempdir().unwrap();
    let mc = core(&dir, 1 << 20).await;
    let a = common::account(mc.storage(), "a@example.org", "pw").await.id;
    let b = common::account(mc.storage(), "b@example.org", "pw").await.id;
    let st = &mc.storage().store;
    st.group_add("both@example.org", "Both").await.unwrap();
    st.group_member_add("both@example.org", "a@example.org")
        .await
        .unwrap();
    st.group_member_add("both@example.org", "b@example.org")
        .await
        .unwrap();

    let env = local_envelope();
    let Outcome::Delivered(out) = mc.deliver(&env, "both@example.org", MSG, None).await else {
        panic!("not delivered")
    };
    assert_eq!(out.len(), 2);
    assert_eq!(
        mc.storage().blobs.list().unwrap().len(),
        1,
        "one blob for both accounts"
    );
    let ia = mc.mailbox_required(a, "INBOX").await.unwrap();
    let ib = mc.mailbox_required(b, "INBOX").await.unwrap();
    let ma = st.messages(ia.id, &UidSet::all()).await.unwrap();
    let mb = st.messages(ib.id, &UidSet::all()).await.unwrap();
    assert_eq!(ma.len(), 1);
    assert_eq!(ma[0].blob_id, mb[0].blob_id);
    assert_eq!(ma[0].meta.sort.subject, "hi");

    // Named mailbox, and fall back to INBOX when it does not exist.
    mc.deliver(&env, "a+tag@example.org", MSG, Some("Junk")).await;
    assert_eq!(mc.mailbox_required(a, "Junk").await.unwrap().message_count, 1);
    mc.deliver(&env, "a@example.org", MSG, Some("No/Such")).await;
    assert_eq!(mc.mailbox_required(a, "INBOX").await.unwrap().message_count, 2);
    // Stored as given: no trace headers.
    assert_eq!(ma[0].prefix, None);

    assert_eq!(
        mc.deliver(&env, "nobody@example.org", MSG, None).await,
        Outcome::NoSuchUser
    );
    let small = core(&dir, 10).await;
    assert_eq!(
        small.deliver(&env, "a@example.org", MSG, None).await,
        Outcome::TooBig
    );

    // Thin wrappers.
    let junk = mc.mailbox_required(a, "Junk").await.unwrap();
    let moved = mc.move_messages(a, ia.id, &UidSet::all(), junk.id).await.unwrap();
    assert_eq!(moved.mapping.len(), 2);
    let upd = mc
        .store_flags(
            a,
            junk.id,
            &UidSet::all(),
            malt_store::FlagOp::Add,
            &Flags::new(flag::DELETED, []),
            None,
        )
        .await
        .unwrap();
    assert_eq!(upd.changed.len(), 3);
    assert_eq!(mc.expunge(a, junk.id, None).await.unwrap().len(), 3);
}
