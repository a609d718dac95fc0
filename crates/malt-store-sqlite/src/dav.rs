//! Calendars and address books (CalDAV RFC 4791, CardDAV RFC 6352) on SQLite. The
//! [`malt_store::Store`] methods in `ops.rs` call these functions inside their read or write
//! transaction; `malt_store::dav` holds the rules they share with PostgreSQL.
//!
//! Invariants:
//! - Every change bumps the account's modseq once, raises the collection's `highest_modseq` to
//!   it and writes one journal row per collection touched (`collection_id` set); a write whose
//!   precondition fails changes nothing (no modseq consumed).
//! - `accounts.used_bytes` moves by the size difference of every object written or removed, in
//!   the same transaction (`check_consistency` compares it with messages plus objects).
//! - A deleted or moved-away object's name gets a tombstone; writing that name again removes it.
//! - The span index `dav_spans` follows `dav_objects` through triggers (schema migration 8).

use malt_store::*;
use rusqlite::types::Type;
use rusqlite::{OptionalExtension, Row, Transaction, params};

use crate::ops::{account_row, add_account_usage, bump, check_quota, not_found, now};
use crate::{E, R};

const COLLECTION_COLS: &str = "id, account_id, kind, name, display_name, description, color, sort_order, \
                               components, timezone, dead_props, created_at, highest_modseq";
/// [`COLLECTION_COLS`] of `dav_collections c` (for [`collection_from_row`] in joins).
pub(crate) const COLLECTION_COLS_C: &str = "c.id, c.account_id, c.kind, c.name, c.display_name, c.description, \
                                            c.color, c.sort_order, c.components, c.timezone, c.dead_props, \
                                            c.created_at, c.highest_modseq";
/// Object columns of `dav_objects o` (for [`info_from_row`] and, with the content appended,
/// [`object_from_row`]).
const INFO_COLS: &str = "o.name, o.etag, o.component, o.size, o.modseq, o.updated_at";
const OBJECT_COLS: &str = "o.name, o.etag, o.component, o.size, o.modseq, o.updated_at, o.id, o.collection_id, \
                           o.uid, o.first_start, o.last_end, o.created_at, c.content";
/// Full objects: `dav_objects o` with their content.
const OBJECT_FROM: &str = "dav_objects o JOIN dav_object_content c ON c.object_id = o.id";

fn conversion(idx: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, what.to_owned().into())
}

pub(crate) fn collection_from_row(r: &Row<'_>) -> rusqlite::Result<DavCollection> {
    let kind: String = r.get(2)?;
    let components: String = r.get(8)?;
    let dead: String = r.get(10)?;
    Ok(DavCollection {
        id: r.get(0)?,
        account_id: r.get(1)?,
        kind: DavCollectionKind::parse(&kind).ok_or_else(|| conversion(2, "unknown collection kind"))?,
        name: r.get(3)?,
        props: DavCollectionProps {
            display_name: r.get(4)?,
            description: r.get(5)?,
            color: r.get(6)?,
            order: r.get(7)?,
            components: DavComponent::set_from_text(&components),
            timezone: r.get(9)?,
            dead: serde_json::from_str(&dead).map_err(|_| conversion(10, "dead properties are not JSON"))?,
        },
        created_at: r.get(11)?,
        highest_modseq: r.get::<_, i64>(12)? as u64,
    })
}

fn info_from_row(r: &Row<'_>) -> rusqlite::Result<DavObjectInfo> {
    let component: String = r.get(2)?;
    Ok(DavObjectInfo {
        name: r.get(0)?,
        etag: r.get(1)?,
        component: DavComponent::parse(&component).ok_or_else(|| conversion(2, "unknown component"))?,
        size: r.get::<_, i64>(3)? as u64,
        modseq: r.get::<_, i64>(4)? as u64,
        updated_at: r.get(5)?,
    })
}

