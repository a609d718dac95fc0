//! The outbound queue (RFC 5321 §4.5.4.1 retry strategy, RFC 3461 DSN parameters), sending
//! delegations, DKIM keys (RFC 6376) and duplicate suppression on SQLite. The
//! [`malt_store::Store`] methods in `ops.rs` call these functions inside their read or write
//! transaction.
//!
//! Invariants:
//! - `queue_messages.next_due` is the earliest `next_attempt` of the message's Pending
//!   recipients; every write that changes a recipient recomputes it ([`refresh_due`]), and a
//!   message left without Pending recipients is deleted in that same transaction. Claiming and
//!   the runner's sleep therefore read one partial index (`queue_messages_due`).
//! - A claim runs in the writer's transaction (the only writer of this process; other
//!   processes wait on SQLite's write lock), so two claims never return the same message.
//! - `lease_until` is NULL when no node holds the message; an update or release clears it.
//! - Addresses of delegations, DKIM domains and selectors are stored lower-case.

use malt_store::*;
use rusqlite::types::Type;
use rusqlite::{OptionalExtension, Row, Transaction, params};

use crate::ops::not_found;
use crate::{E, R};

const QM_COLS: &str = "id, blob_id, size, return_path, envid, ret_full, created_at, submitter, held";
const QR_COLS: &str = "message_id, id, address, domain, orcpt, notify, status, attempts, next_attempt, \
                       last_error, delay_notified";
const DKIM_COLS: &str = "domain, selector, algorithm, private_key_pem, created_at";

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn conversion(col: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, Type::Text, Box::new(StoreError::Backend(what)))
}

fn message_from_row(r: &Row<'_>) -> rusqlite::Result<QueuedMessage> {
    Ok(QueuedMessage {
        id: r.get(0)?,
        blob_id: r.get(1)?,
        size: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
        return_path: r.get(3)?,
        envid: r.get(4)?,
        ret_full: r.get(5)?,
        created_at: r.get(6)?,
        submitter: r.get(7)?,
        held: r.get(8)?,
        recipients: Vec::new(),
    })
}

fn recipient_from_row(r: &Row<'_>) -> rusqlite::Result<(QueueId, QueueRecipient)> {
    let status: String = r.get(6)?;
    let status = RecipientStatus::parse(&status)
        .ok_or_else(|| conversion(6, format!("queue recipient status {status:?}")))?;
    Ok((
        r.get(0)?,
        QueueRecipient {
            id: r.get(1)?,
            address: r.get(2)?,
            domain: r.get(3)?,
            orcpt: r.get(4)?,
            notify: r.get::<_, Option<i64>>(5)?.map(DsnNotify::from_bits),
            status,
            attempts: u32::try_from(r.get::<_, i64>(7)?).unwrap_or(u32::MAX),
            next_attempt: r.get(8)?,
            last_error: r.get(9)?,
            delay_notified: r.get(10)?,
        },
    ))
}

fn dkim_from_row(r: &Row<'_>) -> rusqlite::Result<DkimKey> {
    Ok(DkimKey {
        domain: r.get(0)?,
        selector: r.get(1)?,
        algorithm: r.get(2)?,
        private_key_pem: r.get(3)?,
        created_at: r.get(4)?,
    })
}

/// Maps a foreign-key violation (an unknown account) to `NotFound(what)`.
fn fk_as_not_found(what: String) -> impl FnOnce(rusqlite::Error) -> E {
    move |e| match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
        {
            not_found(what)
        }
        _ => E::from(e),
    }
}

pub(crate) fn account_exists(tx: &Transaction<'_>, account: AccountId) -> R<()> {
    tx.prepare_cached("SELECT 1 FROM accounts WHERE id = ?1")?
        .query_row([account], |_| Ok(()))
        .optional()?
        .ok_or_else(|| not_found(format!("account {account}")))
}

