//! Calendars and address books (CalDAV RFC 4791, CardDAV RFC 6352) on PostgreSQL. The `Store`
//! methods of `store_impl.rs` delegate here; `malt_store::dav` holds the rules shared with
//! SQLite.
//!
//! Invariants:
//! - Every write takes the account's row lock and next modseq first ([`bump`]), so DAV writes
//!   of one account serialise with each other and with its mail; a write whose precondition
//!   fails rolls back (no modseq consumed, no journal row). Reads of the current object state
//!   come after the lock, so a precondition is checked against committed data and holds until
//!   commit.
//! - Each change raises the collection's `highest_modseq` to the new modseq and writes one
//!   journal row per collection touched (`collection_id` set), with the NOTIFY of every write.
//! - `accounts.used_bytes` moves by the size difference of every object written or removed.
//! - A deleted or moved-away name gets a tombstone; writing that name again removes it.
//! - The `span` box column is generated from the span columns and the collection, so the GiST
//!   index follows every insert, update and move without code.

use malt_store::{
    DavChanges, DavCollection, DavCollectionId, DavCollectionKind, DavCollectionPatch, DavCollectionProps,
    DavComponent, DavDeleteOutcome, DavObject, DavObjectId, DavObjectInfo, DavPutOutcome, DavSpan, DavStored,
    EtagCondition, NewDavCollection, NewDavObject, dav_changes_page, dav_etag,
};

use super::*;

const COLLECTION_COLS: &str = "id, account_id, kind, name, display_name, description, color, sort_order, \
                               components, timezone, dead_props, created_at, highest_modseq";
/// [`COLLECTION_COLS`] of `dav_collections c` (for [`collection_from_row`] in joins).
pub(super) const COLLECTION_COLS_C: &str = "c.id, c.account_id, c.kind, c.name, c.display_name, c.description, \
                                            c.color, c.sort_order, c.components, c.timezone, c.dead_props, \
                                            c.created_at, c.highest_modseq";
/// Object columns of `dav_objects o` (for [`info_from_row`] and, with the content appended,
/// [`object_from_row`]).
const INFO_COLS: &str = "o.name, o.etag, o.component, o.size, o.modseq, o.updated_at";
const OBJECT_COLS: &str = "o.name, o.etag, o.component, o.size, o.modseq, o.updated_at, o.id, o.collection_id, \
                           o.uid, o.first_start, o.last_end, o.created_at, c.content";
/// Full objects: `dav_objects o` with their content.
const OBJECT_FROM: &str = "dav_objects o JOIN dav_object_content c ON c.object_id = o.id";
const INSERT_COLLECTION_SQL: &str = "INSERT INTO dav_collections (account_id, kind, name, display_name, description, \
     color, sort_order, components, timezone, dead_props, created_at, highest_modseq) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id";
pub(super) const SET_TOKEN_SQL: &str = "UPDATE dav_collections SET highest_modseq = $2 WHERE id = $1";
const CURRENT_SQL: &str =
    "SELECT id, uid, etag, size FROM dav_objects WHERE collection_id = $1 AND name = $2";
const UID_HOLDER_SQL: &str = "SELECT name FROM dav_objects WHERE collection_id = $1 AND uid = $2 \
     AND id <> ALL($3::bigint[])";
const TOMBSTONE_SQL: &str = "INSERT INTO dav_tombstones (collection_id, name, modseq) VALUES ($1, $2, $3) \
     ON CONFLICT (collection_id, name) DO UPDATE SET modseq = EXCLUDED.modseq";
