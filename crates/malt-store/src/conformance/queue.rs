//! Conformance: the outbound queue (RFC 5321 §4.5.4.1 retries, RFC 3461 DSN parameters) —
//! enqueue/get/list, claims (held, leased, not due and final recipients excluded; lease expiry),
//! updates (attempts, release, deletion when nothing is pending), hold, retry_now, delete,
//! next_due, blob references for `malt gc`, the submitter's account going away, and concurrent
//! claims that never hand one message out twice.
//!
//! The queue is global (not per domain): every check starts from and leaves an empty queue, so
//! claims and listings can be compared exactly. Times are small made-up Unix seconds.

use std::collections::HashSet;
use std::sync::Arc;

use super::*;

fn rcpt(address: &str, next_attempt: i64) -> NewQueueRecipient {
    NewQueueRecipient {
        address: address.to_owned(),
        orcpt: None,
        notify: None,
        next_attempt,
    }
}

/// A queued message whose content (unique per `tag`) is in the blob store.
fn queued(
    storage: &Storage,
    tag: &str,
    created_at: i64,
    recipients: Vec<NewQueueRecipient>,
) -> NewQueuedMessage {
    let raw =
        format!("From: a@queue.test\r\nSubject: {tag}\r\nMessage-ID: <{tag}@queue.test>\r\n\r\n{tag}\r\n");
    NewQueuedMessage {
        blob_id: storage.blobs.put(raw.as_bytes()).unwrap(),
        size: raw.len() as u64,
        return_path: "a@queue.test".into(),
        envid: None,
        ret_full: false,
        created_at,
        submitter: None,
        recipients,
    }
}

async fn enqueue(storage: &Storage, tag: &str, recipients: Vec<NewQueueRecipient>) -> QueuedMessage {
    let s = &*storage.store;
    let id = s
        .queue_enqueue(queued(storage, tag, 1_000, recipients))
        .await
        .unwrap();
    s.queue_get(id).await.unwrap().unwrap()
}

fn ids(messages: &[QueuedMessage]) -> Vec<QueueId> {
    messages.iter().map(|m| m.id).collect()
}

fn update(
    r: &QueueRecipient,
    status: RecipientStatus,
    next_attempt: i64,
    error: Option<&str>,
) -> RecipientUpdate {
    RecipientUpdate {
        id: r.id,
        status,
        next_attempt,
        last_error: error.map(str::to_owned),
        delay_notified: false,
    }
}

async fn assert_empty(s: &dyn Store, check: &str) {
    assert!(
        s.queue_list().await.unwrap().is_empty(),
        "{check}: the queue should be empty"
    );
    assert_eq!(s.queue_next_due().await.unwrap(), None, "{check}: nothing is due");
}

async fn delete_all(s: &dyn Store) {
    for m in s.queue_list().await.unwrap() {
        s.queue_delete(m.id).await.unwrap();
    }
}

