//! [`Store`] for [`PgStore`]. Mutations follow one pattern:
//!
//! 1. `UPDATE accounts SET modseq = modseq + 1 ... RETURNING` — the new modseq and the account
//!    row lock, held to commit, which serialises writers of one account;
//! 2. `SELECT ... FOR UPDATE` of the mailbox rows whose UIDNEXT or counters change;
//! 3. batched statements over `unnest` arrays (never one round trip per message);
//! 4. journal rows and `pg_notify` under the journal advisory lock, then commit.
//!
//! An operation that turns out to change nothing (a STORE that changes no flag, an EXPUNGE with
//! nothing to expunge) rolls back, so the account's modseq is not consumed.

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use malt_store::{
    Account, AccountId, Alias, AppPassword, Appended, ChangeKind, CheckReport, CopyResult, Domain, FlagOp,
    FlagUpdate, Flags, Group, JournalEntry, Mailbox, MailboxChanges, MailboxId, Message, MessageMeta,
    MessageSummary, ModSeq, NewAccount, NewMessage, QuotaUsage, Result, SpecialUse, Store, StoreError, Uid,
    UidSet, flag,
};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::{PgStore, pg_err};

type Tx<'a> = deadpool_postgres::Transaction<'a>;
type Param<'a> = &'a (dyn ToSql + Sync);

const ACCOUNT_COLS: &str =
    "id, address, password_hash, quota_bytes, used_bytes, message_count, modseq, created_at";
const MAILBOX_COLS: &str = "id, account_id, name, role, uidvalidity, uidnext, highest_modseq, message_count, \
                            unseen_count, total_size";
const MESSAGE_COLS: &str = "id, mailbox_id, uid, flags, keywords, modseq, internal_date, save_date, size, \
                            blob_id, thread_id, meta";

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
    let meta: String = r.get(11);
    let meta: MessageMeta = serde_json::from_str(&meta)
        .map_err(|e| StoreError::Backend(format!("message metadata does not parse: {e}")))?;
    let keywords: String = r.get(4);
    Ok(Message {
        id: r.get(0),
        mailbox_id: r.get(1),
        uid: to_u32(r.get(2)),
        flags: Flags::from_stored(i64::from(r.get::<_, i32>(3)), &keywords),
        modseq: to_u64(r.get(5)),
        internal_date: r.get(6),
        save_date: r.get(7),
        size: to_u64(r.get(8)),
        blob_id: r.get(9),
        thread_id: r.get(10),
        meta,
    })
}