const UNTOMBSTONE_SQL: &str = "DELETE FROM dav_tombstones WHERE collection_id = $1 AND name = $2";
const DELETE_OBJECT_SQL: &str = "DELETE FROM dav_objects WHERE id = $1";
/// Candidates by the GiST index on `span` (the box test is inclusive, so it finds a superset),
/// then the exact test of [`DavSpan::is_candidate`].
const SPAN_SQL: &str = "SELECT o.name, o.etag, o.component, o.size, o.modseq, o.updated_at, o.id, o.collection_id, \
     o.uid, o.first_start, o.last_end, o.created_at, c.content \
     FROM dav_objects o JOIN dav_object_content c ON c.object_id = o.id \
     WHERE o.span && box(point($1::bigint, $2::bigint), point($1::bigint, $3::bigint)) \
     AND o.collection_id = $1 AND o.first_start < $3 AND (o.last_end IS NULL OR o.last_end >= $2) \
     ORDER BY o.name COLLATE \"C\"";

pub(super) fn collection_from_row(r: &Row) -> Result<DavCollection> {
    let kind: &str = r.get(2);
    let components: &str = r.get(8);
    let dead: &str = r.get(10);
    Ok(DavCollection {
        id: r.get(0),
        account_id: r.get(1),
        kind: DavCollectionKind::parse(kind)
            .ok_or_else(|| StoreError::Backend(format!("unknown collection kind {kind:?}")))?,
        name: r.get(3),
        props: DavCollectionProps {
            display_name: r.get(4),
            description: r.get(5),
            color: r.get(6),
            order: r.get(7),
            components: DavComponent::set_from_text(components),
            timezone: r.get(9),
            dead: serde_json::from_str(dead)
                .map_err(|e| StoreError::Backend(format!("dead properties do not parse: {e}")))?,
        },
        created_at: r.get(11),
        highest_modseq: to_u64(r.get(12)),
    })
}

fn info_from_row(r: &Row) -> Result<DavObjectInfo> {
    let component: &str = r.get(2);
    Ok(DavObjectInfo {
        name: r.get(0),
        etag: r.get(1),
        component: DavComponent::parse(component)
            .ok_or_else(|| StoreError::Backend(format!("unknown component {component:?}")))?,
        size: to_u64(r.get(3)),
        modseq: to_u64(r.get(4)),
        updated_at: r.get(5),
    })
}

fn object_from_row(r: &Row) -> Result<DavObject> {
    let info = info_from_row(r)?;
    Ok(DavObject {
        id: r.get(6),
        collection_id: r.get(7),
        name: info.name,
        uid: r.get(8),
        etag: info.etag,
        component: info.component,
        size: info.size,
        span: r.get::<_, Option<i64>>(9).map(|start| DavSpan {
            start,
            end: r.get(10),
        }),
        modseq: info.modseq,
        created_at: r.get(11),
        updated_at: info.updated_at,
        content: r.get(12),
    })
}

fn dead_json(props: &DavCollectionProps) -> Result<String> {
    serde_json::to_string(&props.dead).map_err(|e| StoreError::Backend(format!("dead properties: {e}")))
}

/// The current state of one object name.
struct Current {
    id: DavObjectId,
    uid: Option<String>,
    etag: String,
    size: i64,
}

async fn current(tx: &Tx<'_>, collection: DavCollectionId, name: &str) -> Result<Option<Current>> {
    let st = prep(tx, CURRENT_SQL, "DAV object").await?;
    let row = tx
        .query_opt(&st, &[&collection, &name])
        .await
        .map_err(|e| pg_err(e, "DAV object"))?;
    Ok(row.map(|r| Current {
        id: r.get(0),
        uid: r.get(1),
        etag: r.get(2),
        size: r.get(3),
    }))
}

/// The name of another object of the collection with this UID (ids in `except` do not count).
async fn uid_holder(
    tx: &Tx<'_>,
    collection: DavCollectionId,
    uid: Option<&str>,
    except: &[i64],
) -> Result<Option<String>> {
    let Some(uid) = uid else {
        return Ok(None);
    };
    let st = prep(tx, UID_HOLDER_SQL, "DAV object UID").await?;
    let row = tx
        .query_opt(&st, &[&collection, &uid, &except])
        .await
        .map_err(|e| pg_err(e, "DAV object UID"))?;
    Ok(row.map(|r| r.get(0)))
}

