//! Sharing of calendars and address books on PostgreSQL (`malt_store::dav_share` holds the
//! rules). The `Store` methods of `store_impl.rs` delegate here.
//!
//! Invariants:
//! - A change locks every account it journals for — the owner and the sharee accounts
//!   concerned — in id order first ([`lock_in_order`]), so two changes that touch the same
//!   accounts (Alice shares with Bob while Bob shares with Alice) never deadlock; then the
//!   owner's modseq ([`bump`]), the collection's sync token and `DavShareChanged` for the owner
//!   and for each sharee account, with the NOTIFY, in one transaction. A change that changes
//!   nothing rolls back.
//! - Identifier lists are one `text[]` parameter (`= ANY`): one statement whatever their number.
//! - Dismissing a notification sets a flag on the answer row (an `invited` row for an invite)
//!   under the dismissing account's lock, and journals that account only.

use malt_store::{
    DavAccess, DavCollectionId, DavShare, DavShareNote, DavShareReply, DavShareStatus, DavSharedCollection,
    DavShareeProp, dav_access_of, dav_share_check, dav_share_name_check, dav_share_note_check,
    dav_share_note_merge, dav_sharee, dav_sharee_prop_check,
};

use super::dav::{COLLECTION_COLS_C, SET_TOKEN_SQL, collection_from_row, collection_of, exec};
use super::*;

const SHARE_COLS: &str = "collection_id, sharee, access, created_at, modseq, summary, common_name";

/// Bumps and journals `DavShareChanged` of `collection` for each existing account of `ids`
/// (locked already), with the NOTIFY, in one statement.
const SHAREE_JOURNAL_SQL: &str = "WITH b AS (UPDATE accounts SET modseq = modseq + 1 \
     WHERE id = ANY($1::bigint[]) RETURNING id, modseq), \
     j AS (INSERT INTO journal (account_id, modseq, mailbox_id, kind, uids, collection_id) \
     SELECT b.id, b.modseq, NULL, $3, '', $2 FROM b ORDER BY b.id RETURNING id) \
     SELECT pg_notify('malt_changes', max(id)::text) FROM j";

fn access_of(text: &str) -> Result<DavAccess> {
    DavAccess::parse(text).ok_or_else(|| StoreError::Backend(format!("unknown share access {text:?}")))
}

fn share_from_row(r: &Row) -> Result<DavShare> {
    Ok(DavShare {
        collection_id: r.get(0),
        sharee: r.get(1),
        access: access_of(r.get(2))?,
        created_at: r.get(3),
        modseq: to_u64(r.get(4)),
        note: DavShareNote {
            summary: r.get(5),
            common_name: r.get(6),
        },
    })
}

fn status_of(text: &str) -> Result<DavShareStatus> {
    DavShareStatus::parse(text).ok_or_else(|| StoreError::Backend(format!("unknown share status {text:?}")))
}

/// Locks the rows of `ids` (and `owner`) in id order; returns the ids of `ids` that are
/// accounts other than `owner`, sorted, each once.
async fn lock_in_order(tx: &Tx<'_>, owner: AccountId, ids: &[AccountId]) -> Result<Vec<AccountId>> {
    let mut all: Vec<AccountId> = ids.to_vec();
    all.push(owner);
    all.sort_unstable();
    all.dedup();
    let rows = tx
        .query(
            "SELECT id FROM accounts WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE",
            &[&all],
        )
        .await
        .map_err(|e| pg_err(e, "accounts"))?;
    Ok(rows
        .iter()
        .map(|r| r.get::<_, i64>(0))
        .filter(|&id| id != owner)
        .collect())
}

/// Journals `DavShareChanged` of `collection` for `sharees` (locked, existing, not the owner).
async fn journal_sharees(tx: &Tx<'_>, collection: DavCollectionId, sharees: &[AccountId]) -> Result<()> {
    if sharees.is_empty() {
        return Ok(());
    }
    let st = prep(tx, SHAREE_JOURNAL_SQL, "share journal").await?;
    tx.execute(
        &st,
        &[&sharees, &collection, &ChangeKind::DavShareChanged.as_str()],
    )
    .await
    .map_err(|e| pg_err(e, "share journal"))?;
    Ok(())
}

impl PgStore {
    /// Commits a change of the owner's collection: its sync token and the owner's journal row.
    async fn share_commit(
        &self,
        tx: Tx<'_>,
        owner: AccountId,
        modseq: ModSeq,
        collection: DavCollectionId,
    ) -> Result<()> {
        self.dav_commit(
            tx,
            owner,
            modseq,
            vec![Change::dav(collection, ChangeKind::DavShareChanged)],
        )
        .await
    }

