//! Sharing of calendars and address books on SQLite (`malt_store::dav_share` holds the rules).
//! The [`malt_store::Store`] methods in `ops.rs` call these functions inside their read or write
//! transaction.
//!
//! Invariants:
//! - A change bumps the owner's modseq, raises the collection's sync token to it and journals
//!   `DavShareChanged`; then bumps and journals each sharee account concerned (existing
//!   accounts other than the owner, each once), all in the one write transaction. A change that
//!   changes nothing writes nothing.
//! - Identifier lists are bound as one JSON array (`json_each`): one statement whatever their
//!   number.
//! - Dismissing a notification sets a flag on the answer row (an `invited` row for an invite),
//!   bumps and journals the dismissing account only.

use malt_store::*;
use rusqlite::{OptionalExtension, Row, Transaction, params};

use crate::R;
use crate::dav::{COLLECTION_COLS_C, collection_from_row, collection_of, journal, touch};
use crate::ops::{account_row, bump, not_found, now};

fn conversion(idx: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, what.to_owned().into())
}

fn access_at(r: &Row<'_>, idx: usize) -> rusqlite::Result<DavAccess> {
    let text: String = r.get(idx)?;
    DavAccess::parse(&text).ok_or_else(|| conversion(idx, "unknown share access"))
}

fn share_from_row(r: &Row<'_>) -> rusqlite::Result<DavShare> {
    Ok(DavShare {
        collection_id: r.get(0)?,
        sharee: r.get(1)?,
        access: access_at(r, 2)?,
        created_at: r.get(3)?,
        modseq: r.get::<_, i64>(4)? as u64,
        note: DavShareNote {
            summary: r.get(5)?,
            common_name: r.get(6)?,
        },
    })
}

const SHARE_COLS: &str = "collection_id, sharee, access, created_at, modseq, summary, common_name";

fn share_row(tx: &Transaction<'_>, collection: DavCollectionId, sharee: &str) -> R<Option<DavShare>> {
    Ok(tx
        .prepare_cached(&format!(
            "SELECT {SHARE_COLS} FROM dav_shares WHERE collection_id = ?1 AND sharee = ?2"
        ))?
        .query_row(params![collection, sharee], share_from_row)
        .optional()?)
}

/// Bumps and journals `DavShareChanged` of `collection` for each existing account of
/// `accounts` but `owner`, each once.
pub(crate) fn journal_sharees(
    tx: &Transaction<'_>,
    owner: AccountId,
    collection: DavCollectionId,
    accounts: &[AccountId],
) -> R<()> {
    let mut ids: Vec<AccountId> = accounts.iter().copied().filter(|&a| a != owner).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut exists = tx.prepare_cached("SELECT 1 FROM accounts WHERE id = ?1")?;
    for id in ids {
        if exists.query_row([id], |_| Ok(())).optional()?.is_none() {
            continue;
        }
        let modseq = bump(tx, id)?;
        journal(tx, id, modseq, collection, ChangeKind::DavShareChanged)?;
    }
    Ok(())
}

/// The owner's side of a change: a new modseq, the collection's token raised, the journal row.
fn owner_changed(tx: &Transaction<'_>, owner: AccountId, collection: DavCollectionId) -> R<ModSeq> {
    let modseq = bump(tx, owner)?;
    touch(tx, owner, modseq, collection, ChangeKind::DavShareChanged)?;
    Ok(modseq)
}

