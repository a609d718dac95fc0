//! Sieve scripts and the vacation responder's memory on SQLite (see `malt_store::sieve` for the
//! invariants). The [`malt_store::Store`] methods in `ops.rs` call these functions inside their
//! read or write transaction; writes run on the one writer thread, so a count followed by an
//! insert (the `max_scripts` check) cannot race another write of this process, and other
//! processes wait on SQLite's write lock.

use malt_store::*;
use rusqlite::{OptionalExtension, Row, Transaction, params};

use crate::ops::not_found;
use crate::queue::account_exists;
use crate::{E, R};

fn script_from_row(r: &Row<'_>) -> rusqlite::Result<SieveScript> {
    Ok(SieveScript {
        name: r.get(0)?,
        source: r.get(1)?,
        active: r.get(2)?,
        updated_at: r.get(3)?,
    })
}

fn missing(name: &str) -> E {
    not_found(format!("script {name:?}"))
}

pub(crate) fn list(tx: &Transaction<'_>, account: AccountId) -> R<Vec<SieveScriptInfo>> {
    account_exists(tx, account)?;
    let mut st = tx.prepare_cached(
        "SELECT name, size, active, updated_at FROM sieve_scripts WHERE account_id = ?1 ORDER BY name",
    )?;
    let rows = st.query_map([account], |r| {
        Ok(SieveScriptInfo {
            name: r.get(0)?,
            size: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
            active: r.get(2)?,
            updated_at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn get(tx: &Transaction<'_>, account: AccountId, name: &str) -> R<Option<SieveScript>> {
    Ok(tx
        .prepare_cached(
            "SELECT name, source, active, updated_at FROM sieve_scripts WHERE account_id = ?1 AND name = ?2",
        )?
        .query_row(params![account, name], script_from_row)
        .optional()?)
}

pub(crate) fn active(tx: &Transaction<'_>, account: AccountId) -> R<Option<SieveScript>> {
    Ok(tx
        .prepare_cached(
            "SELECT name, source, active, updated_at FROM sieve_scripts WHERE account_id = ?1 AND active = 1",
        )?
        .query_row([account], script_from_row)
        .optional()?)
}

pub(crate) fn put(
    tx: &Transaction<'_>,
    account: AccountId,
    name: &str,
    source: &str,
    max_scripts: usize,
    now: i64,
) -> R<SievePutOutcome> {
    account_exists(tx, account)?;
    let size = i64::try_from(source.len()).unwrap_or(i64::MAX);
    let replaced = tx
        .prepare_cached(
            "UPDATE sieve_scripts SET source = ?3, size = ?4, updated_at = ?5 \
             WHERE account_id = ?1 AND name = ?2",
        )?
        .execute(params![account, name, source, size, now])?;
    if replaced > 0 {
        return Ok(SievePutOutcome::Replaced);
    }
    let count: i64 = tx
        .prepare_cached("SELECT count(*) FROM sieve_scripts WHERE account_id = ?1")?
        .query_row([account], |r| r.get(0))?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= max_scripts {
        return Ok(SievePutOutcome::TooManyScripts);
    }
    tx.prepare_cached(
        "INSERT INTO sieve_scripts (account_id, name, source, size, active, updated_at) \
         VALUES (?1, ?2, ?3, ?4, 0, ?5)",
    )?
    .execute(params![account, name, source, size, now])?;
    Ok(SievePutOutcome::Created)
}

pub(crate) fn delete(tx: &Transaction<'_>, account: AccountId, name: &str) -> R<()> {
    let active: bool = tx
        .prepare_cached("SELECT active FROM sieve_scripts WHERE account_id = ?1 AND name = ?2")?
        .query_row(params![account, name], |r| r.get(0))
        .optional()?
        .ok_or_else(|| missing(name))?;
    if active {
        return Err(E(StoreError::Conflict(format!(
            "script {name:?} is active; deactivate it first"
        ))));
    }
    tx.prepare_cached("DELETE FROM sieve_scripts WHERE account_id = ?1 AND name = ?2")?
        .execute(params![account, name])?;
    Ok(())
}

pub(crate) fn rename(tx: &Transaction<'_>, account: AccountId, from: &str, to: &str) -> R<()> {
    if get(tx, account, from)?.is_none() {
        return Err(missing(from));
    }
    if from == to {
        return Ok(());
    }
    if get(tx, account, to)?.is_some() {
        return Err(E(StoreError::AlreadyExists(format!("script {to:?}"))));
    }
    tx.prepare_cached("UPDATE sieve_scripts SET name = ?3 WHERE account_id = ?1 AND name = ?2")?
        .execute(params![account, from, to])?;
    Ok(())
}

/// Deactivates first, then activates: the unique index allows one active row at every step.
pub(crate) fn activate(tx: &Transaction<'_>, account: AccountId, name: Option<&str>) -> R<()> {
    account_exists(tx, account)?;
    tx.prepare_cached("UPDATE sieve_scripts SET active = 0 WHERE account_id = ?1 AND active = 1")?
        .execute([account])?;
    if let Some(name) = name {
        let n = tx
            .prepare_cached("UPDATE sieve_scripts SET active = 1 WHERE account_id = ?1 AND name = ?2")?
            .execute(params![account, name])?;
        if n == 0 {
            // The caller's savepoint rolls the deactivation back.
            return Err(missing(name));
        }
    }
    Ok(())
}

/// Inserts the record, or renews one whose period has ended; a row comes back only when
/// something was written, so no row means "answered within the period".
pub(crate) fn vacation_check_and_record(
    tx: &Transaction<'_>,
    account: AccountId,
    handle: &str,
    sender: &str,
    until: i64,
    now: i64,
) -> R<bool> {
    account_exists(tx, account)?;
    let written = tx
        .prepare_cached(
            "INSERT INTO vacation_sent (account_id, handle, sender, expires_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (account_id, handle, sender) DO UPDATE SET expires_at = excluded.expires_at \
             WHERE vacation_sent.expires_at <= ?5 RETURNING 1",
        )?
        .query_row(params![account, handle, sender, until, now], |_| Ok(()))
        .optional()?;
    Ok(written.is_some())
}

pub(crate) fn vacation_purge(tx: &Transaction<'_>, now: i64) -> R<u64> {
    let n = tx
        .prepare_cached("DELETE FROM vacation_sent WHERE expires_at <= ?1")?
        .execute([now])?;
    Ok(n as u64)
}
