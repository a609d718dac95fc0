//! The outbound queue (RFC 5321 §4.5.4.1 retry strategy, RFC 3461 DSN parameters), sending
//! delegations, DKIM keys (RFC 6376) and duplicate suppression on PostgreSQL. The `Store`
//! methods of `store_impl.rs` delegate here.
//!
//! Invariants:
//! - `queue_messages.next_due` is the earliest `next_attempt` of the message's Pending
//!   recipients; every write that changes a recipient recomputes it, and a message left without
//!   Pending recipients is deleted in that same transaction. Claiming and the runner's sleep
//!   read one partial index (`queue_messages_due`).
//! - A claim selects with `FOR UPDATE SKIP LOCKED` and re-checks the lease on the row it locks
//!   (READ COMMITTED re-evaluates the WHERE clause on a row changed by a committed claim), so
//!   two nodes never get the same message.
//! - Lock order: a queued message row before its recipient rows (update, retry, delete), so
//!   writers of one message never deadlock.
//! - `lease_until` is NULL when no node holds the message; an update or release clears it.
//! - Addresses of delegations, DKIM domains and selectors are stored lower-case.

use malt_store::{
    Delegation, DelegationKind, DkimKey, DsnNotify, NewQueuedMessage, QueueId, QueueRecipient, QueuedMessage,
    RecipientStatus, RecipientUpdate, queue_attach,
};

use super::*;

const QM_COLS: &str = "id, blob_id, size, return_path, envid, ret_full, created_at, submitter, held";
const QR_COLS: &str = "message_id, id, address, domain, orcpt, notify, status, attempts, next_attempt, \
                       last_error, delay_notified";
const ENQUEUE_SQL: &str = "INSERT INTO queue_messages (blob_id, size, return_path, envid, ret_full, created_at, \
                           submitter, next_due) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
/// Recipients in the order given (ids ascending with it).
const ENQUEUE_RECIPIENTS_SQL: &str = "INSERT INTO queue_recipients (message_id, address, domain, orcpt, notify, status, next_attempt) \
     SELECT $1, a, d, o, n, 'pending', t \
     FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) \
          WITH ORDINALITY AS u(a, d, o, n, t, ord) ORDER BY ord";
/// Leases due, unheld, unleased messages; the lease condition is re-checked on the locked row.
const CLAIM_SQL: &str = "WITH c AS (SELECT id FROM queue_messages \
       WHERE held = false AND next_due <= $1 AND (lease_until IS NULL OR lease_until <= $1) \
       ORDER BY next_due, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
     UPDATE queue_messages m SET lease_until = $2 FROM c WHERE m.id = c.id \
     RETURNING m.id, m.blob_id, m.size, m.return_path, m.envid, m.ret_full, m.created_at, m.submitter, m.held, \
     m.next_due";
const CLAIMED_RECIPIENTS_SQL: &str = "SELECT message_id, id, address, domain, orcpt, notify, status, attempts, \
     next_attempt, last_error, delay_notified FROM queue_recipients WHERE message_id = ANY($1) \
     ORDER BY message_id, id";
const UPDATE_RECIPIENTS_SQL: &str = "UPDATE queue_recipients r SET status = u.status, next_attempt = u.next_attempt, \
     last_error = u.last_error, delay_notified = u.delay_notified, attempts = r.attempts + 1 \
     FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::boolean[]) \
          AS u(id, status, next_attempt, last_error, delay_notified) \
     WHERE r.id = u.id AND r.message_id = $1";
/// Recomputes `next_due` from the pending recipients and releases the lease.
const REFRESH_DUE_SQL: &str = "UPDATE queue_messages SET lease_until = NULL, next_due = (SELECT min(next_attempt) \
     FROM queue_recipients WHERE message_id = $1 AND status = 'pending') WHERE id = $1";
