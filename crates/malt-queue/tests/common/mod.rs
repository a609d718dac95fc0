//! A queue runner on a real SQLite store in a temporary directory, with local accounts, and
//! helpers to queue messages and read mailboxes.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use malt_config::Config;
use malt_core::storage::{BackendChoice, open_storage};
use malt_core::{MailCore, MailSettings};
use malt_queue::{Settings, Transport};
use malt_store::{DsnNotify, NewAccount, NewQueueRecipient, NewQueuedMessage, QueueId, UidSet};
use tokio::sync::watch;

pub const SENDER: &str = "alice@local.test";
pub const LOCAL_RCPT: &str = "bob@local.test";

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub core: MailCore,
    stop: Option<watch::Sender<bool>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// A store with domain `local.test` and accounts alice and bob, and no runner yet.
pub async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let storage = open_storage(
        BackendChoice::Sqlite {
            path: dir.path().join("malt.db"),
        },
        dir.path().join("blobs"),
    )
    .await
    .unwrap();
    storage.store.domain_add("local.test").await.unwrap();
    for address in [SENDER, LOCAL_RCPT] {
        storage
            .store
            .account_create(NewAccount {
                address: address.into(),
                // Never used to log in here.
                password_hash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".into(),
                quota_bytes: None,
            })
            .await
            .unwrap();
    }
    Env {
        dir,
        core: MailCore::new(storage, MailSettings::default()),
        stop: None,
        task: None,
    }
}

/// A configuration with a tiny retry schedule (1 s) for tests; `tweak` adjusts it.
pub fn config(tweak: impl FnOnce(&mut Config)) -> Config {
    let mut c = Config::zero_config(std::path::PathBuf::from("/nonexistent"));
    c.hostname = "mail.local.test".into();
    c.queue.retry_schedule_secs = vec![1];
    c.queue.delay_warning_secs = 0;
    c.timeouts.shutdown_grace_secs = 5;
    tweak(&mut c);
    c.validate().unwrap();
    c
}

impl Env {
    pub fn start<T: Transport>(&mut self, config: &Config, transport: Arc<T>) {
        let settings = Settings::from_config(config).unwrap();
        let (tx, rx) = watch::channel(false);
        self.stop = Some(tx);
        self.task = Some(tokio::spawn(malt_queue::run(
            self.core.clone(),
            transport,
            settings,
            rx,
        )));
    }

    /// Stops the runner and waits for it.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            tx.send(true).unwrap();
        }
        if let Some(t) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(20), t)
                .await
                .unwrap()
                .unwrap();
        }
    }

    /// Queues `body` from `from` to `rcpts` (due now) and wakes the runner.
    pub async fn enqueue(
        &self,
        from: &str,
        rcpts: &[&str],
        body: &str,
        notify: Option<DsnNotify>,
    ) -> QueueId {
        self.enqueue_at(from, rcpts, body, notify, now()).await
    }

    /// As [`Env::enqueue`], with the message's queue time set to `created_at`.
    pub async fn enqueue_at(
        &self,
        from: &str,
        rcpts: &[&str],
        body: &str,
        notify: Option<DsnNotify>,
        created_at: i64,
    ) -> QueueId {
        let s = self.core.storage();
        let blob_id = s.blobs.put(body.as_bytes()).unwrap();
        let id = s
            .store
            .queue_enqueue(NewQueuedMessage {
                blob_id,
                size: body.len() as u64,
                return_path: from.into(),
                envid: Some("ENV-42".into()),
                ret_full: false,
                created_at,
                submitter: None,
                recipients: rcpts
                    .iter()
                    .map(|r| NewQueueRecipient {
                        address: (*r).into(),
                        orcpt: Some(format!("rfc822;{r}")),
                        notify,
                        next_attempt: now(),
                    })
                    .collect(),
            })
            .await
            .unwrap();
        self.core.queue_notify().notify_one();
        id
    }

    /// The raw messages in `address`'s INBOX, in UID order.
    pub async fn inbox(&self, address: &str) -> Vec<Vec<u8>> {
        let s = self.core.storage();
        let account = s.store.account_by_address(address).await.unwrap().unwrap();
        let inbox = s.store.mailbox_get(account.id, "INBOX").await.unwrap().unwrap();
        let msgs = s.store.messages(inbox.id, &UidSet::all()).await.unwrap();
        let mut out = Vec::with_capacity(msgs.len());
        for m in &msgs {
            // The message as clients see it: its trace headers (prefix) and its blob.
            out.push(self.core.read_message(m).await.unwrap());
        }
        out
    }

    pub async fn queue_len(&self) -> usize {
        self.core.storage().store.queue_list().await.unwrap().len()
    }
}

/// Waits up to 30 s for `cond`.
pub async fn wait_for<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !cond().await {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Parses a DSN and returns (its `message/delivery-status` text, the whole message as text).
pub fn dsn_parts(raw: &[u8]) -> (String, String) {
    use mail_parser::MimeHeaders as _;
    let msg = mail_parser::MessageParser::default().parse(raw).unwrap();
    let ct = msg.content_type().unwrap();
    assert_eq!((ct.ctype(), ct.subtype()), ("multipart", Some("report")));
    assert_eq!(ct.attribute("report-type"), Some("delivery-status"));
    assert_eq!(
        msg.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-replied")
    );
    let status = msg
        .parts
        .iter()
        .find(|p| {
            p.content_type()
                .is_some_and(|c| c.subtype() == Some("delivery-status"))
        })
        .expect("a message/delivery-status part");
    (
        String::from_utf8_lossy(status.contents()).into_owned(),
        String::from_utf8_lossy(raw).into_owned(),
    )
}