/// The collection `id` of `account`, or `NotFound` (also for another account's collection).
pub(super) async fn collection_of(
    tx: &Tx<'_>,
    account: AccountId,
    id: DavCollectionId,
) -> Result<DavCollection> {
    let st = prep(
        tx,
        &format!("SELECT {COLLECTION_COLS} FROM dav_collections WHERE id = $1"),
        "collection",
    )
    .await?;
    let row = tx
        .query_opt(&st, &[&id])
        .await
        .map_err(|e| pg_err(e, "collection"))?;
    match row.as_ref().map(collection_from_row).transpose()? {
        Some(c) if c.account_id == account => Ok(c),
        _ => Err(StoreError::NotFound(format!("collection {id}"))),
    }
}

/// Runs one statement in the transaction, naming `what` in errors.
pub(super) async fn exec(tx: &Tx<'_>, sql: &str, params: &[Param<'_>], what: &str) -> Result<u64> {
    let st = prep(tx, sql, what).await?;
    tx.execute(&st, params).await.map_err(|e| pg_err(e, what))
}

/// Moves the account's usage by `bytes` (objects are not messages: the count stays).
async fn add_usage(tx: &Tx<'_>, account: AccountId, bytes: i64) -> Result<()> {
    if bytes != 0 {
        exec(tx, ACCOUNT_DELTA_SQL, &[&account, &bytes, &0i64], "account usage").await?;
    }
    Ok(())
}

impl PgStore {
    /// Sets the sync token of every collection in `changes` and commits them with their journal
    /// rows.
    pub(super) async fn dav_commit(
        &self,
        tx: Tx<'_>,
        account: AccountId,
        modseq: u64,
        changes: Vec<Change>,
    ) -> Result<()> {
        for c in &changes {
            if let Some(id) = c.collection {
                exec(&tx, SET_TOKEN_SQL, &[&id, &to_i64(modseq)], "collection").await?;
            }
        }
        self.commit(tx, account, modseq, changes).await
    }

