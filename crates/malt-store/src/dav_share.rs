//! Sharing of calendars and address books: the owner of a collection grants an account or a
//! group access to it, and each sharee account answers the invitation (the calendarserver
//! sharing model Apple clients use; ACLs for the others are the same grants).
//!
//! Invariants every backend keeps (the conformance suite checks them):
//! - A share is (collection, sharee, access): the sharee is the lower-case address of an account
//!   or of a group (the store does not resolve groups: the caller passes the identifiers a user
//!   matches — their address and the groups that contain them, `malt-core`'s `Identity` — to
//!   the reads, and the accounts a change concerns to the writes). One share per sharee and
//!   collection; the owner's own address is never a sharee.
//! - [`DavAccess`] levels include the ones below: free-busy only (calendars only, RFC 4791
//!   §6.1.1 CALDAV:read-free-busy), read, read-write. What an account may do is the highest level
//!   of the shares that name one of its identifiers; the owner may do everything.
//! - Each sharee account's answer — [`DavShareStatus`] and its own display name for the
//!   collection — is kept apart from the grants (a group share is answered by each member).
//!   An account without an answer is [`DavShareStatus::Invited`]. Answers change no access: a
//!   declined share still grants it, the answer only says whether the account's home lists it.
//! - Every change takes a new modseq of the owner (raising the collection's sync token, since
//!   the sharing properties are the collection's) and of each sharee account concerned, and
//!   journals [`crate::ChangeKind::DavShareChanged`] naming the collection for each, in one
//!   transaction: the sharee's home changes with its own modseq.
//! - Shares go with their collection, and with the account whose address they name (journaled
//!   for the owners); answers go with the collection or the answering account.
//! - A share carries the owner's note to the sharee ([`DavShareNote`]: calendarserver sharing's
//!   `CS:summary` and `CS:common-name`). A set without a part of the note keeps the stored one;
//!   a set that changes neither the access nor the note changes nothing.
//!
//! Notifications (Apple's "CalDAV: Server Notifications", caldav-notifications §4, and
//! caldav-sharing's `CS:invite-notification` and `CS:invite-reply`) are derived from shares and
//! answers, never copied: a sharee's invite is an unanswered share (status `Invited`) it has not
//! dismissed; an owner's reply notification is an answer (accepted or declined, with the time it
//! was given, [`DavShareReply`]) the owner has not dismissed. Dismissing either is one flag on
//! the answer row, journaled `DavShareChanged` for the dismissing account (the collection's sync
//! token does not move). A later answer shows its reply again; a removed share takes its
//! answers, so its invite and replies vanish with it. Answers stored before notifications
//! existed count as seen by the owner.
//!
//! Sharee properties: a sharee account keeps its own values of the properties clients set on a
//! shared collection to show it — [`DAV_SHAREE_PROPS`]: its name, and Apple's colour and order —
//! apart from the owner's ([`DavShareeProp`]; Apple's CalendarServer calls them per-user
//! properties). Only an account a share reaches sets them; setting journals nothing (collection
//! properties are not in `sync-collection`). They go with the collection or the account, and
//! stay while the share is removed (shared again, the collection looks as the sharee left it).

use serde::{Deserialize, Serialize};

use crate::dav::{DAV_PROPERTY_MAX, DavCollection, DavCollectionId, DavCollectionKind};
use crate::error::{Result, StoreError};
use crate::types::ModSeq;

/// What an account may do with a collection, each level including the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DavAccess {
    /// Free-busy only (CALDAV:read-free-busy, RFC 4791 §6.1.1): calendars only.
    FreeBusy,
    /// Read the collection and its objects.
    Read,
    /// Read and write objects (not the collection's sharing, nor delete it).
    ReadWrite,
    /// The owner: everything. Never the access of a share.
    Owner,
}

impl DavAccess {
    /// The stored name of a share's access (`Owner` has none).
    pub fn as_str(self) -> &'static str {
        match self {
            DavAccess::FreeBusy => "free-busy",
            DavAccess::Read => "read",
            DavAccess::ReadWrite => "read-write",
            DavAccess::Owner => "owner",
        }
    }

    /// Inverse of [`DavAccess::as_str`] for the levels a share may have.
    pub fn parse(s: &str) -> Option<DavAccess> {
        [DavAccess::FreeBusy, DavAccess::Read, DavAccess::ReadWrite]
            .into_iter()
            .find(|a| a.as_str() == s)
    }

    pub fn can_read(self) -> bool {
        self >= DavAccess::Read
    }

    pub fn can_write(self) -> bool {
        self >= DavAccess::ReadWrite
    }
}

/// A sharee account's answer to a share (calendarserver sharing's invite status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DavShareStatus {
    /// Not answered yet.
    Invited,
    /// Accepted: the account's home lists the collection.
    Accepted,
    /// Declined: not listed.
    Declined,
}

