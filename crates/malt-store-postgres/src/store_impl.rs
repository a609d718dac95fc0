//! [`Store`] for [`PgStore`]. Mutations follow one pattern:
//!
//! 1. one statement ([`LOCK_SQL`]): `UPDATE accounts SET modseq = modseq + 1 ... RETURNING` —
//!    the new modseq and the account row lock, held to commit, which serialises writers of one
//!    account — then `SELECT ... FOR UPDATE` of the mailbox rows whose UIDNEXT or counters
//!    change, in id order; the read of the rows to change is pipelined with it;
//! 2. batched statements over `unnest` arrays (never one round trip per message), pipelined;
//! 3. journal rows and `pg_notify` in one statement (in that same pipeline), then commit.
//!
//! Pipelining (several statements sent before the first answer) is safe because the server runs
//! the statements of one connection in order: a statement sent after the lock statement runs
//! once the locks are granted. Statements are prepared (cached) before a pipeline, so that each
//! query future sends its statement on its first poll, in order.
//!
//! An operation that turns out to change nothing (a STORE that changes no flag, an EXPUNGE with
//! nothing to expunge) rolls back, so the account's modseq is not consumed.

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use futures_util::future::{join, join_all, join3};
use malt_store::{
    Account, AccountId, AclEntry, Alias, AppPassword, Appended, ChangeKind, CheckReport, CopyResult,
    DavAccess, DavChanges, DavCollection, DavCollectionId, DavCollectionKind, DavCollectionPatch,
    DavDeleteOutcome, DavObject, DavObjectInfo, DavPutOutcome, DavShare, DavShareNote, DavShareReply,
    DavShareStatus, DavSharedCollection, DavShareeProp, Domain, EtagCondition, FlagOp, FlagUpdate, Flags,
    Group, HeaderBlock, JournalEntry, Mailbox, MailboxChanges, MailboxId, Message, MessageMeta,
    MessageSummary, MetadataEntry, MetadataLimits, MetadataSetOutcome, MetadataUsage, ModSeq, NewAccount,
    NewDavCollection, NewDavObject, NewMessage, PrivateSeen, QuotaUsage, Result, SeenUpdate, SharedMailbox,
    SpecialUse, Store, StoreError, Uid, UidSet, flag, metadata_check, metadata_name,
};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};

use crate::{PgStore, pg_err};

mod acl;
mod dav;
mod dav_share;
mod queue;
mod sieve;

type Tx<'a> = deadpool_postgres::Transaction<'a>;
type Param<'a> = &'a (dyn ToSql + Sync);

const ACCOUNT_COLS: &str =
    "id, address, password_hash, quota_bytes, used_bytes, message_count, modseq, created_at";
const MAILBOX_COLS: &str = "id, account_id, name, role, uidvalidity, uidnext, highest_modseq, message_count, \
                            unseen_count, total_size";
/// Columns of a full message: the messages row joined (as `m`) with its metadata row (as `mm`,
/// which holds the prefix too).
const MESSAGE_COLS: &str = "m.id, m.mailbox_id, m.uid, m.flags, m.keywords, m.modseq, m.internal_date, \
                            m.save_date, m.size, m.blob_id, m.thread_id, mm.meta, mm.prefix";

/// Default mailboxes of a new account (name, role).
const DEFAULT_MAILBOXES: &[(&str, Option<SpecialUse>)] = &[
    ("INBOX", None),
    ("Sent", Some(SpecialUse::Sent)),
    ("Drafts", Some(SpecialUse::Drafts)),
    ("Trash", Some(SpecialUse::Trash)),
    ("Junk", Some(SpecialUse::Junk)),
    ("Archive", Some(SpecialUse::Archive)),
];

// ---- conversions ---------------------------------------------------------------------------

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn to_u32(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn is_unseen(flags: i32) -> bool {
    flags & i32::from(flag::SEEN) == 0
}

/// `INBOX` is case-insensitive (RFC 9051 §5.1); every other name is kept as given.
fn norm_mailbox(name: &str) -> String {
    if name.eq_ignore_ascii_case("INBOX") {
        "INBOX".to_owned()
    } else {
        name.to_owned()
    }
}

/// A Message-ID as the thread map keys it: trimmed, without angle brackets.
fn norm_msgid(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_owned()
}

fn split_address(address: &str) -> Result<(String, String)> {
    let address = address.trim().to_lowercase();
    match address.rsplit_once('@') {
        Some((_, domain)) if !domain.is_empty() => {
            let domain = domain.to_owned();
            Ok((address, domain))
        }
        _ => Err(StoreError::Invalid {
            what: "address",
            reason: format!("{address:?} has no domain"),
        }),
    }
}

fn account_from_row(r: &Row) -> Account {
    Account {
        id: r.get(0),
        address: r.get(1),
        password_hash: r.get(2),
        quota_bytes: r.get::<_, Option<i64>>(3).map(to_u64),
        used_bytes: to_u64(r.get(4)),
        message_count: to_u64(r.get(5)),
        highest_modseq: to_u64(r.get(6)),
        created_at: r.get(7),
    }
}

fn mailbox_from_row(r: &Row) -> Mailbox {
    Mailbox {
        id: r.get(0),
        account_id: r.get(1),
        name: r.get(2),
        role: r
            .get::<_, Option<String>>(3)
            .as_deref()
            .and_then(SpecialUse::parse),
        uidvalidity: to_u32(r.get(4)),
        uidnext: to_u32(r.get(5)),
        highest_modseq: to_u64(r.get(6)),
        message_count: to_u32(r.get(7)),
        unseen_count: to_u32(r.get(8)),
        total_size: to_u64(r.get(9)),
    }
}

fn message_from_row(r: &Row) -> Result<Message> {
    let meta: &str = r.get(11);
    let meta: MessageMeta = serde_json::from_str(meta)
        .map_err(|e| StoreError::Backend(format!("message metadata does not parse: {e}")))?;
    let prefix: Option<Vec<u8>> = r.try_get(12).map_err(|e| pg_err(e, "message prefix"))?;
    let keywords: &str = r.get(4);
    Ok(Message {
        id: r.get(0),
        mailbox_id: r.get(1),
        uid: to_u32(r.get(2)),
        flags: Flags::from_stored(i64::from(r.get::<_, i32>(3)), keywords),
        modseq: to_u64(r.get(5)),
        internal_date: r.get(6),
        save_date: r.get(7),
        size: to_u64(r.get(8)),
        blob_id: r.get(9),
        prefix,
        thread_id: r.get(10),
        meta,
    })
}

/// Row `uid, flags, keywords, modseq`; the keywords are read in place (no copy per row).
fn summary_from_row(r: &Row) -> MessageSummary {
    let keywords: &str = r.get(2);
    MessageSummary {
        uid: to_u32(r.get(0)),
        flags: Flags::from_stored(i64::from(r.get::<_, i32>(1)), keywords),
        modseq: to_u64(r.get(3)),
    }
}

/// A UID set as SQL parameters: overall bounds (which the `(mailbox_id, uid)` index narrows
/// by) and, when there are several ranges, the ranges themselves.
struct UidFilter {
    lo: i64,
    hi: i64,
    los: Vec<i64>,
    his: Vec<i64>,
}

impl UidFilter {
    /// `None` for an empty set (nothing can match).
    fn new(set: &UidSet) -> Option<UidFilter> {
        let ranges = set.ranges();
        let lo = i64::from(ranges.first()?.0);
        let hi = i64::from(ranges.last()?.1);
        let (los, his) = if ranges.len() > 1 {
            ranges.iter().map(|&(a, b)| (i64::from(a), i64::from(b))).unzip()
        } else {
            (Vec::new(), Vec::new())
        };
        Some(UidFilter { lo, hi, los, his })
    }

    /// The condition on column `uid`, with parameters numbered from `$first`.
    fn sql(&self, first: usize) -> String {
        self.sql_on("uid", first)
    }

    /// The condition on column `col` (e.g. a qualified `m.uid`).
    fn sql_on(&self, col: &str, first: usize) -> String {
        let mut s = format!(" AND {col} BETWEEN ${} AND ${}", first, first + 1);
        if !self.los.is_empty() {
            s.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM unnest(${}::bigint[], ${}::bigint[]) AS r(lo, hi) \
                 WHERE {col} BETWEEN r.lo AND r.hi)",
                first + 2,
                first + 3
            ));
        }
        s
    }

    fn params(&self) -> Vec<Param<'_>> {
        let mut p: Vec<Param<'_>> = vec![&self.lo, &self.hi];
        if !self.los.is_empty() {
            p.push(&self.los);
            p.push(&self.his);
        }
        p
    }
}

// ---- transaction helpers -------------------------------------------------------------------

/// The account row after taking its lock and a new modseq.
struct AccountLock {
    modseq: u64,
    quota: Option<u64>,
    used: u64,
}

/// A mailbox locked for update.
struct MailboxLock {
    name: String,
    uidvalidity: u32,
    uidnext: u32,
}

/// Step 1 of every mutation, in one statement: takes the account's row lock and its next
/// modseq, then locks the mailbox rows `$2` in id order. The lateral subquery refers to the
/// account row, so it runs after the account UPDATE: locks are always taken account first,
/// then mailboxes by ascending id (deadlock-free). No row: the account does not exist; a NULL
/// mailbox id: none of `$2` exists.
const LOCK_SQL: &str = "WITH a AS (UPDATE accounts SET modseq = modseq + 1 WHERE id = $1 \
     RETURNING modseq, quota_bytes, used_bytes) \
     SELECT a.modseq, a.quota_bytes, a.used_bytes, m.id, m.account_id, m.name, m.uidvalidity, m.uidnext \
     FROM a LEFT JOIN LATERAL (SELECT id, account_id, name, uidvalidity, uidnext FROM mailboxes \
     WHERE id = ANY($2::bigint[]) AND a.modseq IS NOT NULL ORDER BY id FOR UPDATE) m ON true";

/// Journal rows of one operation and the NOTIFY of the highest id, in one statement. Journal
/// ids are increasing per account because every writer holds the account row lock here; there
/// is no global order (see the crate docs).
const JOURNAL_SQL: &str = "WITH j AS (INSERT INTO journal (account_id, modseq, mailbox_id, kind, uids, collection_id) \
     SELECT $1, $2, c.m, c.k, c.u, c.c FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[]) \
     WITH ORDINALITY AS c(m, k, u, c, o) ORDER BY c.o RETURNING id) \
     SELECT pg_notify('malt_changes', max(id)::text) FROM j";

/// Counter deltas and `highest_modseq` of several mailboxes.
const MAILBOX_DELTAS_SQL: &str = "UPDATE mailboxes m SET uidnext = COALESCE(u.uidnext, m.uidnext), \
     message_count = m.message_count + u.n, unseen_count = m.unseen_count + u.unseen, \
     total_size = m.total_size + u.size, highest_modseq = GREATEST(m.highest_modseq, $1) \
     FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) \
     AS u(id, uidnext, n, unseen, size) WHERE m.id = u.id";

const ACCOUNT_DELTA_SQL: &str =
    "UPDATE accounts SET used_bytes = used_bytes + $2, message_count = message_count + $3 WHERE id = $1";

/// Tombstones of removed UIDs (expunge, the source of a move); the viewers' private `\Seen`
/// rows of those UIDs go in the same statement.
const TOMBSTONES_SQL: &str = "WITH pvt AS (DELETE FROM private_seen WHERE mailbox_id = $1 AND uid = ANY($3::bigint[])) \
     INSERT INTO tombstones (mailbox_id, uid, modseq) \
     SELECT $1, u, $2 FROM unnest($3::bigint[]) AS u \
     ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = EXCLUDED.modseq";

async fn prep(tx: &Tx<'_>, sql: &str, what: &str) -> Result<Statement> {
    tx.prepare_cached(sql).await.map_err(|e| pg_err(e, what))
}

/// Reads the result of [`LOCK_SQL`], checking that every mailbox of `wanted` exists and belongs
/// to `account`.
fn parse_lock(
    rows: &[Row],
    account: AccountId,
    wanted: &[MailboxId],
) -> Result<(AccountLock, BTreeMap<MailboxId, MailboxLock>)> {
    let first = rows
        .first()
        .ok_or_else(|| StoreError::NotFound(format!("account {account}")))?;
    let lock = AccountLock {
        modseq: to_u64(first.get(0)),
        quota: first.get::<_, Option<i64>>(1).map(to_u64),
        used: to_u64(first.get(2)),
    };
    let mut mailboxes = BTreeMap::new();
    for r in rows {
        let Some(id) = r.get::<_, Option<i64>>(3) else {
            continue;
        };
        let owner: i64 = r.get(4);
        if owner != account {
            return Err(StoreError::Invalid {
                what: "mailbox",
                reason: format!("mailbox {id} does not belong to account {account}"),
            });
        }
        mailboxes.insert(
            id,
            MailboxLock {
                name: r.get(5),
                uidvalidity: to_u32(r.get(6)),
                uidnext: to_u32(r.get(7)),
            },
        );
    }
    if let Some(missing) = wanted.iter().find(|id| !mailboxes.contains_key(id)) {
        return Err(StoreError::NotFound(format!("mailbox {missing}")));
    }
    Ok((lock, mailboxes))
}

/// Takes the account lock and a new modseq (no mailbox).
async fn bump(tx: &Tx<'_>, account: AccountId) -> Result<AccountLock> {
    let st = prep(tx, LOCK_SQL, "account").await?;
    let none: &[i64] = &[];
    let rows = tx
        .query(&st, &[&account, &none])
        .await
        .map_err(|e| pg_err(e, "account"))?;
    Ok(parse_lock(&rows, account, &[])?.0)
}