    pub(super) async fn dav_share_set_impl(
        &self,
        owner: AccountId,
        collection: DavCollectionId,
        sharee: &str,
        access: DavAccess,
        note: &DavShareNote,
        sharee_accounts: &[AccountId],
    ) -> Result<DavShare> {
        dav_share_note_check(note)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let sharees = lock_in_order(&tx, owner, sharee_accounts).await?;
        let lock = bump(&tx, owner).await?;
        let c = collection_of(&tx, owner, collection).await?;
        let address: String = tx
            .query_one("SELECT address FROM accounts WHERE id = $1", &[&owner])
            .await
            .map_err(|e| pg_err(e, "account"))?
            .get(0);
        let sharee = dav_share_check(&c, &address, sharee, access)?;
        let existing = tx
            .query_opt(
                &format!("SELECT {SHARE_COLS} FROM dav_shares WHERE collection_id = $1 AND sharee = $2"),
                &[&collection, &sharee],
            )
            .await
            .map_err(|e| pg_err(e, "share"))?
            .as_ref()
            .map(share_from_row)
            .transpose()?;
        let (note, note_changed) = dav_share_note_merge(existing.as_ref().map(|s| &s.note), note);
        if let Some(share) = existing.as_ref().filter(|s| s.access == access && !note_changed) {
            tx.rollback().await.map_err(|e| pg_err(e, "rollback"))?;
            return Ok(share.clone());
        }
        let created_at = existing.map_or_else(now, |s| s.created_at);
        exec(
            &tx,
            "INSERT INTO dav_shares (collection_id, sharee, access, created_at, modseq, summary, common_name) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (collection_id, sharee) DO UPDATE SET access = EXCLUDED.access, modseq = EXCLUDED.modseq, \
             summary = EXCLUDED.summary, common_name = EXCLUDED.common_name",
            &[
                &collection,
                &sharee,
                &access.as_str(),
                &created_at,
                &to_i64(lock.modseq),
                &note.summary,
                &note.common_name,
            ],
            "share",
        )
        .await?;
        journal_sharees(&tx, collection, &sharees).await?;
        self.share_commit(tx, owner, lock.modseq, collection).await?;
        Ok(DavShare {
            collection_id: collection,
            sharee,
            access,
            note,
            created_at,
            modseq: lock.modseq,
        })
    }

