//! Throughput checks of the SQLite backend (ignored by default: run with
//! `cargo test -p malt-store-sqlite --release --test perf -- --ignored --nocapture`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Instant;

use malt_store::{FlagOp, Flags, MessageMeta, NewAccount, NewMessage, UidSet, flag};
use malt_store_sqlite::open_storage;

fn meta(i: usize) -> MessageMeta {
    let mut m = MessageMeta::default();
    m.envelope.subject = Some(format!("message {i}"));
    m.sort.message_id = Some(format!("<{i}@perf.test>"));
    m.preview = "x".repeat(200);
    m
}

#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn append_throughput_and_bulk_flags() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open_storage(&dir.path().join("malt.sqlite"), &dir.path().join("blobs"))
        .await
        .unwrap();
    let s = storage.store.clone();
    s.domain_add("perf.test").await.unwrap();
    let acc = s
        .account_create(NewAccount {
            address: "u@perf.test".into(),
            password_hash: "h".into(),
            quota_bytes: None,
        })
        .await
        .unwrap();
    let inbox = s.mailbox_get(acc.id, "INBOX").await.unwrap().unwrap();
    let blob = storage.blobs.put(&vec![b'x'; 5000]).unwrap();

    // Concurrent single-message appends (SMTP deliveries): group commit.
    let n_tasks = 32;
    let per_task = 125;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..n_tasks {
        let s = s.clone();
        let blob = blob.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..per_task {
                let m = NewMessage {
                    mailbox_id: inbox.id,
                    blob_id: blob.clone(),
                    size: 5000,
                    flags: Flags::default(),
                    internal_date: 0,
                    meta: meta(t * per_task + i),
                };
                s.append(acc.id, vec![m]).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let n = n_tasks * per_task;
    let el = start.elapsed();
    println!("{n} appends in {el:?}: {:.0}/s", n as f64 / el.as_secs_f64());

    // Fill to 100k with batched appends, then one STORE over all of them.
    let start = Instant::now();
    let mut total = n;
    while total < 100_000 {
        let batch: Vec<NewMessage> = (0..1000)
            .map(|i| NewMessage {
                mailbox_id: inbox.id,
                blob_id: blob.clone(),
                size: 5000,
                flags: Flags::default(),
                internal_date: 0,
                meta: meta(total + i),
            })
            .collect();
        s.append(acc.id, batch).await.unwrap();
        total += 1000;
    }
    println!("filled to {total} in {:?}", start.elapsed());
    let start = Instant::now();
    let u = s
        .store_flags(
            acc.id,
            inbox.id,
            &UidSet::all(),
            FlagOp::Add,
            &Flags::new(flag::SEEN, []),
            None,
        )
        .await
        .unwrap();
    println!(
        "STORE +\\Seen on {} messages in {:?}",
        u.changed.len(),
        start.elapsed()
    );
    let start = Instant::now();
    let sums = s.message_summaries(inbox.id).await.unwrap();
    println!("{} summaries in {:?}", sums.len(), start.elapsed());
    let start = Instant::now();
    let r = s.check_consistency().await.unwrap();
    println!("check_consistency in {:?}: {:?}", start.elapsed(), r.problems);
    assert!(r.problems.is_empty());
}
