//! Runs the shared conformance suite against PostgreSQL, plus PostgreSQL-specific checks (two
//! nodes on one schema see each other's commits through LISTEN/NOTIFY; concurrent migrations).
//!
//! Needs a PostgreSQL server: `MALT_TEST_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`. If it is unreachable the tests FAIL (never skip).
//! Each test works in a fresh schema `malt_t_<random>`, dropped at the end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::Duration;

use malt_store::{Flags, MessageMeta, NewAccount, NewMessage, SortFields, Storage, Store, UidSet};
use malt_store_postgres::{PgStore, open_storage};
use rand::Rng;
use tokio_postgres::NoTls;

fn base_url() -> String {
    std::env::var("MALT_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A fresh schema, dropped (with everything in it) when this value is dropped, also when the
/// test panics.
struct TestSchema {
    name: String,
    admin: tokio_postgres::Client,
}

impl TestSchema {
    async fn new() -> TestSchema {
        let url = base_url();
        let (admin, conn) = tokio_postgres::connect(&url, NoTls).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is unreachable at {url} ({e:?}); start it or set MALT_TEST_PG_URL \
                 (these tests never skip)"
            )
        });
        tokio::spawn(conn);
        let name = format!("malt_t_{:016x}", rand::thread_rng().r#gen::<u64>());
        admin
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .await
            .unwrap();
        TestSchema { name, admin }
    }

    fn url(&self) -> String {
        let base = base_url();
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}options=-csearch_path%3D{}", self.name)
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread with its
        // own runtime and connection. A lock timeout keeps a wedged test from hanging here.
        let sql = format!(
            "SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS {} CASCADE",
            self.name
        );
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let (client, conn) = tokio_postgres::connect(&base_url(), NoTls).await?;
                tokio::spawn(conn);
                client.batch_execute(&sql).await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) && !std::thread::panicking() {
            panic!("dropping test schema {} failed: {dropped:?}", self.name);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_suite() {
    let schema = TestSchema::new().await;
    let dir = tempfile::tempdir().unwrap();
    let storage = open_storage(&schema.url(), 4, dir.path()).await.unwrap();
    assert_eq!(storage.store.backend_name(), "postgres");
    malt_store::conformance::run_all(&storage).await;
    drop(storage);
    drop(schema);
}

fn message(storage: &Storage, mailbox_id: i64, tag: &str) -> NewMessage {
    let raw = format!("Subject: {tag}\r\nMessage-ID: <{tag}@t>\r\n\r\nbody {tag}\r\n");
    let blob_id = storage.blobs.put(raw.as_bytes()).unwrap();
    NewMessage {
        mailbox_id,
        blob_id,
        size: raw.len() as u64,
        flags: Flags::default(),
        internal_date: 1_700_000_000,
        meta: MessageMeta {
            sort: SortFields {
                message_id: Some(format!("<{tag}@t>")),
                ..Default::default()
            },
            ..Default::default()
        },
        header: None,
        prefix: None,
    }
}

/// Two nodes on one schema: an append through node A reaches node B's change feed within a
/// second, which only the LISTEN/NOTIFY path can do (B's poll interval is 2 s, and B made no
/// local commit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_notify() {
    let schema = TestSchema::new().await;
    let dir = tempfile::tempdir().unwrap();
    // Open both at once: the migration lock must keep them from racing.
    let url = schema.url();
    let (a, b) = tokio::join!(
        open_storage(&url, 2, dir.path()),
        open_storage(&url, 2, dir.path())
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    a.store.domain_add("nodes.test").await.unwrap();
    let acct = a
        .store
        .account_create(NewAccount {
            address: "u@nodes.test".into(),
            password_hash: "x".into(),
            quota_bytes: None,
        })
        .await
        .unwrap();
    let inbox = a.store.mailbox_get(acct.id, "INBOX").await.unwrap().unwrap();
    let feed = b.change_feed().await.unwrap();
    let mut rx = feed.subscribe();
    // Let B's LISTEN connection settle and its tailer start waiting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let appended = a
        .store
        .append(acct.id, vec![message(&a, inbox.id, "n1")])
        .await
        .unwrap();
    let entry = tokio::time::timeout(Duration::from_secs(1), rx.recv())
        .await
        .expect("node B did not see node A's append within 1 s (LISTEN/NOTIFY)")
        .unwrap();
    assert_eq!(entry.account_id, acct.id);
    assert_eq!(entry.mailbox_id, Some(inbox.id));
    assert_eq!(entry.kind, malt_store::ChangeKind::MessagesAdded);
    assert!(entry.uids.contains(appended[0].uid));

    // The LISTEN connection drops (server restart, network): it reconnects and notifications
    // flow again. Terminating every malt LISTEN backend only costs other tests a reconnect.
    schema
        .admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{}'",
            malt_store_postgres::LISTEN_APPLICATION_NAME
        ))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    // Drain the wake-up the reconnect may have caused.
    while rx.try_recv().is_ok() {}
    let appended = a
        .store
        .append(acct.id, vec![message(&a, inbox.id, "n2")])
        .await
        .unwrap();
    let entry = tokio::time::timeout(Duration::from_secs(1), rx.recv())
        .await
        .expect("node B did not see node A's append within 1 s after its LISTEN connection was dropped")
        .unwrap();
    assert!(entry.uids.contains(appended[0].uid));
    drop((a, b));
    drop(schema);
}

