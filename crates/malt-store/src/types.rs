//! The domain objects the store keeps. Protocols see only these, never SQL rows.

use serde::{Deserialize, Serialize};

use crate::meta::MessageMeta;

/// Row id of an account.
pub type AccountId = i64;
/// Row id of a mailbox (unique across accounts).
pub type MailboxId = i64;
/// Row id of a stored message instance (unique across the store; the basis of EMAILID).
pub type MessageId = i64;
/// IMAP UID, unique within one mailbox and one UIDVALIDITY.
pub type Uid = u32;
/// Modification sequence (RFC 7162), per account, strictly increasing.
pub type ModSeq = u64;

/// A mail domain that Malt serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    pub id: i64,
    pub name: String,
}

/// A user account. Addresses are stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub address: String,
    /// argon2id PHC string; never logged.
    #[serde(skip_serializing)]
    pub password_hash: String,
    /// `None`: no limit.
    pub quota_bytes: Option<u64>,
    /// Sum of the sizes of the account's messages.
    pub used_bytes: u64,
    pub message_count: u64,
    /// The account's current (highest assigned) modseq.
    pub highest_modseq: ModSeq,
    /// Unix seconds.
    pub created_at: i64,
}

/// Input of [`crate::Store::account_create`].
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub address: String,
    pub password_hash: String,
    pub quota_bytes: Option<u64>,
}

/// An alias: mail for `address` goes to `target`. `address` may be `@domain` (catch-all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    pub address: String,
    pub target: String,
}

/// A group (distribution list) with its member addresses (accounts, aliases or other groups).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: i64,
    pub address: String,
    pub name: String,
    pub members: Vec<String>,
}

/// An application password: named, revocable, accepted in place of the main password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppPassword {
    pub id: i64,
    pub account_id: AccountId,
    pub name: String,
    /// Hash of the secret (see `malt-core`'s auth module); never logged.
    #[serde(skip_serializing)]
    pub hash: String,
    pub created_at: i64,
}

/// Special-use role of a mailbox (RFC 6154).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SpecialUse {
    All,
    Archive,
    Drafts,
    Flagged,
    Junk,
    Sent,
    Trash,
}

impl SpecialUse {
    /// The RFC 6154 attribute, e.g. `\Sent`.
    pub fn attribute(self) -> &'static str {
        match self {
            SpecialUse::All => "\\All",
            SpecialUse::Archive => "\\Archive",
            SpecialUse::Drafts => "\\Drafts",
            SpecialUse::Flagged => "\\Flagged",
            SpecialUse::Junk => "\\Junk",
            SpecialUse::Sent => "\\Sent",
            SpecialUse::Trash => "\\Trash",
        }
    }

    /// Stable name used in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            SpecialUse::All => "all",
            SpecialUse::Archive => "archive",
            SpecialUse::Drafts => "drafts",
            SpecialUse::Flagged => "flagged",
            SpecialUse::Junk => "junk",
            SpecialUse::Sent => "sent",
            SpecialUse::Trash => "trash",
        }
    }

    /// Inverse of [`SpecialUse::as_str`]; also accepts the attribute form, case-insensitively.
    pub fn parse(s: &str) -> Option<SpecialUse> {
        let s = s.trim_start_matches('\\').to_ascii_lowercase();
        Some(match s.as_str() {
            "all" => SpecialUse::All,
            "archive" => SpecialUse::Archive,
            "drafts" => SpecialUse::Drafts,
            "flagged" => SpecialUse::Flagged,
            "junk" => SpecialUse::Junk,
            "sent" => SpecialUse::Sent,
            "trash" => SpecialUse::Trash,
            _ => return None,
        })
    }
}

/// Hierarchy separator of mailbox names (as Dovecot and Stalwart use by default).
pub const HIERARCHY_SEPARATOR: char = '/';

/// A mailbox. `name` is the full UTF-8 path with [`HIERARCHY_SEPARATOR`]; INBOX is always `INBOX`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    pub id: MailboxId,
    pub account_id: AccountId,
    pub name: String,
    pub role: Option<SpecialUse>,
    pub uidvalidity: u32,
    /// The UID the next appended message will get.
    pub uidnext: Uid,
    /// Highest modseq of any change in this mailbox (RFC 7162 HIGHESTMODSEQ).
    pub highest_modseq: ModSeq,
    pub message_count: u32,
    pub unseen_count: u32,
    /// Sum of message sizes (STATUS=SIZE, RFC 8438).
    pub total_size: u64,
}

/// System flags as bits; keywords kept separately.
pub mod flag {
    pub const SEEN: u8 = 1;
    pub const ANSWERED: u8 = 2;
    pub const FLAGGED: u8 = 4;
    pub const DELETED: u8 = 8;
    pub const DRAFT: u8 = 16;
    /// Every system flag bit.
    pub const ALL: u8 = SEEN | ANSWERED | FLAGGED | DELETED | DRAFT;
}