/// One queued message with its recipients.
fn load(tx: &Transaction<'_>, id: QueueId) -> R<Option<QueuedMessage>> {
    let Some(m) = tx
        .prepare_cached(&format!("SELECT {QM_COLS} FROM queue_messages WHERE id = ?1"))?
        .query_row([id], message_from_row)
        .optional()?
    else {
        return Ok(None);
    };
    let mut st = tx.prepare_cached(&format!(
        "SELECT {QR_COLS} FROM queue_recipients WHERE message_id = ?1 ORDER BY id"
    ))?;
    let recipients = st
        .query_map([id], recipient_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(queue_attach(vec![m], recipients).pop())
}

/// Recomputes `next_due` of a message from its Pending recipients and releases its lease; a
/// message with none left is deleted (its recipients cascade).
fn refresh_due(tx: &Transaction<'_>, id: QueueId) -> R<()> {
    let due: Option<i64> = tx
        .prepare_cached(
            "SELECT min(next_attempt) FROM queue_recipients WHERE message_id = ?1 AND status = 'pending'",
        )?
        .query_row([id], |r| r.get(0))?;
    match due {
        Some(due) => {
            tx.prepare_cached("UPDATE queue_messages SET next_due = ?2, lease_until = NULL WHERE id = ?1")?
                .execute(params![id, due])?;
        }
        None => {
            tx.prepare_cached("DELETE FROM queue_messages WHERE id = ?1")?
                .execute([id])?;
        }
    }
    Ok(())
}

/// Runs a one-row statement over a queued message; `NotFound` when it matched nothing.
fn on_message(tx: &Transaction<'_>, sql: &str, id: QueueId, p: &[&dyn rusqlite::ToSql]) -> R<()> {
    let mut all: Vec<&dyn rusqlite::ToSql> = vec![&id];
    all.extend_from_slice(p);
    if tx.prepare_cached(sql)?.execute(all.as_slice())? == 0 {
        return Err(not_found(format!("queued message {id}")));
    }
    Ok(())
}

// ---- Queue ---------------------------------------------------------------------------------

pub(crate) fn enqueue(tx: &Transaction<'_>, msg: &NewQueuedMessage, domains: &[String]) -> R<QueueId> {
    if let Some(s) = msg.submitter {
        account_exists(tx, s)?;
    }
    let next_due = msg.recipients.iter().map(|r| r.next_attempt).min();
    tx.prepare_cached(
        "INSERT INTO queue_messages (blob_id, size, return_path, envid, ret_full, created_at, submitter, next_due) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        msg.blob_id,
        to_i64(msg.size),
        msg.return_path,
        msg.envid,
        msg.ret_full,
        msg.created_at,
        msg.submitter,
        next_due
    ])?;
    let id = tx.last_insert_rowid();
    let mut st = tx.prepare_cached(
        "INSERT INTO queue_recipients (message_id, address, domain, orcpt, notify, status, next_attempt) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6)",
    )?;
    for (r, domain) in msg.recipients.iter().zip(domains) {
        st.execute(params![
            id,
            r.address,
            domain,
            r.orcpt,
            r.notify.map(DsnNotify::to_bits),
            r.next_attempt
        ])?;
    }
    Ok(id)
}