/// Enqueue stores every envelope field; get, list (oldest first), delete; invalid input; the
/// blobs of queued messages are referenced (so `malt gc` keeps them) until the message goes.
pub(super) async fn enqueue_get_list(storage: &Storage) {
    let s = &*storage.store;
    assert_empty(s, "queue start").await;
    let a = account(s, "queue.test", "a").await;

    let mut new = queued(
        storage,
        "q-enqueue",
        1_000,
        vec![
            NewQueueRecipient {
                address: "User@Example.COM".into(),
                orcpt: Some("rfc822;User@Example.COM".into()),
                notify: Some(DsnNotify {
                    success: true,
                    failure: true,
                    ..DsnNotify::default()
                }),
                next_attempt: 300,
            },
            rcpt("b@example.org", 200),
            NewQueueRecipient {
                notify: Some(DsnNotify {
                    never: true,
                    ..DsnNotify::default()
                }),
                ..rcpt("c@example.org", 250)
            },
        ],
    );
    new.envid = Some("QQ314159".into());
    new.ret_full = true;
    new.submitter = Some(a.id);
    let id = s.queue_enqueue(new.clone()).await.unwrap();
    let m = s
        .queue_get(id)
        .await
        .unwrap()
        .expect("queue_get finds the message");
    assert_eq!(m.id, id);
    assert_eq!(
        (
            m.blob_id.as_str(),
            m.size,
            m.return_path.as_str(),
            m.envid.as_deref()
        ),
        (new.blob_id.as_str(), new.size, "a@queue.test", Some("QQ314159"))
    );
    assert!(m.ret_full);
    assert_eq!(m.created_at, 1_000);
    assert_eq!(m.submitter, Some(a.id));
    assert!(!m.held, "a new message is not held");
    assert_eq!(m.recipients.len(), 3);
    let r0 = &m.recipients[0];
    assert_eq!(
        r0.address, "User@Example.COM",
        "the address is kept as given (the local part is case-sensitive)"
    );
    assert_eq!(r0.domain, "example.com", "the domain is lower-cased");
    assert_eq!(r0.orcpt.as_deref(), Some("rfc822;User@Example.COM"));
    assert_eq!(
        r0.notify,
        Some(DsnNotify {
            success: true,
            failure: true,
            delay: false,
            never: false
        })
    );
    assert_eq!(
        (
            r0.status,
            r0.attempts,
            r0.next_attempt,
            r0.last_error.as_deref(),
            r0.delay_notified
        ),
        (RecipientStatus::Pending, 0, 300, None, false)
    );
    assert_eq!(m.recipients[1].notify, None, "NOTIFY not given stays None");
    assert_eq!(m.recipients[1].domain, "example.org");
    assert_eq!(m.recipients[2].notify.map(|n| n.never), Some(true));
    assert!(
        m.recipients.windows(2).all(|w| w[0].id < w[1].id),
        "recipients are ordered by id"
    );
    assert_eq!(
        s.queue_next_due().await.unwrap(),
        Some(200),
        "next_due is the earliest pending next_attempt"
    );

    // The null sender, and an older message: list is oldest first.
    let mut bounce = queued(storage, "q-bounce", 900, vec![rcpt("x@example.net", 500)]);
    bounce.return_path = String::new();
    let bounce_id = s.queue_enqueue(bounce.clone()).await.unwrap();
    let list = s.queue_list().await.unwrap();
    assert_eq!(ids(&list), vec![bounce_id, id], "queue_list is oldest first");
    assert_eq!(list[0].return_path, "", "the null sender is kept");
    assert_eq!(
        list[1], m,
        "queue_list returns the same as queue_get, with recipients"
    );

    // Blobs of queued messages are referenced, once each.
    let refs = s.referenced_blobs().await.unwrap();
    assert!(refs.contains(&new.blob_id) && refs.contains(&bounce.blob_id));
    let again = s
        .queue_enqueue(queued(storage, "q-bounce", 901, vec![rcpt("y@example.net", 500)]))
        .await
        .unwrap();
    let refs = s.referenced_blobs().await.unwrap();
    assert_eq!(
        refs.iter().filter(|b| **b == bounce.blob_id).count(),
        1,
        "referenced_blobs has no duplicates"
    );
    crate::maintenance::gc(s, &storage.blobs, std::time::Duration::ZERO)
        .await
        .unwrap();
    assert!(
        storage.blobs.get(&new.blob_id).is_ok(),
        "`malt gc` keeps the content of a queued message"
    );

    // Invalid input changes nothing.
    let bad = |recipients: Vec<NewQueueRecipient>| queued(storage, "q-bad", 1, recipients);
    assert!(is_invalid(&s.queue_enqueue(bad(vec![])).await), "no recipients");
    assert!(
        is_invalid(&s.queue_enqueue(bad(vec![rcpt("postmaster", 1)])).await),
        "a recipient without a domain"
    );
    assert!(
        is_invalid(&s.queue_enqueue(bad(vec![rcpt("@example.com", 1)])).await),
        "a recipient without a local part"
    );
    let mut long = bad(vec![rcpt("a@example.com", 1)]);
    long.envid = Some("x".repeat(QUEUE_TEXT_MAX + 1));
    assert!(
        is_invalid(&s.queue_enqueue(long).await),
        "text over QUEUE_TEXT_MAX"
    );
    let mut ghost = bad(vec![rcpt("a@example.com", 1)]);
    ghost.submitter = Some(a.id + 1_000_000);
    assert!(
        is_not_found(&s.queue_enqueue(ghost).await),
        "an unknown submitter is NotFound"
    );
    assert_eq!(
        s.queue_list().await.unwrap().len(),
        3,
        "failed enqueues store nothing"
    );

    // Delete.
    s.queue_delete(id).await.unwrap();
    assert_eq!(s.queue_get(id).await.unwrap(), None);
    assert!(
        is_not_found(&s.queue_delete(id).await),
        "deleting twice is NotFound"
    );
    assert!(
        !s.referenced_blobs().await.unwrap().contains(&new.blob_id),
        "a deleted message's blob is no longer referenced"
    );
    crate::maintenance::gc(s, &storage.blobs, std::time::Duration::ZERO)
        .await
        .unwrap();
    assert!(
        storage.blobs.get(&new.blob_id).is_err(),
        "`malt gc` removes the content of a deleted queued message"
    );
    s.queue_delete(bounce_id).await.unwrap();
    assert!(
        s.referenced_blobs().await.unwrap().contains(&bounce.blob_id),
        "still referenced by the other message with the same content"
    );
    s.queue_delete(again).await.unwrap();
    assert_empty(s, "enqueue_get_list").await;
}