/// Flags of one message: system flag bits plus keywords (sorted, deduplicated, case preserved).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Flags {
    pub system: u8,
    pub keywords: Vec<String>,
}

impl Flags {
    pub fn new(system: u8, keywords: impl IntoIterator<Item = String>) -> Self {
        let mut f = Flags {
            system: system & flag::ALL,
            keywords: keywords.into_iter().collect(),
        };
        f.normalise();
        f
    }

    /// Sort and deduplicate keywords (IMAP keywords compare case-insensitively).
    pub fn normalise(&mut self) {
        self.keywords.sort_by_key(|k| k.to_ascii_lowercase());
        self.keywords.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    }

    pub fn has(&self, bit: u8) -> bool {
        self.system & bit != 0
    }

    /// Apply a STORE-style operation; returns the new flags.
    pub fn apply(&self, op: FlagOp, change: &Flags) -> Flags {
        let mut out = match op {
            FlagOp::Set => change.clone(),
            FlagOp::Add => {
                let mut k = self.keywords.clone();
                k.extend(change.keywords.iter().cloned());
                Flags {
                    system: self.system | change.system,
                    keywords: k,
                }
            }
            FlagOp::Remove => Flags {
                system: self.system & !change.system,
                keywords: self
                    .keywords
                    .iter()
                    .filter(|k| !change.keywords.iter().any(|c| c.eq_ignore_ascii_case(k)))
                    .cloned()
                    .collect(),
            },
        };
        out.normalise();
        out
    }

    /// Keywords joined by spaces: the stored form.
    pub fn keywords_text(&self) -> String {
        self.keywords.join(" ")
    }

    /// Inverse of [`Flags::keywords_text`].
    pub fn from_stored(system: i64, keywords: &str) -> Flags {
        Flags::new(
            u8::try_from(system & i64::from(flag::ALL)).unwrap_or(0),
            keywords.split(' ').filter(|k| !k.is_empty()).map(str::to_owned),
        )
    }
}

/// How STORE changes flags (RFC 9051 §6.4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    Set,
    Add,
    Remove,
}

/// A set of UIDs as sorted, non-overlapping inclusive ranges. `1:*` is `(1, u32::MAX)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UidSet {
    ranges: Vec<(Uid, Uid)>,
}

impl UidSet {
    /// Every UID.
    pub fn all() -> Self {
        UidSet {
            ranges: vec![(1, Uid::MAX)],
        }
    }

    pub fn from_ranges(ranges: impl IntoIterator<Item = (Uid, Uid)>) -> Self {
        let mut r: Vec<(Uid, Uid)> = ranges
            .into_iter()
            .map(|(a, b)| if a <= b { (a, b) } else { (b, a) })
            .collect();
        r.sort_unstable();
        let mut out: Vec<(Uid, Uid)> = Vec::with_capacity(r.len());
        for (a, b) in r {
            match out.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        UidSet { ranges: out }
    }

    pub fn from_uids(uids: impl IntoIterator<Item = Uid>) -> Self {
        Self::from_ranges(uids.into_iter().map(|u| (u, u)))
    }

    pub fn ranges(&self) -> &[(Uid, Uid)] {
        &self.ranges
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn contains(&self, uid: Uid) -> bool {
        self.ranges.iter().any(|&(a, b)| a <= uid && uid <= b)
    }

    /// IMAP sequence-set text, e.g. `1:5,7`.
    pub fn to_imap(&self) -> String {
        let parts: Vec<String> = self
            .ranges
            .iter()
            .map(|&(a, b)| if a == b { a.to_string() } else { format!("{a}:{b}") })
            .collect();
        parts.join(",")
    }

    /// Parse the text [`UidSet::to_imap`] writes (numbers only, no `*`).
    pub fn parse_imap(s: &str) -> Option<UidSet> {
        if s.is_empty() {
            return Some(UidSet::default());
        }
        let mut r = Vec::new();
        for part in s.split(',') {
            let (a, b) = match part.split_once(':') {
                Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
                None => {
                    let v: Uid = part.parse().ok()?;
                    (v, v)
                }
            };
            r.push((a, b));
        }
        Some(Self::from_ranges(r))
    }
}

/// UID, flags and modseq of one message: what SELECT and flag sync need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSummary {
    pub uid: Uid,
    pub flags: Flags,
    pub modseq: ModSeq,
}

/// A message in a mailbox with its metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub mailbox_id: MailboxId,
    pub uid: Uid,
    pub flags: Flags,
    pub modseq: ModSeq,
    /// Unix seconds (IMAP INTERNALDATE).
    pub internal_date: i64,
    /// Unix seconds when this instance was saved (RFC 8514 SAVEDATE).
    pub save_date: i64,
    /// Size in octets of the message as clients see it, `prefix ++ blob` (RFC822.SIZE; what
    /// quota counts).
    pub size: u64,
    /// BLAKE3 hex of the blob: the message as received, shared by every copy of one delivery.
    pub blob_id: String,
    /// Octets that come before the blob's content: the trace headers a delivery adds for one
    /// recipient ([`NewMessage::prefix`]). The message is `prefix ++ blob`; `None`: the blob alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<Vec<u8>>,
    /// Thread id (RFC 8474 THREADID), shared by messages of one conversation in the account.
    pub thread_id: i64,
    pub meta: MessageMeta,
}

