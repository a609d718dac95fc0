//! Sieve scripts and the vacation responder's memory on PostgreSQL (see `malt_store::sieve` for
//! the invariants). The `Store` methods of `store_impl.rs` delegate here.
//!
//! Every write of an account's scripts first locks the account row (`FOR UPDATE`, as mail
//! writers do with their modseq update), so the `max_scripts` count and the switch of the active
//! script cannot interleave with another write of that account. Scripts are not mail data: no
//! modseq is taken and nothing is journaled.

use malt_store::{SievePutOutcome, SieveScript, SieveScriptInfo, sieve_script_name, vacation_key};

use super::*;

const SCRIPT_COLS: &str = "name, source, active, updated_at";
const VACATION_SQL: &str = "INSERT INTO vacation_sent (account_id, handle, sender, expires_at) \
     VALUES ($1, $2, $3, $4) \
     ON CONFLICT (account_id, handle, sender) DO UPDATE SET expires_at = EXCLUDED.expires_at \
     WHERE vacation_sent.expires_at <= $5 RETURNING 1";

fn script_from_row(r: &Row) -> SieveScript {
    SieveScript {
        name: r.get(0),
        source: r.get(1),
        active: r.get(2),
        updated_at: r.get(3),
    }
}

fn missing(name: &str) -> StoreError {
    StoreError::NotFound(format!("script {name:?}"))
}

/// Locks the account row for the rest of the transaction; `NotFound` when there is none.
async fn lock_account(tx: &Tx<'_>, account: AccountId) -> Result<()> {
    tx.query_opt("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", &[&account])
        .await
        .map_err(|e| pg_err(e, "account"))?
        .map(|_| ())
        .ok_or_else(|| StoreError::NotFound(format!("account {account}")))
}

async fn script_exists(tx: &Tx<'_>, account: AccountId, name: &str) -> Result<Option<bool>> {
    Ok(tx
        .query_opt(
            "SELECT active FROM sieve_scripts WHERE account_id = $1 AND name = $2",
            &[&account, &name],
        )
        .await
        .map_err(|e| pg_err(e, "sieve script"))?
        .map(|r| r.get(0)))
}

impl PgStore {
    pub(super) async fn sieve_list_impl(&self, account: AccountId) -> Result<Vec<SieveScriptInfo>> {
        let mut client = self.client().await?;
        let tx = crate::snapshot(&mut client).await?;
        if tx
            .query_opt("SELECT 1 FROM accounts WHERE id = $1", &[&account])
            .await
            .map_err(|e| pg_err(e, "account"))?
            .is_none()
        {
            return Err(StoreError::NotFound(format!("account {account}")));
        }
        let rows = tx
            .query(
                "SELECT name, size, active, updated_at FROM sieve_scripts WHERE account_id = $1 ORDER BY name",
                &[&account],
            )
            .await
            .map_err(|e| pg_err(e, "sieve scripts"))?;
        Ok(rows
            .iter()
            .map(|r| SieveScriptInfo {
                name: r.get(0),
                size: to_u64(r.get(1)),
                active: r.get(2),
                updated_at: r.get(3),
            })
            .collect())
    }

