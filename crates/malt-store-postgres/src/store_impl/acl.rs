//! Access control lists (RFC 4314 §2) and per-user `\Seen` on shared mailboxes (RFC 4314 §4,
//! as Dovecot's private index keeps it) on PostgreSQL. The `Store` methods of `store_impl.rs`
//! delegate here; this child module uses its parent's transaction helpers.
//!
//! Invariants:
//! - Every change takes the OWNER's account lock and next modseq first ([`lock_one`]), so ACL
//!   and private `\Seen` writes of one mailbox serialise with every other write of the owner;
//!   a change that changes nothing rolls back (no modseq consumed, no journal row).
//! - An ACL change writes one `AclChanged` journal row; a private `\Seen` change raises the
//!   mailbox's `highest_modseq` and writes one `FlagsChanged` row with the changed UIDs, both
//!   for the owner, in the transaction of the change. A clear stays as a `seen = false` row so
//!   that CONDSTORE reports it.
//! - Expunge and move delete the private rows of the UIDs they remove (in the tombstone
//!   step); every read also joins `messages`, so a row without its message never counts.
//! - Set-based SQL only (arrays, `INSERT ... SELECT`), never a statement per message.

use super::*;

/// Mailbox columns qualified by `mb.` (same order as `MAILBOX_COLS`, for `mailbox_from_row`).
const MB_COLS: &str = "mb.id, mb.account_id, mb.name, mb.role, mb.uidvalidity, mb.uidnext, mb.highest_modseq, \
                       mb.message_count, mb.unseen_count, mb.total_size";

/// The stored form of `identifier`, or `Invalid` when it is empty.
fn identifier(identifier: &str) -> Result<String> {
    let id = malt_store::AclEntry::normalise_identifier(identifier);
    if id.is_empty() {
        return Err(StoreError::Invalid {
            what: "ACL identifier",
            reason: "empty".into(),
        });
    }
    Ok(id)
}

fn entry_from_row(r: &Row, first: usize) -> malt_store::AclEntry {
    malt_store::AclEntry {
        identifier: r.get(first),
        rights: r.get(first + 1),
    }
}

impl PgStore {
    /// Runs one ACL statement (`$1` mailbox, `$2` identifier, optionally `$3` rights) under the
    /// owner's lock; commits an `AclChanged` entry when it changed a row, else rolls back.
    async fn acl_change(
        &self,
        owner: AccountId,
        mailbox: MailboxId,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<ModSeq> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let (lock, _) = lock_one(&tx, owner, mailbox).await?;
        let st = prep(&tx, sql, "ACL").await?;
        let n = tx.execute(&st, params).await.map_err(|e| pg_err(e, "ACL"))?;
        if n == 0 {
            tx.rollback().await.map_err(|e| pg_err(e, "rollback"))?;
            return Ok(0);
        }
        self.commit(
            tx,
            owner,
            lock.modseq,
            vec![Change::new(Some(mailbox), ChangeKind::AclChanged)],
        )
        .await?;
        Ok(lock.modseq)
    }

    pub(super) async fn acl_set_impl(
        &self,
        owner: AccountId,
        mailbox: MailboxId,
        ident: &str,
        rights: &str,
    ) -> Result<ModSeq> {
        if rights.is_empty() {
            return self.acl_delete_impl(owner, mailbox, ident).await;
        }
        let ident = identifier(ident)?;
        let rights = rights.to_owned();
        self.acl_change(
            owner,
            mailbox,
            "INSERT INTO mailbox_acl (mailbox_id, identifier, rights) VALUES ($1, $2, $3) \
             ON CONFLICT (mailbox_id, identifier) DO UPDATE SET rights = EXCLUDED.rights \
             WHERE mailbox_acl.rights <> EXCLUDED.rights",
            &[&mailbox, &ident, &rights],
        )
        .await
    }

    pub(super) async fn acl_delete_impl(
        &self,
        owner: AccountId,
        mailbox: MailboxId,
        ident: &str,
    ) -> Result<ModSeq> {
        let ident = identifier(ident)?;
        self.acl_change(
            owner,
            mailbox,
            "DELETE FROM mailbox_acl WHERE mailbox_id = $1 AND identifier = $2",
            &[&mailbox, &ident],
        )
        .await
    }