impl Message {
    /// A hex id naming this message's content as clients see it (`prefix ++ blob`): the blob id
    /// when there is no prefix, else a BLAKE3 hash of the prefix and the blob id. COPY and MOVE keep
    /// it; two messages that share a blob but not a prefix (two recipients of one delivery) get
    /// different ids. The basis of IMAP's EMAILID.
    pub fn content_id(&self) -> String {
        match self.prefix.as_deref() {
            None | Some([]) => self.blob_id.clone(),
            Some(prefix) => {
                let mut h = blake3::Hasher::new();
                h.update(b"malt prefix+blob\0");
                h.update(&(prefix.len() as u64).to_le_bytes());
                h.update(prefix);
                h.update(self.blob_id.as_bytes());
                h.finalize().to_hex().to_string()
            }
        }
    }
}

/// A message to append: its blob must already be durable in the blob store.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub mailbox_id: MailboxId,
    pub blob_id: String,
    /// Octets of the whole message, `prefix ++ blob`.
    pub size: u64,
    pub flags: Flags,
    pub internal_date: i64,
    pub meta: MessageMeta,
    /// The message's top-level header block (its first `meta.body.body_start` octets, the blank line
    /// included), kept beside the metadata so that header fetches and header searches need not read
    /// the blob. `None`: not kept (readers then use the blob).
    /// With a prefix, it is the whole message's header block (the prefix included), as `meta`
    /// describes the whole message.
    pub header: Option<Vec<u8>>,
    /// Octets stored with this message only, before the blob's content (the per-recipient trace
    /// headers of a delivery), so that one blob serves every recipient. Kept beside the metadata,
    /// carried by COPY and MOVE. `meta` and `header` describe `prefix ++ blob`. `None` (or empty,
    /// stored as `None`): the message is the blob.
    pub prefix: Option<Vec<u8>>,
}

/// A message's top-level header block with what a header-only FETCH also asks (RFC822.SIZE,
/// INTERNALDATE): [`crate::Store::message_headers`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderBlock {
    pub uid: Uid,
    pub size: u64,
    pub internal_date: i64,
    /// The header fields and the blank line after them, of the whole message (its prefix included).
    pub header: Vec<u8>,
}

/// Result of appending one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub mailbox_id: MailboxId,
    pub uidvalidity: u32,
    pub uid: Uid,
    pub message_id: MessageId,
    pub modseq: ModSeq,
}

/// Result of a STORE.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagUpdate {
    /// Modseq given to every message changed by this operation (0 if none changed).
    pub modseq: ModSeq,
    /// Messages whose flags changed, with their new flags.
    pub changed: Vec<MessageSummary>,
    /// UIDs not changed because their modseq exceeded `unchanged_since` (RFC 7162 MODIFIED).
    pub modified: Vec<Uid>,
}

/// Result of a COPY or MOVE (RFC 4315 COPYUID).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyResult {
    pub dest_uidvalidity: u32,
    /// (source UID, destination UID), in source UID order.
    pub mapping: Vec<(Uid, Uid)>,
    pub modseq: ModSeq,
}

/// Changes in one mailbox since a modseq (RFC 7162 CONDSTORE/QRESYNC).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailboxChanges {
    /// Messages added or whose flags changed after the modseq, by UID.
    pub changed: Vec<MessageSummary>,
    /// UIDs expunged after the modseq (tombstones), ascending.
    pub vanished: Vec<Uid>,
    pub highest_modseq: ModSeq,
}