    pub(super) async fn read_rows(&self, sql: &str, params: &[Param<'_>], what: &str) -> Result<Vec<Row>> {
        let client = self.client().await?;
        let st = client.prepare_cached(sql).await.map_err(|e| pg_err(e, what))?;
        client.query(&st, params).await.map_err(|e| pg_err(e, what))
    }

    pub(super) async fn dav_collections_create_impl(
        &self,
        account: AccountId,
        mut new: Vec<NewDavCollection>,
    ) -> Result<Vec<DavCollection>> {
        for n in &mut new {
            n.validate()?;
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let lock = bump(&tx, account).await?;
        let created_at = now();
        let st = prep(&tx, INSERT_COLLECTION_SQL, "collection").await?;
        let mut out = Vec::with_capacity(new.len());
        for n in new {
            let p = &n.props;
            let what = format!("collection {}", n.name);
            let row = tx
                .query_one(
                    &st,
                    &[
                        &account,
                        &n.kind.as_str(),
                        &n.name,
                        &p.display_name,
                        &p.description,
                        &p.color,
                        &p.order,
                        &DavComponent::set_to_text(&p.components),
                        &p.timezone,
                        &dead_json(p)?,
                        &created_at,
                        &to_i64(lock.modseq),
                    ],
                )
                .await
                .map_err(|e| pg_err(e, &what))?;
            out.push(DavCollection {
                id: row.get(0),
                account_id: account,
                kind: n.kind,
                name: n.name,
                props: n.props,
                created_at,
                highest_modseq: lock.modseq,
            });
        }
        let changes = out
            .iter()
            .map(|c| Change::dav(c.id, ChangeKind::DavCollectionCreated))
            .collect();
        self.commit(tx, account, lock.modseq, changes).await?;
        Ok(out)
    }

    pub(super) async fn dav_collection_list_impl(&self, account: AccountId) -> Result<Vec<DavCollection>> {
        let sql = format!(
            "SELECT {COLLECTION_COLS} FROM dav_collections WHERE account_id = $1 ORDER BY name COLLATE \"C\""
        );
        let rows = self.read_rows(&sql, &[&account], "collections").await?;
        rows.iter().map(collection_from_row).collect()
    }

    pub(super) async fn dav_collection_get_impl(
        &self,
        account: AccountId,
        name: &str,
    ) -> Result<Option<DavCollection>> {
        let sql =
            format!("SELECT {COLLECTION_COLS} FROM dav_collections WHERE account_id = $1 AND name = $2");
        let rows = self.read_rows(&sql, &[&account, &name], "collection").await?;
        rows.first().map(collection_from_row).transpose()
    }

    pub(super) async fn dav_collection_by_id_impl(
        &self,
        id: DavCollectionId,
    ) -> Result<Option<DavCollection>> {
        let sql = format!("SELECT {COLLECTION_COLS} FROM dav_collections WHERE id = $1");
        let rows = self.read_rows(&sql, &[&id], "collection").await?;
        rows.first().map(collection_from_row).transpose()
    }

    pub(super) async fn dav_collection_update_impl(
        &self,
        account: AccountId,
        id: DavCollectionId,
        patch: &DavCollectionPatch,
    ) -> Result<DavCollection> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let lock = bump(&tx, account).await?;
        let mut c = collection_of(&tx, account, id).await?;
        let props = c.props.patched(patch);
        props.validate()?;
        exec(
            &tx,
            "UPDATE dav_collections SET display_name = $2, description = $3, color = $4, sort_order = $5, \
             timezone = $6, dead_props = $7 WHERE id = $1",
            &[
                &id,
                &props.display_name,
                &props.description,
                &props.color,
                &props.order,
                &props.timezone,
                &dead_json(&props)?,
            ],
            "collection",
        )
        .await?;
        self.dav_commit(
            tx,
            account,
            lock.modseq,
            vec![Change::dav(id, ChangeKind::DavCollectionChanged)],
        )
        .await?;
        c.props = props;
        c.highest_modseq = lock.modseq;
        Ok(c)
    }

    pub(super) async fn dav_collection_rename_impl(
        &self,
        account: AccountId,
        id: DavCollectionId,
        new_name: &str,
    ) -> Result<DavCollection> {
        malt_store::dav_name_check("collection name", new_name)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let lock = bump(&tx, account).await?;
        let mut c = collection_of(&tx, account, id).await?;
        if c.name == new_name {
            return Ok(c);
        }
        exec(
            &tx,
            "UPDATE dav_collections SET name = $2 WHERE id = $1",
            &[&id, &new_name],
            &format!("collection {new_name}"),
        )
        .await?;
        self.dav_commit(
            tx,
            account,
            lock.modseq,
            vec![Change::dav(id, ChangeKind::DavCollectionChanged)],
        )
        .await?;
        c.name = new_name.to_owned();
        c.highest_modseq = lock.modseq;
        Ok(c)
    }

    pub(super) async fn dav_collection_delete_impl(
        &self,
        account: AccountId,
        id: DavCollectionId,
    ) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let sharees = PgStore::dav_share_collection_sharees(&tx, account, id).await?;
        let lock = bump(&tx, account).await?;
        collection_of(&tx, account, id).await?;
        let size: i64 = tx
            .query_one(
                "SELECT COALESCE(sum(size), 0)::bigint FROM dav_objects WHERE collection_id = $1",
                &[&id],
            )
            .await
            .map_err(|e| pg_err(e, "collection"))?
            .get(0);
        // Objects, their content and tombstones go by ON DELETE CASCADE.
        exec(
            &tx,
            "DELETE FROM dav_collections WHERE id = $1",
            &[&id],
            "collection",
        )
        .await?;
        add_usage(&tx, account, -size).await?;
        PgStore::dav_share_collection_deleted(&tx, id, &sharees).await?;
        self.commit(
            tx,
            account,
            lock.modseq,
            vec![Change::dav(id, ChangeKind::DavCollectionDeleted)],
        )
        .await
    }