const DEDUP_SQL: &str = "INSERT INTO dedup (account_id, message_id, seen_at) VALUES ($1, $2, $3) \
     ON CONFLICT (account_id, message_id) DO UPDATE SET seen_at = EXCLUDED.seen_at \
     WHERE dedup.seen_at < $4 RETURNING 1";
const DKIM_COLS: &str = "domain, selector, algorithm, private_key_pem, created_at";

fn message_from_row(r: &Row) -> QueuedMessage {
    QueuedMessage {
        id: r.get(0),
        blob_id: r.get(1),
        size: to_u64(r.get(2)),
        return_path: r.get(3),
        envid: r.get(4),
        ret_full: r.get(5),
        created_at: r.get(6),
        submitter: r.get(7),
        held: r.get(8),
        recipients: Vec::new(),
    }
}

fn recipient_from_row(r: &Row) -> Result<(QueueId, QueueRecipient)> {
    let status: String = r.get(6);
    let status = RecipientStatus::parse(&status)
        .ok_or_else(|| StoreError::Backend(format!("unknown queue recipient status {status:?}")))?;
    Ok((
        r.get(0),
        QueueRecipient {
            id: r.get(1),
            address: r.get(2),
            domain: r.get(3),
            orcpt: r.get(4),
            notify: r.get::<_, Option<i64>>(5).map(DsnNotify::from_bits),
            status,
            attempts: u32::try_from(r.get::<_, i64>(7)).unwrap_or(u32::MAX),
            next_attempt: r.get(8),
            last_error: r.get(9),
            delay_notified: r.get(10),
        },
    ))
}

fn dkim_from_row(r: &Row) -> DkimKey {
    DkimKey {
        domain: r.get(0),
        selector: r.get(1),
        algorithm: r.get(2),
        private_key_pem: r.get(3),
        created_at: r.get(4),
    }
}

/// Attaches recipient rows (read with [`QR_COLS`], ordered by message then id) to `messages`.
fn attach(messages: Vec<QueuedMessage>, rows: &[Row]) -> Result<Vec<QueuedMessage>> {
    let recipients = rows.iter().map(recipient_from_row).collect::<Result<Vec<_>>>()?;
    Ok(queue_attach(messages, recipients))
}

fn queue_not_found(id: QueueId) -> StoreError {
    StoreError::NotFound(format!("queued message {id}"))
}

