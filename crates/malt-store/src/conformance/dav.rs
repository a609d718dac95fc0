//! Conformance: calendars and address books — collections (create, names, properties and
//! PROPPATCH, delete), default collections, objects (put with ETag preconditions, UID
//! uniqueness, get, multiget, list, delete, move, by UID across an account), quota, the span
//! index, sync-collection changes with tombstones and paging, the journal, account deletion,
//! and concurrent writers.

use super::*;

fn calendar(name: &str) -> NewDavCollection {
    NewDavCollection {
        kind: DavCollectionKind::Calendar,
        name: name.to_owned(),
        props: DavCollectionProps {
            display_name: Some(format!("Cal {name}")),
            components: vec![DavComponent::Todo, DavComponent::Event, DavComponent::Event],
            ..DavCollectionProps::default()
        },
    }
}

fn event(name: &str, uid: Option<&str>, body: &str, span: Option<DavSpan>) -> NewDavObject {
    let content = format!(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:{}\r\nSUMMARY:{body}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        uid.unwrap_or("")
    );
    NewDavObject {
        name: name.to_owned(),
        uid: uid.map(str::to_owned),
        component: DavComponent::Event,
        span,
        content: content.into_bytes(),
    }
}

fn span(start: i64, end: Option<i64>) -> Option<DavSpan> {
    Some(DavSpan { start, end })
}

fn stored(outcome: DavPutOutcome) -> DavStored {
    match outcome {
        DavPutOutcome::Stored(s) => s,
        other => panic!("expected a stored object, got {other:?}"),
    }
}

async fn put(s: &dyn Store, account: AccountId, coll: DavCollectionId, obj: NewDavObject) -> DavStored {
    stored(
        s.dav_object_put(account, coll, obj, EtagCondition::Any)
            .await
            .unwrap(),
    )
}

async fn collection(s: &dyn Store, id: DavCollectionId) -> DavCollection {
    s.dav_collection_by_id(id).await.unwrap().unwrap()
}

async fn names_in_span(s: &dyn Store, coll: DavCollectionId, start: i64, end: i64) -> Vec<String> {
    s.dav_objects_in_span(coll, start, end)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect()
}

