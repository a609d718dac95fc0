//! `malt serve` runs the queue: a queued message for a remote recipient is delivered over SMTP
//! (test DNS server and SMTP sink), and one the remote server deferred survives a restart and is
//! delivered by the next process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;
use malt_core::{BackendChoice, open_storage};
use malt_store::{NewQueueRecipient, NewQueuedMessage, QueueId};
use malt_testkit::{DnsServer, Record, SinkOptions};

const BODY: &str =
    "From: alice@local.test\r\nTo: user@remote.test\r\nSubject: restart\r\n\r\nSECRET-BODY-TEXT\r\n";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn storage(m: &Malt) -> malt_store::Storage {
    let dir = m.data_dir();
    open_storage(
        BackendChoice::Sqlite {
            path: dir.join("malt.db"),
        },
        dir.join("blobs"),
    )
    .await
    .unwrap()
}

async fn enqueue(s: &malt_store::Storage) -> QueueId {
    let blob_id = s.blobs.put(BODY.as_bytes()).unwrap();
    s.store
        .queue_enqueue(NewQueuedMessage {
            blob_id,
            size: BODY.len() as u64,
            return_path: "alice@local.test".into(),
            envid: None,
            ret_full: false,
            created_at: now(),
            submitter: None,
            recipients: vec![NewQueueRecipient {
                address: "user@remote.test".into(),
                orcpt: None,
                notify: None,
                next_attempt: now(),
            }],
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deferred_message_survives_a_restart_and_is_delivered() {
    let dns = DnsServer::start(vec![
        Record::mx("remote.test", 10, "mx.remote.test"),
        Record::a("mx.remote.test", "127.0.0.1"),
    ])
    .await;
    let deferring = sink(SinkOptions {
        rcpt_replies: vec![(
            "user@remote.test".into(),
            "451 4.7.1 Greylisted, come back later".into(),
        )],
        ..SinkOptions::default()
    })
    .await;
    let addr = deferring.addr();
    let m = Malt::new();
    m.with_user("alice@local.test");
    let config = m.config(&format!(
        "[dns]\nservers = [\"{}\"]\n\n[outbound]\nmx_port = {}\nmax_idle_per_destination = 0\n\
         connect_timeout_secs = 5\ncommand_timeout_secs = 5\ndata_timeout_secs = 5\n\n\
         [queue]\nretry_schedule_secs = [1]\n",
        dns.addr(),
        addr.port()
    ));
    let s = storage(&m).await;
    let id = enqueue(&s).await;

    let server = Server::start(&m, &config, 1);
    wait_for("a deferred attempt", async || {
        let q = s.store.queue_get(id).await.unwrap().unwrap();
        q.recipients[0].attempts >= 1
    })
    .await;
    let first_log = server.log.clone();
    let status = server.terminate(Duration::from_secs(30));
    assert!(status.success(), "{status:?}");
    let first_log = first_log.lock().unwrap().clone();
    assert!(first_log.contains("queue runner stopped"), "{first_log}");
    assert!(first_log.contains("deferred"), "{first_log}");

    // Still queued, deferred, with the reply recorded.
    let q = s
        .store
        .queue_get(id)
        .await
        .unwrap()
        .expect("the message survives the restart");
    assert_eq!(q.recipients[0].status, malt_store::RecipientStatus::Pending);
    assert_eq!(
        q.recipients[0].last_error.as_deref(),
        Some("451 4.7.1 Greylisted, come back later")
    );
    assert!(deferring.transactions().is_empty());

    drop(deferring);
    let accepting = sink(SinkOptions {
        bind: addr,
        ..SinkOptions::default()
    })
    .await;
    let server = Server::start(&m, &config, 1);
    wait_for("delivery by the new process", async || {
        accepting.transactions().len() == 1
    })
    .await;
    wait_for("the queue to empty", async || {
        s.store.queue_list().await.unwrap().is_empty()
    })
    .await;
    assert_eq!(accepting.transactions()[0].body, BODY.as_bytes());
    assert_eq!(accepting.transactions()[0].mail_from, "alice@local.test");
    let log = server.log.lock().unwrap().clone();
    assert!(log.contains("delivery attempt"), "{log}");
    assert!(log.contains("remote.test"), "{log}");
    assert!(
        !log.contains("SECRET-BODY-TEXT"),
        "message content must never be logged:\n{log}"
    );
    assert!(server.terminate(Duration::from_secs(30)).success());
}