/// Claims: only messages that are due, not held and not leased, with their recipients; a lease
/// hides a message until it expires or is released; final recipients never make a message due.
pub(super) async fn claim(storage: &Storage) {
    let s = &*storage.store;
    assert_empty(s, "claim start").await;
    let due = enqueue(storage, "q-due", vec![rcpt("a@d.example", 100)]).await;
    let later = enqueue(storage, "q-later", vec![rcpt("a@l.example", 500)]).await;
    let held = enqueue(storage, "q-held", vec![rcpt("a@h.example", 100)]).await;
    let mixed = enqueue(
        storage,
        "q-mixed",
        vec![rcpt("a@m.example", 90), rcpt("b@m.example", 100)],
    )
    .await;
    s.queue_hold(held.id, true).await.unwrap();
    assert!(s.queue_get(held.id).await.unwrap().unwrap().held);
    assert!(is_not_found(&s.queue_hold(held.id + 1_000_000, true).await));
    assert!(is_not_found(&s.queue_release(held.id + 1_000_000).await));

    assert!(
        s.queue_claim(100, 160, 0).await.unwrap().is_empty(),
        "limit 0 claims nothing"
    );
    assert!(
        s.queue_claim(89, 160, 10).await.unwrap().is_empty(),
        "nothing is due yet"
    );

    // Most overdue first; the claimed messages come with all their recipients.
    let got = s.queue_claim(100, 160, 10).await.unwrap();
    assert_eq!(
        ids(&got),
        vec![mixed.id, due.id],
        "due, not held, most overdue first"
    );
    assert_eq!(got[0], mixed, "a claimed message is returned whole");
    assert_eq!(got[1], due);
    assert!(
        s.queue_claim(100, 160, 10).await.unwrap().is_empty(),
        "leased messages are not claimed again"
    );
    assert!(
        s.queue_claim(159, 200, 10).await.unwrap().is_empty(),
        "not before the lease expires"
    );

    // One recipient delivered, the other retried later: the delivered one does not make the
    // message due; the update released the lease.
    s.queue_update(
        mixed.id,
        vec![
            update(
                &mixed.recipients[0],
                RecipientStatus::Delivered,
                90,
                Some("250 2.0.0 ok"),
            ),
            update(
                &mixed.recipients[1],
                RecipientStatus::Pending,
                400,
                Some("451 4.3.0 later"),
            ),
        ],
    )
    .await
    .unwrap();

    // The lease of `due` expires at 160 (lease_until <= now): claimable again.
    let got = s.queue_claim(160, 220, 10).await.unwrap();
    assert_eq!(
        ids(&got),
        vec![due.id],
        "an expired lease makes a message claimable again"
    );
    // Released without recording anything: claimable at once, untouched.
    s.queue_release(due.id).await.unwrap();
    let got = s.queue_claim(161, 220, 1).await.unwrap();
    assert_eq!(ids(&got), vec![due.id], "a released message is claimable at once");
    assert_eq!(got[0].recipients[0].attempts, 0, "release records no attempt");
    s.queue_release(due.id).await.unwrap();

    // Limit, and the held message once released.
    assert!(
        !ids(&s.queue_claim(1_000, 1_100, 10).await.unwrap()).contains(&held.id),
        "held messages are never claimed"
    );
    s.queue_release(due.id).await.unwrap();
    s.queue_release(mixed.id).await.unwrap();
    s.queue_release(later.id).await.unwrap();
    s.queue_hold(held.id, false).await.unwrap();
    assert!(!s.queue_get(held.id).await.unwrap().unwrap().held);
    let first = s.queue_claim(1_000, 1_100, 2).await.unwrap();
    assert_eq!(first.len(), 2, "at most `limit` messages");
    let rest = s.queue_claim(1_000, 1_100, 10).await.unwrap();
    let mut all: Vec<QueueId> = ids(&first).into_iter().chain(ids(&rest)).collect();
    all.sort_unstable();
    let mut want = vec![due.id, later.id, held.id, mixed.id];
    want.sort_unstable();
    assert_eq!(all, want, "every due message once, the released hold included");
    assert_eq!(
        ids(&first),
        vec![due.id, held.id],
        "ordered by earliest pending next_attempt (100, 100), then id"
    );
    delete_all(s).await;
    assert_empty(s, "claim").await;
}