pub(super) async fn collections(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "davcoll.test", "a").await;
    let b = account(s, "davcoll.test", "b").await;
    assert!(s.dav_collection_list(a.id).await.unwrap().is_empty());

    let m0 = modseq_of(s, a.id).await;
    let work = s.dav_collection_create(a.id, calendar("work")).await.unwrap();
    assert_eq!(work.account_id, a.id);
    assert_eq!(work.kind, DavCollectionKind::Calendar);
    assert_eq!(
        work.props.components,
        vec![DavComponent::Event, DavComponent::Todo],
        "components are stored sorted, without repeats"
    );
    assert!(work.highest_modseq > m0, "creation takes a modseq");
    assert_eq!(modseq_of(s, a.id).await, work.highest_modseq);
    assert_eq!(
        collection(s, work.id).await,
        work,
        "by id returns what create returned"
    );
    let book = s
        .dav_collection_create(
            a.id,
            NewDavCollection {
                kind: DavCollectionKind::AddressBook,
                name: "Bücher".into(),
                props: DavCollectionProps::default(),
            },
        )
        .await
        .unwrap();
    s.dav_collection_create(a.id, calendar("Zeta")).await.unwrap();
    let names: Vec<String> = s
        .dav_collection_list(a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["Bücher", "Zeta", "work"], "ordered by name, byte-wise");
    assert_eq!(
        s.dav_collection_get(a.id, "Bücher").await.unwrap().map(|c| c.id),
        Some(book.id)
    );
    assert!(
        s.dav_collection_get(a.id, "WORK").await.unwrap().is_none(),
        "names are exact"
    );
    assert!(
        s.dav_collection_get(b.id, "work").await.unwrap().is_none(),
        "per account"
    );
    assert!(is_exists(&s.dav_collection_create(a.id, calendar("work")).await));
    s.dav_collection_create(b.id, calendar("work"))
        .await
        .expect("another account may use the same name");
    for bad in ["", "a/b", ".", "..", "x\u{7}"] {
        assert!(
            is_invalid(&s.dav_collection_create(a.id, calendar(bad)).await),
            "{bad:?}"
        );
    }
    let mut too_many = calendar("many");
    for i in 0..=DAV_DEAD_PROPERTIES_MAX {
        too_many.props.dead.insert(format!("{{urn:x}}p{i}"), "v".into());
    }
    assert!(is_invalid(&s.dav_collection_create(a.id, too_many).await));
    assert!(is_not_found(
        &s.dav_collection_create(a.id + 1_000_000, calendar("x")).await
    ));

    // PROPPATCH: set and remove, dead properties, one modseq, all or nothing.
    let patch = DavCollectionPatch {
        display_name: Some(Some("Work".into())),
        description: Some(Some("Meetings & <things>".into())),
        color: Some(Some("#FF0000FF".into())),
        order: Some(Some(-2)),
        timezone: Some(Some("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into())),
        dead: vec![
            (
                "{http://example.com/ns/}x".into(),
                Some("<e:y xmlns:e=\"urn:e\">1</e:y>".into()),
            ),
            ("{}plain".into(), Some("text".into())),
        ],
    };
    let updated = s.dav_collection_update(a.id, work.id, &patch).await.unwrap();
    assert!(updated.highest_modseq > work.highest_modseq, "the CTag changes");
    assert_eq!(updated.props.display_name.as_deref(), Some("Work"));
    assert_eq!(updated.props.order, Some(-2));
    assert_eq!(updated.props.components, work.props.components, "not patchable");
    assert_eq!(updated.props.dead.len(), 2);
    assert_eq!(
        collection(s, work.id).await,
        updated,
        "what update returned is stored"
    );
    let removal = DavCollectionPatch {
        description: Some(None),
        dead: vec![("{}plain".into(), None)],
        ..DavCollectionPatch::default()
    };
    let updated = s.dav_collection_update(a.id, work.id, &removal).await.unwrap();
    assert_eq!(updated.props.description, None);
    assert_eq!(updated.props.display_name.as_deref(), Some("Work"), "left alone");
    assert_eq!(
        updated.props.dead.keys().collect::<Vec<_>>(),
        ["{http://example.com/ns/}x"]
    );
    let bad = DavCollectionPatch {
        display_name: Some(Some("Changed".into())),
        dead: vec![("no-namespace".into(), Some("v".into()))],
        ..DavCollectionPatch::default()
    };
    let before = modseq_of(s, a.id).await;
    assert!(is_invalid(&s.dav_collection_update(a.id, work.id, &bad).await));
    assert_eq!(
        collection(s, work.id).await,
        updated,
        "a refused patch changes nothing"
    );
    assert_eq!(modseq_of(s, a.id).await, before, "and takes no modseq");
    assert!(
        is_not_found(&s.dav_collection_update(b.id, work.id, &patch).await),
        "another account's"
    );

    // Delete.
    assert!(is_not_found(&s.dav_collection_delete(b.id, work.id).await));
    s.dav_collection_delete(a.id, work.id).await.unwrap();
    assert!(s.dav_collection_by_id(work.id).await.unwrap().is_none());
    assert!(is_not_found(&s.dav_collection_delete(a.id, work.id).await));
    assert!(is_not_found(&s.dav_changes(work.id, 0, 100).await));
}

pub(super) async fn defaults(storage: &Storage) {
    let s = storage.store.clone();
    let a = account(&*s, "davdefaults.test", "a").await;
    let all = s.dav_ensure_defaults(a.id).await.unwrap();
    let summary = |all: &[DavCollection]| -> Vec<(String, DavCollectionKind, Vec<DavComponent>)> {
        all.iter()
            .map(|c| (c.name.clone(), c.kind, c.props.components.clone()))
            .collect()
    };
    assert_eq!(
        summary(&all),
        vec![
            (
                "calendar".to_owned(),
                DavCollectionKind::Calendar,
                vec![DavComponent::Event]
            ),
            ("contacts".to_owned(), DavCollectionKind::AddressBook, vec![]),
            (
                "inbox".to_owned(),
                DavCollectionKind::ScheduleInbox,
                vec![DavComponent::Event, DavComponent::Todo]
            ),
            (
                "outbox".to_owned(),
                DavCollectionKind::ScheduleOutbox,
                vec![DavComponent::Event, DavComponent::Todo]
            ),
            (
                "tasks".to_owned(),
                DavCollectionKind::Calendar,
                vec![DavComponent::Todo]
            ),
        ]
    );
    assert_eq!(all[0].props.display_name.as_deref(), Some("Calendar"));
    let m = modseq_of(&*s, a.id).await;
    assert_eq!(s.dav_ensure_defaults(a.id).await.unwrap(), all, "idempotent");
    assert_eq!(modseq_of(&*s, a.id).await, m, "a second call writes nothing");

    // A deleted default stays deleted while a collection of its kind is left.
    let tasks = all.iter().find(|c| c.name == "tasks").unwrap();
    s.dav_collection_delete(a.id, tasks.id).await.unwrap();
    assert_eq!(s.dav_ensure_defaults(a.id).await.unwrap().len(), 4);
    let cal = all.iter().find(|c| c.name == "calendar").unwrap();
    s.dav_collection_delete(a.id, cal.id).await.unwrap();
    let again: Vec<String> = s
        .dav_ensure_defaults(a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        again,
        ["calendar", "contacts", "inbox", "outbox", "tasks"],
        "no calendar left: both come back"
    );

    // A collection that holds a default's name keeps it: that default is not made.
    let c = account(&*s, "davdefaults.test", "c").await;
    s.dav_collection_create(c.id, calendar("inbox")).await.unwrap();
    let names: Vec<(String, DavCollectionKind)> = s
        .dav_ensure_defaults(c.id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.kind))
        .collect();
    assert_eq!(
        names,
        [
            ("contacts".to_owned(), DavCollectionKind::AddressBook),
            ("inbox".to_owned(), DavCollectionKind::Calendar),
            ("outbox".to_owned(), DavCollectionKind::ScheduleOutbox),
        ]
    );

    // First access from several sessions at once: one set of defaults.
    let b = account(&*s, "davdefaults.test", "b").await;
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.dav_ensure_defaults(b.id).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().len(), 5);
    }
    assert_eq!(s.dav_collection_list(b.id).await.unwrap().len(), 5);
}

