//! Putting a message into the durable outbound queue (the store's `queue_*` API), for the SMTP
//! sessions: recipients in other domains, and local ones whose delivery failed temporarily.
//!
//! Invariants of [`MailCore::enqueue`]:
//! - the content is written to the blob store first (fsynced and renamed, as for an append), then
//!   the queue rows commit in one transaction: when it returns `Ok`, the message is durable for
//!   every recipient (RFC 5321 §6.1: the `250` may be sent). A failure in between leaves only an
//!   unreferenced blob, which garbage collection removes after its grace period.
//! - every recipient is due at once (`next_attempt` = now); the queue runner, woken through
//!   [`MailCore::queue_notify`], applies the retry schedule (RFC 5321 §4.5.4.1) from there.
//! - the size limit (`max_message_size`) is checked before anything is written.
//! - a recipient that is one of this server's SRS addresses ([`crate::srs`]: a bounce of a message
//!   this server forwarded, generated here or met at the MX) is queued for the original sender it
//!   stands for, when valid; an invalid one stays as it is (and fails like any unknown address).

use malt_store::{AccountId, DsnNotify, NewQueueRecipient, NewQueuedMessage, QueueId, StoreError};

use crate::mail::{MailCore, now};

/// The envelope of a queued message (RFC 3461 DSN parameters included).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueEnvelope {
    /// The reverse-path, `""` for the null sender.
    pub return_path: String,
    /// RFC 3461 §4.4 ENVID.
    pub envid: Option<String>,
    /// RFC 3461 §4.3 `RET=FULL`.
    pub ret_full: bool,
    /// The authenticated account that submitted it, if any.
    pub submitter: Option<AccountId>,
}

/// One queued recipient: the address (`local@domain`), its RFC 3461 NOTIFY (`None`: not given) and
/// ORCPT (`rfc822;address`).
pub type QueueRcpt = (String, Option<DsnNotify>, Option<String>);

impl MailCore {
    /// Queues `message` (exactly as it is to be sent, trace header included) for `recipients`, as
    /// one queue entry; wakes the queue runner. See the module docs.
    pub async fn enqueue(
        &self,
        env: &QueueEnvelope,
        recipients: &[QueueRcpt],
        message: &[u8],
    ) -> Result<QueueId, StoreError> {
        self.check_size(message.len())?;
        let blobs = self.storage().blobs.clone();
        let content = message.to_vec();
        let blob_id = tokio::task::spawn_blocking(move || blobs.put(&content))
            .await
            .map_err(StoreError::backend)??;
        let now = now();
        let msg = NewQueuedMessage {
            blob_id,
            size: message.len() as u64,
            return_path: env.return_path.clone(),
            envid: env.envid.clone(),
            ret_full: env.ret_full,
            created_at: now,
            submitter: env.submitter,
            recipients: recipients
                .iter()
                .map(|(address, notify, orcpt)| NewQueueRecipient {
                    address: self.srs_original(address).unwrap_or_else(|| address.clone()),
                    orcpt: orcpt.clone(),
                    notify: *notify,
                    next_attempt: now,
                })
                .collect(),
        };
        let id = self.storage().store.queue_enqueue(msg).await?;
        metrics::counter!("malt_queue_enqueued_total").increment(1);
        self.queue_notify().notify_one();
        Ok(id)
    }
}

impl MailCore {
    /// The original address behind one of this server's SRS addresses, when `address` is one
    /// and valid (see [`crate::srs::Srs::reverse`]).
    pub fn srs_original(&self, address: &str) -> Option<String> {
        let srs = self.delivery_options().srs.as_ref()?;
        if !srs.is_ours(address) {
            return None;
        }
        match srs.reverse(address) {
            Ok(original) => Some(original),
            Err(e) => {
                tracing::info!(address, error = %e, "SRS address not reversed");
                None
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use malt_store::RecipientStatus;

    use super::*;
    use crate::mail::MailSettings;

    #[tokio::test]
    async fn enqueue_is_durable_and_wakes_the_runner() {
        let dir = tempfile::tempdir().unwrap();
        let settings = MailSettings {
            max_message_size: 1000,
        };
        let core = crate::test_support::core(&dir, settings).await;
        let notify = core.queue_notify();
        let env = QueueEnvelope {
            return_path: "alice@example.org".into(),
            envid: Some("QQ314159".into()),
            ret_full: true,
            submitter: None,
        };
        let never = DsnNotify {
            never: true,
            ..DsnNotify::default()
        };
        let rcpts = vec![
            ("Bob@Remote.test".to_owned(), None, None),
            (
                "carol@remote.test".to_owned(),
                Some(never),
                Some("rfc822;carol@remote.test".to_owned()),
            ),
        ];
        let raw = b"Subject: queued\r\n\r\nhello\r\n";
        let id = core.enqueue(&env, &rcpts, raw).await.unwrap();
        // The runner's wait returns at once: the permit was stored.
        tokio::time::timeout(Duration::from_secs(5), notify.notified())
            .await
            .unwrap();
        let list = core.storage().store.queue_list().await.unwrap();
        assert_eq!(list.len(), 1);
        let q = &list[0];
        assert_eq!(q.id, id);
        assert_eq!(
            (q.return_path.as_str(), q.envid.as_deref(), q.ret_full, q.size),
            ("alice@example.org", Some("QQ314159"), true, raw.len() as u64)
        );
        assert_eq!(core.read_blob(&q.blob_id).await.unwrap(), raw);
        let r: Vec<_> = q
            .recipients
            .iter()
            .map(|r| {
                (
                    r.address.as_str(),
                    r.domain.as_str(),
                    r.notify,
                    r.orcpt.as_deref(),
                    r.status,
                )
            })
            .collect();
        assert_eq!(
            r,
            [
                (
                    "Bob@Remote.test",
                    "remote.test",
                    None,
                    None,
                    RecipientStatus::Pending
                ),
                (
                    "carol@remote.test",
                    "remote.test",
                    Some(never),
                    Some("rfc822;carol@remote.test"),
                    RecipientStatus::Pending
                ),
            ]
        );
        // Over the size limit: nothing is written.
        let big = vec![b'x'; 1001];
        assert!(core.enqueue(&env, &rcpts, &big).await.is_err());
        assert_eq!(core.storage().store.queue_list().await.unwrap().len(), 1);
    }
}