/// Updates count attempts, record the outcome and release the lease; a message with no
/// pending recipient left is deleted; bad updates record nothing.
pub(super) async fn update_results(storage: &Storage) {
    let s = &*storage.store;
    assert_empty(s, "update start").await;
    let m = enqueue(
        storage,
        "q-update",
        vec![
            rcpt("a@u.example", 100),
            rcpt("b@u.example", 100),
            rcpt("c@u.example", 100),
        ],
    )
    .await;
    let other = enqueue(storage, "q-update-other", vec![rcpt("a@o.example", 5_000)]).await;
    let (r1, r2, r3) = (&m.recipients[0], &m.recipients[1], &m.recipients[2]);
    assert_eq!(ids(&s.queue_claim(100, 10_000, 10).await.unwrap()), vec![m.id]);

    let mut delayed = update(r3, RecipientStatus::Pending, 400, Some("451 4.4.1 no answer"));
    delayed.delay_notified = true;
    s.queue_update(
        m.id,
        vec![
            update(r1, RecipientStatus::Delivered, 100, Some("250 2.0.0 queued as X")),
            update(r2, RecipientStatus::Failed, 100, Some("550 5.1.1 no such user")),
            delayed,
        ],
    )
    .await
    .unwrap();
    let got = s.queue_get(m.id).await.unwrap().unwrap();
    let st: Vec<(RecipientStatus, u32, i64, Option<&str>, bool)> = got
        .recipients
        .iter()
        .map(|r| {
            (
                r.status,
                r.attempts,
                r.next_attempt,
                r.last_error.as_deref(),
                r.delay_notified,
            )
        })
        .collect();
    assert_eq!(
        st,
        vec![
            (
                RecipientStatus::Delivered,
                1,
                100,
                Some("250 2.0.0 queued as X"),
                false
            ),
            (
                RecipientStatus::Failed,
                1,
                100,
                Some("550 5.1.1 no such user"),
                false
            ),
            (
                RecipientStatus::Pending,
                1,
                400,
                Some("451 4.4.1 no answer"),
                true
            ),
        ]
    );
    assert_eq!(s.queue_next_due().await.unwrap(), Some(400));
    assert!(
        s.queue_claim(399, 10_000, 10).await.unwrap().is_empty(),
        "the update released the lease; the message is due at 400"
    );

    // Bad updates record nothing.
    assert!(
        is_not_found(
            &s.queue_update(
                m.id,
                vec![
                    update(r3, RecipientStatus::Delivered, 400, None),
                    update(&other.recipients[0], RecipientStatus::Delivered, 0, None),
                ],
            )
            .await
        ),
        "a recipient of another message is NotFound"
    );
    assert!(
        is_invalid(
            &s.queue_update(
                m.id,
                vec![
                    update(r3, RecipientStatus::Pending, 500, None),
                    update(r3, RecipientStatus::Delivered, 500, None),
                ],
            )
            .await
        ),
        "a recipient twice is Invalid"
    );
    assert!(is_not_found(&s.queue_update(m.id + 1_000_000, vec![]).await));
    let unchanged = s.queue_get(m.id).await.unwrap().unwrap();
    assert_eq!(unchanged, got, "failed updates change nothing");

    // Attempts count every update; an over-long error is cut, not refused.
    let long = "4".repeat(QUEUE_TEXT_MAX + 100);
    for next in [500, 600] {
        s.queue_update(
            m.id,
            vec![update(r3, RecipientStatus::Pending, next, Some(&long))],
        )
        .await
        .unwrap();
    }
    let r = &s.queue_get(m.id).await.unwrap().unwrap().recipients[2];
    assert_eq!((r.attempts, r.next_attempt), (3, 600));
    assert_eq!(r.last_error.as_ref().map(String::len), Some(QUEUE_TEXT_MAX));
    assert!(
        s.referenced_blobs().await.unwrap().contains(&m.blob_id),
        "referenced while a recipient is pending"
    );

    // The last pending recipient reaches a final state: the message goes, and its blob is no
    // longer referenced.
    s.queue_update(
        m.id,
        vec![update(r3, RecipientStatus::Failed, 600, Some("expired"))],
    )
    .await
    .unwrap();
    assert_eq!(
        s.queue_get(m.id).await.unwrap(),
        None,
        "no pending recipient: the message is deleted"
    );
    assert_eq!(ids(&s.queue_list().await.unwrap()), vec![other.id]);
    assert!(!s.referenced_blobs().await.unwrap().contains(&m.blob_id));
    assert!(is_not_found(&s.queue_update(m.id, vec![]).await));

    // An update with no results only releases the lease.
    assert_eq!(
        ids(&s.queue_claim(5_000, 9_000, 10).await.unwrap()),
        vec![other.id]
    );
    s.queue_update(other.id, vec![]).await.unwrap();
    assert_eq!(
        ids(&s.queue_claim(5_000, 9_000, 10).await.unwrap()),
        vec![other.id]
    );
    delete_all(s).await;
    assert_empty(s, "update").await;
}