pub(crate) fn claim(tx: &Transaction<'_>, now: i64, lease_until: i64, limit: u32) -> R<Vec<QueuedMessage>> {
    let ids = tx
        .prepare_cached(
            "SELECT id FROM queue_messages \
             WHERE held = 0 AND next_due <= ?1 AND (lease_until IS NULL OR lease_until <= ?1) \
             ORDER BY next_due, id LIMIT ?2",
        )?
        .query_map(params![now, i64::from(limit)], |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = Vec::with_capacity(ids.len());
    let mut lease = tx.prepare_cached("UPDATE queue_messages SET lease_until = ?2 WHERE id = ?1")?;
    for id in ids {
        lease.execute(params![id, lease_until])?;
        out.extend(load(tx, id)?);
    }
    Ok(out)
}

pub(crate) fn update(tx: &Transaction<'_>, id: QueueId, updates: &[RecipientUpdate]) -> R<()> {
    on_message(
        tx,
        "UPDATE queue_messages SET lease_until = NULL WHERE id = ?1",
        id,
        &[],
    )?;
    let mut st = tx.prepare_cached(
        "UPDATE queue_recipients SET status = ?3, next_attempt = ?4, last_error = ?5, delay_notified = ?6, \
         attempts = attempts + 1 WHERE id = ?1 AND message_id = ?2",
    )?;
    for u in updates {
        let n = st.execute(params![
            u.id,
            id,
            u.status.as_str(),
            u.next_attempt,
            u.last_error,
            u.delay_notified
        ])?;
        if n == 0 {
            return Err(not_found(format!("recipient {} of queued message {id}", u.id)));
        }
    }
    refresh_due(tx, id)
}

pub(crate) fn release(tx: &Transaction<'_>, id: QueueId) -> R<()> {
    on_message(
        tx,
        "UPDATE queue_messages SET lease_until = NULL WHERE id = ?1",
        id,
        &[],
    )
}

pub(crate) fn get(tx: &Transaction<'_>, id: QueueId) -> R<Option<QueuedMessage>> {
    load(tx, id)
}

pub(crate) fn list(tx: &Transaction<'_>) -> R<Vec<QueuedMessage>> {
    let messages = tx
        .prepare_cached(&format!(
            "SELECT {QM_COLS} FROM queue_messages ORDER BY created_at, id"
        ))?
        .query_map([], message_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let recipients = tx
        .prepare_cached(&format!(
            "SELECT {QR_COLS} FROM queue_recipients ORDER BY message_id, id"
        ))?
        .query_map([], recipient_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(queue_attach(messages, recipients))
}

pub(crate) fn hold(tx: &Transaction<'_>, id: QueueId, held: bool) -> R<()> {
    on_message(
        tx,
        "UPDATE queue_messages SET held = ?2 WHERE id = ?1",
        id,
        &[&held],
    )
}

pub(crate) fn retry_now(tx: &Transaction<'_>, id: Option<QueueId>, now: i64) -> R<u64> {
    let n = match id {
        Some(id) => {
            tx.prepare_cached(
                "UPDATE queue_recipients SET next_attempt = ?2 \
                 WHERE message_id = ?1 AND status = 'pending' AND next_attempt > ?2",
            )?
            .execute(params![id, now])?;
            tx.prepare_cached(
                "UPDATE queue_messages SET next_due = min(next_due, ?2) WHERE id = ?1 AND next_due IS NOT NULL",
            )?
            .execute(params![id, now])?
        }
        None => {
            tx.prepare_cached(
                "UPDATE queue_recipients SET next_attempt = ?1 WHERE status = 'pending' AND next_attempt > ?1",
            )?
            .execute([now])?;
            tx.prepare_cached(
                "UPDATE queue_messages SET next_due = min(next_due, ?1) WHERE next_due IS NOT NULL",
            )?
            .execute([now])?
        }
    };
    Ok(n as u64)
}

pub(crate) fn delete(tx: &Transaction<'_>, id: QueueId) -> R<()> {
    on_message(tx, "DELETE FROM queue_messages WHERE id = ?1", id, &[])
}

pub(crate) fn next_due(tx: &Transaction<'_>) -> R<Option<i64>> {
    // Unleased messages: the first entry of the due index. Leased ones (few: in flight, or
    // left by a node that died) become claimable when both their time and their lease come.
    let free: Option<i64> = tx
        .prepare_cached(
            "SELECT min(next_due) FROM queue_messages WHERE held = 0 AND next_due IS NOT NULL AND lease_until IS NULL",
        )?
        .query_row([], |r| r.get(0))?;
    let leased: Option<i64> = tx
        .prepare_cached(
            "SELECT min(max(next_due, lease_until)) FROM queue_messages \
             WHERE lease_until IS NOT NULL AND held = 0 AND next_due IS NOT NULL",
        )?
        .query_row([], |r| r.get(0))?;
    Ok(free.into_iter().chain(leased).min())
}

/// Every blob id the queue references.
pub(crate) const QUEUE_BLOBS_SQL: &str = "SELECT blob_id FROM queue_messages";

// ---- Delegations ---------------------------------------------------------------------------

pub(crate) fn delegation_add(
    tx: &Transaction<'_>,
    account: AccountId,
    address: &str,
    kind: DelegationKind,
) -> R<()> {
    account_exists(tx, account)?;
    tx.prepare_cached(
        "INSERT INTO delegations (account_id, address, kind) VALUES (?1, ?2, ?3) \
         ON CONFLICT (account_id, address) DO UPDATE SET kind = excluded.kind",
    )?
    .execute(params![account, address, kind.as_str()])?;
    Ok(())
}

pub(crate) fn delegation_remove(tx: &Transaction<'_>, account: AccountId, address: &str) -> R<()> {
    let n = tx
        .prepare_cached("DELETE FROM delegations WHERE account_id = ?1 AND address = ?2")?
        .execute(params![account, address])?;
    if n == 0 {
        return Err(not_found(format!("delegation of {address} to account {account}")));
    }
    Ok(())
}

pub(crate) fn delegation_list(tx: &Transaction<'_>, account: Option<AccountId>) -> R<Vec<Delegation>> {
    let mut st = tx.prepare_cached(
        "SELECT account_id, address, kind FROM delegations \
         WHERE ?1 IS NULL OR account_id = ?1 ORDER BY account_id, address",
    )?;
    let rows = st.query_map([account], |r| {
        let kind: String = r.get(2)?;
        Ok(Delegation {
            account: r.get(0)?,
            address: r.get(1)?,
            kind: DelegationKind::parse(&kind)
                .ok_or_else(|| conversion(2, format!("delegation kind {kind:?}")))?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Removes the delegations of `address` (its account is being deleted).
pub(crate) fn forget_address(tx: &Transaction<'_>, address: &str) -> R<()> {
    tx.prepare_cached("DELETE FROM delegations WHERE address = ?1")?
        .execute([address])?;
    Ok(())
}

// ---- DKIM keys -----------------------------------------------------------------------------

pub(crate) fn dkim_put(tx: &Transaction<'_>, key: &DkimKey) -> R<()> {
    // Delete and insert, not upsert: the new row's id records that it was stored last.
    tx.prepare_cached("DELETE FROM dkim_keys WHERE domain = ?1 AND selector = ?2")?
        .execute(params![key.domain, key.selector])?;
    tx.prepare_cached(&format!(
        "INSERT INTO dkim_keys ({DKIM_COLS}) VALUES (?1, ?2, ?3, ?4, ?5)"
    ))?
    .execute(params![
        key.domain,
        key.selector,
        key.algorithm,
        key.private_key_pem,
        key.created_at
    ])?;
    Ok(())
}

pub(crate) fn dkim_get(tx: &Transaction<'_>, domain: &str) -> R<Option<DkimKey>> {
    Ok(tx
        .prepare_cached(&format!(
            "SELECT {DKIM_COLS} FROM dkim_keys WHERE domain = ?1 ORDER BY created_at DESC, id DESC LIMIT 1"
        ))?
        .query_row([domain], dkim_from_row)
        .optional()?)
}

pub(crate) fn dkim_list(tx: &Transaction<'_>) -> R<Vec<DkimKey>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {DKIM_COLS} FROM dkim_keys ORDER BY domain, selector"
    ))?;
    let rows = st.query_map([], dkim_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn dkim_delete(tx: &Transaction<'_>, domain: &str, selector: &str) -> R<()> {
    let n = tx
        .prepare_cached("DELETE FROM dkim_keys WHERE domain = ?1 AND selector = ?2")?
        .execute(params![domain, selector])?;
    if n == 0 {
        return Err(not_found(format!("DKIM key {selector}._domainkey.{domain}")));
    }
    Ok(())
}

// ---- Sieve duplicate tracking (RFC 7352) ----------------------------------------------------

pub(crate) fn sieve_duplicate_seen(tx: &Transaction<'_>, account: AccountId, key: &str, now: i64) -> R<bool> {
    let found = tx
        .prepare_cached("SELECT 1 FROM sieve_duplicates WHERE account_id = ?1 AND key = ?2 AND until > ?3")?
        .query_row(params![account, key, now], |_| Ok(()))
        .optional()?;
    Ok(found.is_some())
}

pub(crate) fn sieve_duplicate_record(
    tx: &Transaction<'_>,
    account: AccountId,
    key: &str,
    until: i64,
) -> R<()> {
    tx.prepare_cached(
        "INSERT INTO sieve_duplicates (account_id, key, until) VALUES (?1, ?2, ?3) \
         ON CONFLICT (account_id, key) DO UPDATE SET until = excluded.until",
    )?
    .execute(params![account, key, until])
    .map_err(fk_as_not_found(format!("account {account}")))?;
    Ok(())
}

pub(crate) fn sieve_duplicate_purge(tx: &Transaction<'_>, now: i64) -> R<u64> {
    let n = tx
        .prepare_cached("DELETE FROM sieve_duplicates WHERE until <= ?1")?
        .execute([now])?;
    Ok(n as u64)
}

// ---- Duplicate suppression -----------------------------------------------------------------

/// Inserts the record, or refreshes one older than the window; a row comes back only when
/// something was written, so no row means a duplicate.
pub(crate) fn dedup_check_and_record(
    tx: &Transaction<'_>,
    account: AccountId,
    key: &str,
    now: i64,
    window_secs: i64,
) -> R<bool> {
    let cutoff = now.saturating_sub(window_secs);
    let written = tx
        .prepare_cached(
            "INSERT INTO dedup (account_id, message_id, seen_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (account_id, message_id) DO UPDATE SET seen_at = excluded.seen_at \
             WHERE dedup.seen_at < ?4 RETURNING 1",
        )?
        .query_row(params![account, key, now, cutoff], |_| Ok(()))
        .optional()
        .map_err(fk_as_not_found(format!("account {account}")))?;
    Ok(written.is_none())
}

pub(crate) fn dedup_forget(tx: &Transaction<'_>, account: AccountId, key: &str) -> R<()> {
    tx.prepare_cached("DELETE FROM dedup WHERE account_id = ?1 AND message_id = ?2")?
        .execute(params![account, key])?;
    Ok(())
}

pub(crate) fn dedup_purge(tx: &Transaction<'_>, before: i64) -> R<u64> {
    let n = tx
        .prepare_cached("DELETE FROM dedup WHERE seen_at < ?1")?
        .execute([before])?;
    Ok(n as u64)
}