/// What a journal entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChangeKind {
    MessagesAdded,
    FlagsChanged,
    MessagesExpunged,
    MailboxCreated,
    MailboxRenamed,
    MailboxDeleted,
    SubscriptionChanged,
    AccountChanged,
    /// RFC 5464 metadata of a mailbox (`mailbox_id` set) or of the server (no mailbox) changed.
    Metadata,
    /// The access control list of a mailbox changed (RFC 4314); `mailbox_id` names it, the
    /// entry belongs to the mailbox's owner.
    AclChanged,
    /// A DAV collection (calendar, address book) was created; `collection_id` names it.
    DavCollectionCreated,
    /// A DAV collection's properties changed (PROPPATCH).
    DavCollectionChanged,
    /// A DAV collection was deleted with its objects.
    DavCollectionDeleted,
    /// Objects of a DAV collection were created or replaced.
    DavObjectsChanged,
    /// Objects of a DAV collection were deleted (or moved away).
    DavObjectsDeleted,
    /// The sharing of a DAV collection changed (a share set or removed, a sharee's answer, the
    /// collection or a sharee gone). Written for the owner and for each sharee account
    /// concerned: `account_id` is then the sharee, `collection_id` the owner's collection.
    DavShareChanged,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::MessagesAdded => "messages_added",
            ChangeKind::FlagsChanged => "flags_changed",
            ChangeKind::MessagesExpunged => "messages_expunged",
            ChangeKind::MailboxCreated => "mailbox_created",
            ChangeKind::MailboxRenamed => "mailbox_renamed",
            ChangeKind::MailboxDeleted => "mailbox_deleted",
            ChangeKind::SubscriptionChanged => "subscription_changed",
            ChangeKind::AccountChanged => "account_changed",
            ChangeKind::Metadata => "metadata",
            ChangeKind::AclChanged => "acl_changed",
            ChangeKind::DavCollectionCreated => "dav_collection_created",
            ChangeKind::DavCollectionChanged => "dav_collection_changed",
            ChangeKind::DavCollectionDeleted => "dav_collection_deleted",
            ChangeKind::DavObjectsChanged => "dav_objects_changed",
            ChangeKind::DavObjectsDeleted => "dav_objects_deleted",
            ChangeKind::DavShareChanged => "dav_share_changed",
        }
    }

    pub fn parse(s: &str) -> Option<ChangeKind> {
        Some(match s {
            "messages_added" => ChangeKind::MessagesAdded,
            "flags_changed" => ChangeKind::FlagsChanged,
            "messages_expunged" => ChangeKind::MessagesExpunged,
            "mailbox_created" => ChangeKind::MailboxCreated,
            "mailbox_renamed" => ChangeKind::MailboxRenamed,
            "mailbox_deleted" => ChangeKind::MailboxDeleted,
            "subscription_changed" => ChangeKind::SubscriptionChanged,
            "account_changed" => ChangeKind::AccountChanged,
            "metadata" => ChangeKind::Metadata,
            "acl_changed" => ChangeKind::AclChanged,
            "dav_collection_created" => ChangeKind::DavCollectionCreated,
            "dav_collection_changed" => ChangeKind::DavCollectionChanged,
            "dav_collection_deleted" => ChangeKind::DavCollectionDeleted,
            "dav_objects_changed" => ChangeKind::DavObjectsChanged,
            "dav_objects_deleted" => ChangeKind::DavObjectsDeleted,
            "dav_share_changed" => ChangeKind::DavShareChanged,
            _ => return None,
        })
    }
}

/// One entry of the change journal, written in the same transaction as the mutation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Global, strictly increasing position in the journal (the tailer's cursor).
    pub id: i64,
    pub account_id: AccountId,
    /// The account's modseq assigned by this mutation.
    pub modseq: ModSeq,
    pub mailbox_id: Option<MailboxId>,
    pub kind: ChangeKind,
    /// UIDs concerned (messages added, changed, expunged); empty for mailbox-level changes.
    pub uids: UidSet,
    /// The DAV collection of a `Dav*` entry (then `mailbox_id` is `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_id: Option<crate::dav::DavCollectionId>,
}

/// Quota usage of an account (RFC 9208 STORAGE and MESSAGE resources).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaUsage {
    pub used_bytes: u64,
    pub limit_bytes: Option<u64>,
    pub message_count: u64,
}

/// One RFC 5464 metadata entry (annotation) of an account: a server entry (`mailbox_id` is
/// `None`) or an entry of one mailbox. `name` is the entry name in its stored form: ASCII
/// lower-case, since entry names compare case-insensitively (RFC 5464 §3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataEntry {
    pub mailbox_id: Option<MailboxId>,
    pub name: String,
    pub value: Vec<u8>,
}

impl MetadataEntry {
    /// What the entry counts against [`MetadataLimits::max_account_bytes`]: name plus value octets.
    pub fn size(name: &str, value: &[u8]) -> u64 {
        (name.len() as u64).saturating_add(value.len() as u64)
    }
}

/// Limits [`crate::Store::metadata_set`] enforces inside its transaction (RFC 5464 §4.3
/// `[METADATA TOOMANY]`). A change that would leave the limit exceeded *and* is larger than what
/// was there before is refused as a whole; deletions always succeed (limits may have been
/// lowered since the entries were written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataLimits {
    /// Entries per target: per mailbox, and for the server entries of the account.
    pub max_entries: u64,
    /// Sum of [`MetadataEntry::size`] over every entry of the account.
    pub max_account_bytes: u64,
}

