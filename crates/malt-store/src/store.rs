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
//! - A message is `prefix ++ blob` ([`Message::prefix`]): many messages may share one blob, each
//!   with its own prefix; sizes, metadata and header blocks describe the whole.
//! - Addresses and domain names are stored lower-case; lookups are case-insensitive.
//! - Calendars and address books follow the same journal and quota rules (see [`crate::dav`]).

use async_trait::async_trait;

use crate::dav::*;
use crate::dav_share::*;
use crate::error::Result;
use crate::sieve::*;
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
    /// Deletes the account with its mailboxes, messages, app passwords, collections and journal;
    /// the DAV shares naming its address go too, journaled for their owners.
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
    /// all or none. Checks quota for the total size (each message's `size`: prefix and blob). One
    /// new modseq for the whole batch. An empty prefix is stored as none.
    async fn append(&self, account: AccountId, messages: Vec<NewMessage>) -> Result<Vec<Appended>>;
    /// UID, flags and modseq of every message, by ascending UID (SELECT, flag resync).
    async fn message_summaries(&self, mailbox: MailboxId) -> Result<Vec<MessageSummary>>;
    /// UID, flags and modseq of the messages whose UIDs are in `uids`, by ascending UID, in one read
    /// (no query per UID): what an IMAP FETCH FLAGS/SEARCH over a few messages needs.
    async fn message_summaries_in(&self, mailbox: MailboxId, uids: &UidSet) -> Result<Vec<MessageSummary>>;
    /// Full records (with metadata and prefix) of the messages whose UIDs are in `uids`, ascending
    /// UID.
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
    /// COPY (RFC 9051 §6.4.7): new UIDs in the destination, same blobs, prefixes, metadata and
    /// header blocks, flags kept, quota checked.
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

    // ---- Calendars and address books (CalDAV RFC 4791, CardDAV RFC 6352) ---------------------
    //
    // The rules are in `crate::dav`'s module doc. Writes take the account (whose lock and modseq
    // they use) and refuse a collection of another account with `NotFound`; reads take the
    // collection id alone (access was checked by the caller). Every change journals a `Dav*`
    // entry with `collection_id` set and raises the collection's `highest_modseq`.

    /// Creates collections, all or none, with one modseq and one `DavCollectionCreated` entry
    /// each. `AlreadyExists` when the account has a collection of one of the names (or two share
    /// one); `Invalid` for a bad name ([`crate::dav_name_check`]) or properties
    /// ([`DavCollectionProps::validate`]). Returned in the order given.
    async fn dav_collections_create(
        &self,
        account: AccountId,
        new: Vec<NewDavCollection>,
    ) -> Result<Vec<DavCollection>>;
    /// Creates one collection (MKCOL, RFC 5689; MKCALENDAR, RFC 4791 §5.3.1), as
    /// [`Store::dav_collections_create`].
    async fn dav_collection_create(
        &self,
        account: AccountId,
        new: NewDavCollection,
    ) -> Result<DavCollection> {
        self.dav_collections_create(account, vec![new])
            .await?
            .pop()
            .ok_or_else(|| crate::StoreError::Backend("collection create returned nothing".into()))
    }
    /// The account's collections, ordered by name (byte-wise).
    async fn dav_collection_list(&self, account: AccountId) -> Result<Vec<DavCollection>>;
    /// By name (exact).
    async fn dav_collection_get(&self, account: AccountId, name: &str) -> Result<Option<DavCollection>>;
    async fn dav_collection_by_id(&self, id: DavCollectionId) -> Result<Option<DavCollection>>;
    /// PROPPATCH: applies `patch` ([`DavCollectionProps::patched`]) atomically, validates the
    /// result (`Invalid`: nothing changes) and returns the collection as it now is. Takes a
    /// modseq and journals `DavCollectionChanged` (the CTag changes).
    async fn dav_collection_update(
        &self,
        account: AccountId,
        id: DavCollectionId,
        patch: &DavCollectionPatch,
    ) -> Result<DavCollection>;
    /// MOVE of a collection within its home (RFC 4918 §9.9): renames it to `new_name`, keeping
    /// its id, so its objects, sync tokens, shares and journal stay. `Invalid` for a bad name
    /// ([`crate::dav_name_check`]), `AlreadyExists` when the account has a collection of that
    /// name, `NotFound` for a collection of another account. Takes a modseq and journals
    /// `DavCollectionChanged`. Renaming to its own name changes nothing.
    async fn dav_collection_rename(
        &self,
        account: AccountId,
        id: DavCollectionId,
        new_name: &str,
    ) -> Result<DavCollection>;
    /// Deletes a collection with its objects, tombstones and shares; their sizes leave the
    /// quota. The accounts that answered a share of it and the accounts its shares name
    /// directly are journaled `DavShareChanged` (group members who never answered are not).
    async fn dav_collection_delete(&self, account: AccountId, id: DavCollectionId) -> Result<()>;

    /// Creates the default collections ([`DAV_DEFAULT_COLLECTIONS`]) of the kinds the account has
    /// none of — "calendar" and "tasks" when it has no calendar, "contacts" when it has no
    /// address book, "inbox" and "outbox" (RFC 6638) when it has none — in one transaction, and returns every collection of the account.
    /// Idempotent, and safe when called concurrently: a reader sees all the defaults or none (a
    /// caller that loses the race finds them created). A collection the user deleted comes back
    /// only when none of its kind is left. Writes nothing when nothing is missing.
    async fn dav_ensure_defaults(&self, account: AccountId) -> Result<Vec<DavCollection>> {
        let existing = self.dav_collection_list(account).await?;
        let missing = dav_defaults_missing(&existing);
        if missing.is_empty() {
            return Ok(existing);
        }
        match self.dav_collections_create(account, missing).await {
            Ok(_) | Err(crate::StoreError::AlreadyExists(_)) => self.dav_collection_list(account).await,
            Err(e) => Err(e),
        }
    }

    /// PUT (RFC 4918 §9.7, RFC 4791 §5.3.2, RFC 6352 §6.3.2): creates or replaces the object
    /// `object.name` if `condition` holds for its current ETag, all in one transaction. Quota is
    /// checked for the growth (`OverQuota`); a replacement keeps `created_at`. `Invalid` as
    /// [`NewDavObject::validate`] says.
    async fn dav_object_put(
        &self,
        account: AccountId,
        collection: DavCollectionId,
        object: NewDavObject,
        condition: EtagCondition,
    ) -> Result<DavPutOutcome>;
    async fn dav_object_get(&self, collection: DavCollectionId, name: &str) -> Result<Option<DavObject>>;
    /// The object with this UID, if any (scheduling and iMIP find events by UID).
    async fn dav_object_by_uid(&self, collection: DavCollectionId, uid: &str) -> Result<Option<DavObject>>;
    /// The object with this UID in any collection of `kind` that `account` owns, `except` one
    /// excluded, in one indexed read: a calendar user holds one copy of an event (RFC 6638
    /// §3.2.4.1), which scheduling finds by UID. Its `collection_id` says where. When several
    /// collections hold the UID, the one first by name (the order of
    /// [`Store::dav_collection_list`]).
    async fn dav_object_by_uid_in_account(
        &self,
        account: AccountId,
        kind: DavCollectionKind,
        uid: &str,
        except: Option<DavCollectionId>,
    ) -> Result<Option<DavObject>>;
    /// Multiget (RFC 4791 §7.9, RFC 6352 §8.7): the objects of `names` that exist, by name, in
    /// one read.
    async fn dav_object_multiget(
        &self,
        collection: DavCollectionId,
        names: &[String],
    ) -> Result<Vec<DavObject>>;
    /// Every object of the collection without content, by name.
    async fn dav_object_list(&self, collection: DavCollectionId) -> Result<Vec<DavObjectInfo>>;
    /// DELETE: removes the object if `condition` holds, leaving a tombstone. `NotFound` when the
    /// condition holds but there is no such object (so `If-Match` on a missing object is
    /// `PreconditionFailed`, RFC 7232 §3.1).
    async fn dav_object_delete(
        &self,
        account: AccountId,
        collection: DavCollectionId,
        name: &str,
        condition: EtagCondition,
    ) -> Result<DavDeleteOutcome>;
    /// MOVE (RFC 4918 §9.9) of one object to `to`/`new_name` (another collection of the same
    /// account, or a new name in the same one), in one transaction: `source` is checked against
    /// the object (`NotFound` when it does not exist and `source` holds); an existing
    /// destination is replaced only with `overwrite` (else `PreconditionFailed`, the
    /// `Overwrite: F` rule). UID conflicts are checked in the destination, the object itself
    /// and the replaced one excluded. One modseq: the source gets a tombstone, the destination
    /// the object with its content, ETag and `created_at`. Quota is unchanged but for a replaced
    /// destination's size, which is released.
    #[allow(clippy::too_many_arguments)]
    async fn dav_object_move(
        &self,
        account: AccountId,
        from: DavCollectionId,
        name: &str,
        to: DavCollectionId,
        new_name: &str,
        source: EtagCondition,
        overwrite: bool,
    ) -> Result<DavPutOutcome>;
    /// The objects with a span that is a candidate for `[start, end)` ([`DavSpan::is_candidate`]),
    /// by name, found through an index of the spans (RFC 4791 §9.9), not by reading every object.
    async fn dav_objects_in_span(
        &self,
        collection: DavCollectionId,
        start: i64,
        end: i64,
    ) -> Result<Vec<DavObject>>;
    /// sync-collection (RFC 6578 §3.2): what changed after `since`, at most about `limit`
    /// entries (see [`dav_changes_page`]). `NotFound` for an unknown collection. Whether
    /// `since` is a token this collection gave out (not above its `highest_modseq`) is the
    /// caller's check (`valid-sync-token`).
    async fn dav_changes(&self, collection: DavCollectionId, since: ModSeq, limit: u32)
    -> Result<DavChanges>;

    // ---- Sharing of calendars and address books (see `crate::dav_share`) -----------------
    //
    // Writes take the owner (or answering account) and `sharee_accounts`: the accounts the
    // sharee names, resolved by the caller through the directory (the account of that address,
    // or the member accounts of that group), each journaled with `DavShareChanged`. Ids that
    // are no (longer an) account, and the owner, are skipped. Reads take the identifiers the
    // account matches (its address and its groups' addresses).

    /// Shares `owner`'s `collection` with `sharee` at `access`, or changes the access or the
    /// note of its share (answers stay; a part of `note` not given keeps the stored one,
    /// [`dav_share_note_merge`]). Checks as [`dav_share_check`] and [`dav_share_note_check`]
    /// (`Invalid`); `NotFound` for a collection of another account. Setting the access and note
    /// a share has changes nothing and journals nothing. Returns the share.
    async fn dav_share_set(
        &self,
        owner: AccountId,
        collection: DavCollectionId,
        sharee: &str,
        access: DavAccess,
        note: &DavShareNote,
        sharee_accounts: &[AccountId],
    ) -> Result<DavShare>;
    /// Removes the share of `sharee`, and the answers of `sharee_accounts` (invited again if
    /// shared again). `NotFound` when there is no such share. Returns the owner's new modseq.
    async fn dav_share_remove(
        &self,
        owner: AccountId,
        collection: DavCollectionId,
        sharee: &str,
        sharee_accounts: &[AccountId],
    ) -> Result<ModSeq>;
    /// The shares of a collection, by sharee (byte-wise).
    async fn dav_share_list(&self, collection: DavCollectionId) -> Result<Vec<DavShare>>;
    /// `account` answers the shares of `collection` that reach it: its status and its own
    /// display name for the collection ([`dav_share_name_check`]). `NotFound` unless a share of
    /// the collection names one of `identifiers` (the owner has nothing to answer). Records the
    /// time of the answer and shows it to the owner again (a reply notification not dismissed).
    /// Journals for the account and the owner; returns the account's new modseq.
    async fn dav_share_answer(
        &self,
        account: AccountId,
        identifiers: &[String],
        collection: DavCollectionId,
        status: DavShareStatus,
        display_name: Option<&str>,
    ) -> Result<ModSeq>;
    /// The collections of other accounts shared with one of `identifiers`, with the highest
    /// access among their shares and `account`'s answer, by owner address then collection name
    /// (byte-wise). One read.
    async fn dav_shared_with(
        &self,
        account: AccountId,
        identifiers: &[String],
    ) -> Result<Vec<DavSharedCollection>>;
    /// `account` dismisses its invite notification of `collection` (it stays `Invited`: no
    /// answer, nothing for the owner). `NotFound` unless a share of the collection names one of
    /// `identifiers` and the account has not answered. Journals for the account only; returns
    /// its new modseq.
    async fn dav_share_invite_dismiss(
        &self,
        account: AccountId,
        identifiers: &[String],
        collection: DavCollectionId,
    ) -> Result<ModSeq>;
    /// The answers (accepted or declined) to the shares of `owner`'s collections that the owner
    /// has not dismissed, by collection id then sharee address (byte-wise). One read.
    async fn dav_share_replies(&self, owner: AccountId) -> Result<Vec<DavShareReply>>;
    /// `owner` dismisses the reply notification of `account` about `collection`. `NotFound`
    /// unless such a reply is shown. Journals for the owner only (the collection's sync token
    /// stays); returns its new modseq.
    async fn dav_share_reply_dismiss(
        &self,
        owner: AccountId,
        collection: DavCollectionId,
        account: AccountId,
    ) -> Result<ModSeq>;
    /// `account`'s own values of the sharee properties of the collections shared with it
    /// ([`DavShareeProp`]), by collection id then name. One read.
    async fn dav_sharee_props(&self, account: AccountId) -> Result<Vec<DavShareeProp>>;
    /// `account` sets (`Some`) or removes (`None`) its own values of sharee properties of
    /// `collection`, all or none ([`dav_sharee_prop_check`]: `Invalid`). `NotFound` unless a
    /// share of the collection names one of `identifiers` (the owner sets the collection's own
    /// properties). Journals nothing.
    async fn dav_sharee_props_set(
        &self,
        account: AccountId,
        identifiers: &[String],
        collection: DavCollectionId,
        props: &[(String, Option<String>)],
    ) -> Result<()>;
    /// What `account` (matching `identifiers`) may do with `collection` ([`dav_access_of`]):
    /// `Owner` for its own, the highest access of the shares naming one of `identifiers`, or
    /// `None` (also for a collection that does not exist). One indexed read: every request asks.
    async fn dav_access(
        &self,
        account: AccountId,
        identifiers: &[String],
        collection: DavCollectionId,
    ) -> Result<Option<DavAccess>>;

    // ---- Journal -------------------------------------------------------------------------
    /// Journal entries with `id > after`, ascending, at most `limit` (the change tailer).
    async fn journal_after(&self, after: i64, limit: u32) -> Result<Vec<JournalEntry>>;
    /// The highest journal id (0 when empty).
    async fn journal_head(&self) -> Result<i64>;

    // ---- Outbound queue (RFC 5321 §4.5.4.1 retry strategy; RFC 3461 DSN parameters) ----------
    //
    // A message stays queued while at least one recipient is `Pending`; its blob is referenced
    // ([`Store::referenced_blobs`]) until the row goes. A claim is a lease: a node that dies
    // mid-delivery loses nothing, the message is claimable again once `lease_until` has passed.
    // Deleting the submitter's account sets `submitter` to `None` (the mail still goes out).

    /// Stores a message and its recipients in one transaction; returns its id. `Invalid` without
    /// recipients, for a recipient that is not `local@domain`, or for text over
    /// [`QUEUE_TEXT_MAX`] (see [`NewQueuedMessage::validate`]); `NotFound` for an unknown
    /// submitter.
    async fn queue_enqueue(&self, msg: NewQueuedMessage) -> Result<QueueId>;
    /// Claims up to `limit` messages that are not held, not leased (lease expired or none) and have at least
    /// one Pending recipient with next_attempt <= now; sets their lease to `lease_until` and returns them
    /// (with all recipients). Two nodes/tasks calling this concurrently never get the same message
    /// (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one write transaction).
    /// The most overdue messages come first (earliest pending `next_attempt`, then id).
    async fn queue_claim(&self, now: i64, lease_until: i64, limit: u32) -> Result<Vec<QueuedMessage>>;
    /// Records attempt results (attempts += 1 for each updated recipient) and releases the lease. When no
    /// recipient is Pending any more, the message row and its recipients are deleted (its blob then becomes
    /// garbage for `malt gc`).
    /// `NotFound` when the message or one of the recipients (of this message) is gone (an
    /// operator deleted it meanwhile): then nothing is recorded. `Invalid` when a recipient
    /// appears twice. `last_error` is cut to [`QUEUE_TEXT_MAX`] octets.
    async fn queue_update(&self, id: QueueId, updates: Vec<RecipientUpdate>) -> Result<()>;
    /// Releases a lease without recording anything (e.g. on shutdown). `NotFound` if absent.
    async fn queue_release(&self, id: QueueId) -> Result<()>;
    async fn queue_get(&self, id: QueueId) -> Result<Option<QueuedMessage>>;
    /// All queued messages, oldest first.
    async fn queue_list(&self) -> Result<Vec<QueuedMessage>>;
    /// Hold (true) or release (false) a message: held messages are never claimed. NotFound if absent.
    async fn queue_hold(&self, id: QueueId, held: bool) -> Result<()>;
    /// Makes Pending recipients due now: one message (Some) or every message (None). Returns messages touched.
    /// A recipient already due keeps its earlier `next_attempt`; held messages are made due too
    /// but stay held; leases are kept. A message without Pending recipients (or an unknown id)
    /// is not touched (0, not an error).
    async fn queue_retry_now(&self, id: Option<QueueId>, now: i64) -> Result<u64>;
    /// Deletes a message and its recipients. NotFound if absent.
    async fn queue_delete(&self, id: QueueId) -> Result<()>;
    /// The earliest next_attempt of any claimable Pending recipient (for the runner's sleep), None if none.
    /// For a leased message that is the later of its earliest `next_attempt` and its
    /// `lease_until` (when it becomes claimable); held messages do not count.
    async fn queue_next_due(&self) -> Result<Option<i64>>;

    // ---- Sending delegations (send as / send on behalf) -------------------------------------
    /// Grants `account` the right to send as / on behalf of `address` (lower-cased). Idempotent; granting
    /// the other kind for the same pair replaces the previous one.
    /// `NotFound` for an unknown account, `Invalid` unless `address` is `local@domain`.
    /// Deleting the account removes its delegations, and deleting an account removes every
    /// delegation OF its address (a re-created address must not inherit them).
    async fn delegation_add(&self, account: AccountId, address: &str, kind: DelegationKind) -> Result<()>;
    /// `NotFound` if absent.
    async fn delegation_remove(&self, account: AccountId, address: &str) -> Result<()>;
    /// Delegations of one account (Some) or all (None), ordered by account then address.
    async fn delegation_list(&self, account: Option<AccountId>) -> Result<Vec<Delegation>>;

    // ---- DKIM signing keys (RFC 6376), shared by every node ---------------------------------
    /// Stores (or replaces, for the same domain+selector) a key. Domain and selector are
    /// stored lower-case; `Invalid` as [`DkimKey::normalised`] says.
    async fn dkim_key_put(&self, key: DkimKey) -> Result<()>;
    /// The newest key of a domain (lower-cased), if any: highest `created_at`, then the one
    /// stored last.
    async fn dkim_key_get(&self, domain: &str) -> Result<Option<DkimKey>>;
    /// Every key, ordered by domain then selector.
    async fn dkim_key_list(&self) -> Result<Vec<DkimKey>>;
    /// `NotFound` if absent.
    async fn dkim_key_delete(&self, domain: &str, selector: &str) -> Result<()>;

    // ---- Sieve duplicate tracking (RFC 7352) -------------------------------------------------
    /// Whether `key` is recorded for `account` with a period not yet ended (`until` after
    /// `now`). The key is checked by [`sieve_duplicate_key`] (`Invalid` otherwise).
    async fn sieve_duplicate_seen(&self, account: AccountId, key: &str, now: i64) -> Result<bool>;
    /// Records `key` for `account` until `until`, replacing an earlier record of it (RFC 7352
    /// §3.3 `:last` restarts the period). `NotFound` for an unknown account; records go with the
    /// account.
    async fn sieve_duplicate_record(&self, account: AccountId, key: &str, until: i64) -> Result<()>;
    /// Removes the records whose period ended at or before `now`; returns how many.
    async fn sieve_duplicate_purge(&self, now: i64) -> Result<u64>;

    // ---- Duplicate suppression by Message-ID per recipient -----------------------------------
    /// Records that `message_id` was delivered to `account` at `now`, atomically. Returns true when it was
    /// already recorded at or after `now - window_secs` (a duplicate: the caller drops the copy), false when
    /// newly recorded (an older record is refreshed).
    /// A duplicate does not refresh the record (the window runs from the first delivery). The
    /// key is [`dedup_key`] of `message_id` (`Invalid` when empty or too long); records go with
    /// the account.
    async fn dedup_check_and_record(
        &self,
        account: AccountId,
        message_id: &str,
        now: i64,
        window_secs: i64,
    ) -> Result<bool>;
    /// Removes records older than `before`; returns how many.
    async fn dedup_purge(&self, before: i64) -> Result<u64>;
    /// Removes the record of `message_id` for `account`, if any (not an error when absent): a
    /// delivery that recorded it and then failed calls this, so the sender's retry is not taken
    /// for a duplicate. `Invalid` as for [`Store::dedup_check_and_record`].
    async fn dedup_forget(&self, account: AccountId, message_id: &str) -> Result<()>;

    // ---- Sieve scripts (RFC 5228; managed over ManageSieve, RFC 5804) -----------------------
    //
    // See `crate::sieve` for the invariants. Names are checked by [`sieve_script_name`]
    // (`Invalid` otherwise); listing or writing the scripts of an unknown account is
    // `NotFound`. Every write of an account's
    // scripts is serialised with the others of that account, so `max_scripts` and "one active"
    // hold under concurrency.

    /// The account's scripts, ordered by name (byte-wise).
    async fn sieve_list(&self, account: AccountId) -> Result<Vec<SieveScriptInfo>>;
    /// One script with its source, `None` when absent.
    async fn sieve_get(&self, account: AccountId, name: &str) -> Result<Option<SieveScript>>;
    /// Creates a script or replaces its source (keeping its active flag), setting `updated_at`
    /// to `now`. A new name when the account has `max_scripts` scripts or more stores nothing
    /// and answers [`SievePutOutcome::TooManyScripts`]; replacing is always allowed. Compiling
    /// and size limits are the caller's.
    async fn sieve_put(
        &self,
        account: AccountId,
        name: &str,
        source: &str,
        max_scripts: usize,
        now: i64,
    ) -> Result<SievePutOutcome>;
    /// Deletes a script: `NotFound` when absent, `Conflict` when it is the active one (RFC 5804
    /// §2.10).
    async fn sieve_delete(&self, account: AccountId, name: &str) -> Result<()>;
    /// Renames a script, keeping its source and active flag: `NotFound` when `from` is absent,
    /// `AlreadyExists` when `to` exists (RFC 5804 §2.11). Renaming to the same name is `Ok`.
    async fn sieve_rename(&self, account: AccountId, from: &str, to: &str) -> Result<()>;
    /// Makes `name` the active script, or (with `None`) deactivates every script, atomically
    /// (RFC 5804 §2.8). `NotFound` for an unknown name (and nothing changes).
    async fn sieve_activate(&self, account: AccountId, name: Option<&str>) -> Result<()>;
    /// The active script with its source, if any: what every delivery asks, one indexed read.
    async fn sieve_active(&self, account: AccountId) -> Result<Option<SieveScript>>;

    // ---- Vacation responses sent (RFC 5230 §4.2, RFC 6131) ---------------------------------
    /// Whether a vacation response to `sender` for `handle` may be sent now, atomically: true
    /// when no response was recorded for them, or the recorded one's period ended (its
    /// `until` is at or before `now`); the response is then recorded as covering the period up
    /// to `until_unix_secs`. False (a response within the period) changes nothing. The key is
    /// [`vacation_key`] of the pair (`Invalid` otherwise); `NotFound` for an unknown account;
    /// records go with the account. Concurrent calls for one key: exactly one gets true.
    async fn vacation_check_and_record(
        &self,
        account: AccountId,
        handle: &str,
        sender: &str,
        until_unix_secs: i64,
        now: i64,
    ) -> Result<bool>;
    /// Removes the records whose period ended at or before `now`; returns how many.
    async fn vacation_purge(&self, now: i64) -> Result<u64>;

    // ---- Maintenance ---------------------------------------------------------------------
    /// Every blob id referenced by a message or a queued message (for `malt gc` and `malt check`;
    /// DAV objects are stored inline and reference none).
    async fn referenced_blobs(&self) -> Result<Vec<String>>;
    /// Checks counters (mailbox counts and sizes, account usage — messages plus DAV objects — and
    /// modseq, UIDNEXT above every UID, the DAV span index) and reports problems; the blob check
    /// is done by [`crate::check`].
    async fn check_consistency(&self) -> Result<CheckReport>;
}
