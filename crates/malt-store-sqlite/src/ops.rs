//! The [`Store`] operations on SQLite. Writes run on the writer thread (see the crate docs),
//! reads on the read pool. The doc comments of [`malt_store::Store`] are the specification.
//!
//! Invariants kept by every mutation of mail data: the account's `modseq` is incremented once
//! per operation ([`bump`]), a journal row carries that modseq ([`journal`]), and the affected
//! mailboxes' `highest_modseq` is set to it. Counters (mailbox `message_count`, `unseen_count`,
//! `total_size`; account `used_bytes`, `message_count`) are updated in the same transaction as
//! the messages they count, which `check_consistency` verifies.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use malt_store::types::flag;
use malt_store::*;
use rusqlite::{OptionalExtension, Row, Transaction, params};

use crate::{E, R, SqliteStore, is_unique_violation};

const ACCOUNT_COLS: &str =
    "id, address, password_hash, quota_bytes, used_bytes, message_count, modseq, created_at";
pub(crate) const MAILBOX_COLS: &str = "id, account_id, name, role, uidvalidity, uidnext, highest_modseq, message_count, \
                            unseen_count, total_size";
/// Columns of a message with its metadata and prefix: `messages m JOIN message_meta mm`.
const MESSAGE_COLS: &str = "m.id, m.mailbox_id, m.uid, m.flags, m.keywords, m.modseq, m.internal_date, \
                            m.save_date, m.size, m.blob_id, m.thread_id, mm.meta, mm.prefix";

/// Default mailboxes of a new account (RFC 6154 roles), all subscribed.
const DEFAULT_MAILBOXES: &[(&str, Option<SpecialUse>)] = &[
    ("INBOX", None),
    ("Sent", Some(SpecialUse::Sent)),
    ("Drafts", Some(SpecialUse::Drafts)),
    ("Trash", Some(SpecialUse::Trash)),
    ("Junk", Some(SpecialUse::Junk)),
    ("Archive", Some(SpecialUse::Archive)),
];

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub(crate) fn not_found(what: impl Into<String>) -> E {
    E(StoreError::NotFound(what.into()))
}

/// Maps a unique violation to `AlreadyExists(what)`.
fn exists_as(what: &str) -> impl FnOnce(rusqlite::Error) -> E + '_ {
    move |e| {
        if is_unique_violation(&e) {
            E(StoreError::AlreadyExists(what.to_owned()))
        } else {
            E::from(e)
        }
    }
}

pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> E {
    E(StoreError::Invalid {
        what,
        reason: reason.into(),
    })
}

fn lower(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The domain part of `local@domain` or `@domain`, or `Invalid`.
fn domain_of(address: &str) -> R<&str> {
    match address.rsplit_once('@') {
        Some((_, d)) if !d.is_empty() => Ok(d),
        _ => Err(invalid("address", format!("`{address}` is not local@domain"))),
    }
}

fn domain_id(tx: &Transaction<'_>, name: &str) -> R<i64> {
    tx.prepare_cached("SELECT id FROM domains WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?
        .ok_or_else(|| not_found(format!("domain {name}")))
}

fn account_from_row(r: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: r.get(0)?,
        address: r.get(1)?,
        password_hash: r.get(2)?,
        quota_bytes: r.get::<_, Option<i64>>(3)?.map(|q| q as u64),
        used_bytes: r.get::<_, i64>(4)? as u64,
        message_count: r.get::<_, i64>(5)? as u64,
        highest_modseq: r.get::<_, i64>(6)? as u64,
        created_at: r.get(7)?,
    })
}

pub(crate) fn mailbox_from_row(r: &Row<'_>) -> rusqlite::Result<Mailbox> {
    let role: Option<String> = r.get(3)?;
    Ok(Mailbox {
        id: r.get(0)?,
        account_id: r.get(1)?,
        name: r.get(2)?,
        role: role.as_deref().and_then(SpecialUse::parse),
        uidvalidity: r.get::<_, i64>(4)? as u32,
        uidnext: r.get::<_, i64>(5)? as u32,
        highest_modseq: r.get::<_, i64>(6)? as u64,
        message_count: r.get::<_, i64>(7)? as u32,
        unseen_count: r.get::<_, i64>(8)? as u32,
        total_size: r.get::<_, i64>(9)? as u64,
    })
}

/// A message row with its metadata still as JSON (decoded outside the row callback).
fn message_from_row(r: &Row<'_>) -> rusqlite::Result<(Message, String)> {
    let flags: i64 = r.get(3)?;
    let keywords: String = r.get(4)?;
    Ok((
        Message {
            id: r.get(0)?,
            mailbox_id: r.get(1)?,
            uid: r.get::<_, i64>(2)? as u32,
            flags: Flags::from_stored(flags, &keywords),
            modseq: r.get::<_, i64>(5)? as u64,
            internal_date: r.get(6)?,
            save_date: r.get(7)?,
            size: r.get::<_, i64>(8)? as u64,
            blob_id: r.get(9)?,
            prefix: r.get(12)?,
            thread_id: r.get(10)?,
            meta: MessageMeta::default(),
        },
        r.get(11)?,
    ))
}

fn summary_from_row(r: &Row<'_>) -> rusqlite::Result<MessageSummary> {
    let flags: i64 = r.get(1)?;
    let keywords: String = r.get(2)?;
    Ok(MessageSummary {
        uid: r.get::<_, i64>(0)? as u32,
        flags: Flags::from_stored(flags, &keywords),
        modseq: r.get::<_, i64>(3)? as u64,
    })
}

pub(crate) fn account_row(tx: &Transaction<'_>, id: AccountId) -> R<Account> {
    tx.prepare_cached(&format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = ?1"))?
        .query_row([id], account_from_row)
        .optional()?
        .ok_or_else(|| not_found(format!("account {id}")))
}

pub(crate) fn mailbox_row(tx: &Transaction<'_>, id: MailboxId) -> R<Option<Mailbox>> {
    Ok(tx
        .prepare_cached(&format!("SELECT {MAILBOX_COLS} FROM mailboxes WHERE id = ?1"))?
        .query_row([id], mailbox_from_row)
        .optional()?)
}

/// The mailbox `id` of `account`, or `NotFound` (also for another account's mailbox).
pub(crate) fn mailbox_of(tx: &Transaction<'_>, account: AccountId, id: MailboxId) -> R<Mailbox> {
    match mailbox_row(tx, id)? {
        Some(m) if m.account_id == account => Ok(m),
        _ => Err(not_found(format!("mailbox {id}"))),
    }
}

/// Increments the account's modseq (one per operation) and returns the new value.
pub(crate) fn bump(tx: &Transaction<'_>, account: AccountId) -> R<ModSeq> {
    let m: Option<i64> = tx
        .prepare_cached("UPDATE accounts SET modseq = modseq + 1 WHERE id = ?1 RETURNING modseq")?
        .query_row([account], |r| r.get(0))
        .optional()?;
    m.map(|m| m as u64)
        .ok_or_else(|| not_found(format!("account {account}")))
}

pub(crate) fn journal(
    tx: &Transaction<'_>,
    account: AccountId,
    modseq: ModSeq,
    mailbox: Option<MailboxId>,
    kind: ChangeKind,
    uids: &UidSet,
) -> R<()> {
    tx.prepare_cached(
        "INSERT INTO journal (account_id, modseq, mailbox_id, kind, uids) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        account,
        modseq as i64,
        mailbox,
        kind.as_str(),
        uids.to_imap()
    ])?;
    Ok(())
}

pub(crate) fn set_mailbox_modseq(tx: &Transaction<'_>, mailbox: MailboxId, modseq: ModSeq) -> R<()> {
    tx.prepare_cached("UPDATE mailboxes SET highest_modseq = ?2 WHERE id = ?1")?
        .execute(params![mailbox, modseq as i64])?;
    Ok(())
}

/// A new UIDVALIDITY: the current Unix time, but strictly greater than every one handed out
/// before in this database (two creations in one second, or a clock going back, still differ).
fn new_uidvalidity(tx: &Transaction<'_>) -> R<u32> {
    let last: i64 = tx
        .prepare_cached("SELECT value FROM counters WHERE name = 'uidvalidity'")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let mut next = last.saturating_add(1).max(now());
    if next > i64::from(u32::MAX) {
        // Past 2106 or exhausted: wrap; still unique in practice since old mailboxes are gone.
        next = 1;
    }
    tx.prepare_cached("INSERT OR REPLACE INTO counters (name, value) VALUES ('uidvalidity', ?1)")?
        .execute([next])?;
    Ok(next as u32)
}

fn insert_mailbox(
    tx: &Transaction<'_>,
    account: AccountId,
    name: &str,
    role: Option<SpecialUse>,
    modseq: ModSeq,
) -> R<Mailbox> {
    let uidvalidity = new_uidvalidity(tx)?;
    tx.prepare_cached(
        "INSERT INTO mailboxes (account_id, name, role, uidvalidity, uidnext, highest_modseq) \
         VALUES (?1, ?2, ?3, ?4, 1, ?5)",
    )?
    .execute(params![
        account,
        name,
        role.map(SpecialUse::as_str),
        uidvalidity,
        modseq as i64
    ])
    .map_err(exists_as(name))?;
    Ok(Mailbox {
        id: tx.last_insert_rowid(),
        account_id: account,
        name: name.to_owned(),
        role,
        uidvalidity,
        uidnext: 1,
        highest_modseq: modseq,
        message_count: 0,
        unseen_count: 0,
        total_size: 0,
    })
}

/// Message-ID as a thread key: without angle brackets and surrounding space.
fn thread_key(id: &str) -> &str {
    id.trim().trim_start_matches('<').trim_end_matches('>')
}

/// The thread of an existing message of the account that this one replies to or references.
fn find_thread(tx: &Transaction<'_>, account: AccountId, meta: &MessageMeta) -> R<Option<i64>> {
    let mut st =
        tx.prepare_cached("SELECT thread_id FROM thread_refs WHERE account_id = ?1 AND message_id = ?2")?;
    let parents = meta
        .sort
        .in_reply_to
        .iter()
        .chain(meta.sort.references.iter().rev());
    for p in parents.chain(meta.envelope.in_reply_to.iter()) {
        let key = thread_key(p);
        if key.is_empty() {
            continue;
        }
        if let Some(t) = st.query_row(params![account, key], |r| r.get(0)).optional()? {
            return Ok(Some(t));
        }
    }
    Ok(None)
}

