//! The mail core shared by every protocol: mailbox name rules, create/rename/delete with the
//! IMAP semantics, append (parse once, blob first, then metadata), delivery to local recipients,
//! and thin wrappers over the store for copy, move, flags and expunge.
//!
//! Invariants:
//! - A blob is durable (fsynced, renamed) before the metadata that references it commits; a
//!   failure in between leaves only an unreferenced blob, which garbage collection removes.
//! - Messages are stored exactly as they came: bad MIME is never a reason to refuse one; only
//!   size is (`max_message_size`), checked before anything is written.
//! - A message is `prefix ++ blob` ([`malt_store::Message::prefix`]): a delivery stores the
//!   message as received once ([`MailCore::store_blob`]) and appends one copy per recipient with
//!   that recipient's trace headers as the prefix ([`MailCore::append_prefixed`]). Size, quota,
//!   metadata and the kept header block describe the whole, and every reader gets the whole
//!   ([`MailCore::read_message`]); nothing else in the server sees the difference.
//! - Parsing and blob I/O run on the blocking pool.
//! - Mailbox names are validated here, not in the store (RFC 9051 §5.1); `INBOX` is always
//!   spelled `INBOX`.

use std::sync::Arc;

use malt_store::{
    AccountId, Appended, BlobStore, CopyResult, FlagOp, FlagUpdate, Flags, HIERARCHY_SEPARATOR, Mailbox,
    MailboxId, Message, MessageMeta, ModSeq, NewMessage, SpecialUse, Storage, StoreError, Uid, UidSet,
};

use crate::ingest;
use crate::sender_auth::SenderAuthenticator;

/// Longest mailbox name, in octets.
pub const MAX_NAME_BYTES: usize = 1024;
/// Longest hierarchy level of a mailbox name, in octets.
pub const MAX_LEVEL_BYTES: usize = 255;

/// Mail core settings (the binary maps its config onto these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// Largest message accepted by append and delivery, in octets.
    pub max_message_size: u64,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            max_message_size: 64 * 1024 * 1024,
        }
    }
}

/// Options of the delivery pipelines that need more than the store (the binary maps `[mail_auth]`
/// and `[delivery]` onto these).
#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    /// Verifies SPF/DKIM/DMARC/ARC for envelopes that ask for it ([`crate::delivery::Envelope::verify_sender`]);
    /// `None`: no verification (and no `Authentication-Results` header).
    pub sender_auth: Option<Arc<SenderAuthenticator>>,
    /// Duplicate suppression window in seconds (`[delivery] dedup_window_secs`); 0 disables it.
    pub dedup_window_secs: u64,
    /// Whether [`MailCore::dkim_sign`] signs (`[mail_auth] dkim_sign`).
    pub dkim_sign: bool,
    /// Decides each account's copy at final delivery ([`crate::filter`]); `None`: everything to INBOX.
    pub filter: Option<Arc<dyn crate::filter::DeliveryFilter>>,
    /// Rewrites the envelope sender of redirected mail, and turns bounces to rewritten addresses
    /// back ([`crate::srs`]); `None`: redirects keep the original sender.
    pub srs: Option<Arc<crate::srs::Srs>>,
}

impl Default for DeliveryOptions {
    /// No verification, no duplicate suppression, signing on.
    fn default() -> Self {
        DeliveryOptions {
            sender_auth: None,
            dedup_window_secs: 0,
            dkim_sign: true,
            filter: None,
            srs: None,
        }
    }
}

/// One message of [`MailCore::append_many`].
#[derive(Debug, Clone)]
pub struct AppendItem {
    pub mailbox_id: MailboxId,
    pub raw: Vec<u8>,
    pub flags: Flags,
    /// Unix seconds; now when `None`.
    pub internal_date: Option<i64>,
}

fn invalid(what: &'static str, reason: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        what,
        reason: reason.into(),
    }
}