/// Outcome of [`crate::Store::metadata_set`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataSetOutcome {
    /// Every entry was written or removed.
    Stored,
    /// Nothing was changed: the change would exceed [`MetadataLimits::max_entries`].
    TooManyEntries,
    /// Nothing was changed: the change would exceed [`MetadataLimits::max_account_bytes`].
    TooLarge,
}

/// Metadata held by an account, for the limits of [`MetadataLimits`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetadataUsage {
    pub entries: u64,
    /// Sum of [`MetadataEntry::size`].
    pub bytes: u64,
}

/// Normal form of a metadata entry name (RFC 5464 §3.2: case-insensitive): ASCII lower-case.
pub fn metadata_name(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// Applies `entries` (a `None` value removes the entry) to the current entries of one target,
/// `current` as `(normalised name, size)`, and checks `limits` against the resulting entry count
/// and account bytes. `account_bytes` is the account's usage before the change. Both backends
/// call this under the account's write lock, before writing anything.
pub fn metadata_check(
    current: &[(String, u64)],
    account_bytes: u64,
    entries: &[(String, Option<Vec<u8>>)],
    limits: &MetadataLimits,
) -> MetadataSetOutcome {
    let mut target: std::collections::BTreeMap<String, u64> = current.iter().cloned().collect();
    let count_before = target.len() as u64;
    let target_before: u64 = target.values().sum();
    for (name, value) in entries {
        let name = metadata_name(name);
        match value {
            Some(v) => {
                let size = MetadataEntry::size(&name, v);
                target.insert(name, size);
            }
            None => {
                target.remove(&name);
            }
        }
    }
    let count_after = target.len() as u64;
    let target_after: u64 = target.values().sum();
    let bytes_after = account_bytes
        .saturating_sub(target_before)
        .saturating_add(target_after);
    if count_after > limits.max_entries && count_after > count_before {
        MetadataSetOutcome::TooManyEntries
    } else if bytes_after > limits.max_account_bytes && bytes_after > account_bytes {
        MetadataSetOutcome::TooLarge
    } else {
        MetadataSetOutcome::Stored
    }
}

/// Result of the store's consistency check (`malt check`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub accounts: u64,
    pub mailboxes: u64,
    pub messages: u64,
    /// Human-readable problems found; empty when the store is sound.
    pub problems: Vec<String>,
}

/// One entry of a mailbox's access control list (RFC 4314 §2): an identifier and its rights.
///
/// The store keeps both as strings; what they mean (rights letters, `anyone`, `authenticated`,
/// negative `-identifier` entries) is the business of `malt-core`'s `acl` module. Identifiers are
/// normalised by [`AclEntry::normalise_identifier`] before they are stored or looked up.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AclEntry {
    pub identifier: String,
    pub rights: String,
}

impl AclEntry {
    /// The stored form of an identifier: trimmed, and lower-cased when it is an address
    /// (contains `@`, also behind a leading `-`), since addresses are stored lower-case.
    /// Other identifiers (`anyone`, `authenticated`) are kept as given.
    pub fn normalise_identifier(identifier: &str) -> String {
        let t = identifier.trim();
        if t.contains('@') {
            t.to_lowercase()
        } else {
            t.to_owned()
        }
    }
}

/// A mailbox shared through its ACL: what [`crate::Store::acl_shared_with`] returns for building
/// the "Other Users" namespace (RFC 4314 §2, RFC 2342) without a query per mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedMailbox {
    pub mailbox: Mailbox,
    /// Address of the owning account.
    pub owner: String,
    /// The mailbox's whole ACL, ordered by identifier.
    pub acl: Vec<AclEntry>,
}

/// A viewer's private `\Seen` state of one message of a shared mailbox (RFC 4314 §4, per-user
/// `\Seen`), as [`crate::Store::private_seen_changes`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateSeen {
    pub uid: Uid,
    pub seen: bool,
    /// Modseq of the last change, from the mailbox owner's sequence.
    pub modseq: ModSeq,
}

/// Result of [`crate::Store::private_seen_store`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeenUpdate {
    /// Modseq given to every changed UID (0 when nothing changed).
    pub modseq: ModSeq,
    /// UIDs whose private `\Seen` actually changed, ascending.
    pub changed: Vec<Uid>,
}

// ---- Outbound queue (RFC 5321 §4.5.4.1 retry strategy; RFC 3461 DSN parameters) -------------

/// Row id of a queued outbound message.
pub type QueueId = i64;

/// Longest address, ORCPT, ENVID, return path or error text the queue stores, in octets
/// (RFC 5321 §4.5.3.1 limits a path to 256 octets and a reply line to 512; this leaves room
/// for an xtext-encoded ORCPT and a multi-line reply).
pub const QUEUE_TEXT_MAX: usize = 4096;

/// RFC 3461 §4.1 NOTIFY; `never` excludes the others. Default (none given): failure + delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DsnNotify {
    pub success: bool,
    pub failure: bool,
    pub delay: bool,
    pub never: bool,
}