/// One message's row id, UID, flags, modseq and size.
type FlagRow = (i64, Uid, Flags, ModSeq, u64);

/// Messages of a mailbox in `uids` (ascending UID).
fn select_flags(tx: &Transaction<'_>, mailbox: MailboxId, uids: &UidSet) -> R<Vec<FlagRow>> {
    let mut st = tx.prepare_cached(
        "SELECT id, uid, flags, keywords, modseq, size FROM messages \
         WHERE mailbox_id = ?1 AND uid BETWEEN ?2 AND ?3 ORDER BY uid",
    )?;
    let mut out = Vec::new();
    for &(a, b) in uids.ranges() {
        let rows = st.query_map(params![mailbox, a, b], |r| {
            let f: i64 = r.get(2)?;
            let k: String = r.get(3)?;
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)? as u32,
                Flags::from_stored(f, &k),
                r.get::<_, i64>(4)? as u64,
                r.get::<_, i64>(5)? as u64,
            ))
        })?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}

/// Removes messages (by row id) of one mailbox, writing tombstones with `modseq`, and updates the
/// mailbox counters. Account counters are the caller's business (a move keeps them).
fn remove_messages(tx: &Transaction<'_>, mailbox: MailboxId, modseq: ModSeq, rows: &[FlagRow]) -> R<()> {
    let mut del = tx.prepare_cached("DELETE FROM messages WHERE id = ?1")?;
    let mut tomb =
        tx.prepare_cached("INSERT OR REPLACE INTO tombstones (mailbox_id, uid, modseq) VALUES (?1, ?2, ?3)")?;
    let mut unseen = 0i64;
    let mut size = 0i64;
    for (id, uid, flags, _, sz) in rows {
        del.execute([id])?;
        tomb.execute(params![mailbox, uid, modseq as i64])?;
        if !flags.has(flag::SEEN) {
            unseen += 1;
        }
        size += *sz as i64;
    }
    // The viewers' private \Seen rows of the removed UIDs (one statement).
    let uids: Vec<Uid> = rows.iter().map(|r| r.1).collect();
    tx.prepare_cached(
        "DELETE FROM private_seen WHERE mailbox_id = ?1 AND uid IN (SELECT value FROM json_each(?2))",
    )?
    .execute(params![mailbox, serde_json::to_string(&uids)?])?;
    tx.prepare_cached(
        "UPDATE mailboxes SET message_count = message_count - ?2, unseen_count = unseen_count - ?3, \
         total_size = total_size - ?4, highest_modseq = ?5 WHERE id = ?1",
    )?
    .execute(params![mailbox, rows.len() as i64, unseen, size, modseq as i64])?;
    Ok(())
}

pub(crate) fn check_quota(acc: &Account, needed: u64) -> R<()> {
    if let Some(limit) = acc.quota_bytes
        && acc.used_bytes.saturating_add(needed) > limit
    {
        return Err(E(StoreError::OverQuota {
            used: acc.used_bytes,
            limit,
            needed,
        }));
    }
    Ok(())
}

pub(crate) fn add_account_usage(tx: &Transaction<'_>, account: AccountId, bytes: i64, count: i64) -> R<()> {
    tx.prepare_cached(
        "UPDATE accounts SET used_bytes = used_bytes + ?2, message_count = message_count + ?3 WHERE id = ?1",
    )?
    .execute(params![account, bytes, count])?;
    Ok(())
}

/// COPY or MOVE inside one transaction.
fn copy_or_move(
    tx: &Transaction<'_>,
    account: AccountId,
    from: MailboxId,
    uids: &UidSet,
    to: MailboxId,
    is_move: bool,
) -> R<CopyResult> {
    let acc = account_row(tx, account)?;
    mailbox_of(tx, account, from)?;
    let dst = match mailbox_row(tx, to)? {
        None => return Err(not_found(format!("mailbox {to}"))),
        Some(d) if d.account_id != account => {
            return Err(invalid(
                "mailbox",
                "source and destination belong to different accounts",
            ));
        }
        Some(d) => d,
    };
    let rows = select_flags(tx, from, uids)?;
    if rows.is_empty() {
        return Ok(CopyResult {
            dest_uidvalidity: dst.uidvalidity,
            mapping: Vec::new(),
            modseq: 0,
        });
    }
    let needed: u64 = rows.iter().map(|r| r.4).sum();
    if !is_move {
        check_quota(&acc, needed)?;
    }
    let modseq = bump(tx, account)?;
    let save_date = now();
    let mut ins = tx.prepare_cached(
        "INSERT INTO messages (account_id, mailbox_id, uid, flags, keywords, modseq, internal_date, save_date, \
         size, blob_id, thread_id) \
         SELECT account_id, ?2, ?3, flags, keywords, ?4, internal_date, ?5, size, blob_id, thread_id \
         FROM messages WHERE id = ?1",
    )?;
    let mut ins_meta = tx.prepare_cached(
        "INSERT INTO message_meta (message_id, meta, prefix) SELECT ?2, meta, prefix FROM message_meta \
         WHERE message_id = ?1",
    )?;
    let mut ins_header = tx.prepare_cached(
        "INSERT INTO message_headers (message_id, header) SELECT ?2, header FROM message_headers \
         WHERE message_id = ?1",
    )?;
    let mut next = dst.uidnext;
    let mut mapping = Vec::with_capacity(rows.len());
    let mut unseen = 0i64;
    for (id, uid, flags, _, _) in &rows {
        ins.execute(params![id, to, next, modseq as i64, save_date])?;
        let new_id = tx.last_insert_rowid();
        ins_meta.execute(params![id, new_id])?;
        ins_header.execute(params![id, new_id])?;
        mapping.push((*uid, next));
        if !flags.has(flag::SEEN) {
            unseen += 1;
        }
        next = next
            .checked_add(1)
            .ok_or_else(|| invalid("mailbox", "UID space exhausted"))?;
    }
    tx.prepare_cached(
        "UPDATE mailboxes SET uidnext = ?2, message_count = message_count + ?3, unseen_count = unseen_count + ?4, \
         total_size = total_size + ?5, highest_modseq = ?6 WHERE id = ?1",
    )?
    .execute(params![to, next, rows.len() as i64, unseen, needed as i64, modseq as i64])?;
    journal(
        tx,
        account,
        modseq,
        Some(to),
        ChangeKind::MessagesAdded,
        &UidSet::from_uids(mapping.iter().map(|m| m.1)),
    )?;
    if is_move {
        remove_messages(tx, from, modseq, &rows)?;
        journal(
            tx,
            account,
            modseq,
            Some(from),
            ChangeKind::MessagesExpunged,
            &UidSet::from_uids(rows.iter().map(|r| r.1)),
        )?;
    } else {
        add_account_usage(tx, account, needed as i64, rows.len() as i64)?;
    }
    Ok(CopyResult {
        dest_uidvalidity: dst.uidvalidity,
        mapping,
        modseq,
    })
}

/// STORE +FLAGS/-FLAGS of system flags only: one `UPDATE ... RETURNING` per UID range, done in
/// SQL (the common case: `\Seen` or `\Deleted` on a whole mailbox). Same semantics as the
/// general path: untouched messages keep their modseq; UNCHANGEDSINCE reports MODIFIED.
fn store_system_flags(
    tx: &Transaction<'_>,
    account: AccountId,
    mailbox: MailboxId,
    uids: &UidSet,
    op: FlagOp,
    bits: u8,
    unchanged_since: Option<ModSeq>,
) -> R<FlagUpdate> {
    let limit = unchanged_since.map_or(i64::MAX, |u| u.min(i64::MAX as u64) as i64);
    let mut modified = Vec::new();
    if unchanged_since.is_some() {
        let mut st = tx.prepare_cached(
            "SELECT uid FROM messages WHERE mailbox_id = ?1 AND uid BETWEEN ?2 AND ?3 AND modseq > ?4 ORDER BY uid",
        )?;
        for &(a, b) in uids.ranges() {
            for uid in st.query_map(params![mailbox, a, b, limit], |r| r.get::<_, i64>(0))? {
                modified.push(uid? as u32);
            }
        }
    }
    // The modseq this STORE will take if it changes anything (bumped below, in this transaction).
    let modseq = account_row(tx, account)?.highest_modseq + 1;
    let sql = if op == FlagOp::Add {
        "UPDATE messages SET flags = flags | ?4, modseq = ?5 \
         WHERE mailbox_id = ?1 AND uid BETWEEN ?2 AND ?3 AND (flags & ?4) != ?4 AND modseq <= ?6 \
         RETURNING uid, flags, keywords"
    } else {
        "UPDATE messages SET flags = flags & ~?4, modseq = ?5 \
         WHERE mailbox_id = ?1 AND uid BETWEEN ?2 AND ?3 AND (flags & ?4) != 0 AND modseq <= ?6 \
         RETURNING uid, flags, keywords"
    };
    let mut st = tx.prepare_cached(sql)?;
    let mut changed = Vec::new();
    for &(a, b) in uids.ranges() {
        let rows = st.query_map(
            params![mailbox, a, b, i64::from(bits), modseq as i64, limit],
            |r| {
                let f: i64 = r.get(1)?;
                let k: String = r.get(2)?;
                Ok(MessageSummary {
                    uid: r.get::<_, i64>(0)? as u32,
                    flags: Flags::from_stored(f, &k),
                    modseq,
                })
            },
        )?;
        for row in rows {
            changed.push(row?);
        }
    }
    if changed.is_empty() {
        return Ok(FlagUpdate {
            modseq: 0,
            changed,
            modified,
        });
    }
    changed.sort_unstable_by_key(|c| c.uid);
    let bumped = bump(tx, account)?;
    if bumped != modseq {
        return Err(E(StoreError::Backend(format!(
            "modseq moved during STORE: {bumped} != {modseq}"
        ))));
    }
    if bits & flag::SEEN != 0 {
        tx.prepare_cached(
            "UPDATE mailboxes SET unseen_count = \
             (SELECT count(*) FROM messages WHERE mailbox_id = ?1 AND (flags & 1) = 0) WHERE id = ?1",
        )?
        .execute([mailbox])?;
    }
    set_mailbox_modseq(tx, mailbox, modseq)?;
    journal(
        tx,
        account,
        modseq,
        Some(mailbox),
        ChangeKind::FlagsChanged,
        &UidSet::from_uids(changed.iter().map(|c| c.uid)),
    )?;
    Ok(FlagUpdate {
        modseq,
        changed,
        modified,
    })
}

