//! Conformance: mailbox create/rename (with children)/delete/roles, UIDVALIDITY, subscriptions.

use super::*;

pub(super) async fn mailboxes(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "mailboxes.test", "a").await;
    let b = account(s, "mailboxes.test", "b").await;

    // INBOX matches case-insensitively; other names do not.
    let inbox = s
        .mailbox_get(a.id, "inbox")
        .await
        .unwrap()
        .expect("INBOX is found as `inbox`");
    assert_eq!(inbox.name, "INBOX");
    assert_eq!(s.mailbox_by_id(inbox.id).await.unwrap().unwrap(), inbox);
    assert!(
        s.mailbox_get(a.id, "sent").await.unwrap().is_none(),
        "only INBOX is case-insensitive"
    );
    assert!(s.mailbox_by_id(inbox.id + 1_000_000).await.unwrap().is_none());

    let m0 = modseq_of(s, a.id).await;
    let p = s.mailbox_create(a.id, "Projects", None).await.unwrap();
    assert_eq!(
        (p.name.as_str(), p.role, p.uidnext, p.message_count),
        ("Projects", None, 1, 0)
    );
    assert_eq!(p.account_id, a.id);
    let m1 = modseq_of(s, a.id).await;
    assert!(m1 > m0, "mailbox create increments the modseq");
    let pa = s.mailbox_create(a.id, "Projects/A", None).await.unwrap();
    let pab = s
        .mailbox_create(a.id, "Projects/A/B", Some(SpecialUse::Flagged))
        .await
        .unwrap();
    assert_eq!(pab.role, Some(SpecialUse::Flagged));
    let pother = s.mailbox_create(a.id, "ProjectsOther", None).await.unwrap();
    assert!(is_exists(&s.mailbox_create(a.id, "Projects", None).await));
    // Same name in another account is fine.
    s.mailbox_create(b.id, "Projects", None).await.unwrap();
    let all = [&p, &pa, &pab, &pother];
    let mut v: Vec<u32> = all.iter().map(|m| m.uidvalidity).collect();
    v.push(inbox.uidvalidity);
    v.sort_unstable();
    v.dedup();
    assert_eq!(v.len(), 5, "UIDVALIDITY differs per mailbox creation");

    // Rename with children; UIDVALIDITY and ids kept.
    let before = modseq_of(s, a.id).await;
    s.mailbox_rename(a.id, p.id, "Work").await.unwrap();
    assert!(modseq_of(s, a.id).await > before, "rename increments the modseq");
    let names: Vec<String> = s
        .mailbox_list(a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    for n in ["Work", "Work/A", "Work/A/B", "ProjectsOther"] {
        assert!(
            names.contains(&n.to_owned()),
            "{n} missing after rename: {names:?}"
        );
    }
    assert!(
        !names
            .iter()
            .any(|n| n == "Projects" || n.starts_with("Projects/")),
        "{names:?}"
    );
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "mailbox_list is ordered by name");
    let w = mailbox(s, a.id, "Work").await;
    assert_eq!(
        (w.id, w.uidvalidity),
        (p.id, p.uidvalidity),
        "rename keeps id and UIDVALIDITY"
    );
    let wab = mailbox(s, a.id, "Work/A/B").await;
    assert_eq!(
        (wab.id, wab.uidvalidity, wab.role),
        (pab.id, pab.uidvalidity, Some(SpecialUse::Flagged))
    );
    assert_eq!(
        mailbox(s, a.id, "ProjectsOther").await.id,
        pother.id,
        "sibling with a common prefix untouched"
    );
    assert_eq!(
        mailbox(s, b.id, "Projects").await.account_id,
        b.id,
        "other account untouched"
    );
    assert!(
        is_exists(&s.mailbox_rename(a.id, pa.id, "ProjectsOther").await),
        "rename onto an existing name"
    );
    assert!(is_not_found(
        &s.mailbox_rename(a.id, pa.id + 1_000_000, "Zzz").await
    ));

    // Roles.
    let before = modseq_of(s, a.id).await;
    s.mailbox_set_role(a.id, w.id, Some(SpecialUse::All))
        .await
        .unwrap();
    assert_eq!(mailbox(s, a.id, "Work").await.role, Some(SpecialUse::All));
    assert!(
        modseq_of(s, a.id).await > before,
        "role change increments the modseq"
    );
    s.mailbox_set_role(a.id, w.id, None).await.unwrap();
    assert_eq!(mailbox(s, a.id, "Work").await.role, None);

    // Delete: children are not touched; a recreated mailbox gets a new UIDVALIDITY.
    let before = modseq_of(s, a.id).await;
    s.mailbox_delete(a.id, pa.id).await.unwrap();
    assert!(modseq_of(s, a.id).await > before, "delete increments the modseq");
    assert!(s.mailbox_by_id(pa.id).await.unwrap().is_none());
    assert!(
        s.mailbox_get(a.id, "Work/A/B").await.unwrap().is_some(),
        "children are not deleted"
    );
    let again = s.mailbox_create(a.id, "Work/A", None).await.unwrap();
    assert_ne!(
        again.uidvalidity, pa.uidvalidity,
        "recreated mailbox gets a new UIDVALIDITY"
    );
    assert!(is_not_found(&s.mailbox_delete(a.id, pa.id).await));
    // A mailbox of another account is not reachable through this account.
    let bp = mailbox(s, b.id, "Projects").await;
    assert!(
        s.mailbox_delete(a.id, bp.id).await.is_err(),
        "deleting another account's mailbox fails"
    );
    assert!(s.mailbox_get(b.id, "Projects").await.unwrap().is_some());

    // Journal kinds for mailbox-level changes.
    let entries = s.journal_after(0, 100_000).await.unwrap();
    let kinds: Vec<ChangeKind> = entries
        .iter()
        .filter(|e| e.account_id == a.id)
        .map(|e| e.kind)
        .collect();
    for k in [
        ChangeKind::MailboxCreated,
        ChangeKind::MailboxRenamed,
        ChangeKind::MailboxDeleted,
    ] {
        assert!(kinds.contains(&k), "journal lacks {k:?}: {kinds:?}");
    }
    let created = entries
        .iter()
        .find(|e| e.kind == ChangeKind::MailboxDeleted && e.account_id == a.id)
        .unwrap();
    assert_eq!(created.mailbox_id, Some(pa.id));
}

pub(super) async fn subscriptions(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "subs.test", "a").await;
    let before = modseq_of(s, a.id).await;
    s.subscription_set(a.id, "Does/Not/Exist", true).await.unwrap();
    assert!(
        modseq_of(s, a.id).await > before,
        "subscription change increments the modseq"
    );
    s.subscription_set(a.id, "Does/Not/Exist", true).await.unwrap();
    let subs = s.subscription_list(a.id).await.unwrap();
    assert_eq!(
        subs.iter().filter(|n| *n == "Does/Not/Exist").count(),
        1,
        "subscribing twice keeps one"
    );
    s.subscription_set(a.id, "Junk", false).await.unwrap();
    s.subscription_set(a.id, "Never", false).await.unwrap();
    let subs = s.subscription_list(a.id).await.unwrap();
    assert!(
        !subs.contains(&"Junk".to_owned()) && subs.contains(&"INBOX".to_owned()),
        "{subs:?}"
    );
    let entries = s.journal_after(0, 100_000).await.unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.account_id == a.id && e.kind == ChangeKind::SubscriptionChanged)
    );
}
