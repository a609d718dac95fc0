//! Conformance: sharing of calendars and address books — grants to accounts and groups, access
//! levels, the checks, each sharee's answer, the collections shared with an account, the
//! journal of owner and sharees, and what collection and account deletion do to shares; the
//! owner's note with a share and what the notifications read and dismiss.

use super::*;
use crate::dav_share::*;

fn collection_of_kind(kind: DavCollectionKind, name: &str) -> NewDavCollection {
    NewDavCollection {
        kind,
        name: name.to_owned(),
        props: DavCollectionProps {
            components: if kind == DavCollectionKind::Calendar {
                vec![DavComponent::Event]
            } else {
                vec![]
            },
            ..DavCollectionProps::default()
        },
    }
}

/// The `DavShareChanged` entries after `head`, as (account, collection), in journal order.
async fn share_entries(s: &dyn Store, head: i64) -> Vec<(AccountId, Option<DavCollectionId>)> {
    s.journal_after(head, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == ChangeKind::DavShareChanged)
        .map(|e| (e.account_id, e.collection_id))
        .collect()
}

pub(super) async fn shares(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "davshare.test", "alice").await;
    let b = account(s, "davshare.test", "bob").await;
    let c = account(s, "davshare.test", "carol").await;
    s.group_add("team@davshare.test", "Team").await.unwrap();
    s.group_member_add("team@davshare.test", &b.address)
        .await
        .unwrap();
    let cal = s
        .dav_collection_create(a.id, collection_of_kind(DavCollectionKind::Calendar, "cal"))
        .await
        .unwrap();
    let book = s
        .dav_collection_create(a.id, collection_of_kind(DavCollectionKind::AddressBook, "book"))
        .await
        .unwrap();
    let ids = |acc: &Account, groups: &[&str]| -> Vec<String> {
        let mut v = vec![acc.address.clone()];
        v.extend(groups.iter().map(|g| (*g).to_owned()));
        v
    };
    let bob = ids(&b, &["team@davshare.test"]);
    let carol = ids(&c, &[]);

    // Before any share: the owner may do everything, the others nothing.
    assert_eq!(
        s.dav_access(a.id, &ids(&a, &[]), cal.id).await.unwrap(),
        Some(DavAccess::Owner)
    );
    assert_eq!(s.dav_access(b.id, &bob, cal.id).await.unwrap(), None);
    assert_eq!(s.dav_access(b.id, &bob, 999_999_999).await.unwrap(), None);
    assert!(s.dav_shared_with(b.id, &bob).await.unwrap().is_empty());

    // A share with Bob: journaled for Alice (the collection's token moves) and for Bob.
    let head = s.journal_head().await.unwrap();
    let (a0, b0, c0) = (
        modseq_of(s, a.id).await,
        modseq_of(s, b.id).await,
        modseq_of(s, c.id).await,
    );
    let share = s
        .dav_share_set(
            a.id,
            cal.id,
            " Bob@DavShare.TEST ",
            DavAccess::Read,
            &DavShareNote::default(),
            &[b.id, a.id, b.id],
        )
        .await
        .unwrap();
    assert_eq!(share.sharee, "bob@davshare.test", "sharees are stored lower-case");
    assert_eq!((share.collection_id, share.access), (cal.id, DavAccess::Read));
    assert!(share.modseq > a0);
    assert_eq!(modseq_of(s, a.id).await, share.modseq);
    assert_eq!(
        collection_token(s, cal.id).await,
        share.modseq,
        "sharing is the collection's"
    );
    assert_eq!(modseq_of(s, b.id).await, b0 + 1, "Bob once, the owner skipped");
    assert_eq!(modseq_of(s, c.id).await, c0);
    let entries = share_entries(s, head).await;
    assert_eq!(entries.len(), 2);
    assert!(entries.contains(&(a.id, Some(cal.id))) && entries.contains(&(b.id, Some(cal.id))));

    // Setting the access it has changes nothing.
    let again = s
        .dav_share_set(
            a.id,
            cal.id,
            "bob@davshare.test",
            DavAccess::Read,
            &DavShareNote::default(),
            &[b.id],
        )
        .await
        .unwrap();
    assert_eq!(again, share);
    assert_eq!(modseq_of(s, a.id).await, share.modseq);
    assert_eq!(modseq_of(s, b.id).await, b0 + 1);

    // Refusals.
    let refused = [
        s.dav_share_set(
            a.id,
            cal.id,
            "alice@davshare.test",
            DavAccess::Read,
            &DavShareNote::default(),
            &[],
        )
        .await,
        s.dav_share_set(a.id, cal.id, "", DavAccess::Read, &DavShareNote::default(), &[])
            .await,
        s.dav_share_set(
            a.id,
            cal.id,
            "bob@davshare.test",
            DavAccess::Owner,
            &DavShareNote::default(),
            &[],
        )
        .await,
        s.dav_share_set(
            a.id,
            book.id,
            "bob@davshare.test",
            DavAccess::FreeBusy,
            &DavShareNote::default(),
            &[],
        )
        .await,
    ];
    for r in &refused {
        assert!(is_invalid(r), "{r:?}");
    }
    assert!(is_not_found(
        &s.dav_share_set(
            b.id,
            cal.id,
            "carol@davshare.test",
            DavAccess::Read,
            &DavShareNote::default(),
            &[]
        )
        .await
    ));

    // A group share: its members get the highest access of their shares.
    s.dav_share_set(
        a.id,
        cal.id,
        "team@davshare.test",
        DavAccess::ReadWrite,
        &DavShareNote::default(),
        &[b.id],
    )
    .await
    .unwrap();
    s.dav_share_set(
        a.id,
        cal.id,
        "carol@davshare.test",
        DavAccess::FreeBusy,
        &DavShareNote::default(),
        &[c.id],
    )
    .await
    .unwrap();
    s.dav_share_set(
        a.id,
        book.id,
        "team@davshare.test",
        DavAccess::Read,
        &DavShareNote::default(),
        &[b.id],
    )
    .await
    .unwrap();
    assert_eq!(
        s.dav_access(b.id, &bob, cal.id).await.unwrap(),
        Some(DavAccess::ReadWrite)
    );
    assert_eq!(
        s.dav_access(b.id, &ids(&b, &[]), cal.id).await.unwrap(),
        Some(DavAccess::Read),
        "without the group, the direct share"
    );
    assert_eq!(
        s.dav_access(c.id, &carol, cal.id).await.unwrap(),
        Some(DavAccess::FreeBusy)
    );
    assert_eq!(s.dav_access(c.id, &carol, book.id).await.unwrap(), None);
    let sharees: Vec<(String, DavAccess)> = s
        .dav_share_list(cal.id)
        .await
        .unwrap()
        .into_iter()
        .map(|sh| (sh.sharee, sh.access))
        .collect();
    assert_eq!(
        sharees,
        vec![
            ("bob@davshare.test".into(), DavAccess::Read),
            ("carol@davshare.test".into(), DavAccess::FreeBusy),
            ("team@davshare.test".into(), DavAccess::ReadWrite),
        ]
    );

    // What Bob's home shows: both collections, once each, not yet answered.
    let mine = s
        .dav_collection_create(b.id, collection_of_kind(DavCollectionKind::Calendar, "bobs"))
        .await
        .unwrap();
    s.dav_share_set(
        b.id,
        mine.id,
        "team@davshare.test",
        DavAccess::Read,
        &DavShareNote::default(),
        &[b.id],
    )
    .await
    .unwrap();
    let shared = s.dav_shared_with(b.id, &bob).await.unwrap();
    let seen: Vec<(&str, &str, DavAccess, DavShareStatus)> = shared
        .iter()
        .map(|sc| {
            (
                sc.owner.as_str(),
                sc.collection.name.as_str(),
                sc.access,
                sc.status,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "alice@davshare.test",
                "book",
                DavAccess::Read,
                DavShareStatus::Invited
            ),
            (
                "alice@davshare.test",
                "cal",
                DavAccess::ReadWrite,
                DavShareStatus::Invited
            ),
        ],
        "his own collection is not shared with him"
    );
    assert!(shared.iter().all(|sc| sc.display_name.is_none()));

    // Bob answers: journaled for him and for Alice; his home shows it.
    let head = s.journal_head().await.unwrap();
    let a1 = modseq_of(s, a.id).await;
    let m = s
        .dav_share_answer(b.id, &bob, cal.id, DavShareStatus::Accepted, Some("Alice's"))
        .await
        .unwrap();
    assert_eq!(modseq_of(s, b.id).await, m);
    assert!(modseq_of(s, a.id).await > a1);
    let entries = share_entries(s, head).await;
    assert!(entries.contains(&(a.id, Some(cal.id))) && entries.contains(&(b.id, Some(cal.id))));
    let shared = s.dav_shared_with(b.id, &bob).await.unwrap();
    let cal_seen = shared.iter().find(|sc| sc.collection.id == cal.id).unwrap();
    assert_eq!(
        (cal_seen.status, cal_seen.display_name.as_deref()),
        (DavShareStatus::Accepted, Some("Alice's"))
    );
    // Declining keeps the access (answers grant nothing).
    s.dav_share_answer(b.id, &bob, cal.id, DavShareStatus::Declined, None)
        .await
        .unwrap();
    assert_eq!(
        s.dav_access(b.id, &bob, cal.id).await.unwrap(),
        Some(DavAccess::ReadWrite)
    );
    assert!(is_not_found(
        &s.dav_share_answer(c.id, &carol, book.id, DavShareStatus::Accepted, None)
            .await
    ));
    assert!(is_not_found(
        &s.dav_share_answer(a.id, &ids(&a, &[]), cal.id, DavShareStatus::Accepted, None)
            .await
    ));
    assert!(is_invalid(
        &s.dav_share_answer(
            b.id,
            &bob,
            cal.id,
            DavShareStatus::Accepted,
            Some(&"x".repeat(DAV_PROPERTY_MAX + 1))
        )
        .await
    ));

    // Removing the group share: Bob's answer goes (invited again), the direct share stays.
    let head = s.journal_head().await.unwrap();
    let removed = s
        .dav_share_remove(a.id, cal.id, "Team@davshare.test", &[b.id])
        .await
        .unwrap();
    assert_eq!(modseq_of(s, a.id).await, removed);
    assert_eq!(collection_token(s, cal.id).await, removed);
    assert!(share_entries(s, head).await.contains(&(b.id, Some(cal.id))));
    assert_eq!(
        s.dav_access(b.id, &bob, cal.id).await.unwrap(),
        Some(DavAccess::Read)
    );
    let cal_seen = s
        .dav_shared_with(b.id, &bob)
        .await
        .unwrap()
        .into_iter()
        .find(|sc| sc.collection.id == cal.id)
        .unwrap();
    assert_eq!(
        (cal_seen.status, cal_seen.display_name),
        (DavShareStatus::Invited, None)
    );
    assert!(is_not_found(
        &s.dav_share_remove(a.id, cal.id, "team@davshare.test", &[b.id])
            .await
    ));

    // Deleting a collection takes its shares; Bob (a direct sharee) and Carol are journaled.
    let head = s.journal_head().await.unwrap();
    let (b2, c2) = (modseq_of(s, b.id).await, modseq_of(s, c.id).await);
    s.dav_collection_delete(a.id, cal.id).await.unwrap();
    assert!(s.dav_share_list(cal.id).await.unwrap().is_empty());
    assert!(modseq_of(s, b.id).await > b2 && modseq_of(s, c.id).await > c2);
    let entries = share_entries(s, head).await;
    assert!(entries.contains(&(b.id, Some(cal.id))) && entries.contains(&(c.id, Some(cal.id))));
    assert_eq!(s.dav_access(b.id, &bob, cal.id).await.unwrap(), None);

    // Deleting Carol's account takes the shares naming her, journaled for the owner.
    s.dav_share_set(
        a.id,
        book.id,
        "carol@davshare.test",
        DavAccess::Read,
        &DavShareNote::default(),
        &[c.id],
    )
    .await
    .unwrap();
    let head = s.journal_head().await.unwrap();
    let a2 = modseq_of(s, a.id).await;
    s.account_delete(c.id).await.unwrap();
    assert!(modseq_of(s, a.id).await > a2);
    assert_eq!(collection_token(s, book.id).await, modseq_of(s, a.id).await);
    assert!(share_entries(s, head).await.contains(&(a.id, Some(book.id))));
    let left: Vec<String> = s
        .dav_share_list(book.id)
        .await
        .unwrap()
        .into_iter()
        .map(|sh| sh.sharee)
        .collect();
    assert_eq!(left, vec!["team@davshare.test".to_owned()]);

    // Deleting Bob's account takes his answers; the group share (a group's, not his) stays.
    s.dav_share_answer(b.id, &bob, book.id, DavShareStatus::Accepted, None)
        .await
        .unwrap();
    s.account_delete(b.id).await.unwrap();
    assert_eq!(s.dav_share_list(book.id).await.unwrap().len(), 1);
}