impl PgStore {
    /// Runs one statement over a queued message in autocommit; `NotFound` when it matched
    /// nothing.
    async fn on_queued(&self, sql: &str, id: QueueId, params: &[Param<'_>]) -> Result<()> {
        let client = self.client().await?;
        let mut all: Vec<Param<'_>> = vec![&id];
        all.extend_from_slice(params);
        let n = client.execute(sql, &all).await.map_err(|e| pg_err(e, "queue"))?;
        if n == 0 {
            return Err(queue_not_found(id));
        }
        Ok(())
    }

    pub(super) async fn queue_enqueue_impl(&self, msg: NewQueuedMessage) -> Result<QueueId> {
        let domains = msg.validate()?;
        let next_due = msg.recipients.iter().map(|r| r.next_attempt).min();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let submitter_what = format!("submitter account {}", msg.submitter.unwrap_or_default());
        let id: QueueId = tx
            .query_one(
                &prep(&tx, ENQUEUE_SQL, "queue").await?,
                &[
                    &msg.blob_id,
                    &to_i64(msg.size),
                    &msg.return_path,
                    &msg.envid,
                    &msg.ret_full,
                    &msg.created_at,
                    &msg.submitter,
                    &next_due,
                ],
            )
            .await
            .map_err(|e| pg_err(e, &submitter_what))?
            .get(0);
        let addresses: Vec<&str> = msg.recipients.iter().map(|r| r.address.as_str()).collect();
        let orcpts: Vec<Option<&str>> = msg.recipients.iter().map(|r| r.orcpt.as_deref()).collect();
        let notify: Vec<Option<i64>> = msg
            .recipients
            .iter()
            .map(|r| r.notify.map(DsnNotify::to_bits))
            .collect();
        let next: Vec<i64> = msg.recipients.iter().map(|r| r.next_attempt).collect();
        tx.execute(
            &prep(&tx, ENQUEUE_RECIPIENTS_SQL, "queue recipients").await?,
            &[&id, &addresses, &domains, &orcpts, &notify, &next],
        )
        .await
        .map_err(|e| pg_err(e, "queue recipients"))?;
        tx.commit().await.map_err(|e| pg_err(e, "commit"))?;
        Ok(id)
    }

    pub(super) async fn queue_claim_impl(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<QueuedMessage>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let rows = tx
            .query(
                &prep(&tx, CLAIM_SQL, "queue claim").await?,
                &[&now, &lease_until, &i64::from(limit)],
            )
            .await
            .map_err(|e| pg_err(e, "queue claim"))?;
        // RETURNING has no order: most overdue first, as selected.
        let mut claimed: Vec<(i64, QueuedMessage)> = rows
            .iter()
            .map(|r| (r.get::<_, i64>(9), message_from_row(r)))
            .collect();
        claimed.sort_by_key(|(due, m)| (*due, m.id));
        let messages: Vec<QueuedMessage> = claimed.into_iter().map(|(_, m)| m).collect();
        let ids: Vec<QueueId> = messages.iter().map(|m| m.id).collect();
        let rows = tx
            .query(
                &prep(&tx, CLAIMED_RECIPIENTS_SQL, "queue recipients").await?,
                &[&ids],
            )
            .await
            .map_err(|e| pg_err(e, "queue recipients"))?;
        let out = attach(messages, &rows)?;
        tx.commit().await.map_err(|e| pg_err(e, "commit"))?;
        Ok(out)
    }

    pub(super) async fn queue_update_impl(&self, id: QueueId, updates: Vec<RecipientUpdate>) -> Result<()> {
        let updates = malt_store::queue_updates_checked(updates)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        tx.query_opt(
            &prep(
                &tx,
                "SELECT 1 FROM queue_messages WHERE id = $1 FOR UPDATE",
                "queue",
            )
            .await?,
            &[&id],
        )
        .await
        .map_err(|e| pg_err(e, "queue"))?
        .ok_or_else(|| queue_not_found(id))?;
        let ids: Vec<i64> = updates.iter().map(|u| u.id).collect();
        let statuses: Vec<&str> = updates.iter().map(|u| u.status.as_str()).collect();
        let next: Vec<i64> = updates.iter().map(|u| u.next_attempt).collect();
        let errors: Vec<Option<&str>> = updates.iter().map(|u| u.last_error.as_deref()).collect();
        let notified: Vec<bool> = updates.iter().map(|u| u.delay_notified).collect();
        let n = tx
            .execute(
                &prep(&tx, UPDATE_RECIPIENTS_SQL, "queue recipients").await?,
                &[&id, &ids, &statuses, &next, &errors, &notified],
            )
            .await
            .map_err(|e| pg_err(e, "queue recipients"))?;
        if n != ids.len() as u64 {
            // Dropping the transaction rolls it back: nothing is recorded.
            return Err(StoreError::NotFound(format!(
                "a recipient of queued message {id}"
            )));
        }
        tx.execute(&prep(&tx, REFRESH_DUE_SQL, "queue").await?, &[&id])
            .await
            .map_err(|e| pg_err(e, "queue"))?;
        tx.execute(
            &prep(
                &tx,
                "DELETE FROM queue_messages WHERE id = $1 AND next_due IS NULL",
                "queue",
            )
            .await?,
            &[&id],
        )
        .await
        .map_err(|e| pg_err(e, "queue"))?;
        tx.commit().await.map_err(|e| pg_err(e, "commit"))
    }

    pub(super) async fn queue_release_impl(&self, id: QueueId) -> Result<()> {
        self.on_queued(
            "UPDATE queue_messages SET lease_until = NULL WHERE id = $1",
            id,
            &[],
        )
        .await
    }

    pub(super) async fn queue_get_impl(&self, id: QueueId) -> Result<Option<QueuedMessage>> {
        let client = self.client().await?;
        let Some(row) = client
            .query_opt(
                &format!("SELECT {QM_COLS} FROM queue_messages WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(|e| pg_err(e, "queue"))?
        else {
            return Ok(None);
        };
        let rows = client
            .query(
                &format!("SELECT {QR_COLS} FROM queue_recipients WHERE message_id = $1 ORDER BY id"),
                &[&id],
            )
            .await
            .map_err(|e| pg_err(e, "queue recipients"))?;
        let out = attach(vec![message_from_row(&row)], &rows)?;
        Ok(out.into_iter().next())
    }

    pub(super) async fn queue_list_impl(&self) -> Result<Vec<QueuedMessage>> {
        let mut client = self.client().await?;
        // One snapshot for both reads: no recipient without its message, or the reverse.
        let tx = crate::snapshot(&mut client).await?;
        let rows = tx
            .query(
                &format!("SELECT {QM_COLS} FROM queue_messages ORDER BY created_at, id"),
                &[],
            )
            .await
            .map_err(|e| pg_err(e, "queue"))?;
        let messages = rows.iter().map(message_from_row).collect();
        let rows = tx
            .query(
                &format!("SELECT {QR_COLS} FROM queue_recipients ORDER BY message_id, id"),
                &[],
            )
            .await
            .map_err(|e| pg_err(e, "queue recipients"))?;
        let out = attach(messages, &rows)?;
        tx.commit().await.map_err(|e| pg_err(e, "commit"))?;
        Ok(out)
    }

    pub(super) async fn queue_hold_impl(&self, id: QueueId, held: bool) -> Result<()> {
        self.on_queued("UPDATE queue_messages SET held = $2 WHERE id = $1", id, &[&held])
            .await
    }

    pub(super) async fn queue_retry_now_impl(&self, id: Option<QueueId>, now: i64) -> Result<u64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        // Message rows first (the lock order of every queue writer), then their recipients.
        let n = tx
            .execute(
                "UPDATE queue_messages SET next_due = LEAST(next_due, $2) \
                 WHERE ($1::bigint IS NULL OR id = $1) AND next_due IS NOT NULL",
                &[&id, &now],
            )
            .await
            .map_err(|e| pg_err(e, "queue"))?;
        tx.execute(
            "UPDATE queue_recipients SET next_attempt = $2 \
             WHERE ($1::bigint IS NULL OR message_id = $1) AND status = 'pending' AND next_attempt > $2",
            &[&id, &now],
        )
        .await
        .map_err(|e| pg_err(e, "queue recipients"))?;
        tx.commit().await.map_err(|e| pg_err(e, "commit"))?;
        Ok(n)
    }

    pub(super) async fn queue_delete_impl(&self, id: QueueId) -> Result<()> {
        self.on_queued("DELETE FROM queue_messages WHERE id = $1", id, &[])
            .await
    }

    pub(super) async fn queue_next_due_impl(&self) -> Result<Option<i64>> {
        let client = self.client().await?;
        // Unleased messages: the first entry of the due index. Leased ones (few: in flight, or
        // left by a node that died) become claimable when both their time and their lease come.
        let row = client
            .query_one(
                "SELECT LEAST( \
                   (SELECT min(next_due) FROM queue_messages \
                     WHERE held = false AND next_due IS NOT NULL AND lease_until IS NULL), \
                   (SELECT min(GREATEST(next_due, lease_until)) FROM queue_messages \
                     WHERE lease_until IS NOT NULL AND held = false AND next_due IS NOT NULL))",
                &[],
            )
            .await
            .map_err(|e| pg_err(e, "queue"))?;
        Ok(row.get(0))
    }

    // ---- Delegations -----------------------------------------------------------------------

    pub(super) async fn delegation_add_impl(
        &self,
        account: AccountId,
        address: &str,
        kind: DelegationKind,
    ) -> Result<()> {
        let address = malt_store::delegation_address(address)?;
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO delegations (account_id, address, kind) VALUES ($1, $2, $3) \
                 ON CONFLICT (account_id, address) DO UPDATE SET kind = EXCLUDED.kind",
                &[&account, &address, &kind.as_str()],
            )
            .await
            .map_err(|e| pg_err(e, &format!("account {account}")))?;
        Ok(())
    }

    pub(super) async fn delegation_remove_impl(&self, account: AccountId, address: &str) -> Result<()> {
        let address = address.trim().to_lowercase();
        let client = self.client().await?;
        let n = client
            .execute(
                "DELETE FROM delegations WHERE account_id = $1 AND address = $2",
                &[&account, &address],
            )
            .await
            .map_err(|e| pg_err(e, "delegation"))?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "delegation of {address} to account {account}"
            )));
        }
        Ok(())
    }

    pub(super) async fn delegation_list_impl(&self, account: Option<AccountId>) -> Result<Vec<Delegation>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT account_id, address, kind FROM delegations \
                 WHERE $1::bigint IS NULL OR account_id = $1 ORDER BY account_id, address COLLATE \"C\"",
                &[&account],
            )
            .await
            .map_err(|e| pg_err(e, "delegations"))?;
        rows.iter()
            .map(|r| {
                let kind: String = r.get(2);
                Ok(Delegation {
                    account: r.get(0),
                    address: r.get(1),
                    kind: DelegationKind::parse(&kind)
                        .ok_or_else(|| StoreError::Backend(format!("unknown delegation kind {kind:?}")))?,
                })
            })
            .collect()
    }

    /// Removes the delegations of `address` (its account is being deleted, in `tx`).
    pub(super) async fn delegation_forget_address(tx: &Tx<'_>, address: &str) -> Result<()> {
        tx.execute("DELETE FROM delegations WHERE address = $1", &[&address])
            .await
            .map_err(|e| pg_err(e, "delegations"))?;
        Ok(())
    }

    // ---- DKIM keys -------------------------------------------------------------------------

    pub(super) async fn dkim_key_put_impl(&self, key: DkimKey) -> Result<()> {
        let key = key.normalised()?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        // Delete and insert, not upsert: the new row's id records that it was stored last.
        tx.execute(
            "DELETE FROM dkim_keys WHERE domain = $1 AND selector = $2",
            &[&key.domain, &key.selector],
        )
        .await
        .map_err(|e| pg_err(e, "DKIM key"))?;
        tx.execute(
            &format!("INSERT INTO dkim_keys ({DKIM_COLS}) VALUES ($1, $2, $3, $4, $5)"),
            &[
                &key.domain,
                &key.selector,
                &key.algorithm,
                &key.private_key_pem,
                &key.created_at,
            ],
        )
        .await
        .map_err(|e| pg_err(e, "DKIM key"))?;
        tx.commit().await.map_err(|e| pg_err(e, "commit"))
    }

    pub(super) async fn dkim_key_get_impl(&self, domain: &str) -> Result<Option<DkimKey>> {
        let domain = domain.trim().to_lowercase();
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT {DKIM_COLS} FROM dkim_keys WHERE domain = $1 ORDER BY created_at DESC, id DESC LIMIT 1"
                ),
                &[&domain],
            )
            .await
            .map_err(|e| pg_err(e, "DKIM key"))?;
        Ok(row.as_ref().map(dkim_from_row))
    }

    pub(super) async fn dkim_key_list_impl(&self) -> Result<Vec<DkimKey>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {DKIM_COLS} FROM dkim_keys ORDER BY domain COLLATE \"C\", selector COLLATE \"C\""
                ),
                &[],
            )
            .await
            .map_err(|e| pg_err(e, "DKIM keys"))?;
        Ok(rows.iter().map(dkim_from_row).collect())
    }

    pub(super) async fn dkim_key_delete_impl(&self, domain: &str, selector: &str) -> Result<()> {
        let (domain, selector) = (domain.trim().to_lowercase(), selector.trim().to_lowercase());
        let client = self.client().await?;
        let n = client
            .execute(
                "DELETE FROM dkim_keys WHERE domain = $1 AND selector = $2",
                &[&domain, &selector],
            )
            .await
            .map_err(|e| pg_err(e, "DKIM key"))?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "DKIM key {selector}._domainkey.{domain}"
            )));
        }
        Ok(())
    }

    // ---- Sieve duplicate tracking (RFC 7352) -----------------------------------------------

    pub(super) async fn sieve_duplicate_seen_impl(
        &self,
        account: AccountId,
        key: &str,
        now: i64,
    ) -> Result<bool> {
        let key = malt_store::sieve_duplicate_key(key)?;
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT 1 FROM sieve_duplicates WHERE account_id = $1 AND key = $2 AND until > $3",
                &[&account, &key, &now],
            )
            .await
            .map_err(|e| pg_err(e, "duplicate tracking"))?;
        Ok(row.is_some())
    }

    pub(super) async fn sieve_duplicate_record_impl(
        &self,
        account: AccountId,
        key: &str,
        until: i64,
    ) -> Result<()> {
        let key = malt_store::sieve_duplicate_key(key)?;
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO sieve_duplicates (account_id, key, until) VALUES ($1, $2, $3) \
                 ON CONFLICT (account_id, key) DO UPDATE SET until = excluded.until",
                &[&account, &key, &until],
            )
            .await
            .map_err(|e| pg_err(e, &format!("account {account}")))?;
        Ok(())
    }

    pub(super) async fn sieve_duplicate_purge_impl(&self, now: i64) -> Result<u64> {
        let client = self.client().await?;
        client
            .execute("DELETE FROM sieve_duplicates WHERE until <= $1", &[&now])
            .await
            .map_err(|e| pg_err(e, "duplicate tracking"))
    }

    // ---- Duplicate suppression -------------------------------------------------------------

    /// Inserts the record, or refreshes one older than the window; a row comes back only when
    /// something was written, so no row means a duplicate. ON CONFLICT makes it atomic against
    /// a concurrent delivery of the same Message-ID.
    pub(super) async fn dedup_check_and_record_impl(
        &self,
        account: AccountId,
        message_id: &str,
        now: i64,
        window_secs: i64,
    ) -> Result<bool> {
        let key = malt_store::dedup_key(message_id)?;
        let cutoff = now.saturating_sub(window_secs);
        let client = self.client().await?;
        let st = client
            .prepare_cached(DEDUP_SQL)
            .await
            .map_err(|e| pg_err(e, "dedup"))?;
        let written = client
            .query_opt(&st, &[&account, &key, &now, &cutoff])
            .await
            .map_err(|e| pg_err(e, &format!("account {account}")))?;
        Ok(written.is_none())
    }

    pub(super) async fn dedup_forget_impl(&self, account: AccountId, message_id: &str) -> Result<()> {
        let key = malt_store::dedup_key(message_id)?;
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM dedup WHERE account_id = $1 AND message_id = $2",
                &[&account, &key],
            )
            .await
            .map_err(|e| pg_err(e, "dedup"))?;
        Ok(())
    }

    pub(super) async fn dedup_purge_impl(&self, before: i64) -> Result<u64> {
        let client = self.client().await?;
        client
            .execute("DELETE FROM dedup WHERE seen_at < $1", &[&before])
            .await
            .map_err(|e| pg_err(e, "dedup"))
    }
}
