//! Conformance: access control lists (RFC 4314 §2: entries, journal, rename/delete/account
//! delete) and per-user `\Seen` on shared mailboxes (RFC 4314 §4: private state, the owner's
//! modseq sequence, CONDSTORE changes, unseen counts).

use super::*;

fn entry(identifier: &str, rights: &str) -> AclEntry {
    AclEntry {
        identifier: identifier.to_owned(),
        rights: rights.to_owned(),
    }
}

fn acl_entries(store_entries: &[JournalEntry], account: AccountId, mailbox: MailboxId) -> Vec<ModSeq> {
    store_entries
        .iter()
        .filter(|e| {
            e.account_id == account && e.kind == ChangeKind::AclChanged && e.mailbox_id == Some(mailbox)
        })
        .map(|e| e.modseq)
        .collect()
}

pub(super) async fn acl(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "acl.test", "a").await;
    let b = account(s, "acl.test", "b").await;
    let c = account(s, "acl.test", "c").await;
    let shared = s.mailbox_create(a.id, "Shared", None).await.unwrap();
    let sub = s.mailbox_create(a.id, "Shared/Sub", None).await.unwrap();
    assert!(
        s.acl_list(shared.id).await.unwrap().is_empty(),
        "a new mailbox has no ACL"
    );

    // Set: addresses are lower-cased, a new modseq of the owner, one AclChanged entry.
    let before = modseq_of(s, a.id).await;
    let b_before = modseq_of(s, b.id).await;
    let m1 = s.acl_set(a.id, shared.id, "B@Acl.Test", "lrs").await.unwrap();
    assert!(m1 > before, "an ACL change takes a new modseq of the owner");
    assert_eq!(modseq_of(s, a.id).await, m1);
    assert_eq!(
        modseq_of(s, b.id).await,
        b_before,
        "the grantee's modseq is untouched"
    );
    let journal = s.journal_after(0, 100_000).await.unwrap();
    assert_eq!(
        acl_entries(&journal, a.id, shared.id),
        [m1],
        "one AclChanged entry"
    );
    assert_eq!(s.acl_list(shared.id).await.unwrap(), [entry("b@acl.test", "lrs")]);
    // Setting the same rights changes nothing.
    assert_eq!(s.acl_set(a.id, shared.id, "b@acl.test", "lrs").await.unwrap(), 0);
    assert_eq!(modseq_of(s, a.id).await, m1, "an unchanged ACL takes no modseq");
    // Replace, and more identifiers: `anyone`, negative rights, a group, kept as given.
    let m2 = s.acl_set(a.id, shared.id, "b@acl.test", "lrswi").await.unwrap();
    assert!(m2 > m1);
    s.acl_set(a.id, shared.id, "anyone", "l").await.unwrap();
    s.acl_set(a.id, shared.id, "-b@ACL.test", "w").await.unwrap();
    s.acl_set(a.id, shared.id, "team@acl.test", "lr").await.unwrap();
    s.acl_set(a.id, sub.id, "c@acl.test", "lr").await.unwrap();
    assert_eq!(
        s.acl_list(shared.id).await.unwrap(),
        [
            entry("-b@acl.test", "w"),
            entry("anyone", "l"),
            entry("b@acl.test", "lrswi"),
            entry("team@acl.test", "lr"),
        ],
        "ordered by identifier, byte-wise"
    );

    // Bad requests.
    assert!(
        matches!(
            s.acl_set(a.id, shared.id, "  ", "l").await,
            Err(StoreError::Invalid { .. })
        ),
        "an empty identifier is invalid"
    );
    assert!(
        s.acl_set(b.id, shared.id, "c@acl.test", "l").await.is_err(),
        "only the owner's account can change the ACL of its mailbox"
    );
    assert!(is_not_found(
        &s.acl_set(a.id, shared.id + 1_000_000, "c@acl.test", "l").await
    ));
    assert!(
        s.acl_list(shared.id)
            .await
            .unwrap()
            .iter()
            .all(|e| e.identifier != "c@acl.test")
    );

    // Shared-with: one call, owner address and whole ACL, ordered by owner then name.
    let for_b = s
        .acl_shared_with(&["B@acl.test".to_owned(), "team@acl.test".to_owned()])
        .await
        .unwrap();
    let for_b: Vec<&SharedMailbox> = for_b.iter().filter(|m| m.mailbox.account_id == a.id).collect();
    assert_eq!(for_b.len(), 1, "{for_b:?}");
    assert_eq!(for_b[0].owner, "a@acl.test");
    assert_eq!(for_b[0].mailbox.id, shared.id);
    assert_eq!(for_b[0].acl, s.acl_list(shared.id).await.unwrap());
    let for_c = s
        .acl_shared_with(&["c@acl.test".to_owned(), "anyone".to_owned()])
        .await
        .unwrap();
    let names: Vec<&str> = for_c
        .iter()
        .filter(|m| m.mailbox.account_id == a.id)
        .map(|m| m.mailbox.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["Shared", "Shared/Sub"],
        "anyone's and c's mailboxes, by name"
    );
    assert!(s.acl_shared_with(&[]).await.unwrap().is_empty());
    assert!(
        s.acl_shared_with(&["nobody@acl.test".to_owned()])
            .await
            .unwrap()
            .is_empty()
    );

    // Rename keeps the ACL (of the children too).
    s.mailbox_rename(a.id, shared.id, "Team").await.unwrap();
    assert_eq!(
        s.acl_list(shared.id).await.unwrap().len(),
        4,
        "rename keeps the ACL"
    );
    assert_eq!(s.acl_list(sub.id).await.unwrap(), [entry("c@acl.test", "lr")]);
    let renamed = s.acl_shared_with(&["b@acl.test".to_owned()]).await.unwrap();
    assert!(
        renamed
            .iter()
            .any(|m| m.mailbox.id == shared.id && m.mailbox.name == "Team")
    );

    // Delete one identifier; deleting a missing one (or empty rights) changes nothing.
    let before = modseq_of(s, a.id).await;
    let m3 = s.acl_delete(a.id, shared.id, "anyone").await.unwrap();
    assert!(m3 > before);
    assert_eq!(s.acl_delete(a.id, shared.id, "anyone").await.unwrap(), 0);
    assert_eq!(modseq_of(s, a.id).await, m3);
    let m4 = s.acl_set(a.id, shared.id, "team@acl.test", "").await.unwrap();
    assert!(m4 > m3, "empty rights remove the entry");
    assert_eq!(
        s.acl_list(shared.id).await.unwrap(),
        [entry("-b@acl.test", "w"), entry("b@acl.test", "lrswi")]
    );
    assert!(s.acl_delete(b.id, shared.id, "b@acl.test").await.is_err());

    // Account delete: its entries leave other accounts' ACLs (positive and negative), journaled
    // for the owner: one new modseq for all of the owner's mailboxes concerned.
    s.acl_set(a.id, sub.id, "b@acl.test", "l").await.unwrap();
    let before = modseq_of(s, a.id).await;
    s.account_delete(b.id).await.unwrap();
    assert!(
        s.acl_list(shared.id).await.unwrap().is_empty(),
        "b's entries are gone"
    );
    let after = modseq_of(s, a.id).await;
    assert_eq!(
        after,
        before + 1,
        "removing b's entries is one change of a's ACLs"
    );
    let journal = s.journal_after(0, 100_000).await.unwrap();
    assert!(acl_entries(&journal, a.id, shared.id).contains(&after));
    assert!(acl_entries(&journal, a.id, sub.id).contains(&after));
    assert_eq!(
        s.acl_list(sub.id).await.unwrap(),
        [entry("c@acl.test", "lr")],
        "c's entry stays"
    );

    // Mailbox delete removes its ACL.
    s.mailbox_delete(a.id, sub.id).await.unwrap();
    assert!(s.acl_list(sub.id).await.unwrap().is_empty());
    assert!(
        !s.acl_shared_with(&["c@acl.test".to_owned()])
            .await
            .unwrap()
            .iter()
            .any(|m| m.mailbox.id == sub.id)
    );

    // The owner's account delete removes its mailboxes' ACLs.
    s.acl_set(a.id, shared.id, "c@acl.test", "lr").await.unwrap();
    s.account_delete(a.id).await.unwrap();
    assert!(s.acl_list(shared.id).await.unwrap().is_empty());
    assert!(
        !s.acl_shared_with(&["c@acl.test".to_owned()])
            .await
            .unwrap()
            .iter()
            .any(|m| m.mailbox.id == shared.id)
    );
    s.account_delete(c.id).await.unwrap();
}