pub(super) async fn objects(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "davobj.test", "a").await;
    let b = account(s, "davobj.test", "b").await;
    let cal = s.dav_collection_create(a.id, calendar("cal")).await.unwrap();
    let other = s.dav_collection_create(a.id, calendar("other")).await.unwrap();

    // Create.
    let e1 = event("e1.ics", Some("uid-1"), "one", span(1_000, Some(2_000)));
    let r1 = stored(
        s.dav_object_put(a.id, cal.id, e1.clone(), EtagCondition::Absent)
            .await
            .unwrap(),
    );
    assert!(r1.created);
    assert_eq!(r1.etag, dav_etag(&e1.content), "the ETag is the content's hash");
    assert_eq!(modseq_of(s, a.id).await, r1.modseq);
    assert_eq!(
        collection(s, cal.id).await.highest_modseq,
        r1.modseq,
        "the sync token moves"
    );
    let got = s.dav_object_get(cal.id, "e1.ics").await.unwrap().unwrap();
    assert_eq!(
        (
            &got.name,
            got.uid.as_deref(),
            &got.etag,
            got.component,
            got.size,
            got.span,
            got.modseq
        ),
        (
            &e1.name,
            Some("uid-1"),
            &r1.etag,
            DavComponent::Event,
            e1.content.len() as u64,
            e1.span,
            r1.modseq
        )
    );
    assert_eq!(got.content, e1.content, "content is kept byte for byte");
    assert_eq!(got.collection_id, cal.id);
    assert!(
        s.dav_object_get(cal.id, "E1.ics").await.unwrap().is_none(),
        "names are exact"
    );
    assert!(s.dav_object_get(other.id, "e1.ics").await.unwrap().is_none());

    // Preconditions: create-only on an existing name, a stale ETag, must-exist on a new name.
    let e1b = event("e1.ics", Some("uid-1"), "one, changed", span(1_500, Some(2_500)));
    // Lists of entity tags (RFC 9110 §13.1.1-2): none of them current, or the current one
    // excluded, fails like a single stale tag.
    for cond in [
        EtagCondition::Absent,
        EtagCondition::Matches("stale".into()),
        EtagCondition::MatchesOneOf(vec!["stale".into(), "older".into()]),
        EtagCondition::MatchesNoneOf(vec!["stale".into(), r1.etag.clone()]),
    ] {
        assert_eq!(
            s.dav_object_put(a.id, cal.id, e1b.clone(), cond).await.unwrap(),
            DavPutOutcome::PreconditionFailed
        );
    }
    assert_eq!(
        s.dav_object_put(
            a.id,
            cal.id,
            event("new.ics", None, "n", None),
            EtagCondition::Exists
        )
        .await
        .unwrap(),
        DavPutOutcome::PreconditionFailed
    );
    assert_eq!(
        modseq_of(s, a.id).await,
        r1.modseq,
        "failed preconditions take no modseq"
    );
    assert!(s.dav_object_get(cal.id, "new.ics").await.unwrap().is_none());

    // Replace with the right ETag.
    let r1b = stored(
        s.dav_object_put(a.id, cal.id, e1b.clone(), EtagCondition::Matches(r1.etag.clone()))
            .await
            .unwrap(),
    );
    assert!(!r1b.created && r1b.etag != r1.etag && r1b.modseq > r1.modseq);
    let got_b = s.dav_object_get(cal.id, "e1.ics").await.unwrap().unwrap();
    assert_eq!((got_b.content, got_b.span), (e1b.content.clone(), e1b.span));
    assert_eq!(got_b.created_at, got.created_at, "a replacement keeps created_at");
    assert_eq!(got_b.id, got.id);
    let listed = stored(
        s.dav_object_put(
            a.id,
            cal.id,
            e1b.clone(),
            EtagCondition::MatchesOneOf(vec!["stale".into(), r1b.etag.clone()]),
        )
        .await
        .unwrap(),
    );
    assert_eq!(listed.etag, r1b.etag, "a list holding the current ETag matches");
    stored(
        s.dav_object_put(
            a.id,
            cal.id,
            e1b.clone(),
            EtagCondition::MatchesNoneOf(vec!["stale".into(), r1.etag.clone()]),
        )
        .await
        .unwrap(),
    );
    let same = stored(
        s.dav_object_put(a.id, cal.id, e1b.clone(), EtagCondition::Exists)
            .await
            .unwrap(),
    );
    assert_eq!(same.etag, r1b.etag, "the same content has the same ETag");

    // UIDs: unique per collection; none is no conflict; another collection is independent.
    assert_eq!(
        s.dav_object_put(
            a.id,
            cal.id,
            event("dup.ics", Some("uid-1"), "dup", None),
            EtagCondition::Any
        )
        .await
        .unwrap(),
        DavPutOutcome::UidConflict {
            existing: "e1.ics".into()
        }
    );
    assert!(s.dav_object_get(cal.id, "dup.ics").await.unwrap().is_none());
    put(s, a.id, cal.id, event("n1.ics", None, "no uid", None)).await;
    put(s, a.id, cal.id, event("n2.ics", Some(""), "empty uid", None)).await;
    assert_eq!(
        s.dav_object_get(cal.id, "n2.ics").await.unwrap().unwrap().uid,
        None,
        "an empty UID is none"
    );
    put(
        s,
        a.id,
        other.id,
        event("e1.ics", Some("uid-1"), "elsewhere", None),
    )
    .await;
    assert_eq!(
        s.dav_object_by_uid(cal.id, "uid-1")
            .await
            .unwrap()
            .map(|o| o.name),
        Some("e1.ics".into())
    );
    assert!(s.dav_object_by_uid(cal.id, "uid-x").await.unwrap().is_none());

    // Invalid input and other accounts.
    for bad in ["", "a/b", ".."] {
        assert!(is_invalid(
            &s.dav_object_put(a.id, cal.id, event(bad, None, "x", None), EtagCondition::Any)
                .await
        ));
    }
    let long_uid = "u".repeat(DAV_UID_MAX + 1);
    assert!(is_invalid(
        &s.dav_object_put(
            a.id,
            cal.id,
            event("l.ics", Some(&long_uid), "x", None),
            EtagCondition::Any
        )
        .await
    ));
    assert!(is_not_found(
        &s.dav_object_put(b.id, cal.id, event("x.ics", None, "x", None), EtagCondition::Any)
            .await
    ));
    assert!(is_not_found(
        &s.dav_object_put(
            a.id,
            cal.id + 1_000_000,
            event("x.ics", None, "x", None),
            EtagCondition::Any
        )
        .await
    ));

    // Listing and multiget.
    let list = s.dav_object_list(cal.id).await.unwrap();
    let names: Vec<&str> = list.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["e1.ics", "n1.ics", "n2.ics"]);
    assert_eq!(list[0], got_b_info(s, cal.id, "e1.ics").await);
    let many = s
        .dav_object_multiget(cal.id, &["n2.ics".into(), "missing.ics".into(), "e1.ics".into()])
        .await
        .unwrap();
    let names: Vec<&str> = many.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["e1.ics", "n2.ics"], "the existing ones, by name");
    assert_eq!(many[0].content, e1b.content);
    assert!(s.dav_object_multiget(cal.id, &[]).await.unwrap().is_empty());

    // Delete: preconditions, missing objects, then gone.
    assert_eq!(
        s.dav_object_delete(a.id, cal.id, "e1.ics", EtagCondition::Matches(r1.etag.clone()))
            .await
            .unwrap(),
        DavDeleteOutcome::PreconditionFailed
    );
    assert_eq!(
        s.dav_object_delete(a.id, cal.id, "missing.ics", EtagCondition::Matches("x".into()))
            .await
            .unwrap(),
        DavDeleteOutcome::PreconditionFailed,
        "If-Match on a missing object fails (RFC 7232 §3.1)"
    );
    assert!(is_not_found(
        &s.dav_object_delete(a.id, cal.id, "missing.ics", EtagCondition::Any)
            .await
    ));
    assert!(is_not_found(
        &s.dav_object_delete(b.id, cal.id, "e1.ics", EtagCondition::Any)
            .await
    ));
    let DavDeleteOutcome::Deleted { modseq } = s
        .dav_object_delete(a.id, cal.id, "e1.ics", EtagCondition::Matches(r1b.etag.clone()))
        .await
        .unwrap()
    else {
        panic!("delete with the current ETag succeeds");
    };
    assert_eq!(collection(s, cal.id).await.highest_modseq, modseq);
    assert!(s.dav_object_get(cal.id, "e1.ics").await.unwrap().is_none());
    // The UID is free again.
    put(s, a.id, cal.id, event("dup.ics", Some("uid-1"), "dup", None)).await;
}