fn object_from_row(r: &Row<'_>) -> rusqlite::Result<DavObject> {
    let info = info_from_row(r)?;
    let span = r
        .get::<_, Option<i64>>(9)?
        .map(|start| -> rusqlite::Result<DavSpan> {
            Ok(DavSpan {
                start,
                end: r.get(10)?,
            })
        })
        .transpose()?;
    Ok(DavObject {
        id: r.get(6)?,
        collection_id: r.get(7)?,
        name: info.name,
        uid: r.get(8)?,
        etag: info.etag,
        component: info.component,
        size: info.size,
        span,
        modseq: info.modseq,
        created_at: r.get(11)?,
        updated_at: info.updated_at,
        content: r.get(12)?,
    })
}

pub(crate) fn collection_row(tx: &Transaction<'_>, id: DavCollectionId) -> R<Option<DavCollection>> {
    Ok(tx
        .prepare_cached(&format!(
            "SELECT {COLLECTION_COLS} FROM dav_collections WHERE id = ?1"
        ))?
        .query_row([id], collection_from_row)
        .optional()?)
}

/// The collection `id` of `account`, or `NotFound` (also for another account's collection).
pub(crate) fn collection_of(
    tx: &Transaction<'_>,
    account: AccountId,
    id: DavCollectionId,
) -> R<DavCollection> {
    match collection_row(tx, id)? {
        Some(c) if c.account_id == account => Ok(c),
        _ => Err(not_found(format!("collection {id}"))),
    }
}

/// The journal row of a change of `collection`.
pub(crate) fn journal(
    tx: &Transaction<'_>,
    account: AccountId,
    modseq: ModSeq,
    collection: DavCollectionId,
    kind: ChangeKind,
) -> R<()> {
    tx.prepare_cached(
        "INSERT INTO journal (account_id, modseq, mailbox_id, kind, uids, collection_id) \
         VALUES (?1, ?2, NULL, ?3, '', ?4)",
    )?
    .execute(params![account, modseq as i64, kind.as_str(), collection])?;
    Ok(())
}

/// Raises the collection's sync token and journals the change.
pub(crate) fn touch(
    tx: &Transaction<'_>,
    account: AccountId,
    modseq: ModSeq,
    collection: DavCollectionId,
    kind: ChangeKind,
) -> R<()> {
    tx.prepare_cached("UPDATE dav_collections SET highest_modseq = ?2 WHERE id = ?1")?
        .execute(params![collection, modseq as i64])?;
    journal(tx, account, modseq, collection, kind)
}

fn dead_json(props: &DavCollectionProps) -> R<String> {
    Ok(serde_json::to_string(&props.dead)?)
}

