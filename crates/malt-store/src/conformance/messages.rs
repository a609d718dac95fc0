//! Conformance: append, fetch, threads, quota, flags, copy/move, expunge, changes, journal,
//! the change feed, concurrency and consistency.

use std::time::Duration;

use super::*;

/// Appends `n` messages to one mailbox in one call; returns their results.
async fn append_n(
    storage: &Storage,
    account: AccountId,
    mailbox: MailboxId,
    tag: &str,
    n: usize,
) -> Vec<Appended> {
    let msgs: Vec<NewMessage> = (0..n)
        .map(|i| new_message(storage, mailbox, &format!("{tag}-{i}"), b""))
        .collect();
    storage.store.append(account, msgs).await.unwrap()
}

pub(super) async fn append_and_fetch(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "append.test", "a").await;
    let inbox = mailbox(s, a.id, "INBOX").await;
    let sent = mailbox(s, a.id, "Sent").await;

    let m0 = modseq_of(s, a.id).await;
    let mut n1 = new_message(storage, inbox.id, "first", b"");
    n1.flags = flags(flag::SEEN, &["$Label1"]);
    n1.internal_date = 1_700_000_123;
    let r1 = s.append(a.id, vec![n1.clone()]).await.unwrap();
    assert_eq!(r1.len(), 1);
    let r1 = r1[0];
    assert_eq!(
        (r1.mailbox_id, r1.uid, r1.uidvalidity),
        (inbox.id, 1, inbox.uidvalidity)
    );
    assert!(r1.modseq > m0, "append gets a new modseq");
    assert_eq!(
        modseq_of(s, a.id).await,
        r1.modseq,
        "the account's modseq is the append's"
    );

    // MULTIAPPEND to two mailboxes: one modseq, UIDs in order.
    let n2 = new_message(storage, inbox.id, "second", b"xx");
    let n3 = new_message(storage, sent.id, "third", b"");
    let n4 = new_message(storage, inbox.id, "fourth", b"yyy");
    let r = s
        .append(a.id, vec![n2.clone(), n3.clone(), n4.clone()])
        .await
        .unwrap();
    assert_eq!(r.len(), 3);
    assert!(
        r.iter().all(|x| x.modseq == r[0].modseq),
        "one modseq per append call"
    );
    assert!(r[0].modseq > r1.modseq);
    assert_eq!((r[0].mailbox_id, r[0].uid), (inbox.id, 2));
    assert_eq!((r[1].mailbox_id, r[1].uid), (sent.id, 1));
    assert_eq!((r[2].mailbox_id, r[2].uid), (inbox.id, 3));
    let ids: Vec<MessageId> = [r1.message_id, r[0].message_id, r[1].message_id, r[2].message_id].into();
    let mut dedup = ids.clone();
    dedup.sort_unstable();
    dedup.dedup();
    assert_eq!(dedup.len(), 4, "message ids are unique");

    // Counters.
    let ib = mailbox(s, a.id, "INBOX").await;
    assert_eq!(ib.uidnext, 4);
    assert_eq!(ib.message_count, 3);
    assert_eq!(ib.unseen_count, 2, "the first message was appended \\Seen");
    assert_eq!(ib.total_size, n1.size + n2.size + n4.size);
    assert_eq!(ib.highest_modseq, r[0].modseq);
    assert_eq!(ib.uidvalidity, inbox.uidvalidity);
    let sb = mailbox(s, a.id, "Sent").await;
    assert_eq!(
        (sb.uidnext, sb.message_count, sb.unseen_count, sb.total_size),
        (2, 1, 1, n3.size)
    );
    let acc = s.account_get(a.id).await.unwrap().unwrap();
    let total = n1.size + n2.size + n3.size + n4.size;
    assert_eq!((acc.used_bytes, acc.message_count), (total, 4));
    assert_eq!(
        s.quota(a.id).await.unwrap(),
        QuotaUsage {
            used_bytes: total,
            limit_bytes: None,
            message_count: 4
        }
    );

    // Summaries and full records.
    let sums = s.message_summaries(inbox.id).await.unwrap();
    let uids: Vec<Uid> = sums.iter().map(|m| m.uid).collect();
    assert_eq!(uids, vec![1, 2, 3]);
    assert_eq!(sums[0].flags, flags(flag::SEEN, &["$Label1"]));
    assert_eq!(sums[0].modseq, r1.modseq);
    assert_eq!(sums[1].flags, Flags::default());
    let msgs = s.messages(inbox.id, &UidSet::all()).await.unwrap();
    assert_eq!(msgs.len(), 3);
    let m = &msgs[0];
    assert_eq!(
        (m.id, m.mailbox_id, m.uid, m.modseq),
        (r1.message_id, inbox.id, 1, r1.modseq)
    );
    assert_eq!(m.flags, n1.flags);
    assert_eq!(m.internal_date, 1_700_000_123);
    assert!(m.save_date > 1_600_000_000, "save_date is unix seconds");
    assert_eq!((m.size, m.blob_id.as_str()), (n1.size, n1.blob_id.as_str()));
    assert_eq!(m.meta, n1.meta, "metadata round-trips");
    assert_eq!(msgs[2].meta, n4.meta);
    let some = s
        .messages(inbox.id, &UidSet::from_uids([3, 1, 99]))
        .await
        .unwrap();
    assert_eq!(some.iter().map(|m| m.uid).collect::<Vec<_>>(), vec![1, 3]);
    assert!(s.messages(inbox.id, &UidSet::default()).await.unwrap().is_empty());
    // Summaries of a UID set: only those, ascending, the same as the whole-mailbox read.
    let some = s
        .message_summaries_in(inbox.id, &UidSet::from_uids([3, 1, 99]))
        .await
        .unwrap();
    assert_eq!(
        some,
        vec![sums[0].clone(), sums[2].clone()],
        "summaries of a UID set"
    );
    assert!(
        s.message_summaries_in(inbox.id, &UidSet::default())
            .await
            .unwrap()
            .is_empty()
    );
    let raw = storage.blobs.get(&m.blob_id).unwrap();
    assert_eq!(raw.len() as u64, m.size, "the blob is the message");

    // Appending to a mailbox of another account, or a missing one, fails and writes nothing.
    let b = account(s, "append.test", "b").await;
    let before = modseq_of(s, b.id).await;
    let r = s
        .append(b.id, vec![new_message(storage, inbox.id, "foreign", b"")])
        .await;
    assert!(r.is_err(), "append into another account's mailbox must fail");
    let r = s
        .append(
            b.id,
            vec![new_message(storage, inbox.id + 1_000_000, "missing", b"")],
        )
        .await;
    assert!(r.is_err(), "append into a missing mailbox must fail");
    assert_eq!(modseq_of(s, b.id).await, before);
    assert_eq!(mailbox(s, a.id, "INBOX").await.message_count, 3);

    // Referenced blobs: distinct, containing ours.
    let refs = s.referenced_blobs().await.unwrap();
    assert!(refs.contains(&n1.blob_id) && refs.contains(&n4.blob_id));
    let mut d = refs.clone();
    d.sort();
    d.dedup();
    assert_eq!(d.len(), refs.len(), "referenced_blobs has no duplicates");
}

