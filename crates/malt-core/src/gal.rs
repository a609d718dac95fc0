//! The global address book: a read-only CardDAV address book built from the directory, one
//! vCard 4.0 per account and one per distribution group (the seed's groups became group
//! contacts with their members).
//!
//! - An account is `KIND:individual` with FN and EMAIL its address (accounts have no display
//!   name in the directory).
//! - A group is `KIND:group` (RFC 6350 §6.1.4) with FN its name, EMAIL its address and one
//!   `MEMBER:mailto:...` per member as the directory lists them (RFC 6350 §6.6.5): accounts,
//!   other groups, external addresses.
//! - UIDs are `urn:uuid:`s derived from the entry's id and address (BLAKE3, formatted as a
//!   version 8 UUID, RFC 9562 §5.8): stable while the entry exists, and different for an
//!   address deleted and created again (a new id). Resource names are `account-<id>.vcf` and
//!   `group-<id>.vcf`.
//! - ETags are the store's [`dav_etag`] of the vCard text; the change token is a hash of every
//!   (name, ETag) pair, so it changes exactly when an entry is added, removed or changed. It is
//!   not a position in a history: the server serves sync-collection from it by answering "no
//!   change" to the current token and refusing any other (`DAV:valid-sync-token`, RFC 6578
//!   §3.2), after which the client lists the book again; its CTag is the same token.
//!
//! Invariant: entries are sorted by resource name; building reads the directory in two store
//! calls (accounts, groups), so its cost is linear in the directory's size.

use malt_calendar::vcard::{DirectoryCard, directory_card};
use malt_store::{Result, Store, dav_etag};

/// One contact of the global address book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GalEntry {
    /// Resource name (`account-7.vcf`, `group-3.vcf`).
    pub name: String,
    pub uid: String,
    /// Strong ETag, without quotes.
    pub etag: String,
    /// The vCard 4.0 text.
    pub content: String,
}

/// The global address book at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalAddressBook {
    /// By resource name.
    pub entries: Vec<GalEntry>,
    /// Sync token and CTag (see the module doc).
    pub token: String,
}

impl GlobalAddressBook {
    /// The entry of a resource name.
    pub fn get(&self, name: &str) -> Option<&GalEntry> {
        self.entries
            .binary_search_by(|e| e.name.as_str().cmp(name))
            .ok()
            .and_then(|i| self.entries.get(i))
    }
}