pub(super) async fn notifications(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "davnotify.test", "alice").await;
    let b = account(s, "davnotify.test", "bob").await;
    let c = account(s, "davnotify.test", "carol").await;
    s.group_add("team@davnotify.test", "Team").await.unwrap();
    s.group_member_add("team@davnotify.test", &c.address)
        .await
        .unwrap();
    let cal = s
        .dav_collection_create(a.id, collection_of_kind(DavCollectionKind::Calendar, "cal"))
        .await
        .unwrap();
    let bob = vec![b.address.clone()];
    let carol = vec![c.address.clone(), "team@davnotify.test".to_owned()];
    let note = |summary: Option<&str>, cn: Option<&str>| DavShareNote {
        summary: summary.map(str::to_owned),
        common_name: cn.map(str::to_owned),
    };

    // The note is stored; a set without it keeps it and changes nothing.
    let share = s
        .dav_share_set(
            a.id,
            cal.id,
            "bob@davnotify.test",
            DavAccess::Read,
            &note(Some("Plans"), Some("Bob")),
            &[b.id],
        )
        .await
        .unwrap();
    assert_eq!(share.note, note(Some("Plans"), Some("Bob")));
    let again = s
        .dav_share_set(
            a.id,
            cal.id,
            "bob@davnotify.test",
            DavAccess::Read,
            &note(None, None),
            &[b.id],
        )
        .await
        .unwrap();
    assert_eq!(again, share, "nothing given, nothing changed");
    // A new summary is a change (the sharee's invite shows it): journaled, the name kept.
    let b0 = modseq_of(s, b.id).await;
    let changed = s
        .dav_share_set(
            a.id,
            cal.id,
            "bob@davnotify.test",
            DavAccess::Read,
            &note(Some("Team plans"), None),
            &[b.id],
        )
        .await
        .unwrap();
    assert!(changed.modseq > share.modseq);
    assert_eq!(changed.note, note(Some("Team plans"), Some("Bob")));
    assert_eq!(modseq_of(s, b.id).await, b0 + 1);
    assert_eq!(s.dav_share_list(cal.id).await.unwrap(), vec![changed.clone()]);
    assert!(is_invalid(
        &s.dav_share_set(
            a.id,
            cal.id,
            "bob@davnotify.test",
            DavAccess::Read,
            &note(Some(&"x".repeat(DAV_PROPERTY_MAX + 1)), None),
            &[b.id],
        )
        .await
    ));

    // Bob's invite: unanswered, not dismissed, with the summary and the time of the share.
    let seen = s.dav_shared_with(b.id, &bob).await.unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (
            seen[0].status,
            seen[0].summary.as_deref(),
            seen[0].invite_dismissed
        ),
        (DavShareStatus::Invited, Some("Team plans"), false)
    );
    assert_eq!(seen[0].shared_at, changed.created_at);
    assert!(s.dav_share_replies(a.id).await.unwrap().is_empty());

    // A group share reaches Carol with its own summary.
    s.dav_share_set(
        a.id,
        cal.id,
        "team@davnotify.test",
        DavAccess::ReadWrite,
        &note(Some("For the team"), None),
        &[c.id],
    )
    .await
    .unwrap();
    let seen = s.dav_shared_with(c.id, &carol).await.unwrap();
    assert_eq!(
        (seen[0].access, seen[0].summary.as_deref()),
        (DavAccess::ReadWrite, Some("For the team"))
    );

    // Carol dismisses her invite: still invited, nothing for the owner, journaled for her only.
    let (a1, c1) = (modseq_of(s, a.id).await, modseq_of(s, c.id).await);
    let head = s.journal_head().await.unwrap();
    let m = s.dav_share_invite_dismiss(c.id, &carol, cal.id).await.unwrap();
    assert_eq!((m, modseq_of(s, a.id).await), (c1 + 1, a1));
    assert_eq!(share_entries(s, head).await, vec![(c.id, Some(cal.id))]);
    let seen = s.dav_shared_with(c.id, &carol).await.unwrap();
    assert_eq!(
        (seen[0].status, seen[0].invite_dismissed),
        (DavShareStatus::Invited, true)
    );
    assert!(s.dav_share_replies(a.id).await.unwrap().is_empty());
    assert!(is_not_found(
        &s.dav_share_invite_dismiss(c.id, std::slice::from_ref(&c.address), cal.id)
            .await
    ));
    assert!(is_not_found(
        &s.dav_share_invite_dismiss(a.id, std::slice::from_ref(&a.address), cal.id)
            .await
    ));

    // Bob accepts: Alice gets his reply (the name he gave, the time); he has no invite left.
    s.dav_share_answer(b.id, &bob, cal.id, DavShareStatus::Accepted, Some("Alice's"))
        .await
        .unwrap();
    let replies = s.dav_share_replies(a.id).await.unwrap();
    assert_eq!(replies.len(), 1);
    let r = &replies[0];
    assert_eq!(
        (
            r.collection.id,
            r.account_id,
            r.sharee.as_str(),
            r.status,
            r.summary.as_deref()
        ),
        (
            cal.id,
            b.id,
            "bob@davnotify.test",
            DavShareStatus::Accepted,
            Some("Alice's")
        )
    );
    assert!(r.answered_at > 0);
    assert!(is_not_found(
        &s.dav_share_invite_dismiss(b.id, &bob, cal.id).await
    ));
    assert!(
        s.dav_share_replies(b.id).await.unwrap().is_empty(),
        "the owner's only"
    );

    // Alice dismisses it: journaled for her, the collection's token stays.
    let token = collection_token(s, cal.id).await;
    let a2 = modseq_of(s, a.id).await;
    assert!(is_not_found(&s.dav_share_reply_dismiss(b.id, cal.id, b.id).await));
    assert!(is_not_found(&s.dav_share_reply_dismiss(a.id, cal.id, c.id).await));
    let m = s.dav_share_reply_dismiss(a.id, cal.id, b.id).await.unwrap();
    assert_eq!(m, a2 + 1);
    assert_eq!(collection_token(s, cal.id).await, token);
    assert!(s.dav_share_replies(a.id).await.unwrap().is_empty());
    assert!(is_not_found(&s.dav_share_reply_dismiss(a.id, cal.id, b.id).await));

    // A later answer shows again; Carol's answer after dismissing her invite too.
    s.dav_share_answer(b.id, &bob, cal.id, DavShareStatus::Declined, None)
        .await
        .unwrap();
    s.dav_share_answer(c.id, &carol, cal.id, DavShareStatus::Accepted, None)
        .await
        .unwrap();
    let replies: Vec<(AccountId, DavShareStatus)> = s
        .dav_share_replies(a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.account_id, r.status))
        .collect();
    assert_eq!(
        replies,
        vec![(b.id, DavShareStatus::Declined), (c.id, DavShareStatus::Accepted)]
    );

    // Removing Bob's share takes his answer, so his reply goes.
    s.dav_share_remove(a.id, cal.id, "bob@davnotify.test", &[b.id])
        .await
        .unwrap();
    let left: Vec<AccountId> = s
        .dav_share_replies(a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.account_id)
        .collect();
    assert_eq!(left, vec![c.id]);
}