/// Validates a mailbox name (RFC 9051 §5.1) and returns its normal form: a first level equal
/// to `INBOX` in any case becomes `INBOX`.
///
/// Refused: empty names, control characters, the LIST wildcards `*` and `%`, empty hierarchy
/// levels (`a//b`, a leading or trailing `/`), levels over 255 octets, names over 1024 octets.
pub fn validate_mailbox_name(name: &str) -> Result<String, StoreError> {
    const WHAT: &str = "mailbox name";
    if name.is_empty() {
        return Err(invalid(WHAT, "empty"));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(invalid(WHAT, format!("longer than {MAX_NAME_BYTES} octets")));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(WHAT, "contains a control character"));
    }
    if name.contains(['*', '%']) {
        return Err(invalid(WHAT, "contains a wildcard (* or %)"));
    }
    let mut levels = Vec::new();
    for (i, level) in name.split(HIERARCHY_SEPARATOR).enumerate() {
        if level.is_empty() {
            return Err(invalid(
                WHAT,
                format!("empty hierarchy level (around '{HIERARCHY_SEPARATOR}')"),
            ));
        }
        if level.len() > MAX_LEVEL_BYTES {
            return Err(invalid(
                WHAT,
                format!("a hierarchy level is longer than {MAX_LEVEL_BYTES} octets"),
            ));
        }
        if i == 0 && level.eq_ignore_ascii_case("INBOX") {
            levels.push("INBOX");
        } else {
            levels.push(level);
        }
    }
    Ok(levels.join(&HIERARCHY_SEPARATOR.to_string()))
}

/// Every proper parent of a (valid, normalised) name: `a/b/c` gives `a`, `a/b`.
fn parents(name: &str) -> Vec<&str> {
    name.match_indices(HIERARCHY_SEPARATOR)
        .filter_map(|(i, _)| name.get(..i))
        .collect()
}

fn is_inbox(name: &str) -> bool {
    name == "INBOX"
}

/// Now, in Unix seconds (0 before 1970, saturating far in the future).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(StoreError::backend)?
}

/// Parses `raw` and stores it in the blob store (blocking).
fn ingest_one(blobs: &BlobStore, raw: Vec<u8>) -> Result<StoredBlob, StoreError> {
    let meta = ingest::parse_message(&raw);
    let blob_id = blobs.put(&raw)?;
    Ok(StoredBlob {
        raw: Arc::new(raw),
        blob_id,
        meta,
    })
}

/// `prefix ++ blob` (blocking).
fn whole_message(blobs: &BlobStore, blob_id: &str, prefix: Option<Vec<u8>>) -> Result<Vec<u8>, StoreError> {
    let blob = blobs.get(blob_id)?;
    Ok(match prefix {
        Some(mut whole) if !whole.is_empty() => {
            whole.extend_from_slice(&blob);
            whole
        }
        _ => blob,
    })
}

/// The mail core. Cheap to clone.
#[derive(Debug, Clone)]
pub struct MailCore {
    storage: Storage,
    settings: Arc<MailSettings>,
    delivery: Arc<DeliveryOptions>,
    /// Woken after each enqueue (see `crate::queue`).
    queue_notify: Arc<tokio::sync::Notify>,
}

/// The first `n` octets of `a ++ b`; `None` when there are fewer.
fn head_of(a: &[u8], b: &[u8], n: usize) -> Option<Vec<u8>> {
    match n.checked_sub(a.len()) {
        None => a.get(..n).map(<[u8]>::to_vec),
        Some(rest) => b.get(..rest).map(|tail| [a, tail].concat()),
    }
}

/// A message stored once in the blob store and parsed once ([`MailCore::store_blob`]), to be
/// appended any number of times, each copy with its own prefix ([`MailCore::append_prefixed`]).
#[derive(Debug, Clone)]
pub struct StoredBlob {
    raw: Arc<Vec<u8>>,
    blob_id: String,
    meta: MessageMeta,
}

impl StoredBlob {
    /// The blob's id in the blob store.
    pub fn blob_id(&self) -> &str {
        &self.blob_id
    }

    /// Octets of the blob.
    pub fn size(&self) -> u64 {
        self.raw.len() as u64
    }

    /// The message `prefix ++ blob` to append: its size, its metadata ([`ingest::parse_prefixed`]:
    /// the blob's own, shifted, when the prefix is trace fields; else the whole is parsed, so run
    /// it on the blocking pool) and its header block, all of the whole message.
    fn message(&self, prefix: &[u8], mailbox_id: MailboxId, flags: Flags, internal_date: i64) -> NewMessage {
        let meta = ingest::parse_prefixed(prefix, &self.raw, &self.meta);
        let end = usize::try_from(meta.body.body_start).unwrap_or(usize::MAX);
        let header = head_of(prefix, &self.raw, end);
        NewMessage {
            mailbox_id,
            blob_id: self.blob_id.clone(),
            size: (prefix.len() as u64).saturating_add(self.size()),
            flags,
            internal_date,
            meta,
            header,
            prefix: (!prefix.is_empty()).then(|| prefix.to_vec()),
        }
    }
}