/// `dav_object_by_uid_in_account`: across the account's collections of one kind, first by
/// collection name (not by id), `except` skipped; other kinds and other accounts unseen.
pub(super) async fn by_uid_in_account(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "davuid.test", "a").await;
    let b = account(s, "davuid.test", "b").await;
    // Made in this order so that name order and id order differ.
    let zeta = s.dav_collection_create(a.id, calendar("zeta")).await.unwrap();
    let alpha = s.dav_collection_create(a.id, calendar("alpha")).await.unwrap();
    let book = s
        .dav_collection_create(
            a.id,
            NewDavCollection {
                kind: DavCollectionKind::AddressBook,
                name: "book".into(),
                props: DavCollectionProps::default(),
            },
        )
        .await
        .unwrap();
    let theirs = s.dav_collection_create(b.id, calendar("theirs")).await.unwrap();
    let find = |account: AccountId, kind, uid: &'static str, except| async move {
        s.dav_object_by_uid_in_account(account, kind, uid, except)
            .await
            .unwrap()
            .map(|o| (o.collection_id, o.name, o.uid, o.content))
    };
    const CAL: DavCollectionKind = DavCollectionKind::Calendar;

    assert_eq!(find(a.id, CAL, "shared", None).await, None, "nothing yet");
    let in_zeta = event("z.ics", Some("shared"), "in zeta", None);
    put(s, a.id, zeta.id, in_zeta.clone()).await;
    assert_eq!(
        find(a.id, CAL, "shared", None).await,
        Some((
            zeta.id,
            "z.ics".into(),
            Some("shared".into()),
            in_zeta.content.clone()
        )),
        "the object, its collection and its content"
    );
    assert_eq!(
        find(a.id, CAL, "shared", Some(zeta.id)).await,
        None,
        "except skips it"
    );
    assert_eq!(
        find(a.id, CAL, "shared", Some(alpha.id)).await.map(|f| f.0),
        Some(zeta.id),
        "except another collection"
    );
    put(
        s,
        a.id,
        alpha.id,
        event("a.ics", Some("shared"), "in alpha", None),
    )
    .await;
    assert_eq!(
        find(a.id, CAL, "shared", None).await.map(|f| (f.0, f.1)),
        Some((alpha.id, "a.ics".into())),
        "first by collection name"
    );
    assert_eq!(
        find(a.id, CAL, "shared", Some(alpha.id)).await.map(|f| f.0),
        Some(zeta.id)
    );
    assert_eq!(find(a.id, CAL, "SHARED", None).await, None, "UIDs are exact");
    assert_eq!(find(a.id, CAL, "other", None).await, None);

    // Kinds and accounts apart.
    let card = NewDavObject {
        name: "c.vcf".into(),
        uid: Some("card-uid".into()),
        component: DavComponent::Card,
        span: None,
        content: b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:card-uid\r\nFN:X\r\nEND:VCARD\r\n".to_vec(),
    };
    put(s, a.id, book.id, card).await;
    assert_eq!(find(a.id, CAL, "card-uid", None).await, None, "calendars only");
    assert_eq!(
        find(a.id, DavCollectionKind::AddressBook, "card-uid", None)
            .await
            .map(|f| (f.0, f.1)),
        Some((book.id, "c.vcf".into()))
    );
    assert_eq!(
        find(a.id, DavCollectionKind::AddressBook, "shared", None).await,
        None
    );
    put(s, b.id, theirs.id, event("t.ics", Some("theirs"), "b's", None)).await;
    assert_eq!(find(a.id, CAL, "theirs", None).await, None, "another account's");
    assert_eq!(
        find(b.id, CAL, "theirs", None).await.map(|f| f.0),
        Some(theirs.id)
    );
    assert_eq!(find(b.id, CAL, "shared", None).await, None);

    // Follows deletes and moves.
    s.dav_object_delete(a.id, alpha.id, "a.ics", EtagCondition::Any)
        .await
        .unwrap();
    assert_eq!(find(a.id, CAL, "shared", None).await.map(|f| f.0), Some(zeta.id));
    s.dav_object_move(
        a.id,
        zeta.id,
        "z.ics",
        alpha.id,
        "moved.ics",
        EtagCondition::Any,
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        find(a.id, CAL, "shared", None).await.map(|f| (f.0, f.1)),
        Some((alpha.id, "moved.ics".into()))
    );
    assert_eq!(find(a.id, CAL, "shared", Some(alpha.id)).await, None);
}

async fn got_b_info(s: &dyn Store, coll: DavCollectionId, name: &str) -> DavObjectInfo {
    s.dav_object_get(coll, name).await.unwrap().unwrap().info()
}