pub(super) async fn threads(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "threads.test", "a").await;
    let b = account(s, "threads.test", "b").await;
    let inbox = mailbox(s, a.id, "INBOX").await;
    let sent = mailbox(s, a.id, "Sent").await;
    let root = new_message(storage, inbox.id, "thread-root", b"");
    let r = s.append(a.id, vec![root]).await.unwrap()[0];
    let reply = new_message_threaded(
        storage,
        sent.id,
        "thread-reply",
        b"",
        Some("<thread-root@conformance.test>"),
    );
    let other = new_message(storage, inbox.id, "thread-other", b"");
    let rr = s.append(a.id, vec![reply, other]).await.unwrap();
    let root_msg = &s.messages(inbox.id, &UidSet::from_uids([r.uid])).await.unwrap()[0];
    let reply_msg = &s
        .messages(sent.id, &UidSet::from_uids([rr[0].uid]))
        .await
        .unwrap()[0];
    let other_msg = &s
        .messages(inbox.id, &UidSet::from_uids([rr[1].uid]))
        .await
        .unwrap()[0];
    assert_eq!(
        root_msg.thread_id, root_msg.id,
        "a new conversation's thread id is its own id"
    );
    assert_eq!(
        reply_msg.thread_id, root_msg.thread_id,
        "a reply joins its parent's thread"
    );
    assert_eq!(
        other_msg.thread_id, other_msg.id,
        "an unrelated message starts its own thread"
    );
    // Threads are per account.
    let binbox = mailbox(s, b.id, "INBOX").await;
    let breply = new_message_threaded(
        storage,
        binbox.id,
        "thread-b",
        b"",
        Some("<thread-root@conformance.test>"),
    );
    let br = s.append(b.id, vec![breply]).await.unwrap()[0];
    let bmsg = &s.messages(binbox.id, &UidSet::from_uids([br.uid])).await.unwrap()[0];
    assert_eq!(bmsg.thread_id, bmsg.id, "threads do not cross accounts");
}

pub(super) async fn quota_and_atomicity(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "quota.test", "a").await;
    let inbox = mailbox(s, a.id, "INBOX").await;
    let trash = mailbox(s, a.id, "Trash").await;
    let first = new_message(storage, inbox.id, "q-first", &[b'x'; 100]);
    let limit = first.size + 50;
    s.account_set_quota(a.id, Some(limit)).await.unwrap();
    s.append(a.id, vec![first.clone()]).await.unwrap();
    let used = first.size;

    let snapshot = |m: &Mailbox| (m.uidnext, m.message_count, m.total_size, m.highest_modseq);
    let ib0 = mailbox(s, a.id, "INBOX").await;
    let tb0 = mailbox(s, a.id, "Trash").await;
    let m0 = modseq_of(s, a.id).await;
    let head0 = s.journal_head().await.unwrap();

    // Over quota: refused with the numbers, nothing written.
    let big = new_message(storage, inbox.id, "q-big", &[b'y'; 100]);
    match s.append(a.id, vec![big.clone()]).await {
        Err(StoreError::OverQuota {
            used: u,
            limit: l,
            needed,
        }) => {
            assert_eq!((u, l, needed), (used, limit, big.size));
        }
        other => panic!("append over quota must be OverQuota, got {other:?}"),
    }
    // Two messages into two mailboxes over quota together: all or nothing.
    let small1 = new_message(storage, trash.id, "q-s1", b"");
    let small2 = new_message(storage, inbox.id, "q-s2", b"");
    let r = s.append(a.id, vec![small1.clone(), small2.clone()]).await;
    assert!(
        matches!(r, Err(StoreError::OverQuota { .. })),
        "quota is checked on the batch total: {r:?}"
    );
    // A batch where one message targets a missing mailbox: nothing of it is written.
    s.account_set_quota(a.id, None).await.unwrap();
    let m1 = modseq_of(s, a.id).await;
    let good = new_message(storage, trash.id, "q-good", b"");
    let bad = new_message(storage, inbox.id + 1_000_000, "q-bad", b"");
    assert!(
        s.append(a.id, vec![good, bad]).await.is_err(),
        "MULTIAPPEND with a bad mailbox fails whole"
    );
    assert_eq!(modseq_of(s, a.id).await, m1);
    assert!(m1 > m0, "only the quota change bumped the modseq");
    assert_eq!(
        snapshot(&mailbox(s, a.id, "INBOX").await),
        snapshot(&ib0),
        "nothing half-written"
    );
    assert_eq!(
        snapshot(&mailbox(s, a.id, "Trash").await),
        snapshot(&tb0),
        "nothing half-written"
    );
    let q = s.quota(a.id).await.unwrap();
    assert_eq!((q.used_bytes, q.message_count), (used, 1));
    let journal = s.journal_after(head0, 1000).await.unwrap();
    assert!(
        journal
            .iter()
            .all(|e| e.account_id != a.id || e.kind == ChangeKind::AccountChanged),
        "no journal rows for refused appends: {journal:?}"
    );

    // Exactly at the limit is allowed.
    s.account_set_quota(a.id, Some(used + small1.size)).await.unwrap();
    s.append(a.id, vec![small1.clone()]).await.unwrap();
    let q = s.quota(a.id).await.unwrap();
    assert_eq!(q.used_bytes, used + small1.size);

    // Copy is quota-checked too.
    let r = s.copy(a.id, inbox.id, &UidSet::all(), trash.id).await;
    assert!(
        matches!(r, Err(StoreError::OverQuota { .. })),
        "copy over quota: {r:?}"
    );
    assert_eq!(s.quota(a.id).await.unwrap().message_count, 2);
    // Move does not change usage, so it is allowed at the limit.
    s.move_messages(a.id, inbox.id, &UidSet::all(), trash.id)
        .await
        .unwrap();
    assert_eq!(s.quota(a.id).await.unwrap().used_bytes, used + small1.size);
}