    pub(super) async fn dav_share_remove_impl(
        &self,
        owner: AccountId,
        collection: DavCollectionId,
        sharee: &str,
        sharee_accounts: &[AccountId],
    ) -> Result<ModSeq> {
        let sharee = dav_sharee(sharee)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let sharees = lock_in_order(&tx, owner, sharee_accounts).await?;
        let lock = bump(&tx, owner).await?;
        collection_of(&tx, owner, collection).await?;
        let n = exec(
            &tx,
            "DELETE FROM dav_shares WHERE collection_id = $1 AND sharee = $2",
            &[&collection, &sharee],
            "share",
        )
        .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "share of collection {collection} with {sharee}"
            )));
        }
        exec(
            &tx,
            "DELETE FROM dav_share_answers WHERE collection_id = $1 AND account_id = ANY($2::bigint[])",
            &[&collection, &sharee_accounts],
            "share answers",
        )
        .await?;
        journal_sharees(&tx, collection, &sharees).await?;
        self.share_commit(tx, owner, lock.modseq, collection).await?;
        Ok(lock.modseq)
    }

    pub(super) async fn dav_share_list_impl(&self, collection: DavCollectionId) -> Result<Vec<DavShare>> {
        let sql = format!(
            "SELECT {SHARE_COLS} FROM dav_shares WHERE collection_id = $1 ORDER BY sharee COLLATE \"C\""
        );
        let rows = self.read_rows(&sql, &[&collection], "shares").await?;
        rows.iter().map(share_from_row).collect()
    }

    pub(super) async fn dav_share_answer_impl(
        &self,
        account: AccountId,
        identifiers: &[String],
        collection: DavCollectionId,
        status: DavShareStatus,
        display_name: Option<&str>,
    ) -> Result<ModSeq> {
        dav_share_name_check(display_name)?;
        let not_shared =
            || StoreError::NotFound(format!("share of collection {collection} for account {account}"));
        let owner = match self.dav_access_impl(account, identifiers, collection).await? {
            Some(DavAccess::Owner) | None => return Err(not_shared()),
            Some(_) => {
                self.dav_collection_by_id_impl(collection)
                    .await?
                    .ok_or_else(not_shared)?
                    .account_id
            }
        };
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let sharees = lock_in_order(&tx, owner, &[account]).await?;
        let lock = bump(&tx, owner).await?;
        // The share may have gone between the check and the locks: check again under them.
        let still: Option<Row> = tx
            .query_opt(
                "SELECT 1 FROM dav_shares WHERE collection_id = $1 AND sharee = ANY($2::text[]) LIMIT 1",
                &[&collection, &identifiers],
            )
            .await
            .map_err(|e| pg_err(e, "share"))?;
        if still.is_none() || sharees.is_empty() {
            return Err(not_shared());
        }
        exec(
            &tx,
            "INSERT INTO dav_share_answers (collection_id, account_id, status, display_name, answered_at, \
             invite_dismissed, reply_dismissed) VALUES ($1, $2, $3, $4, $5, false, false) \
             ON CONFLICT (collection_id, account_id) DO UPDATE SET status = EXCLUDED.status, \
             display_name = EXCLUDED.display_name, answered_at = EXCLUDED.answered_at, reply_dismissed = false",
            &[&collection, &account, &status.as_str(), &display_name, &now()],
            "share answer",
        )
        .await?;
        journal_sharees(&tx, collection, &sharees).await?;
        let modseq: i64 = tx
            .query_one("SELECT modseq FROM accounts WHERE id = $1", &[&account])
            .await
            .map_err(|e| pg_err(e, "account"))?
            .get(0);
        self.share_commit(tx, owner, lock.modseq, collection).await?;
        Ok(to_u64(modseq))
    }

    pub(super) async fn dav_shared_with_impl(
        &self,
        account: AccountId,
        identifiers: &[String],
    ) -> Result<Vec<DavSharedCollection>> {
        let sql = format!(
            "SELECT {COLLECTION_COLS_C}, a.address, s.access, ans.status, ans.display_name, s.summary, \
             s.created_at, coalesce(ans.invite_dismissed, false) \
             FROM dav_shares s JOIN dav_collections c ON c.id = s.collection_id \
             JOIN accounts a ON a.id = c.account_id \
             LEFT JOIN dav_share_answers ans ON ans.collection_id = c.id AND ans.account_id = $1 \
             WHERE s.sharee = ANY($2::text[]) AND c.account_id <> $1 \
             ORDER BY a.address COLLATE \"C\", c.name COLLATE \"C\", c.id, s.sharee COLLATE \"C\""
        );
        let rows = self
            .read_rows(&sql, &[&account, &identifiers], "shared collections")
            .await?;
        let mut out: Vec<DavSharedCollection> = Vec::new();
        for r in &rows {
            let access = access_of(r.get(14))?;
            let collection = collection_from_row(r)?;
            let (summary, shared_at): (Option<String>, i64) = (r.get(17), r.get(18));
            if let Some(last) = out.last_mut().filter(|l| l.collection.id == collection.id) {
                last.access = last.access.max(access);
                last.shared_at = last.shared_at.min(shared_at);
                if last.summary.is_none() {
                    last.summary = summary;
                }
                continue;
            }
            let status = match r.get::<_, Option<&str>>(15) {
                Some(s) => status_of(s)?,
                None => DavShareStatus::Invited,
            };
            out.push(DavSharedCollection {
                collection,
                owner: r.get(13),
                access,
                status,
                display_name: r.get(16),
                summary,
                shared_at,
                invite_dismissed: r.get(19),
            });
        }
        Ok(out)
    }

    pub(super) async fn dav_access_impl(
        &self,
        account: AccountId,
        identifiers: &[String],
        collection: DavCollectionId,
    ) -> Result<Option<DavAccess>> {
        let rows = self
            .read_rows(
                "SELECT c.account_id, s.access FROM dav_collections c \
                 LEFT JOIN dav_shares s ON s.collection_id = c.id AND s.sharee = ANY($2::text[]) \
                 WHERE c.id = $1",
                &[&collection, &identifiers],
                "access",
            )
            .await?;
        let Some(owner) = rows.first().map(|r| r.get::<_, i64>(0)) else {
            return Ok(None);
        };
        let shares = rows
            .iter()
            .filter_map(|r| r.get::<_, Option<&str>>(1))
            .map(access_of)
            .collect::<Result<Vec<_>>>()?;
        Ok(dav_access_of(owner == account, shares))
    }

    pub(super) async fn dav_share_invite_dismiss_impl(
        &self,
        account: AccountId,
        identifiers: &[String],
        collection: DavCollectionId,
    ) -> Result<ModSeq> {
        let not_shown =
            || StoreError::NotFound(format!("invite of collection {collection} for account {account}"));
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let lock = bump(&tx, account).await?;
        // Under the account's lock: a share reaches it, and it has not answered.
        let shown: Option<Row> = tx
            .query_opt(
                "SELECT 1 FROM dav_shares s JOIN dav_collections c ON c.id = s.collection_id \
                 LEFT JOIN dav_share_answers ans ON ans.collection_id = c.id AND ans.account_id = $1 \
                 WHERE c.id = $2 AND c.account_id <> $1 AND s.sharee = ANY($3::text[]) \
                 AND coalesce(ans.status, 'invited') = 'invited' LIMIT 1",
                &[&account, &collection, &identifiers],
            )
            .await
            .map_err(|e| pg_err(e, "share"))?;
        if shown.is_none() {
            return Err(not_shown());
        }
        exec(
            &tx,
            "INSERT INTO dav_share_answers (collection_id, account_id, status, display_name, answered_at, \
             invite_dismissed, reply_dismissed) VALUES ($1, $2, 'invited', NULL, 0, true, true) \
             ON CONFLICT (collection_id, account_id) DO UPDATE SET invite_dismissed = true",
            &[&collection, &account],
            "share answer",
        )
        .await?;
        self.commit(
            tx,
            account,
            lock.modseq,
            vec![Change::dav(collection, ChangeKind::DavShareChanged)],
        )
        .await?;
        Ok(lock.modseq)
    }

    pub(super) async fn dav_share_replies_impl(&self, owner: AccountId) -> Result<Vec<DavShareReply>> {
        let sql = format!(
            "SELECT {COLLECTION_COLS_C}, ans.account_id, a.address, ans.status, ans.display_name, ans.answered_at \
             FROM dav_collections c JOIN dav_share_answers ans ON ans.collection_id = c.id \
             JOIN accounts a ON a.id = ans.account_id \
             WHERE c.account_id = $1 AND ans.status IN ('accepted', 'declined') AND NOT ans.reply_dismissed \
             ORDER BY c.id, a.address COLLATE \"C\""
        );
        let rows = self.read_rows(&sql, &[&owner], "share replies").await?;
        rows.iter()
            .map(|r| {
                Ok(DavShareReply {
                    collection: collection_from_row(r)?,
                    account_id: r.get(13),
                    sharee: r.get(14),
                    status: status_of(r.get(15))?,
                    summary: r.get(16),
                    answered_at: r.get(17),
                })
            })
            .collect()
    }

    pub(super) async fn dav_share_reply_dismiss_impl(
        &self,
        owner: AccountId,
        collection: DavCollectionId,
        account: AccountId,
    ) -> Result<ModSeq> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let lock = bump(&tx, owner).await?;
        let n = exec(
            &tx,
            "UPDATE dav_share_answers SET reply_dismissed = true WHERE collection_id = $1 AND account_id = $2 \
             AND NOT reply_dismissed AND status IN ('accepted', 'declined') \
             AND collection_id IN (SELECT id FROM dav_collections WHERE account_id = $3)",
            &[&collection, &account, &owner],
            "share answer",
        )
        .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "reply of account {account} about collection {collection}"
            )));
        }
        self.commit(
            tx,
            owner,
            lock.modseq,
            vec![Change::dav(collection, ChangeKind::DavShareChanged)],
        )
        .await?;
        Ok(lock.modseq)
    }

    pub(super) async fn dav_sharee_props_impl(&self, account: AccountId) -> Result<Vec<DavShareeProp>> {
        let rows = self
            .read_rows(
                "SELECT collection_id, name, value FROM dav_sharee_props WHERE account_id = $1 \
                 ORDER BY collection_id, name COLLATE \"C\"",
                &[&account],
                "sharee properties",
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| DavShareeProp {
                collection_id: r.get(0),
                name: r.get(1),
                value: r.get(2),
            })
            .collect())
    }

    pub(super) async fn dav_sharee_props_set_impl(
        &self,
        account: AccountId,
        identifiers: &[String],
        collection: DavCollectionId,
        props: &[(String, Option<String>)],
    ) -> Result<()> {
        for (name, value) in props {
            dav_sharee_prop_check(name, value.as_deref())?;
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        // Shared with the account, and not its own (the share is read under the row lock of
        // the collection, so a concurrent delete of the collection waits or wins first).
        let shared: Option<Row> = tx
            .query_opt(
                "SELECT 1 FROM dav_collections c WHERE c.id = $1 AND c.account_id != $2 \
                 AND EXISTS (SELECT 1 FROM dav_shares s WHERE s.collection_id = c.id AND s.sharee = ANY($3::text[])) \
                 FOR SHARE OF c",
                &[&collection, &account, &identifiers],
            )
            .await
            .map_err(|e| pg_err(e, "share"))?;
        if shared.is_none() {
            return Err(StoreError::NotFound(format!(
                "share of collection {collection} for account {account}"
            )));
        }
        for (name, value) in props {
            match value {
                Some(v) => {
                    exec(
                        &tx,
                        "INSERT INTO dav_sharee_props (account_id, collection_id, name, value) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (account_id, collection_id, name) DO UPDATE SET value = excluded.value",
                        &[&account, &collection, name, v],
                        "sharee property",
                    )
                    .await?;
                }
                None => {
                    exec(
                        &tx,
                        "DELETE FROM dav_sharee_props WHERE account_id = $1 AND collection_id = $2 AND name = $3",
                        &[&account, &collection, name],
                        "sharee property",
                    )
                    .await?;
                }
            }
        }
        tx.commit().await.map_err(|e| pg_err(e, "commit"))?;
        Ok(())
    }

    /// Part of a collection delete, before it: locks (in id order, with the owner) and returns
    /// the accounts it concerns — those that answered a share of it and those whose address a
    /// share names.
    pub(super) async fn dav_share_collection_sharees(
        tx: &Tx<'_>,
        owner: AccountId,
        collection: DavCollectionId,
    ) -> Result<Vec<AccountId>> {
        let rows = tx
            .query(
                "SELECT account_id FROM dav_share_answers WHERE collection_id = $1 \
                 UNION SELECT a.id FROM dav_shares s JOIN accounts a ON a.address = s.sharee \
                 WHERE s.collection_id = $1",
                &[&collection],
            )
            .await
            .map_err(|e| pg_err(e, "sharees"))?;
        let ids: Vec<AccountId> = rows.iter().map(|r| r.get(0)).collect();
        lock_in_order(tx, owner, &ids).await
    }

    /// Part of a collection delete, after it: journals the sharees found before.
    pub(super) async fn dav_share_collection_deleted(
        tx: &Tx<'_>,
        collection: DavCollectionId,
        sharees: &[AccountId],
    ) -> Result<()> {
        journal_sharees(tx, collection, sharees).await
    }

    /// Part of an account delete, in its transaction: removes the shares naming `address` from
    /// other accounts' collections, journaling `DavShareChanged` for each owner (one new modseq
    /// per owner and collection) and raising each collection's sync token.
    pub(super) async fn dav_share_forget_sharee(
        tx: &Tx<'_>,
        account: AccountId,
        address: &str,
    ) -> Result<()> {
        let rows = tx
            .query(
                "WITH d AS (DELETE FROM dav_shares s USING dav_collections c \
                 WHERE c.id = s.collection_id AND s.sharee = $1 AND c.account_id <> $2 \
                 RETURNING c.account_id, s.collection_id) \
                 SELECT account_id, collection_id FROM d ORDER BY account_id, collection_id",
                &[&address, &account],
            )
            .await
            .map_err(|e| pg_err(e, "shares"))?;
        for r in &rows {
            let (owner, collection): (i64, i64) = (r.get(0), r.get(1));
            let modseq: i64 = tx
                .query_one(
                    "UPDATE accounts SET modseq = modseq + 1 WHERE id = $1 RETURNING modseq",
                    &[&owner],
                )
                .await
                .map_err(|e| pg_err(e, "account"))?
                .get(0);
            exec(tx, SET_TOKEN_SQL, &[&collection, &modseq], "collection").await?;
            tx.execute(
                "WITH j AS (INSERT INTO journal (account_id, modseq, mailbox_id, kind, uids, collection_id) \
                 VALUES ($1, $2, NULL, $3, '', $4) RETURNING id) \
                 SELECT pg_notify('malt_changes', max(id)::text) FROM j",
                &[
                    &owner,
                    &modseq,
                    &ChangeKind::DavShareChanged.as_str(),
                    &collection,
                ],
            )
            .await
            .map_err(|e| pg_err(e, "share journal"))?;
        }
        Ok(())
    }
}