pub(super) async fn quota(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "davquota.test", "a").await;
    let cal = s.dav_collection_create(a.id, calendar("cal")).await.unwrap();
    let inbox = mailbox(s, a.id, "INBOX").await;
    let msg = new_message(storage, inbox.id, "davquota", b"");
    let msg_size = msg.size;
    s.append(a.id, vec![msg]).await.unwrap();
    let usage = || async { s.quota(a.id).await.unwrap() };
    let big = NewDavObject {
        content: vec![b'x'; 1000],
        ..event("big.ics", Some("big"), "", None)
    };
    put(s, a.id, cal.id, big.clone()).await;
    let q = usage().await;
    assert_eq!(q.used_bytes, msg_size + 1000, "objects count with messages");
    assert_eq!(q.message_count, 1, "objects are not messages");

    s.account_set_quota(a.id, Some(msg_size + 1500)).await.unwrap();
    let over = NewDavObject {
        content: vec![b'y'; 600],
        ..event("over.ics", Some("over"), "", None)
    };
    let m = modseq_of(s, a.id).await;
    let r = s
        .dav_object_put(a.id, cal.id, over.clone(), EtagCondition::Any)
        .await;
    assert!(matches!(r, Err(StoreError::OverQuota { .. })), "{r:?}");
    assert!(s.dav_object_get(cal.id, "over.ics").await.unwrap().is_none());
    assert_eq!(modseq_of(s, a.id).await, m, "a refused put changes nothing");
    // Growing an object counts only the growth; shrinking is always allowed.
    let grown = NewDavObject {
        content: vec![b'z'; 1500],
        ..big.clone()
    };
    put(s, a.id, cal.id, grown).await;
    assert_eq!(usage().await.used_bytes, msg_size + 1500);
    let r = s
        .dav_object_put(
            a.id,
            cal.id,
            NewDavObject {
                content: vec![b'z'; 1501],
                ..big.clone()
            },
            EtagCondition::Any,
        )
        .await;
    assert!(matches!(r, Err(StoreError::OverQuota { .. })));
    s.account_set_quota(a.id, Some(10)).await.unwrap();
    put(
        s,
        a.id,
        cal.id,
        NewDavObject {
            content: vec![b'z'; 100],
            ..big.clone()
        },
    )
    .await;
    assert_eq!(
        usage().await.used_bytes,
        msg_size + 100,
        "shrinking passes over quota"
    );
    s.account_set_quota(a.id, None).await.unwrap();

    put(s, a.id, cal.id, over).await;
    s.dav_object_delete(a.id, cal.id, "big.ics", EtagCondition::Any)
        .await
        .unwrap();
    assert_eq!(usage().await.used_bytes, msg_size + 600, "delete releases");
    s.dav_collection_delete(a.id, cal.id).await.unwrap();
    assert_eq!(usage().await.used_bytes, msg_size, "collection delete releases");
}

pub(super) async fn spans(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "davspan.test", "a").await;
    let cal = s.dav_collection_create(a.id, calendar("cal")).await.unwrap();
    let neighbour = s
        .dav_collection_create(a.id, calendar("neighbour"))
        .await
        .unwrap();
    let t = 1_700_000_000i64;
    let objects = [
        ("early.ics", span(t - 10_000, Some(t - 5_000))),
        ("ends-at-t.ics", span(t - 100, Some(t))),
        ("around.ics", span(t - 100, Some(t + 100))),
        ("instant.ics", span(t + 50, Some(t + 50))),
        ("starts-at-t1.ics", span(t + 1_000, Some(t + 2_000))),
        ("endless.ics", span(t + 500, None)),
        ("always.ics", span(i64::MIN, None)),
        ("far.ics", span(32_503_680_000, Some(32_503_683_600))),
        ("nospan.ics", None),
    ];
    for (name, sp) in objects {
        put(s, a.id, cal.id, event(name, Some(name), name, sp)).await;
    }
    // The same spans in another collection must never show up.
    put(
        s,
        a.id,
        neighbour.id,
        event("around.ics", None, "n", span(t - 100, Some(t + 100))),
    )
    .await;

    assert_eq!(
        names_in_span(s, cal.id, t, t + 1_000).await,
        [
            "always.ics",
            "around.ics",
            "endless.ics",
            "ends-at-t.ics",
            "instant.ics"
        ],
        "[t, t+1000): an object ending at t is a candidate; one starting at t+1000 is not"
    );
    assert_eq!(
        names_in_span(s, cal.id, t + 1, t + 51).await,
        ["always.ics", "around.ics", "instant.ics"],
        "exact to the second, though the index rounds"
    );
    assert_eq!(
        names_in_span(s, cal.id, t + 51, t + 101).await,
        ["always.ics", "around.ics"]
    );
    assert_eq!(
        names_in_span(s, cal.id, t + 3_000, t + 4_000).await,
        ["always.ics", "endless.ics"]
    );
    assert_eq!(
        names_in_span(s, cal.id, 32_503_683_600, 32_503_690_000).await,
        ["always.ics", "endless.ics", "far.ics"],
        "dates far in the future"
    );
    assert_eq!(
        names_in_span(s, cal.id, i64::MIN, i64::MAX).await.len(),
        8,
        "every object with a span, none without"
    );
    let got = s.dav_objects_in_span(cal.id, t, t + 1).await.unwrap();
    assert!(
        got.iter()
            .all(|o| !o.content.is_empty() && o.collection_id == cal.id)
    );

    // The index follows replacements, moves and deletions.
    put(
        s,
        a.id,
        cal.id,
        event(
            "around.ics",
            Some("around.ics"),
            "moved",
            span(t + 5_000, Some(t + 6_000)),
        ),
    )
    .await;
    assert_eq!(
        names_in_span(s, cal.id, t + 1, t + 51).await,
        ["always.ics", "instant.ics"]
    );
    assert_eq!(
        names_in_span(s, cal.id, t + 5_500, t + 5_501).await,
        ["always.ics", "around.ics", "endless.ics"]
    );
    put(
        s,
        a.id,
        cal.id,
        event("around.ics", Some("around.ics"), "no span", None),
    )
    .await;
    assert_eq!(
        names_in_span(s, cal.id, t + 5_500, t + 5_501).await,
        ["always.ics", "endless.ics"]
    );
    s.dav_object_delete(a.id, cal.id, "instant.ics", EtagCondition::Any)
        .await
        .unwrap();
    assert_eq!(names_in_span(s, cal.id, t + 1, t + 51).await, ["always.ics"]);
    let moved = s
        .dav_object_move(
            a.id,
            cal.id,
            "endless.ics",
            neighbour.id,
            "endless.ics",
            EtagCondition::Any,
            false,
        )
        .await
        .unwrap();
    assert!(matches!(moved, DavPutOutcome::Stored(_)));
    assert_eq!(
        names_in_span(s, cal.id, t + 3_000, t + 4_000).await,
        ["always.ics"]
    );
    assert_eq!(
        names_in_span(s, neighbour.id, t + 3_000, t + 4_000).await,
        ["endless.ics"]
    );
}