/// Quick checks of the PostgreSQL specifics: batching over many messages, concurrent writers of
/// one account, UIDVALIDITY.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_and_concurrency() {
    let schema = TestSchema::new().await;
    let dir = tempfile::tempdir().unwrap();
    let signal = Arc::new(tokio::sync::Notify::new());
    let store = Arc::new(PgStore::open(&schema.url(), 4, signal).await.unwrap());
    let storage = open_storage(&schema.url(), 4, dir.path()).await.unwrap();
    store.domain_add("bulk.test").await.unwrap();
    let acct = store
        .account_create(NewAccount {
            address: "B@Bulk.Test".into(),
            password_hash: "x".into(),
            quota_bytes: None,
        })
        .await
        .unwrap();
    assert_eq!(acct.address, "b@bulk.test");
    let inbox = store.mailbox_get(acct.id, "inbox").await.unwrap().unwrap();

    const N: u32 = 5_000;
    // N messages in one append: one modseq, UIDs 1..=N.
    let one = message(&storage, inbox.id, "bulk");
    let msgs: Vec<NewMessage> = (0..N)
        .map(|i| {
            let mut m = one.clone();
            m.meta.sort.message_id = Some(format!("<m{i}@t>"));
            m
        })
        .collect();
    let before = store.account_get(acct.id).await.unwrap().unwrap().highest_modseq;
    let out = store.append(acct.id, msgs).await.unwrap();
    assert_eq!(out.len(), N as usize);
    assert_eq!(out[N as usize - 1].uid, N);
    assert!(out.iter().all(|a| a.modseq == before + 1));

    // One STORE over all of them.
    let seen = Flags::new(malt_store::flag::SEEN, ["$Work".to_owned()]);
    let up = store
        .store_flags(
            acct.id,
            inbox.id,
            &UidSet::all(),
            malt_store::FlagOp::Add,
            &seen,
            None,
        )
        .await
        .unwrap();
    assert_eq!(up.changed.len(), N as usize);
    let mb = store.mailbox_by_id(inbox.id).await.unwrap().unwrap();
    assert_eq!((mb.message_count, mb.unseen_count, mb.uidnext), (N, 0, N + 1));

    // Concurrent writers of one account never lose an update and get distinct modseqs.
    let mut tasks = Vec::new();
    for i in 0..8u32 {
        let s = store.clone();
        let uid = i + 1;
        tasks.push(tokio::spawn(async move {
            let f = Flags::new(malt_store::flag::FLAGGED, []);
            s.store_flags(
                acct.id,
                inbox.id,
                &UidSet::from_uids([uid]),
                malt_store::FlagOp::Add,
                &f,
                None,
            )
            .await
            .unwrap()
            .modseq
        }));
    }
    let mut modseqs = Vec::new();
    for t in tasks {
        modseqs.push(t.await.unwrap());
    }
    modseqs.sort_unstable();
    modseqs.dedup();
    assert_eq!(modseqs.len(), 8);

    // UIDVALIDITY differs for a deleted-and-recreated mailbox.
    let m1 = store.mailbox_create(acct.id, "X", None).await.unwrap();
    store.mailbox_delete(acct.id, m1.id).await.unwrap();
    let m2 = store.mailbox_create(acct.id, "X", None).await.unwrap();
    assert!(m2.uidvalidity > m1.uidvalidity);

    let report = store.check_consistency().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    drop((store, storage));
    drop(schema);
}

/// Two nodes (two stores, two pools) on one schema claim the same queue at once, in small
/// batches, until it is empty: `FOR UPDATE SKIP LOCKED` hands every message to exactly one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_claim_queue() {
    let schema = TestSchema::new().await;
    let dir = tempfile::tempdir().unwrap();
    let url = schema.url();
    let (a, b) = tokio::join!(
        open_storage(&url, 3, dir.path()),
        open_storage(&url, 3, dir.path())
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    malt_store::conformance::claim_race(&a, &[a.store.clone(), b.store.clone()], 120).await;
    drop((a, b));
    drop(schema);
}