impl DsnNotify {
    const SUCCESS: i64 = 1;
    const FAILURE: i64 = 2;
    const DELAY: i64 = 4;
    const NEVER: i64 = 8;

    /// The stored form: one bit per keyword (success 1, failure 2, delay 4, never 8).
    pub fn to_bits(self) -> i64 {
        let bit = |on: bool, b: i64| if on { b } else { 0 };
        bit(self.success, Self::SUCCESS)
            | bit(self.failure, Self::FAILURE)
            | bit(self.delay, Self::DELAY)
            | bit(self.never, Self::NEVER)
    }

    /// Inverse of [`DsnNotify::to_bits`]; unknown bits are ignored.
    pub fn from_bits(bits: i64) -> DsnNotify {
        DsnNotify {
            success: bits & Self::SUCCESS != 0,
            failure: bits & Self::FAILURE != 0,
            delay: bits & Self::DELAY != 0,
            never: bits & Self::NEVER != 0,
        }
    }
}

/// Where one recipient of a queued message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecipientStatus {
    /// Not delivered yet; retried at `next_attempt`.
    Pending,
    /// Accepted by the next hop (final).
    Delivered,
    /// Permanently failed or expired (final); a DSN may be due.
    Failed,
}

impl RecipientStatus {
    /// Stable name used in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientStatus::Pending => "pending",
            RecipientStatus::Delivered => "delivered",
            RecipientStatus::Failed => "failed",
        }
    }

    /// Inverse of [`RecipientStatus::as_str`].
    pub fn parse(s: &str) -> Option<RecipientStatus> {
        Some(match s {
            "pending" => RecipientStatus::Pending,
            "delivered" => RecipientStatus::Delivered,
            "failed" => RecipientStatus::Failed,
            _ => return None,
        })
    }
}

/// One recipient of [`NewQueuedMessage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQueueRecipient {
    /// As given in RCPT TO (the local part is case-sensitive, RFC 5321 §2.4).
    pub address: String,
    /// RFC 3461 §4.2 ORCPT, raw `rfc822;a@b`.
    pub orcpt: Option<String>,
    /// `None`: not given by the client.
    pub notify: Option<DsnNotify>,
    /// Unix seconds.
    pub next_attempt: i64,
}

/// Input of [`crate::Store::queue_enqueue`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQueuedMessage {
    /// Message content, already durable in the [`crate::BlobStore`].
    pub blob_id: String,
    pub size: u64,
    /// `""` for the null sender.
    pub return_path: String,
    /// RFC 3461 §4.4 ENVID.
    pub envid: Option<String>,
    /// RFC 3461 §4.3 RET=FULL (false = HDRS / not given).
    pub ret_full: bool,
    pub created_at: i64,
    /// Authenticated submitter, if any.
    pub submitter: Option<AccountId>,
    pub recipients: Vec<NewQueueRecipient>,
}

impl NewQueuedMessage {
    /// Checks what both backends require before storing: a blob id, at least one recipient,
    /// every recipient `local@domain`, no text over [`QUEUE_TEXT_MAX`]. Returns the lower-case
    /// domain of each recipient, in order.
    pub fn validate(&self) -> crate::Result<Vec<String>> {
        let invalid = |what: &'static str, reason: String| crate::StoreError::Invalid { what, reason };
        if self.blob_id.is_empty() {
            return Err(invalid("queued message", "empty blob id".into()));
        }
        if self.recipients.is_empty() {
            return Err(invalid("queued message", "no recipients".into()));
        }
        let too_long = |s: &str| s.len() > QUEUE_TEXT_MAX;
        if too_long(&self.return_path) || self.envid.as_deref().is_some_and(too_long) {
            return Err(invalid("queued message", "return path or ENVID too long".into()));
        }
        let mut domains = Vec::with_capacity(self.recipients.len());
        for r in &self.recipients {
            if too_long(&r.address) || r.orcpt.as_deref().is_some_and(too_long) {
                return Err(invalid("queue recipient", "address or ORCPT too long".into()));
            }
            let domain = recipient_domain(&r.address)
                .ok_or_else(|| invalid("queue recipient", format!("`{}` is not local@domain", r.address)))?;
            domains.push(domain);
        }
        Ok(domains)
    }
}

/// The lower-case domain part of `local@domain`, or `None` when there is none.
pub fn recipient_domain(address: &str) -> Option<String> {
    match address.rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => Some(domain.to_lowercase()),
        _ => None,
    }
}

/// One recipient of a [`QueuedMessage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRecipient {
    pub id: i64,
    pub address: String,
    /// Lower-case domain part of `address`.
    pub domain: String,
    pub orcpt: Option<String>,
    pub notify: Option<DsnNotify>,
    pub status: RecipientStatus,
    pub attempts: u32,
    pub next_attempt: i64,
    /// Last reply / reason, for `malt queue show` and DSNs.
    pub last_error: Option<String>,
    /// A delay DSN was already sent for this recipient.
    pub delay_notified: bool,
}

