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

/// One share of a collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DavShare {
    pub collection_id: DavCollectionId,
    /// Lower-case address of an account or a group.
    pub sharee: String,
    pub access: DavAccess,
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
}