    pub(super) async fn sieve_get_impl(&self, account: AccountId, name: &str) -> Result<Option<SieveScript>> {
        let name = sieve_script_name(name)?;
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {SCRIPT_COLS} FROM sieve_scripts WHERE account_id = $1 AND name = $2"),
                &[&account, &name],
            )
            .await
            .map_err(|e| pg_err(e, "sieve script"))?;
        Ok(row.as_ref().map(script_from_row))
    }

    pub(super) async fn sieve_active_impl(&self, account: AccountId) -> Result<Option<SieveScript>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(&format!(
                "SELECT {SCRIPT_COLS} FROM sieve_scripts WHERE account_id = $1 AND active"
            ))
            .await
            .map_err(|e| pg_err(e, "sieve script"))?;
        let row = client
            .query_opt(&st, &[&account])
            .await
            .map_err(|e| pg_err(e, "sieve script"))?;
        Ok(row.as_ref().map(script_from_row))
    }

    pub(super) async fn sieve_put_impl(
        &self,
        account: AccountId,
        name: &str,
        source: &str,
        max_scripts: usize,
        now: i64,
    ) -> Result<SievePutOutcome> {
        let name = sieve_script_name(name)?;
        let size = to_i64(source.len() as u64);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        lock_account(&tx, account).await?;
        let replaced = tx
            .execute(
                "UPDATE sieve_scripts SET source = $3, size = $4, updated_at = $5 \
                 WHERE account_id = $1 AND name = $2",
                &[&account, &name, &source, &size, &now],
            )
            .await
            .map_err(|e| pg_err(e, "sieve script"))?;
        let outcome = if replaced > 0 {
            SievePutOutcome::Replaced
        } else {
            let count: i64 = tx
                .query_one(
                    "SELECT count(*) FROM sieve_scripts WHERE account_id = $1",
                    &[&account],
                )
                .await
                .map_err(|e| pg_err(e, "sieve scripts"))?
                .get(0);
            if usize::try_from(count).unwrap_or(usize::MAX) >= max_scripts {
                return Ok(SievePutOutcome::TooManyScripts);
            }
            tx.execute(
                "INSERT INTO sieve_scripts (account_id, name, source, size, active, updated_at) \
                 VALUES ($1, $2, $3, $4, false, $5)",
                &[&account, &name, &source, &size, &now],
            )
            .await
            .map_err(|e| pg_err(e, "sieve script"))?;
            SievePutOutcome::Created
        };
        tx.commit().await.map_err(|e| pg_err(e, "commit"))?;
        Ok(outcome)
    }

    pub(super) async fn sieve_delete_impl(&self, account: AccountId, name: &str) -> Result<()> {
        let name = sieve_script_name(name)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        lock_account(&tx, account).await?;
        match script_exists(&tx, account, name).await? {
            None => return Err(missing(name)),
            Some(true) => {
                return Err(StoreError::Conflict(format!(
                    "script {name:?} is active; deactivate it first"
                )));
            }
            Some(false) => {}
        }
        tx.execute(
            "DELETE FROM sieve_scripts WHERE account_id = $1 AND name = $2",
            &[&account, &name],
        )
        .await
        .map_err(|e| pg_err(e, "sieve script"))?;
        tx.commit().await.map_err(|e| pg_err(e, "commit"))
    }

    pub(super) async fn sieve_rename_impl(&self, account: AccountId, from: &str, to: &str) -> Result<()> {
        let from = sieve_script_name(from)?;
        let to = sieve_script_name(to)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        lock_account(&tx, account).await?;
        if script_exists(&tx, account, from).await?.is_none() {
            return Err(missing(from));
        }
        if from == to {
            return Ok(());
        }
        if script_exists(&tx, account, to).await?.is_some() {
            return Err(StoreError::AlreadyExists(format!("script {to:?}")));
        }
        tx.execute(
            "UPDATE sieve_scripts SET name = $3 WHERE account_id = $1 AND name = $2",
            &[&account, &from, &to],
        )
        .await
        .map_err(|e| pg_err(e, "sieve script"))?;
        tx.commit().await.map_err(|e| pg_err(e, "commit"))
    }

    /// Deactivates first, then activates: the unique index (checked row by row) allows one
    /// active row at every step. A missing name rolls the deactivation back.
    pub(super) async fn sieve_activate_impl(&self, account: AccountId, name: Option<&str>) -> Result<()> {
        let name = name.map(sieve_script_name).transpose()?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        lock_account(&tx, account).await?;
        tx.execute(
            "UPDATE sieve_scripts SET active = false WHERE account_id = $1 AND active",
            &[&account],
        )
        .await
        .map_err(|e| pg_err(e, "sieve script"))?;
        if let Some(name) = name {
            let n = tx
                .execute(
                    "UPDATE sieve_scripts SET active = true WHERE account_id = $1 AND name = $2",
                    &[&account, &name],
                )
                .await
                .map_err(|e| pg_err(e, "sieve script"))?;
            if n == 0 {
                return Err(missing(name));
            }
        }
        tx.commit().await.map_err(|e| pg_err(e, "commit"))
    }

    pub(super) async fn vacation_check_and_record_impl(
        &self,
        account: AccountId,
        handle: &str,
        sender: &str,
        until: i64,
        now: i64,
    ) -> Result<bool> {
        let (handle, sender) = vacation_key(handle, sender)?;
        let client = self.client().await?;
        let st = client
            .prepare_cached(VACATION_SQL)
            .await
            .map_err(|e| pg_err(e, "vacation"))?;
        let written = client
            .query_opt(&st, &[&account, &handle, &sender, &until, &now])
            .await
            .map_err(|e| pg_err(e, &format!("account {account}")))?;
        Ok(written.is_some())
    }

    pub(super) async fn vacation_purge_impl(&self, now: i64) -> Result<u64> {
        let client = self.client().await?;
        client
            .execute("DELETE FROM vacation_sent WHERE expires_at <= $1", &[&now])
            .await
            .map_err(|e| pg_err(e, "vacation"))
    }
}