pub(crate) fn collections_create(
    tx: &Transaction<'_>,
    account: AccountId,
    new: &[NewDavCollection],
) -> R<Vec<DavCollection>> {
    account_row(tx, account)?;
    let modseq = bump(tx, account)?;
    let created_at = now();
    let mut insert = tx.prepare_cached(
        "INSERT INTO dav_collections (account_id, kind, name, display_name, description, color, sort_order, \
         components, timezone, dead_props, created_at, highest_modseq) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    let mut out = Vec::with_capacity(new.len());
    for n in new {
        let p = &n.props;
        insert
            .execute(params![
                account,
                n.kind.as_str(),
                n.name,
                p.display_name,
                p.description,
                p.color,
                p.order,
                DavComponent::set_to_text(&p.components),
                p.timezone,
                dead_json(p)?,
                created_at,
                modseq as i64
            ])
            .map_err(|e| match E::from(e) {
                E(StoreError::AlreadyExists(_)) => {
                    E(StoreError::AlreadyExists(format!("collection {}", n.name)))
                }
                other => other,
            })?;
        let id = tx.last_insert_rowid();
        journal(tx, account, modseq, id, ChangeKind::DavCollectionCreated)?;
        out.push(DavCollection {
            id,
            account_id: account,
            kind: n.kind,
            name: n.name.clone(),
            props: p.clone(),
            created_at,
            highest_modseq: modseq,
        });
    }
    Ok(out)
}

pub(crate) fn collection_list(tx: &Transaction<'_>, account: AccountId) -> R<Vec<DavCollection>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {COLLECTION_COLS} FROM dav_collections WHERE account_id = ?1 ORDER BY name"
    ))?;
    let rows = st.query_map([account], collection_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn collection_get(
    tx: &Transaction<'_>,
    account: AccountId,
    name: &str,
) -> R<Option<DavCollection>> {
    Ok(tx
        .prepare_cached(&format!(
            "SELECT {COLLECTION_COLS} FROM dav_collections WHERE account_id = ?1 AND name = ?2"
        ))?
        .query_row(params![account, name], collection_from_row)
        .optional()?)
}

pub(crate) fn collection_update(
    tx: &Transaction<'_>,
    account: AccountId,
    id: DavCollectionId,
    patch: &DavCollectionPatch,
) -> R<DavCollection> {
    let mut c = collection_of(tx, account, id)?;
    let props = c.props.patched(patch);
    props.validate()?;
    let modseq = bump(tx, account)?;
    tx.prepare_cached(
        "UPDATE dav_collections SET display_name = ?2, description = ?3, color = ?4, sort_order = ?5, \
         timezone = ?6, dead_props = ?7 WHERE id = ?1",
    )?
    .execute(params![
        id,
        props.display_name,
        props.description,
        props.color,
        props.order,
        props.timezone,
        dead_json(&props)?
    ])?;
    touch(tx, account, modseq, id, ChangeKind::DavCollectionChanged)?;
    c.props = props;
    c.highest_modseq = modseq;
    Ok(c)
}

pub(crate) fn collection_rename(
    tx: &Transaction<'_>,
    account: AccountId,
    id: DavCollectionId,
    new_name: &str,
) -> R<DavCollection> {
    dav_name_check("collection name", new_name)?;
    let mut c = collection_of(tx, account, id)?;
    if c.name == new_name {
        return Ok(c);
    }
    let modseq = bump(tx, account)?;
    tx.prepare_cached("UPDATE dav_collections SET name = ?2 WHERE id = ?1")?
        .execute(params![id, new_name])
        .map_err(|e| match E::from(e) {
            E(StoreError::AlreadyExists(_)) => E(StoreError::AlreadyExists(format!("collection {new_name}"))),
            other => other,
        })?;
    touch(tx, account, modseq, id, ChangeKind::DavCollectionChanged)?;
    c.name = new_name.to_owned();
    c.highest_modseq = modseq;
    Ok(c)
}

pub(crate) fn collection_delete(tx: &Transaction<'_>, account: AccountId, id: DavCollectionId) -> R<()> {
    collection_of(tx, account, id)?;
    let sharees = crate::dav_share::known_sharee_accounts(tx, id)?;
    let size: i64 = tx
        .prepare_cached("SELECT COALESCE(sum(size), 0) FROM dav_objects WHERE collection_id = ?1")?
        .query_row([id], |r| r.get(0))?;
    // Objects, their content and spans, and tombstones go by ON DELETE CASCADE (and triggers).
    tx.prepare_cached("DELETE FROM dav_collections WHERE id = ?1")?
        .execute([id])?;
    add_account_usage(tx, account, -size, 0)?;
    let modseq = bump(tx, account)?;
    journal(tx, account, modseq, id, ChangeKind::DavCollectionDeleted)?;
    crate::dav_share::journal_sharees(tx, account, id, &sharees)
}

/// The current state of the object `name` of a collection.
struct Current {
    id: DavObjectId,
    uid: Option<String>,
    etag: String,
    size: i64,
}

fn current(tx: &Transaction<'_>, collection: DavCollectionId, name: &str) -> R<Option<Current>> {
    Ok(tx
        .prepare_cached("SELECT id, uid, etag, size FROM dav_objects WHERE collection_id = ?1 AND name = ?2")?
        .query_row(params![collection, name], |r| {
            Ok(Current {
                id: r.get(0)?,
                uid: r.get(1)?,
                etag: r.get(2)?,
                size: r.get(3)?,
            })
        })
        .optional()?)
}

/// The name of another object of the collection with this UID (ids in `except` do not count).
fn uid_holder(
    tx: &Transaction<'_>,
    collection: DavCollectionId,
    uid: Option<&str>,
    except: [i64; 2],
) -> R<Option<String>> {
    let Some(uid) = uid else {
        return Ok(None);
    };
    Ok(tx
        .prepare_cached(
            "SELECT name FROM dav_objects WHERE collection_id = ?1 AND uid = ?2 AND id NOT IN (?3, ?4)",
        )?
        .query_row(params![collection, uid, except[0], except[1]], |r| r.get(0))
        .optional()?)
}

fn tombstone(tx: &Transaction<'_>, collection: DavCollectionId, name: &str, modseq: ModSeq) -> R<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO dav_tombstones (collection_id, name, modseq) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![collection, name, modseq as i64])?;
    Ok(())
}

fn untombstone(tx: &Transaction<'_>, collection: DavCollectionId, name: &str) -> R<()> {
    tx.prepare_cached("DELETE FROM dav_tombstones WHERE collection_id = ?1 AND name = ?2")?
        .execute(params![collection, name])?;
    Ok(())
}

/// Quota check and usage change for a write that grows the account by `delta` octets.
fn charge(tx: &Transaction<'_>, account: AccountId, delta: i64) -> R<()> {
    if delta > 0 {
        check_quota(&account_row(tx, account)?, delta as u64)?;
    }
    if delta != 0 {
        add_account_usage(tx, account, delta, 0)?;
    }
    Ok(())
}

pub(crate) fn object_put(
    tx: &Transaction<'_>,
    account: AccountId,
    collection: DavCollectionId,
    object: &NewDavObject,
    etag: &str,
    condition: &EtagCondition,
) -> R<DavPutOutcome> {
    collection_of(tx, account, collection)?;
    let old = current(tx, collection, &object.name)?;
    if !condition.holds(old.as_ref().map(|o| o.etag.as_str())) {
        return Ok(DavPutOutcome::PreconditionFailed);
    }
    let own_id = old.as_ref().map_or(0, |o| o.id);
    if let Some(existing) = uid_holder(tx, collection, object.uid.as_deref(), [own_id, 0])? {
        return Ok(DavPutOutcome::UidConflict { existing });
    }
    let size = object.content.len() as i64;
    charge(tx, account, size - old.as_ref().map_or(0, |o| o.size))?;
    let modseq = bump(tx, account)?;
    let now = now();
    let (start, end) = (object.span.map(|s| s.start), object.span.and_then(|s| s.end));
    match &old {
        Some(o) => {
            tx.prepare_cached(
                "UPDATE dav_objects SET uid = ?2, etag = ?3, component = ?4, size = ?5, first_start = ?6, \
                 last_end = ?7, modseq = ?8, updated_at = ?9 WHERE id = ?1",
            )?
            .execute(params![
                o.id,
                object.uid,
                etag,
                object.component.name(),
                size,
                start,
                end,
                modseq as i64,
                now
            ])?;
            tx.prepare_cached("UPDATE dav_object_content SET content = ?2 WHERE object_id = ?1")?
                .execute(params![o.id, object.content])?;
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO dav_objects (collection_id, name, uid, etag, component, size, first_start, last_end, \
                 modseq, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
            )?
            .execute(params![
                collection,
                object.name,
                object.uid,
                etag,
                object.component.name(),
                size,
                start,
                end,
                modseq as i64,
                now
            ])?;
            let id = tx.last_insert_rowid();
            tx.prepare_cached("INSERT INTO dav_object_content (object_id, content) VALUES (?1, ?2)")?
                .execute(params![id, object.content])?;
            untombstone(tx, collection, &object.name)?;
        }
    }
    touch(tx, account, modseq, collection, ChangeKind::DavObjectsChanged)?;
    Ok(DavPutOutcome::Stored(DavStored {
        etag: etag.to_owned(),
        modseq,
        created: old.is_none(),
    }))
}

pub(crate) fn object_delete(
    tx: &Transaction<'_>,
    account: AccountId,
    collection: DavCollectionId,
    name: &str,
    condition: &EtagCondition,
) -> R<DavDeleteOutcome> {
    collection_of(tx, account, collection)?;
    let old = current(tx, collection, name)?;
    if !condition.holds(old.as_ref().map(|o| o.etag.as_str())) {
        return Ok(DavDeleteOutcome::PreconditionFailed);
    }
    let old = old.ok_or_else(|| not_found(format!("object {name}")))?;
    let modseq = bump(tx, account)?;
    tx.prepare_cached("DELETE FROM dav_objects WHERE id = ?1")?
        .execute([old.id])?;
    add_account_usage(tx, account, -old.size, 0)?;
    tombstone(tx, collection, name, modseq)?;
    touch(tx, account, modseq, collection, ChangeKind::DavObjectsDeleted)?;
    Ok(DavDeleteOutcome::Deleted { modseq })
}

/// Where a move goes, and under which conditions.
pub(crate) struct MoveRequest {
    pub(crate) from: DavCollectionId,
    pub(crate) name: String,
    pub(crate) to: DavCollectionId,
    pub(crate) new_name: String,
    pub(crate) source: EtagCondition,
    pub(crate) overwrite: bool,
}

pub(crate) fn object_move(tx: &Transaction<'_>, account: AccountId, m: &MoveRequest) -> R<DavPutOutcome> {
    collection_of(tx, account, m.from)?;
    collection_of(tx, account, m.to)?;
    if m.from == m.to && m.name == m.new_name {
        return Err(E(StoreError::Conflict(
            "source and destination of a move are the same".into(),
        )));
    }
    let src = current(tx, m.from, &m.name)?;
    if !m.source.holds(src.as_ref().map(|o| o.etag.as_str())) {
        return Ok(DavPutOutcome::PreconditionFailed);
    }
    let src = src.ok_or_else(|| not_found(format!("object {}", m.name)))?;
    let dest = current(tx, m.to, &m.new_name)?;
    if dest.is_some() && !m.overwrite {
        return Ok(DavPutOutcome::PreconditionFailed);
    }
    let dest_id = dest.as_ref().map_or(0, |d| d.id);
    if let Some(existing) = uid_holder(tx, m.to, src.uid.as_deref(), [src.id, dest_id])? {
        return Ok(DavPutOutcome::UidConflict { existing });
    }
    let modseq = bump(tx, account)?;
    if let Some(d) = &dest {
        tx.prepare_cached("DELETE FROM dav_objects WHERE id = ?1")?
            .execute([d.id])?;
        add_account_usage(tx, account, -d.size, 0)?;
    }
    tx.prepare_cached("UPDATE dav_objects SET collection_id = ?2, name = ?3, modseq = ?4 WHERE id = ?1")?
        .execute(params![src.id, m.to, m.new_name, modseq as i64])?;
    tombstone(tx, m.from, &m.name, modseq)?;
    untombstone(tx, m.to, &m.new_name)?;
    touch(tx, account, modseq, m.from, ChangeKind::DavObjectsDeleted)?;
    touch(tx, account, modseq, m.to, ChangeKind::DavObjectsChanged)?;
    Ok(DavPutOutcome::Stored(DavStored {
        etag: src.etag,
        modseq,
        created: dest.is_none(),
    }))
}

/// The object of the collection whose `column` (`name` or `uid`, both unique per collection)
/// is `value`.
fn object_where(
    tx: &Transaction<'_>,
    collection: DavCollectionId,
    column: &str,
    value: &str,
) -> R<Option<DavObject>> {
    Ok(tx
        .prepare_cached(&format!(
            "SELECT {OBJECT_COLS} FROM {OBJECT_FROM} WHERE o.collection_id = ?1 AND o.{column} = ?2"
        ))?
        .query_row(params![collection, value], object_from_row)
        .optional()?)
}

pub(crate) fn object_get(
    tx: &Transaction<'_>,
    collection: DavCollectionId,
    name: &str,
) -> R<Option<DavObject>> {
    object_where(tx, collection, "name", name)
}

pub(crate) fn object_by_uid(
    tx: &Transaction<'_>,
    collection: DavCollectionId,
    uid: &str,
) -> R<Option<DavObject>> {
    object_where(tx, collection, "uid", uid)
}

/// The object with `uid` in a collection of `kind` of `account` other than `except`, first by
/// collection name. One query: the `(account_id, name)` index finds the account's collections in
/// name order, `dav_objects_uid` the object in each.
pub(crate) fn object_by_uid_in_account(
    tx: &Transaction<'_>,
    account: AccountId,
    kind: DavCollectionKind,
    uid: &str,
    except: Option<DavCollectionId>,
) -> R<Option<DavObject>> {
    Ok(tx
        .prepare_cached(&format!(
            "SELECT {OBJECT_COLS} FROM dav_collections k JOIN dav_objects o ON o.collection_id = k.id \
             JOIN dav_object_content c ON c.object_id = o.id \
             WHERE k.account_id = ?1 AND k.kind = ?2 AND o.uid = ?3 AND k.id IS NOT ?4 \
             ORDER BY k.name LIMIT 1"
        ))?
        .query_row(params![account, kind.as_str(), uid, except], object_from_row)
        .optional()?)
}

pub(crate) fn object_multiget(
    tx: &Transaction<'_>,
    collection: DavCollectionId,
    names: &[String],
) -> R<Vec<DavObject>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {OBJECT_COLS} FROM {OBJECT_FROM} \
         WHERE o.collection_id = ?1 AND o.name IN (SELECT value FROM json_each(?2)) ORDER BY o.name"
    ))?;
    let rows = st.query_map(
        params![collection, serde_json::to_string(names)?],
        object_from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn object_list(tx: &Transaction<'_>, collection: DavCollectionId) -> R<Vec<DavObjectInfo>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {INFO_COLS} FROM dav_objects o WHERE o.collection_id = ?1 ORDER BY o.name"
    ))?;
    let rows = st.query_map([collection], info_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Candidates from the R*Tree (a superset, its coordinates being rounded outwards), filtered on
/// the exact columns ([`DavSpan::is_candidate`]). `CROSS JOIN` fixes the join order: without
/// statistics the planner would rather scan the collection's objects and probe the R*Tree for
/// each (`EXPLAIN QUERY PLAN` shows the R*Tree searched on all four bounds, then the object and
/// its content by rowid).
fn span_sql() -> String {
    format!(
        "SELECT {OBJECT_COLS} FROM dav_spans s CROSS JOIN dav_objects o CROSS JOIN dav_object_content c \
         WHERE o.id = s.id AND c.object_id = o.id AND s.collection_lo <= ?1 AND s.collection_hi >= ?1 \
         AND s.start_lo <= ?3 AND s.end_hi >= ?2 \
         AND o.collection_id = ?1 AND o.first_start < ?3 AND (o.last_end IS NULL OR o.last_end >= ?2) \
         ORDER BY o.name"
    )
}

pub(crate) fn objects_in_span(
    tx: &Transaction<'_>,
    collection: DavCollectionId,
    start: i64,
    end: i64,
) -> R<Vec<DavObject>> {
    let mut st = tx.prepare_cached(&span_sql())?;
    let rows = st.query_map(params![collection, start, end], object_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The read bound of a page of `limit` changes after `since` (see [`dav_changes_page`]); `None`:
/// read them all. Both lookups walk the `(collection_id, modseq)` indexes from `since` and
/// stop after `limit + 1` entries.
fn page_read_bound(
    tx: &Transaction<'_>,
    collection: DavCollectionId,
    since: i64,
    limit: u32,
    with_deleted: bool,
) -> R<Option<i64>> {
    let first_left_out: Option<i64> = tx
        .prepare_cached(
            "SELECT modseq FROM ( \
               SELECT * FROM (SELECT modseq FROM dav_objects WHERE collection_id = ?1 AND modseq > ?2 \
                              ORDER BY modseq LIMIT ?3 + 1) \
               UNION ALL \
               SELECT * FROM (SELECT modseq FROM dav_tombstones WHERE collection_id = ?1 AND modseq > ?2 AND ?4 \
                              ORDER BY modseq LIMIT ?3 + 1)) \
             ORDER BY modseq LIMIT 1 OFFSET ?3",
        )?
        .query_row(params![collection, since, limit, with_deleted], |r| r.get(0))
        .optional()?;
    let Some(first_left_out) = first_left_out else {
        return Ok(None);
    };
    let next: Option<i64> = tx
        .prepare_cached(
            "SELECT min(m) FROM ( \
               SELECT (SELECT modseq FROM dav_objects WHERE collection_id = ?1 AND modseq > ?2 \
                       ORDER BY modseq LIMIT 1) AS m \
               UNION ALL \
               SELECT (SELECT modseq FROM dav_tombstones WHERE collection_id = ?1 AND modseq > ?2 AND ?3 \
                       ORDER BY modseq LIMIT 1))",
        )?
        .query_row(params![collection, first_left_out, with_deleted], |r| r.get(0))?;
    Ok(Some(next.unwrap_or(first_left_out)))
}

pub(crate) fn changes(
    tx: &Transaction<'_>,
    collection: DavCollectionId,
    since: ModSeq,
    limit: u32,
) -> R<DavChanges> {
    let c = collection_row(tx, collection)?.ok_or_else(|| not_found(format!("collection {collection}")))?;
    let since_sql = since.min(i64::MAX as u64) as i64;
    // An initial sync reports no deletions (RFC 6578 §3.8).
    let with_deleted = since > 0;
    let bound = page_read_bound(tx, collection, since_sql, limit, with_deleted)?.unwrap_or(i64::MAX);
    let mut st = tx.prepare_cached(&format!(
        "SELECT {INFO_COLS} FROM dav_objects o WHERE o.collection_id = ?1 AND o.modseq > ?2 AND o.modseq <= ?3"
    ))?;
    let changed = st
        .query_map(params![collection, since_sql, bound], info_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut st = tx.prepare_cached(
        "SELECT name, modseq FROM dav_tombstones WHERE collection_id = ?1 AND modseq > ?2 AND modseq <= ?3 AND ?4",
    )?;
    let deleted = st
        .query_map(params![collection, since_sql, bound, with_deleted], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(dav_changes_page(
        since,
        c.highest_modseq,
        changed,
        deleted,
        limit as usize,
    ))
}

/// The DAV part of `check_consistency`: every collection's sync token at or above the modseqs
/// in it, every object with its content, and the span index holding exactly the objects with a
/// span, each in its collection.
pub(crate) fn check(tx: &Transaction<'_>, report: &mut CheckReport) -> R<()> {
    let mut st = tx.prepare(
        "SELECT c.id, c.name, c.highest_modseq, \
                max(COALESCE((SELECT max(modseq) FROM dav_objects o WHERE o.collection_id = c.id), 0), \
                    COALESCE((SELECT max(modseq) FROM dav_tombstones t WHERE t.collection_id = c.id), 0)) AS m \
         FROM dav_collections c WHERE c.highest_modseq < m",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    for row in rows {
        let (id, name, token, max) = row?;
        report.problems.push(format!(
            "collection {id} ({name}): sync token {token} below a change's modseq {max}"
        ));
    }
    let count = |sql: &str| -> R<i64> { Ok(tx.query_row(sql, [], |r| r.get(0))?) };
    let no_content = count(
        "SELECT count(*) FROM dav_objects o WHERE NOT EXISTS \
         (SELECT 1 FROM dav_object_content c WHERE c.object_id = o.id)",
    )?;
    if no_content > 0 {
        report
            .problems
            .push(format!("{no_content} DAV objects have no content"));
    }
    let spans = count("SELECT count(*) FROM dav_spans")?;
    let matching = count(
        "SELECT count(*) FROM dav_spans s JOIN dav_objects o ON o.id = s.id \
         WHERE o.first_start IS NOT NULL AND s.collection_lo <= o.collection_id AND s.collection_hi >= o.collection_id",
    )?;
    let with_span = count("SELECT count(*) FROM dav_objects WHERE first_start IS NOT NULL")?;
    if spans != with_span || matching != with_span {
        report.problems.push(format!(
            "DAV span index: {spans} entries ({matching} matching their object) for {with_span} objects with a span"
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A time-range query must search the R*Tree, never scan a collection's objects.
    #[test]
    fn span_queries_search_the_rtree() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", span_sql()))
            .unwrap()
            .query_map(params![1, 2, 3], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let first = plan.first().unwrap();
        assert!(
            first.starts_with("SCAN s VIRTUAL TABLE INDEX") && first.contains("B0D1B2D3"),
            "the R*Tree is searched first, on every bound: {plan:?}"
        );
        assert!(
            plan.iter()
                .filter(|step| step.contains(" o ") || step.contains(" c "))
                .all(|step| step.contains("INTEGER PRIMARY KEY")),
            "objects and contents are read by rowid: {plan:?}"
        );
    }
}