/// Builds the global address book from the directory: every account and group, or those of
/// `domain` only (a server hosting several organisations shows each its own).
pub async fn build(store: &dyn Store, domain: Option<&str>) -> Result<GlobalAddressBook> {
    let in_domain = |address: &str| {
        domain.is_none_or(|d| {
            address
                .rsplit_once('@')
                .is_some_and(|(_, ad)| ad.eq_ignore_ascii_case(d))
        })
    };
    let mut entries: Vec<GalEntry> = store
        .account_list(domain)
        .await?
        .iter()
        .map(|a| entry("account", a.id, &a.address, &a.address, None))
        .collect();
    for group in store.group_list().await?.iter().filter(|g| in_domain(&g.address)) {
        entries.push(entry(
            "group",
            group.id,
            &group.address,
            &group.name,
            Some(&group.members),
        ));
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let mut state = blake3::Hasher::new();
    for e in &entries {
        state.update(e.name.as_bytes());
        state.update(b"\0");
        state.update(e.etag.as_bytes());
        state.update(b"\n");
    }
    let token = state.finalize().to_hex();
    Ok(GlobalAddressBook {
        entries,
        token: format!("gal-{}", token.as_str().get(..32).unwrap_or(token.as_str())),
    })
}

/// The contact of an account (`members` is `None`) or of a group, `kind` its name's prefix.
fn entry(kind: &str, id: i64, address: &str, name: &str, members: Option<&[String]>) -> GalEntry {
    let uid = directory_uid(kind, id, address);
    let content = directory_card(&DirectoryCard {
        uid: &uid,
        group: members.is_some(),
        name,
        email: address,
        members: members.unwrap_or_default(),
    });
    GalEntry {
        name: format!("{kind}-{id}.vcf"),
        etag: dav_etag(content.as_bytes()),
        uid,
        content,
    }
}

/// `urn:uuid:` of a directory entry: a version 8 UUID (RFC 9562 §5.8) from the BLAKE3 hash of
/// its kind, id and address.
fn directory_uid(kind: &str, id: i64, address: &str) -> String {
    let hash = blake3::hash(format!("malt-gal:{kind}:{id}:{address}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(hash.as_bytes().get(..16).unwrap_or(&[0u8; 16]));
    if let Some(b) = bytes.get_mut(6) {
        *b = (*b & 0x0f) | 0x80;
    }
    if let Some(b) = bytes.get_mut(8) {
        *b = (*b & 0x3f) | 0x80;
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let part = |from: usize, to: usize| hex.get(from..to).unwrap_or_default();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::test_support::{account, core};
    use malt_calendar::vcard::VCardObject;

    #[test]
    fn uids_are_stable_uuids() {
        let uid = directory_uid("account", 7, "a@x.org");
        assert_eq!(uid, directory_uid("account", 7, "a@x.org"));
        assert_ne!(uid, directory_uid("account", 8, "a@x.org"));
        assert_ne!(uid, directory_uid("group", 7, "a@x.org"));
        let bare = uid.strip_prefix("urn:uuid:").unwrap();
        let groups: Vec<usize> = bare.split('-').map(str::len).collect();
        assert_eq!(groups, vec![8, 4, 4, 4, 12]);
        assert!(bare.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        assert_eq!(&bare[14..15], "8", "version 8");
        assert!("89ab".contains(&bare[19..20]), "RFC 9562 variant");
    }

    #[tokio::test]
    async fn accounts_and_groups_become_contacts() {
        let dir = tempfile::tempdir().unwrap();
        let core = core(&dir, Default::default()).await;
        let store = &*core.storage().store;
        store.domain_add("x.org").await.unwrap();
        store.domain_add("y.org").await.unwrap();
        let alice = account(store, "alice@x.org").await;
        let bob = account(store, "bob@x.org").await;
        account(store, "yann@y.org").await;
        store.group_add("team@x.org", "Team X").await.unwrap();
        store.group_member_add("team@x.org", "alice@x.org").await.unwrap();
        store
            .group_member_add("team@x.org", "partner@elsewhere.org")
            .await
            .unwrap();

        let all = build(store, None).await.unwrap();
        assert_eq!(all.entries.len(), 4);
        let book = build(store, Some("x.org")).await.unwrap();
        let names: Vec<&str> = book.entries.iter().map(|e| e.name.as_str()).collect();
        let group = store.group_get("team@x.org").await.unwrap().unwrap();
        let expected = [
            format!("account-{alice}.vcf"),
            format!("account-{bob}.vcf"),
            format!("group-{}.vcf", group.id),
        ];
        assert_eq!(names, expected.iter().map(String::as_str).collect::<Vec<_>>());
        for e in &book.entries {
            let card = VCardObject::parse(e.content.as_bytes()).unwrap();
            assert_eq!(card.uid(), e.uid);
            assert_eq!(e.etag, dav_etag(e.content.as_bytes()));
        }
        let alice_card = book.get(&format!("account-{alice}.vcf")).unwrap();
        assert!(alice_card.content.contains("EMAIL:alice@x.org"));
        let team = book.get(&format!("group-{}.vcf", group.id)).unwrap();
        assert!(
            team.content.to_uppercase().contains("KIND:GROUP"),
            "{}",
            team.content
        );
        assert!(team.content.contains("FN:Team X"));
        assert!(team.content.contains("MEMBER:mailto:alice@x.org"));
        assert!(team.content.contains("MEMBER:mailto:partner@elsewhere.org"));
        assert!(book.get("nothing.vcf").is_none());

        // Building again without a change gives the same token and ETags.
        assert_eq!(build(store, Some("x.org")).await.unwrap(), book);
        // A membership change changes the group's ETag and the token, not the others.
        store.group_member_add("team@x.org", "bob@x.org").await.unwrap();
        let after = build(store, Some("x.org")).await.unwrap();
        assert_ne!(after.token, book.token);
        assert_eq!(after.entries[0], book.entries[0]);
        assert_ne!(after.entries[2].etag, book.entries[2].etag);
        assert_eq!(after.entries[2].uid, book.entries[2].uid, "UIDs stay");
        // A new account changes the token too; one of another domain does not.
        account(store, "zed@y.org").await;
        assert_eq!(build(store, Some("x.org")).await.unwrap().token, after.token);
        account(store, "carl@x.org").await;
        assert_ne!(build(store, Some("x.org")).await.unwrap().token, after.token);
    }
}
