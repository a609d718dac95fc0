//! Access control lists (RFC 4314 §2) and per-user `\Seen` on shared mailboxes (RFC 4314 §4,
//! as Dovecot's private index keeps it) on SQLite. The [`malt_store::Store`] trait methods in
//! `ops.rs` call these functions inside their read or write transaction.
//!
//! Invariants:
//! - An ACL change bumps the OWNER's modseq once and writes one `AclChanged` journal row for
//!   the mailbox, in the transaction of the change; a change that changes nothing (same
//!   rights, deleting a missing entry) bumps nothing and returns modseq 0.
//! - Private `\Seen` rows take their modseq from the OWNER's counter, so a mailbox's modseqs
//!   stay one sequence; each change raises the mailbox's `highest_modseq` and writes one
//!   `FlagsChanged` row (owner account, mailbox, changed UIDs). A clear is kept as a row with
//!   `seen = 0` so that CONDSTORE reports it.
//! - Expunge and move delete the private rows of the UIDs they remove (in the tombstone
//!   step); every read also joins `messages`, so a row without its message never counts.
//! - Set-based SQL only: one statement per UID range, never one per message.

use malt_store::*;
use rusqlite::{OptionalExtension, Transaction, params};

use crate::R;
use crate::ops::{account_row, bump, invalid, journal, mailbox_from_row, mailbox_of, mailbox_row, not_found};

/// Mailbox columns qualified by `mb.` (same order as `MAILBOX_COLS`, for `mailbox_from_row`).
const MB_COLS: &str = "mb.id, mb.account_id, mb.name, mb.role, mb.uidvalidity, mb.uidnext, mb.highest_modseq, \
                       mb.message_count, mb.unseen_count, mb.total_size";

/// The stored form of `identifier`, or `Invalid` when it is empty.
pub(crate) fn identifier(identifier: &str) -> malt_store::Result<String> {
    let id = AclEntry::normalise_identifier(identifier);
    if id.is_empty() {
        return Err(StoreError::Invalid {
            what: "ACL identifier",
            reason: "empty".into(),
        });
    }
    Ok(id)
}

/// Journals an ACL change of `mailbox` for its owner; returns the new modseq.
fn acl_changed(tx: &Transaction<'_>, owner: AccountId, mailbox: MailboxId) -> R<ModSeq> {
    let modseq = bump(tx, owner)?;
    journal_acl(tx, owner, modseq, mailbox)?;
    Ok(modseq)
}

/// The `AclChanged` journal row of `mailbox` with the owner's `modseq`.
fn journal_acl(tx: &Transaction<'_>, owner: AccountId, modseq: ModSeq, mailbox: MailboxId) -> R<()> {
    journal(
        tx,
        owner,
        modseq,
        Some(mailbox),
        ChangeKind::AclChanged,
        &UidSet::default(),
    )
}

pub(crate) fn set(
    tx: &Transaction<'_>,
    owner: AccountId,
    mailbox: MailboxId,
    ident: &str,
    rights: &str,
) -> R<ModSeq> {
    mailbox_of(tx, owner, mailbox)?;
    let n = tx
        .prepare_cached(
            "INSERT INTO mailbox_acl (mailbox_id, identifier, rights) VALUES (?1, ?2, ?3) \
             ON CONFLICT (mailbox_id, identifier) DO UPDATE SET rights = excluded.rights \
             WHERE rights != excluded.rights",
        )?
        .execute(params![mailbox, ident, rights])?;
    if n == 0 {
        return Ok(0);
    }
    acl_changed(tx, owner, mailbox)
}

pub(crate) fn delete(tx: &Transaction<'_>, owner: AccountId, mailbox: MailboxId, ident: &str) -> R<ModSeq> {
    mailbox_of(tx, owner, mailbox)?;
    let n = tx
        .prepare_cached("DELETE FROM mailbox_acl WHERE mailbox_id = ?1 AND identifier = ?2")?
        .execute(params![mailbox, ident])?;
    if n == 0 {
        return Ok(0);
    }
    acl_changed(tx, owner, mailbox)
}

