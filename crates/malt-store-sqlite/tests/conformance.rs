//! Runs the shared backend conformance suite against SQLite, plus SQLite-specific checks: a
//! second process (simulated by a second `SqliteStore` on the same file) reaching the first
//! one's change feed, and durability across reopening.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::Duration;

use malt_store::{Flags, MessageMeta, NewAccount, NewMessage, Store, UidSet};
use malt_store_sqlite::{SqliteStore, open_storage};

#[tokio::test(flavor = "multi_thread")]
async fn conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open_storage(&dir.path().join("db/malt.sqlite"), &dir.path().join("blobs"))
        .await
        .unwrap();
    malt_store::conformance::run_all(&storage).await;
}

async fn setup(store: &dyn Store, address: &str) -> (i64, i64) {
    let domain = address.split('@').nth(1).unwrap();
    if store.domain_get(domain).await.unwrap().is_none() {
        store.domain_add(domain).await.unwrap();
    }
    let acc = store
        .account_create(NewAccount {
            address: address.into(),
            password_hash: "h".into(),
            quota_bytes: None,
        })
        .await
        .unwrap();
    let inbox = store.mailbox_get(acc.id, "INBOX").await.unwrap().unwrap();
    (acc.id, inbox.id)
}

fn message(storage: &malt_store::Storage, mailbox_id: i64, body: &str) -> NewMessage {
    let raw = format!("Subject: {body}\r\n\r\n{body}\r\n");
    NewMessage {
        mailbox_id,
        blob_id: storage.blobs.put(raw.as_bytes()).unwrap(),
        size: raw.len() as u64,
        flags: Flags::default(),
        internal_date: 1_700_000_000,
        meta: MessageMeta::default(),
        header: None,
        prefix: None,
    }
}

/// The CLI writes the same file while the server runs: the server's feed sees it by polling.
#[tokio::test(flavor = "multi_thread")]
async fn other_process_write_reaches_change_feed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("malt.sqlite");
    let server = open_storage(&db, &dir.path().join("blobs")).await.unwrap();
    let (account, inbox) = setup(&*server.store, "u@cli.test").await;
    let feed = server.change_feed().await.unwrap();
    let mut rx = feed.subscribe();

    // A separate store with its own writer thread and its own (unshared) signal.
    let cli = SqliteStore::open(&db, Arc::new(tokio::sync::Notify::new()))
        .await
        .unwrap();
    let appended = cli
        .append(account, vec![message(&server, inbox, "from the cli")])
        .await
        .unwrap();

    let entry = tokio::time::timeout(Duration::from_secs(1), rx.recv())
        .await
        .expect("the server's change feed delivers the CLI's append within a second")
        .unwrap();
    assert_eq!(entry.account_id, account);
    assert_eq!(entry.mailbox_id, Some(inbox));
    assert_eq!(entry.modseq, appended[0].modseq);
    assert_eq!(entry.uids, UidSet::from_uids([appended[0].uid]));
    // And the server reads it.
    assert_eq!(server.store.message_summaries(inbox).await.unwrap().len(), 1);
}

/// After `append` returns, the message is in the file: a fresh open sees it.
#[tokio::test(flavor = "multi_thread")]
async fn append_is_durable_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("malt.sqlite");
    let (account, inbox, uid) = {
        let storage = open_storage(&db, &dir.path().join("blobs")).await.unwrap();
        let (account, inbox) = setup(&*storage.store, "u@durable.test").await;
        let r = storage
            .store
            .append(account, vec![message(&storage, inbox, "kept")])
            .await
            .unwrap();
        (account, inbox, r[0].uid)
    };
    // Re-open (migrations are idempotent) and read.
    let storage = open_storage(&db, &dir.path().join("blobs")).await.unwrap();
    let msgs = storage
        .store
        .messages(inbox, &UidSet::from_uids([uid]))
        .await
        .unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(
        storage.blobs.get(&msgs[0].blob_id).unwrap(),
        b"Subject: kept\r\n\r\nkept\r\n"
    );
    let q = storage.store.quota(account).await.unwrap();
    assert_eq!(q.message_count, 1);
    assert!(
        storage
            .store
            .check_consistency()
            .await
            .unwrap()
            .problems
            .is_empty()
    );
}