pub(super) async fn moves(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "davmove.test", "a").await;
    let b = account(s, "davmove.test", "b").await;
    let home = s.dav_collection_create(a.id, calendar("home")).await.unwrap();
    let work = s.dav_collection_create(a.id, calendar("work")).await.unwrap();
    let foreign = s.dav_collection_create(b.id, calendar("b")).await.unwrap();
    let one = put(s, a.id, home.id, event("one.ics", Some("one"), "one", None)).await;
    put(s, a.id, work.id, event("taken.ics", Some("taken"), "t", None)).await;
    put(s, a.id, work.id, event("same-uid.ics", Some("dup"), "d", None)).await;
    put(s, a.id, home.id, event("dup.ics", Some("dup"), "d", None)).await;
    let mv = |from, name: &'static str, to, new_name: &'static str, source, overwrite| async move {
        s.dav_object_move(a.id, from, name, to, new_name, source, overwrite)
            .await
    };

    // Rename within a collection: same UID, no conflict with itself.
    let r = stored(
        mv(
            home.id,
            "one.ics",
            home.id,
            "renamed.ics",
            EtagCondition::Matches(one.etag.clone()),
            false,
        )
        .await
        .unwrap(),
    );
    assert!(r.created && r.etag == one.etag);
    assert!(s.dav_object_get(home.id, "one.ics").await.unwrap().is_none());
    let renamed = s.dav_object_get(home.id, "renamed.ics").await.unwrap().unwrap();
    assert_eq!((renamed.uid.as_deref(), renamed.modseq), (Some("one"), r.modseq));
    let changes = s.dav_changes(home.id, r.modseq - 1, 100).await.unwrap();
    assert_eq!(changes.deleted, ["one.ics"]);
    assert_eq!(
        changes
            .changed
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["renamed.ics"]
    );

    // Conditions, conflicts and errors change nothing.
    let m = modseq_of(s, a.id).await;
    assert_eq!(
        mv(
            home.id,
            "renamed.ics",
            work.id,
            "taken.ics",
            EtagCondition::Any,
            false
        )
        .await
        .unwrap(),
        DavPutOutcome::PreconditionFailed,
        "Overwrite: F onto an existing object"
    );
    assert_eq!(
        mv(
            home.id,
            "renamed.ics",
            work.id,
            "x.ics",
            EtagCondition::Matches("stale".into()),
            true
        )
        .await
        .unwrap(),
        DavPutOutcome::PreconditionFailed
    );
    assert_eq!(
        mv(home.id, "dup.ics", work.id, "x.ics", EtagCondition::Any, true)
            .await
            .unwrap(),
        DavPutOutcome::UidConflict {
            existing: "same-uid.ics".into()
        }
    );
    assert!(is_not_found(
        &mv(home.id, "missing.ics", work.id, "x.ics", EtagCondition::Any, true).await
    ));
    assert!(is_conflict(
        &mv(
            home.id,
            "renamed.ics",
            home.id,
            "renamed.ics",
            EtagCondition::Any,
            true
        )
        .await
    ));
    assert!(is_not_found(
        &mv(
            home.id,
            "renamed.ics",
            foreign.id,
            "x.ics",
            EtagCondition::Any,
            true
        )
        .await
    ));
    assert!(is_invalid(
        &mv(home.id, "renamed.ics", work.id, "a/b", EtagCondition::Any, true).await
    ));
    assert_eq!(modseq_of(s, a.id).await, m, "refused moves take no modseq");

    // Onto an existing object whose UID it replaces, with overwrite: the old one goes.
    put(
        s,
        a.id,
        work.id,
        event("target.ics", Some("one"), "old target, same uid", None),
    )
    .await;
    let used = s.quota(a.id).await.unwrap().used_bytes;
    let target_size = s
        .dav_object_get(work.id, "target.ics")
        .await
        .unwrap()
        .unwrap()
        .size;
    let r = stored(
        mv(
            home.id,
            "renamed.ics",
            work.id,
            "target.ics",
            EtagCondition::Exists,
            true,
        )
        .await
        .unwrap(),
    );
    assert!(!r.created, "an existing destination was replaced");
    let target = s.dav_object_get(work.id, "target.ics").await.unwrap().unwrap();
    assert_eq!((target.content, target.etag), (renamed.content, renamed.etag));
    assert_eq!(s.quota(a.id).await.unwrap().used_bytes, used - target_size);
    assert_eq!(collection(s, home.id).await.highest_modseq, r.modseq);
    assert_eq!(collection(s, work.id).await.highest_modseq, r.modseq);
    assert_eq!(
        s.dav_changes(home.id, r.modseq - 1, 100).await.unwrap().deleted,
        ["renamed.ics"]
    );
    let work_changes = s.dav_changes(work.id, r.modseq - 1, 100).await.unwrap();
    assert_eq!(work_changes.changed.len(), 1);
    assert!(
        work_changes.deleted.is_empty(),
        "a replaced destination is a change, not a deletion"
    );
}