impl MailCore {
    pub fn new(storage: Storage, settings: MailSettings) -> Self {
        MailCore {
            storage,
            settings: Arc::new(settings),
            delivery: Arc::new(DeliveryOptions::default()),
            queue_notify: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// The same core with these delivery options (default: [`DeliveryOptions::default`]).
    pub fn with_delivery_options(mut self, options: DeliveryOptions) -> Self {
        self.delivery = Arc::new(options);
        self
    }

    pub fn delivery_options(&self) -> &DeliveryOptions {
        &self.delivery
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    pub fn settings(&self) -> &MailSettings {
        &self.settings
    }

    /// The queue runner's wake-up: notified (`notify_one`) after each message is queued, so a
    /// runner waiting on it starts at once instead of at its next poll. Shared by clones.
    pub fn queue_notify(&self) -> Arc<tokio::sync::Notify> {
        self.queue_notify.clone()
    }

    // ---- Mailboxes ---------------------------------------------------------------------------

    /// The mailbox named `name` (validated and normalised first).
    pub async fn mailbox(&self, account: AccountId, name: &str) -> Result<Option<Mailbox>, StoreError> {
        let name = validate_mailbox_name(name)?;
        self.storage.store.mailbox_get(account, &name).await
    }

    /// The mailbox named `name`, or `NotFound`.
    pub async fn mailbox_required(&self, account: AccountId, name: &str) -> Result<Mailbox, StoreError> {
        self.mailbox(account, name)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("mailbox {name}")))
    }

    pub async fn list_mailboxes(&self, account: AccountId) -> Result<Vec<Mailbox>, StoreError> {
        self.storage.store.mailbox_list(account).await
    }

    /// Creates missing parents without a role; an existing one (or one created concurrently) is
    /// fine.
    async fn create_parents(&self, account: AccountId, name: &str) -> Result<(), StoreError> {
        let store = &self.storage.store;
        for parent in parents(name) {
            if store.mailbox_get(account, parent).await?.is_none() {
                match store.mailbox_create(account, parent, None).await {
                    Ok(_) | Err(StoreError::AlreadyExists(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// CREATE (RFC 9051 §6.3.4): creates missing parents too; `AlreadyExists` if present.
    pub async fn create_mailbox(
        &self,
        account: AccountId,
        name: &str,
        role: Option<SpecialUse>,
    ) -> Result<Mailbox, StoreError> {
        let name = validate_mailbox_name(name)?;
        let store = &self.storage.store;
        if store.mailbox_get(account, &name).await?.is_some() {
            return Err(StoreError::AlreadyExists(format!("mailbox {name}")));
        }
        self.create_parents(account, &name).await?;
        store.mailbox_create(account, &name, role).await
    }

    /// RENAME (RFC 9051 §6.3.6). Renaming INBOX creates the new mailbox, moves every message of
    /// INBOX into it and leaves INBOX empty (its children stay). Missing parents of the new name
    /// are created. Renaming to INBOX, or into the mailbox's own subtree, is refused.
    pub async fn rename_mailbox(
        &self,
        account: AccountId,
        old: &str,
        new: &str,
    ) -> Result<Mailbox, StoreError> {
        let old = validate_mailbox_name(old)?;
        let new = validate_mailbox_name(new)?;
        let store = &self.storage.store;
        if is_inbox(&new) {
            return Err(StoreError::Conflict(
                "cannot rename a mailbox to INBOX".to_owned(),
            ));
        }
        let from = store
            .mailbox_get(account, &old)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("mailbox {old}")))?;
        if old == new || store.mailbox_get(account, &new).await?.is_some() {
            return Err(StoreError::AlreadyExists(format!("mailbox {new}")));
        }
        if new.starts_with(&format!("{old}{HIERARCHY_SEPARATOR}")) {
            return Err(StoreError::Conflict(
                "cannot rename a mailbox into itself".to_owned(),
            ));
        }
        self.create_parents(account, &new).await?;
        if is_inbox(&old) {
            let to = store.mailbox_create(account, &new, None).await?;
            if from.message_count > 0 {
                store
                    .move_messages(account, from.id, &UidSet::all(), to.id)
                    .await?;
            }
            return store
                .mailbox_by_id(to.id)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("mailbox {new}")));
        }
        store.mailbox_rename(account, from.id, &new).await?;
        store
            .mailbox_by_id(from.id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("mailbox {new}")))
    }

    /// DELETE (RFC 9051 §6.3.5). INBOX cannot be deleted; like Dovecot, a mailbox with children
    /// is refused (`Conflict`) rather than turned into a `\Noselect` placeholder.
    pub async fn delete_mailbox(&self, account: AccountId, name: &str) -> Result<(), StoreError> {
        let name = validate_mailbox_name(name)?;
        if is_inbox(&name) {
            return Err(StoreError::Conflict("INBOX cannot be deleted".to_owned()));
        }
        let store = &self.storage.store;
        let mailboxes = store.mailbox_list(account).await?;
        let mb = mailboxes
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| StoreError::NotFound(format!("mailbox {name}")))?;
        let prefix = format!("{name}{HIERARCHY_SEPARATOR}");
        if mailboxes.iter().any(|m| m.name.starts_with(&prefix)) {
            return Err(StoreError::Conflict(
                "Mailbox has children, delete them first".to_owned(),
            ));
        }
        store.mailbox_delete(account, mb.id).await
    }

    // ---- Append and delivery -----------------------------------------------------------------

    pub(crate) fn check_size(&self, len: usize) -> Result<(), StoreError> {
        let max = self.settings.max_message_size;
        if len as u64 > max {
            return Err(invalid(
                "message",
                format!("{len} octets exceeds the limit of {max}"),
            ));
        }
        Ok(())
    }

    /// Parses and stores each message on the blocking pool (sizes already checked).
    async fn ingest_blobs(&self, raws: Vec<Vec<u8>>) -> Result<Vec<StoredBlob>, StoreError> {
        let blobs = self.storage.blobs.clone();
        blocking(move || raws.into_iter().map(|raw| ingest_one(&blobs, raw)).collect()).await
    }

    /// Stores `raw` (the message as received) in the blob store and parses it, once, on the
    /// blocking pool; the size limit is checked first. Then [`MailCore::append_prefixed`] appends
    /// it as often as wanted.
    pub async fn store_blob(&self, raw: &[u8]) -> Result<StoredBlob, StoreError> {
        self.check_size(raw.len())?;
        let blobs = self.storage.blobs.clone();
        let raw = raw.to_vec();
        blocking(move || ingest_one(&blobs, raw)).await
    }

    /// Appends the message `prefix ++ blob` to a mailbox: the blob is shared, the prefix (the
    /// per-recipient trace headers of a delivery) is this copy's own. The size limit and the quota
    /// count the whole; metadata and header block describe the whole.
    pub async fn append_prefixed(
        &self,
        account: AccountId,
        mailbox_id: MailboxId,
        blob: &StoredBlob,
        prefix: &[u8],
        flags: Flags,
        internal_date: Option<i64>,
    ) -> Result<Appended, StoreError> {
        self.check_size(prefix.len().saturating_add(blob.raw.len()))?;
        let date = internal_date.unwrap_or_else(now);
        let (b, p) = (blob.clone(), prefix.to_vec());
        let msg = blocking(move || Ok(b.message(&p, mailbox_id, flags, date))).await?;
        let mut out = self.storage.store.append(account, vec![msg]).await?;
        out.pop()
            .ok_or_else(|| StoreError::Backend("append returned nothing".to_owned()))
    }

    /// APPEND (RFC 9051 §6.3.12): stores `raw` as it came in the mailbox.
    pub async fn append(
        &self,
        account: AccountId,
        mailbox_id: MailboxId,
        raw: &[u8],
        flags: Flags,
        internal_date: Option<i64>,
    ) -> Result<Appended, StoreError> {
        let mut out = self
            .append_many(
                account,
                vec![AppendItem {
                    mailbox_id,
                    raw: raw.to_vec(),
                    flags,
                    internal_date,
                }],
            )
            .await?;
        out.pop()
            .ok_or_else(|| StoreError::Backend("append returned nothing".to_owned()))
    }

    /// MULTIAPPEND (RFC 3502) and imports: all messages in one store transaction, all or none.
    pub async fn append_many(
        &self,
        account: AccountId,
        items: Vec<AppendItem>,
    ) -> Result<Vec<Appended>, StoreError> {
        for it in &items {
            self.check_size(it.raw.len())?;
        }
        let mut rest = Vec::with_capacity(items.len());
        let mut raws = Vec::with_capacity(items.len());
        for it in items {
            raws.push(it.raw);
            rest.push((it.mailbox_id, it.flags, it.internal_date));
        }
        let stored = self.ingest_blobs(raws).await?;
        let now = now();
        let messages = stored
            .iter()
            .zip(rest)
            .map(|(blob, (mailbox_id, flags, date))| {
                blob.message(&[], mailbox_id, flags, date.unwrap_or(now))
            })
            .collect();
        self.storage.store.append(account, messages).await
    }

    /// The content of a blob alone, byte for byte: for what is stored without a prefix (a queued
    /// message, [`malt_store::QueuedMessage::blob_id`]). A mailbox message is read with
    /// [`MailCore::read_message`].
    pub async fn read_blob(&self, blob_id: &str) -> Result<Vec<u8>, StoreError> {
        let blobs = self.storage.blobs.clone();
        let id = blob_id.to_owned();
        blocking(move || blobs.get(&id)).await
    }

    /// The message as clients see it, `prefix ++ blob`, byte for byte as it was stored.
    pub async fn read_message(&self, message: &Message) -> Result<Vec<u8>, StoreError> {
        let mut out = self.read_messages(&[message]).await?;
        out.pop()
            .ok_or_else(|| StoreError::Backend("read returned nothing".to_owned()))?
    }

    /// Reads several messages (each `prefix ++ blob`) in one trip to the blocking pool (a FETCH of
    /// many small messages would otherwise pay a thread hand-off per message). The caller bounds
    /// how many octets it asks for at once.
    /// Each message's result on its own: one damaged blob does not fail the others.
    pub async fn read_messages(
        &self,
        messages: &[&Message],
    ) -> Result<Vec<Result<Vec<u8>, StoreError>>, StoreError> {
        let blobs = self.storage.blobs.clone();
        let wanted: Vec<(String, Option<Vec<u8>>)> = messages
            .iter()
            .map(|m| (m.blob_id.clone(), m.prefix.clone()))
            .collect();
        blocking(move || {
            Ok(wanted
                .into_iter()
                .map(|(id, prefix)| whole_message(&blobs, &id, prefix))
                .collect())
        })
        .await
    }

    // ---- Thin wrappers -----------------------------------------------------------------------

    pub async fn copy(
        &self,
        account: AccountId,
        from: MailboxId,
        uids: &UidSet,
        to: MailboxId,
    ) -> Result<CopyResult, StoreError> {
        self.storage.store.copy(account, from, uids, to).await
    }

    pub async fn move_messages(
        &self,
        account: AccountId,
        from: MailboxId,
        uids: &UidSet,
        to: MailboxId,
    ) -> Result<CopyResult, StoreError> {
        self.storage.store.move_messages(account, from, uids, to).await
    }

    pub async fn store_flags(
        &self,
        account: AccountId,
        mailbox: MailboxId,
        uids: &UidSet,
        op: FlagOp,
        flags: &Flags,
        unchanged_since: Option<ModSeq>,
    ) -> Result<FlagUpdate, StoreError> {
        self.storage
            .store
            .store_flags(account, mailbox, uids, op, flags, unchanged_since)
            .await
    }

    pub async fn expunge(
        &self,
        account: AccountId,
        mailbox: MailboxId,
        uids: Option<&UidSet>,
    ) -> Result<Vec<Uid>, StoreError> {
        self.storage.store.expunge(account, mailbox, uids).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let ok = [
            ("INBOX", "INBOX"),
            ("inbox", "INBOX"),
            ("InBoX/Sub", "INBOX/Sub"),
            ("Archive/2024", "Archive/2024"),
            ("Entwürfe", "Entwürfe"),
            ("inboxes", "inboxes"),
            ("a b", "a b"),
        ];
        for (n, want) in ok {
            assert_eq!(validate_mailbox_name(n).unwrap(), want);
        }
        let long_level = "x".repeat(256);
        let long_name = vec!["y".repeat(200); 6].join("/");
        for bad in [
            "",
            "a//b",
            "/a",
            "a/",
            "/",
            "a\u{0}b",
            "a\nb",
            "a\u{7f}",
            "a*",
            "50%",
            &long_level,
            &long_name,
        ] {
            assert!(
                matches!(validate_mailbox_name(bad), Err(StoreError::Invalid { .. })),
                "{bad:?}"
            );
        }
        assert!(validate_mailbox_name(&"x".repeat(255)).is_ok());
    }

    #[test]
    fn parent_names() {
        assert_eq!(parents("a/b/c"), vec!["a", "a/b"]);
        assert!(parents("a").is_empty());
    }
}