/// Takes the account lock, a new modseq and the lock of mailbox `id`, in one round trip.
async fn lock_one(tx: &Tx<'_>, account: AccountId, id: MailboxId) -> Result<(AccountLock, MailboxLock)> {
    let st = prep(tx, LOCK_SQL, "mailbox").await?;
    let ids = [id];
    let rows = tx
        .query(&st, &[&account, &&ids[..]])
        .await
        .map_err(|e| pg_err(e, "mailbox"))?;
    let (lock, mut mailboxes) = parse_lock(&rows, account, &ids)?;
    let mb = mailboxes
        .remove(&id)
        .ok_or_else(|| StoreError::NotFound(format!("mailbox {id}")))?;
    Ok((lock, mb))
}

/// Runs `stmts` pipelined on the transaction's connection: one round trip for all of them.
///
/// Invariant relied on: each statement is sent when its future is first polled, and
/// `join_all` of so few futures (fewer than 30) polls them in the given order, so the server
/// executes them in that order and a statement sees the effects of the ones before it (e.g.
/// metadata rows inserted after their message rows). Returns the first error in statement
/// order (after an error the later statements fail with "transaction aborted").
async fn pipeline(tx: &Tx<'_>, stmts: &[(&Statement, Vec<Param<'_>>, &str)]) -> Result<()> {
    let results = join_all(stmts.iter().map(|(st, params, _)| tx.execute(*st, params))).await;
    for (r, (_, _, what)) in results.into_iter().zip(stmts) {
        r.map_err(|e| pg_err(e, what))?;
    }
    Ok(())
}

/// Counter changes of one mailbox within a transaction.
#[derive(Default)]
struct MailboxDelta {
    uidnext: Option<i64>,
    count: i64,
    unseen: i64,
    size: i64,
}

/// Parameters of [`MAILBOX_DELTAS_SQL`].
struct DeltaArrays {
    modseq: i64,
    ids: Vec<i64>,
    uidnext: Vec<Option<i64>>,
    count: Vec<i64>,
    unseen: Vec<i64>,
    size: Vec<i64>,
}

impl DeltaArrays {
    fn new(modseq: u64, deltas: &BTreeMap<MailboxId, MailboxDelta>) -> DeltaArrays {
        DeltaArrays {
            modseq: to_i64(modseq),
            ids: deltas.keys().copied().collect(),
            uidnext: deltas.values().map(|d| d.uidnext).collect(),
            count: deltas.values().map(|d| d.count).collect(),
            unseen: deltas.values().map(|d| d.unseen).collect(),
            size: deltas.values().map(|d| d.size).collect(),
        }
    }

    fn params(&self) -> Vec<Param<'_>> {
        vec![
            &self.modseq,
            &self.ids,
            &self.uidnext,
            &self.count,
            &self.unseen,
            &self.size,
        ]
    }
}

/// One journal row to write at commit.
struct Change {
    mailbox: Option<MailboxId>,
    kind: ChangeKind,
    uids: UidSet,
    collection: Option<DavCollectionId>,
}

impl Change {
    fn new(mailbox: Option<MailboxId>, kind: ChangeKind) -> Change {
        Change {
            mailbox,
            kind,
            uids: UidSet::default(),
            collection: None,
        }
    }

    fn with_uids(mailbox: MailboxId, kind: ChangeKind, uids: impl IntoIterator<Item = Uid>) -> Change {
        Change {
            mailbox: Some(mailbox),
            kind,
            uids: UidSet::from_uids(uids),
            collection: None,
        }
    }

    /// A change of a DAV collection (no mailbox, no UIDs).
    fn dav(collection: DavCollectionId, kind: ChangeKind) -> Change {
        Change {
            mailbox: None,
            kind,
            uids: UidSet::default(),
            collection: Some(collection),
        }
    }
}

/// Parameters of [`JOURNAL_SQL`].
struct JournalRows {
    account: AccountId,
    modseq: i64,
    mailboxes: Vec<Option<i64>>,
    kinds: Vec<&'static str>,
    uids: Vec<String>,
    collections: Vec<Option<i64>>,
}

/// Counter and journal bookkeeping of a STORE: one mailbox's unseen delta and one FlagsChanged
/// entry for the changed UIDs (both STORE paths write these).
fn flags_changed(
    mailbox: MailboxId,
    unseen_delta: i64,
    changed: &[MessageSummary],
) -> (BTreeMap<MailboxId, MailboxDelta>, [Change; 1]) {
    let delta = MailboxDelta {
        unseen: unseen_delta,
        ..Default::default()
    };
    let change = Change::with_uids(mailbox, ChangeKind::FlagsChanged, changed.iter().map(|c| c.uid));
    (BTreeMap::from([(mailbox, delta)]), [change])
}

impl JournalRows {
    fn new(account: AccountId, modseq: u64, changes: &[Change]) -> JournalRows {
        JournalRows {
            account,
            modseq: to_i64(modseq),
            mailboxes: changes.iter().map(|c| c.mailbox).collect(),
            kinds: changes.iter().map(|c| c.kind.as_str()).collect(),
            uids: changes.iter().map(|c| c.uids.to_imap()).collect(),
            collections: changes.iter().map(|c| c.collection).collect(),
        }
    }

    fn params(&self) -> Vec<Param<'_>> {
        vec![
            &self.account,
            &self.modseq,
            &self.mailboxes,
            &self.kinds,
            &self.uids,
            &self.collections,
        ]
    }
}

/// Rows of the source messages of a copy or move (no metadata: it is copied inside SQL).
struct SourceRow {
    uid: Uid,
    flags: i32,
    size: i64,
}

fn check_quota(lock: &AccountLock, needed: u64) -> Result<()> {
    if let Some(limit) = lock.quota
        && lock.used.saturating_add(needed) > limit
    {
        return Err(StoreError::OverQuota {
            used: lock.used,
            limit,
            needed,
        });
    }
    Ok(())
}

/// Entries and bytes ([`MetadataEntry::size`]) of the account's metadata.
async fn metadata_usage_of(tx: &Tx<'_>, account: AccountId) -> Result<MetadataUsage> {
    let r = tx
        .query_one(
            "SELECT count(*), COALESCE(sum(octet_length(name) + octet_length(value)), 0)::bigint \
             FROM metadata WHERE account_id = $1",
            &[&account],
        )
        .await
        .map_err(|e| pg_err(e, "metadata"))?;
    Ok(MetadataUsage {
        entries: to_u64(r.get(0)),
        bytes: to_u64(r.get(1)),
    })
}

impl PgStore {
    /// The rows of `select` (a query on `messages` whose WHERE ends with `mailbox_id = $1`) for
    /// the messages of `mailbox` whose UIDs are in `uids`, by ascending UID, in one query; one
    /// prepared statement per query and shape of the UID filter ([`UidFilter`]).
    async fn rows_in(
        &self,
        select: &str,
        mailbox: MailboxId,
        uids: &UidSet,
        what: &'static str,
    ) -> Result<Vec<Row>> {
        let Some(f) = UidFilter::new(uids) else {
            return Ok(Vec::new());
        };
        let client = self.client().await?;
        let sql = format!("{select}{} ORDER BY uid", f.sql(2));
        let st = client.prepare_cached(&sql).await.map_err(|e| pg_err(e, what))?;
        let mut params: Vec<Param<'_>> = vec![&mailbox];
        params.extend(f.params());
        client.query(&st, &params).await.map_err(|e| pg_err(e, what))
    }

    /// Writes the journal rows and queues the NOTIFY (one statement), commits and wakes the
    /// local change feed.
    async fn commit(&self, tx: Tx<'_>, account: AccountId, modseq: u64, changes: Vec<Change>) -> Result<()> {
        if !changes.is_empty() {
            let st = prep(&tx, JOURNAL_SQL, "journal").await?;
            let j = JournalRows::new(account, modseq, &changes);
            tx.execute(&st, &j.params())
                .await
                .map_err(|e| pg_err(e, "journal"))?;
        }
        self.finish(tx).await
    }

    /// Commits (the journal rows were written in the transaction's last pipeline) and wakes the
    /// local change feed.
    async fn finish(&self, tx: Tx<'_>) -> Result<()> {
        tx.commit().await.map_err(|e| pg_err(e, "commit"))?;
        self.notify_local();
        Ok(())
    }

    /// STORE of system flags only, without UNCHANGEDSINCE (the common case, e.g. `+FLAGS
    /// (\\Seen)`): the new flags depend on the old system flags alone, so one UPDATE computes
    /// them in the server and returns the changed rows with their old flags (for the unseen
    /// count), instead of reading every row and writing it back. Keywords are kept, except by
    /// a replacement (`FLAGS`), which clears them.
    async fn store_system_flags(
        &self,
        tx: Tx<'_>,
        account: AccountId,
        mailbox: MailboxId,
        f: &UidFilter,
        op: FlagOp,
        system: u8,
    ) -> Result<FlagUpdate> {
        let (set, changed) = match op {
            FlagOp::Add => ("flags = m.flags | $3::int", "(m.flags | $3::int) <> m.flags"),
            FlagOp::Remove => ("flags = m.flags & ~$3::int", "(m.flags & ~$3::int) <> m.flags"),
            FlagOp::Set => (
                "flags = $3::int, keywords = ''",
                "(m.flags <> $3::int OR m.keywords <> '')",
            ),
        };
        // `o` is read with the statement's snapshot: the old flags. The statement runs after the
        // lock statement (pipelined, in order), so every row it reads is the latest committed
        // one and the account row already holds this operation's new modseq.
        let sql = format!(
            "UPDATE messages m SET {set}, modseq = (SELECT a.modseq FROM accounts a WHERE a.id = $2) \
             FROM messages o \
             WHERE o.id = m.id AND m.mailbox_id = $1 AND {changed}{} RETURNING m.uid, o.flags, m.flags, m.keywords",
            f.sql_on("m.uid", 4)
        );
        let st_lock = prep(&tx, LOCK_SQL, "mailbox").await?;
        let st_update = prep(&tx, &sql, "flags").await?;
        let ids = [mailbox];
        let bits = i32::from(system & flag::ALL);
        let mut params: Vec<Param<'_>> = vec![&mailbox, &account, &bits];
        params.extend(f.params());
        let (locked, rows) = join(
            tx.query(&st_lock, &[&account, &&ids[..]]),
            tx.query(&st_update, &params),
        )
        .await;
        let locked = locked.map_err(|e| pg_err(e, "mailbox"))?;
        let (lock, _) = parse_lock(&locked, account, &ids)?;
        let rows = rows.map_err(|e| pg_err(e, "flags"))?;
        let modseq = lock.modseq;
        let mut update = FlagUpdate::default();
        if rows.is_empty() {
            // Nothing changes: no new modseq, no journal entry.
            tx.rollback().await.map_err(|e| pg_err(e, "rollback"))?;
            return Ok(update);
        }
        let mut unseen_delta: i64 = 0;
        update.changed.reserve(rows.len());
        for r in &rows {
            let (old, new): (i32, i32) = (r.get(1), r.get(2));
            match (is_unseen(old), is_unseen(new)) {
                (false, true) => unseen_delta += 1,
                (true, false) => unseen_delta -= 1,
                _ => {}
            }
            update.changed.push(MessageSummary {
                uid: to_u32(r.get(0)),
                flags: Flags::from_stored(i64::from(new), r.get(3)),
                modseq,
            });
        }
        update.changed.sort_unstable_by_key(|c| c.uid);
        let (deltas, changes) = flags_changed(mailbox, unseen_delta, &update.changed);
        let d = DeltaArrays::new(modseq, &deltas);
        let j = JournalRows::new(account, modseq, &changes);
        let st_deltas = prep(&tx, MAILBOX_DELTAS_SQL, "mailbox counters").await?;
        let st_journal = prep(&tx, JOURNAL_SQL, "journal").await?;
        pipeline(
            &tx,
            &[
                (&st_deltas, d.params(), "mailbox counters"),
                (&st_journal, j.params(), "journal"),
            ],
        )
        .await?;
        self.finish(tx).await?;
        update.modseq = modseq;
        Ok(update)
    }