pub(super) async fn changes(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "davsync.test", "a").await;
    let cal = s.dav_collection_create(a.id, calendar("cal")).await.unwrap();
    let empty = s.dav_changes(cal.id, 0, 100).await.unwrap();
    assert_eq!(
        empty,
        DavChanges {
            modseq: cal.highest_modseq,
            ..DavChanges::default()
        }
    );
    for i in 0..5 {
        put(
            s,
            a.id,
            cal.id,
            event(&format!("{i}.ics"), Some(&format!("u{i}")), "x", None),
        )
        .await;
    }
    let token = collection(s, cal.id).await.highest_modseq;
    let initial = s.dav_changes(cal.id, 0, 100).await.unwrap();
    assert_eq!(initial.changed.len(), 5);
    assert_eq!((initial.modseq, initial.truncated), (token, false));

    // Change one, delete one, delete and re-create one, create one.
    put(s, a.id, cal.id, event("0.ics", Some("u0"), "changed", None)).await;
    s.dav_object_delete(a.id, cal.id, "1.ics", EtagCondition::Any)
        .await
        .unwrap();
    s.dav_object_delete(a.id, cal.id, "2.ics", EtagCondition::Any)
        .await
        .unwrap();
    put(s, a.id, cal.id, event("2.ics", Some("u2"), "again", None)).await;
    put(s, a.id, cal.id, event("new.ics", None, "new", None)).await;
    let since = s.dav_changes(cal.id, token, 100).await.unwrap();
    let changed: Vec<&str> = since.changed.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(changed, ["0.ics", "2.ics", "new.ics"], "by modseq");
    assert_eq!(since.deleted, ["1.ics"], "a re-created name is not deleted");
    assert_eq!(since.modseq, collection(s, cal.id).await.highest_modseq);
    assert!(!since.truncated);
    let initial = s.dav_changes(cal.id, 0, 100).await.unwrap();
    assert!(
        initial.deleted.is_empty(),
        "an initial sync reports no deletions (RFC 6578 §3.8)"
    );
    assert_eq!(initial.changed.len(), 5);
    let none = s.dav_changes(cal.id, since.modseq, 100).await.unwrap();
    assert!(none.changed.is_empty() && none.deleted.is_empty());

    // Paging: pages of 2 from the first token reach the same state.
    let (mut token2, mut seen, mut gone) = (token, Vec::new(), Vec::new());
    loop {
        let page = s.dav_changes(cal.id, token2, 2).await.unwrap();
        assert!(page.changed.len() + page.deleted.len() <= 2);
        assert!(page.modseq > token2 || (!page.truncated && page.changed.is_empty()));
        seen.extend(page.changed.into_iter().map(|c| c.name));
        gone.extend(page.deleted);
        token2 = page.modseq;
        if !page.truncated {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen, ["0.ics", "2.ics", "new.ics"]);
    assert_eq!(gone, ["1.ics"]);
    assert_eq!(token2, since.modseq);

    // Paging an initial sync: every object once, whatever the page size; deletions do not count
    // in its first page (it reports none), later pages start from a token. In `old`, the first
    // changes are deletions.
    let old = s.dav_collection_create(a.id, calendar("old")).await.unwrap();
    for name in ["a.ics", "b.ics", "c.ics"] {
        put(s, a.id, old.id, event(name, None, "x", None)).await;
    }
    for name in ["a.ics", "b.ics", "c.ics"] {
        s.dav_object_delete(a.id, old.id, name, EtagCondition::Any)
            .await
            .unwrap();
    }
    for name in ["d.ics", "e.ics", "f.ics"] {
        put(s, a.id, old.id, event(name, None, "x", None)).await;
    }
    let calendars = [
        (cal.id, vec!["0.ics", "2.ics", "3.ics", "4.ics", "new.ics"]),
        (old.id, vec!["d.ics", "e.ics", "f.ics"]),
    ];
    for (id, all) in calendars {
        for limit in 1..=3 {
            let (mut from, mut seen) = (0, Vec::new());
            loop {
                let page = s.dav_changes(id, from, limit).await.unwrap();
                assert!(from > 0 || page.deleted.is_empty());
                assert!(page.changed.len() + page.deleted.len() <= limit as usize);
                seen.extend(page.changed.into_iter().map(|c| c.name));
                from = page.modseq;
                if !page.truncated {
                    break;
                }
            }
            seen.sort();
            assert_eq!(seen, all, "pages of {limit}");
        }
    }

    // A property change moves the token without member changes.
    let patched = s
        .dav_collection_update(
            a.id,
            cal.id,
            &DavCollectionPatch {
                color: Some(Some("#00FF00".into())),
                ..DavCollectionPatch::default()
            },
        )
        .await
        .unwrap();
    let after = s.dav_changes(cal.id, since.modseq, 100).await.unwrap();
    assert_eq!(after.modseq, patched.highest_modseq);
    assert!(after.changed.is_empty() && after.deleted.is_empty());
}