pub(super) async fn flag_updates(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "flags.test", "a").await;
    let inbox = mailbox(s, a.id, "INBOX").await;
    let ap = append_n(storage, a.id, inbox.id, "flags", 5).await;
    let append_modseq = ap[0].modseq;
    assert_eq!(mailbox(s, a.id, "INBOX").await.unseen_count, 5);

    // Add \Seen to 1:3.
    let u = s
        .store_flags(
            a.id,
            inbox.id,
            &UidSet::from_ranges([(1, 3)]),
            FlagOp::Add,
            &flags(flag::SEEN, &[]),
            None,
        )
        .await
        .unwrap();
    assert!(u.modseq > append_modseq);
    assert_eq!(u.changed.iter().map(|c| c.uid).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert!(
        u.changed
            .iter()
            .all(|c| c.modseq == u.modseq && c.flags == flags(flag::SEEN, &[]))
    );
    assert!(u.modified.is_empty());
    let ib = mailbox(s, a.id, "INBOX").await;
    assert_eq!(ib.unseen_count, 2);
    assert_eq!(ib.highest_modseq, u.modseq);
    assert_eq!(modseq_of(s, a.id).await, u.modseq);

    // Add \Seen to 1:5: only 4 and 5 change; 1..3 keep their modseq.
    let u2 = s
        .store_flags(
            a.id,
            inbox.id,
            &UidSet::all(),
            FlagOp::Add,
            &flags(flag::SEEN, &[]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        u2.changed.iter().map(|c| c.uid).collect::<Vec<_>>(),
        vec![4, 5],
        "no-op messages untouched"
    );
    let sums = s.message_summaries(inbox.id).await.unwrap();
    assert_eq!(
        sums.iter().map(|m| m.modseq).collect::<Vec<_>>(),
        vec![u.modseq, u.modseq, u.modseq, u2.modseq, u2.modseq]
    );
    assert_eq!(mailbox(s, a.id, "INBOX").await.unseen_count, 0);

    // Nothing changes: modseq 0, no changes.
    let u3 = s
        .store_flags(
            a.id,
            inbox.id,
            &UidSet::all(),
            FlagOp::Add,
            &flags(flag::SEEN, &[]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (u3.modseq, u3.changed.len(), u3.modified.len()),
        (0, 0, 0),
        "{u3:?}"
    );

    // Keywords (case-insensitive dedup, case preserved), remove, set.
    let u4 = s
        .store_flags(
            a.id,
            inbox.id,
            &UidSet::from_uids([2]),
            FlagOp::Add,
            &flags(flag::FLAGGED, &["$Work", "Todo"]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        u4.changed[0].flags,
        flags(flag::SEEN | flag::FLAGGED, &["$Work", "Todo"])
    );
    s.store_flags(
        a.id,
        inbox.id,
        &UidSet::from_uids([2]),
        FlagOp::Add,
        &flags(0, &["$work"]),
        None,
    )
    .await
    .unwrap();
    let u5 = s
        .store_flags(
            a.id,
            inbox.id,
            &UidSet::from_uids([2]),
            FlagOp::Remove,
            &flags(flag::SEEN, &["TODO"]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(u5.changed[0].flags, flags(flag::FLAGGED, &["$Work"]));
    assert_eq!(mailbox(s, a.id, "INBOX").await.unseen_count, 1);
    let u6 = s
        .store_flags(
            a.id,
            inbox.id,
            &UidSet::from_uids([2, 3]),
            FlagOp::Set,
            &flags(flag::ANSWERED, &["Done"]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(u6.changed.len(), 2);
    let m = s.messages(inbox.id, &UidSet::from_uids([2, 3])).await.unwrap();
    assert!(
        m.iter()
            .all(|m| m.flags == flags(flag::ANSWERED, &["Done"]) && m.modseq == u6.modseq)
    );
    assert_eq!(
        mailbox(s, a.id, "INBOX").await.unseen_count,
        2,
        "\\Seen removed from 2 and 3 by SET"
    );

    // UNCHANGEDSINCE (RFC 7162 §3.1.3): 2 and 3 have modseq u6 > u5; 1, 4, 5 are older.
    let u7 = s
        .store_flags(
            a.id,
            inbox.id,
            &UidSet::all(),
            FlagOp::Add,
            &flags(flag::DRAFT, &[]),
            Some(u5.modseq),
        )
        .await
        .unwrap();
    assert_eq!(
        u7.modified,
        vec![2, 3],
        "messages changed since are reported in MODIFIED"
    );
    assert_eq!(
        u7.changed.iter().map(|c| c.uid).collect::<Vec<_>>(),
        vec![1, 4, 5]
    );
    let m = s.messages(inbox.id, &UidSet::from_uids([2])).await.unwrap();
    assert!(!m[0].flags.has(flag::DRAFT), "MODIFIED messages are not changed");
    // Equal modseq passes the test (modseq <= unchanged_since).
    let u8 = s
        .store_flags(
            a.id,
            inbox.id,
            &UidSet::from_uids([2]),
            FlagOp::Add,
            &flags(flag::DRAFT, &[]),
            Some(u6.modseq),
        )
        .await
        .unwrap();
    assert!(u8.modified.is_empty() && u8.changed.len() == 1);
    // UNCHANGEDSINCE with a keyword change: 1, 4, 5 (u7) and 2 (u8) are newer than u6.
    let u9 = s
        .store_flags(
            a.id,
            inbox.id,
            &UidSet::all(),
            FlagOp::Add,
            &flags(0, &["Late"]),
            Some(u6.modseq),
        )
        .await
        .unwrap();
    assert_eq!(u9.modified, vec![1, 2, 4, 5]);
    assert_eq!(u9.changed.iter().map(|c| c.uid).collect::<Vec<_>>(), vec![3]);
    assert_eq!(u9.changed[0].flags, flags(flag::ANSWERED, &["Done", "Late"]));

    // A missing mailbox, or one of another account, fails.
    let b = account(s, "flags.test", "b").await;
    let r = s
        .store_flags(
            b.id,
            inbox.id,
            &UidSet::all(),
            FlagOp::Add,
            &flags(flag::SEEN, &[]),
            None,
        )
        .await;
    assert!(r.is_err(), "store_flags on another account's mailbox must fail");
}

pub(super) async fn copy_move(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "copy.test", "a").await;
    let inbox = mailbox(s, a.id, "INBOX").await;
    let arch = mailbox(s, a.id, "Archive").await;
    let ap = append_n(storage, a.id, inbox.id, "copy", 4).await;
    // Fill the archive with one message so destination UIDs start at 2.
    append_n(storage, a.id, arch.id, "copy-arch", 1).await;
    s.store_flags(
        a.id,
        inbox.id,
        &UidSet::from_uids([3]),
        FlagOp::Add,
        &flags(flag::FLAGGED, &["K"]),
        None,
    )
    .await
    .unwrap();
    let used0 = s.quota(a.id).await.unwrap().used_bytes;
    let src = s.messages(inbox.id, &UidSet::all()).await.unwrap();

    let c = s
        .copy(a.id, inbox.id, &UidSet::from_uids([4, 1, 3]), arch.id)
        .await
        .unwrap();
    assert_eq!(c.dest_uidvalidity, arch.uidvalidity);
    assert_eq!(
        c.mapping,
        vec![(1, 2), (3, 3), (4, 4)],
        "destination UIDs in source UID order"
    );
    assert!(c.modseq > ap[0].modseq);
    let dst = s.messages(arch.id, &UidSet::from_uids([2, 3, 4])).await.unwrap();
    for (d, (su, _)) in dst.iter().zip(c.mapping.iter()) {
        let sm = src.iter().find(|m| m.uid == *su).unwrap();
        assert_eq!(
            (&d.blob_id, d.size, &d.flags, &d.meta),
            (&sm.blob_id, sm.size, &sm.flags, &sm.meta)
        );
        assert_eq!(d.modseq, c.modseq);
        assert_eq!(d.thread_id, sm.thread_id, "a copy stays in its thread");
        assert_ne!(d.id, sm.id, "a copy is a new message instance");
    }
    let sizes: u64 = [1, 3, 4]
        .iter()
        .map(|u| src.iter().find(|m| m.uid == *u).unwrap().size)
        .sum();
    let q = s.quota(a.id).await.unwrap();
    assert_eq!(q.used_bytes, used0 + sizes, "copy uses quota");
    let ab = mailbox(s, a.id, "Archive").await;
    assert_eq!((ab.uidnext, ab.message_count, ab.unseen_count), (5, 4, 4));
    assert_eq!(ab.highest_modseq, c.modseq);
    assert_eq!(
        mailbox(s, a.id, "INBOX").await.message_count,
        4,
        "copy leaves the source"
    );

    // Move: source expunged (tombstones), usage unchanged.
    let before_move = modseq_of(s, a.id).await;
    let mv = s
        .move_messages(a.id, inbox.id, &UidSet::from_ranges([(2, 3)]), arch.id)
        .await
        .unwrap();
    assert_eq!(mv.mapping, vec![(2, 5), (3, 6)]);
    assert!(mv.modseq > before_move);
    assert_eq!(
        s.quota(a.id).await.unwrap().used_bytes,
        used0 + sizes,
        "move does not change usage"
    );
    let ib = mailbox(s, a.id, "INBOX").await;
    assert_eq!(ib.message_count, 2);
    assert_eq!(ib.uidnext, 5, "UIDNEXT never goes back");
    assert_eq!(
        s.message_summaries(inbox.id)
            .await
            .unwrap()
            .iter()
            .map(|m| m.uid)
            .collect::<Vec<_>>(),
        vec![1, 4]
    );
    let ch = s.mailbox_changes(inbox.id, before_move).await.unwrap();
    assert_eq!(ch.vanished, vec![2, 3], "moved messages leave tombstones");
    assert!(ch.changed.is_empty());
    let moved = s.messages(arch.id, &UidSet::from_uids([6])).await.unwrap();
    assert_eq!(moved[0].flags, flags(flag::FLAGGED, &["K"]), "move keeps flags");
    let entries = s.journal_after(0, 100_000).await.unwrap();
    let mine: Vec<&JournalEntry> = entries
        .iter()
        .filter(|e| e.account_id == a.id && e.modseq == mv.modseq)
        .collect();
    assert!(mine.iter().any(|e| e.kind == ChangeKind::MessagesExpunged
        && e.mailbox_id == Some(inbox.id)
        && e.uids == UidSet::from_uids([2, 3])));
    assert!(mine.iter().any(|e| e.kind == ChangeKind::MessagesAdded
        && e.mailbox_id == Some(arch.id)
        && e.uids == UidSet::from_uids([5, 6])));

    // Empty source set: empty mapping. Other account's mailbox: Invalid.
    let e = s
        .copy(a.id, inbox.id, &UidSet::from_uids([99]), arch.id)
        .await
        .unwrap();
    assert!(e.mapping.is_empty());
    let b = account(s, "copy.test", "b").await;
    let binbox = mailbox(s, b.id, "INBOX").await;
    let r = s.copy(a.id, inbox.id, &UidSet::all(), binbox.id).await;
    assert!(
        matches!(r, Err(StoreError::Invalid { .. })),
        "cross-account copy: {r:?}"
    );
    let r = s.move_messages(a.id, inbox.id, &UidSet::all(), binbox.id).await;
    assert!(
        matches!(r, Err(StoreError::Invalid { .. })),
        "cross-account move: {r:?}"
    );
    assert_eq!(mailbox(s, a.id, "INBOX").await.message_count, 2);
}

pub(super) async fn expunge_and_changes(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "expunge.test", "a").await;
    let inbox = mailbox(s, a.id, "INBOX").await;
    let ap = append_n(storage, a.id, inbox.id, "exp", 6).await;
    let after_append = ap[0].modseq;
    let sizes: Vec<u64> = s
        .messages(inbox.id, &UidSet::all())
        .await
        .unwrap()
        .iter()
        .map(|m| m.size)
        .collect();
    let del = flags(flag::DELETED, &[]);
    let f = s
        .store_flags(
            a.id,
            inbox.id,
            &UidSet::from_uids([2, 3, 5]),
            FlagOp::Add,
            &del,
            None,
        )
        .await
        .unwrap();

    // Restricted to a set: only \Deleted messages within it.
    let x = s
        .expunge(a.id, inbox.id, Some(&UidSet::from_uids([1, 2, 3])))
        .await
        .unwrap();
    assert_eq!(x, vec![2, 3]);
    let after_first = modseq_of(s, a.id).await;
    assert!(after_first > f.modseq);
    let ib = mailbox(s, a.id, "INBOX").await;
    assert_eq!((ib.message_count, ib.uidnext), (4, 7));
    assert_eq!(ib.total_size, sizes[0] + sizes[3] + sizes[4] + sizes[5]);
    assert_eq!(ib.highest_modseq, after_first);
    let q = s.quota(a.id).await.unwrap();
    assert_eq!(
        (q.used_bytes, q.message_count),
        (ib.total_size, 4),
        "expunge releases quota"
    );

    // Unrestricted.
    let x = s.expunge(a.id, inbox.id, None).await.unwrap();
    assert_eq!(x, vec![5]);
    assert!(
        s.expunge(a.id, inbox.id, None).await.unwrap().is_empty(),
        "nothing left to expunge"
    );
    let sums = s.message_summaries(inbox.id).await.unwrap();
    assert_eq!(sums.iter().map(|m| m.uid).collect::<Vec<_>>(), vec![1, 4, 6]);

    // Changes since various points.
    let all = s.mailbox_changes(inbox.id, 0).await.unwrap();
    assert_eq!(
        all.changed.iter().map(|m| m.uid).collect::<Vec<_>>(),
        vec![1, 4, 6]
    );
    assert_eq!(all.vanished, vec![2, 3, 5]);
    assert_eq!(all.highest_modseq, mailbox(s, a.id, "INBOX").await.highest_modseq);
    let since_flags = s.mailbox_changes(inbox.id, f.modseq).await.unwrap();
    assert!(since_flags.changed.is_empty());
    assert_eq!(since_flags.vanished, vec![2, 3, 5]);
    let since_first = s.mailbox_changes(inbox.id, after_first).await.unwrap();
    assert_eq!(since_first.vanished, vec![5]);
    s.store_flags(
        a.id,
        inbox.id,
        &UidSet::from_uids([4]),
        FlagOp::Add,
        &flags(flag::SEEN, &[]),
        None,
    )
    .await
    .unwrap();
    let ch = s.mailbox_changes(inbox.id, after_first).await.unwrap();
    assert_eq!(ch.changed.len(), 1);
    assert_eq!(
        (ch.changed[0].uid, ch.changed[0].flags.clone()),
        (4, flags(flag::SEEN, &[]))
    );
    assert_eq!(ch.vanished, vec![5]);
    let since_append = s.mailbox_changes(inbox.id, after_append).await.unwrap();
    assert_eq!(
        since_append.changed.iter().map(|m| m.uid).collect::<Vec<_>>(),
        vec![4]
    );
    let head = s.mailbox_changes(inbox.id, ch.highest_modseq).await.unwrap();
    assert!(head.changed.is_empty() && head.vanished.is_empty());
}

pub(super) async fn mailbox_delete_releases(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "mbdelete.test", "a").await;
    let inbox = mailbox(s, a.id, "INBOX").await;
    let tmp = s.mailbox_create(a.id, "Tmp", None).await.unwrap();
    append_n(storage, a.id, inbox.id, "keep", 1).await;
    append_n(storage, a.id, tmp.id, "gone", 3).await;
    s.store_flags(
        a.id,
        tmp.id,
        &UidSet::from_uids([1]),
        FlagOp::Add,
        &flags(flag::DELETED, &[]),
        None,
    )
    .await
    .unwrap();
    s.expunge(a.id, tmp.id, None).await.unwrap();
    let keep = mailbox(s, a.id, "INBOX").await.total_size;
    s.mailbox_delete(a.id, tmp.id).await.unwrap();
    let q = s.quota(a.id).await.unwrap();
    assert_eq!(
        (q.used_bytes, q.message_count),
        (keep, 1),
        "mailbox delete releases quota"
    );
    assert!(s.message_summaries(tmp.id).await.unwrap().is_empty());
    assert!(
        s.mailbox_changes(tmp.id, 0)
            .await
            .map(|c| c.vanished.is_empty() && c.changed.is_empty())
            .unwrap_or(true)
    );
}

pub(super) async fn journal(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "journal.test", "a").await;
    let inbox = mailbox(s, a.id, "INBOX").await;
    let head0 = s.journal_head().await.unwrap();
    assert!(head0 > 0, "earlier checks wrote journal rows");
    let ap = append_n(storage, a.id, inbox.id, "j", 3).await;
    let f = s
        .store_flags(
            a.id,
            inbox.id,
            &UidSet::from_uids([1, 3]),
            FlagOp::Add,
            &flags(flag::DELETED, &[]),
            None,
        )
        .await
        .unwrap();
    s.expunge(a.id, inbox.id, None).await.unwrap();
    let mb = s.mailbox_create(a.id, "J", None).await.unwrap();
    s.account_set_password(a.id, "new").await.unwrap();
    let entries = s.journal_after(head0, 1000).await.unwrap();
    let ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "journal ids ascend");
    assert!(ids.iter().all(|&i| i > head0));
    let head = s.journal_head().await.unwrap();
    assert_eq!(Some(&head), ids.last(), "journal_head is the last id");
    let mine: Vec<&JournalEntry> = entries.iter().filter(|e| e.account_id == a.id).collect();
    let kinds: Vec<ChangeKind> = mine.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            ChangeKind::MessagesAdded,
            ChangeKind::FlagsChanged,
            ChangeKind::MessagesExpunged,
            ChangeKind::MailboxCreated,
            ChangeKind::AccountChanged
        ]
    );
    assert_eq!(
        (mine[0].mailbox_id, &mine[0].uids, mine[0].modseq),
        (Some(inbox.id), &UidSet::from_ranges([(1, 3)]), ap[0].modseq)
    );
    assert_eq!(
        (mine[1].mailbox_id, &mine[1].uids, mine[1].modseq),
        (Some(inbox.id), &UidSet::from_uids([1, 3]), f.modseq)
    );
    assert_eq!(
        (mine[2].mailbox_id, &mine[2].uids),
        (Some(inbox.id), &UidSet::from_uids([1, 3]))
    );
    assert_eq!((mine[3].mailbox_id, mine[3].uids.is_empty()), (Some(mb.id), true));
    let modseqs: Vec<ModSeq> = mine.iter().map(|e| e.modseq).collect();
    assert!(
        modseqs.windows(2).all(|w| w[0] < w[1]),
        "one new modseq per operation: {modseqs:?}"
    );
    assert_eq!(mine[4].modseq, modseq_of(s, a.id).await);
    // Paging.
    let first2 = s.journal_after(head0, 2).await.unwrap();
    assert_eq!(first2, entries[..2].to_vec());
    let rest = s.journal_after(first2[1].id, 1000).await.unwrap();
    assert_eq!(rest, entries[2..].to_vec());
    assert!(s.journal_after(head, 10).await.unwrap().is_empty());
}