    /// COPY and MOVE share everything but the handling of the source.
    async fn copy_or_move(
        &self,
        account: AccountId,
        from: MailboxId,
        uids: &UidSet,
        to: MailboxId,
        is_move: bool,
    ) -> Result<CopyResult> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let ids: Vec<i64> = if from == to { vec![from] } else { vec![from, to] };
        // Statements first (so that the pipelined queries below are sent in order), then the
        // locks and the source rows in one round trip: the server runs the SELECT after the
        // locks are granted, so it reads the latest committed rows.
        let st_lock = prep(&tx, LOCK_SQL, "mailbox").await?;
        let filter = UidFilter::new(uids);
        let st_src = match &filter {
            Some(f) => Some(
                prep(
                    &tx,
                    &format!(
                        "SELECT uid, flags, size FROM messages WHERE mailbox_id = $1{} ORDER BY uid",
                        f.sql(2)
                    ),
                    "messages",
                )
                .await?,
            ),
            None => None,
        };
        let mut src_params: Vec<Param<'_>> = vec![&from];
        if let Some(f) = &filter {
            src_params.extend(f.params());
        }
        let (locked, rows) = join(tx.query(&st_lock, &[&account, &ids]), async {
            match &st_src {
                Some(st) => tx.query(st, &src_params).await.map(Some),
                None => Ok(None),
            }
        })
        .await;
        let locked = locked.map_err(|e| pg_err(e, "mailbox"))?;
        let (lock, mut mailboxes) = parse_lock(&locked, account, &ids)?;
        let dst = mailboxes
            .remove(&to)
            .ok_or_else(|| StoreError::NotFound(format!("mailbox {to}")))?;
        let rows: Vec<SourceRow> = rows
            .map_err(|e| pg_err(e, "messages"))?
            .unwrap_or_default()
            .iter()
            .map(|r| SourceRow {
                uid: to_u32(r.get(0)),
                flags: r.get(1),
                size: r.get(2),
            })
            .collect();
        if rows.is_empty() {
            // Nothing to do: give the modseq back.
            tx.rollback().await.map_err(|e| pg_err(e, "rollback"))?;
            return Ok(CopyResult {
                dest_uidvalidity: dst.uidvalidity,
                mapping: Vec::new(),
                modseq: 0,
            });
        }
        let modseq = lock.modseq;
        let total: i64 = rows.iter().map(|r| r.size).sum();
        let unseen = rows.iter().filter(|r| is_unseen(r.flags)).count() as i64;
        let n = rows.len() as i64;
        if !is_move {
            check_quota(&lock, to_u64(total))?;
        }
        let first = i64::from(dst.uidnext);
        let src_uids: Vec<i64> = rows.iter().map(|r| i64::from(r.uid)).collect();
        let dst_uids: Vec<i64> = (first..first + n).collect();
        let last = first + n - 1;
        if last > i64::from(Uid::MAX) {
            return Err(StoreError::Conflict(format!("mailbox {to} has run out of UIDs")));
        }
        let save_date = now();
        let mut deltas = BTreeMap::new();
        deltas.insert(
            to,
            MailboxDelta {
                uidnext: Some(last + 1),
                count: n,
                unseen,
                size: total,
            },
        );
        if is_move {
            let d = deltas.entry(from).or_insert_with(MailboxDelta::default);
            d.count -= n;
            d.unseen -= unseen;
            d.size -= total;
        }
        let mapping: Vec<(Uid, Uid)> = rows
            .iter()
            .zip(dst_uids.iter())
            .map(|(r, &d)| (r.uid, to_u32(d)))
            .collect();
        let mut changes = vec![Change::with_uids(
            to,
            ChangeKind::MessagesAdded,
            mapping.iter().map(|m| m.1),
        )];
        if is_move {
            changes.push(Change::with_uids(
                from,
                ChangeKind::MessagesExpunged,
                mapping.iter().map(|m| m.0),
            ));
        }
        let modseq_i = to_i64(modseq);
        let d = DeltaArrays::new(modseq, &deltas);
        let j = JournalRows::new(account, modseq, &changes);
        let st_deltas = prep(&tx, MAILBOX_DELTAS_SQL, "mailbox counters").await?;
        let st_journal = prep(&tx, JOURNAL_SQL, "journal").await?;
        if is_move {
            // The message keeps its row (its id, the EMAILID, and its metadata row) and moves to
            // its new place.
            let st_move = prep(
                &tx,
                "UPDATE messages m SET mailbox_id = $2, uid = u.n, modseq = $3, save_date = $4 \
                 FROM unnest($5::bigint[], $6::bigint[]) AS u(s, n) \
                 WHERE m.mailbox_id = $1 AND m.uid = u.s",
                "move",
            )
            .await?;
            let st_tomb = prep(&tx, TOMBSTONES_SQL, "tombstones").await?;
            pipeline(
                &tx,
                &[
                    (
                        &st_move,
                        vec![&from, &to, &modseq_i, &save_date, &src_uids, &dst_uids],
                        "move",
                    ),
                    (&st_tomb, vec![&from, &modseq_i, &src_uids], "tombstones"),
                    (&st_deltas, d.params(), "mailbox counters"),
                    (&st_journal, j.params(), "journal"),
                ],
            )
            .await?;
        } else {
            let st_copy = prep(
                &tx,
                "INSERT INTO messages (account_id, mailbox_id, uid, flags, keywords, modseq, internal_date, \
                 save_date, size, blob_id, thread_id) \
                 SELECT m.account_id, $2, u.n, m.flags, m.keywords, $3, m.internal_date, $4, m.size, \
                 m.blob_id, m.thread_id \
                 FROM unnest($5::bigint[], $6::bigint[]) AS u(s, n) \
                 JOIN messages m ON m.mailbox_id = $1 AND m.uid = u.s ORDER BY u.n",
                "copy",
            )
            .await?;
            // Runs after the copy (pipeline order): maps each source message to its copy.
            let st_meta = prep(
                &tx,
                "INSERT INTO message_meta (message_id, meta, prefix) \
                 SELECT d.id, mm.meta, mm.prefix FROM unnest($3::bigint[], $4::bigint[]) AS u(s, n) \
                 JOIN messages s ON s.mailbox_id = $1 AND s.uid = u.s \
                 JOIN messages d ON d.mailbox_id = $2 AND d.uid = u.n \
                 JOIN message_meta mm ON mm.message_id = s.id",
                "copy metadata",
            )
            .await?;
            let st_headers = prep(
                &tx,
                "INSERT INTO message_headers (message_id, header) \
                 SELECT d.id, h.header FROM unnest($3::bigint[], $4::bigint[]) AS u(s, n) \
                 JOIN messages s ON s.mailbox_id = $1 AND s.uid = u.s \
                 JOIN messages d ON d.mailbox_id = $2 AND d.uid = u.n \
                 JOIN message_headers h ON h.message_id = s.id",
                "copy headers",
            )
            .await?;
            let st_account = prep(&tx, ACCOUNT_DELTA_SQL, "account usage").await?;
            pipeline(
                &tx,
                &[
                    (
                        &st_copy,
                        vec![&from, &to, &modseq_i, &save_date, &src_uids, &dst_uids],
                        "copy",
                    ),
                    (&st_meta, vec![&from, &to, &src_uids, &dst_uids], "copy metadata"),
                    (
                        &st_headers,
                        vec![&from, &to, &src_uids, &dst_uids],
                        "copy headers",
                    ),
                    (&st_account, vec![&account, &total, &n], "account usage"),
                    (&st_deltas, d.params(), "mailbox counters"),
                    (&st_journal, j.params(), "journal"),
                ],
            )
            .await?;
        }
        self.finish(tx).await?;
        Ok(CopyResult {
            dest_uidvalidity: dst.uidvalidity,
            mapping,
            modseq,
        })
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend_name(&self) -> &'static str {
        "postgres"
    }

    // ---- Domains -------------------------------------------------------------------------

    async fn domain_add(&self, name: &str) -> Result<Domain> {
        let name = name.trim().to_lowercase();
        if name.is_empty() || name.contains('@') {
            return Err(StoreError::Invalid {
                what: "domain",
                reason: format!("{name:?}"),
            });
        }
        let client = self.client().await?;
        let what = format!("domain {name}");
        let st = client
            .prepare_cached("INSERT INTO domains (name) VALUES ($1) RETURNING id")
            .await
            .map_err(|e| pg_err(e, &what))?;
        let row = client
            .query_one(&st, &[&name])
            .await
            .map_err(|e| pg_err(e, &what))?;
        Ok(Domain { id: row.get(0), name })
    }

    async fn domain_get(&self, name: &str) -> Result<Option<Domain>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached("SELECT id, name FROM domains WHERE name = $1")
            .await
            .map_err(|e| pg_err(e, "domain"))?;
        let row = client
            .query_opt(&st, &[&name.trim().to_lowercase()])
            .await
            .map_err(|e| pg_err(e, "domain"))?;
        Ok(row.map(|r| Domain {
            id: r.get(0),
            name: r.get(1),
        }))
    }

    async fn domain_list(&self) -> Result<Vec<Domain>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached("SELECT id, name FROM domains ORDER BY name COLLATE \"C\"")
            .await
            .map_err(|e| pg_err(e, "domains"))?;
        let rows = client.query(&st, &[]).await.map_err(|e| pg_err(e, "domains"))?;
        Ok(rows
            .iter()
            .map(|r| Domain {
                id: r.get(0),
                name: r.get(1),
            })
            .collect())
    }

    async fn domain_delete(&self, name: &str) -> Result<()> {
        let name = name.trim().to_lowercase();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let row = tx
            .query_opt(
                "SELECT id, EXISTS (SELECT 1 FROM accounts WHERE domain_id = d.id) \
                 OR EXISTS (SELECT 1 FROM aliases WHERE domain_id = d.id) \
                 OR EXISTS (SELECT 1 FROM groups WHERE domain_id = d.id) \
                 FROM domains d WHERE name = $1 FOR UPDATE",
                &[&name],
            )
            .await
            .map_err(|e| pg_err(e, "domain"))?
            .ok_or_else(|| StoreError::NotFound(format!("domain {name}")))?;
        if row.get::<_, bool>(1) {
            return Err(StoreError::Conflict(format!(
                "domain {name} has accounts, aliases or groups"
            )));
        }
        let id: i64 = row.get(0);
        tx.execute("DELETE FROM domains WHERE id = $1", &[&id])
            .await
            .map_err(|e| match pg_err(e, "domain") {
                StoreError::NotFound(_) => StoreError::Conflict(format!("domain {name} is in use")),
                other => other,
            })?;
        tx.commit().await.map_err(|e| pg_err(e, "commit"))?;
        Ok(())
    }

    // ---- Accounts ------------------------------------------------------------------------

    async fn account_create(&self, new: NewAccount) -> Result<Account> {
        let (address, domain) = split_address(&new.address)?;
        if address.starts_with('@') {
            return Err(StoreError::Invalid {
                what: "address",
                reason: format!("{address:?} has no local part"),
            });
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let st = tx
            .prepare_cached("SELECT id FROM domains WHERE name = $1")
            .await
            .map_err(|e| pg_err(e, "domain"))?;
        let domain_id: i64 = tx
            .query_opt(&st, &[&domain])
            .await
            .map_err(|e| pg_err(e, "domain"))?
            .ok_or_else(|| StoreError::NotFound(format!("domain {domain}")))?
            .get(0);
        let what = format!("account {address}");
        let st = tx
            .prepare_cached(&format!(
                "INSERT INTO accounts (domain_id, address, password_hash, quota_bytes, modseq, created_at) \
                 VALUES ($1, $2, $3, $4, 1, $5) RETURNING {ACCOUNT_COLS}"
            ))
            .await
            .map_err(|e| pg_err(e, &what))?;
        let quota = new.quota_bytes.map(to_i64);
        let row = tx
            .query_one(&st, &[&domain_id, &address, &new.password_hash, &quota, &now()])
            .await
            .map_err(|e| pg_err(e, &what))?;
        let account = account_from_row(&row);
        let names: Vec<&str> = DEFAULT_MAILBOXES.iter().map(|m| m.0).collect();
        let roles: Vec<Option<&str>> = DEFAULT_MAILBOXES
            .iter()
            .map(|m| m.1.map(SpecialUse::as_str))
            .collect();
        let st = tx
            .prepare_cached(
                "INSERT INTO mailboxes (account_id, name, role, uidvalidity, highest_modseq) \
                 SELECT $1, n, r, nextval('malt_uidvalidity'), 1 FROM unnest($2::text[], $3::text[]) AS t(n, r)",
            )
            .await
            .map_err(|e| pg_err(e, "mailboxes"))?;
        tx.execute(&st, &[&account.id, &names, &roles])
            .await
            .map_err(|e| pg_err(e, "mailboxes"))?;
        let st = tx
            .prepare_cached("INSERT INTO subscriptions (account_id, name) SELECT $1, unnest($2::text[])")
            .await
            .map_err(|e| pg_err(e, "subscriptions"))?;
        tx.execute(&st, &[&account.id, &names])
            .await
            .map_err(|e| pg_err(e, "subscriptions"))?;
        tx.commit().await.map_err(|e| pg_err(e, "commit"))?;
        Ok(account)
    }

    async fn account_get(&self, id: AccountId) -> Result<Option<Account>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(&format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1"))
            .await
            .map_err(|e| pg_err(e, "account"))?;
        let row = client
            .query_opt(&st, &[&id])
            .await
            .map_err(|e| pg_err(e, "account"))?;
        Ok(row.as_ref().map(account_from_row))
    }

    async fn account_by_address(&self, address: &str) -> Result<Option<Account>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(&format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE address = $1"))
            .await
            .map_err(|e| pg_err(e, "account"))?;
        let row = client
            .query_opt(&st, &[&address.trim().to_lowercase()])
            .await
            .map_err(|e| pg_err(e, "account"))?;
        Ok(row.as_ref().map(account_from_row))
    }

    async fn account_list(&self, domain: Option<&str>) -> Result<Vec<Account>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(&format!(
                "SELECT {ACCOUNT_COLS} FROM accounts WHERE $1::text IS NULL \
                 OR domain_id = (SELECT id FROM domains WHERE name = $1) ORDER BY address COLLATE \"C\""
            ))
            .await
            .map_err(|e| pg_err(e, "accounts"))?;
        let domain = domain.map(|d| d.trim().to_lowercase());
        let rows = client
            .query(&st, &[&domain])
            .await
            .map_err(|e| pg_err(e, "accounts"))?;
        Ok(rows.iter().map(account_from_row).collect())
    }

    async fn account_set_password(&self, id: AccountId, password_hash: &str) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let lock = bump(&tx, id).await?;
        let st = tx
            .prepare_cached("UPDATE accounts SET password_hash = $2 WHERE id = $1")
            .await
            .map_err(|e| pg_err(e, "account"))?;
        tx.execute(&st, &[&id, &password_hash])
            .await
            .map_err(|e| pg_err(e, "account"))?;
        self.commit(
            tx,
            id,
            lock.modseq,
            vec![Change::new(None, ChangeKind::AccountChanged)],
        )
        .await
    }

    async fn account_set_quota(&self, id: AccountId, quota_bytes: Option<u64>) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let lock = bump(&tx, id).await?;
        let st = tx
            .prepare_cached("UPDATE accounts SET quota_bytes = $2 WHERE id = $1")
            .await
            .map_err(|e| pg_err(e, "account"))?;
        tx.execute(&st, &[&id, &quota_bytes.map(to_i64)])
            .await
            .map_err(|e| pg_err(e, "account"))?;
        self.commit(
            tx,
            id,
            lock.modseq,
            vec![Change::new(None, ChangeKind::AccountChanged)],
        )
        .await
    }

    async fn account_delete(&self, id: AccountId) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let address: String = tx
            .query_opt("SELECT address FROM accounts WHERE id = $1", &[&id])
            .await
            .map_err(|e| pg_err(e, "account"))?
            .ok_or_else(|| StoreError::NotFound(format!("account {id}")))?
            .get(0);
        // Its entries in other accounts' ACLs go explicitly (journaled for their owners).
        self.acl_forget_identifier(&tx, id, &address).await?;
        // The DAV shares naming it go too (journaled for their owners).
        PgStore::dav_share_forget_sharee(&tx, id, &address).await?;
        // Its own delegations cascade; those OF its address go too (a re-created address must
        // not inherit them). Queued mail it submitted stays, without a submitter (SET NULL).
        PgStore::delegation_forget_address(&tx, &address).await?;
        // Mailboxes, messages, tombstones, subscriptions, app passwords, the thread map, ACLs,
        // private \Seen rows and the journal go with it (ON DELETE CASCADE).
        let n = tx
            .execute("DELETE FROM accounts WHERE id = $1", &[&id])
            .await
            .map_err(|e| pg_err(e, "account"))?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("account {id}")));
        }
        self.finish(tx).await
    }

    // ---- Aliases and groups --------------------------------------------------------------

    async fn alias_add(&self, address: &str, target: &str) -> Result<Alias> {
        let (address, domain) = split_address(address)?;
        let target = target.trim().to_lowercase();
        if target.is_empty() {
            return Err(StoreError::Invalid {
                what: "alias target",
                reason: "empty".to_owned(),
            });
        }
        let client = self.client().await?;
        let what = format!("alias {address} -> {target}");
        let st = client
            .prepare_cached(
                "INSERT INTO aliases (domain_id, address, target) SELECT id, $2, $3 FROM domains WHERE name = $1 \
                 RETURNING id",
            )
            .await
            .map_err(|e| pg_err(e, &what))?;
        let row = client
            .query_opt(&st, &[&domain, &address, &target])
            .await
            .map_err(|e| pg_err(e, &what))?;
        if row.is_none() {
            return Err(StoreError::NotFound(format!("domain {domain}")));
        }
        Ok(Alias { address, target })
    }

    async fn alias_list(&self, domain: Option<&str>) -> Result<Vec<Alias>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(
                "SELECT address, target FROM aliases WHERE $1::text IS NULL \
                 OR domain_id = (SELECT id FROM domains WHERE name = $1) \
                 ORDER BY address COLLATE \"C\", target COLLATE \"C\"",
            )
            .await
            .map_err(|e| pg_err(e, "aliases"))?;
        let domain = domain.map(|d| d.trim().to_lowercase());
        let rows = client
            .query(&st, &[&domain])
            .await
            .map_err(|e| pg_err(e, "aliases"))?;
        Ok(rows
            .iter()
            .map(|r| Alias {
                address: r.get(0),
                target: r.get(1),
            })
            .collect())
    }

    async fn alias_delete(&self, address: &str, target: Option<&str>) -> Result<()> {
        let address = address.trim().to_lowercase();
        let target = target.map(|t| t.trim().to_lowercase());
        let client = self.client().await?;
        let st = client
            .prepare_cached("DELETE FROM aliases WHERE address = $1 AND ($2::text IS NULL OR target = $2)")
            .await
            .map_err(|e| pg_err(e, "alias"))?;
        let n = client
            .execute(&st, &[&address, &target])
            .await
            .map_err(|e| pg_err(e, "alias"))?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("alias {address}")));
        }
        Ok(())
    }

    async fn alias_targets(&self, address: &str) -> Result<Vec<String>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached("SELECT target FROM aliases WHERE address = $1 ORDER BY target COLLATE \"C\"")
            .await
            .map_err(|e| pg_err(e, "alias"))?;
        let rows = client
            .query(&st, &[&address.trim().to_lowercase()])
            .await
            .map_err(|e| pg_err(e, "alias"))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn group_add(&self, address: &str, name: &str) -> Result<Group> {
        let (address, domain) = split_address(address)?;
        let client = self.client().await?;
        let what = format!("group {address}");
        let st = client
            .prepare_cached(
                "INSERT INTO groups (domain_id, address, name) SELECT id, $2, $3 FROM domains WHERE name = $1 \
                 RETURNING id",
            )
            .await
            .map_err(|e| pg_err(e, &what))?;
        let row = client
            .query_opt(&st, &[&domain, &address, &name])
            .await
            .map_err(|e| pg_err(e, &what))?
            .ok_or_else(|| StoreError::NotFound(format!("domain {domain}")))?;
        Ok(Group {
            id: row.get(0),
            address,
            name: name.to_owned(),
            members: Vec::new(),
        })
    }

    async fn group_get(&self, address: &str) -> Result<Option<Group>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(
                "SELECT g.id, g.address, g.name, \
                 COALESCE(array_agg(m.member ORDER BY m.member COLLATE \"C\") FILTER (WHERE m.member IS NOT NULL), \
                 '{}') FROM groups g LEFT JOIN group_members m ON m.group_id = g.id \
                 WHERE g.address = $1 GROUP BY g.id",
            )
            .await
            .map_err(|e| pg_err(e, "group"))?;
        let row = client
            .query_opt(&st, &[&address.trim().to_lowercase()])
            .await
            .map_err(|e| pg_err(e, "group"))?;
        Ok(row.map(|r| Group {
            id: r.get(0),
            address: r.get(1),
            name: r.get(2),
            members: r.get(3),
        }))
    }

    async fn group_list(&self) -> Result<Vec<Group>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(
                "SELECT g.id, g.address, g.name, \
                 COALESCE(array_agg(m.member ORDER BY m.member COLLATE \"C\") FILTER (WHERE m.member IS NOT NULL), \
                 '{}') FROM groups g LEFT JOIN group_members m ON m.group_id = g.id \
                 GROUP BY g.id ORDER BY g.address COLLATE \"C\"",
            )
            .await
            .map_err(|e| pg_err(e, "groups"))?;
        let rows = client.query(&st, &[]).await.map_err(|e| pg_err(e, "groups"))?;
        Ok(rows
            .iter()
            .map(|r| Group {
                id: r.get(0),
                address: r.get(1),
                name: r.get(2),
                members: r.get(3),
            })
            .collect())
    }

    async fn group_delete(&self, address: &str) -> Result<()> {
        let address = address.trim().to_lowercase();
        let client = self.client().await?;
        let n = client
            .execute("DELETE FROM groups WHERE address = $1", &[&address])
            .await
            .map_err(|e| pg_err(e, "group"))?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("group {address}")));
        }
        Ok(())
    }

    async fn group_member_add(&self, group: &str, member: &str) -> Result<()> {
        let group = group.trim().to_lowercase();
        let member = member.trim().to_lowercase();
        if member.is_empty() {
            return Err(StoreError::Invalid {
                what: "group member",
                reason: "empty".to_owned(),
            });
        }
        let client = self.client().await?;
        let what = format!("member {member} of group {group}");
        let st = client
            .prepare_cached(
                "INSERT INTO group_members (group_id, member) SELECT id, $2 FROM groups WHERE address = $1 \
                 RETURNING group_id",
            )
            .await
            .map_err(|e| pg_err(e, &what))?;
        let row = client
            .query_opt(&st, &[&group, &member])
            .await
            .map_err(|e| pg_err(e, &what))?;
        if row.is_none() {
            return Err(StoreError::NotFound(format!("group {group}")));
        }
        Ok(())
    }

    async fn group_member_remove(&self, group: &str, member: &str) -> Result<()> {
        let group = group.trim().to_lowercase();
        let member = member.trim().to_lowercase();
        let client = self.client().await?;
        let n = client
            .execute(
                "DELETE FROM group_members m USING groups g WHERE g.id = m.group_id AND g.address = $1 \
                 AND m.member = $2",
                &[&group, &member],
            )
            .await
            .map_err(|e| pg_err(e, "group member"))?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("member {member} of group {group}")));
        }
        Ok(())
    }

    // ---- App passwords -------------------------------------------------------------------

    async fn app_password_add(&self, account: AccountId, name: &str, hash: &str) -> Result<AppPassword> {
        let client = self.client().await?;
        let created_at = now();
        let st = client
            .prepare_cached(
                "INSERT INTO app_passwords (account_id, name, hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .await
            .map_err(|e| pg_err(e, "app password"))?;
        let row = client
            .query_one(&st, &[&account, &name, &hash, &created_at])
            .await
            .map_err(|e| match pg_err(e, "") {
                StoreError::AlreadyExists(_) => StoreError::AlreadyExists(format!("app password {name}")),
                StoreError::NotFound(_) => StoreError::NotFound(format!("account {account}")),
                other => other,
            })?;
        Ok(AppPassword {
            id: row.get(0),
            account_id: account,
            name: name.to_owned(),
            hash: hash.to_owned(),
            created_at,
        })
    }

    async fn app_password_list(&self, account: AccountId) -> Result<Vec<AppPassword>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(
                "SELECT id, account_id, name, hash, created_at FROM app_passwords WHERE account_id = $1 ORDER BY id",
            )
            .await
            .map_err(|e| pg_err(e, "app passwords"))?;
        let rows = client
            .query(&st, &[&account])
            .await
            .map_err(|e| pg_err(e, "app passwords"))?;
        Ok(rows
            .iter()
            .map(|r| AppPassword {
                id: r.get(0),
                account_id: r.get(1),
                name: r.get(2),
                hash: r.get(3),
                created_at: r.get(4),
            })
            .collect())
    }

    async fn app_password_revoke(&self, account: AccountId, name: &str) -> Result<()> {
        let client = self.client().await?;
        let n = client
            .execute(
                "DELETE FROM app_passwords WHERE account_id = $1 AND name = $2",
                &[&account, &name],
            )
            .await
            .map_err(|e| pg_err(e, "app password"))?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("app password {name}")));
        }
        Ok(())
    }

    // ---- Mailboxes -----------------------------------------------------------------------

    async fn mailbox_list(&self, account: AccountId) -> Result<Vec<Mailbox>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(&format!(
                "SELECT {MAILBOX_COLS} FROM mailboxes WHERE account_id = $1 ORDER BY name COLLATE \"C\""
            ))
            .await
            .map_err(|e| pg_err(e, "mailboxes"))?;
        let rows = client
            .query(&st, &[&account])
            .await
            .map_err(|e| pg_err(e, "mailboxes"))?;
        Ok(rows.iter().map(mailbox_from_row).collect())
    }

    async fn mailbox_get(&self, account: AccountId, name: &str) -> Result<Option<Mailbox>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(&format!(
                "SELECT {MAILBOX_COLS} FROM mailboxes WHERE account_id = $1 AND name = $2"
            ))
            .await
            .map_err(|e| pg_err(e, "mailbox"))?;
        let row = client
            .query_opt(&st, &[&account, &norm_mailbox(name)])
            .await
            .map_err(|e| pg_err(e, "mailbox"))?;
        Ok(row.as_ref().map(mailbox_from_row))
    }

    async fn mailbox_by_id(&self, id: MailboxId) -> Result<Option<Mailbox>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(&format!("SELECT {MAILBOX_COLS} FROM mailboxes WHERE id = $1"))
            .await
            .map_err(|e| pg_err(e, "mailbox"))?;
        let row = client
            .query_opt(&st, &[&id])
            .await
            .map_err(|e| pg_err(e, "mailbox"))?;
        Ok(row.as_ref().map(mailbox_from_row))
    }

    async fn mailbox_create(
        &self,
        account: AccountId,
        name: &str,
        role: Option<SpecialUse>,
    ) -> Result<Mailbox> {
        let name = norm_mailbox(name);
        if name.is_empty() {
            return Err(StoreError::Invalid {
                what: "mailbox name",
                reason: "empty".to_owned(),
            });
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let lock = bump(&tx, account).await?;
        let what = format!("mailbox {name}");
        let st = tx
            .prepare_cached(&format!(
                "INSERT INTO mailboxes (account_id, name, role, uidvalidity, highest_modseq) \
                 VALUES ($1, $2, $3, nextval('malt_uidvalidity'), $4) RETURNING {MAILBOX_COLS}"
            ))
            .await
            .map_err(|e| pg_err(e, &what))?;
        let row = tx
            .query_one(
                &st,
                &[
                    &account,
                    &name,
                    &role.map(SpecialUse::as_str),
                    &to_i64(lock.modseq),
                ],
            )
            .await
            .map_err(|e| pg_err(e, &what))?;
        let mailbox = mailbox_from_row(&row);
        self.commit(
            tx,
            account,
            lock.modseq,
            vec![Change::new(Some(mailbox.id), ChangeKind::MailboxCreated)],
        )
        .await?;
        Ok(mailbox)
    }

    async fn mailbox_rename(&self, account: AccountId, id: MailboxId, new_name: &str) -> Result<()> {
        let new_name = norm_mailbox(new_name);
        if new_name.is_empty() {
            return Err(StoreError::Invalid {
                what: "mailbox name",
                reason: "empty".to_owned(),
            });
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let (lock, mb) = lock_one(&tx, account, id).await?;
        // RFC 9051 §6.3.6: renaming INBOX moves its messages to a new mailbox and leaves INBOX in
        // place; the mail core does that with create + move. Renaming the row would leave the
        // account without an INBOX.
        if mb.name == "INBOX" {
            return Err(StoreError::Conflict(
                "INBOX cannot be renamed (move its messages instead)".to_owned(),
            ));
        }
        if new_name == mb.name {
            return Err(StoreError::AlreadyExists(format!("mailbox {new_name}")));
        }
        let prefix = format!("{}/", mb.name);
        if new_name.starts_with(&prefix) {
            return Err(StoreError::Conflict(format!(
                "cannot rename {} to its own child {new_name}",
                mb.name
            )));
        }
        let what = format!("mailbox {new_name}");
        let exists = tx
            .query_opt(
                "SELECT 1 FROM mailboxes WHERE account_id = $1 AND name = $2",
                &[&account, &new_name],
            )
            .await
            .map_err(|e| pg_err(e, &what))?;
        if exists.is_some() {
            return Err(StoreError::AlreadyExists(what));
        }
        // The mailbox and its children: `old` and `old/...` become `new` and `new/...`.
        let st = tx
            .prepare_cached(
                "UPDATE mailboxes SET name = $3 || substr(name, length($2) + 1), \
                 highest_modseq = GREATEST(highest_modseq, $5) \
                 WHERE account_id = $1 AND (id = $4 OR left(name, length($2) + 1) = $2 || '/')",
            )
            .await
            .map_err(|e| pg_err(e, &what))?;
        tx.execute(&st, &[&account, &mb.name, &new_name, &id, &to_i64(lock.modseq)])
            .await
            .map_err(|e| pg_err(e, &what))?;
        self.commit(
            tx,
            account,
            lock.modseq,
            vec![Change::new(Some(id), ChangeKind::MailboxRenamed)],
        )
        .await
    }

    async fn mailbox_set_role(
        &self,
        account: AccountId,
        id: MailboxId,
        role: Option<SpecialUse>,
    ) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let (lock, _) = lock_one(&tx, account, id).await?;
        let st = tx
            .prepare_cached(
                "UPDATE mailboxes SET role = $2, highest_modseq = GREATEST(highest_modseq, $3) WHERE id = $1",
            )
            .await
            .map_err(|e| pg_err(e, "mailbox"))?;
        tx.execute(&st, &[&id, &role.map(SpecialUse::as_str), &to_i64(lock.modseq)])
            .await
            .map_err(|e| pg_err(e, "mailbox"))?;
        // A role change is an attribute change of the mailbox, reported like a rename.
        self.commit(
            tx,
            account,
            lock.modseq,
            vec![Change::new(Some(id), ChangeKind::MailboxRenamed)],
        )
        .await
    }

    async fn mailbox_delete(&self, account: AccountId, id: MailboxId) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let (lock, mb) = lock_one(&tx, account, id).await?;
        if mb.name == "INBOX" {
            return Err(StoreError::Conflict("INBOX cannot be deleted".to_owned()));
        }
        let row = tx
            .query_one(
                "SELECT count(*), COALESCE(sum(size), 0)::bigint FROM messages WHERE mailbox_id = $1",
                &[&id],
            )
            .await
            .map_err(|e| pg_err(e, "mailbox"))?;
        let (count, bytes): (i64, i64) = (row.get(0), row.get(1));
        // Messages and tombstones go with the mailbox (ON DELETE CASCADE).
        tx.execute("DELETE FROM mailboxes WHERE id = $1", &[&id])
            .await
            .map_err(|e| pg_err(e, "mailbox"))?;
        let st = prep(&tx, ACCOUNT_DELTA_SQL, "account usage").await?;
        tx.execute(&st, &[&account, &-bytes, &-count])
            .await
            .map_err(|e| pg_err(e, "account usage"))?;
        self.commit(
            tx,
            account,
            lock.modseq,
            vec![Change::new(Some(id), ChangeKind::MailboxDeleted)],
        )
        .await
    }

    async fn subscription_set(&self, account: AccountId, name: &str, subscribed: bool) -> Result<()> {
        let name = norm_mailbox(name);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let lock = bump(&tx, account).await?;
        let sql = if subscribed {
            "INSERT INTO subscriptions (account_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM subscriptions WHERE account_id = $1 AND name = $2"
        };
        let st = tx
            .prepare_cached(sql)
            .await
            .map_err(|e| pg_err(e, "subscription"))?;
        tx.execute(&st, &[&account, &name])
            .await
            .map_err(|e| pg_err(e, "subscription"))?;
        self.commit(
            tx,
            account,
            lock.modseq,
            vec![Change::new(None, ChangeKind::SubscriptionChanged)],
        )
        .await
    }

    async fn subscription_list(&self, account: AccountId) -> Result<Vec<String>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(
                "SELECT name FROM subscriptions WHERE account_id = $1 ORDER BY name COLLATE \"C\"",
            )
            .await
            .map_err(|e| pg_err(e, "subscriptions"))?;
        let rows = client
            .query(&st, &[&account])
            .await
            .map_err(|e| pg_err(e, "subscriptions"))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    // ---- Messages ------------------------------------------------------------------------

    async fn append(&self, account: AccountId, messages: Vec<NewMessage>) -> Result<Vec<Appended>> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let needed: u64 = messages.iter().map(|m| m.size).fold(0, u64::saturating_add);
        let n = messages.len() as i64;
        // Each target mailbox is locked once, in id order.
        let mut ids: Vec<MailboxId> = messages.iter().map(|m| m.mailbox_id).collect();
        ids.sort_unstable();
        ids.dedup();

        // Threads (RFC 8474 THREADID): a message joins the thread of any message of the account
        // whose Message-ID it references (In-Reply-To, References), including earlier messages
        // of this same batch.
        let mut wanted: Vec<String> = Vec::new();
        for m in &messages {
            for r in m
                .meta
                .sort
                .in_reply_to
                .iter()
                .chain(m.meta.sort.references.iter())
            {
                wanted.push(norm_msgid(r));
            }
        }
        wanted.retain(|s| !s.is_empty());
        wanted.sort_unstable();
        wanted.dedup();

        // One round trip: the locks, the message ids (a new message without a known parent
        // starts its own thread, whose id is the message's id) and the thread map entries. The
        // server runs the thread lookup after the locks are granted, so it sees every thread of
        // the account committed before.
        let st_lock = prep(&tx, LOCK_SQL, "mailbox").await?;
        let st_ids = prep(
            &tx,
            "SELECT nextval('messages_id_seq') FROM generate_series(1, $1::bigint)",
            "message ids",
        )
        .await?;
        let st_threads = prep(
            &tx,
            "SELECT message_id, thread_id FROM thread_map WHERE account_id = $1 AND message_id = ANY($2)",
            "threads",
        )
        .await?;
        let (locked, id_rows, thread_rows) = join3(
            tx.query(&st_lock, &[&account, &ids]),
            tx.query(&st_ids, &[&n]),
            async {
                if wanted.is_empty() {
                    Ok(Vec::new())
                } else {
                    tx.query(&st_threads, &[&account, &wanted]).await
                }
            },
        )
        .await;
        let locked = locked.map_err(|e| pg_err(e, "mailbox"))?;
        let (lock, mut mailboxes) = parse_lock(&locked, account, &ids)?;
        let modseq = lock.modseq;
        check_quota(&lock, needed)?;
        let msg_ids: Vec<i64> = id_rows
            .map_err(|e| pg_err(e, "message ids"))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if msg_ids.len() != messages.len() {
            return Err(StoreError::Backend(
                "message id allocation returned too few ids".to_owned(),
            ));
        }
        let mut threads: HashMap<String, i64> = HashMap::new();
        for r in thread_rows.map_err(|e| pg_err(e, "threads"))? {
            threads.insert(r.get(0), r.get(1));
        }
        let mut new_thread_keys: Vec<String> = Vec::new();
        let mut new_thread_ids: Vec<i64> = Vec::new();

        let save_date = now();
        let mut out = Vec::with_capacity(messages.len());
        let mut deltas: BTreeMap<MailboxId, MailboxDelta> = BTreeMap::new();
        let mut added: BTreeMap<MailboxId, Vec<Uid>> = BTreeMap::new();
        let mut c_mailbox = Vec::with_capacity(messages.len());
        let mut c_uid = Vec::with_capacity(messages.len());
        let mut c_flags = Vec::with_capacity(messages.len());
        let mut c_keywords = Vec::with_capacity(messages.len());
        let mut c_idate = Vec::with_capacity(messages.len());
        let mut c_size = Vec::with_capacity(messages.len());
        let mut c_blob = Vec::with_capacity(messages.len());
        let mut c_thread = Vec::with_capacity(messages.len());
        let mut c_meta = Vec::with_capacity(messages.len());
        let mut c_prefix: Vec<Option<&[u8]>> = Vec::with_capacity(messages.len());
        let mut h_ids: Vec<i64> = Vec::with_capacity(messages.len());
        let mut h_data: Vec<&[u8]> = Vec::with_capacity(messages.len());
        for (m, &id) in messages.iter().zip(msg_ids.iter()) {
            let mb = mailboxes
                .get_mut(&m.mailbox_id)
                .ok_or_else(|| StoreError::NotFound(format!("mailbox {}", m.mailbox_id)))?;
            let uid = mb.uidnext;
            mb.uidnext = uid.checked_add(1).ok_or_else(|| {
                StoreError::Conflict(format!("mailbox {} has run out of UIDs", m.mailbox_id))
            })?;
            let refs = m
                .meta
                .sort
                .in_reply_to
                .iter()
                .chain(m.meta.sort.references.iter().rev());
            let thread = refs
                .filter_map(|r| threads.get(&norm_msgid(r)).copied())
                .next()
                .unwrap_or(id);
            let own = m
                .meta
                .sort
                .message_id
                .as_deref()
                .or(m.meta.envelope.message_id.as_deref())
                .map(norm_msgid);
            if let Some(own) = own.filter(|s| !s.is_empty())
                && !threads.contains_key(&own)
            {
                threads.insert(own.clone(), thread);
                new_thread_keys.push(own);
                new_thread_ids.push(thread);
            }
            let flags = i32::from(m.flags.system & flag::ALL);
            let size = to_i64(m.size);
            let d = deltas.entry(m.mailbox_id).or_default();
            d.uidnext = Some(i64::from(mb.uidnext));
            d.count += 1;
            d.size += size;
            if is_unseen(flags) {
                d.unseen += 1;
            }
            added.entry(m.mailbox_id).or_default().push(uid);
            let meta = serde_json::to_string(&m.meta)
                .map_err(|e| StoreError::Backend(format!("message metadata does not serialise: {e}")))?;
            c_mailbox.push(m.mailbox_id);
            c_uid.push(i64::from(uid));
            c_flags.push(flags);
            c_keywords.push(m.flags.keywords_text());
            c_idate.push(m.internal_date);
            c_size.push(size);
            c_blob.push(m.blob_id.as_str());
            c_thread.push(thread);
            c_meta.push(meta);
            c_prefix.push(m.prefix.as_deref().filter(|p| !p.is_empty()));
            if let Some(h) = &m.header {
                h_ids.push(id);
                h_data.push(h);
            }
            out.push(Appended {
                mailbox_id: m.mailbox_id,
                uidvalidity: mb.uidvalidity,
                uid,
                message_id: id,
                modseq,
            });
        }
        let changes: Vec<Change> = added
            .into_iter()
            .map(|(mb, uids)| Change::with_uids(mb, ChangeKind::MessagesAdded, uids))
            .collect();
        let modseq_i = to_i64(modseq);
        let needed_i = to_i64(needed);
        let d = DeltaArrays::new(modseq, &deltas);
        let j = JournalRows::new(account, modseq, &changes);
        let st_insert = prep(
            &tx,
            "INSERT INTO messages (id, account_id, mailbox_id, uid, flags, keywords, modseq, internal_date, \
             save_date, size, blob_id, thread_id) \
             SELECT t.id, $1, t.mb, t.uid, t.fl, t.kw, $2, t.idate, $3, t.size, t.blob, t.thread \
             FROM unnest($4::bigint[], $5::bigint[], $6::bigint[], $7::int[], $8::text[], $9::bigint[], \
             $10::bigint[], $11::text[], $12::bigint[]) \
             AS t(id, mb, uid, fl, kw, idate, size, blob, thread)",
            "append",
        )
        .await?;
        let st_meta = prep(
            &tx,
            "INSERT INTO message_meta (message_id, meta, prefix) \
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::bytea[])",
            "append metadata",
        )
        .await?;
        let st_headers = prep(
            &tx,
            "INSERT INTO message_headers (message_id, header) SELECT * FROM unnest($1::bigint[], $2::bytea[])",
            "append headers",
        )
        .await?;
        let st_thread_map = prep(
            &tx,
            "INSERT INTO thread_map (account_id, message_id, thread_id) \
             SELECT $1, k, t FROM unnest($2::text[], $3::bigint[]) AS u(k, t) ON CONFLICT DO NOTHING",
            "threads",
        )
        .await?;
        let st_deltas = prep(&tx, MAILBOX_DELTAS_SQL, "mailbox counters").await?;
        let st_account = prep(&tx, ACCOUNT_DELTA_SQL, "account usage").await?;
        let st_journal = prep(&tx, JOURNAL_SQL, "journal").await?;
        // Metadata rows after their messages (pipeline order, for the foreign key).
        let mut stmts: Vec<(&Statement, Vec<Param<'_>>, &str)> = vec![
            (
                &st_insert,
                vec![
                    &account,
                    &modseq_i,
                    &save_date,
                    &msg_ids,
                    &c_mailbox,
                    &c_uid,
                    &c_flags,
                    &c_keywords,
                    &c_idate,
                    &c_size,
                    &c_blob,
                    &c_thread,
                ],
                "append",
            ),
            (&st_meta, vec![&msg_ids, &c_meta, &c_prefix], "append metadata"),
            (&st_headers, vec![&h_ids, &h_data], "append headers"),
            (&st_deltas, d.params(), "mailbox counters"),
            (&st_account, vec![&account, &needed_i, &n], "account usage"),
            (&st_journal, j.params(), "journal"),
        ];
        if !new_thread_keys.is_empty() {
            stmts.push((
                &st_thread_map,
                vec![&account, &new_thread_keys, &new_thread_ids],
                "threads",
            ));
        }
        pipeline(&tx, &stmts).await?;
        self.finish(tx).await?;
        Ok(out)
    }

    async fn message_summaries(&self, mailbox: MailboxId) -> Result<Vec<MessageSummary>> {
        let client = self.client().await?;
        // One row of four arrays instead of one protocol message per message: the columns come
        // from the covering index `messages_mailbox_uid` (an index-only scan once the table is
        // vacuumed), in binary. The aggregates are fed the same rows in the same order, so the
        // arrays line up; the result is sorted by UID here rather than trusting the scan order.
        let st = client
            .prepare_cached(
                "SELECT COALESCE(array_agg(uid), '{}'), COALESCE(array_agg(flags), '{}'), \
                 COALESCE(array_agg(keywords), '{}'), COALESCE(array_agg(modseq), '{}') \
                 FROM messages WHERE mailbox_id = $1",
            )
            .await
            .map_err(|e| pg_err(e, "messages"))?;
        let row = client
            .query_one(&st, &[&mailbox])
            .await
            .map_err(|e| pg_err(e, "messages"))?;
        let uids: Vec<i64> = row.try_get(0).map_err(|e| pg_err(e, "messages"))?;
        let flags: Vec<i32> = row.try_get(1).map_err(|e| pg_err(e, "messages"))?;
        let keywords: Vec<&str> = row.try_get(2).map_err(|e| pg_err(e, "messages"))?;
        let modseqs: Vec<i64> = row.try_get(3).map_err(|e| pg_err(e, "messages"))?;
        let mut out: Vec<MessageSummary> = uids
            .iter()
            .zip(flags.iter())
            .zip(keywords.iter())
            .zip(modseqs.iter())
            .map(|(((&uid, &fl), kw), &modseq)| MessageSummary {
                uid: to_u32(uid),
                flags: Flags::from_stored(i64::from(fl), kw),
                modseq: to_u64(modseq),
            })
            .collect();
        out.sort_unstable_by_key(|s| s.uid);
        Ok(out)
    }

    async fn message_summaries_in(&self, mailbox: MailboxId, uids: &UidSet) -> Result<Vec<MessageSummary>> {
        let rows = self
            .rows_in(
                "SELECT uid, flags, keywords, modseq FROM messages WHERE mailbox_id = $1",
                mailbox,
                uids,
                "messages",
            )
            .await?;
        Ok(rows.iter().map(summary_from_row).collect())
    }

    async fn messages(&self, mailbox: MailboxId, uids: &UidSet) -> Result<Vec<Message>> {
        // The only read of the metadata table.
        let select = format!(
            "SELECT {MESSAGE_COLS} FROM messages m JOIN message_meta mm ON mm.message_id = m.id \
             WHERE m.mailbox_id = $1"
        );
        let rows = self.rows_in(&select, mailbox, uids, "messages").await?;
        rows.iter().map(message_from_row).collect()
    }

    async fn message_headers(&self, mailbox: MailboxId, uids: &UidSet) -> Result<Vec<HeaderBlock>> {
        let rows = self
            .rows_in(
                "SELECT m.uid, m.size, m.internal_date, h.header FROM messages m \
                 JOIN message_headers h ON h.message_id = m.id WHERE m.mailbox_id = $1",
                mailbox,
                uids,
                "message headers",
            )
            .await?;
        rows.iter()
            .map(|r| {
                let uid: i64 = r.try_get(0).map_err(|e| pg_err(e, "message headers"))?;
                let size: i64 = r.try_get(1).map_err(|e| pg_err(e, "message headers"))?;
                Ok(HeaderBlock {
                    uid: to_u32(uid),
                    size: to_u64(size),
                    internal_date: r.try_get(2).map_err(|e| pg_err(e, "message headers"))?,
                    header: r.try_get(3).map_err(|e| pg_err(e, "message headers"))?,
                })
            })
            .collect()
    }

    async fn store_flags(
        &self,
        account: AccountId,
        mailbox: MailboxId,
        uids: &UidSet,
        op: FlagOp,
        flags: &Flags,
        unchanged_since: Option<ModSeq>,
    ) -> Result<FlagUpdate> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let Some(f) = UidFilter::new(uids) else {
            lock_one(&tx, account, mailbox).await?;
            tx.rollback().await.map_err(|e| pg_err(e, "rollback"))?;
            return Ok(FlagUpdate::default());
        };
        if unchanged_since.is_none() && flags.keywords.is_empty() {
            return self
                .store_system_flags(tx, account, mailbox, &f, op, flags.system)
                .await;
        }
        // The locks and the current flags in one round trip; the server runs the SELECT once
        // the locks are granted, so it reads the latest committed flags (no lost update).
        let st_lock = prep(&tx, LOCK_SQL, "mailbox").await?;
        let sql = format!(
            "SELECT uid, flags, keywords, modseq FROM messages WHERE mailbox_id = $1{} ORDER BY uid",
            f.sql(2)
        );
        let st_sel = prep(&tx, &sql, "messages").await?;
        let mut params: Vec<Param<'_>> = vec![&mailbox];
        params.extend(f.params());
        let ids = [mailbox];
        let (locked, rows) = join(
            tx.query(&st_lock, &[&account, &&ids[..]]),
            tx.query(&st_sel, &params),
        )
        .await;
        let locked = locked.map_err(|e| pg_err(e, "mailbox"))?;
        let (lock, _) = parse_lock(&locked, account, &ids)?;
        let rows = rows.map_err(|e| pg_err(e, "messages"))?;
        let modseq = lock.modseq;

        let mut update = FlagUpdate::default();
        let mut unseen_delta: i64 = 0;
        let (mut u_uid, mut u_flags, mut u_kw) = (Vec::new(), Vec::new(), Vec::new());
        for r in &rows {
            let old = summary_from_row(r);
            // RFC 7162 §3.1.3: UNCHANGEDSINCE fails for messages modified after the given value.
            if unchanged_since.is_some_and(|since| old.modseq > since) {
                update.modified.push(old.uid);
                continue;
            }
            let new = old.flags.apply(op, flags);
            if new == old.flags {
                continue;
            }
            match (old.flags.has(flag::SEEN), new.has(flag::SEEN)) {
                (true, false) => unseen_delta += 1,
                (false, true) => unseen_delta -= 1,
                _ => {}
            }
            u_uid.push(i64::from(old.uid));
            u_flags.push(i32::from(new.system));
            u_kw.push(new.keywords_text());
            update.changed.push(MessageSummary {
                uid: old.uid,
                flags: new,
                modseq,
            });
        }
        if update.changed.is_empty() {
            // Nothing changes: no new modseq, no journal entry.
            tx.rollback().await.map_err(|e| pg_err(e, "rollback"))?;
            return Ok(update);
        }
        let (deltas, changes) = flags_changed(mailbox, unseen_delta, &update.changed);
        let modseq_i = to_i64(modseq);
        let d = DeltaArrays::new(modseq, &deltas);
        let j = JournalRows::new(account, modseq, &changes);
        let st_update = prep(
            &tx,
            "UPDATE messages m SET flags = u.fl, keywords = u.kw, modseq = $2 \
             FROM unnest($3::bigint[], $4::int[], $5::text[]) AS u(uid, fl, kw) \
             WHERE m.mailbox_id = $1 AND m.uid = u.uid",
            "flags",
        )
        .await?;
        let st_deltas = prep(&tx, MAILBOX_DELTAS_SQL, "mailbox counters").await?;
        let st_journal = prep(&tx, JOURNAL_SQL, "journal").await?;
        pipeline(
            &tx,
            &[
                (
                    &st_update,
                    vec![&mailbox, &modseq_i, &u_uid, &u_flags, &u_kw],
                    "flags",
                ),
                (&st_deltas, d.params(), "mailbox counters"),
                (&st_journal, j.params(), "journal"),
            ],
        )
        .await?;
        self.finish(tx).await?;
        update.modseq = modseq;
        Ok(update)
    }

    async fn copy(
        &self,
        account: AccountId,
        from: MailboxId,
        uids: &UidSet,
        to: MailboxId,
    ) -> Result<CopyResult> {
        self.copy_or_move(account, from, uids, to, false).await
    }

    async fn move_messages(
        &self,
        account: AccountId,
        from: MailboxId,
        uids: &UidSet,
        to: MailboxId,
    ) -> Result<CopyResult> {
        self.copy_or_move(account, from, uids, to, true).await
    }

    async fn expunge(
        &self,
        account: AccountId,
        mailbox: MailboxId,
        uids: Option<&UidSet>,
    ) -> Result<Vec<Uid>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        let all = UidSet::all();
        let Some(f) = UidFilter::new(uids.unwrap_or(&all)) else {
            lock_one(&tx, account, mailbox).await?;
            tx.rollback().await.map_err(|e| pg_err(e, "rollback"))?;
            return Ok(Vec::new());
        };
        // The locks and the DELETE in one round trip (the server runs the DELETE once the locks
        // are granted). Metadata rows go with their messages (ON DELETE CASCADE).
        let st_lock = prep(&tx, LOCK_SQL, "mailbox").await?;
        let sql = format!(
            "DELETE FROM messages WHERE mailbox_id = $1 AND (flags & {}) <> 0{} RETURNING uid, flags, size",
            flag::DELETED,
            f.sql(2)
        );
        let st_delete = prep(&tx, &sql, "expunge").await?;
        let mut params: Vec<Param<'_>> = vec![&mailbox];
        params.extend(f.params());
        let ids = [mailbox];
        let (locked, rows) = join(
            tx.query(&st_lock, &[&account, &&ids[..]]),
            tx.query(&st_delete, &params),
        )
        .await;
        let locked = locked.map_err(|e| pg_err(e, "mailbox"))?;
        let (lock, _) = parse_lock(&locked, account, &ids)?;
        let rows = rows.map_err(|e| pg_err(e, "expunge"))?;
        if rows.is_empty() {
            tx.rollback().await.map_err(|e| pg_err(e, "rollback"))?;
            return Ok(Vec::new());
        }
        let modseq = lock.modseq;
        let mut gone: Vec<i64> = Vec::with_capacity(rows.len());
        let (mut bytes, mut unseen) = (0i64, 0i64);
        for r in &rows {
            gone.push(r.get(0));
            if is_unseen(r.get(1)) {
                unseen += 1;
            }
            bytes += r.get::<_, i64>(2);
        }
        gone.sort_unstable();
        let n = gone.len() as i64;
        let mut deltas = BTreeMap::new();
        deltas.insert(
            mailbox,
            MailboxDelta {
                uidnext: None,
                count: -n,
                unseen: -unseen,
                size: -bytes,
            },
        );
        let uids: Vec<Uid> = gone.iter().map(|&u| to_u32(u)).collect();
        let changes = [Change::with_uids(
            mailbox,
            ChangeKind::MessagesExpunged,
            uids.iter().copied(),
        )];
        let (modseq_i, minus_bytes, minus_n) = (to_i64(modseq), -bytes, -n);
        let d = DeltaArrays::new(modseq, &deltas);
        let j = JournalRows::new(account, modseq, &changes);
        let st_tomb = prep(&tx, TOMBSTONES_SQL, "tombstones").await?;
        let st_deltas = prep(&tx, MAILBOX_DELTAS_SQL, "mailbox counters").await?;
        let st_account = prep(&tx, ACCOUNT_DELTA_SQL, "account usage").await?;
        let st_journal = prep(&tx, JOURNAL_SQL, "journal").await?;
        pipeline(
            &tx,
            &[
                (&st_tomb, vec![&mailbox, &modseq_i, &gone], "tombstones"),
                (&st_deltas, d.params(), "mailbox counters"),
                (
                    &st_account,
                    vec![&account, &minus_bytes, &minus_n],
                    "account usage",
                ),
                (&st_journal, j.params(), "journal"),
            ],
        )
        .await?;
        self.finish(tx).await?;
        Ok(uids)
    }

    async fn mailbox_changes(&self, mailbox: MailboxId, since: ModSeq) -> Result<MailboxChanges> {
        let mut client = self.client().await?;
        // One snapshot for the three reads, so they agree with each other; the reads are
        // pipelined (one round trip).
        let tx = crate::snapshot(&mut client).await?;
        let since = to_i64(since);
        let st_mb = prep(
            &tx,
            "SELECT highest_modseq FROM mailboxes WHERE id = $1",
            "mailbox",
        )
        .await?;
        let st_changed = prep(
            &tx,
            "SELECT uid, flags, keywords, modseq FROM messages WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid",
            "messages",
        )
        .await?;
        let st_vanished = prep(
            &tx,
            "SELECT uid FROM tombstones WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid",
            "tombstones",
        )
        .await?;
        let (mb, changed, vanished) = join3(
            tx.query_opt(&st_mb, &[&mailbox]),
            tx.query(&st_changed, &[&mailbox, &since]),
            tx.query(&st_vanished, &[&mailbox, &since]),
        )
        .await;
        let highest: i64 = mb
            .map_err(|e| pg_err(e, "mailbox"))?
            .ok_or_else(|| StoreError::NotFound(format!("mailbox {mailbox}")))?
            .get(0);
        let changed = changed.map_err(|e| pg_err(e, "messages"))?;
        let vanished = vanished.map_err(|e| pg_err(e, "tombstones"))?;
        tx.commit().await.map_err(|e| pg_err(e, "commit"))?;
        Ok(MailboxChanges {
            changed: changed.iter().map(summary_from_row).collect(),
            vanished: vanished.iter().map(|r| to_u32(r.get(0))).collect(),
            highest_modseq: to_u64(highest),
        })
    }

    // ---- Access control lists and per-user \Seen (see `store_impl/acl.rs`) ------------------

    async fn acl_set(
        &self,
        owner: AccountId,
        mailbox: MailboxId,
        identifier: &str,
        rights: &str,
    ) -> Result<ModSeq> {
        self.acl_set_impl(owner, mailbox, identifier, rights).await
    }

    async fn acl_delete(&self, owner: AccountId, mailbox: MailboxId, identifier: &str) -> Result<ModSeq> {
        self.acl_delete_impl(owner, mailbox, identifier).await
    }

    async fn acl_list(&self, mailbox: MailboxId) -> Result<Vec<AclEntry>> {
        self.acl_list_impl(mailbox).await
    }

    async fn acl_shared_with(&self, identifiers: &[String]) -> Result<Vec<SharedMailbox>> {
        self.acl_shared_with_impl(identifiers).await
    }

    async fn private_seen(&self, viewer: AccountId, mailbox: MailboxId) -> Result<UidSet> {
        self.private_seen_impl(viewer, mailbox).await
    }

    async fn private_seen_changes(
        &self,
        viewer: AccountId,
        mailbox: MailboxId,
        since: ModSeq,
    ) -> Result<Vec<PrivateSeen>> {
        self.private_seen_changes_impl(viewer, mailbox, since).await
    }

    async fn private_seen_store(
        &self,
        viewer: AccountId,
        mailbox: MailboxId,
        uids: &UidSet,
        seen: bool,
    ) -> Result<SeenUpdate> {
        self.private_seen_store_impl(viewer, mailbox, uids, seen).await
    }

    async fn private_unseen_count(&self, viewer: AccountId, mailbox: MailboxId) -> Result<u32> {
        self.private_unseen_count_impl(viewer, mailbox).await
    }

    // ---- Quota ---------------------------------------------------------------------------

    async fn quota(&self, account: AccountId) -> Result<QuotaUsage> {
        let client = self.client().await?;
        let st = client
            .prepare_cached("SELECT used_bytes, quota_bytes, message_count FROM accounts WHERE id = $1")
            .await
            .map_err(|e| pg_err(e, "account"))?;
        let r = client
            .query_opt(&st, &[&account])
            .await
            .map_err(|e| pg_err(e, "account"))?
            .ok_or_else(|| StoreError::NotFound(format!("account {account}")))?;
        Ok(QuotaUsage {
            used_bytes: to_u64(r.get(0)),
            limit_bytes: r.get::<_, Option<i64>>(1).map(to_u64),
            message_count: to_u64(r.get(2)),
        })
    }

    // ---- Metadata (RFC 5464) -------------------------------------------------------------

    async fn metadata_set(
        &self,
        account: AccountId,
        mailbox: Option<MailboxId>,
        entries: &[(String, Option<Vec<u8>>)],
        limits: MetadataLimits,
    ) -> Result<MetadataSetOutcome> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        // The account row lock (held to commit) serialises this check with every other writer
        // of the account; a refused change rolls back (the modseq is not consumed).
        let lock = match mailbox {
            // Another account's mailbox is NotFound here, as in SQLite (the Store contract).
            Some(id) => {
                lock_one(&tx, account, id)
                    .await
                    .map_err(|e| match e {
                        StoreError::Invalid { .. } => StoreError::NotFound(format!("mailbox {id}")),
                        e => e,
                    })?
                    .0
            }
            None => bump(&tx, account).await?,
        };
        let rows = tx
            .query(
                "SELECT name, octet_length(name) + octet_length(value) FROM metadata \
                 WHERE account_id = $1 AND mailbox_id IS NOT DISTINCT FROM $2",
                &[&account, &mailbox],
            )
            .await
            .map_err(|e| pg_err(e, "metadata"))?;
        let current: Vec<(String, u64)> = rows
            .iter()
            .map(|r| (r.get(0), to_u64(i64::from(r.get::<_, i32>(1)))))
            .collect();
        let usage = metadata_usage_of(&tx, account).await?;
        let outcome = metadata_check(&current, usage.bytes, entries, &limits);
        if outcome != MetadataSetOutcome::Stored {
            return Ok(outcome);
        }
        // A name given twice: the last value wins (as when the entries are applied in order).
        let mut last: BTreeMap<String, Option<&[u8]>> = BTreeMap::new();
        for (name, value) in entries {
            last.insert(metadata_name(name), value.as_deref());
        }
        let names: Vec<&str> = last.keys().map(String::as_str).collect();
        let (ins_names, ins_values): (Vec<&str>, Vec<&[u8]>) = last
            .iter()
            .filter_map(|(n, v)| v.map(|v| (n.as_str(), v)))
            .unzip();
        tx.execute(
            "DELETE FROM metadata WHERE account_id = $1 AND mailbox_id IS NOT DISTINCT FROM $2 \
             AND name = ANY($3::text[])",
            &[&account, &mailbox, &names],
        )
        .await
        .map_err(|e| pg_err(e, "metadata"))?;
        tx.execute(
            "INSERT INTO metadata (account_id, mailbox_id, name, value) \
             SELECT $1, $2, n, v FROM unnest($3::text[], $4::bytea[]) AS e(n, v)",
            &[&account, &mailbox, &ins_names, &ins_values],
        )
        .await
        .map_err(|e| pg_err(e, "metadata"))?;
        self.commit(
            tx,
            account,
            lock.modseq,
            vec![Change::new(mailbox, ChangeKind::Metadata)],
        )
        .await?;
        Ok(MetadataSetOutcome::Stored)
    }

    async fn metadata_get(
        &self,
        account: AccountId,
        mailbox: Option<MailboxId>,
    ) -> Result<Vec<MetadataEntry>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT name, value FROM metadata WHERE account_id = $1 \
                 AND mailbox_id IS NOT DISTINCT FROM $2 ORDER BY name COLLATE \"C\"",
                &[&account, &mailbox],
            )
            .await
            .map_err(|e| pg_err(e, "metadata"))?;
        Ok(rows
            .iter()
            .map(|r| MetadataEntry {
                mailbox_id: mailbox,
                name: r.get(0),
                value: r.get(1),
            })
            .collect())
    }

    async fn metadata_usage(&self, account: AccountId) -> Result<MetadataUsage> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(e, "transaction"))?;
        metadata_usage_of(&tx, account).await
    }

    // ---- Outbound queue, delegations, DKIM keys, duplicate suppression (see `queue.rs`) ----

    async fn queue_enqueue(&self, msg: malt_store::NewQueuedMessage) -> Result<malt_store::QueueId> {
        self.queue_enqueue_impl(msg).await
    }

    async fn queue_claim(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<malt_store::QueuedMessage>> {
        self.queue_claim_impl(now, lease_until, limit).await
    }

    async fn queue_update(
        &self,
        id: malt_store::QueueId,
        updates: Vec<malt_store::RecipientUpdate>,
    ) -> Result<()> {
        self.queue_update_impl(id, updates).await
    }

    async fn queue_release(&self, id: malt_store::QueueId) -> Result<()> {
        self.queue_release_impl(id).await
    }

    async fn queue_get(&self, id: malt_store::QueueId) -> Result<Option<malt_store::QueuedMessage>> {
        self.queue_get_impl(id).await
    }

    async fn queue_list(&self) -> Result<Vec<malt_store::QueuedMessage>> {
        self.queue_list_impl().await
    }

    async fn queue_hold(&self, id: malt_store::QueueId, held: bool) -> Result<()> {
        self.queue_hold_impl(id, held).await
    }

    async fn queue_retry_now(&self, id: Option<malt_store::QueueId>, now: i64) -> Result<u64> {
        self.queue_retry_now_impl(id, now).await
    }

    async fn queue_delete(&self, id: malt_store::QueueId) -> Result<()> {
        self.queue_delete_impl(id).await
    }

    async fn queue_next_due(&self) -> Result<Option<i64>> {
        self.queue_next_due_impl().await
    }

    async fn delegation_add(
        &self,
        account: AccountId,
        address: &str,
        kind: malt_store::DelegationKind,
    ) -> Result<()> {
        self.delegation_add_impl(account, address, kind).await
    }

    async fn delegation_remove(&self, account: AccountId, address: &str) -> Result<()> {
        self.delegation_remove_impl(account, address).await
    }

    async fn delegation_list(&self, account: Option<AccountId>) -> Result<Vec<malt_store::Delegation>> {
        self.delegation_list_impl(account).await
    }

    async fn dkim_key_put(&self, key: malt_store::DkimKey) -> Result<()> {
        self.dkim_key_put_impl(key).await
    }

    async fn dkim_key_get(&self, domain: &str) -> Result<Option<malt_store::DkimKey>> {
        self.dkim_key_get_impl(domain).await
    }

    async fn dkim_key_list(&self) -> Result<Vec<malt_store::DkimKey>> {
        self.dkim_key_list_impl().await
    }

    async fn dkim_key_delete(&self, domain: &str, selector: &str) -> Result<()> {
        self.dkim_key_delete_impl(domain, selector).await
    }

    async fn sieve_duplicate_seen(&self, account: AccountId, key: &str, now: i64) -> Result<bool> {
        self.sieve_duplicate_seen_impl(account, key, now).await
    }

    async fn sieve_duplicate_record(&self, account: AccountId, key: &str, until: i64) -> Result<()> {
        self.sieve_duplicate_record_impl(account, key, until).await
    }

    async fn sieve_duplicate_purge(&self, now: i64) -> Result<u64> {
        self.sieve_duplicate_purge_impl(now).await
    }

    async fn dedup_check_and_record(
        &self,
        account: AccountId,
        message_id: &str,
        now: i64,
        window_secs: i64,
    ) -> Result<bool> {
        self.dedup_check_and_record_impl(account, message_id, now, window_secs)
            .await
    }

    async fn dedup_purge(&self, before: i64) -> Result<u64> {
        self.dedup_purge_impl(before).await
    }

    async fn dedup_forget(&self, account: AccountId, message_id: &str) -> Result<()> {
        self.dedup_forget_impl(account, message_id).await
    }

    async fn sieve_list(&self, account: AccountId) -> Result<Vec<malt_store::SieveScriptInfo>> {
        self.sieve_list_impl(account).await
    }

    async fn sieve_get(&self, account: AccountId, name: &str) -> Result<Option<malt_store::SieveScript>> {
        self.sieve_get_impl(account, name).await
    }

    async fn sieve_put(
        &self,
        account: AccountId,
        name: &str,
        source: &str,
        max_scripts: usize,
        now: i64,
    ) -> Result<malt_store::SievePutOutcome> {
        self.sieve_put_impl(account, name, source, max_scripts, now).await
    }

    async fn sieve_delete(&self, account: AccountId, name: &str) -> Result<()> {
        self.sieve_delete_impl(account, name).await
    }

    async fn sieve_rename(&self, account: AccountId, from: &str, to: &str) -> Result<()> {
        self.sieve_rename_impl(account, from, to).await
    }

    async fn sieve_activate(&self, account: AccountId, name: Option<&str>) -> Result<()> {
        self.sieve_activate_impl(account, name).await
    }

    async fn sieve_active(&self, account: AccountId) -> Result<Option<malt_store::SieveScript>> {
        self.sieve_active_impl(account).await
    }

    async fn vacation_check_and_record(
        &self,
        account: AccountId,
        handle: &str,
        sender: &str,
        until_unix_secs: i64,
        now: i64,
    ) -> Result<bool> {
        self.vacation_check_and_record_impl(account, handle, sender, until_unix_secs, now)
            .await
    }

    async fn vacation_purge(&self, now: i64) -> Result<u64> {
        self.vacation_purge_impl(now).await
    }

    // ---- Calendars and address books (see `store_impl/dav.rs`) ------------------------------

    async fn dav_collections_create(
        &self,
        account: AccountId,
        new: Vec<NewDavCollection>,
    ) -> Result<Vec<DavCollection>> {
        self.dav_collections_create_impl(account, new).await
    }

    async fn dav_collection_list(&self, account: AccountId) -> Result<Vec<DavCollection>> {
        self.dav_collection_list_impl(account).await
    }

    async fn dav_collection_get(&self, account: AccountId, name: &str) -> Result<Option<DavCollection>> {
        self.dav_collection_get_impl(account, name).await
    }

    async fn dav_collection_by_id(&self, id: DavCollectionId) -> Result<Option<DavCollection>> {
        self.dav_collection_by_id_impl(id).await
    }

    async fn dav_collection_rename(
        &self,
        account: AccountId,
        id: DavCollectionId,
        new_name: &str,
    ) -> Result<DavCollection> {
        self.dav_collection_rename_impl(account, id, new_name).await
    }

    async fn dav_collection_update(
        &self,
        account: AccountId,
        id: DavCollectionId,
        patch: &DavCollectionPatch,
    ) -> Result<DavCollection> {
        self.dav_collection_update_impl(account, id, patch).await
    }

    async fn dav_collection_delete(&self, account: AccountId, id: DavCollectionId) -> Result<()> {
        self.dav_collection_delete_impl(account, id).await
    }

    async fn dav_object_put(
        &self,
        account: AccountId,
        collection: DavCollectionId,
        object: NewDavObject,
        condition: EtagCondition,
    ) -> Result<DavPutOutcome> {
        self.dav_object_put_impl(account, collection, object, condition)
            .await
    }

    async fn dav_object_get(&self, collection: DavCollectionId, name: &str) -> Result<Option<DavObject>> {
        self.dav_object_get_impl(collection, name).await
    }

    async fn dav_object_by_uid(&self, collection: DavCollectionId, uid: &str) -> Result<Option<DavObject>> {
        self.dav_object_by_uid_impl(collection, uid).await
    }

    async fn dav_object_by_uid_in_account(
        &self,
        account: AccountId,
        kind: DavCollectionKind,
        uid: &str,
        except: Option<DavCollectionId>,
    ) -> Result<Option<DavObject>> {
        self.dav_object_by_uid_in_account_impl(account, kind, uid, except)
            .await
    }

    async fn dav_object_multiget(
        &self,
        collection: DavCollectionId,
        names: &[String],
    ) -> Result<Vec<DavObject>> {
        self.dav_object_multiget_impl(collection, names).await
    }

    async fn dav_object_list(&self, collection: DavCollectionId) -> Result<Vec<DavObjectInfo>> {
        self.dav_object_list_impl(collection).await
    }

    async fn dav_object_delete(
        &self,
        account: AccountId,
        collection: DavCollectionId,
        name: &str,
        condition: EtagCondition,
    ) -> Result<DavDeleteOutcome> {
        self.dav_object_delete_impl(account, collection, name, condition)
            .await
    }

    async fn dav_object_move(
        &self,
        account: AccountId,
        from: DavCollectionId,
        name: &str,
        to: DavCollectionId,
        new_name: &str,
        source: EtagCondition,
        overwrite: bool,
    ) -> Result<DavPutOutcome> {
        self.dav_object_move_impl(account, from, name, to, new_name, source, overwrite)
            .await
    }

    async fn dav_objects_in_span(
        &self,
        collection: DavCollectionId,
        start: i64,
        end: i64,
    ) -> Result<Vec<DavObject>> {
        self.dav_objects_in_span_impl(collection, start, end).await
    }

    async fn dav_changes(
        &self,
        collection: DavCollectionId,
        since: ModSeq,
        limit: u32,
    ) -> Result<DavChanges> {
        self.dav_changes_impl(collection, since, limit).await
    }

    // ---- Sharing of calendars and address books (see `store_impl/dav_share.rs`) ------------

    async fn dav_share_set(
        &self,
        owner: AccountId,
        collection: DavCollectionId,
        sharee: &str,
        access: DavAccess,
        note: &DavShareNote,
        sharee_accounts: &[AccountId],
    ) -> Result<DavShare> {
        self.dav_share_set_impl(owner, collection, sharee, access, note, sharee_accounts)
            .await
    }

    async fn dav_share_remove(
        &self,
        owner: AccountId,
        collection: DavCollectionId,
        sharee: &str,
        sharee_accounts: &[AccountId],
    ) -> Result<ModSeq> {
        self.dav_share_remove_impl(owner, collection, sharee, sharee_accounts)
            .await
    }

    async fn dav_share_list(&self, collection: DavCollectionId) -> Result<Vec<DavShare>> {
        self.dav_share_list_impl(collection).await
    }

    async fn dav_share_answer(
        &self,
        account: AccountId,
        identifiers: &[String],
        collection: DavCollectionId,
        status: DavShareStatus,
        display_name: Option<&str>,
    ) -> Result<ModSeq> {
        self.dav_share_answer_impl(account, identifiers, collection, status, display_name)
            .await
    }

    async fn dav_shared_with(
        &self,
        account: AccountId,
        identifiers: &[String],
    ) -> Result<Vec<DavSharedCollection>> {
        self.dav_shared_with_impl(account, identifiers).await
    }

    async fn dav_share_invite_dismiss(
        &self,
        account: AccountId,
        identifiers: &[String],
        collection: DavCollectionId,
    ) -> Result<ModSeq> {
        self.dav_share_invite_dismiss_impl(account, identifiers, collection)
            .await
    }

    async fn dav_share_replies(&self, owner: AccountId) -> Result<Vec<DavShareReply>> {
        self.dav_share_replies_impl(owner).await
    }

    async fn dav_share_reply_dismiss(
        &self,
        owner: AccountId,
        collection: DavCollectionId,
        account: AccountId,
    ) -> Result<ModSeq> {
        self.dav_share_reply_dismiss_impl(owner, collection, account)
            .await
    }

    async fn dav_sharee_props(&self, account: AccountId) -> Result<Vec<DavShareeProp>> {
        self.dav_sharee_props_impl(account).await
    }

    async fn dav_sharee_props_set(
        &self,
        account: AccountId,
        identifiers: &[String],
        collection: DavCollectionId,
        props: &[(String, Option<String>)],
    ) -> Result<()> {
        self.dav_sharee_props_set_impl(account, identifiers, collection, props)
            .await
    }

    async fn dav_access(
        &self,
        account: AccountId,
        identifiers: &[String],
        collection: DavCollectionId,
    ) -> Result<Option<DavAccess>> {
        self.dav_access_impl(account, identifiers, collection).await
    }

    // ---- Journal -------------------------------------------------------------------------

    async fn journal_after(&self, after: i64, limit: u32) -> Result<Vec<JournalEntry>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(
                "SELECT id, account_id, modseq, mailbox_id, kind, uids, collection_id FROM journal WHERE id > $1 \
                 ORDER BY id LIMIT $2",
            )
            .await
            .map_err(|e| pg_err(e, "journal"))?;
        let rows = client
            .query(&st, &[&after, &i64::from(limit)])
            .await
            .map_err(|e| pg_err(e, "journal"))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let kind: String = r.get(4);
            let uids: String = r.get(5);
            out.push(JournalEntry {
                id: r.get(0),
                account_id: r.get(1),
                modseq: to_u64(r.get(2)),
                mailbox_id: r.get(3),
                kind: ChangeKind::parse(&kind)
                    .ok_or_else(|| StoreError::Backend(format!("unknown journal kind {kind:?}")))?,
                uids: UidSet::parse_imap(&uids)
                    .ok_or_else(|| StoreError::Backend(format!("bad journal uid set {uids:?}")))?,
                collection_id: r.get(6),
            });
        }
        Ok(out)
    }

    async fn journal_head(&self) -> Result<i64> {
        let client = self.client().await?;
        let st = client
            .prepare_cached("SELECT COALESCE(max(id), 0)::bigint FROM journal")
            .await
            .map_err(|e| pg_err(e, "journal"))?;
        let r = client
            .query_one(&st, &[])
            .await
            .map_err(|e| pg_err(e, "journal"))?;
        Ok(r.get(0))
    }

    // ---- Maintenance ---------------------------------------------------------------------

    async fn referenced_blobs(&self) -> Result<Vec<String>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT blob_id FROM messages UNION SELECT blob_id FROM queue_messages ORDER BY blob_id",
                &[],
            )
            .await
            .map_err(|e| pg_err(e, "messages"))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn check_consistency(&self) -> Result<CheckReport> {
        let mut client = self.client().await?;
        let tx = crate::snapshot(&mut client).await?;
        let counts = tx
            .query_one(
                "SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM mailboxes), \
                 (SELECT count(*) FROM messages)",
                &[],
            )
            .await
            .map_err(|e| pg_err(e, "check"))?;
        let mut report = CheckReport {
            accounts: to_u64(counts.get(0)),
            mailboxes: to_u64(counts.get(1)),
            messages: to_u64(counts.get(2)),
            problems: Vec::new(),
        };
        let rows = tx
            .query(
                "SELECT b.id, b.name, b.message_count, b.unseen_count, b.total_size, b.uidnext, b.highest_modseq, \
                 COALESCE(s.n, 0), COALESCE(s.unseen, 0), COALESCE(s.size, 0), COALESCE(s.max_uid, 0), \
                 COALESCE(s.max_modseq, 0) \
                 FROM mailboxes b LEFT JOIN ( \
                   SELECT mailbox_id, count(*) AS n, count(*) FILTER (WHERE flags & 1 = 0) AS unseen, \
                   sum(size)::bigint AS size, max(uid) AS max_uid, max(modseq) AS max_modseq \
                   FROM messages GROUP BY mailbox_id) s ON s.mailbox_id = b.id \
                 WHERE b.message_count <> COALESCE(s.n, 0) OR b.unseen_count <> COALESCE(s.unseen, 0) \
                 OR b.total_size <> COALESCE(s.size, 0) OR b.uidnext <= COALESCE(s.max_uid, 0) \
                 OR b.highest_modseq < COALESCE(s.max_modseq, 0) ORDER BY b.id",
                &[],
            )
            .await
            .map_err(|e| pg_err(e, "check"))?;
        for r in &rows {
            let (id, name): (i64, String) = (r.get(0), r.get(1));
            let pairs = [
                ("message count", r.get::<_, i64>(2), r.get::<_, i64>(7)),
                ("unseen count", r.get(3), r.get(8)),
                ("total size", r.get(4), r.get(9)),
            ];
            for (what, stored, actual) in pairs {
                if stored != actual {
                    report.problems.push(format!(
                        "mailbox {id} ({name}): {what} is {stored}, should be {actual}"
                    ));
                }
            }
            let (uidnext, max_uid): (i64, i64) = (r.get(5), r.get(10));
            if uidnext <= max_uid {
                report.problems.push(format!(
                    "mailbox {id} ({name}): UIDNEXT {uidnext} is not above UID {max_uid}"
                ));
            }
            let (hms, max_ms): (i64, i64) = (r.get(6), r.get(11));
            if hms < max_ms {
                report.problems.push(format!(
                    "mailbox {id} ({name}): HIGHESTMODSEQ {hms} is below a message's modseq {max_ms}"
                ));
            }
        }
        let rows = tx
            .query(
                "SELECT a.id, a.address, a.used_bytes, a.message_count, a.modseq, \
                 COALESCE(s.size, 0) + COALESCE(d.size, 0), COALESCE(s.n, 0), \
                 GREATEST(COALESCE(s.max_modseq, 0), COALESCE(b.max_modseq, 0), COALESCE(d.max_modseq, 0)) \
                 FROM accounts a \
                 LEFT JOIN (SELECT account_id, sum(size)::bigint AS size, count(*) AS n, max(modseq) AS max_modseq \
                            FROM messages GROUP BY account_id) s ON s.account_id = a.id \
                 LEFT JOIN (SELECT account_id, max(highest_modseq) AS max_modseq FROM mailboxes \
                            GROUP BY account_id) b ON b.account_id = a.id \
                 LEFT JOIN (SELECT c.account_id, sum(o.size)::bigint AS size, max(c.highest_modseq) AS max_modseq \
                            FROM dav_collections c LEFT JOIN dav_objects o ON o.collection_id = c.id \
                            GROUP BY c.account_id) d ON d.account_id = a.id \
                 ORDER BY a.id",
                &[],
            )
            .await
            .map_err(|e| pg_err(e, "check"))?;
        for r in &rows {
            let (id, address): (i64, String) = (r.get(0), r.get(1));
            let (used, count, modseq): (i64, i64, i64) = (r.get(2), r.get(3), r.get(4));
            let (size, n, max_modseq): (i64, i64, i64) = (r.get(5), r.get(6), r.get(7));
            if used != size {
                report.problems.push(format!(
                    "account {id} ({address}): used bytes is {used}, should be {size}"
                ));
            }
            if count != n {
                report.problems.push(format!(
                    "account {id} ({address}): message count is {count}, should be {n}"
                ));
            }
            if modseq < max_modseq {
                report.problems.push(format!(
                    "account {id} ({address}): modseq {modseq} is below a mailbox's or collection's {max_modseq}"
                ));
            }
        }
        dav::check(&tx, &mut report).await?;
        tx.commit().await.map_err(|e| pg_err(e, "commit"))?;
        Ok(report)
    }
}
