//! Conformance: RFC 5464 metadata — server and mailbox entries, NIL deletes, case-insensitive
//! names, limits (nothing changes when refused), journal, rename keeps and delete removes entries.

use super::*;

const LIMITS: MetadataLimits = MetadataLimits {
    max_entries: 3,
    max_account_bytes: 200,
};

fn set(name: &str, value: &[u8]) -> (String, Option<Vec<u8>>) {
    (name.to_owned(), Some(value.to_vec()))
}

fn del(name: &str) -> (String, Option<Vec<u8>>) {
    (name.to_owned(), None)
}

async fn names(store: &dyn Store, account: AccountId, mailbox: Option<MailboxId>) -> Vec<(String, Vec<u8>)> {
    store
        .metadata_get(account, mailbox)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            assert_eq!(e.mailbox_id, mailbox);
            (e.name, e.value)
        })
        .collect()
}

pub(super) async fn metadata(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "metadata.test", "a").await;
    let b = account(s, "metadata.test", "b").await;
    let inbox = mailbox(s, a.id, "INBOX").await;
    assert!(names(s, a.id, None).await.is_empty());
    assert_eq!(s.metadata_usage(a.id).await.unwrap(), MetadataUsage::default());

    // Server entries and mailbox entries are separate; names are stored lower-case; values are
    // octets (NUL included).
    let m0 = modseq_of(s, a.id).await;
    let out = s
        .metadata_set(
            a.id,
            None,
            &[set("/private/Vendor/X", b"one"), set("/shared/comment", b"srv")],
            LIMITS,
        )
        .await
        .unwrap();
    assert_eq!(out, MetadataSetOutcome::Stored);
    assert!(
        modseq_of(s, a.id).await > m0,
        "metadata_set increments the modseq"
    );
    s.metadata_set(
        a.id,
        Some(inbox.id),
        &[set("/shared/comment", b"in\0box")],
        LIMITS,
    )
    .await
    .unwrap();
    assert_eq!(
        names(s, a.id, None).await,
        vec![
            ("/private/vendor/x".to_owned(), b"one".to_vec()),
            ("/shared/comment".to_owned(), b"srv".to_vec())
        ],
        "server entries, lower-case names, ordered by name"
    );
    assert_eq!(
        names(s, a.id, Some(inbox.id)).await,
        vec![("/shared/comment".to_owned(), b"in\0box".to_vec())]
    );
    assert!(names(s, b.id, None).await.is_empty(), "other account untouched");
    let usage = s.metadata_usage(a.id).await.unwrap();
    assert_eq!(usage.entries, 3);
    assert_eq!(
        usage.bytes,
        MetadataEntry::size("/private/vendor/x", b"one")
            + MetadataEntry::size("/shared/comment", b"srv")
            + MetadataEntry::size("/shared/comment", b"in\0box")
    );

    // Replace (case-insensitively) and delete (NIL, also of an absent entry) in one call.
    s.metadata_set(
        a.id,
        None,
        &[
            set("/PRIVATE/vendor/x", b"two"),
            del("/shared/COMMENT"),
            del("/shared/absent"),
        ],
        LIMITS,
    )
    .await
    .unwrap();
    assert_eq!(
        names(s, a.id, None).await,
        vec![("/private/vendor/x".to_owned(), b"two".to_vec())]
    );
    // A name given twice: the last value wins.
    s.metadata_set(
        a.id,
        None,
        &[set("/private/twice", b"1"), del("/private/Twice")],
        LIMITS,
    )
    .await
    .unwrap();
    assert_eq!(
        names(s, a.id, None).await.len(),
        1,
        "set then removed in one call"
    );

    // Too many entries for the target: refused as a whole, modseq not consumed.
    let before = modseq_of(s, a.id).await;
    let out = s
        .metadata_set(
            a.id,
            None,
            &[
                set("/private/1", b"x"),
                set("/private/2", b"x"),
                set("/private/3", b"x"),
            ],
            LIMITS,
        )
        .await
        .unwrap();
    assert_eq!(out, MetadataSetOutcome::TooManyEntries);
    assert_eq!(
        names(s, a.id, None).await.len(),
        1,
        "nothing written when refused"
    );
    assert_eq!(
        modseq_of(s, a.id).await,
        before,
        "a refused change takes no modseq"
    );
    // The count is per target: the mailbox still has room.
    s.metadata_set(
        a.id,
        Some(inbox.id),
        &[set("/private/1", b"x"), set("/private/2", b"x")],
        LIMITS,
    )
    .await
    .unwrap();
    // Too many account bytes.
    let out = s
        .metadata_set(a.id, None, &[set("/private/big", &[b'v'; 200])], LIMITS)
        .await
        .unwrap();
    assert_eq!(out, MetadataSetOutcome::TooLarge);
    assert_eq!(names(s, a.id, None).await.len(), 1);
    // Deleting is always allowed, even over a lowered limit.
    let tight = MetadataLimits {
        max_entries: 0,
        max_account_bytes: 0,
    };
    let out = s
        .metadata_set(a.id, Some(inbox.id), &[del("/private/1")], tight)
        .await
        .unwrap();
    assert_eq!(out, MetadataSetOutcome::Stored);

    // Another account's mailbox is not reachable.
    let b_inbox = mailbox(s, b.id, "INBOX").await;
    assert!(
        is_not_found(
            &s.metadata_set(a.id, Some(b_inbox.id), &[set("/private/x", b"x")], LIMITS)
                .await
        ),
        "another account's mailbox is NotFound"
    );
    assert!(names(s, b.id, Some(b_inbox.id)).await.is_empty());
    assert!(names(s, a.id, Some(b_inbox.id)).await.is_empty());

    // Journal: one Metadata entry per change, with the mailbox.
    let entries = s.journal_after(0, 100_000).await.unwrap();
    let mine: Vec<&JournalEntry> = entries
        .iter()
        .filter(|e| e.account_id == a.id && e.kind == ChangeKind::Metadata)
        .collect();
    assert!(mine.iter().any(|e| e.mailbox_id.is_none()), "{mine:?}");
    assert!(mine.iter().any(|e| e.mailbox_id == Some(inbox.id)), "{mine:?}");

    // Rename keeps a mailbox's entries; delete removes them.
    let p = s.mailbox_create(a.id, "Notes", None).await.unwrap();
    s.metadata_set(a.id, Some(p.id), &[set("/shared/comment", b"c")], LIMITS)
        .await
        .unwrap();
    s.mailbox_rename(a.id, p.id, "Notes2").await.unwrap();
    assert_eq!(names(s, a.id, Some(p.id)).await.len(), 1, "rename keeps entries");
    let before = s.metadata_usage(a.id).await.unwrap();
    s.mailbox_delete(a.id, p.id).await.unwrap();
    assert!(names(s, a.id, Some(p.id)).await.is_empty());
    let after = s.metadata_usage(a.id).await.unwrap();
    assert_eq!(
        after.entries,
        before.entries - 1,
        "delete removes the mailbox's entries"
    );
    let q = s.mailbox_create(a.id, "Notes2", None).await.unwrap();
    assert!(
        names(s, a.id, Some(q.id)).await.is_empty(),
        "a recreated mailbox starts empty"
    );

    // Deleting the account removes everything.
    s.account_delete(b.id).await.unwrap();
    s.account_delete(a.id).await.unwrap();
    assert_eq!(s.metadata_usage(a.id).await.unwrap(), MetadataUsage::default());
}