pub(super) async fn change_feed(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "feed.test", "a").await;
    let inbox = mailbox(s, a.id, "INBOX").await;
    let feed = storage.change_feed().await.unwrap();
    let mut rx = feed.subscribe();
    let ap = append_n(storage, a.id, inbox.id, "feed", 2).await;
    let got = tokio::time::timeout(Duration::from_secs(1), async {
        loop {
            let e = rx.recv().await.unwrap();
            if e.account_id == a.id {
                return e;
            }
        }
    })
    .await
    .expect("the change feed delivers an append within a second");
    assert_eq!(got.kind, ChangeKind::MessagesAdded);
    assert_eq!((got.mailbox_id, got.modseq), (Some(inbox.id), ap[0].modseq));
    assert_eq!(got.uids, UidSet::from_ranges([(1, 2)]));
}

/// Two tasks of one user change different flags of the same 200 messages at the same time,
/// interleaved; afterwards every message has every flag: no update is lost.
pub(super) async fn concurrent_flags(storage: &Storage) {
    let s = storage.store.clone();
    let a = account(&*s, "concurrent.test", "a").await;
    let inbox = mailbox(&*s, a.id, "INBOX").await;
    let msgs: Vec<NewMessage> = (0..200)
        .map(|i| new_message(storage, inbox.id, &format!("c{i}"), b""))
        .collect();
    s.append(a.id, msgs).await.unwrap();
    let worker = |change: Flags, reverse: bool| {
        let s = s.clone();
        let (acc, mb) = (a.id, inbox.id);
        tokio::spawn(async move {
            let mut chunks: Vec<(Uid, Uid)> = (0..10).map(|c| (c * 20 + 1, c * 20 + 20)).collect();
            if reverse {
                chunks.reverse();
            }
            for _round in 0..5 {
                for &(lo, hi) in &chunks {
                    let set = UidSet::from_ranges([(lo, hi)]);
                    s.store_flags(acc, mb, &set, FlagOp::Remove, &change, None)
                        .await
                        .unwrap();
                    tokio::task::yield_now().await;
                    s.store_flags(acc, mb, &set, FlagOp::Add, &change, None)
                        .await
                        .unwrap();
                    // Single-message updates interleave with the other task's ranges.
                    s.store_flags(acc, mb, &UidSet::from_uids([lo + 7]), FlagOp::Add, &change, None)
                        .await
                        .unwrap();
                }
            }
        })
    };
    let t1 = worker(flags(flag::SEEN, &[]), false);
    let t2 = worker(flags(flag::FLAGGED, &["$Work"]), true);
    t1.await.unwrap();
    t2.await.unwrap();
    let want = flags(flag::SEEN | flag::FLAGGED, &["$Work"]);
    let sums = s.message_summaries(inbox.id).await.unwrap();
    assert_eq!(sums.len(), 200);
    for m in &sums {
        assert_eq!(m.flags, want, "lost update on uid {}", m.uid);
    }
    let ib = mailbox(&*s, a.id, "INBOX").await;
    assert_eq!(ib.unseen_count, 0, "unseen_count kept right under concurrency");
    let max = sums.iter().map(|m| m.modseq).max().unwrap();
    assert_eq!(ib.highest_modseq, max);
}