pub(super) async fn private_seen(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "pvtseen.test", "a").await;
    let b = account(s, "pvtseen.test", "b").await;
    let c = account(s, "pvtseen.test", "c").await;
    let mb = s.mailbox_create(a.id, "Shared", None).await.unwrap();
    let msgs = (1..=4)
        .map(|i| new_message(storage, mb.id, &format!("pvt{i}"), b""))
        .collect();
    let appended = s.append(a.id, msgs).await.unwrap();
    let uids: Vec<Uid> = appended.iter().map(|x| x.uid).collect();
    assert_eq!(uids, [1, 2, 3, 4]);

    assert!(s.private_seen(b.id, mb.id).await.unwrap().is_empty());
    assert_eq!(s.private_unseen_count(b.id, mb.id).await.unwrap(), 4);

    // Set: the owner's modseq sequence, the mailbox's HIGHESTMODSEQ, a FlagsChanged entry.
    let (a0, b0) = (modseq_of(s, a.id).await, modseq_of(s, b.id).await);
    let up = s
        .private_seen_store(b.id, mb.id, &UidSet::from_ranges([(1, 2)]), true)
        .await
        .unwrap();
    assert_eq!(up.changed, [1, 2]);
    assert!(up.modseq > a0);
    assert_eq!(
        modseq_of(s, a.id).await,
        up.modseq,
        "the owner's counter gives the modseq"
    );
    assert_eq!(modseq_of(s, b.id).await, b0, "the viewer's modseq is untouched");
    let now = mailbox(s, a.id, "Shared").await;
    assert_eq!(
        now.highest_modseq, up.modseq,
        "HIGHESTMODSEQ covers private changes"
    );
    assert_eq!(now.unseen_count, 4, "the owner's unseen count is the owner's");
    let journal = s.journal_after(0, 100_000).await.unwrap();
    let e = journal
        .iter()
        .find(|e| e.account_id == a.id && e.modseq == up.modseq)
        .expect("a journal entry for the owner");
    assert_eq!(
        (e.kind, e.mailbox_id, e.uids.clone()),
        (
            ChangeKind::FlagsChanged,
            Some(mb.id),
            UidSet::from_ranges([(1, 2)])
        )
    );
    // The messages' own \Seen (the owner's) is untouched.
    assert!(
        s.message_summaries(mb.id)
            .await
            .unwrap()
            .iter()
            .all(|m| !m.flags.has(flag::SEEN))
    );
    assert_eq!(
        s.private_seen(b.id, mb.id).await.unwrap(),
        UidSet::from_ranges([(1, 2)])
    );
    assert_eq!(s.private_unseen_count(b.id, mb.id).await.unwrap(), 2);
    assert!(
        s.private_seen(c.id, mb.id).await.unwrap().is_empty(),
        "per viewer"
    );
    assert_eq!(s.private_unseen_count(c.id, mb.id).await.unwrap(), 4);

    // Unchanged state and UIDs without messages change nothing.
    let again = s
        .private_seen_store(b.id, mb.id, &UidSet::from_uids([1, 2, 99]), true)
        .await
        .unwrap();
    assert_eq!(again, SeenUpdate::default());
    assert_eq!(modseq_of(s, a.id).await, up.modseq);
    let none = s
        .private_seen_store(b.id, mb.id, &UidSet::from_uids([3]), false)
        .await
        .unwrap();
    assert_eq!(
        none,
        SeenUpdate::default(),
        "clearing what is not set changes nothing"
    );

    // Clear, and CONDSTORE changes (set and cleared) since a modseq.
    let cl = s
        .private_seen_store(b.id, mb.id, &UidSet::from_uids([2, 3]), false)
        .await
        .unwrap();
    assert_eq!(cl.changed, [2]);
    assert!(cl.modseq > up.modseq);
    assert_eq!(
        s.private_seen_changes(b.id, mb.id, up.modseq).await.unwrap(),
        [PrivateSeen {
            uid: 2,
            seen: false,
            modseq: cl.modseq
        }]
    );
    assert_eq!(
        s.private_seen_changes(b.id, mb.id, 0).await.unwrap(),
        [
            PrivateSeen {
                uid: 1,
                seen: true,
                modseq: up.modseq
            },
            PrivateSeen {
                uid: 2,
                seen: false,
                modseq: cl.modseq
            },
        ]
    );
    assert!(
        s.private_seen_changes(b.id, mb.id, cl.modseq)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.private_unseen_count(b.id, mb.id).await.unwrap(), 3);
    // Whole-mailbox set, as `STORE 1:* +FLAGS (\Seen)` by the viewer.
    let all = s
        .private_seen_store(c.id, mb.id, &UidSet::all(), true)
        .await
        .unwrap();
    assert_eq!(all.changed, [1, 2, 3, 4]);
    assert_eq!(s.private_unseen_count(c.id, mb.id).await.unwrap(), 0);

    // The owner's \Seen is the message flag.
    assert!(matches!(
        s.private_seen_store(a.id, mb.id, &UidSet::all(), true).await,
        Err(StoreError::Invalid { .. })
    ));
    assert!(is_not_found(
        &s.private_seen_store(b.id, mb.id + 1_000_000, &UidSet::all(), true)
            .await
    ));
    assert!(
        s.private_seen_store(b.id + 1_000_000, mb.id, &UidSet::all(), true)
            .await
            .is_err(),
        "an unknown viewer is refused"
    );

    // Expunged messages leave the private state.
    s.store_flags(
        a.id,
        mb.id,
        &UidSet::from_uids([1]),
        FlagOp::Add,
        &flags(flag::DELETED, &[]),
        None,
    )
    .await
    .unwrap();
    assert_eq!(s.expunge(a.id, mb.id, None).await.unwrap(), [1]);
    assert!(s.private_seen(b.id, mb.id).await.unwrap().is_empty());
    assert!(
        s.private_seen_changes(b.id, mb.id, 0)
            .await
            .unwrap()
            .iter()
            .all(|p| p.uid != 1)
    );
    assert_eq!(s.private_unseen_count(b.id, mb.id).await.unwrap(), 3);
    assert_eq!(
        s.private_seen(c.id, mb.id).await.unwrap(),
        UidSet::from_ranges([(2, 4)])
    );

    // Account deletes: the viewer's rows go with it, the mailbox's with the owner.
    s.account_delete(c.id).await.unwrap();
    assert!(s.private_seen(c.id, mb.id).await.unwrap().is_empty());
    s.account_delete(a.id).await.unwrap();
    assert!(s.private_seen(b.id, mb.id).await.unwrap().is_empty());
    assert_eq!(s.private_unseen_count(b.id, mb.id).await.unwrap(), 0);
}