/// retry_now makes pending recipients due (one message or all), never postpones one, leaves
/// final recipients, holds and leases alone; next_due follows claims, leases and holds.
pub(super) async fn retry_and_next_due(storage: &Storage) {
    let s = &*storage.store;
    assert_empty(s, "retry start").await;
    let m1 = enqueue(
        storage,
        "q-r1",
        vec![rcpt("a@r.example", 1_000), rcpt("b@r.example", 2_000)],
    )
    .await;
    let m2 = enqueue(storage, "q-r2", vec![rcpt("a@r.example", 3_000)]).await;
    let m3 = enqueue(storage, "q-r3", vec![rcpt("a@r.example", 500)]).await;
    s.queue_hold(m3.id, true).await.unwrap();
    assert_eq!(
        s.queue_next_due().await.unwrap(),
        Some(1_000),
        "held messages do not count"
    );

    // m1: one recipient delivered, one pending.
    assert_eq!(ids(&s.queue_claim(1_000, 1_100, 10).await.unwrap()), vec![m1.id]);
    s.queue_update(
        m1.id,
        vec![update(&m1.recipients[0], RecipientStatus::Delivered, 1_000, None)],
    )
    .await
    .unwrap();
    assert_eq!(s.queue_next_due().await.unwrap(), Some(2_000));

    assert_eq!(s.queue_retry_now(Some(m2.id), 100).await.unwrap(), 1);
    assert_eq!(
        s.queue_get(m2.id).await.unwrap().unwrap().recipients[0].next_attempt,
        100
    );
    assert_eq!(s.queue_next_due().await.unwrap(), Some(100));
    assert_eq!(
        s.queue_retry_now(Some(m2.id + 1_000_000), 100).await.unwrap(),
        0,
        "an unknown id touches nothing"
    );

    // A leased message is due when its lease ends.
    assert_eq!(ids(&s.queue_claim(100, 700, 10).await.unwrap()), vec![m2.id]);
    assert_eq!(
        s.queue_next_due().await.unwrap(),
        Some(700),
        "a leased message becomes claimable when its lease expires"
    );

    let m4 = enqueue(storage, "q-r4", vec![rcpt("a@r.example", 10)]).await;

    // Every message with a pending recipient is touched, held and leased ones included.
    assert_eq!(s.queue_retry_now(None, 50).await.unwrap(), 4);
    let after = |id| async move { s.queue_get(id).await.unwrap().unwrap() };
    let a1 = after(m1.id).await;
    assert_eq!(
        (a1.recipients[0].status, a1.recipients[0].next_attempt),
        (RecipientStatus::Delivered, 1_000),
        "final recipients are left alone"
    );
    assert_eq!(a1.recipients[1].next_attempt, 50);
    assert_eq!(after(m2.id).await.recipients[0].next_attempt, 50);
    let a3 = after(m3.id).await;
    assert!(a3.held, "retry_now does not release a hold");
    assert_eq!(a3.recipients[0].next_attempt, 50);
    assert_eq!(
        after(m4.id).await.recipients[0].next_attempt,
        10,
        "an earlier next_attempt is kept"
    );
    assert_eq!(s.queue_next_due().await.unwrap(), Some(10));
    assert_eq!(
        ids(&s.queue_claim(60, 1_000, 10).await.unwrap()),
        vec![m4.id, m1.id],
        "m2 stays leased, m3 held"
    );
    assert_eq!(
        s.queue_next_due().await.unwrap(),
        Some(700),
        "only m2's lease is left to wait for"
    );
    delete_all(s).await;
    assert_empty(s, "retry").await;
}