    pub(super) async fn dav_object_put_impl(
        &self,
        account: AccountId,
        collection: DavCollectionId,
        mut object: NewDavObject,
        condition: EtagCondition,
    ) -> Result<DavPutOutcome> {
        object.validate()?;
        let etag = dav_etag(&object.content);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let lock = bump(&tx, account).await?;
        collection_of(&tx, account, collection).await?;
        let old = current(&tx, collection, &object.name).await?;
        if !condition.holds(old.as_ref().map(|o| o.etag.as_str())) {
            return Ok(DavPutOutcome::PreconditionFailed);
        }
        let own = [old.as_ref().map_or(0, |o| o.id)];
        if let Some(existing) = uid_holder(&tx, collection, object.uid.as_deref(), &own).await? {
            return Ok(DavPutOutcome::UidConflict { existing });
        }
        let size = i64::try_from(object.content.len()).unwrap_or(i64::MAX);
        let delta = size - old.as_ref().map_or(0, |o| o.size);
        if delta > 0 {
            check_quota(&lock, to_u64(delta))?;
        }
        let modseq = to_i64(lock.modseq);
        let now = now();
        let (start, end) = (object.span.map(|s| s.start), object.span.and_then(|s| s.end));
        let component = object.component.name();
        match &old {
            Some(o) => {
                exec(
                    &tx,
                    "UPDATE dav_objects SET uid = $2, etag = $3, component = $4, size = $5, first_start = $6, \
                     last_end = $7, modseq = $8, updated_at = $9 WHERE id = $1",
                    &[&o.id, &object.uid, &etag, &component, &size, &start, &end, &modseq, &now],
                    "DAV object",
                )
                .await?;
                exec(
                    &tx,
                    "UPDATE dav_object_content SET content = $2 WHERE object_id = $1",
                    &[&o.id, &object.content],
                    "DAV object content",
                )
                .await?;
            }
            None => {
                exec(
                    &tx,
                    "WITH o AS (INSERT INTO dav_objects (collection_id, name, uid, etag, component, size, \
                     first_start, last_end, modseq, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id) \
                     INSERT INTO dav_object_content (object_id, content) SELECT id, $11 FROM o",
                    &[
                        &collection,
                        &object.name,
                        &object.uid,
                        &etag,
                        &component,
                        &size,
                        &start,
                        &end,
                        &modseq,
                        &now,
                        &object.content,
                    ],
                    "DAV object",
                )
                .await?;
                exec(
                    &tx,
                    UNTOMBSTONE_SQL,
                    &[&collection, &object.name],
                    "DAV tombstone",
                )
                .await?;
            }
        }
        add_usage(&tx, account, delta).await?;
        self.dav_commit(
            tx,
            account,
            lock.modseq,
            vec![Change::dav(collection, ChangeKind::DavObjectsChanged)],
        )
        .await?;
        Ok(DavPutOutcome::Stored(DavStored {
            etag,
            modseq: lock.modseq,
            created: old.is_none(),
        }))
    }