fn summary_from_row(r: &Row) -> MessageSummary {
    let keywords: String = r.get(2);
    MessageSummary {
        uid: to_u32(r.get(0)),
        flags: Flags::from_stored(i64::from(r.get::<_, i32>(1)), &keywords),
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

    /// The condition, with parameters numbered from `$first`.
    fn sql(&self, first: usize) -> String {
        let mut s = format!(" AND uid BETWEEN ${} AND ${}", first, first + 1);
        if !self.los.is_empty() {
            s.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM unnest(${}::bigint[], ${}::bigint[]) AS r(lo, hi) \
                 WHERE uid BETWEEN r.lo AND r.hi)",
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

/// Takes the account's row lock and its next modseq (step 1 of every mutation).
async fn bump(tx: &Tx<'_>, account: AccountId) -> Result<AccountLock> {
    let st = tx
        .prepare_cached(
            "UPDATE accounts SET modseq = modseq + 1 WHERE id = $1 RETURNING modseq, quota_bytes, used_bytes",
        )
        .await
        .map_err(|e| pg_err(e, "account"))?;
    let row = tx
        .query_opt(&st, &[&account])
        .await
        .map_err(|e| pg_err(e, "account"))?
        .ok_or_else(|| StoreError::NotFound(format!("account {account}")))?;
    Ok(AccountLock {
        modseq: to_u64(row.get(0)),
        quota: row.get::<_, Option<i64>>(1).map(to_u64),
        used: to_u64(row.get(2)),
    })
}

/// A mailbox locked for update.
struct MailboxLock {
    name: String,
    uidvalidity: u32,
    uidnext: u32,
}

/// Locks a mailbox row, checking that it belongs to `account`.
async fn lock_mailbox(tx: &Tx<'_>, account: AccountId, id: MailboxId) -> Result<MailboxLock> {
    let st = tx
        .prepare_cached(
            "SELECT account_id, name, uidvalidity, uidnext FROM mailboxes WHERE id = $1 FOR UPDATE",
        )
        .await
        .map_err(|e| pg_err(e, "mailbox"))?;
    let row = tx
        .query_opt(&st, &[&id])
        .await
        .map_err(|e| pg_err(e, "mailbox"))?
        .ok_or_else(|| StoreError::NotFound(format!("mailbox {id}")))?;
    let owner: i64 = row.get(0);
    if owner != account {
        return Err(StoreError::Invalid {
            what: "mailbox",
            reason: format!("mailbox {id} does not belong to account {account}"),
        });
    }
    Ok(MailboxLock {
        name: row.get(1),
        uidvalidity: to_u32(row.get(2)),
        uidnext: to_u32(row.get(3)),
    })
}

/// Counter changes of one mailbox within a transaction.
#[derive(Default)]
struct MailboxDelta {
    uidnext: Option<i64>,
    count: i64,
    unseen: i64,
    size: i64,
}

/// Applies counter deltas and sets `highest_modseq` of every mailbox in `deltas`.
async fn apply_mailbox_deltas(
    tx: &Tx<'_>,
    modseq: u64,
    deltas: &BTreeMap<MailboxId, MailboxDelta>,
) -> Result<()> {
    if deltas.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = deltas.keys().copied().collect();
    let uidnext: Vec<Option<i64>> = deltas.values().map(|d| d.uidnext).collect();
    let count: Vec<i64> = deltas.values().map(|d| d.count).collect();
    let unseen: Vec<i64> = deltas.values().map(|d| d.unseen).collect();
    let size: Vec<i64> = deltas.values().map(|d| d.size).collect();
    let st = tx
        .prepare_cached(
            "UPDATE mailboxes m SET uidnext = COALESCE(u.uidnext, m.uidnext), \
             message_count = m.message_count + u.n, unseen_count = m.unseen_count + u.unseen, \
             total_size = m.total_size + u.size, highest_modseq = GREATEST(m.highest_modseq, $1) \
             FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) \
             AS u(id, uidnext, n, unseen, size) WHERE m.id = u.id",
        )
        .await
        .map_err(|e| pg_err(e, "mailbox counters"))?;
    tx.execute(&st, &[&to_i64(modseq), &ids, &uidnext, &count, &unseen, &size])
        .await
        .map_err(|e| pg_err(e, "mailbox counters"))?;
    Ok(())
}

async fn apply_account_delta(tx: &Tx<'_>, account: AccountId, bytes: i64, count: i64) -> Result<()> {
    if bytes == 0 && count == 0 {
        return Ok(());
    }
    let st = tx
        .prepare_cached(
            "UPDATE accounts SET used_bytes = used_bytes + $2, message_count = message_count + $3 WHERE id = $1",
        )
        .await
        .map_err(|e| pg_err(e, "account usage"))?;
    tx.execute(&st, &[&account, &bytes, &count])
        .await
        .map_err(|e| pg_err(e, "account usage"))?;
    Ok(())
}

/// One journal row to write at commit.
struct Change {
    mailbox: Option<MailboxId>,
    kind: ChangeKind,
    uids: UidSet,
}

impl Change {
    fn new(mailbox: Option<MailboxId>, kind: ChangeKind) -> Change {
        Change {
            mailbox,
            kind,
            uids: UidSet::default(),
        }
    }

    fn with_uids(mailbox: MailboxId, kind: ChangeKind, uids: impl IntoIterator<Item = Uid>) -> Change {
        Change {
            mailbox: Some(mailbox),
            kind,
            uids: UidSet::from_uids(uids),
        }
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

impl PgStore {
    /// Writes the journal rows (under the journal advisory lock, so ids commit in order), queues
    /// the NOTIFY, commits and wakes the local change feed.
    async fn commit(&self, tx: Tx<'_>, account: AccountId, modseq: u64, changes: Vec<Change>) -> Result<()> {
        if !changes.is_empty() {
            let lock = tx
                .prepare_cached("SELECT pg_advisory_xact_lock($1)")
                .await
                .map_err(|e| pg_err(e, "journal lock"))?;
            tx.execute(&lock, &[&self.journal_lock])
                .await
                .map_err(|e| pg_err(e, "journal lock"))?;
            let mailboxes: Vec<Option<i64>> = changes.iter().map(|c| c.mailbox).collect();
            let kinds: Vec<&str> = changes.iter().map(|c| c.kind.as_str()).collect();
            let uids: Vec<String> = changes.iter().map(|c| c.uids.to_imap()).collect();
            let st = tx
                .prepare_cached(
                    "WITH j AS (INSERT INTO journal (account_id, modseq, mailbox_id, kind, uids) \
                     SELECT $1, $2, c.m, c.k, c.u FROM unnest($3::bigint[], $4::text[], $5::text[]) \
                     WITH ORDINALITY AS c(m, k, u, o) ORDER BY c.o RETURNING id) \
                     SELECT pg_notify('malt_changes', max(id)::text) FROM j",
                )
                .await
                .map_err(|e| pg_err(e, "journal"))?;
            tx.execute(&st, &[&account, &to_i64(modseq), &mailboxes, &kinds, &uids])
                .await
                .map_err(|e| pg_err(e, "journal"))?;
        }
        tx.commit().await.map_err(|e| pg_err(e, "commit"))?;
        self.notify_local();
        Ok(())
    }

    /// Source rows of a copy or move, by ascending UID.
    async fn source_rows(&self, tx: &Tx<'_>, from: MailboxId, uids: &UidSet) -> Result<Vec<SourceRow>> {
        let Some(f) = UidFilter::new(uids) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT uid, flags, size FROM messages WHERE mailbox_id = $1{} ORDER BY uid",
            f.sql(2)
        );
        let st = tx.prepare_cached(&sql).await.map_err(|e| pg_err(e, "messages"))?;
        let mut params: Vec<Param<'_>> = vec![&from];
        params.extend(f.params());
        let rows = tx.query(&st, &params).await.map_err(|e| pg_err(e, "messages"))?;
        Ok(rows
            .iter()
            .map(|r| SourceRow {
                uid: to_u32(r.get(0)),
                flags: r.get(1),
                size: r.get(2),
            })
            .collect())
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
        let lock = bump(&tx, account).await?;
        // Lock in id order (deadlock-free even without the account lock).
        let (src, dst) = if from <= to {
            let s = lock_mailbox(&tx, account, from).await?;
            let d = if from == to {
                None
            } else {
                Some(lock_mailbox(&tx, account, to).await?)
            };
            (s, d)
        } else {
            let d = lock_mailbox(&tx, account, to).await?;
            (lock_mailbox(&tx, account, from).await?, Some(d))
        };
        let dst = dst.unwrap_or(MailboxLock {
            name: src.name.clone(),
            ..src
        });
        let rows = self.source_rows(&tx, from, uids).await?;
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
        if is_move {
            // The message keeps its row (and id, the EMAILID) and moves to its new place.
            let st = tx
                .prepare_cached(
                    "UPDATE messages m SET mailbox_id = $2, uid = u.n, modseq = $3, save_date = $4 \
                     FROM unnest($5::bigint[], $6::bigint[]) AS u(s, n) \
                     WHERE m.mailbox_id = $1 AND m.uid = u.s",
                )
                .await
                .map_err(|e| pg_err(e, "move"))?;
            tx.execute(
                &st,
                &[&from, &to, &to_i64(modseq), &save_date, &src_uids, &dst_uids],
            )
            .await
            .map_err(|e| pg_err(e, "move"))?;
            let st = tx
                .prepare_cached(
                    "INSERT INTO tombstones (mailbox_id, uid, modseq) SELECT $1, u, $2 FROM unnest($3::bigint[]) AS u \
                     ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = EXCLUDED.modseq",
                )
                .await
                .map_err(|e| pg_err(e, "tombstones"))?;
            tx.execute(&st, &[&from, &to_i64(modseq), &src_uids])
                .await
                .map_err(|e| pg_err(e, "tombstones"))?;
        } else {
            let st = tx
                .prepare_cached(
                    "INSERT INTO messages (account_id, mailbox_id, uid, flags, keywords, modseq, internal_date, \
                     save_date, size, blob_id, thread_id, meta) \
                     SELECT m.account_id, $2, u.n, m.flags, m.keywords, $3, m.internal_date, $4, m.size, \
                     m.blob_id, m.thread_id, m.meta \
                     FROM unnest($5::bigint[], $6::bigint[]) AS u(s, n) \
                     JOIN messages m ON m.mailbox_id = $1 AND m.uid = u.s ORDER BY u.n",
                )
                .await
                .map_err(|e| pg_err(e, "copy"))?;
            tx.execute(
                &st,
                &[&from, &to, &to_i64(modseq), &save_date, &src_uids, &dst_uids],
            )
            .await
            .map_err(|e| pg_err(e, "copy"))?;
            apply_account_delta(&tx, account, total, n).await?;
        }
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
        apply_mailbox_deltas(&tx, modseq, &deltas).await?;
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
        self.commit(tx, account, modseq, changes).await?;
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
        let client = self.client().await?;
        // Mailboxes, messages, tombstones, subscriptions, app passwords, the thread map and the
        // journal go with it (ON DELETE CASCADE).
        let n = client
            .execute("DELETE FROM accounts WHERE id = $1", &[&id])
            .await
            .map_err(|e| pg_err(e, "account"))?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("account {id}")));
        }
        self.notify_local();
        Ok(())
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
        let lock = bump(&tx, account).await?;
        let mb = lock_mailbox(&tx, account, id).await?;
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
        let lock = bump(&tx, account).await?;
        lock_mailbox(&tx, account, id).await?;
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
        let lock = bump(&tx, account).await?;
        let mb = lock_mailbox(&tx, account, id).await?;
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
        apply_account_delta(&tx, account, -bytes, -count).await?;
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
        let lock = bump(&tx, account).await?;
        let modseq = lock.modseq;
        let needed: u64 = messages.iter().map(|m| m.size).fold(0, u64::saturating_add);
        check_quota(&lock, needed)?;

        // Lock each target mailbox once, in id order.
        let mut mailboxes: BTreeMap<MailboxId, MailboxLock> = BTreeMap::new();
        let mut ids: Vec<MailboxId> = messages.iter().map(|m| m.mailbox_id).collect();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            mailboxes.insert(id, lock_mailbox(&tx, account, id).await?);
        }

        // Message ids first: a new message without a known parent starts its own thread, whose
        // id is the message's id.
        let st = tx
            .prepare_cached("SELECT nextval('messages_id_seq') FROM generate_series(1, $1::bigint)")
            .await
            .map_err(|e| pg_err(e, "message ids"))?;
        let n = messages.len() as i64;
        let msg_ids: Vec<i64> = tx
            .query(&st, &[&n])
            .await
            .map_err(|e| pg_err(e, "message ids"))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if msg_ids.len() != messages.len() {
            return Err(StoreError::Backend(
                "message id allocation returned too few ids".to_owned(),
            ));
        }

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
        let mut threads: HashMap<String, i64> = HashMap::new();
        if !wanted.is_empty() {
            let st = tx
                .prepare_cached(
                    "SELECT message_id, thread_id FROM thread_map WHERE account_id = $1 AND message_id = ANY($2)",
                )
                .await
                .map_err(|e| pg_err(e, "threads"))?;
            for r in tx
                .query(&st, &[&account, &wanted])
                .await
                .map_err(|e| pg_err(e, "threads"))?
            {
                threads.insert(r.get(0), r.get(1));
            }
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
            out.push(Appended {
                mailbox_id: m.mailbox_id,
                uidvalidity: mb.uidvalidity,
                uid,
                message_id: id,
                modseq,
            });
        }
        let st = tx
            .prepare_cached(
                "INSERT INTO messages (id, account_id, mailbox_id, uid, flags, keywords, modseq, internal_date, \
                 save_date, size, blob_id, thread_id, meta) \
                 SELECT t.id, $1, t.mb, t.uid, t.fl, t.kw, $2, t.idate, $3, t.size, t.blob, t.thread, t.meta \
                 FROM unnest($4::bigint[], $5::bigint[], $6::bigint[], $7::int[], $8::text[], $9::bigint[], \
                 $10::bigint[], $11::text[], $12::bigint[], $13::text[]) \
                 AS t(id, mb, uid, fl, kw, idate, size, blob, thread, meta)",
            )
            .await
            .map_err(|e| pg_err(e, "append"))?;
        tx.execute(
            &st,
            &[
                &account,
                &to_i64(modseq),
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
                &c_meta,
            ],
        )
        .await
        .map_err(|e| pg_err(e, "append"))?;
        if !new_thread_keys.is_empty() {
            let st = tx
                .prepare_cached(
                    "INSERT INTO thread_map (account_id, message_id, thread_id) \
                     SELECT $1, k, t FROM unnest($2::text[], $3::bigint[]) AS u(k, t) ON CONFLICT DO NOTHING",
                )
                .await
                .map_err(|e| pg_err(e, "threads"))?;
            tx.execute(&st, &[&account, &new_thread_keys, &new_thread_ids])
                .await
                .map_err(|e| pg_err(e, "threads"))?;
        }
        apply_mailbox_deltas(&tx, modseq, &deltas).await?;
        apply_account_delta(&tx, account, to_i64(needed), n).await?;
        let changes = added
            .into_iter()
            .map(|(mb, uids)| Change::with_uids(mb, ChangeKind::MessagesAdded, uids))
            .collect();
        self.commit(tx, account, modseq, changes).await?;
        Ok(out)
    }

    async fn message_summaries(&self, mailbox: MailboxId) -> Result<Vec<MessageSummary>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(
                "SELECT uid, flags, keywords, modseq FROM messages WHERE mailbox_id = $1 ORDER BY uid",
            )
            .await
            .map_err(|e| pg_err(e, "messages"))?;
        let rows = client
            .query(&st, &[&mailbox])
            .await
            .map_err(|e| pg_err(e, "messages"))?;
        Ok(rows.iter().map(summary_from_row).collect())
    }

    async fn messages(&self, mailbox: MailboxId, uids: &UidSet) -> Result<Vec<Message>> {
        let Some(f) = UidFilter::new(uids) else {
            return Ok(Vec::new());
        };
        let client = self.client().await?;
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE mailbox_id = $1{} ORDER BY uid",
            f.sql(2)
        );
        let st = client
            .prepare_cached(&sql)
            .await
            .map_err(|e| pg_err(e, "messages"))?;
        let mut params: Vec<Param<'_>> = vec![&mailbox];
        params.extend(f.params());
        let rows = client
            .query(&st, &params)
            .await
            .map_err(|e| pg_err(e, "messages"))?;
        rows.iter().map(message_from_row).collect()
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
        let lock = bump(&tx, account).await?;
        lock_mailbox(&tx, account, mailbox).await?;
        let Some(f) = UidFilter::new(uids) else {
            tx.rollback().await.map_err(|e| pg_err(e, "rollback"))?;
            return Ok(FlagUpdate::default());
        };
        let modseq = lock.modseq;
        let sql = format!(
            "SELECT uid, flags, keywords, modseq FROM messages WHERE mailbox_id = $1{} ORDER BY uid",
            f.sql(2)
        );
        let st = tx.prepare_cached(&sql).await.map_err(|e| pg_err(e, "messages"))?;
        let mut params: Vec<Param<'_>> = vec![&mailbox];
        params.extend(f.params());
        let rows = tx.query(&st, &params).await.map_err(|e| pg_err(e, "messages"))?;

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
        let st = tx
            .prepare_cached(
                "UPDATE messages m SET flags = u.fl, keywords = u.kw, modseq = $2 \
                 FROM unnest($3::bigint[], $4::int[], $5::text[]) AS u(uid, fl, kw) \
                 WHERE m.mailbox_id = $1 AND m.uid = u.uid",
            )
            .await
            .map_err(|e| pg_err(e, "flags"))?;
        tx.execute(&st, &[&mailbox, &to_i64(modseq), &u_uid, &u_flags, &u_kw])
            .await
            .map_err(|e| pg_err(e, "flags"))?;
        let mut deltas = BTreeMap::new();
        deltas.insert(
            mailbox,
            MailboxDelta {
                unseen: unseen_delta,
                ..Default::default()
            },
        );
        apply_mailbox_deltas(&tx, modseq, &deltas).await?;
        let change = Change::with_uids(
            mailbox,
            ChangeKind::FlagsChanged,
            update.changed.iter().map(|c| c.uid),
        );
        self.commit(tx, account, modseq, vec![change]).await?;
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
        let lock = bump(&tx, account).await?;
        lock_mailbox(&tx, account, mailbox).await?;
        let all = UidSet::all();
        let Some(f) = UidFilter::new(uids.unwrap_or(&all)) else {
            tx.rollback().await.map_err(|e| pg_err(e, "rollback"))?;
            return Ok(Vec::new());
        };
        let modseq = lock.modseq;
        let sql = format!(
            "DELETE FROM messages WHERE mailbox_id = $1 AND (flags & {}) <> 0{} RETURNING uid, flags, size",
            flag::DELETED,
            f.sql(2)
        );
        let st = tx.prepare_cached(&sql).await.map_err(|e| pg_err(e, "expunge"))?;
        let mut params: Vec<Param<'_>> = vec![&mailbox];
        params.extend(f.params());
        let rows = tx.query(&st, &params).await.map_err(|e| pg_err(e, "expunge"))?;
        if rows.is_empty() {
            tx.rollback().await.map_err(|e| pg_err(e, "rollback"))?;
            return Ok(Vec::new());
        }
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
        let st = tx
            .prepare_cached(
                "INSERT INTO tombstones (mailbox_id, uid, modseq) SELECT $1, u, $2 FROM unnest($3::bigint[]) AS u \
                 ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = EXCLUDED.modseq",
            )
            .await
            .map_err(|e| pg_err(e, "tombstones"))?;
        tx.execute(&st, &[&mailbox, &to_i64(modseq), &gone])
            .await
            .map_err(|e| pg_err(e, "tombstones"))?;
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
        apply_mailbox_deltas(&tx, modseq, &deltas).await?;
        apply_account_delta(&tx, account, -bytes, -n).await?;
        let uids: Vec<Uid> = gone.into_iter().map(to_u32).collect();
        let change = Change::with_uids(mailbox, ChangeKind::MessagesExpunged, uids.iter().copied());
        self.commit(tx, account, modseq, vec![change]).await?;
        Ok(uids)
    }

    async fn mailbox_changes(&self, mailbox: MailboxId, since: ModSeq) -> Result<MailboxChanges> {
        let mut client = self.client().await?;
        // One snapshot for the three reads, so they agree with each other.
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(|e| pg_err(e, "transaction"))?;
        let since = to_i64(since);
        let st = tx
            .prepare_cached("SELECT highest_modseq FROM mailboxes WHERE id = $1")
            .await
            .map_err(|e| pg_err(e, "mailbox"))?;
        let highest: i64 = tx
            .query_opt(&st, &[&mailbox])
            .await
            .map_err(|e| pg_err(e, "mailbox"))?
            .ok_or_else(|| StoreError::NotFound(format!("mailbox {mailbox}")))?
            .get(0);
        let st = tx
            .prepare_cached(
                "SELECT uid, flags, keywords, modseq FROM messages WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid",
            )
            .await
            .map_err(|e| pg_err(e, "messages"))?;
        let changed = tx
            .query(&st, &[&mailbox, &since])
            .await
            .map_err(|e| pg_err(e, "messages"))?;
        let st = tx
            .prepare_cached("SELECT uid FROM tombstones WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid")
            .await
            .map_err(|e| pg_err(e, "tombstones"))?;
        let vanished = tx
            .query(&st, &[&mailbox, &since])
            .await
            .map_err(|e| pg_err(e, "tombstones"))?;
        tx.commit().await.map_err(|e| pg_err(e, "commit"))?;
        Ok(MailboxChanges {
            changed: changed.iter().map(summary_from_row).collect(),
            vanished: vanished.iter().map(|r| to_u32(r.get(0))).collect(),
            highest_modseq: to_u64(highest),
        })
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

    // ---- Journal -------------------------------------------------------------------------

    async fn journal_after(&self, after: i64, limit: u32) -> Result<Vec<JournalEntry>> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(
                "SELECT id, account_id, modseq, mailbox_id, kind, uids FROM journal WHERE id > $1 ORDER BY id LIMIT $2",
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
            .query("SELECT DISTINCT blob_id FROM messages ORDER BY blob_id", &[])
            .await
            .map_err(|e| pg_err(e, "messages"))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn check_consistency(&self) -> Result<CheckReport> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(|e| pg_err(e, "transaction"))?;
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
                 COALESCE(s.size, 0), COALESCE(s.n, 0), \
                 GREATEST(COALESCE(s.max_modseq, 0), COALESCE(b.max_modseq, 0)) \
                 FROM accounts a \
                 LEFT JOIN (SELECT account_id, sum(size)::bigint AS size, count(*) AS n, max(modseq) AS max_modseq \
                            FROM messages GROUP BY account_id) s ON s.account_id = a.id \
                 LEFT JOIN (SELECT account_id, max(highest_modseq) AS max_modseq FROM mailboxes \
                            GROUP BY account_id) b ON b.account_id = a.id \
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
                    "account {id} ({address}): modseq {modseq} is below a mailbox's {max_modseq}"
                ));
            }
        }
        tx.commit().await.map_err(|e| pg_err(e, "commit"))?;
        Ok(report)
    }
}