    pub(super) async fn acl_list_impl(&self, mailbox: MailboxId) -> Result<Vec<malt_store::AclEntry>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(
                "SELECT identifier, rights FROM mailbox_acl WHERE mailbox_id = $1 \
                 ORDER BY identifier COLLATE \"C\"",
            )
            .await
            .map_err(|e| pg_err(e, "ACL"))?;
        let rows = client
            .query(&st, &[&mailbox])
            .await
            .map_err(|e| pg_err(e, "ACL"))?;
        Ok(rows.iter().map(|r| entry_from_row(r, 0)).collect())
    }

    /// One query; rows arrive grouped by mailbox thanks to the ORDER BY.
    pub(super) async fn acl_shared_with_impl(
        &self,
        identifiers: &[String],
    ) -> Result<Vec<malt_store::SharedMailbox>> {
        let ids: Vec<String> = identifiers
            .iter()
            .map(|i| malt_store::AclEntry::normalise_identifier(i))
            .collect();
        let client = self.client().await?;
        let st = client
            .prepare_cached(&format!(
                "SELECT {MB_COLS}, a.address, acl.identifier, acl.rights \
                 FROM mailboxes mb JOIN accounts a ON a.id = mb.account_id \
                 JOIN mailbox_acl acl ON acl.mailbox_id = mb.id \
                 WHERE mb.id IN (SELECT mailbox_id FROM mailbox_acl WHERE identifier = ANY($1::text[])) \
                 ORDER BY a.address COLLATE \"C\", mb.name COLLATE \"C\", mb.id, acl.identifier COLLATE \"C\""
            ))
            .await
            .map_err(|e| pg_err(e, "shared mailboxes"))?;
        let rows = client
            .query(&st, &[&ids])
            .await
            .map_err(|e| pg_err(e, "shared mailboxes"))?;
        let mut out: Vec<malt_store::SharedMailbox> = Vec::new();
        for r in &rows {
            let mailbox = mailbox_from_row(r);
            let entry = entry_from_row(r, 11);
            match out.last_mut() {
                Some(last) if last.mailbox.id == mailbox.id => last.acl.push(entry),
                _ => out.push(malt_store::SharedMailbox {
                    mailbox,
                    owner: r.get(10),
                    acl: vec![entry],
                }),
            }
        }
        Ok(out)
    }

    /// Part of an account delete, in its transaction: removes the entries naming `address`
    /// (and `-address`) from the ACLs of other accounts' mailboxes and journals `AclChanged`
    /// per mailbox, one new modseq per owner (the owners' rows are locked by one UPDATE; a
    /// deadlock with a concurrent writer is detected by PostgreSQL and fails the delete).
    pub(super) async fn acl_forget_identifier(
        &self,
        tx: &Tx<'_>,
        account: AccountId,
        address: &str,
    ) -> Result<()> {
        let negative = format!("-{address}");
        let rows = tx
            .query(
                "WITH d AS (DELETE FROM mailbox_acl acl USING mailboxes mb \
                 WHERE mb.id = acl.mailbox_id AND acl.identifier IN ($1, $2) AND mb.account_id <> $3 \
                 RETURNING mb.account_id, acl.mailbox_id) \
                 SELECT DISTINCT account_id, mailbox_id FROM d ORDER BY account_id, mailbox_id",
                &[&address, &negative, &account],
            )
            .await
            .map_err(|e| pg_err(e, "ACL"))?;
        if rows.is_empty() {
            return Ok(());
        }
        let owners: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        let mailboxes: Vec<i64> = rows.iter().map(|r| r.get(1)).collect();
        tx.execute(
            "WITH b AS (UPDATE accounts SET modseq = modseq + 1 WHERE id = ANY($1::bigint[]) \
             RETURNING id, modseq), \
             j AS (INSERT INTO journal (account_id, modseq, mailbox_id, kind, uids) \
             SELECT c.a, b.modseq, c.m, $3, '' FROM unnest($1::bigint[], $2::bigint[]) \
             WITH ORDINALITY AS c(a, m, o) JOIN b ON b.id = c.a ORDER BY c.o RETURNING id) \
             SELECT pg_notify('malt_changes', max(id)::text) FROM j",
            &[&owners, &mailboxes, &ChangeKind::AclChanged.as_str()],
        )
        .await
        .map_err(|e| pg_err(e, "ACL journal"))?;
        Ok(())
    }

    // ---- Per-user \Seen ------------------------------------------------------------------

    pub(super) async fn private_seen_impl(&self, viewer: AccountId, mailbox: MailboxId) -> Result<UidSet> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(
                "SELECT p.uid FROM private_seen p \
                 JOIN messages m ON m.mailbox_id = p.mailbox_id AND m.uid = p.uid \
                 WHERE p.account_id = $1 AND p.mailbox_id = $2 AND p.seen ORDER BY p.uid",
            )
            .await
            .map_err(|e| pg_err(e, "private seen"))?;
        let rows = client
            .query(&st, &[&viewer, &mailbox])
            .await
            .map_err(|e| pg_err(e, "private seen"))?;
        Ok(UidSet::from_uids(rows.iter().map(|r| to_u32(r.get(0)))))
    }

    pub(super) async fn private_seen_changes_impl(
        &self,
        viewer: AccountId,
        mailbox: MailboxId,
        since: ModSeq,
    ) -> Result<Vec<malt_store::PrivateSeen>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(
                "SELECT p.uid, p.seen, p.modseq FROM private_seen p \
                 JOIN messages m ON m.mailbox_id = p.mailbox_id AND m.uid = p.uid \
                 WHERE p.account_id = $1 AND p.mailbox_id = $2 AND p.modseq > $3 ORDER BY p.uid",
            )
            .await
            .map_err(|e| pg_err(e, "private seen"))?;
        let rows = client
            .query(&st, &[&viewer, &mailbox, &to_i64(since)])
            .await
            .map_err(|e| pg_err(e, "private seen"))?;
        Ok(rows
            .iter()
            .map(|r| malt_store::PrivateSeen {
                uid: to_u32(r.get(0)),
                seen: r.get(1),
                modseq: to_u64(r.get(2)),
            })
            .collect())
    }

    pub(super) async fn private_seen_store_impl(
        &self,
        viewer: AccountId,
        mailbox: MailboxId,
        uids: &UidSet,
        seen: bool,
    ) -> Result<malt_store::SeenUpdate> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let owner: i64 = tx
            .query_opt("SELECT account_id FROM mailboxes WHERE id = $1", &[&mailbox])
            .await
            .map_err(|e| pg_err(e, "mailbox"))?
            .ok_or_else(|| StoreError::NotFound(format!("mailbox {mailbox}")))?
            .get(0);
        if owner == viewer {
            return Err(StoreError::Invalid {
                what: "viewer",
                reason: "the owner's \\Seen is the message flag, not a private one".into(),
            });
        }
        let Some(f) = UidFilter::new(uids) else {
            return Ok(malt_store::SeenUpdate::default());
        };
        let (lock, _) = lock_one(&tx, owner, mailbox).await?;
        let modseq = to_i64(lock.modseq);
        // A missing viewer fails the INSERT's foreign key: NotFound.
        let sql = format!(
            "INSERT INTO private_seen (account_id, mailbox_id, uid, seen, modseq) \
             SELECT $1, m.mailbox_id, m.uid, $3, $4 FROM messages m \
             LEFT JOIN private_seen p ON p.account_id = $1 AND p.mailbox_id = m.mailbox_id AND p.uid = m.uid \
             WHERE m.mailbox_id = $2 AND COALESCE(p.seen, false) <> $3{} \
             ON CONFLICT (account_id, mailbox_id, uid) DO UPDATE SET seen = EXCLUDED.seen, \
             modseq = EXCLUDED.modseq RETURNING uid",
            f.sql_on("m.uid", 5)
        );
        let st = prep(&tx, &sql, &format!("account {viewer}")).await?;
        let mut params: Vec<Param<'_>> = vec![&viewer, &mailbox, &seen, &modseq];
        params.extend(f.params());
        let rows = tx
            .query(&st, &params)
            .await
            .map_err(|e| pg_err(e, &format!("account {viewer}")))?;
        if rows.is_empty() {
            tx.rollback().await.map_err(|e| pg_err(e, "rollback"))?;
            return Ok(malt_store::SeenUpdate::default());
        }
        let mut changed: Vec<Uid> = rows.iter().map(|r| to_u32(r.get(0))).collect();
        changed.sort_unstable();
        tx.execute(
            "UPDATE mailboxes SET highest_modseq = GREATEST(highest_modseq, $2) WHERE id = $1",
            &[&mailbox, &modseq],
        )
        .await
        .map_err(|e| pg_err(e, "mailbox"))?;
        self.commit(
            tx,
            owner,
            lock.modseq,
            vec![Change::with_uids(
                mailbox,
                ChangeKind::FlagsChanged,
                changed.iter().copied(),
            )],
        )
        .await?;
        Ok(malt_store::SeenUpdate {
            modseq: lock.modseq,
            changed,
        })
    }

    pub(super) async fn private_unseen_count_impl(
        &self,
        viewer: AccountId,
        mailbox: MailboxId,
    ) -> Result<u32> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(
                "SELECT count(*) FROM messages m WHERE m.mailbox_id = $2 AND NOT EXISTS \
                 (SELECT 1 FROM private_seen p WHERE p.account_id = $1 AND p.mailbox_id = $2 \
                  AND p.uid = m.uid AND p.seen)",
            )
            .await
            .map_err(|e| pg_err(e, "private seen"))?;
        let row = client
            .query_one(&st, &[&viewer, &mailbox])
            .await
            .map_err(|e| pg_err(e, "private seen"))?;
        Ok(to_u32(row.get(0)))
    }
}