/// Entries and bytes ([`MetadataEntry::size`]) of the account's metadata.
fn metadata_usage_of(tx: &Transaction<'_>, account: AccountId) -> R<MetadataUsage> {
    let (entries, bytes): (i64, i64) = tx
        .prepare_cached(
            "SELECT count(*), COALESCE(sum(length(CAST(name AS BLOB)) + length(value)), 0) \
             FROM metadata WHERE account_id = ?1",
        )?
        .query_row([account], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(MetadataUsage {
        entries: entries as u64,
        bytes: bytes as u64,
    })
}

fn group_members(tx: &Transaction<'_>, group: i64) -> R<Vec<String>> {
    let mut st = tx.prepare_cached("SELECT member FROM group_members WHERE group_id = ?1 ORDER BY member")?;
    let rows = st.query_map([group], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
}

/// Per-mailbox accumulator of an append.
struct AppendTarget {
    id: MailboxId,
    uidvalidity: u32,
    next: Uid,
    uids: Vec<Uid>,
    unseen: i64,
    size: i64,
}

#[async_trait]
impl Store for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "sqlite"
    }

    // ---- Domains -------------------------------------------------------------------------

    async fn domain_add(&self, name: &str) -> Result<Domain> {
        let name = lower(name);
        if name.is_empty() || name.contains('@') {
            return Err(StoreError::Invalid {
                what: "domain",
                reason: format!("`{name}`"),
            });
        }
        self.write(move |tx| {
            tx.prepare_cached("INSERT INTO domains (name) VALUES (?1)")?
                .execute([&name])
                .map_err(exists_as(&format!("domain {name}")))?;
            Ok(Domain {
                id: tx.last_insert_rowid(),
                name,
            })
        })
        .await
    }

    async fn domain_get(&self, name: &str) -> Result<Option<Domain>> {
        let name = lower(name);
        self.read(move |tx| {
            Ok(tx
                .prepare_cached("SELECT id, name FROM domains WHERE name = ?1")?
                .query_row([name], |r| {
                    Ok(Domain {
                        id: r.get(0)?,
                        name: r.get(1)?,
                    })
                })
                .optional()?)
        })
        .await
    }

    async fn domain_list(&self) -> Result<Vec<Domain>> {
        self.read(|tx| {
            let mut st = tx.prepare_cached("SELECT id, name FROM domains ORDER BY name")?;
            let rows = st.query_map([], |r| {
                Ok(Domain {
                    id: r.get(0)?,
                    name: r.get(1)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn domain_delete(&self, name: &str) -> Result<()> {
        let name = lower(name);
        self.write(move |tx| {
            let id = domain_id(tx, &name)?;
            let used: i64 = tx
                .prepare_cached(
                    "SELECT (SELECT count(*) FROM accounts WHERE domain_id = ?1) \
                     + (SELECT count(*) FROM aliases WHERE domain_id = ?1) \
                     + (SELECT count(*) FROM mail_groups WHERE domain_id = ?1)",
                )?
                .query_row([id], |r| r.get(0))?;
            if used > 0 {
                return Err(E(StoreError::Conflict(format!(
                    "domain {name} still has accounts, aliases or groups"
                ))));
            }
            tx.prepare_cached("DELETE FROM domains WHERE id = ?1")?
                .execute([id])?;
            Ok(())
        })
        .await
    }

    // ---- Accounts ------------------------------------------------------------------------

    async fn account_create(&self, new: NewAccount) -> Result<Account> {
        let address = lower(&new.address);
        self.write(move |tx| {
            let domain = domain_of(&address)?;
            if address.starts_with('@') {
                return Err(invalid("address", format!("`{address}` has no local part")));
            }
            let did = domain_id(tx, domain)?;
            let created_at = now();
            // The account starts at modseq 1: its creation (with its mailboxes) is one change.
            tx.prepare_cached(
                "INSERT INTO accounts (domain_id, address, password_hash, quota_bytes, modseq, created_at) \
                 VALUES (?1, ?2, ?3, ?4, 1, ?5)",
            )?
            .execute(params![
                did,
                address,
                new.password_hash,
                new.quota_bytes.map(|q| q as i64),
                created_at
            ])
            .map_err(exists_as(&format!("account {address}")))?;
            let id = tx.last_insert_rowid();
            let mut sub =
                tx.prepare_cached("INSERT OR IGNORE INTO subscriptions (account_id, name) VALUES (?1, ?2)")?;
            for (name, role) in DEFAULT_MAILBOXES {
                insert_mailbox(tx, id, name, *role, 1)?;
                sub.execute(params![id, name])?;
            }
            journal(tx, id, 1, None, ChangeKind::AccountChanged, &UidSet::default())?;
            Ok(Account {
                id,
                address,
                password_hash: new.password_hash,
                quota_bytes: new.quota_bytes,
                used_bytes: 0,
                message_count: 0,
                highest_modseq: 1,
                created_at,
            })
        })
        .await
    }

    async fn account_get(&self, id: AccountId) -> Result<Option<Account>> {
        self.read(move |tx| match account_row(tx, id) {
            Ok(a) => Ok(Some(a)),
            Err(E(StoreError::NotFound(_))) => Ok(None),
            Err(e) => Err(e),
        })
        .await
    }

    async fn account_by_address(&self, address: &str) -> Result<Option<Account>> {
        let address = lower(address);
        self.read(move |tx| {
            Ok(tx
                .prepare_cached(&format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE address = ?1"))?
                .query_row([address], account_from_row)
                .optional()?)
        })
        .await
    }

    async fn account_list(&self, domain: Option<&str>) -> Result<Vec<Account>> {
        let domain = domain.map(lower);
        self.read(move |tx| {
            let mut st = tx.prepare_cached(&format!(
                "SELECT {ACCOUNT_COLS} FROM accounts \
                 WHERE ?1 IS NULL OR domain_id = (SELECT id FROM domains WHERE name = ?1) ORDER BY address"
            ))?;
            let rows = st.query_map([domain], account_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn account_set_password(&self, id: AccountId, password_hash: &str) -> Result<()> {
        let hash = password_hash.to_owned();
        self.write(move |tx| {
            let n = tx
                .prepare_cached("UPDATE accounts SET password_hash = ?2 WHERE id = ?1")?
                .execute(params![id, hash])?;
            if n == 0 {
                return Err(not_found(format!("account {id}")));
            }
            let m = bump(tx, id)?;
            journal(tx, id, m, None, ChangeKind::AccountChanged, &UidSet::default())
        })
        .await
    }

    async fn account_set_quota(&self, id: AccountId, quota_bytes: Option<u64>) -> Result<()> {
        self.write(move |tx| {
            let n = tx
                .prepare_cached("UPDATE accounts SET quota_bytes = ?2 WHERE id = ?1")?
                .execute(params![id, quota_bytes.map(|q| q as i64)])?;
            if n == 0 {
                return Err(not_found(format!("account {id}")));
            }
            let m = bump(tx, id)?;
            journal(tx, id, m, None, ChangeKind::AccountChanged, &UidSet::default())
        })
        .await
    }

    async fn account_delete(&self, id: AccountId) -> Result<()> {
        // Mailboxes, messages, tombstones, subscriptions, app passwords, thread keys and the
        // journal go by ON DELETE CASCADE.
        // Its entries in other accounts' ACLs go explicitly (journaled for their owners).
        self.write(move |tx| {
            let address = account_row(tx, id)?.address;
            crate::acl::forget_identifier(tx, id, &address)?;
            // The DAV shares naming it go too (journaled for their owners).
            crate::dav_share::forget_sharee(tx, id, &address)?;
            // Its own delegations cascade; those OF its address go too (a re-created address
            // must not inherit them). Queued mail it submitted stays, without a submitter.
            crate::queue::forget_address(tx, &address)?;
            let n = tx
                .prepare_cached("DELETE FROM accounts WHERE id = ?1")?
                .execute([id])?;
            if n == 0 {
                return Err(not_found(format!("account {id}")));
            }
            Ok(())
        })
        .await
    }

    // ---- Aliases and groups --------------------------------------------------------------

    async fn alias_add(&self, address: &str, target: &str) -> Result<Alias> {
        let (address, target) = (lower(address), lower(target));
        self.write(move |tx| {
            if target.is_empty() {
                return Err(invalid("alias target", "empty"));
            }
            let did = domain_id(tx, domain_of(&address)?)?;
            tx.prepare_cached("INSERT INTO aliases (domain_id, address, target) VALUES (?1, ?2, ?3)")?
                .execute(params![did, address, target])
                .map_err(exists_as(&format!("alias {address} -> {target}")))?;
            Ok(Alias { address, target })
        })
        .await
    }

    async fn alias_list(&self, domain: Option<&str>) -> Result<Vec<Alias>> {
        let domain = domain.map(lower);
        self.read(move |tx| {
            let mut st = tx.prepare_cached(
                "SELECT address, target FROM aliases \
                 WHERE ?1 IS NULL OR domain_id = (SELECT id FROM domains WHERE name = ?1) \
                 ORDER BY address, target",
            )?;
            let rows = st.query_map([domain], |r| {
                Ok(Alias {
                    address: r.get(0)?,
                    target: r.get(1)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn alias_delete(&self, address: &str, target: Option<&str>) -> Result<()> {
        let (address, target) = (lower(address), target.map(lower));
        self.write(move |tx| {
            let n = tx
                .prepare_cached("DELETE FROM aliases WHERE address = ?1 AND (?2 IS NULL OR target = ?2)")?
                .execute(params![address, target])?;
            if n == 0 {
                return Err(not_found(format!("alias {address}")));
            }
            Ok(())
        })
        .await
    }

    async fn alias_targets(&self, address: &str) -> Result<Vec<String>> {
        let address = lower(address);
        self.read(move |tx| {
            let mut st =
                tx.prepare_cached("SELECT target FROM aliases WHERE address = ?1 ORDER BY target")?;
            let rows = st.query_map([address], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
        })
        .await
    }

    async fn group_add(&self, address: &str, name: &str) -> Result<Group> {
        let (address, name) = (lower(address), name.to_owned());
        self.write(move |tx| {
            let did = domain_id(tx, domain_of(&address)?)?;
            tx.prepare_cached("INSERT INTO mail_groups (domain_id, address, name) VALUES (?1, ?2, ?3)")?
                .execute(params![did, address, name])
                .map_err(exists_as(&format!("group {address}")))?;
            Ok(Group {
                id: tx.last_insert_rowid(),
                address,
                name,
                members: Vec::new(),
            })
        })
        .await
    }

    async fn group_get(&self, address: &str) -> Result<Option<Group>> {
        let address = lower(address);
        self.read(move |tx| {
            let g = tx
                .prepare_cached("SELECT id, address, name FROM mail_groups WHERE address = ?1")?
                .query_row([address], |r| {
                    Ok(Group {
                        id: r.get(0)?,
                        address: r.get(1)?,
                        name: r.get(2)?,
                        members: Vec::new(),
                    })
                })
                .optional()?;
            match g {
                None => Ok(None),
                Some(mut g) => {
                    g.members = group_members(tx, g.id)?;
                    Ok(Some(g))
                }
            }
        })
        .await
    }

    async fn group_list(&self) -> Result<Vec<Group>> {
        self.read(|tx| {
            let mut st = tx.prepare_cached("SELECT id, address, name FROM mail_groups ORDER BY address")?;
            let mut groups = st
                .query_map([], |r| {
                    Ok(Group {
                        id: r.get(0)?,
                        address: r.get(1)?,
                        name: r.get(2)?,
                        members: Vec::new(),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let index: HashMap<i64, usize> = groups.iter().enumerate().map(|(i, g)| (g.id, i)).collect();
            let mut st = tx.prepare_cached("SELECT group_id, member FROM group_members ORDER BY member")?;
            let rows = st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
            for row in rows {
                let (gid, member) = row?;
                if let Some(g) = index.get(&gid).and_then(|&i| groups.get_mut(i)) {
                    g.members.push(member);
                }
            }
            Ok(groups)
        })
        .await
    }

    async fn group_delete(&self, address: &str) -> Result<()> {
        let address = lower(address);
        self.write(move |tx| {
            let n = tx
                .prepare_cached("DELETE FROM mail_groups WHERE address = ?1")?
                .execute([&address])?;
            if n == 0 {
                return Err(not_found(format!("group {address}")));
            }
            Ok(())
        })
        .await
    }

    async fn group_member_add(&self, group: &str, member: &str) -> Result<()> {
        let (group, member) = (lower(group), lower(member));
        self.write(move |tx| {
            let gid: i64 = tx
                .prepare_cached("SELECT id FROM mail_groups WHERE address = ?1")?
                .query_row([&group], |r| r.get(0))
                .optional()?
                .ok_or_else(|| not_found(format!("group {group}")))?;
            tx.prepare_cached("INSERT INTO group_members (group_id, member) VALUES (?1, ?2)")?
                .execute(params![gid, member])
                .map_err(exists_as(&format!("member {member} of {group}")))?;
            Ok(())
        })
        .await
    }

    async fn group_member_remove(&self, group: &str, member: &str) -> Result<()> {
        let (group, member) = (lower(group), lower(member));
        self.write(move |tx| {
            let n = tx
                .prepare_cached(
                    "DELETE FROM group_members WHERE member = ?2 \
                     AND group_id = (SELECT id FROM mail_groups WHERE address = ?1)",
                )?
                .execute(params![group, member])?;
            if n == 0 {
                return Err(not_found(format!("member {member} of {group}")));
            }
            Ok(())
        })
        .await
    }

    // ---- App passwords -------------------------------------------------------------------

    async fn app_password_add(&self, account: AccountId, name: &str, hash: &str) -> Result<AppPassword> {
        let (name, hash) = (name.to_owned(), hash.to_owned());
        self.write(move |tx| {
            account_row(tx, account)?;
            let created_at = now();
            tx.prepare_cached(
                "INSERT INTO app_passwords (account_id, name, hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![account, name, hash, created_at])
            .map_err(exists_as(&format!("app password {name}")))?;
            Ok(AppPassword {
                id: tx.last_insert_rowid(),
                account_id: account,
                name,
                hash,
                created_at,
            })
        })
        .await
    }

    async fn app_password_list(&self, account: AccountId) -> Result<Vec<AppPassword>> {
        self.read(move |tx| {
            let mut st = tx.prepare_cached(
                "SELECT id, account_id, name, hash, created_at FROM app_passwords WHERE account_id = ?1 ORDER BY name",
            )?;
            let rows = st.query_map([account], |r| {
                Ok(AppPassword {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    name: r.get(2)?,
                    hash: r.get(3)?,
                    created_at: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn app_password_revoke(&self, account: AccountId, name: &str) -> Result<()> {
        let name = name.to_owned();
        self.write(move |tx| {
            let n = tx
                .prepare_cached("DELETE FROM app_passwords WHERE account_id = ?1 AND name = ?2")?
                .execute(params![account, name])?;
            if n == 0 {
                return Err(not_found(format!("app password {name}")));
            }
            Ok(())
        })
        .await
    }

    // ---- Mailboxes -----------------------------------------------------------------------

    async fn mailbox_list(&self, account: AccountId) -> Result<Vec<Mailbox>> {
        self.read(move |tx| {
            let mut st = tx.prepare_cached(&format!(
                "SELECT {MAILBOX_COLS} FROM mailboxes WHERE account_id = ?1 ORDER BY name"
            ))?;
            let rows = st.query_map([account], mailbox_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn mailbox_get(&self, account: AccountId, name: &str) -> Result<Option<Mailbox>> {
        // RFC 9051 §5.1: INBOX is case-insensitive; it is always stored as `INBOX`.
        let name = if name.eq_ignore_ascii_case("INBOX") {
            "INBOX".to_owned()
        } else {
            name.to_owned()
        };
        self.read(move |tx| {
            Ok(tx
                .prepare_cached(&format!(
                    "SELECT {MAILBOX_COLS} FROM mailboxes WHERE account_id = ?1 AND name = ?2"
                ))?
                .query_row(params![account, name], mailbox_from_row)
                .optional()?)
        })
        .await
    }

    async fn mailbox_by_id(&self, id: MailboxId) -> Result<Option<Mailbox>> {
        self.read(move |tx| mailbox_row(tx, id)).await
    }

    async fn mailbox_create(
        &self,
        account: AccountId,
        name: &str,
        role: Option<SpecialUse>,
    ) -> Result<Mailbox> {
        let name = if name.eq_ignore_ascii_case("INBOX") {
            "INBOX".to_owned()
        } else {
            name.to_owned()
        };
        self.write(move |tx| {
            if name.is_empty() {
                return Err(invalid("mailbox name", "empty"));
            }
            let modseq = bump(tx, account)?;
            let mb = insert_mailbox(tx, account, &name, role, modseq)?;
            journal(
                tx,
                account,
                modseq,
                Some(mb.id),
                ChangeKind::MailboxCreated,
                &UidSet::default(),
            )?;
            Ok(mb)
        })
        .await
    }

    async fn mailbox_rename(&self, account: AccountId, id: MailboxId, new_name: &str) -> Result<()> {
        let new_name = if new_name.eq_ignore_ascii_case("INBOX") {
            "INBOX".to_owned()
        } else {
            new_name.to_owned()
        };
        self.write(move |tx| {
            let mb = mailbox_of(tx, account, id)?;
            if new_name.is_empty() {
                return Err(invalid("mailbox name", "empty"));
            }
            if new_name == mb.name {
                return Err(E(StoreError::AlreadyExists(format!("mailbox {new_name}"))));
            }
            let child_prefix = format!("{}{}", mb.name, HIERARCHY_SEPARATOR);
            if new_name.starts_with(&child_prefix) {
                return Err(E(StoreError::Conflict(
                    "cannot rename a mailbox into its own child".into(),
                )));
            }
            let taken: Option<i64> = tx
                .prepare_cached("SELECT id FROM mailboxes WHERE account_id = ?1 AND name = ?2")?
                .query_row(params![account, new_name], |r| r.get(0))
                .optional()?;
            if taken.is_some() {
                return Err(E(StoreError::AlreadyExists(format!("mailbox {new_name}"))));
            }
            // The mailbox and every `old/...` child become `new/...` (substr/length count
            // characters, consistently on both sides).
            tx.prepare_cached(
                "UPDATE mailboxes SET name = ?3 || substr(name, length(?2) + 1) \
                 WHERE account_id = ?1 AND (name = ?2 OR substr(name, 1, length(?2) + 1) = ?2 || ?4)",
            )?
            .execute(params![
                account,
                mb.name,
                new_name,
                HIERARCHY_SEPARATOR.to_string()
            ])
            .map_err(exists_as(&format!("mailbox {new_name} (or a child)")))?;
            let modseq = bump(tx, account)?;
            set_mailbox_modseq(tx, id, modseq)?;
            journal(
                tx,
                account,
                modseq,
                Some(id),
                ChangeKind::MailboxRenamed,
                &UidSet::default(),
            )
        })
        .await
    }

    async fn mailbox_set_role(
        &self,
        account: AccountId,
        id: MailboxId,
        role: Option<SpecialUse>,
    ) -> Result<()> {
        self.write(move |tx| {
            mailbox_of(tx, account, id)?;
            tx.prepare_cached("UPDATE mailboxes SET role = ?2 WHERE id = ?1")?
                .execute(params![id, role.map(SpecialUse::as_str)])?;
            let modseq = bump(tx, account)?;
            set_mailbox_modseq(tx, id, modseq)?;
            // No dedicated kind for attribute changes: a rename entry makes listeners re-LIST.
            journal(
                tx,
                account,
                modseq,
                Some(id),
                ChangeKind::MailboxRenamed,
                &UidSet::default(),
            )
        })
        .await
    }

    async fn mailbox_delete(&self, account: AccountId, id: MailboxId) -> Result<()> {
        self.write(move |tx| {
            mailbox_of(tx, account, id)?;
            let (count, size): (i64, i64) = tx
                .prepare_cached(
                    "SELECT count(*), COALESCE(sum(size), 0) FROM messages WHERE mailbox_id = ?1",
                )?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            // Messages and tombstones go by ON DELETE CASCADE.
            tx.prepare_cached("DELETE FROM mailboxes WHERE id = ?1")?
                .execute([id])?;
            add_account_usage(tx, account, -size, -count)?;
            let modseq = bump(tx, account)?;
            journal(
                tx,
                account,
                modseq,
                Some(id),
                ChangeKind::MailboxDeleted,
                &UidSet::default(),
            )
        })
        .await
    }

    async fn subscription_set(&self, account: AccountId, name: &str, subscribed: bool) -> Result<()> {
        let name = name.to_owned();
        self.write(move |tx| {
            let modseq = bump(tx, account)?;
            if subscribed {
                tx.prepare_cached("INSERT OR IGNORE INTO subscriptions (account_id, name) VALUES (?1, ?2)")?
                    .execute(params![account, name])?;
            } else {
                tx.prepare_cached("DELETE FROM subscriptions WHERE account_id = ?1 AND name = ?2")?
                    .execute(params![account, name])?;
            }
            journal(
                tx,
                account,
                modseq,
                None,
                ChangeKind::SubscriptionChanged,
                &UidSet::default(),
            )
        })
        .await
    }

    async fn subscription_list(&self, account: AccountId) -> Result<Vec<String>> {
        self.read(move |tx| {
            let mut st =
                tx.prepare_cached("SELECT name FROM subscriptions WHERE account_id = ?1 ORDER BY name")?;
            let rows = st.query_map([account], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
        })
        .await
    }

    // ---- Messages ------------------------------------------------------------------------

    async fn append(&self, account: AccountId, messages: Vec<NewMessage>) -> Result<Vec<Appended>> {
        // Encode metadata before entering the writer: keep the writer's critical path short.
        let mut encoded = Vec::with_capacity(messages.len());
        for m in messages {
            let meta =
                serde_json::to_string(&m.meta).map_err(|e| StoreError::Backend(format!("metadata: {e}")))?;
            encoded.push((m, meta));
        }
        self.write(move |tx| {
            let acc = account_row(tx, account)?;
            if encoded.is_empty() {
                return Ok(Vec::new());
            }
            let needed: u64 = encoded.iter().map(|(m, _)| m.size).sum();
            check_quota(&acc, needed)?;
            let mut targets: Vec<AppendTarget> = Vec::new();
            for (m, _) in &encoded {
                if !targets.iter().any(|t| t.id == m.mailbox_id) {
                    let mb = mailbox_of(tx, account, m.mailbox_id)?;
                    targets.push(AppendTarget {
                        id: mb.id,
                        uidvalidity: mb.uidvalidity,
                        next: mb.uidnext,
                        uids: Vec::new(),
                        unseen: 0,
                        size: 0,
                    });
                }
            }
            let modseq = bump(tx, account)?;
            let save_date = now();
            let mut ins = tx.prepare_cached(
                "INSERT INTO messages (account_id, mailbox_id, uid, flags, keywords, modseq, internal_date, \
                 save_date, size, blob_id, thread_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            let mut ins_meta =
                tx.prepare_cached("INSERT INTO message_meta (message_id, meta, prefix) VALUES (?1, ?2, ?3)")?;
            let mut ins_header =
                tx.prepare_cached("INSERT INTO message_headers (message_id, header) VALUES (?1, ?2)")?;
            let mut own_thread = tx.prepare_cached("UPDATE messages SET thread_id = id WHERE id = ?1")?;
            let mut thread_ref = tx.prepare_cached(
                "INSERT OR IGNORE INTO thread_refs (account_id, message_id, thread_id) VALUES (?1, ?2, ?3)",
            )?;
            let mut out = Vec::with_capacity(encoded.len());
            for (m, meta) in &encoded {
                let t = targets
                    .iter_mut()
                    .find(|t| t.id == m.mailbox_id)
                    .ok_or_else(|| not_found(format!("mailbox {}", m.mailbox_id)))?;
                let uid = t.next;
                t.next = uid.checked_add(1).ok_or_else(|| invalid("mailbox", "UID space exhausted"))?;
                let thread = find_thread(tx, account, &m.meta)?;
                ins.execute(params![
                    account,
                    m.mailbox_id,
                    uid,
                    i64::from(m.flags.system & flag::ALL),
                    m.flags.keywords_text(),
                    modseq as i64,
                    m.internal_date,
                    save_date,
                    m.size as i64,
                    m.blob_id,
                    thread.unwrap_or(0),
                ])?;
                let id = tx.last_insert_rowid();
                ins_meta.execute(params![id, meta, m.prefix.as_deref().filter(|p| !p.is_empty())])?;
                if let Some(h) = &m.header {
                    ins_header.execute(params![id, h])?;
                }
                let thread_id = match thread {
                    Some(t) => t,
                    None => {
                        own_thread.execute([id])?;
                        id
                    }
                };
                if let Some(mid) = m.meta.sort.message_id.as_deref().or(m.meta.envelope.message_id.as_deref()) {
                    let key = thread_key(mid);
                    if !key.is_empty() {
                        thread_ref.execute(params![account, key, thread_id])?;
                    }
                }
                t.uids.push(uid);
                t.size += m.size as i64;
                if !m.flags.has(flag::SEEN) {
                    t.unseen += 1;
                }
                out.push(Appended { mailbox_id: m.mailbox_id, uidvalidity: t.uidvalidity, uid, message_id: id, modseq });
            }
            let mut upd = tx.prepare_cached(
                "UPDATE mailboxes SET uidnext = ?2, message_count = message_count + ?3, \
                 unseen_count = unseen_count + ?4, total_size = total_size + ?5, highest_modseq = ?6 WHERE id = ?1",
            )?;
            for t in &targets {
                upd.execute(params![t.id, t.next, t.uids.len() as i64, t.unseen, t.size, modseq as i64])?;
                journal(tx, account, modseq, Some(t.id), ChangeKind::MessagesAdded, &UidSet::from_uids(t.uids.iter().copied()))?;
            }
            add_account_usage(tx, account, needed as i64, encoded.len() as i64)?;
            Ok(out)
        })
        .await
    }

    async fn message_summaries(&self, mailbox: MailboxId) -> Result<Vec<MessageSummary>> {
        self.read(move |tx| {
            let mut st = tx.prepare_cached(
                "SELECT uid, flags, keywords, modseq FROM messages WHERE mailbox_id = ?1 ORDER BY uid",
            )?;
            let rows = st.query_map([mailbox], summary_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn message_summaries_in(&self, mailbox: MailboxId, uids: &UidSet) -> Result<Vec<MessageSummary>> {
        let uids = uids.clone();
        self.read(move |tx| {
            let mut st = tx.prepare_cached(
                "SELECT uid, flags, keywords, modseq FROM messages \
                 WHERE mailbox_id = ?1 AND uid BETWEEN ?2 AND ?3 ORDER BY uid",
            )?;
            let mut out = Vec::new();
            // One read transaction; ranges are sorted and disjoint, so the result is ascending.
            for &(a, b) in uids.ranges() {
                for row in st.query_map(params![mailbox, a, b], summary_from_row)? {
                    out.push(row?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn messages(&self, mailbox: MailboxId, uids: &UidSet) -> Result<Vec<Message>> {
        let uids = uids.clone();
        self.read(move |tx| {
            let mut st = tx.prepare_cached(&format!(
                "SELECT {MESSAGE_COLS} FROM messages m JOIN message_meta mm ON mm.message_id = m.id \
                 WHERE m.mailbox_id = ?1 AND m.uid BETWEEN ?2 AND ?3 ORDER BY m.uid"
            ))?;
            let mut out = Vec::new();
            // Ranges are sorted and disjoint, so the concatenation is in ascending UID order.
            for &(a, b) in uids.ranges() {
                for row in st.query_map(params![mailbox, a, b], message_from_row)? {
                    let (mut m, meta) = row?;
                    m.meta = serde_json::from_str(&meta)?;
                    out.push(m);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn message_headers(&self, mailbox: MailboxId, uids: &UidSet) -> Result<Vec<HeaderBlock>> {
        let uids = uids.clone();
        self.read(move |tx| {
            let mut st = tx.prepare_cached(
                "SELECT m.uid, m.size, m.internal_date, h.header FROM messages m \
                 JOIN message_headers h ON h.message_id = m.id \
                 WHERE m.mailbox_id = ?1 AND m.uid BETWEEN ?2 AND ?3 ORDER BY m.uid",
            )?;
            let mut out = Vec::new();
            for &(a, b) in uids.ranges() {
                let rows = st.query_map(params![mailbox, a, b], |r| {
                    Ok(HeaderBlock {
                        uid: r.get::<_, i64>(0)? as u32,
                        size: r.get::<_, i64>(1)? as u64,
                        internal_date: r.get(2)?,
                        header: r.get(3)?,
                    })
                })?;
                for row in rows {
                    out.push(row?);
                }
            }
            Ok(out)
        })
        .await
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
        let (uids, mut change) = (uids.clone(), flags.clone());
        change.system &= flag::ALL;
        change.normalise();
        self.write(move |tx| {
            mailbox_of(tx, account, mailbox)?;
            if op != FlagOp::Set && change.keywords.is_empty() {
                return store_system_flags(tx, account, mailbox, &uids, op, change.system, unchanged_since);
            }
            // One SELECT of the set, the new flags computed here, one cached UPDATE per changed
            // message, all in the writer's transaction: no concurrent STORE can interleave.
            let rows = select_flags(tx, mailbox, &uids)?;
            let mut modified = Vec::new();
            let mut changes = Vec::new();
            for (id, uid, old, modseq, _) in rows {
                // RFC 7162 §3.1.3: only messages whose modseq is <= UNCHANGEDSINCE may change.
                if unchanged_since.is_some_and(|u| modseq > u) {
                    modified.push(uid);
                    continue;
                }
                let new = old.apply(op, &change);
                if new != old {
                    changes.push((id, uid, old, new));
                }
            }
            if changes.is_empty() {
                return Ok(FlagUpdate {
                    modseq: 0,
                    changed: Vec::new(),
                    modified,
                });
            }
            let modseq = bump(tx, account)?;
            let mut upd = tx
                .prepare_cached("UPDATE messages SET flags = ?2, keywords = ?3, modseq = ?4 WHERE id = ?1")?;
            let mut unseen_delta = 0i64;
            let mut changed = Vec::with_capacity(changes.len());
            for (id, uid, old, new) in changes {
                upd.execute(params![
                    id,
                    i64::from(new.system),
                    new.keywords_text(),
                    modseq as i64
                ])?;
                match (old.has(flag::SEEN), new.has(flag::SEEN)) {
                    (false, true) => unseen_delta -= 1,
                    (true, false) => unseen_delta += 1,
                    _ => {}
                }
                changed.push(MessageSummary {
                    uid,
                    flags: new,
                    modseq,
                });
            }
            tx.prepare_cached(
                "UPDATE mailboxes SET unseen_count = unseen_count + ?2, highest_modseq = ?3 WHERE id = ?1",
            )?
            .execute(params![mailbox, unseen_delta, modseq as i64])?;
            journal(
                tx,
                account,
                modseq,
                Some(mailbox),
                ChangeKind::FlagsChanged,
                &UidSet::from_uids(changed.iter().map(|c| c.uid)),
            )?;
            Ok(FlagUpdate {
                modseq,
                changed,
                modified,
            })
        })
        .await
    }

    async fn copy(
        &self,
        account: AccountId,
        from: MailboxId,
        uids: &UidSet,
        to: MailboxId,
    ) -> Result<CopyResult> {
        let uids = uids.clone();
        self.write(move |tx| copy_or_move(tx, account, from, &uids, to, false))
            .await
    }

    async fn move_messages(
        &self,
        account: AccountId,
        from: MailboxId,
        uids: &UidSet,
        to: MailboxId,
    ) -> Result<CopyResult> {
        let uids = uids.clone();
        self.write(move |tx| copy_or_move(tx, account, from, &uids, to, true))
            .await
    }

    async fn expunge(
        &self,
        account: AccountId,
        mailbox: MailboxId,
        uids: Option<&UidSet>,
    ) -> Result<Vec<Uid>> {
        let uids = uids.cloned().unwrap_or_else(UidSet::all);
        self.write(move |tx| {
            mailbox_of(tx, account, mailbox)?;
            let rows: Vec<_> = select_flags(tx, mailbox, &uids)?
                .into_iter()
                .filter(|r| r.2.has(flag::DELETED))
                .collect();
            if rows.is_empty() {
                return Ok(Vec::new());
            }
            let modseq = bump(tx, account)?;
            remove_messages(tx, mailbox, modseq, &rows)?;
            let size: u64 = rows.iter().map(|r| r.4).sum();
            add_account_usage(tx, account, -(size as i64), -(rows.len() as i64))?;
            let expunged: Vec<Uid> = rows.iter().map(|r| r.1).collect();
            journal(
                tx,
                account,
                modseq,
                Some(mailbox),
                ChangeKind::MessagesExpunged,
                &UidSet::from_uids(expunged.iter().copied()),
            )?;
            Ok(expunged)
        })
        .await
    }

    async fn mailbox_changes(&self, mailbox: MailboxId, since: ModSeq) -> Result<MailboxChanges> {
        self.read(move |tx| {
            let mb = mailbox_row(tx, mailbox)?.ok_or_else(|| not_found(format!("mailbox {mailbox}")))?;
            let since = since.min(i64::MAX as u64) as i64;
            let mut st = tx.prepare_cached(
                "SELECT uid, flags, keywords, modseq FROM messages WHERE mailbox_id = ?1 AND modseq > ?2 ORDER BY uid",
            )?;
            let changed = st.query_map(params![mailbox, since], summary_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            let mut st = tx
                .prepare_cached("SELECT uid FROM tombstones WHERE mailbox_id = ?1 AND modseq > ?2 ORDER BY uid")?;
            let vanished = st
                .query_map(params![mailbox, since], |r| Ok(r.get::<_, i64>(0)? as u32))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(MailboxChanges { changed, vanished, highest_modseq: mb.highest_modseq })
        })
        .await
    }

    // ---- Access control lists and per-user \Seen (see `acl.rs`) ---------------------------

    async fn acl_set(
        &self,
        owner: AccountId,
        mailbox: MailboxId,
        identifier: &str,
        rights: &str,
    ) -> Result<ModSeq> {
        if rights.is_empty() {
            return self.acl_delete(owner, mailbox, identifier).await;
        }
        let (ident, rights) = (crate::acl::identifier(identifier)?, rights.to_owned());
        self.write(move |tx| crate::acl::set(tx, owner, mailbox, &ident, &rights))
            .await
    }

    async fn acl_delete(&self, owner: AccountId, mailbox: MailboxId, identifier: &str) -> Result<ModSeq> {
        let ident = crate::acl::identifier(identifier)?;
        self.write(move |tx| crate::acl::delete(tx, owner, mailbox, &ident))
            .await
    }

    async fn acl_list(&self, mailbox: MailboxId) -> Result<Vec<AclEntry>> {
        self.read(move |tx| crate::acl::list(tx, mailbox)).await
    }

    async fn acl_shared_with(&self, identifiers: &[String]) -> Result<Vec<SharedMailbox>> {
        let ids: Vec<String> = identifiers
            .iter()
            .map(|i| AclEntry::normalise_identifier(i))
            .collect();
        self.read(move |tx| crate::acl::shared_with(tx, &ids)).await
    }

    async fn private_seen(&self, viewer: AccountId, mailbox: MailboxId) -> Result<UidSet> {
        self.read(move |tx| crate::acl::seen(tx, viewer, mailbox)).await
    }

    async fn private_seen_changes(
        &self,
        viewer: AccountId,
        mailbox: MailboxId,
        since: ModSeq,
    ) -> Result<Vec<PrivateSeen>> {
        self.read(move |tx| crate::acl::seen_changes(tx, viewer, mailbox, since))
            .await
    }

    async fn private_seen_store(
        &self,
        viewer: AccountId,
        mailbox: MailboxId,
        uids: &UidSet,
        seen: bool,
    ) -> Result<SeenUpdate> {
        let uids = uids.clone();
        self.write(move |tx| crate::acl::seen_store(tx, viewer, mailbox, &uids, seen))
            .await
    }

    async fn private_unseen_count(&self, viewer: AccountId, mailbox: MailboxId) -> Result<u32> {
        self.read(move |tx| crate::acl::unseen_count(tx, viewer, mailbox))
            .await
    }

    // ---- Quota ---------------------------------------------------------------------------

    async fn quota(&self, account: AccountId) -> Result<QuotaUsage> {
        self.read(move |tx| {
            let a = account_row(tx, account)?;
            Ok(QuotaUsage {
                used_bytes: a.used_bytes,
                limit_bytes: a.quota_bytes,
                message_count: a.message_count,
            })
        })
        .await
    }

    // ---- Metadata (RFC 5464) -------------------------------------------------------------

    async fn metadata_set(
        &self,
        account: AccountId,
        mailbox: Option<MailboxId>,
        entries: &[(String, Option<Vec<u8>>)],
        limits: MetadataLimits,
    ) -> Result<MetadataSetOutcome> {
        let entries: Vec<(String, Option<Vec<u8>>)> = entries
            .iter()
            .map(|(n, v)| (metadata_name(n), v.clone()))
            .collect();
        self.write(move |tx| {
            account_row(tx, account)?;
            if let Some(id) = mailbox {
                mailbox_of(tx, account, id)?;
            }
            // The writer thread serialises writes: nothing changes between this check and the
            // writes below.
            let current: Vec<(String, u64)> = tx
                .prepare_cached(
                    "SELECT name, length(CAST(name AS BLOB)) + length(value) FROM metadata \
                     WHERE account_id = ?1 AND mailbox_id IS ?2",
                )?
                .query_map(params![account, mailbox], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let usage = metadata_usage_of(tx, account)?;
            let outcome = metadata_check(&current, usage.bytes, &entries, &limits);
            if outcome != MetadataSetOutcome::Stored {
                return Ok(outcome);
            }
            for (name, value) in &entries {
                tx.prepare_cached(
                    "DELETE FROM metadata WHERE account_id = ?1 AND mailbox_id IS ?2 AND name = ?3",
                )?
                .execute(params![account, mailbox, name])?;
                if let Some(v) = value {
                    tx.prepare_cached(
                        "INSERT INTO metadata (account_id, mailbox_id, name, value) VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![account, mailbox, name, v])?;
                }
            }
            let modseq = bump(tx, account)?;
            journal(
                tx,
                account,
                modseq,
                mailbox,
                ChangeKind::Metadata,
                &UidSet::default(),
            )?;
            Ok(MetadataSetOutcome::Stored)
        })
        .await
    }

    async fn metadata_get(
        &self,
        account: AccountId,
        mailbox: Option<MailboxId>,
    ) -> Result<Vec<MetadataEntry>> {
        self.read(move |tx| {
            let mut st = tx.prepare_cached(
                "SELECT name, value FROM metadata WHERE account_id = ?1 AND mailbox_id IS ?2 ORDER BY name",
            )?;
            let rows = st.query_map(params![account, mailbox], |r| {
                Ok(MetadataEntry {
                    mailbox_id: mailbox,
                    name: r.get(0)?,
                    value: r.get(1)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn metadata_usage(&self, account: AccountId) -> Result<MetadataUsage> {
        self.read(move |tx| metadata_usage_of(tx, account)).await
    }

    // ---- Outbound queue, delegations, DKIM keys, duplicate suppression (see `queue.rs`) ----

    async fn queue_enqueue(&self, msg: NewQueuedMessage) -> Result<QueueId> {
        let domains = msg.validate()?;
        self.write(move |tx| crate::queue::enqueue(tx, &msg, &domains))
            .await
    }

    async fn queue_claim(&self, now: i64, lease_until: i64, limit: u32) -> Result<Vec<QueuedMessage>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.write(move |tx| crate::queue::claim(tx, now, lease_until, limit))
            .await
    }

    async fn queue_update(&self, id: QueueId, updates: Vec<RecipientUpdate>) -> Result<()> {
        let updates = queue_updates_checked(updates)?;
        self.write(move |tx| crate::queue::update(tx, id, &updates)).await
    }

    async fn queue_release(&self, id: QueueId) -> Result<()> {
        self.write(move |tx| crate::queue::release(tx, id)).await
    }

    async fn queue_get(&self, id: QueueId) -> Result<Option<QueuedMessage>> {
        self.read(move |tx| crate::queue::get(tx, id)).await
    }

    async fn queue_list(&self) -> Result<Vec<QueuedMessage>> {
        self.read(crate::queue::list).await
    }

    async fn queue_hold(&self, id: QueueId, held: bool) -> Result<()> {
        self.write(move |tx| crate::queue::hold(tx, id, held)).await
    }

    async fn queue_retry_now(&self, id: Option<QueueId>, now: i64) -> Result<u64> {
        self.write(move |tx| crate::queue::retry_now(tx, id, now)).await
    }

    async fn queue_delete(&self, id: QueueId) -> Result<()> {
        self.write(move |tx| crate::queue::delete(tx, id)).await
    }

    async fn queue_next_due(&self) -> Result<Option<i64>> {
        self.read(crate::queue::next_due).await
    }

    async fn delegation_add(&self, account: AccountId, address: &str, kind: DelegationKind) -> Result<()> {
        let address = delegation_address(address)?;
        self.write(move |tx| crate::queue::delegation_add(tx, account, &address, kind))
            .await
    }

    async fn delegation_remove(&self, account: AccountId, address: &str) -> Result<()> {
        let address = lower(address);
        self.write(move |tx| crate::queue::delegation_remove(tx, account, &address))
            .await
    }

    async fn delegation_list(&self, account: Option<AccountId>) -> Result<Vec<Delegation>> {
        self.read(move |tx| crate::queue::delegation_list(tx, account))
            .await
    }

    async fn dkim_key_put(&self, key: DkimKey) -> Result<()> {
        let key = key.normalised()?;
        self.write(move |tx| crate::queue::dkim_put(tx, &key)).await
    }

    async fn dkim_key_get(&self, domain: &str) -> Result<Option<DkimKey>> {
        let domain = lower(domain);
        self.read(move |tx| crate::queue::dkim_get(tx, &domain)).await
    }

    async fn dkim_key_list(&self) -> Result<Vec<DkimKey>> {
        self.read(crate::queue::dkim_list).await
    }

    async fn dkim_key_delete(&self, domain: &str, selector: &str) -> Result<()> {
        let (domain, selector) = (lower(domain), lower(selector));
        self.write(move |tx| crate::queue::dkim_delete(tx, &domain, &selector))
            .await
    }

    async fn sieve_duplicate_seen(&self, account: AccountId, key: &str, now: i64) -> Result<bool> {
        let key = sieve_duplicate_key(key)?.to_owned();
        self.read(move |tx| crate::queue::sieve_duplicate_seen(tx, account, &key, now))
            .await
    }

    async fn sieve_duplicate_record(&self, account: AccountId, key: &str, until: i64) -> Result<()> {
        let key = sieve_duplicate_key(key)?.to_owned();
        self.write(move |tx| crate::queue::sieve_duplicate_record(tx, account, &key, until))
            .await
    }

    async fn sieve_duplicate_purge(&self, now: i64) -> Result<u64> {
        self.write(move |tx| crate::queue::sieve_duplicate_purge(tx, now))
            .await
    }

    async fn dedup_check_and_record(
        &self,
        account: AccountId,
        message_id: &str,
        now: i64,
        window_secs: i64,
    ) -> Result<bool> {
        let key = dedup_key(message_id)?;
        self.write(move |tx| crate::queue::dedup_check_and_record(tx, account, &key, now, window_secs))
            .await
    }

    async fn dedup_purge(&self, before: i64) -> Result<u64> {
        self.write(move |tx| crate::queue::dedup_purge(tx, before)).await
    }

    async fn dedup_forget(&self, account: AccountId, message_id: &str) -> Result<()> {
        let key = dedup_key(message_id)?;
        self.write(move |tx| crate::queue::dedup_forget(tx, account, &key))
            .await
    }

    // ---- Sieve scripts and vacation records (see `sieve.rs`) --------------------------------

    async fn sieve_list(&self, account: AccountId) -> Result<Vec<SieveScriptInfo>> {
        self.read(move |tx| crate::sieve::list(tx, account)).await
    }

    async fn sieve_get(&self, account: AccountId, name: &str) -> Result<Option<SieveScript>> {
        let name = sieve_script_name(name)?.to_owned();
        self.read(move |tx| crate::sieve::get(tx, account, &name)).await
    }

    async fn sieve_put(
        &self,
        account: AccountId,
        name: &str,
        source: &str,
        max_scripts: usize,
        now: i64,
    ) -> Result<SievePutOutcome> {
        let name = sieve_script_name(name)?.to_owned();
        let source = source.to_owned();
        self.write(move |tx| crate::sieve::put(tx, account, &name, &source, max_scripts, now))
            .await
    }

    async fn sieve_delete(&self, account: AccountId, name: &str) -> Result<()> {
        let name = sieve_script_name(name)?.to_owned();
        self.write(move |tx| crate::sieve::delete(tx, account, &name))
            .await
    }

    async fn sieve_rename(&self, account: AccountId, from: &str, to: &str) -> Result<()> {
        let from = sieve_script_name(from)?.to_owned();
        let to = sieve_script_name(to)?.to_owned();
        self.write(move |tx| crate::sieve::rename(tx, account, &from, &to))
            .await
    }

    async fn sieve_activate(&self, account: AccountId, name: Option<&str>) -> Result<()> {
        let name = name.map(sieve_script_name).transpose()?.map(str::to_owned);
        self.write(move |tx| crate::sieve::activate(tx, account, name.as_deref()))
            .await
    }

    async fn sieve_active(&self, account: AccountId) -> Result<Option<SieveScript>> {
        self.read(move |tx| crate::sieve::active(tx, account)).await
    }

    async fn vacation_check_and_record(
        &self,
        account: AccountId,
        handle: &str,
        sender: &str,
        until_unix_secs: i64,
        now: i64,
    ) -> Result<bool> {
        let (handle, sender) = vacation_key(handle, sender)?;
        self.write(move |tx| {
            crate::sieve::vacation_check_and_record(tx, account, &handle, &sender, until_unix_secs, now)
        })
        .await
    }

    async fn vacation_purge(&self, now: i64) -> Result<u64> {
        self.write(move |tx| crate::sieve::vacation_purge(tx, now)).await
    }

    // ---- Calendars and address books (see `dav.rs`) -----------------------------------------

    async fn dav_collections_create(
        &self,
        account: AccountId,
        mut new: Vec<NewDavCollection>,
    ) -> Result<Vec<DavCollection>> {
        for n in &mut new {
            n.validate()?;
        }
        self.write(move |tx| crate::dav::collections_create(tx, account, &new))
            .await
    }

    async fn dav_collection_list(&self, account: AccountId) -> Result<Vec<DavCollection>> {
        self.read(move |tx| crate::dav::collection_list(tx, account))
            .await
    }

    async fn dav_collection_get(&self, account: AccountId, name: &str) -> Result<Option<DavCollection>> {
        let name = name.to_owned();
        self.read(move |tx| crate::dav::collection_get(tx, account, &name))
            .await
    }

    async fn dav_collection_by_id(&self, id: DavCollectionId) -> Result<Option<DavCollection>> {
        self.read(move |tx| crate::dav::collection_row(tx, id)).await
    }

    async fn dav_collection_rename(
        &self,
        account: AccountId,
        id: DavCollectionId,
        new_name: &str,
    ) -> Result<DavCollection> {
        let new_name = new_name.to_owned();
        self.write(move |tx| crate::dav::collection_rename(tx, account, id, &new_name))
            .await
    }

    async fn dav_collection_update(
        &self,
        account: AccountId,
        id: DavCollectionId,
        patch: &DavCollectionPatch,
    ) -> Result<DavCollection> {
        let patch = patch.clone();
        self.write(move |tx| crate::dav::collection_update(tx, account, id, &patch))
            .await
    }

    async fn dav_collection_delete(&self, account: AccountId, id: DavCollectionId) -> Result<()> {
        self.write(move |tx| crate::dav::collection_delete(tx, account, id))
            .await
    }

    async fn dav_object_put(
        &self,
        account: AccountId,
        collection: DavCollectionId,
        mut object: NewDavObject,
        condition: EtagCondition,
    ) -> Result<DavPutOutcome> {
        object.validate()?;
        // Hash before entering the writer: keep its critical path short.
        let etag = dav_etag(&object.content);
        self.write(move |tx| crate::dav::object_put(tx, account, collection, &object, &etag, &condition))
            .await
    }

    async fn dav_object_get(&self, collection: DavCollectionId, name: &str) -> Result<Option<DavObject>> {
        let name = name.to_owned();
        self.read(move |tx| crate::dav::object_get(tx, collection, &name))
            .await
    }

    async fn dav_object_by_uid(&self, collection: DavCollectionId, uid: &str) -> Result<Option<DavObject>> {
        let uid = uid.to_owned();
        self.read(move |tx| crate::dav::object_by_uid(tx, collection, &uid))
            .await
    }

    async fn dav_object_by_uid_in_account(
        &self,
        account: AccountId,
        kind: DavCollectionKind,
        uid: &str,
        except: Option<DavCollectionId>,
    ) -> Result<Option<DavObject>> {
        let uid = uid.to_owned();
        self.read(move |tx| crate::dav::object_by_uid_in_account(tx, account, kind, &uid, except))
            .await
    }

    async fn dav_object_multiget(
        &self,
        collection: DavCollectionId,
        names: &[String],
    ) -> Result<Vec<DavObject>> {
        let names = names.to_vec();
        self.read(move |tx| crate::dav::object_multiget(tx, collection, &names))
            .await
    }

    async fn dav_object_list(&self, collection: DavCollectionId) -> Result<Vec<DavObjectInfo>> {
        self.read(move |tx| crate::dav::object_list(tx, collection)).await
    }

    async fn dav_object_delete(
        &self,
        account: AccountId,
        collection: DavCollectionId,
        name: &str,
        condition: EtagCondition,
    ) -> Result<DavDeleteOutcome> {
        let name = name.to_owned();
        self.write(move |tx| crate::dav::object_delete(tx, account, collection, &name, &condition))
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
        dav_name_check("object name", new_name)?;
        let request = crate::dav::MoveRequest {
            from,
            name: name.to_owned(),
            to,
            new_name: new_name.to_owned(),
            source,
            overwrite,
        };
        self.write(move |tx| crate::dav::object_move(tx, account, &request))
            .await
    }

    async fn dav_objects_in_span(
        &self,
        collection: DavCollectionId,
        start: i64,
        end: i64,
    ) -> Result<Vec<DavObject>> {
        self.read(move |tx| crate::dav::objects_in_span(tx, collection, start, end))
            .await
    }

    async fn dav_changes(
        &self,
        collection: DavCollectionId,
        since: ModSeq,
        limit: u32,
    ) -> Result<DavChanges> {
        self.read(move |tx| crate::dav::changes(tx, collection, since, limit))
            .await
    }

    // ---- Sharing of calendars and address books ---------------------------------------------

    async fn dav_share_set(
        &self,
        owner: AccountId,
        collection: DavCollectionId,
        sharee: &str,
        access: DavAccess,
        note: &DavShareNote,
        sharee_accounts: &[AccountId],
    ) -> Result<DavShare> {
        let (sharee, note, accounts) = (sharee.to_owned(), note.clone(), sharee_accounts.to_vec());
        self.write(move |tx| crate::dav_share::set(tx, owner, collection, &sharee, access, &note, &accounts))
            .await
    }

    async fn dav_share_remove(
        &self,
        owner: AccountId,
        collection: DavCollectionId,
        sharee: &str,
        sharee_accounts: &[AccountId],
    ) -> Result<ModSeq> {
        let (sharee, accounts) = (sharee.to_owned(), sharee_accounts.to_vec());
        self.write(move |tx| crate::dav_share::remove(tx, owner, collection, &sharee, &accounts))
            .await
    }

    async fn dav_share_list(&self, collection: DavCollectionId) -> Result<Vec<DavShare>> {
        self.read(move |tx| crate::dav_share::list(tx, collection)).await
    }

    async fn dav_share_answer(
        &self,
        account: AccountId,
        identifiers: &[String],
        collection: DavCollectionId,
        status: DavShareStatus,
        display_name: Option<&str>,
    ) -> Result<ModSeq> {
        let (identifiers, name) = (identifiers.to_vec(), display_name.map(str::to_owned));
        self.write(move |tx| {
            crate::dav_share::answer(tx, account, &identifiers, collection, status, name.as_deref())
        })
        .await
    }

    async fn dav_shared_with(
        &self,
        account: AccountId,
        identifiers: &[String],
    ) -> Result<Vec<DavSharedCollection>> {
        let identifiers = identifiers.to_vec();
        self.read(move |tx| crate::dav_share::shared_with(tx, account, &identifiers))
            .await
    }

    async fn dav_share_invite_dismiss(
        &self,
        account: AccountId,
        identifiers: &[String],
        collection: DavCollectionId,
    ) -> Result<ModSeq> {
        let identifiers = identifiers.to_vec();
        self.write(move |tx| crate::dav_share::invite_dismiss(tx, account, &identifiers, collection))
            .await
    }

    async fn dav_share_replies(&self, owner: AccountId) -> Result<Vec<DavShareReply>> {
        self.read(move |tx| crate::dav_share::replies(tx, owner)).await
    }

    async fn dav_share_reply_dismiss(
        &self,
        owner: AccountId,
        collection: DavCollectionId,
        account: AccountId,
    ) -> Result<ModSeq> {
        self.write(move |tx| crate::dav_share::reply_dismiss(tx, owner, collection, account))
            .await
    }

    async fn dav_sharee_props(&self, account: AccountId) -> Result<Vec<DavShareeProp>> {
        self.read(move |tx| crate::dav_share::sharee_props(tx, account))
            .await
    }

    async fn dav_sharee_props_set(
        &self,
        account: AccountId,
        identifiers: &[String],
        collection: DavCollectionId,
        props: &[(String, Option<String>)],
    ) -> Result<()> {
        let (identifiers, props) = (identifiers.to_vec(), props.to_vec());
        self.write(move |tx| {
            crate::dav_share::sharee_props_set(tx, account, &identifiers, collection, &props)
        })
        .await
    }

    async fn dav_access(
        &self,
        account: AccountId,
        identifiers: &[String],
        collection: DavCollectionId,
    ) -> Result<Option<DavAccess>> {
        let identifiers = identifiers.to_vec();
        self.read(move |tx| crate::dav_share::access(tx, account, &identifiers, collection))
            .await
    }

    // ---- Journal -------------------------------------------------------------------------

    async fn journal_after(&self, after: i64, limit: u32) -> Result<Vec<JournalEntry>> {
        self.read(move |tx| {
            let mut st = tx.prepare_cached(
                "SELECT id, account_id, modseq, mailbox_id, kind, uids, collection_id FROM journal \
                 WHERE id > ?1 ORDER BY id LIMIT ?2",
            )?;
            let rows = st.query_map(params![after, limit], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, account_id, modseq, mailbox_id, kind, uids, collection_id) = row?;
                let kind = ChangeKind::parse(&kind)
                    .ok_or_else(|| E(StoreError::Backend(format!("journal {id}: unknown kind {kind}"))))?;
                let uids = UidSet::parse_imap(&uids)
                    .ok_or_else(|| E(StoreError::Backend(format!("journal {id}: bad uid set {uids}"))))?;
                out.push(JournalEntry {
                    id,
                    account_id,
                    modseq: modseq as u64,
                    mailbox_id,
                    kind,
                    uids,
                    collection_id,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn journal_head(&self) -> Result<i64> {
        self.read(|tx| {
            Ok(tx
                .prepare_cached("SELECT COALESCE(max(id), 0) FROM journal")?
                .query_row([], |r| r.get(0))?)
        })
        .await
    }

    // ---- Maintenance ---------------------------------------------------------------------

    async fn referenced_blobs(&self) -> Result<Vec<String>> {
        self.read(|tx| {
            let mut st = tx.prepare_cached(&format!(
                "SELECT blob_id FROM messages UNION {}",
                crate::queue::QUEUE_BLOBS_SQL
            ))?;
            let rows = st.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
        })
        .await
    }

    async fn check_consistency(&self) -> Result<CheckReport> {
        self.read(|tx| {
            let mut report = CheckReport::default();
            let count = |sql: &str| -> R<u64> { Ok(tx.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64) };
            report.accounts = count("SELECT count(*) FROM accounts")?;
            report.mailboxes = count("SELECT count(*) FROM mailboxes")?;
            report.messages = count("SELECT count(*) FROM messages")?;

            // Mailbox counters against their messages; UIDNEXT above every UID; modseqs.
            let mut st = tx.prepare(
                "SELECT mb.id, mb.account_id, mb.name, mb.message_count, mb.unseen_count, mb.total_size, mb.uidnext, \
                        mb.highest_modseq, COALESCE(c.n, 0), COALESCE(c.unseen, 0), COALESCE(c.size, 0), \
                        COALESCE(c.max_uid, 0), COALESCE(c.max_modseq, 0), \
                        COALESCE((SELECT max(uid) FROM tombstones t WHERE t.mailbox_id = mb.id), 0) \
                 FROM mailboxes mb LEFT JOIN ( \
                     SELECT mailbox_id, count(*) AS n, sum((flags & 1) = 0) AS unseen, sum(size) AS size, \
                            max(uid) AS max_uid, max(modseq) AS max_modseq \
                     FROM messages GROUP BY mailbox_id) c ON c.mailbox_id = mb.id",
            )?;
            let rows = st.query_map([], |r| {
                let mut v = [0i64; 13];
                for (i, slot) in v.iter_mut().enumerate() {
                    let col = if i < 2 { i } else { i + 1 };
                    *slot = r.get(col)?;
                }
                Ok((r.get::<_, String>(2)?, v))
            })?;
            for row in rows {
                let (name, v) = row?;
                let [id, acc, count, unseen, size, uidnext, hms, n, u, s, max_uid, max_ms, max_tomb] = v;
                let what = format!("mailbox {id} ({name}) of account {acc}");
                if count != n {
                    report.problems.push(format!("{what}: message_count {count}, counted {n}"));
                }
                if unseen != u {
                    report.problems.push(format!("{what}: unseen_count {unseen}, counted {u}"));
                }
                if size != s {
                    report.problems.push(format!("{what}: total_size {size}, counted {s}"));
                }
                if uidnext <= max_uid.max(max_tomb) {
                    report.problems.push(format!("{what}: UIDNEXT {uidnext} not above UID {}", max_uid.max(max_tomb)));
                }
                if hms < max_ms {
                    report.problems.push(format!("{what}: HIGHESTMODSEQ {hms} below a message's modseq {max_ms}"));
                }
            }

            // Account counters against their messages and DAV objects; account modseq above every
            // mailbox's and collection's.
            let mut st = tx.prepare(
                "SELECT a.id, a.address, a.used_bytes, a.message_count, a.modseq, \
                        COALESCE((SELECT sum(m.size) FROM messages m WHERE m.account_id = a.id), 0) \
                        + COALESCE((SELECT sum(o.size) FROM dav_objects o JOIN dav_collections c \
                                    ON c.id = o.collection_id WHERE c.account_id = a.id), 0), \
                        (SELECT count(*) FROM messages m WHERE m.account_id = a.id), \
                        max(COALESCE((SELECT max(highest_modseq) FROM mailboxes b WHERE b.account_id = a.id), 0), \
                            COALESCE((SELECT max(highest_modseq) FROM dav_collections c \
                                      WHERE c.account_id = a.id), 0)) \
                 FROM accounts a",
            )?;
            let rows = st.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    [r.get::<_, i64>(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?],
                ))
            })?;
            for row in rows {
                let (id, address, [used, cnt, modseq, s, n, max_ms]) = row?;
                let what = format!("account {id} ({address})");
                if used != s {
                    report.problems.push(format!("{what}: used_bytes {used}, counted {s}"));
                }
                if cnt != n {
                    report.problems.push(format!("{what}: message_count {cnt}, counted {n}"));
                }
                if modseq < max_ms {
                    report.problems.push(format!("{what}: modseq {modseq} below a mailbox's or collection's {max_ms}"));
                }
            }

            crate::dav::check(tx, &mut report)?;

            // Messages filed under a mailbox of another account.
            let stray = count(
                "SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.account_id != m.account_id",
            )?;
            if stray > 0 {
                report.problems.push(format!("{stray} messages carry the wrong account id"));
            }
            Ok(report)
        })
        .await
    }
}