pub(super) async fn account_delete_cascades(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "cascade.test", "a").await;
    let inbox = mailbox(s, a.id, "INBOX").await;
    append_n(storage, a.id, inbox.id, "cascade", 2).await;
    s.app_password_add(a.id, "p", "h").await.unwrap();
    s.account_delete(a.id).await.unwrap();
    assert!(s.mailbox_by_id(inbox.id).await.unwrap().is_none());
    assert!(s.message_summaries(inbox.id).await.unwrap().is_empty());
    assert!(s.app_password_list(a.id).await.unwrap().is_empty());
    let journal = s.journal_after(0, 1_000_000).await.unwrap();
    assert!(
        journal.iter().all(|e| e.account_id != a.id),
        "the account's journal is deleted"
    );
    s.domain_delete("cascade.test").await.unwrap();
}

pub(super) async fn consistency(storage: &Storage) {
    let s = &*storage.store;
    let r = s.check_consistency().await.unwrap();
    assert!(
        r.problems.is_empty(),
        "check_consistency on a sound store: {:?}",
        r.problems
    );
    assert!(
        r.accounts >= 10 && r.mailboxes >= 60 && r.messages >= 200,
        "{r:?}"
    );
    let total: u64 = {
        let mut n = 0;
        for acc in s.account_list(None).await.unwrap() {
            n += acc.message_count;
        }
        n
    };
    assert_eq!(r.messages, total, "check counts every message");
}

