#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
use std::sync::Arc;
use std::time::Instant;
use malt_store::{Flags, MessageMeta, NewAccount, NewMessage, SortFields, Store, UidSet};
use malt_store_postgres::PgStore;
use tokio_postgres::NoTls;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timing() {
    let base = "postgres://postgres@127.0.0.1:5432/test";
    let (admin, conn) = tokio_postgres::connect(base, NoTls).await.unwrap();
    tokio::spawn(conn);
    let name = format!("malt_tt_{}", std::process::id());
    admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}")).await.unwrap();
    let url = format!("{base}?options=-csearch_path%3D{name}");
    let store = Arc::new(PgStore::open(&url, 4, Arc::new(tokio::sync::Notify::new())).await.unwrap());
    store.domain_add("t.test").await.unwrap();
    let acct = store.account_create(NewAccount { address: "u@t.test".into(), password_hash: "x".into(), quota_bytes: None }).await.unwrap();
    let inbox = store.mailbox_get(acct.id, "INBOX").await.unwrap().unwrap();
    let mk = |i: u32| NewMessage {
        mailbox_id: inbox.id, blob_id: "b".repeat(64), size: 5000, flags: Flags::default(), internal_date: 1,
        meta: MessageMeta { sort: SortFields { message_id: Some(format!("<m{i}@t>")), ..Default::default() }, ..Default::default() },
    };
    let n = 500;
    let t = Instant::now();
    for i in 0..n { store.append(acct.id, vec![mk(i)]).await.unwrap(); }
    let ap = t.elapsed();
    let t = Instant::now();
    for i in 0..n {
        let f = Flags::new(if i % 2 == 0 { malt_store::flag::SEEN } else { malt_store::flag::FLAGGED }, []);
        store.store_flags(acct.id, inbox.id, &UidSet::from_uids([i + 1]), malt_store::FlagOp::Add, &f, None).await.unwrap();
    }
    let st = t.elapsed();
    let t = Instant::now();
    for _ in 0..20 { store.message_summaries(inbox.id).await.unwrap(); }
    let ls = t.elapsed();
    println!("TIMING append {:.3} ms/op, store {:.3} ms/op, list500 {:.3} ms", ap.as_secs_f64()*1000.0/n as f64, st.as_secs_f64()*1000.0/n as f64, ls.as_secs_f64()*1000.0/20.0);
    drop(store);
    admin.batch_execute(&format!("DROP SCHEMA {name} CASCADE")).await.unwrap();
}