impl DavShareStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DavShareStatus::Invited => "invited",
            DavShareStatus::Accepted => "accepted",
            DavShareStatus::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<DavShareStatus> {
        [
            DavShareStatus::Invited,
            DavShareStatus::Accepted,
            DavShareStatus::Declined,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// What the owner says to a sharee with a share (caldav-sharing `CS:set`'s `CS:summary` and
/// `CS:common-name`; draft-pot-webdav-resource-sharing's `DAV:comment` and `DAV:displayname`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DavShareNote {
    /// The invitation's text (`CS:summary`), shown in the sharee's invite notification.
    pub summary: Option<String>,
    /// The sharee's name as the owner gave it (`CS:common-name`).
    pub common_name: Option<String>,
}

/// One share of a collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DavShare {
    pub collection_id: DavCollectionId,
    /// Lower-case address of an account or a group.
    pub sharee: String,
    pub access: DavAccess,
    /// The owner's note to the sharee.
    pub note: DavShareNote,
    /// Unix seconds.
    pub created_at: i64,
    /// The owner's modseq of the last change of this share.
    pub modseq: ModSeq,
}

/// A collection shared with an account, as its home shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DavSharedCollection {
    pub collection: DavCollection,
    /// The owner's address.
    pub owner: String,
    /// The highest access of the shares that reach the account.
    pub access: DavAccess,
    pub status: DavShareStatus,
    /// The account's own name for the collection, if it gave one.
    pub display_name: Option<String>,
    /// The owner's summary of the share (of the first share reaching the account, by sharee,
    /// that has one).
    pub summary: Option<String>,
    /// When the earliest share reaching the account was made (Unix seconds).
    pub shared_at: i64,
    /// Whether the account dismissed its invite notification (it stays `Invited`).
    pub invite_dismissed: bool,
}

/// The properties a sharee sets for itself on a collection shared with it: `DAV:displayname`,
/// and Apple's `calendar-color` and `calendar-order` (namespace `http://apple.com/ns/ical/`),
/// by local name.
pub const DAV_SHAREE_PROPS: &[&str] = &["displayname", "calendar-color", "calendar-order"];

/// A sharee account's own value of one of [`DAV_SHAREE_PROPS`] on a collection shared with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DavShareeProp {
    pub collection_id: DavCollectionId,
    /// One of [`DAV_SHAREE_PROPS`].
    pub name: String,
    pub value: String,
}

/// Checks a sharee property before it is stored: a name of [`DAV_SHAREE_PROPS`], a value of at
/// most [`DAV_PROPERTY_MAX`] octets, and an integer for `calendar-order`.
pub fn dav_sharee_prop_check(name: &str, value: Option<&str>) -> Result<()> {
    if !DAV_SHAREE_PROPS.contains(&name) {
        return Err(invalid("sharee property", "not one a sharee sets"));
    }
    match value {
        Some(v) if v.len() > DAV_PROPERTY_MAX => Err(invalid("sharee property", "too long")),
        Some(v) if name == "calendar-order" && v.trim().parse::<i64>().is_err() => {
            Err(invalid("calendar-order", "not an integer"))
        }
        _ => Ok(()),
    }
}

/// An answer to a share, as the owner's reply notification shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DavShareReply {
    /// The owner's collection.
    pub collection: DavCollection,
    /// The answering account and its address.
    pub account_id: crate::types::AccountId,
    pub sharee: String,
    /// `Accepted` or `Declined`.
    pub status: DavShareStatus,
    /// The name the sharee gave the collection with its answer (`CS:summary`).
    pub summary: Option<String>,
    /// When it answered (Unix seconds; 0 for answers from before this was kept).
    pub answered_at: i64,
}

/// Checks a share before it is stored: the sharee normalised (trimmed, lower-case, not empty,
/// not `owner_address`), an access a share may have, free-busy on calendars only. Returns the
/// stored form of the sharee.
pub fn dav_share_check(
    collection: &DavCollection,
    owner_address: &str,
    sharee: &str,
    access: DavAccess,
) -> Result<String> {
    let sharee = dav_sharee(sharee)?;
    if sharee == owner_address.trim().to_lowercase() {
        return Err(invalid("sharee", "the owner cannot be a sharee"));
    }
    match access {
        DavAccess::Owner => Err(invalid(
            "share access",
            "a share grants free-busy, read or read-write",
        )),
        DavAccess::FreeBusy if collection.kind == DavCollectionKind::AddressBook => {
            Err(invalid("share access", "free-busy is for calendars"))
        }
        _ => Ok(sharee),
    }
}

/// The stored form of a sharee: trimmed, lower-case; `Invalid` when empty or too long.
pub fn dav_sharee(sharee: &str) -> Result<String> {
    let sharee = sharee.trim().to_lowercase();
    if sharee.is_empty() || sharee.len() > crate::dav::DAV_NAME_MAX {
        return Err(invalid("sharee", "empty or too long"));
    }
    Ok(sharee)
}

/// Checks a sharee's display name for a collection ([`DAV_PROPERTY_MAX`] octets at most).
pub fn dav_share_name_check(display_name: Option<&str>) -> Result<()> {
    if display_name.is_some_and(|n| n.len() > DAV_PROPERTY_MAX) {
        return Err(invalid("display name", "too long"));
    }
    Ok(())
}

