//! `malt queue …` as an operator runs it, on a queue filled through the store API (as the SMTP
//! sessions fill it).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_core::{BackendChoice, open_storage};
use malt_store::{DsnNotify, NewQueueRecipient, NewQueuedMessage, QueueId, RecipientStatus, RecipientUpdate};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn storage(m: &Malt) -> malt_store::Storage {
    let dir = m.data_dir();
    std::fs::create_dir_all(&dir).unwrap();
    open_storage(
        BackendChoice::Sqlite {
            path: dir.join("malt.db"),
        },
        dir.join("blobs"),
    )
    .await
    .unwrap()
}

/// Queues a message from `from` to `rcpts`, first attempt `delay` seconds from now.
async fn enqueue(s: &malt_store::Storage, from: &str, rcpts: &[&str], delay: i64) -> QueueId {
    let body = format!("From: {from}\r\nSubject: queued\r\n\r\nhello\r\n");
    let blob_id = s.blobs.put(body.as_bytes()).unwrap();
    s.store
        .queue_enqueue(NewQueuedMessage {
            blob_id,
            size: body.len() as u64,
            return_path: from.into(),
            envid: Some("ENV1".into()),
            ret_full: true,
            created_at: now() - 3 * 3600,
            submitter: None,
            recipients: rcpts
                .iter()
                .map(|r| NewQueueRecipient {
                    address: (*r).into(),
                    orcpt: Some(format!("rfc822;{r}")),
                    notify: Some(DsnNotify {
                        failure: true,
                        delay: true,
                        ..DsnNotify::default()
                    }),
                    next_attempt: now() + delay,
                })
                .collect(),
        })
        .await
        .unwrap()
}

fn id_s(id: QueueId) -> String {
    id.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn list_show_hold_release_retry_flush_delete() {
    let m = Malt::new();
    assert!(m.ok(&["queue", "list"], b"").contains("queue is empty"));
    let s = storage(&m).await;
    let a = enqueue(
        &s,
        "alice@local.test",
        &["bob@remote.test", "carol@other.test"],
        3600,
    )
    .await;
    let b = enqueue(&s, "", &["dave@remote.test"], 7200).await;
    // One recipient of `a` failed, with an error to show.
    let rcpts = s.store.queue_get(a).await.unwrap().unwrap().recipients;
    s.store
        .queue_update(
            a,
            vec![RecipientUpdate {
                id: rcpts[1].id,
                status: RecipientStatus::Failed,
                next_attempt: now(),
                last_error: Some("550 5.1.1 <carol@other.test>: no such user".into()),
                delay_notified: false,
            }],
        )
        .await
        .unwrap();

    let list = m.ok(&["queue", "list"], b"");
    let head_a = list.lines().find(|l| l.starts_with(&format!("{a}\t"))).unwrap();
    assert!(
        head_a.contains("<alice@local.test>") && head_a.contains("3h0m"),
        "{list}"
    );
    assert!(!head_a.contains("held"));
    assert!(
        list.contains("bob@remote.test\tpending, 0 attempts, next in 59m")
            || list.contains("bob@remote.test\tpending, 0 attempts, next in 1h0m"),
        "{list}"
    );
    assert!(list.contains("carol@other.test\tfailed"), "{list}");
    assert!(
        list.lines()
            .any(|l| l.starts_with(&format!("{b}\t")) && l.contains("<>")),
        "{list}"
    );

    let show = m.ok(&["queue", "show", &id_s(a)], b"");
    for want in [
        "sender:     <alice@local.test>",
        "envid:      ENV1",
        "ret:        FULL",
        "held:       no",
        "orcpt:      rfc822;bob@remote.test",
        "notify:     FAILURE,DELAY",
        "last error: 550 5.1.1 <carol@other.test>: no such user",
    ] {
        assert!(show.contains(want), "{want:?} not in:\n{show}");
    }
    let err = m.fails(&["queue", "show", "999"], b"");
    assert!(err.contains("no queued message 999"), "{err}");

    // hold / release
    m.ok(&["queue", "hold", &id_s(a)], b"");
    assert!(s.store.queue_get(a).await.unwrap().unwrap().held);
    let list = m.ok(&["queue", "list"], b"");
    assert!(
        list.lines()
            .any(|l| l.starts_with(&format!("{a}\t")) && l.ends_with("held")),
        "{list}"
    );
    assert!(
        m.ok(&["queue", "show", &id_s(a)], b"")
            .contains("held:       yes")
    );
    m.ok(&["queue", "release", &id_s(a)], b"");
    assert!(!s.store.queue_get(a).await.unwrap().unwrap().held);
    assert!(
        m.fails(&["queue", "hold", "999"], b"")
            .contains("no queued message 999")
    );
    assert!(
        m.fails(&["queue", "release", "999"], b"")
            .contains("no queued message 999")
    );

    // retry one: due now, the other message still waits
    m.ok(&["queue", "retry", &id_s(a)], b"");
    let due = |id| {
        let s = s.clone();
        async move { s.store.queue_get(id).await.unwrap().unwrap().recipients[0].next_attempt <= now() }
    };
    assert!(due(a).await);
    assert!(!due(b).await);
    assert!(
        m.ok(&["queue", "list"], b"")
            .contains("bob@remote.test\tpending, 0 attempts, due now")
    );
    assert!(
        m.fails(&["queue", "retry", "999"], b"")
            .contains("no queued message 999")
    );

    // flush: everything due
    let out = m.ok(&["queue", "flush"], b"");
    assert!(out.contains("messages due now"), "{out}");
    assert!(due(b).await);

    // delete
    m.ok(&["queue", "delete", &id_s(b)], b"");
    assert!(s.store.queue_get(b).await.unwrap().is_none());
    assert!(
        m.fails(&["queue", "delete", &id_s(b)], b"")
            .contains(&format!("no queued message {b}"))
    );
    assert!(!m.ok(&["queue", "list"], b"").contains("dave@remote.test"));
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_of_a_finished_message_fails() {
    let m = Malt::new();
    let s = storage(&m).await;
    let a = enqueue(&s, "alice@local.test", &["bob@remote.test", "x@remote.test"], 60).await;
    let r = s.store.queue_get(a).await.unwrap().unwrap().recipients;
    s.store
        .queue_update(
            a,
            vec![RecipientUpdate {
                id: r[0].id,
                status: RecipientStatus::Failed,
                next_attempt: now(),
                last_error: None,
                delay_notified: false,
            }],
        )
        .await
        .unwrap();
    m.ok(&["queue", "retry", &id_s(a)], b"");
    // Deliver the last one: the message leaves the queue.
    s.store
        .queue_update(
            a,
            vec![RecipientUpdate {
                id: r[1].id,
                status: RecipientStatus::Delivered,
                next_attempt: now(),
                last_error: None,
                delay_notified: false,
            }],
        )
        .await
        .unwrap();
    let err = m.fails(&["queue", "retry", &id_s(a)], b"");
    assert!(err.contains(&format!("no queued message {a}")), "{err}");
}