/// Header blocks: kept at append, absent for a message appended without one, carried by COPY and
/// MOVE, gone with the message.
pub(super) async fn header_blocks(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "headers.test", "a").await;
    let inbox = mailbox(s, a.id, "INBOX").await;
    let arch = mailbox(s, a.id, "Archive").await;
    let kept = new_message(storage, inbox.id, "kept", b"");
    let mut bare = new_message(storage, inbox.id, "bare", b"");
    bare.header = None;
    let mut third = new_message(storage, inbox.id, "third", b"");
    third.internal_date = 1_700_000_777;
    s.append(a.id, vec![kept.clone(), bare, third.clone()])
        .await
        .unwrap();

    let blocks = s.message_headers(inbox.id, &UidSet::all()).await.unwrap();
    assert_eq!(blocks.len(), 2, "the message appended without a block has none");
    assert_eq!(blocks[0].uid, 1);
    assert_eq!(Some(&blocks[0].header), kept.header.as_ref());
    assert_eq!(blocks[0].size, kept.size);
    assert!(
        blocks[0]
            .header
            .ends_with(b"Message-ID: <kept@conformance.test>\r\n\r\n")
    );
    assert_eq!((blocks[1].uid, blocks[1].internal_date), (3, 1_700_000_777));
    let only = s
        .message_headers(inbox.id, &UidSet::from_uids([3]))
        .await
        .unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(Some(&only[0].header), third.header.as_ref());

    s.copy(a.id, inbox.id, &UidSet::from_uids([1, 2]), arch.id)
        .await
        .unwrap();
    let copied = s.message_headers(arch.id, &UidSet::all()).await.unwrap();
    assert_eq!(copied.len(), 1, "COPY carries the block it has, and only that");
    assert_eq!(Some(&copied[0].header), kept.header.as_ref());

    s.move_messages(a.id, inbox.id, &UidSet::from_uids([3]), arch.id)
        .await
        .unwrap();
    let moved = s.message_headers(arch.id, &UidSet::all()).await.unwrap();
    assert_eq!(moved.len(), 2, "MOVE carries the block");
    assert!(
        s.message_headers(inbox.id, &UidSet::from_uids([3]))
            .await
            .unwrap()
            .is_empty()
    );

    s.store_flags(
        a.id,
        arch.id,
        &UidSet::all(),
        FlagOp::Add,
        &flags(flag::DELETED, &[]),
        None,
    )
    .await
    .unwrap();
    s.expunge(a.id, arch.id, None).await.unwrap();
    assert!(
        s.message_headers(arch.id, &UidSet::all())
            .await
            .unwrap()
            .is_empty()
    );
}