/// Checks an owner's note ([`DAV_PROPERTY_MAX`] octets at most each).
pub fn dav_share_note_check(note: &DavShareNote) -> Result<()> {
    if note.summary.as_ref().is_some_and(|n| n.len() > DAV_PROPERTY_MAX) {
        return Err(invalid("share summary", "too long"));
    }
    if note
        .common_name
        .as_ref()
        .is_some_and(|n| n.len() > DAV_PROPERTY_MAX)
    {
        return Err(invalid("share common name", "too long"));
    }
    Ok(())
}

/// The note a share has after a set with `given` over `stored` (what is not given is kept),
/// and whether it changed.
pub fn dav_share_note_merge(stored: Option<&DavShareNote>, given: &DavShareNote) -> (DavShareNote, bool) {
    let old = stored.cloned().unwrap_or_default();
    let new = DavShareNote {
        summary: given.summary.clone().or_else(|| old.summary.clone()),
        common_name: given.common_name.clone().or_else(|| old.common_name.clone()),
    };
    let changed = new != old;
    (new, changed)
}

/// The account-independent part of [`crate::Store::dav_access`]: the owner may do everything,
/// others the highest access of `shares` (already restricted to their identifiers).
pub fn dav_access_of(is_owner: bool, shares: impl IntoIterator<Item = DavAccess>) -> Option<DavAccess> {
    if is_owner {
        return Some(DavAccess::Owner);
    }
    shares.into_iter().max()
}

fn invalid(what: &'static str, reason: &str) -> StoreError {
    StoreError::Invalid {
        what,
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::dav::DavCollectionProps;

    fn collection(kind: DavCollectionKind) -> DavCollection {
        DavCollection {
            id: 1,
            account_id: 1,
            kind,
            name: "c".into(),
            props: DavCollectionProps::default(),
            created_at: 0,
            highest_modseq: 0,
        }
    }

    #[test]
    fn levels_include_the_ones_below() {
        assert!(DavAccess::FreeBusy < DavAccess::Read && DavAccess::Read < DavAccess::ReadWrite);
        assert!(
            !DavAccess::FreeBusy.can_read() && DavAccess::Read.can_read() && !DavAccess::Read.can_write()
        );
        assert!(DavAccess::ReadWrite.can_write() && DavAccess::Owner.can_write());
        assert_eq!(
            dav_access_of(false, [DavAccess::Read, DavAccess::FreeBusy]),
            Some(DavAccess::Read)
        );
        assert_eq!(dav_access_of(true, []), Some(DavAccess::Owner));
        assert_eq!(dav_access_of(false, []), None);
        for a in [DavAccess::FreeBusy, DavAccess::Read, DavAccess::ReadWrite] {
            assert_eq!(DavAccess::parse(a.as_str()), Some(a));
        }
        assert_eq!(DavAccess::parse("owner"), None);
        for s in [
            DavShareStatus::Invited,
            DavShareStatus::Accepted,
            DavShareStatus::Declined,
        ] {
            assert_eq!(DavShareStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn shares_are_checked() {
        let cal = collection(DavCollectionKind::Calendar);
        let book = collection(DavCollectionKind::AddressBook);
        assert_eq!(
            dav_share_check(&cal, "a@x.org", " Bob@X.org ", DavAccess::Read).unwrap(),
            "bob@x.org"
        );
        assert!(dav_share_check(&cal, "a@x.org", "A@x.org", DavAccess::Read).is_err());
        assert!(dav_share_check(&cal, "a@x.org", " ", DavAccess::Read).is_err());
        assert!(dav_share_check(&cal, "a@x.org", "b@x.org", DavAccess::Owner).is_err());
        assert!(dav_share_check(&book, "a@x.org", "b@x.org", DavAccess::FreeBusy).is_err());
        dav_share_check(&cal, "a@x.org", "team@x.org", DavAccess::FreeBusy).unwrap();
        assert!(dav_share_name_check(Some(&"x".repeat(DAV_PROPERTY_MAX + 1))).is_err());
    }

    #[test]
    fn notes_keep_what_a_set_does_not_give() {
        let note = |s: Option<&str>, cn: Option<&str>| DavShareNote {
            summary: s.map(str::to_owned),
            common_name: cn.map(str::to_owned),
        };
        let stored = note(Some("Plans"), Some("Bob"));
        assert_eq!(
            dav_share_note_merge(Some(&stored), &DavShareNote::default()),
            (stored.clone(), false)
        );
        assert_eq!(
            dav_share_note_merge(Some(&stored), &note(Some("New"), None)),
            (note(Some("New"), Some("Bob")), true)
        );
        assert_eq!(
            dav_share_note_merge(None, &note(None, Some("Bob"))),
            (note(None, Some("Bob")), true)
        );
        assert!(!dav_share_note_merge(None, &DavShareNote::default()).1);
        assert!(dav_share_note_check(&note(Some(&"x".repeat(DAV_PROPERTY_MAX + 1)), None)).is_err());
        assert!(dav_share_note_check(&stored).is_ok());
    }
}