pub(crate) fn list(tx: &Transaction<'_>, mailbox: MailboxId) -> R<Vec<AclEntry>> {
    let mut st = tx.prepare_cached(
        "SELECT identifier, rights FROM mailbox_acl WHERE mailbox_id = ?1 ORDER BY identifier",
    )?;
    let rows = st.query_map([mailbox], |r| {
        Ok(AclEntry {
            identifier: r.get(0)?,
            rights: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// One query: every mailbox with an entry for one of `identifiers`, each with its whole ACL
/// (rows arrive grouped by mailbox thanks to the ORDER BY).
pub(crate) fn shared_with(tx: &Transaction<'_>, identifiers: &[String]) -> R<Vec<SharedMailbox>> {
    let wanted = serde_json::to_string(identifiers)?;
    let mut st = tx.prepare_cached(&format!(
        "SELECT {MB_COLS}, a.address, acl.identifier, acl.rights \
         FROM mailboxes mb JOIN accounts a ON a.id = mb.account_id \
         JOIN mailbox_acl acl ON acl.mailbox_id = mb.id \
         WHERE mb.id IN (SELECT mailbox_id FROM mailbox_acl \
                         WHERE identifier IN (SELECT value FROM json_each(?1))) \
         ORDER BY a.address, mb.name, acl.identifier"
    ))?;
    let rows = st.query_map([wanted], |r| {
        Ok((
            mailbox_from_row(r)?,
            r.get::<_, String>(10)?,
            AclEntry {
                identifier: r.get(11)?,
                rights: r.get(12)?,
            },
        ))
    })?;
    let mut out: Vec<SharedMailbox> = Vec::new();
    for row in rows {
        let (mailbox, owner, entry) = row?;
        match out.last_mut() {
            Some(last) if last.mailbox.id == mailbox.id => last.acl.push(entry),
            _ => out.push(SharedMailbox {
                mailbox,
                owner,
                acl: vec![entry],
            }),
        }
    }
    Ok(out)
}

/// Account delete: removes the entries naming `address` (and `-address`) from the ACLs of
/// other accounts' mailboxes, journaling an `AclChanged` per mailbox (one modseq per owner).
pub(crate) fn forget_identifier(tx: &Transaction<'_>, account: AccountId, address: &str) -> R<()> {
    let negative = format!("-{address}");
    let mut st = tx.prepare_cached(
        "SELECT DISTINCT mb.account_id, mb.id FROM mailbox_acl acl JOIN mailboxes mb ON mb.id = acl.mailbox_id \
         WHERE acl.identifier IN (?1, ?2) AND mb.account_id != ?3 ORDER BY mb.account_id, mb.id",
    )?;
    let affected = st
        .query_map(params![address, negative, account], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    tx.prepare_cached("DELETE FROM mailbox_acl WHERE identifier IN (?1, ?2)")?
        .execute(params![address, negative])?;
    let mut current: Option<(AccountId, ModSeq)> = None;
    for (owner, mailbox) in affected {
        let modseq = match current {
            Some((o, m)) if o == owner => m,
            _ => bump(tx, owner)?,
        };
        current = Some((owner, modseq));
        journal_acl(tx, owner, modseq, mailbox)?;
    }
    Ok(())
}

// ---- Per-user \Seen ------------------------------------------------------------------------

pub(crate) fn seen(tx: &Transaction<'_>, viewer: AccountId, mailbox: MailboxId) -> R<UidSet> {
    let mut st = tx.prepare_cached(
        "SELECT p.uid FROM private_seen p JOIN messages m ON m.mailbox_id = p.mailbox_id AND m.uid = p.uid \
         WHERE p.account_id = ?1 AND p.mailbox_id = ?2 AND p.seen = 1 ORDER BY p.uid",
    )?;
    let uids = st
        .query_map(params![viewer, mailbox], |r| Ok(r.get::<_, i64>(0)? as u32))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(UidSet::from_uids(uids))
}

pub(crate) fn seen_changes(
    tx: &Transaction<'_>,
    viewer: AccountId,
    mailbox: MailboxId,
    since: ModSeq,
) -> R<Vec<PrivateSeen>> {
    let since = since.min(i64::MAX as u64) as i64;
    let mut st = tx.prepare_cached(
        "SELECT p.uid, p.seen, p.modseq FROM private_seen p \
         JOIN messages m ON m.mailbox_id = p.mailbox_id AND m.uid = p.uid \
         WHERE p.account_id = ?1 AND p.mailbox_id = ?2 AND p.modseq > ?3 ORDER BY p.uid",
    )?;
    let rows = st.query_map(params![viewer, mailbox, since], |r| {
        Ok(PrivateSeen {
            uid: r.get::<_, i64>(0)? as u32,
            seen: r.get::<_, i64>(1)? != 0,
            modseq: r.get::<_, i64>(2)? as u64,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn seen_store(
    tx: &Transaction<'_>,
    viewer: AccountId,
    mailbox: MailboxId,
    uids: &UidSet,
    seen: bool,
) -> R<SeenUpdate> {
    let mb = mailbox_row(tx, mailbox)?.ok_or_else(|| not_found(format!("mailbox {mailbox}")))?;
    let owner = mb.account_id;
    if owner == viewer {
        return Err(invalid(
            "viewer",
            "the owner's \\Seen is the message flag, not a private one",
        ));
    }
    account_row(tx, viewer)?;
    // The modseq this change takes if it changes anything (bumped below, in this transaction,
    // which the single writer keeps to itself).
    let modseq = account_row(tx, owner)?.highest_modseq + 1;
    let mut st = tx.prepare_cached(
        "INSERT INTO private_seen (account_id, mailbox_id, uid, seen, modseq) \
         SELECT ?1, m.mailbox_id, m.uid, ?5, ?6 FROM messages m \
         LEFT JOIN private_seen p ON p.account_id = ?1 AND p.mailbox_id = m.mailbox_id AND p.uid = m.uid \
         WHERE m.mailbox_id = ?2 AND m.uid BETWEEN ?3 AND ?4 AND COALESCE(p.seen, 0) != ?5 \
         ON CONFLICT (account_id, mailbox_id, uid) DO UPDATE SET seen = excluded.seen, modseq = excluded.modseq \
         RETURNING uid",
    )?;
    let mut changed = Vec::new();
    for &(a, b) in uids.ranges() {
        let rows = st.query_map(
            params![viewer, mailbox, a, b, i64::from(seen), modseq as i64],
            |r| Ok(r.get::<_, i64>(0)? as u32),
        )?;
        for uid in rows {
            changed.push(uid?);
        }
    }
    if changed.is_empty() {
        return Ok(SeenUpdate::default());
    }
    changed.sort_unstable();
    let bumped = bump(tx, owner)?;
    if bumped != modseq {
        return Err(crate::E(StoreError::Backend(format!(
            "modseq moved during a private \\Seen change: {bumped} != {modseq}"
        ))));
    }
    crate::ops::set_mailbox_modseq(tx, mailbox, modseq)?;
    journal(
        tx,
        owner,
        modseq,
        Some(mailbox),
        ChangeKind::FlagsChanged,
        &UidSet::from_uids(changed.iter().copied()),
    )?;
    Ok(SeenUpdate { modseq, changed })
}

pub(crate) fn unseen_count(tx: &Transaction<'_>, viewer: AccountId, mailbox: MailboxId) -> R<u32> {
    let n: Option<i64> = tx
        .prepare_cached(
            "SELECT count(*) FROM messages m WHERE m.mailbox_id = ?2 AND NOT EXISTS \
             (SELECT 1 FROM private_seen p WHERE p.account_id = ?1 AND p.mailbox_id = ?2 \
              AND p.uid = m.uid AND p.seen = 1)",
        )?
        .query_row(params![viewer, mailbox], |r| r.get(0))
        .optional()?;
    Ok(u32::try_from(n.unwrap_or(0)).unwrap_or(u32::MAX))
}