pub(super) async fn journal_and_cascade(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "davjournal.test", "a").await;
    let head = s.journal_head().await.unwrap();
    let cal = s.dav_collection_create(a.id, calendar("cal")).await.unwrap();
    let r = put(s, a.id, cal.id, event("e.ics", None, "e", span(0, Some(10)))).await;
    s.dav_collection_update(a.id, cal.id, &DavCollectionPatch::default())
        .await
        .unwrap();
    s.dav_object_delete(a.id, cal.id, "e.ics", EtagCondition::Any)
        .await
        .unwrap();
    let entries: Vec<JournalEntry> = s
        .journal_after(head, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.account_id == a.id)
        .collect();
    let kinds: Vec<ChangeKind> = entries.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            ChangeKind::DavCollectionCreated,
            ChangeKind::DavObjectsChanged,
            ChangeKind::DavCollectionChanged,
            ChangeKind::DavObjectsDeleted
        ]
    );
    assert!(
        entries
            .iter()
            .all(|e| e.collection_id == Some(cal.id) && e.mailbox_id.is_none() && e.uids.is_empty())
    );
    assert_eq!(entries[1].modseq, r.modseq);
    assert!(entries.windows(2).all(|w| w[0].modseq < w[1].modseq));

    // The change feed carries them.
    let feed = storage.change_feed().await.unwrap();
    let mut rx = feed.subscribe();
    let r = put(s, a.id, cal.id, event("f.ics", None, "f", None)).await;
    let got = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        loop {
            let e = rx.recv().await.unwrap();
            if e.account_id == a.id {
                return e;
            }
        }
    })
    .await
    .expect("the change feed delivers a DAV change");
    assert_eq!(
        (got.kind, got.collection_id, got.modseq),
        (ChangeKind::DavObjectsChanged, Some(cal.id), r.modseq)
    );

    s.dav_collection_delete(a.id, cal.id).await.unwrap();
    let last = s.journal_after(head, 1000).await.unwrap();
    let last = last.iter().rfind(|e| e.account_id == a.id).unwrap();
    assert_eq!(
        (last.kind, last.collection_id),
        (ChangeKind::DavCollectionDeleted, Some(cal.id))
    );

    // Deleting the account removes its collections and objects.
    let cal = s.dav_collection_create(a.id, calendar("cal2")).await.unwrap();
    put(s, a.id, cal.id, event("g.ics", None, "g", span(0, None))).await;
    s.account_delete(a.id).await.unwrap();
    assert!(s.dav_collection_by_id(cal.id).await.unwrap().is_none());
    assert!(s.dav_object_get(cal.id, "g.ics").await.unwrap().is_none());
    assert!(s.dav_objects_in_span(cal.id, 0, 10).await.unwrap().is_empty());
}

/// Several clients write one calendar at once: create-only puts of one name have one winner,
/// puts of one UID under different names have one winner, and nothing is lost.
pub(super) async fn concurrent_puts(storage: &Storage) {
    let s = storage.store.clone();
    let a = account(&*s, "davrace.test", "a").await;
    let cal = s.dav_collection_create(a.id, calendar("cal")).await.unwrap();
    let run = |objects: Vec<(NewDavObject, EtagCondition)>| {
        let tasks: Vec<_> = objects
            .into_iter()
            .map(|(o, c)| {
                let s = s.clone();
                tokio::spawn(async move { s.dav_object_put(a.id, cal.id, o, c).await.unwrap() })
            })
            .collect();
        async move {
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        }
    };
    let same_name = run((0..8)
        .map(|i| {
            (
                event("same.ics", None, &format!("v{i}"), None),
                EtagCondition::Absent,
            )
        })
        .collect())
    .await;
    let winners = same_name
        .iter()
        .filter(|o| matches!(o, DavPutOutcome::Stored(_)))
        .count();
    assert_eq!(winners, 1, "one create-only put wins: {same_name:?}");
    let same_uid = run((0..8)
        .map(|i| {
            (
                event(&format!("u{i}.ics"), Some("shared"), "x", None),
                EtagCondition::Any,
            )
        })
        .collect())
    .await;
    let winners = same_uid
        .iter()
        .filter(|o| matches!(o, DavPutOutcome::Stored(_)))
        .count();
    assert_eq!(winners, 1, "one object gets the UID: {same_uid:?}");
    let distinct = run((0..20)
        .map(|i| {
            (
                event(&format!("d{i}.ics"), Some(&format!("d{i}")), "x", None),
                EtagCondition::Any,
            )
        })
        .collect())
    .await;
    let mut modseqs: Vec<ModSeq> = distinct.into_iter().map(|o| stored(o).modseq).collect();
    modseqs.sort_unstable();
    modseqs.dedup();
    assert_eq!(modseqs.len(), 20, "one modseq per put");
    assert_eq!(s.dav_object_list(cal.id).await.unwrap().len(), 22);
}

/// MOVE of a collection: renamed in place (same id, objects, sync state), journaled, refused
/// onto a name in use, for a bad name and for another account's collection.
pub(super) async fn renames(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "davrename.test", "a").await;
    let b = account(s, "davrename.test", "b").await;
    let work = s.dav_collection_create(a.id, calendar("work")).await.unwrap();
    s.dav_collection_create(a.id, calendar("home")).await.unwrap();
    put(s, a.id, work.id, event("one.ics", Some("one"), "one", None)).await;
    let before = collection(s, work.id).await;
    let head = s.journal_head().await.unwrap();

    let renamed = s.dav_collection_rename(a.id, work.id, "projects").await.unwrap();
    assert_eq!((renamed.id, renamed.name.as_str()), (work.id, "projects"));
    assert!(renamed.highest_modseq > before.highest_modseq);
    assert_eq!(
        s.dav_collection_get(a.id, "projects").await.unwrap().unwrap().id,
        work.id
    );
    assert!(s.dav_collection_get(a.id, "work").await.unwrap().is_none());
    assert!(
        s.dav_object_get(work.id, "one.ics").await.unwrap().is_some(),
        "objects stay"
    );
    let entries: Vec<(ChangeKind, Option<DavCollectionId>)> = s
        .journal_after(head, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.collection_id))
        .collect();
    assert_eq!(entries, vec![(ChangeKind::DavCollectionChanged, Some(work.id))]);
    // Its own name: nothing changes.
    let same = s.dav_collection_rename(a.id, work.id, "projects").await.unwrap();
    assert_eq!(same.highest_modseq, renamed.highest_modseq);

    let r = s.dav_collection_rename(a.id, work.id, "home").await;
    assert!(matches!(r, Err(StoreError::AlreadyExists(_))), "{r:?}");
    let r = s.dav_collection_rename(a.id, work.id, "a/b").await;
    assert!(matches!(r, Err(StoreError::Invalid { .. })), "{r:?}");
    let r = s.dav_collection_rename(b.id, work.id, "mine").await;
    assert!(matches!(r, Err(StoreError::NotFound(_))), "{r:?}");
    assert_eq!(collection(s, work.id).await.name, "projects", "nothing changed");
}
