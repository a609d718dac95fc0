//! Store benchmark, rerunnable: `cargo bench -p malt --bench store` (SQLite and PostgreSQL;
//! `MALT_TEST_PG_URL` names the PostgreSQL server, default the local test database; set
//! `MALT_BENCH_SKIP_PG=1` to measure SQLite alone).
//!
//! Measures, through the mail core (parse once, blob fsynced, metadata committed):
//! - appending 10,000 messages of about 5 KB to one mailbox: one at a time (each durable before
//!   the next starts) and from 16 concurrent appenders (group commit);
//! - listing UIDs and flags of a 100,000-message mailbox;
//! - flag changes on that mailbox: one STORE over all 100,000, and 1,000 single-message STOREs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::Instant;

use malt_core::mail::{AppendItem, MailCore, MailSettings};
use malt_core::storage::{BackendChoice, open_storage};
use malt_store::{FlagOp, Flags, NewAccount, UidSet, flag};

const APPENDS: usize = 10_000;
const BIG_MAILBOX: usize = 100_000;
const CONCURRENCY: usize = 16;

fn message(i: usize) -> Vec<u8> {
    let mut m = format!(
        "From: Sender {i} <sender{i}@example.org>\r\nTo: user@example.com\r\nSubject: Benchmark message {i}\r\n\
         Message-ID: <bench-{i}-{}@example.org>\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n",
        rand::random::<u64>()
    )
    .into_bytes();
    while m.len() < 5_000 {
        m.extend_from_slice(b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n");
    }
    m
}

async fn run(name: &str, backend: BackendChoice, blob_dir: std::path::PathBuf) {
    let storage = open_storage(backend, blob_dir).await.unwrap();
    let store = storage.store.clone();
    let core = MailCore::new(storage.clone(), MailSettings::default());
    let domain = format!("bench{}.example", rand::random::<u32>());
    store.domain_add(&domain).await.unwrap();
    let mk = |n: &str| NewAccount {
        address: format!("{n}@{domain}"),
        password_hash: "x".into(),
        quota_bytes: None,
    };
    let seq = store.account_create(mk("seq")).await.unwrap();
    let conc = store.account_create(mk("conc")).await.unwrap();
    let big = store.account_create(mk("big")).await.unwrap();
    let msgs: Arc<Vec<Vec<u8>>> = Arc::new((0..APPENDS).map(message).collect());

    // 1. Sequential appends.
    let inbox = store.mailbox_get(seq.id, "INBOX").await.unwrap().unwrap();
    let t = Instant::now();
    for m in msgs.iter() {
        core.append(seq.id, inbox.id, m, Flags::default(), None)
            .await
            .unwrap();
    }
    let seq_rate = APPENDS as f64 / t.elapsed().as_secs_f64();

    // 2. Concurrent appends.
    let inbox = store.mailbox_get(conc.id, "INBOX").await.unwrap().unwrap();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..CONCURRENCY {
        let (core, msgs) = (core.clone(), msgs.clone());
        tasks.push(tokio::spawn(async move {
            for i in (w..APPENDS).step_by(CONCURRENCY) {
                // Vary the content so nothing is deduplicated.
                let mut m = msgs[i].clone();
                m.extend_from_slice(b"conc\r\n");
                core.append(conc.id, inbox.id, &m, Flags::default(), None)
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let conc_rate = APPENDS as f64 / t.elapsed().as_secs_f64();

    // 3. A 100,000-message mailbox (built in batches; not timed as a figure of its own).
    let inbox = store.mailbox_get(big.id, "INBOX").await.unwrap().unwrap();
    let t = Instant::now();
    for chunk in (0..BIG_MAILBOX).collect::<Vec<_>>().chunks(1000) {
        let batch = chunk
            .iter()
            .map(|&i| AppendItem {
                mailbox_id: inbox.id,
                raw: msgs[i % APPENDS].clone(),
                flags: Flags::default(),
                internal_date: None,
            })
            .collect();
        core.append_many(big.id, batch).await.unwrap();
    }
    let batch_rate = BIG_MAILBOX as f64 / t.elapsed().as_secs_f64();

    let t = Instant::now();
    let list = store.message_summaries(inbox.id).await.unwrap();
    let list_ms = t.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(list.len(), BIG_MAILBOX);

    let seen = Flags::new(flag::SEEN, []);
    let t = Instant::now();
    let r = store
        .store_flags(big.id, inbox.id, &UidSet::all(), FlagOp::Add, &seen, None)
        .await
        .unwrap();
    let all_ms = t.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(r.changed.len(), BIG_MAILBOX);

    let flagged = Flags::new(flag::FLAGGED, ["$Important".to_owned()]);
    let t = Instant::now();
    for uid in (1..=BIG_MAILBOX as u32).step_by(BIG_MAILBOX / 1000) {
        store
            .store_flags(
                big.id,
                inbox.id,
                &UidSet::from_uids([uid]),
                FlagOp::Add,
                &flagged,
                None,
            )
            .await
            .unwrap();
    }
    let single_ms = t.elapsed().as_secs_f64() * 1000.0 / 1000.0;

    let t = Instant::now();
    let list2 = store.message_summaries(inbox.id).await.unwrap();
    let list2_ms = t.elapsed().as_secs_f64() * 1000.0;
    assert!(list2.iter().all(|s| s.flags.has(flag::SEEN)));

    println!("== {name} ==");
    println!("append 10,000 x 5 KB, one at a time:        {seq_rate:>9.0} msg/s");
    println!("append 10,000 x 5 KB, {CONCURRENCY} concurrent:        {conc_rate:>9.0} msg/s");
    println!("append 100,000 x 5 KB in batches of 1,000:  {batch_rate:>9.0} msg/s");
    println!("list UIDs+flags of 100,000:                 {list_ms:>9.1} ms");
    println!("STORE +FLAGS \\Seen on 100,000:              {all_ms:>9.1} ms");
    println!("STORE on one message (mean of 1,000):       {single_ms:>9.3} ms");
    println!("list UIDs+flags of 100,000 (after STOREs):  {list2_ms:>9.1} ms");
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir =
            tempfile::tempdir_in(std::env::var("MALT_BENCH_DIR").unwrap_or_else(|_| ".".into())).unwrap();
        run(
            "SQLite",
            BackendChoice::Sqlite {
                path: dir.path().join("malt.db"),
            },
            dir.path().join("blobs"),
        )
        .await;
        if std::env::var("MALT_BENCH_SKIP_PG").is_err() {
            let base = std::env::var("MALT_TEST_PG_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
            let schema = format!("malt_bench_{}", rand::random::<u32>());
            let (client, conn) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client
                .batch_execute(&format!("CREATE SCHEMA {schema}"))
                .await
                .unwrap();
            let sep = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
            run(
                "PostgreSQL",
                BackendChoice::Postgres { url, pool_size: 16 },
                dir.path().join("pgblobs"),
            )
            .await;
            client
                .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
                .await
                .unwrap();
        }
    });
}