    pub(super) async fn dav_object_delete_impl(
        &self,
        account: AccountId,
        collection: DavCollectionId,
        name: &str,
        condition: EtagCondition,
    ) -> Result<DavDeleteOutcome> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let lock = bump(&tx, account).await?;
        collection_of(&tx, account, collection).await?;
        let old = current(&tx, collection, name).await?;
        if !condition.holds(old.as_ref().map(|o| o.etag.as_str())) {
            return Ok(DavDeleteOutcome::PreconditionFailed);
        }
        let old = old.ok_or_else(|| StoreError::NotFound(format!("object {name}")))?;
        exec(&tx, DELETE_OBJECT_SQL, &[&old.id], "DAV object").await?;
        add_usage(&tx, account, -old.size).await?;
        exec(
            &tx,
            TOMBSTONE_SQL,
            &[&collection, &name, &to_i64(lock.modseq)],
            "DAV tombstone",
        )
        .await?;
        self.dav_commit(
            tx,
            account,
            lock.modseq,
            vec![Change::dav(collection, ChangeKind::DavObjectsDeleted)],
        )
        .await?;
        Ok(DavDeleteOutcome::Deleted { modseq: lock.modseq })
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn dav_object_move_impl(
        &self,
        account: AccountId,
        from: DavCollectionId,
        name: &str,
        to: DavCollectionId,
        new_name: &str,
        source: EtagCondition,
        overwrite: bool,
    ) -> Result<DavPutOutcome> {
        malt_store::dav_name_check("object name", new_name)?;
        if from == to && name == new_name {
            return Err(StoreError::Conflict(
                "source and destination of a move are the same".into(),
            ));
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let lock = bump(&tx, account).await?;
        collection_of(&tx, account, from).await?;
        collection_of(&tx, account, to).await?;
        let src = current(&tx, from, name).await?;
        if !source.holds(src.as_ref().map(|o| o.etag.as_str())) {
            return Ok(DavPutOutcome::PreconditionFailed);
        }
        let src = src.ok_or_else(|| StoreError::NotFound(format!("object {name}")))?;
        let dest = current(&tx, to, new_name).await?;
        if dest.is_some() && !overwrite {
            return Ok(DavPutOutcome::PreconditionFailed);
        }
        let except = [src.id, dest.as_ref().map_or(0, |d| d.id)];
        if let Some(existing) = uid_holder(&tx, to, src.uid.as_deref(), &except).await? {
            return Ok(DavPutOutcome::UidConflict { existing });
        }
        let modseq = to_i64(lock.modseq);
        if let Some(d) = &dest {
            exec(&tx, DELETE_OBJECT_SQL, &[&d.id], "DAV object").await?;
            add_usage(&tx, account, -d.size).await?;
        }
        exec(
            &tx,
            "UPDATE dav_objects SET collection_id = $2, name = $3, modseq = $4 WHERE id = $1",
            &[&src.id, &to, &new_name, &modseq],
            "DAV object",
        )
        .await?;
        exec(&tx, TOMBSTONE_SQL, &[&from, &name, &modseq], "DAV tombstone").await?;
        exec(&tx, UNTOMBSTONE_SQL, &[&to, &new_name], "DAV tombstone").await?;
        self.dav_commit(
            tx,
            account,
            lock.modseq,
            vec![
                Change::dav(from, ChangeKind::DavObjectsDeleted),
                Change::dav(to, ChangeKind::DavObjectsChanged),
            ],
        )
        .await?;
        Ok(DavPutOutcome::Stored(DavStored {
            etag: src.etag,
            modseq: lock.modseq,
            created: dest.is_none(),
        }))
    }

    /// The object of the collection whose `column` (`name` or `uid`, both unique per
    /// collection) is `value`.
    async fn dav_object_where(
        &self,
        collection: DavCollectionId,
        column: &str,
        value: &str,
    ) -> Result<Option<DavObject>> {
        let sql =
            format!("SELECT {OBJECT_COLS} FROM {OBJECT_FROM} WHERE o.collection_id = $1 AND o.{column} = $2");
        let rows = self.read_rows(&sql, &[&collection, &value], "DAV object").await?;
        rows.first().map(object_from_row).transpose()
    }

    pub(super) async fn dav_object_get_impl(
        &self,
        collection: DavCollectionId,
        name: &str,
    ) -> Result<Option<DavObject>> {
        self.dav_object_where(collection, "name", name).await
    }

    pub(super) async fn dav_object_by_uid_impl(
        &self,
        collection: DavCollectionId,
        uid: &str,
    ) -> Result<Option<DavObject>> {
        self.dav_object_where(collection, "uid", uid).await
    }

    /// The object with `uid` in a collection of `kind` of `account` other than `except`, first
    /// by collection name. One query: the `(account_id, name)` index finds the account's
    /// collections, `dav_objects_uid` the object in each.
    pub(super) async fn dav_object_by_uid_in_account_impl(
        &self,
        account: AccountId,
        kind: DavCollectionKind,
        uid: &str,
        except: Option<DavCollectionId>,
    ) -> Result<Option<DavObject>> {
        let sql = format!(
            "SELECT {OBJECT_COLS} FROM dav_collections k JOIN dav_objects o ON o.collection_id = k.id \
             JOIN dav_object_content c ON c.object_id = o.id \
             WHERE k.account_id = $1 AND k.kind = $2 AND o.uid = $3 AND k.id IS DISTINCT FROM $4 \
             ORDER BY k.name COLLATE \"C\" LIMIT 1"
        );
        let rows = self
            .read_rows(&sql, &[&account, &kind.as_str(), &uid, &except], "DAV object")
            .await?;
        rows.first().map(object_from_row).transpose()
    }

    pub(super) async fn dav_object_multiget_impl(
        &self,
        collection: DavCollectionId,
        names: &[String],
    ) -> Result<Vec<DavObject>> {
        let sql = format!(
            "SELECT {OBJECT_COLS} FROM {OBJECT_FROM} WHERE o.collection_id = $1 AND o.name = ANY($2::text[]) \
             ORDER BY o.name COLLATE \"C\""
        );
        let rows = self
            .read_rows(&sql, &[&collection, &names], "DAV objects")
            .await?;
        rows.iter().map(object_from_row).collect()
    }

    pub(super) async fn dav_object_list_impl(
        &self,
        collection: DavCollectionId,
    ) -> Result<Vec<DavObjectInfo>> {
        let sql = format!(
            "SELECT {INFO_COLS} FROM dav_objects o WHERE o.collection_id = $1 ORDER BY o.name COLLATE \"C\""
        );
        let rows = self.read_rows(&sql, &[&collection], "DAV objects").await?;
        rows.iter().map(info_from_row).collect()
    }

    pub(super) async fn dav_objects_in_span_impl(
        &self,
        collection: DavCollectionId,
        start: i64,
        end: i64,
    ) -> Result<Vec<DavObject>> {
        let rows = self
            .read_rows(SPAN_SQL, &[&collection, &start, &end], "DAV objects")
            .await?;
        rows.iter().map(object_from_row).collect()
    }

    /// The collection, its changed objects and its tombstones from one snapshot.
    pub(super) async fn dav_changes_impl(
        &self,
        collection: DavCollectionId,
        since: ModSeq,
        limit: u32,
    ) -> Result<DavChanges> {
        let mut client = self.client().await?;
        let tx = crate::snapshot(&mut client).await?;
        let token = tx
            .query_opt(
                "SELECT highest_modseq FROM dav_collections WHERE id = $1",
                &[&collection],
            )
            .await
            .map_err(|e| pg_err(e, "collection"))?
            .ok_or_else(|| StoreError::NotFound(format!("collection {collection}")))?;
        let since_sql = to_i64(since);
        // An initial sync reports no deletions (RFC 6578 §3.8).
        let with_deleted = since > 0;
        let bound = page_read_bound(&tx, collection, since_sql, limit, with_deleted)
            .await?
            .unwrap_or(i64::MAX);
        let st = prep(
            &tx,
            &format!(
                "SELECT {INFO_COLS} FROM dav_objects o WHERE o.collection_id = $1 AND o.modseq > $2 \
                 AND o.modseq <= $3"
            ),
            "DAV changes",
        )
        .await?;
        let changed = tx
            .query(&st, &[&collection, &since_sql, &bound])
            .await
            .map_err(|e| pg_err(e, "DAV changes"))?
            .iter()
            .map(info_from_row)
            .collect::<Result<Vec<_>>>()?;
        let st = prep(
            &tx,
            "SELECT name, modseq FROM dav_tombstones WHERE collection_id = $1 AND modseq > $2 \
             AND modseq <= $3 AND $4",
            "DAV tombstones",
        )
        .await?;
        let deleted = tx
            .query(&st, &[&collection, &since_sql, &bound, &with_deleted])
            .await
            .map_err(|e| pg_err(e, "DAV tombstones"))?
            .iter()
            .map(|r| (r.get::<_, String>(0), to_u64(r.get(1))))
            .collect();
        tx.commit().await.map_err(|e| pg_err(e, "commit"))?;
        Ok(dav_changes_page(
            since,
            to_u64(token.get(0)),
            changed,
            deleted,
            usize::try_from(limit).unwrap_or(usize::MAX),
        ))
    }
}

/// The read bound of a page of `limit` changes after `since` (see [`dav_changes_page`]); `None`:
/// read them all. Both lookups walk the `(collection_id, modseq)` indexes from `since` and
/// stop after `limit + 1` entries.
async fn page_read_bound(
    tx: &Tx<'_>,
    collection: DavCollectionId,
    since: i64,
    limit: u32,
    with_deleted: bool,
) -> Result<Option<i64>> {
    let st = prep(
        tx,
        "SELECT modseq FROM ( \
           (SELECT modseq FROM dav_objects WHERE collection_id = $1 AND modseq > $2 ORDER BY modseq LIMIT $3::bigint + 1) \
           UNION ALL \
           (SELECT modseq FROM dav_tombstones WHERE collection_id = $1 AND modseq > $2 AND $4 \
            ORDER BY modseq LIMIT $3::bigint + 1)) AS firsts \
         ORDER BY modseq LIMIT 1 OFFSET $3::bigint",
        "DAV page bound",
    )
    .await?;
    let limit = i64::from(limit);
    let Some(row) = tx
        .query_opt(&st, &[&collection, &since, &limit, &with_deleted])
        .await
        .map_err(|e| pg_err(e, "DAV page bound"))?
    else {
        return Ok(None);
    };
    let first_left_out: i64 = row.get(0);
    let st = prep(
        tx,
        "SELECT min(m) FROM ( \
           SELECT (SELECT modseq FROM dav_objects WHERE collection_id = $1 AND modseq > $2 \
                   ORDER BY modseq LIMIT 1) AS m \
           UNION ALL \
           SELECT (SELECT modseq FROM dav_tombstones WHERE collection_id = $1 AND modseq > $2 AND $3 \
                   ORDER BY modseq LIMIT 1)) AS nexts",
        "DAV page bound",
    )
    .await?;
    let next: Option<i64> = tx
        .query_one(&st, &[&collection, &first_left_out, &with_deleted])
        .await
        .map_err(|e| pg_err(e, "DAV page bound"))?
        .get(0);
    Ok(Some(next.unwrap_or(first_left_out)))
}

/// The DAV part of `check_consistency`: every collection's sync token at or above the modseqs
/// in it, and every object with its content.
pub(super) async fn check(tx: &Tx<'_>, report: &mut CheckReport) -> Result<()> {
    let rows = tx
        .query(
            "SELECT c.id, c.name, c.highest_modseq, \
             GREATEST(COALESCE((SELECT max(modseq) FROM dav_objects o WHERE o.collection_id = c.id), 0), \
                      COALESCE((SELECT max(modseq) FROM dav_tombstones t WHERE t.collection_id = c.id), 0)) AS m \
             FROM dav_collections c ORDER BY c.id",
            &[],
        )
        .await
        .map_err(|e| pg_err(e, "check"))?;
    for r in &rows {
        let (id, name, token, max): (i64, String, i64, i64) = (r.get(0), r.get(1), r.get(2), r.get(3));
        if token < max {
            report.problems.push(format!(
                "collection {id} ({name}): sync token {token} is below a change's modseq {max}"
            ));
        }
    }
    let no_content: i64 = tx
        .query_one(
            "SELECT count(*) FROM dav_objects o WHERE NOT EXISTS \
             (SELECT 1 FROM dav_object_content c WHERE c.object_id = o.id)",
            &[],
        )
        .await
        .map_err(|e| pg_err(e, "check"))?
        .get(0);
    if no_content > 0 {
        report
            .problems
            .push(format!("{no_content} DAV objects have no content"));
    }
    Ok(())
}