/// Prefixes (`Message::prefix`): several messages share one blob, each with its own prefix, kept
/// at append, carried by COPY and MOVE; sizes and quota count prefix and blob; an empty prefix is
/// none.
pub(super) async fn prefixes(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "prefix.test", "a").await;
    let b = account(s, "prefix.test", "b").await;
    let inbox = mailbox(s, a.id, "INBOX").await;
    let arch = mailbox(s, a.id, "Archive").await;
    let b_inbox = mailbox(s, b.id, "INBOX").await;
    let base = new_message(storage, inbox.id, "prefixed", b"");
    let blob_len = storage.blobs.get(&base.blob_id).unwrap().len() as u64;
    let with = |m: &NewMessage, prefix: &[u8]| {
        let mut m = m.clone();
        m.size = blob_len + prefix.len() as u64;
        let mut header = prefix.to_vec();
        header.extend_from_slice(m.header.as_deref().unwrap());
        m.header = Some(header);
        m.prefix = Some(prefix.to_vec());
        m
    };
    let p1 = with(&base, b"Delivered-To: a@prefix.test\r\n");
    let p2 = with(
        &base,
        b"Delivered-To: a+tag@prefix.test\r\nReceived: by x; now\r\n",
    );
    let mut empty = base.clone();
    empty.prefix = Some(Vec::new());
    s.append(a.id, vec![p1.clone(), p2.clone(), empty, base.clone()])
        .await
        .unwrap();
    let mut pb = with(&base, b"Delivered-To: b@prefix.test\r\n");
    pb.mailbox_id = b_inbox.id;
    s.append(b.id, vec![pb.clone()]).await.unwrap();

    let msgs = s.messages(inbox.id, &UidSet::all()).await.unwrap();
    assert_eq!(
        msgs.iter().map(|m| m.prefix.clone()).collect::<Vec<_>>(),
        vec![p1.prefix.clone(), p2.prefix.clone(), None, None],
        "prefixes round-trip; an empty one is none"
    );
    assert!(msgs.iter().all(|m| m.blob_id == base.blob_id), "one blob for all");
    assert_eq!(
        msgs.iter().map(|m| m.size).collect::<Vec<_>>(),
        vec![p1.size, p2.size, blob_len, blob_len]
    );
    assert_eq!(msgs[0].meta, p1.meta, "metadata round-trips beside the prefix");
    let ids: Vec<String> = msgs.iter().map(Message::content_id).collect();
    assert_eq!(
        ids[2], base.blob_id,
        "without a prefix the content id is the blob id"
    );
    assert_eq!(ids[2], ids[3]);
    assert!(
        ids[0] != ids[1] && ids[0] != ids[2] && ids[1] != ids[2],
        "different prefixes on one blob are different contents: {ids:?}"
    );
    let b_msgs = s.messages(b_inbox.id, &UidSet::all()).await.unwrap();
    assert_eq!(b_msgs[0].prefix, pb.prefix);
    assert_eq!(
        b_msgs[0].blob_id, base.blob_id,
        "the blob is shared across accounts"
    );

    let total = p1.size + p2.size + 2 * blob_len;
    assert_eq!(
        s.quota(a.id).await.unwrap().used_bytes,
        total,
        "quota counts prefixes"
    );
    assert_eq!(mailbox(s, a.id, "INBOX").await.total_size, total);
    assert_eq!(s.quota(b.id).await.unwrap().used_bytes, pb.size);
    let blocks = s
        .message_headers(inbox.id, &UidSet::from_uids([1]))
        .await
        .unwrap();
    assert_eq!(Some(&blocks[0].header), p1.header.as_ref());
    assert_eq!(blocks[0].size, p1.size);
    let refs = s.referenced_blobs().await.unwrap();
    assert_eq!(refs.iter().filter(|r| **r == base.blob_id).count(), 1);

    // COPY and MOVE keep the prefix (and so the content id).
    let c = s
        .copy(a.id, inbox.id, &UidSet::from_uids([1, 3]), arch.id)
        .await
        .unwrap();
    assert_eq!(c.mapping, vec![(1, 1), (3, 2)]);
    let mv = s
        .move_messages(a.id, inbox.id, &UidSet::from_uids([2]), arch.id)
        .await
        .unwrap();
    assert_eq!(mv.mapping, vec![(2, 3)]);
    let copies = s.messages(arch.id, &UidSet::all()).await.unwrap();
    assert_eq!(
        copies.iter().map(|m| m.prefix.clone()).collect::<Vec<_>>(),
        vec![p1.prefix.clone(), None, p2.prefix.clone()],
        "COPY and MOVE carry the prefix"
    );
    assert_eq!(
        copies.iter().map(Message::content_id).collect::<Vec<_>>(),
        vec![ids[0].clone(), ids[2].clone(), ids[1].clone()]
    );
    assert_eq!(
        copies.iter().map(|m| m.size).collect::<Vec<_>>(),
        vec![p1.size, blob_len, p2.size]
    );
    assert_eq!(
        s.quota(a.id).await.unwrap().used_bytes,
        total + p1.size + blob_len,
        "a copy counts its prefix too; a move changes nothing"
    );
    assert_eq!(
        mailbox(s, a.id, "Archive").await.total_size,
        p1.size + blob_len + p2.size
    );
}
