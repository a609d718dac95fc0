//! The domain API every backend implements. One conformance suite runs
//! against each backend.
//!
//! The suite is `malt_store::conformance` (feature `conformance`, in `src/conformance/`).
//!
//! Invariants every implementation keeps:
//! - Every mutation of an account's mail data runs in one transaction that also increments the
//!   account's modseq and writes a [`JournalEntry`] with it; expunges leave tombstones, so
//!   [`Store::mailbox_changes`] can always answer "what changed since modseq N".
//! - Modseqs are per account and strictly increasing; one operation (one STORE, one COPY) gives
//!   the same new modseq to every message it touches.
//! - Concurrent operations on the same account never lose an update (writes are serialised per
//!   account: SQLite has one writer; PostgreSQL locks the account row for the transaction).
//! - Quota is checked inside the transaction that adds messages.
//! - Blobs are written (and fsynced) by [`crate::BlobStore`] before the metadata that references
//!   them is committed; the store never deletes blobs itself (see [`crate::gc`]).
//! - Addresses and domain names are stored lower-case; lookups are case-insensitive.

use async_trait::async_trait;

use crate::error::Result;
use crate::types::*;

/// The metadata store: accounts, directory, mailboxes, messages, journal.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Short backend name for logs and metrics: `sqlite` or `postgres`.
    fn backend_name(&self) -> &'static str;

    // ---- Domains -------------------------------------------------------------------------
    async fn domain_add(&self, name: &str) -> Result<Domain>;
    async fn domain_get(&self, name: &str) -> Result<Option<Domain>>;
    async fn domain_list(&self) -> Result<Vec<Domain>>;
    /// Fails with [`crate::StoreError::Conflict`] while accounts, aliases or groups use the domain.
    async fn domain_delete(&self, name: &str) -> Result<()>;

    // ---- Accounts ------------------------------------------------------------------------
    /// Creates the account and, in the same transaction, its default mailboxes: INBOX, Sent,
    /// Drafts, Trash, Junk, Archive with their special-use roles, all subscribed.
    /// The address's domain must exist.
    async fn account_create(&self, new: NewAccount) -> Result<Account>;
    async fn account_get(&self, id: AccountId) -> Result<Option<Account>>;
    async fn account_by_address(&self, address: &str) -> Result<Option<Account>>;
    /// All accounts, or those of one domain, ordered by address.
    async fn account_list(&self, domain: Option<&str>) -> Result<Vec<Account>>;
    async fn account_set_password(&self, id: AccountId, password_hash: &str) -> Result<()>;
    async fn account_set_quota(&self, id: AccountId, quota_bytes: Option<u64>) -> Result<()>;
    /// Deletes the account with its mailboxes, messages, app passwords and journal.
    async fn account_delete(&self, id: AccountId) -> Result<()>;

    // ---- Aliases and groups --------------------------------------------------------------
    /// `address` is `local@domain` or `@domain` (catch-all); its domain must exist.
    async fn alias_add(&self, address: &str, target: &str) -> Result<Alias>;
    /// Aliases, all or of one domain, ordered by address then target.
    async fn alias_list(&self, domain: Option<&str>) -> Result<Vec<Alias>>;
    /// Removes one target of an alias, or the whole alias when `target` is `None`.
    async fn alias_delete(&self, address: &str, target: Option<&str>) -> Result<()>;
    /// Targets of exactly this alias address (no catch-all or plus handling: that is the
    /// directory's job in `malt-core`).
    async fn alias_targets(&self, address: &str) -> Result<Vec<String>>;

    async fn group_add(&self, address: &str, name: &str) -> Result<Group>;
    async fn group_get(&self, address: &str) -> Result<Option<Group>>;
    async fn group_list(&self) -> Result<Vec<Group>>;
    async fn group_delete(&self, address: &str) -> Result<()>;
    async fn group_member_add(&self, group: &str, member: &str) -> Result<()>;
    async fn group_member_remove(&self, group: &str, member: &str) -> Result<()>;

    // ---- App passwords -------------------------------------------------------------------
    /// Names are unique per account.
    async fn app_password_add(&self, account: AccountId, name: &str, hash: &str) -> Result<AppPassword>;
    async fn app_password_list(&self, account: AccountId) -> Result<Vec<AppPassword>>;
    async fn app_password_revoke(&self, account: AccountId, name: &str) -> Result<()>;

    // ---- Mailboxes -----------------------------------------------------------------------
    /// All mailboxes of the account, ordered by name, with their counters.
    async fn mailbox_list(&self, account: AccountId) -> Result<Vec<Mailbox>>;
    /// By full name; `INBOX` matches case-insensitively (RFC 9051 §5.1).
    async fn mailbox_get(&self, account: AccountId, name: &str) -> Result<Option<Mailbox>>;
    async fn mailbox_by_id(&self, id: MailboxId) -> Result<Option<Mailbox>>;
    /// Creates one mailbox (the caller creates missing parents, RFC 9051 §6.3.4), with a new
    /// UIDVALIDITY. Names are validated by the caller (mail core).
    async fn mailbox_create(
        &self,
        account: AccountId,
        name: &str,
        role: Option<SpecialUse>,
    ) -> Result<Mailbox>;
    /// Renames a mailbox and all its children (`old/...` becomes `new/...`). UIDVALIDITY is kept.
    async fn mailbox_rename(&self, account: AccountId, id: MailboxId, new_name: &str) -> Result<()>;
    /// Sets or clears the special-use role.
    async fn mailbox_set_role(
        &self,
        account: AccountId,
        id: MailboxId,
        role: Option<SpecialUse>,
    ) -> Result<()>;
    /// Deletes a mailbox with its messages (quota is released). Children are not touched.
    async fn mailbox_delete(&self, account: AccountId, id: MailboxId) -> Result<()>;
    /// Subscriptions are names, and may name mailboxes that do not exist (RFC 9051 §6.3.7).
    async fn subscription_set(&self, account: AccountId, name: &str, subscribed: bool) -> Result<()>;
    async fn subscription_list(&self, account: AccountId) -> Result<Vec<String>>;

    // ---- Messages ------------------------------------------------------------------------
    /// Appends messages to mailboxes of one account in one transaction (MULTIAPPEND is atomic):
    /// all or none. Checks quota for the total size. One new modseq for the whole batch.
    async fn append(&self, account: AccountId, messages: Vec<NewMessage>) -> Result<Vec<Appended>>;
    /// UID, flags and modseq of every message, by ascending UID (SELECT, flag resync).
    async fn message_summaries(&self, mailbox: MailboxId) -> Result<Vec<MessageSummary>>;
    /// UID, flags and modseq of the messages whose UIDs are in `uids`, by ascending UID, in one read
    /// (no query per UID): what an IMAP FETCH FLAGS/SEARCH over a few messages needs.
    async fn message_summaries_in(&self, mailbox: MailboxId, uids: &UidSet) -> Result<Vec<MessageSummary>>;
    /// Full records (with metadata) of the messages whose UIDs are in `uids`, ascending UID.
    async fn messages(&self, mailbox: MailboxId, uids: &UidSet) -> Result<Vec<Message>>;
    /// The kept header blocks ([`NewMessage::header`]) of the messages whose UIDs are in `uids`,
    /// ascending UID, in one read; messages appended without one are absent from the result.
    async fn message_headers(&self, mailbox: MailboxId, uids: &UidSet) -> Result<Vec<HeaderBlock>>;
    /// STORE (RFC 9051 §6.4.6, RFC 7162 UNCHANGEDSINCE). Messages whose flags would not change
    /// are left alone (no new modseq for them).
    async fn store_flags(
        &self,
        account: AccountId,
        mailbox: MailboxId,
        uids: &UidSet,
        op: FlagOp,
        flags: &Flags,
        unchanged_since: Option<ModSeq>,
    ) -> Result<FlagUpdate>;
    /// COPY (RFC 9051 §6.4.7): new UIDs in the destination, same blobs, flags kept, quota checked.
    async fn copy(
        &self,
        account: AccountId,
        from: MailboxId,
        uids: &UidSet,
        to: MailboxId,
    ) -> Result<CopyResult>;
    /// MOVE (RFC 6851): copy and expunge from the source in one transaction.
    async fn move_messages(
        &self,
        account: AccountId,
        from: MailboxId,
        uids: &UidSet,
        to: MailboxId,
    ) -> Result<CopyResult>;
    /// EXPUNGE / UID EXPUNGE: removes the messages flagged `\Deleted` (restricted to `uids` when
    /// given), leaving tombstones. Returns the expunged UIDs, ascending.
    async fn expunge(
        &self,
        account: AccountId,
        mailbox: MailboxId,
        uids: Option<&UidSet>,
    ) -> Result<Vec<Uid>>;
    /// Changes since `modseq` in one mailbox (CONDSTORE CHANGEDSINCE, QRESYNC VANISHED).
    async fn mailbox_changes(&self, mailbox: MailboxId, since: ModSeq) -> Result<MailboxChanges>;

    // ---- Access control lists (RFC 4314) and per-user \Seen -------------------------------
    /// Sets (replaces) the rights of `identifier` on a mailbox of `owner`. Empty `rights`
    /// removes the entry, as [`Store::acl_delete`]. Identifiers are normalised by
    /// [`AclEntry::normalise_identifier`]; rights are stored as given (validated by the caller).
    /// A change takes a new modseq of `owner` and writes an [`ChangeKind::AclChanged`] journal
    /// entry in the same transaction; setting the rights an entry already has changes nothing
    /// and returns 0. Returns the new modseq.
    async fn acl_set(
        &self,
        owner: AccountId,
        mailbox: MailboxId,
        identifier: &str,
        rights: &str,
    ) -> Result<ModSeq>;
    /// Removes the entry of `identifier` (RFC 4314 §3.2 DELETEACL). Returns the new modseq, or 0
    /// when there was no such entry (nothing changes, nothing is journaled).
    async fn acl_delete(&self, owner: AccountId, mailbox: MailboxId, identifier: &str) -> Result<ModSeq>;
    /// A mailbox's ACL, ordered by identifier (byte-wise). Rename keeps it; mailbox delete and
    /// the owner's account delete remove it; deleting an account removes the entries naming
    /// its address (and `-address`) from every other ACL, journaled for each owner.
    async fn acl_list(&self, mailbox: MailboxId) -> Result<Vec<AclEntry>>;
    /// Every mailbox whose ACL has an entry for one of `identifiers` (normalised as above),
    /// with its owner's address and whole ACL, ordered by owner address then mailbox name.
    /// One call builds the "Other Users" namespace of a user (pass the user's address, groups,
    /// `anyone`, `authenticated`); the caller computes the rights.
    async fn acl_shared_with(&self, identifiers: &[String]) -> Result<Vec<SharedMailbox>>;

    /// The UIDs `viewer` has seen privately in a mailbox of another account (RFC 4314 §4: the
    /// messages' own `\Seen` flag is the owner's). Only existing messages count: expunge and
    /// move remove the private rows of the UIDs they remove (and reads ignore any row without
    /// its message); the rows go with the mailbox or either account.
    async fn private_seen(&self, viewer: AccountId, mailbox: MailboxId) -> Result<UidSet>;
    /// The viewer's private `\Seen` changes (set and cleared) with a modseq above `since`,
    /// ascending UID: what CONDSTORE `CHANGEDSINCE` needs on top of [`Store::mailbox_changes`].
    async fn private_seen_changes(
        &self,
        viewer: AccountId,
        mailbox: MailboxId,
        since: ModSeq,
    ) -> Result<Vec<PrivateSeen>>;
    /// Sets or clears `viewer`'s private `\Seen` on the existing messages of `uids`. Messages
    /// whose private state would not change are left alone. A change takes a new modseq from
    /// the mailbox OWNER's counter (one sequence per mailbox), raises the mailbox's
    /// HIGHESTMODSEQ and writes a [`ChangeKind::FlagsChanged`] entry for the owner and mailbox,
    /// in one transaction. `Invalid` when `viewer` owns the mailbox (the owner's `\Seen` is
    /// the message flag: use [`Store::store_flags`]).
    async fn private_seen_store(
        &self,
        viewer: AccountId,
        mailbox: MailboxId,
        uids: &UidSet,
        seen: bool,
    ) -> Result<SeenUpdate>;
    /// Messages of the mailbox that `viewer` has not seen privately (STATUS UNSEEN).
    async fn private_unseen_count(&self, viewer: AccountId, mailbox: MailboxId) -> Result<u32>;

    // ---- Quota ---------------------------------------------------------------------------
    async fn quota(&self, account: AccountId) -> Result<QuotaUsage>;

    // ---- Metadata (RFC 5464) -------------------------------------------------------------
    /// Sets and removes (`None` value) metadata entries of one target in one transaction: the
    /// server entries of the account (`mailbox` is `None`) or the entries of one of its mailboxes
    /// (`NotFound` for a mailbox of another account). Names are stored in their normal form
    /// ([`crate::metadata_name`]); entry name syntax is the caller's (the protocol's) job. When
    /// the result would break `limits` (see [`MetadataLimits`]) nothing changes and the outcome
    /// says which limit; otherwise the account's modseq is incremented and one
    /// [`ChangeKind::Metadata`] journal entry (with the mailbox id) is written. Entries of a
    /// mailbox go with it when it is deleted and stay with it when it is renamed.
    async fn metadata_set(
        &self,
        account: AccountId,
        mailbox: Option<MailboxId>,
        entries: &[(String, Option<Vec<u8>>)],
        limits: MetadataLimits,
    ) -> Result<MetadataSetOutcome>;
    /// Every entry of one target (server entries when `mailbox` is `None`), ordered by name
    /// (byte-wise). Filtering by entry names and DEPTH (RFC 5464 §4.2.2) is the caller's.
    async fn metadata_get(
        &self,
        account: AccountId,
        mailbox: Option<MailboxId>,
    ) -> Result<Vec<MetadataEntry>>;
    /// The account's metadata, counted over all its targets.
    async fn metadata_usage(&self, account: AccountId) -> Result<MetadataUsage>;

    // ---- Journal -------------------------------------------------------------------------
    /// Journal entries with `id > after`, ascending, at most `limit` (the change tailer).
    async fn journal_after(&self, after: i64, limit: u32) -> Result<Vec<JournalEntry>>;
    /// The highest journal id (0 when empty).
    async fn journal_head(&self) -> Result<i64>;

    // ---- Maintenance ---------------------------------------------------------------------
    /// Every blob id referenced by a message (for `malt gc` and `malt check`).
    async fn referenced_blobs(&self) -> Result<Vec<String>>;
    /// Checks counters (mailbox counts and sizes, account usage and modseq, UIDNEXT above every
    /// UID) and reports problems; the blob check is done by [`crate::check`].
    async fn check_consistency(&self) -> Result<CheckReport>;
}