/// A message in the outbound queue with all its recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    pub id: QueueId,
    pub blob_id: String,
    pub size: u64,
    pub return_path: String,
    pub envid: Option<String>,
    pub ret_full: bool,
    pub created_at: i64,
    /// `None` also after the submitter's account was deleted.
    pub submitter: Option<AccountId>,
    pub held: bool,
    /// All of them, any status, ordered by id.
    pub recipients: Vec<QueueRecipient>,
}

/// The result of one delivery attempt for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientUpdate {
    pub id: i64,
    pub status: RecipientStatus,
    pub next_attempt: i64,
    pub last_error: Option<String>,
    pub delay_notified: bool,
    // attempts is incremented by the store for every update
}

/// Puts recipient rows `(message id, recipient)`, ordered by recipient id, into their
/// messages; the order of `messages` is kept. Backends load a batch of queued messages with two
/// queries and join them here.
pub fn queue_attach(
    mut messages: Vec<QueuedMessage>,
    recipients: Vec<(QueueId, QueueRecipient)>,
) -> Vec<QueuedMessage> {
    let index: std::collections::HashMap<QueueId, usize> =
        messages.iter().enumerate().map(|(i, m)| (m.id, i)).collect();
    for (message, r) in recipients {
        if let Some(m) = index.get(&message).and_then(|&i| messages.get_mut(i)) {
            m.recipients.push(r);
        }
    }
    messages
}

/// Checks a batch of [`RecipientUpdate`]s: no recipient twice, `last_error` cut to
/// [`QUEUE_TEXT_MAX`] octets (at a character boundary). Returns the updates ready to store.
pub fn queue_updates_checked(mut updates: Vec<RecipientUpdate>) -> crate::Result<Vec<RecipientUpdate>> {
    let mut ids: Vec<i64> = updates.iter().map(|u| u.id).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w.first() == w.get(1)) {
        return Err(crate::StoreError::Invalid {
            what: "queue update",
            reason: "a recipient is updated twice".into(),
        });
    }
    for u in &mut updates {
        if let Some(e) = &mut u.last_error {
            truncate_utf8(e, QUEUE_TEXT_MAX);
        }
    }
    Ok(updates)
}

fn truncate_utf8(s: &mut String, max: usize) {
    if s.len() > max {
        let end = s.floor_char_boundary(max);
        s.truncate(end);
    }
}

// ---- Sending delegations (send as / send on behalf) --------------------------------------------

/// What a delegation allows: `From: address` (send as), or `From: address` with
/// `Sender: <the account>` (send on behalf, RFC 5322 §3.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DelegationKind {
    SendAs,
    SendOnBehalf,
}

impl DelegationKind {
    /// Stable name used in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            DelegationKind::SendAs => "send_as",
            DelegationKind::SendOnBehalf => "send_on_behalf",
        }
    }

    /// Inverse of [`DelegationKind::as_str`].
    pub fn parse(s: &str) -> Option<DelegationKind> {
        Some(match s {
            "send_as" => DelegationKind::SendAs,
            "send_on_behalf" => DelegationKind::SendOnBehalf,
            _ => return None,
        })
    }
}

/// `account` may send as / on behalf of `address` (lower-case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    pub account: AccountId,
    pub address: String,
    pub kind: DelegationKind,
}

/// The stored form of a delegated address: trimmed, lower-case, `local@domain`; else `Invalid`.
pub fn delegation_address(address: &str) -> crate::Result<String> {
    let a = address.trim().to_lowercase();
    if recipient_domain(&a).is_none() || a.len() > QUEUE_TEXT_MAX {
        return Err(crate::StoreError::Invalid {
            what: "delegated address",
            reason: format!("`{a}` is not local@domain"),
        });
    }
    Ok(a)
}

// ---- DKIM signing keys (RFC 6376) -------------------------------------------------------------

/// The DKIM algorithms a key may have (RFC 6376 §3.3, RFC 8463).
pub const DKIM_ALGORITHMS: &[&str] = &["rsa-sha256", "ed25519-sha256"];

/// A DKIM signing key, shared by every node. `Debug` never shows the private key.
#[derive(Clone, PartialEq, Eq)]
pub struct DkimKey {
    /// Lower-case signing domain (`d=`).
    pub domain: String,
    /// Lower-case selector (`s=`; DNS labels compare case-insensitively).
    pub selector: String,
    /// `rsa-sha256` or `ed25519-sha256`.
    pub algorithm: String,
    /// PKCS#8 PEM; a secret, never logged.
    pub private_key_pem: String,
    pub created_at: i64,
}