/// Deleting the submitter's account keeps its queued mail, without a submitter.
pub(super) async fn submitter_deleted(storage: &Storage) {
    let s = &*storage.store;
    assert_empty(s, "submitter start").await;
    let a = account(s, "queue-submitter.test", "a").await;
    let mut new = queued(storage, "q-submitter", 1, vec![rcpt("x@example.com", 1)]);
    new.submitter = Some(a.id);
    let id = s.queue_enqueue(new).await.unwrap();
    s.account_delete(a.id).await.unwrap();
    let m = s
        .queue_get(id)
        .await
        .unwrap()
        .expect("queued mail survives its submitter's account");
    assert_eq!(m.submitter, None);
    s.queue_delete(id).await.unwrap();
    assert_empty(s, "submitter").await;
}

/// Four tasks claim at once, in small batches, until nothing is left: every message is handed
/// out exactly once (PostgreSQL: separate connections racing on `FOR UPDATE SKIP LOCKED`).
pub(super) async fn concurrent_claims(storage: &Storage) {
    let s = storage.store.clone();
    claim_race(storage, &[s.clone(), s.clone(), s.clone(), s], 60).await;
}

/// Enqueues `count` due messages through `storage`, then one task per entry of `nodes` (the
/// same store several times, or stores of different nodes or processes on the same data)
/// claims in batches of 3 until nothing is left. Panics unless every message was claimed
/// exactly once. Leaves the queue empty. Starts from an empty queue.
pub async fn claim_race(storage: &Storage, nodes: &[Arc<dyn Store>], count: i64) {
    assert_empty(&*storage.store, "claim race start").await;
    let mut want = Vec::new();
    for i in 0..count {
        let id = storage
            .store
            .queue_enqueue(queued(
                storage,
                &format!("q-race-{i}"),
                1,
                vec![rcpt("a@c.example", 100 + i % 7), rcpt("b@c.example", 100)],
            ))
            .await
            .unwrap();
        want.push(id);
    }
    let tasks: Vec<_> = nodes
        .iter()
        .map(|node| {
            let s = node.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                loop {
                    let batch = s.queue_claim(1_000, 100_000, 3).await.unwrap();
                    if batch.is_empty() {
                        return got;
                    }
                    got.extend(batch.iter().map(|m| m.id));
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let distinct: HashSet<QueueId> = all.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        all.len(),
        "no message was claimed twice by concurrent claims"
    );
    all.sort_unstable();
    want.sort_unstable();
    assert_eq!(all, want, "every due message was claimed");
    delete_all(&*storage.store).await;
    assert_empty(&*storage.store, "claim race").await;
}