async fn collection_token(s: &dyn Store, id: DavCollectionId) -> ModSeq {
    s.dav_collection_by_id(id).await.unwrap().unwrap().highest_modseq
}

/// A sharee's own properties of a collection shared with it: set and removed all at once, kept
/// apart per account, checked, refused to the owner and to accounts without a share, kept over
/// an unshare, gone with the collection.
pub(super) async fn sharee_props(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "shareeprops.test", "alice").await;
    let b = account(s, "shareeprops.test", "bob").await;
    let c = account(s, "shareeprops.test", "carol").await;
    let cal = s
        .dav_collection_create(a.id, collection_of_kind(DavCollectionKind::Calendar, "cal"))
        .await
        .unwrap();
    let (bob, carol) = (vec![b.address.clone()], vec![c.address.clone()]);
    let set = |name: &str, value: Option<&str>| (name.to_owned(), value.map(str::to_owned));
    // Not shared yet: nobody but the owner, and the owner has no sharee properties.
    for (acc, ids) in [(&b, &bob), (&a, &vec![a.address.clone()])] {
        let r = s
            .dav_sharee_props_set(acc.id, ids, cal.id, &[set("calendar-color", Some("#ff0000"))])
            .await;
        assert!(matches!(r, Err(StoreError::NotFound(_))), "{r:?}");
    }
    for acc in [&b, &c] {
        s.dav_share_set(
            a.id,
            cal.id,
            &acc.address,
            DavAccess::Read,
            &DavShareNote::default(),
            &[acc.id],
        )
        .await
        .unwrap();
    }
    let head = s.journal_head().await.unwrap();
    s.dav_sharee_props_set(
        b.id,
        &bob,
        cal.id,
        &[
            set("displayname", Some("Alice's")),
            set("calendar-color", Some("#ff0000")),
            set("calendar-order", Some("3")),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        s.journal_after(head, 100).await.unwrap(),
        vec![],
        "journals nothing"
    );
    s.dav_sharee_props_set(c.id, &carol, cal.id, &[set("calendar-color", Some("#00ff00"))])
        .await
        .unwrap();
    let values = |props: Vec<DavShareeProp>| -> Vec<(DavCollectionId, String, String)> {
        props
            .into_iter()
            .map(|p| (p.collection_id, p.name, p.value))
            .collect()
    };
    let bob_props = || async { values(s.dav_sharee_props(b.id).await.unwrap()) };
    assert_eq!(
        bob_props().await,
        vec![
            (cal.id, "calendar-color".into(), "#ff0000".into()),
            (cal.id, "calendar-order".into(), "3".into()),
            (cal.id, "displayname".into(), "Alice's".into()),
        ]
    );
    assert_eq!(
        values(s.dav_sharee_props(c.id).await.unwrap()),
        vec![(cal.id, "calendar-color".into(), "#00ff00".into())],
        "each account its own"
    );
    assert!(s.dav_sharee_props(a.id).await.unwrap().is_empty());
    // Replaced and removed in one call; the collection's own properties are untouched.
    s.dav_sharee_props_set(
        b.id,
        &bob,
        cal.id,
        &[
            set("calendar-color", Some("#0000ff")),
            set("calendar-order", None),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        bob_props().await,
        vec![
            (cal.id, "calendar-color".into(), "#0000ff".into()),
            (cal.id, "displayname".into(), "Alice's".into()),
        ]
    );
    assert_eq!(
        s.dav_collection_get(a.id, "cal")
            .await
            .unwrap()
            .unwrap()
            .props
            .color,
        None
    );
    // Checked, all or none: an unknown name, a long value, an order that is no integer.
    let long = "x".repeat(DAV_PROPERTY_MAX + 1);
    for bad in [
        vec![
            set("calendar-color", Some("#111111")),
            set("calendar-description", Some("x")),
        ],
        vec![
            set("calendar-color", Some("#111111")),
            set("displayname", Some(&long)),
        ],
        vec![
            set("calendar-color", Some("#111111")),
            set("calendar-order", Some("first")),
        ],
    ] {
        let r = s.dav_sharee_props_set(b.id, &bob, cal.id, &bad).await;
        assert!(matches!(r, Err(StoreError::Invalid { .. })), "{r:?}");
    }
    assert_eq!(bob_props().await[0].2, "#0000ff", "nothing written");
    // An unshare keeps them; the collection's delete takes them.
    s.dav_share_remove(a.id, cal.id, &b.address, &[b.id])
        .await
        .unwrap();
    assert_eq!(bob_props().await.len(), 2);
    let r = s
        .dav_sharee_props_set(b.id, &bob, cal.id, &[set("calendar-color", Some("#222222"))])
        .await;
    assert!(matches!(r, Err(StoreError::NotFound(_))), "{r:?}");
    s.dav_collection_delete(a.id, cal.id).await.unwrap();
    assert!(bob_props().await.is_empty());
    assert!(s.dav_sharee_props(c.id).await.unwrap().is_empty());
}