impl std::fmt::Debug for DkimKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimKey")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .field("algorithm", &self.algorithm)
            .field("private_key_pem", &"<redacted>")
            .field("created_at", &self.created_at)
            .finish()
    }
}

impl DkimKey {
    /// The stored form: domain and selector trimmed and lower-cased; `Invalid` when either is
    /// empty, the algorithm is not one of [`DKIM_ALGORITHMS`] or the key is empty.
    pub fn normalised(mut self) -> crate::Result<DkimKey> {
        self.domain = self.domain.trim().to_lowercase();
        self.selector = self.selector.trim().to_lowercase();
        let reason = if self.domain.is_empty() || self.domain.contains('@') {
            "empty or malformed domain"
        } else if self.selector.is_empty() {
            "empty selector"
        } else if !DKIM_ALGORITHMS.contains(&self.algorithm.as_str()) {
            "algorithm is not rsa-sha256 or ed25519-sha256"
        } else if self.private_key_pem.trim().is_empty() {
            "empty private key"
        } else {
            return Ok(self);
        };
        Err(crate::StoreError::Invalid {
            what: "DKIM key",
            reason: reason.into(),
        })
    }
}

// ---- Duplicate suppression --------------------------------------------------------------------

/// Longest Message-ID the duplicate filter keys on (RFC 5322 §2.1.1 line limit).
pub const DEDUP_MESSAGE_ID_MAX: usize = 998;

/// The stored form of a Message-ID for duplicate suppression: trimmed, without the angle
/// brackets (`<a@b>` and `a@b` are one key; case is kept, RFC 5322 §3.6.4); `Invalid` when
/// empty or longer than [`DEDUP_MESSAGE_ID_MAX`].
pub fn dedup_key(message_id: &str) -> crate::Result<String> {
    let t = message_id.trim();
    let t = t.strip_prefix('<').unwrap_or(t);
    let t = t.strip_suffix('>').unwrap_or(t).trim();
    if t.is_empty() || t.len() > DEDUP_MESSAGE_ID_MAX {
        return Err(crate::StoreError::Invalid {
            what: "Message-ID",
            reason: "empty or too long".into(),
        });
    }
    Ok(t.to_owned())
}

/// Longest key of a Sieve duplicate-tracking record, in octets.
pub const SIEVE_DUPLICATE_KEY_MAX: usize = 255;

/// Checks the key of a Sieve duplicate-tracking record (RFC 7352; the caller hashes handle and
/// unique id into it): `Invalid` when empty or longer than [`SIEVE_DUPLICATE_KEY_MAX`].
pub fn sieve_duplicate_key(key: &str) -> crate::Result<&str> {
    if key.is_empty() || key.len() > SIEVE_DUPLICATE_KEY_MAX {
        return Err(crate::StoreError::Invalid {
            what: "duplicate-tracking key",
            reason: "empty or too long".into(),
        });
    }
    Ok(key)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod queue_tests {
    use super::*;

    #[test]
    fn notify_bits_round_trip() {
        for bits in 0..16 {
            assert_eq!(DsnNotify::from_bits(bits).to_bits(), bits);
        }
        assert_eq!(
            DsnNotify::from_bits(2 | 4 | 64),
            DsnNotify {
                failure: true,
                delay: true,
                ..DsnNotify::default()
            }
        );
    }

    #[test]
    fn last_error_is_cut_at_a_character_boundary() {
        // 'é' is two octets: QUEUE_TEXT_MAX falls inside one.
        let long = format!("x{}", "é".repeat(QUEUE_TEXT_MAX));
        let u = RecipientUpdate {
            id: 1,
            status: RecipientStatus::Pending,
            next_attempt: 0,
            last_error: Some(long),
            delay_notified: false,
        };
        let out = queue_updates_checked(vec![u]).unwrap();
        let e = out[0].last_error.as_deref().unwrap();
        assert_eq!(e.len(), QUEUE_TEXT_MAX - 1);
        assert!(e.ends_with('é'));
    }

    #[test]
    fn keys_and_domains() {
        assert_eq!(recipient_domain("A@Ex.COM").as_deref(), Some("ex.com"));
        assert_eq!(recipient_domain("\"a@b\"@Ex.org").as_deref(), Some("ex.org"));
        assert_eq!(recipient_domain("postmaster"), None);
        assert_eq!(recipient_domain("a@"), None);
        assert_eq!(dedup_key(" <Ab@x> ").unwrap(), "Ab@x");
        assert!(dedup_key("<>").is_err());
        assert_eq!(delegation_address(" Boss@X.Org ").unwrap(), "boss@x.org");
        assert!(delegation_address("boss").is_err());
        for s in ["pending", "delivered", "failed"] {
            assert_eq!(RecipientStatus::parse(s).unwrap().as_str(), s);
        }
        for s in ["send_as", "send_on_behalf"] {
            assert_eq!(DelegationKind::parse(s).unwrap().as_str(), s);
        }
    }
}