pub(crate) fn set(
    tx: &Transaction<'_>,
    owner: AccountId,
    collection: DavCollectionId,
    sharee: &str,
    access: DavAccess,
    note: &DavShareNote,
    sharee_accounts: &[AccountId],
) -> R<DavShare> {
    let c = collection_of(tx, owner, collection)?;
    let sharee = dav_share_check(&c, &account_row(tx, owner)?.address, sharee, access)?;
    dav_share_note_check(note)?;
    let existing = share_row(tx, collection, &sharee)?;
    let (note, note_changed) = dav_share_note_merge(existing.as_ref().map(|s| &s.note), note);
    if let Some(share) = existing.as_ref().filter(|s| s.access == access && !note_changed) {
        return Ok(share.clone());
    }
    let modseq = owner_changed(tx, owner, collection)?;
    let created_at = existing.map_or_else(now, |s| s.created_at);
    tx.prepare_cached(
        "INSERT INTO dav_shares (collection_id, sharee, access, created_at, modseq, summary, common_name) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (collection_id, sharee) DO UPDATE SET access = excluded.access, modseq = excluded.modseq, \
         summary = excluded.summary, common_name = excluded.common_name",
    )?
    .execute(params![
        collection,
        sharee,
        access.as_str(),
        created_at,
        modseq as i64,
        note.summary,
        note.common_name
    ])?;
    journal_sharees(tx, owner, collection, sharee_accounts)?;
    Ok(DavShare {
        collection_id: collection,
        sharee,
        access,
        note,
        created_at,
        modseq,
    })
}

pub(crate) fn remove(
    tx: &Transaction<'_>,
    owner: AccountId,
    collection: DavCollectionId,
    sharee: &str,
    sharee_accounts: &[AccountId],
) -> R<ModSeq> {
    collection_of(tx, owner, collection)?;
    let sharee = dav_sharee(sharee)?;
    let n = tx
        .prepare_cached("DELETE FROM dav_shares WHERE collection_id = ?1 AND sharee = ?2")?
        .execute(params![collection, sharee])?;
    if n == 0 {
        return Err(not_found(format!(
            "share of collection {collection} with {sharee}"
        )));
    }
    let mut forget =
        tx.prepare_cached("DELETE FROM dav_share_answers WHERE collection_id = ?1 AND account_id = ?2")?;
    for &account in sharee_accounts {
        forget.execute(params![collection, account])?;
    }
    let modseq = owner_changed(tx, owner, collection)?;
    journal_sharees(tx, owner, collection, sharee_accounts)?;
    Ok(modseq)
}

pub(crate) fn list(tx: &Transaction<'_>, collection: DavCollectionId) -> R<Vec<DavShare>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {SHARE_COLS} FROM dav_shares WHERE collection_id = ?1 ORDER BY sharee"
    ))?;
    let rows = st.query_map([collection], share_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn answer(
    tx: &Transaction<'_>,
    account: AccountId,
    identifiers: &[String],
    collection: DavCollectionId,
    status: DavShareStatus,
    display_name: Option<&str>,
) -> R<ModSeq> {
    dav_share_name_check(display_name)?;
    let owner = match access(tx, account, identifiers, collection)? {
        Some(DavAccess::Owner) | None => {
            return Err(not_found(format!(
                "share of collection {collection} for account {account}"
            )));
        }
        Some(_) => {
            crate::dav::collection_row(tx, collection)?
                .ok_or_else(|| not_found(format!("collection {collection}")))?
                .account_id
        }
    };
    tx.prepare_cached(
        "INSERT INTO dav_share_answers (collection_id, account_id, status, display_name, answered_at, \
         invite_dismissed, reply_dismissed) VALUES (?1, ?2, ?3, ?4, ?5, 0, 0) \
         ON CONFLICT (collection_id, account_id) DO UPDATE SET status = excluded.status, \
         display_name = excluded.display_name, answered_at = excluded.answered_at, reply_dismissed = 0",
    )?
    .execute(params![collection, account, status.as_str(), display_name, now()])?;
    owner_changed(tx, owner, collection)?;
    let modseq = bump(tx, account)?;
    journal(tx, account, modseq, collection, ChangeKind::DavShareChanged)?;
    Ok(modseq)
}

pub(crate) fn shared_with(
    tx: &Transaction<'_>,
    account: AccountId,
    identifiers: &[String],
) -> R<Vec<DavSharedCollection>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {COLLECTION_COLS_C}, a.address, s.access, ans.status, ans.display_name, s.summary, \
         s.created_at, coalesce(ans.invite_dismissed, 0) \
         FROM dav_shares s JOIN dav_collections c ON c.id = s.collection_id \
         JOIN accounts a ON a.id = c.account_id \
         LEFT JOIN dav_share_answers ans ON ans.collection_id = c.id AND ans.account_id = ?1 \
         WHERE s.sharee IN (SELECT value FROM json_each(?2)) AND c.account_id != ?1 \
         ORDER BY a.address, c.name, c.id, s.sharee"
    ))?;
    let rows = st.query_map(params![account, serde_json::to_string(identifiers)?], |r| {
        let status = match r.get::<_, Option<String>>(15)? {
            Some(s) => DavShareStatus::parse(&s).ok_or_else(|| conversion(15, "unknown share status"))?,
            None => DavShareStatus::Invited,
        };
        Ok(DavSharedCollection {
            collection: collection_from_row(r)?,
            owner: r.get(13)?,
            access: access_at(r, 14)?,
            status,
            display_name: r.get(16)?,
            summary: r.get(17)?,
            shared_at: r.get(18)?,
            invite_dismissed: r.get(19)?,
        })
    })?;
    let mut out: Vec<DavSharedCollection> = Vec::new();
    for row in rows {
        let row = row?;
        match out.last_mut() {
            Some(last) if last.collection.id == row.collection.id => {
                last.access = last.access.max(row.access);
                last.shared_at = last.shared_at.min(row.shared_at);
                if last.summary.is_none() {
                    last.summary = row.summary;
                }
            }
            _ => out.push(row),
        }
    }
    Ok(out)
}