/// A database from before migration 6 (no prefix column) gains the column when opened: its
/// messages read back without a prefix, new ones keep theirs.
#[tokio::test(flavor = "multi_thread")]
async fn messages_from_before_the_prefix_migration_have_none() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("malt.sqlite");
    let (account, inbox) = {
        let storage = open_storage(&db, &dir.path().join("blobs")).await.unwrap();
        let (account, inbox) = setup(&*storage.store, "u@migrate.test").await;
        storage
            .store
            .append(account, vec![message(&storage, inbox, "old")])
            .await
            .unwrap();
        (account, inbox)
    };
    // Back to version 5, as a database written before the prefix existed: the later migrations
    // (7, the Sieve scripts; 8, the DAV tables; 9, Sieve duplicate tracking; 10, DAV sharing; 11, its
    // notifications; 12, sharee properties) undone too.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "ALTER TABLE message_meta DROP COLUMN prefix; \
             DROP TABLE sieve_scripts; DROP TABLE vacation_sent; \
             DROP TABLE dav_sharee_props; DROP TABLE dav_share_answers; DROP TABLE dav_shares; \
             DROP TABLE dav_spans; DROP TABLE dav_tombstones; DROP TABLE dav_object_content; \
             DROP TABLE dav_objects; DROP TABLE dav_collections; \
             ALTER TABLE journal DROP COLUMN collection_id; DROP TABLE sieve_duplicates; \
             PRAGMA user_version = 5;",
        )
        .unwrap();
    }
    let storage = open_storage(&db, &dir.path().join("blobs")).await.unwrap();
    let mut new = message(&storage, inbox, "new");
    let prefix = b"Delivered-To: u@migrate.test\r\n".to_vec();
    new.size += prefix.len() as u64;
    new.prefix = Some(prefix.clone());
    storage.store.append(account, vec![new]).await.unwrap();
    let msgs = storage.store.messages(inbox, &UidSet::all()).await.unwrap();
    assert_eq!(
        msgs.iter().map(|m| m.prefix.clone()).collect::<Vec<_>>(),
        vec![None, Some(prefix)]
    );
    let version: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 12, "every migration applied");
}

/// Many concurrent appends are grouped into few transactions and all succeed; a failing job in
/// a batch (over quota) does not affect the others.
#[tokio::test(flavor = "multi_thread")]
async fn group_commit_isolates_failing_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open_storage(&dir.path().join("malt.sqlite"), &dir.path().join("blobs"))
        .await
        .unwrap();
    let (ok_account, ok_inbox) = setup(&*storage.store, "ok@batch.test").await;
    let (full_account, full_inbox) = setup(&*storage.store, "full@batch.test").await;
    storage
        .store
        .account_set_quota(full_account, Some(1))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let s = storage.clone();
        let (acc, mb) = if i % 4 == 0 {
            (full_account, full_inbox)
        } else {
            (ok_account, ok_inbox)
        };
        let m = message(&storage, mb, &format!("batch {i}"));
        tasks.push(tokio::spawn(
            async move { (acc, s.store.append(acc, vec![m]).await) },
        ));
    }
    let mut ok = 0;
    for t in tasks {
        let (acc, r) = t.await.unwrap();
        if acc == full_account {
            assert!(
                matches!(r, Err(malt_store::StoreError::OverQuota { .. })),
                "{r:?}"
            );
        } else {
            r.unwrap();
            ok += 1;
        }
    }
    assert_eq!(ok, 150);
    let mb = storage.store.mailbox_by_id(ok_inbox).await.unwrap().unwrap();
    assert_eq!((mb.message_count, mb.uidnext), (150, 151));
    assert!(
        storage
            .store
            .message_summaries(full_inbox)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        storage
            .store
            .check_consistency()
            .await
            .unwrap()
            .problems
            .is_empty()
    );
}

/// Two stores on one file (the server and a CLI process: two writer threads, serialised by
/// SQLite's write lock) claim the same queue at once until it is empty: every message goes to
/// exactly one of them.
#[tokio::test(flavor = "multi_thread")]
async fn two_processes_claim_queue() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("malt.sqlite");
    let a = open_storage(&db, &dir.path().join("blobs")).await.unwrap();
    let b = open_storage(&db, &dir.path().join("blobs")).await.unwrap();
    malt_store::conformance::claim_race(&a, &[a.store.clone(), b.store.clone()], 120).await;
}
