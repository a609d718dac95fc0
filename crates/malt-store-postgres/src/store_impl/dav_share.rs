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

use malt_store::{
    DavAccess, DavCollectionId, DavShare, DavShareStatus, DavSharedCollection, dav_access_of,
    dav_share_check, dav_share_name_check, dav_sharee,
};

use super::dav::{COLLECTION_COLS_C, SET_TOKEN_SQL, collection_from_row, collection_of, exec};
use super::*;

const SHARE_COLS: &str = "collection_id, sharee, access, created_at, modseq";

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
    })
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
        sharee_accounts: &[AccountId],
    ) -> Result<DavShare> {
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
        if let Some(share) = existing.as_ref().filter(|s| s.access == access) {
            tx.rollback().await.map_err(|e| pg_err(e, "rollback"))?;
            return Ok(share.clone());
        }
        let created_at = existing.map_or_else(now, |s| s.created_at);
        exec(
            &tx,
            "INSERT INTO dav_shares (collection_id, sharee, access, created_at, modseq) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (collection_id, sharee) DO UPDATE SET access = EXCLUDED.access, modseq = EXCLUDED.modseq",
            &[&collection, &sharee, &access.as_str(), &created_at, &to_i64(lock.modseq)],
            "share",
        )
        .await?;
        journal_sharees(&tx, collection, &sharees).await?;
        self.share_commit(tx, owner, lock.modseq, collection).await?;
        Ok(DavShare {
            collection_id: collection,
            sharee,
            access,
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
            "INSERT INTO dav_share_answers (collection_id, account_id, status, display_name) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (collection_id, account_id) DO UPDATE SET status = EXCLUDED.status, \
             display_name = EXCLUDED.display_name",
            &[&collection, &account, &status.as_str(), &display_name],
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
            "SELECT {COLLECTION_COLS_C}, a.address, s.access, ans.status, ans.display_name \
             FROM dav_shares s JOIN dav_collections c ON c.id = s.collection_id \
             JOIN accounts a ON a.id = c.account_id \
             LEFT JOIN dav_share_answers ans ON ans.collection_id = c.id AND ans.account_id = $1 \
             WHERE s.sharee = ANY($2::text[]) AND c.account_id <> $1 \
             ORDER BY a.address COLLATE \"C\", c.name COLLATE \"C\", c.id"
        );
        let rows = self
            .read_rows(&sql, &[&account, &identifiers], "shared collections")
            .await?;
        let mut out: Vec<DavSharedCollection> = Vec::new();
        for r in &rows {
            let access = access_of(r.get(14))?;
            let collection = collection_from_row(r)?;
            if let Some(last) = out.last_mut().filter(|l| l.collection.id == collection.id) {
                last.access = last.access.max(access);
                continue;
            }
            let status = match r.get::<_, Option<&str>>(15) {
                Some(s) => DavShareStatus::parse(s)
                    .ok_or_else(|| StoreError::Backend(format!("unknown share status {s:?}")))?,
                None => DavShareStatus::Invited,
            };
            out.push(DavSharedCollection {
                collection,
                owner: r.get(13),
                access,
                status,
                display_name: r.get(16),
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