pub(crate) fn access(
    tx: &Transaction<'_>,
    account: AccountId,
    identifiers: &[String],
    collection: DavCollectionId,
) -> R<Option<DavAccess>> {
    let mut st = tx.prepare_cached(
        "SELECT c.account_id, s.access FROM dav_collections c \
         LEFT JOIN dav_shares s ON s.collection_id = c.id AND s.sharee IN (SELECT value FROM json_each(?2)) \
         WHERE c.id = ?1",
    )?;
    let rows = st
        .query_map(params![collection, serde_json::to_string(identifiers)?], |r| {
            let access = match r.get::<_, Option<String>>(1)? {
                Some(text) => {
                    Some(DavAccess::parse(&text).ok_or_else(|| conversion(1, "unknown share access"))?)
                }
                None => None,
            };
            Ok((r.get::<_, AccountId>(0)?, access))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let Some(&(owner, _)) = rows.first() else {
        return Ok(None);
    };
    Ok(dav_access_of(
        owner == account,
        rows.into_iter().filter_map(|(_, a)| a),
    ))
}

pub(crate) fn invite_dismiss(
    tx: &Transaction<'_>,
    account: AccountId,
    identifiers: &[String],
    collection: DavCollectionId,
) -> R<ModSeq> {
    let shown = shared_with(tx, account, identifiers)?
        .into_iter()
        .any(|s| s.collection.id == collection && s.status == DavShareStatus::Invited);
    if !shown {
        return Err(not_found(format!(
            "invite of collection {collection} for account {account}"
        )));
    }
    tx.prepare_cached(
        "INSERT INTO dav_share_answers (collection_id, account_id, status, display_name, answered_at, \
         invite_dismissed, reply_dismissed) VALUES (?1, ?2, 'invited', NULL, 0, 1, 1) \
         ON CONFLICT (collection_id, account_id) DO UPDATE SET invite_dismissed = 1",
    )?
    .execute(params![collection, account])?;
    let modseq = bump(tx, account)?;
    journal(tx, account, modseq, collection, ChangeKind::DavShareChanged)?;
    Ok(modseq)
}

pub(crate) fn replies(tx: &Transaction<'_>, owner: AccountId) -> R<Vec<DavShareReply>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {COLLECTION_COLS_C}, ans.account_id, a.address, ans.status, ans.display_name, ans.answered_at \
         FROM dav_collections c JOIN dav_share_answers ans ON ans.collection_id = c.id \
         JOIN accounts a ON a.id = ans.account_id \
         WHERE c.account_id = ?1 AND ans.status IN ('accepted', 'declined') AND ans.reply_dismissed = 0 \
         ORDER BY c.id, a.address"
    ))?;
    let rows = st.query_map([owner], |r| {
        let text: String = r.get(15)?;
        Ok(DavShareReply {
            collection: collection_from_row(r)?,
            account_id: r.get(13)?,
            sharee: r.get(14)?,
            status: DavShareStatus::parse(&text).ok_or_else(|| conversion(15, "unknown share status"))?,
            summary: r.get(16)?,
            answered_at: r.get(17)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn reply_dismiss(
    tx: &Transaction<'_>,
    owner: AccountId,
    collection: DavCollectionId,
    account: AccountId,
) -> R<ModSeq> {
    let n = tx
        .prepare_cached(
            "UPDATE dav_share_answers SET reply_dismissed = 1 WHERE collection_id = ?1 AND account_id = ?2 \
             AND reply_dismissed = 0 AND status IN ('accepted', 'declined') \
             AND collection_id IN (SELECT id FROM dav_collections WHERE account_id = ?3)",
        )?
        .execute(params![collection, account, owner])?;
    if n == 0 {
        return Err(not_found(format!(
            "reply of account {account} about collection {collection}"
        )));
    }
    let modseq = bump(tx, owner)?;
    journal(tx, owner, modseq, collection, ChangeKind::DavShareChanged)?;
    Ok(modseq)
}

/// Before a collection is deleted: the accounts its deletion concerns — those that answered a
/// share of it and those whose address a share names.
pub(crate) fn known_sharee_accounts(tx: &Transaction<'_>, collection: DavCollectionId) -> R<Vec<AccountId>> {
    let mut st = tx.prepare_cached(
        "SELECT account_id FROM dav_share_answers WHERE collection_id = ?1 \
         UNION SELECT a.id FROM dav_shares s JOIN accounts a ON a.address = s.sharee WHERE s.collection_id = ?1",
    )?;
    let rows = st.query_map([collection], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Account delete: removes the shares naming `address`, journaled for their owners (one
/// modseq per owner and collection).
pub(crate) fn forget_sharee(tx: &Transaction<'_>, account: AccountId, address: &str) -> R<()> {
    let mut st = tx.prepare_cached(
        "DELETE FROM dav_shares WHERE sharee = ?1 AND collection_id IN \
         (SELECT id FROM dav_collections WHERE account_id != ?2) RETURNING collection_id",
    )?;
    let collections = st
        .query_map(params![address, account], |r| r.get::<_, DavCollectionId>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for collection in collections {
        let owner = crate::dav::collection_row(tx, collection)?
            .ok_or_else(|| not_found(format!("collection {collection}")))?
            .account_id;
        owner_changed(tx, owner, collection)?;
    }
    Ok(())
}

pub(crate) fn sharee_props(tx: &Transaction<'_>, account: AccountId) -> R<Vec<DavShareeProp>> {
    let mut st = tx.prepare_cached(
        "SELECT collection_id, name, value FROM dav_sharee_props WHERE account_id = ?1 \
         ORDER BY collection_id, name",
    )?;
    let rows = st.query_map([account], |r| {
        Ok(DavShareeProp {
            collection_id: r.get(0)?,
            name: r.get(1)?,
            value: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn sharee_props_set(
    tx: &Transaction<'_>,
    account: AccountId,
    identifiers: &[String],
    collection: DavCollectionId,
    props: &[(String, Option<String>)],
) -> R<()> {
    for (name, value) in props {
        dav_sharee_prop_check(name, value.as_deref())?;
    }
    match access(tx, account, identifiers, collection)? {
        Some(DavAccess::Owner) | None => {
            return Err(not_found(format!(
                "share of collection {collection} for account {account}"
            )));
        }
        Some(_) => {}
    }
    let mut set = tx.prepare_cached(
        "INSERT INTO dav_sharee_props (account_id, collection_id, name, value) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (account_id, collection_id, name) DO UPDATE SET value = excluded.value",
    )?;
    let mut unset = tx.prepare_cached(
        "DELETE FROM dav_sharee_props WHERE account_id = ?1 AND collection_id = ?2 AND name = ?3",
    )?;
    for (name, value) in props {
        match value {
            Some(v) => set.execute(params![account, collection, name, v])?,
            None => unset.execute(params![account, collection, name])?,
        };
    }
    Ok(())
}
