//! Access control (RFC 4314): rights, who a user is for ACL matching, effective rights, the
//! LISTRIGHTS data and the mailboxes shared with a user (the "Other Users" namespace).
//!
//! - [`Rights`] is a bitset of the eleven standard rights `l r s w i p k x t e a` (RFC 4314
//!   §2.1), formatted in that canonical order. Parsing refuses unknown letters; the obsolete
//!   RFC 2086 rights are virtual (§2.1.1): `c` is the union of `k` and `x`, `d` the union of `e`
//!   and `t` (the first of the two groupings §2.1.1 allows, the one Dovecot and Cyrus use).
//! - Identifiers are the strings the store keeps: a user's address (lower-case), a group's
//!   address, `anyone`, `authenticated`, and `-identifier` for negative rights (§2).
//! - Effective rights (§2): the union of the rights of every entry whose identifier matches
//!   the user (the address, each group containing the user, also through nested groups,
//!   `anyone`, and `authenticated` since every IMAP user is authenticated), minus the union of
//!   the matching negative entries. The owner always has every right on their own mailboxes
//!   (Dovecot does the same unless configured otherwise): an ACL cannot lock the owner out.
//!
//! Invariants: rights stored in the store were parsed by [`Rights::parse`] (via
//! [`set_rights`] or the CLI); a stored string with unknown letters (written by hand) grants
//! only its known letters. Group expansion follows at most [`crate::directory::MAX_DEPTH`]
//! levels and tolerates loops.

use std::collections::BTreeSet;
use std::fmt;

use malt_store::{AccountId, AclEntry, Mailbox, MailboxId, Result, Store, StoreError};

use crate::directory::MAX_DEPTH;

/// The identifier every user matches (RFC 4314 §2).
pub const ANYONE: &str = "anyone";
/// The identifier every authenticated user matches. Not defined by RFC 4314 (whose §2 leaves
/// identifiers to the implementation); Dovecot and Cyrus accept it, and so does Malt.
pub const AUTHENTICATED: &str = "authenticated";

/// The standard rights in canonical order (RFC 4314 §2.1).
const LETTERS: [char; 11] = ['l', 'r', 's', 'w', 'i', 'p', 'k', 'x', 't', 'e', 'a'];

/// A set of RFC 4314 rights.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Rights(u16);

/// A rights string that is not valid (RFC 4314 §3.1: SETACL with an unknown right is BAD).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RightsError {
    #[error("unknown right {0:?} (RFC 4314 rights are l r s w i p k x t e a, and obsolete c d)")]
    Unknown(char),
}

impl From<RightsError> for StoreError {
    fn from(e: RightsError) -> Self {
        StoreError::Invalid {
            what: "rights",
            reason: e.to_string(),
        }
    }
}

impl Rights {
    pub const NONE: Rights = Rights(0);
    /// `l`: the mailbox is visible to LIST/LSUB, can be SUBSCRIBEd.
    pub const LOOKUP: Rights = Rights(1);
    /// `r`: SELECT, STATUS, FETCH, SEARCH, COPY from.
    pub const READ: Rights = Rights(1 << 1);
    /// `s`: keep `\Seen` across sessions (STORE `\Seen`, set by FETCH BODY and APPEND/COPY).
    pub const SEEN: Rights = Rights(1 << 2);
    /// `w`: STORE flags other than `\Seen` and `\Deleted`.
    pub const WRITE: Rights = Rights(1 << 3);
    /// `i`: APPEND, COPY/MOVE into.
    pub const INSERT: Rights = Rights(1 << 4);
    /// `p`: send mail to the submission address of the mailbox (not enforced by IMAP).
    pub const POST: Rights = Rights(1 << 5);
    /// `k`: CREATE child mailboxes, RENAME into.
    pub const CREATE: Rights = Rights(1 << 6);
    /// `x`: DELETE the mailbox, RENAME it away.
    pub const DELETE_MAILBOX: Rights = Rights(1 << 7);
    /// `t`: STORE `\Deleted`.
    pub const DELETE_MESSAGES: Rights = Rights(1 << 8);
    /// `e`: EXPUNGE, and the expunge of MOVE.
    pub const EXPUNGE: Rights = Rights(1 << 9);
    /// `a`: administer (SETACL, DELETEACL, GETACL, LISTRIGHTS).
    pub const ADMIN: Rights = Rights(1 << 10);
    /// Every standard right.
    pub const ALL: Rights = Rights((1 << 11) - 1);
    /// Obsolete `c` (RFC 4314 §2.1.1): `k` and `x`.
    pub const OBSOLETE_CREATE: Rights = Rights(Self::CREATE.0 | Self::DELETE_MAILBOX.0);
    /// Obsolete `d` (RFC 4314 §2.1.1): `e` and `t`.
    pub const OBSOLETE_DELETE: Rights = Rights(Self::EXPUNGE.0 | Self::DELETE_MESSAGES.0);

    /// The right of one letter, `c` and `d` included; `None` for anything else.
    pub fn of_letter(c: char) -> Option<Rights> {
        match c {
            'c' => return Some(Self::OBSOLETE_CREATE),
            'd' => return Some(Self::OBSOLETE_DELETE),
            _ => {}
        }
        LETTERS.iter().position(|&l| l == c).map(|i| Rights(1 << i))
    }

    /// Parses a rights string (RFC 4314 §2.1, §3.1): standard letters in any order, repeats
    /// allowed, `c`/`d` expanded (§2.1.1). Letters are case-sensitive; anything else (digits,
    /// upper case, spaces) is refused with the offending character.
    pub fn parse(s: &str) -> std::result::Result<Rights, RightsError> {
        s.chars().try_fold(Rights::NONE, |acc, c| {
            Self::of_letter(c)
                .map(|r| acc.union(r))
                .ok_or(RightsError::Unknown(c))
        })
    }

    /// Like [`Rights::parse`], ignoring unknown letters (for strings read back from storage).
    pub fn parse_lenient(s: &str) -> Rights {
        s.chars()
            .filter_map(Self::of_letter)
            .fold(Rights::NONE, Rights::union)
    }

    pub fn union(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }

    pub fn difference(self, other: Rights) -> Rights {
        Rights(self.0 & !other.0)
    }

    /// Whether every right of `other` is in `self`.
    pub fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Each right of the set on its own, in canonical order.
    pub fn iter(self) -> impl Iterator<Item = Rights> {
        (0..LETTERS.len())
            .map(|i| Rights(1 << i))
            .filter(move |r| self.contains(*r))
    }

    /// Canonical form plus the virtual obsolete rights for RFC 2086 clients: `c` when `k` or
    /// `x` is present, `d` when `e` or `t` is (as Dovecot's MYRIGHTS and GETACL answer).
    pub fn with_obsolete(self) -> String {
        let mut s = self.to_string();
        if self.0 & Self::OBSOLETE_CREATE.0 != 0 {
            s.push('c');
        }
        if self.0 & Self::OBSOLETE_DELETE.0 != 0 {
            s.push('d');
        }
        s
    }
}

impl fmt::Display for Rights {
    /// Canonical order `lrswipkxtea` (RFC 4314 §2.1); empty set is the empty string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in LETTERS.iter().enumerate() {
            if self.0 & (1 << i) != 0 {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// A SETACL rights argument (RFC 4314 §3.1): `+rights` adds to the identifier's current
/// rights, `-rights` removes from them, anything else replaces them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RightsChange {
    Replace(Rights),
    Add(Rights),
    Remove(Rights),
}

impl RightsChange {
    pub fn parse(s: &str) -> std::result::Result<RightsChange, RightsError> {
        if let Some(rest) = s.strip_prefix('+') {
            Ok(RightsChange::Add(Rights::parse(rest)?))
        } else if let Some(rest) = s.strip_prefix('-') {
            Ok(RightsChange::Remove(Rights::parse(rest)?))
        } else {
            Ok(RightsChange::Replace(Rights::parse(s)?))
        }
    }

    /// The rights after applying this change to `current`.
    pub fn apply(self, current: Rights) -> Rights {
        match self {
            RightsChange::Replace(r) => r,
            RightsChange::Add(r) => current.union(r),
            RightsChange::Remove(r) => current.difference(r),
        }
    }
}

/// Who a user is for ACL matching: the account, its address and the groups that contain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account_id: AccountId,
    /// Lower-case address.
    pub address: String,
    /// Addresses of the groups containing the user, directly or through nested groups, sorted.
    pub groups: Vec<String>,
}

impl Identity {
    /// Loads the identity of an account: one `group_list` call, groups expanded here.
    pub async fn load(store: &dyn Store, account_id: AccountId) -> Result<Identity> {
        let account = store
            .account_get(account_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("account {account_id}")))?;
        let groups = store.group_list().await?;
        let memberships: Vec<(String, Vec<String>)> = groups
            .into_iter()
            .map(|g| {
                let members = g.members.iter().map(|m| m.trim().to_lowercase()).collect();
                (g.address, members)
            })
            .collect();
        Ok(Identity {
            account_id,
            groups: groups_containing(&account.address, &memberships),
            address: account.address,
        })
    }

    /// The identifiers this user matches: address, groups, `anyone`, `authenticated`.
    pub fn identifiers(&self) -> Vec<String> {
        let mut ids = vec![self.address.clone()];
        ids.extend(self.groups.iter().cloned());
        ids.push(ANYONE.to_owned());
        ids.push(AUTHENTICATED.to_owned());
        ids
    }

    fn matches(&self, identifier: &str) -> bool {
        identifier == ANYONE
            || identifier == AUTHENTICATED
            || identifier == self.address
            || self.groups.iter().any(|g| g == identifier)
    }
}

/// The groups (addresses) whose members contain `address`, directly or through groups that
/// do, up to [`MAX_DEPTH`] levels; loops end since a group is added once.
fn groups_containing(address: &str, groups: &[(String, Vec<String>)]) -> Vec<String> {
    let mut found: BTreeSet<String> = BTreeSet::new();
    let mut frontier: Vec<String> = vec![address.to_owned()];
    for _ in 0..MAX_DEPTH {
        let next: Vec<String> = groups
            .iter()
            .filter(|(g, members)| !found.contains(g) && members.iter().any(|m| frontier.contains(m)))
            .map(|(g, _)| g.clone())
            .collect();
        if next.is_empty() {
            break;
        }
        found.extend(next.iter().cloned());
        frontier = next;
    }
    found.into_iter().collect()
}

/// Effective rights of `who` on a mailbox owned by `owner` with ACL `acl` (RFC 4314 §2): the
/// owner has every right; anyone else gets the union of the matching entries minus the union
/// of the matching negative (`-identifier`) entries.
pub fn effective_rights(who: &Identity, owner: AccountId, acl: &[AclEntry]) -> Rights {
    if who.account_id == owner {
        return Rights::ALL;
    }
    let (mut granted, mut denied) = (Rights::NONE, Rights::NONE);
    for e in acl {
        let rights = Rights::parse_lenient(&e.rights);
        match e.identifier.strip_prefix('-') {
            Some(id) if who.matches(id) => denied = denied.union(rights),
            None if who.matches(&e.identifier) => granted = granted.union(rights),
            _ => {}
        }
    }
    granted.difference(denied)
}

/// The rights of `who` on `mailbox` (one `acl_list` call unless `who` owns it).
pub async fn mailbox_rights(store: &dyn Store, who: &Identity, mailbox: &Mailbox) -> Result<Rights> {
    if who.account_id == mailbox.account_id {
        return Ok(Rights::ALL);
    }
    let acl = store.acl_list(mailbox.id).await?;
    Ok(effective_rights(who, mailbox.account_id, &acl))
}

/// LISTRIGHTS data (RFC 4314 §3.7): the rights always granted to an identifier, then the rights
/// that may be granted, each group granted or refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRights {
    pub required: Rights,
    pub optional: Vec<Rights>,
}

/// LISTRIGHTS for `identifier` on a mailbox whose owner's address is `owner_address`: the
/// owner is always granted everything (nothing optional); any other identifier is granted
/// nothing by default and may get each right on its own.
pub fn list_rights(identifier: &str, owner_address: &str) -> ListRights {
    if AclEntry::normalise_identifier(identifier) == owner_address.to_lowercase() {
        ListRights {
            required: Rights::ALL,
            optional: Vec::new(),
        }
    } else {
        ListRights {
            required: Rights::NONE,
            optional: Rights::ALL.iter().collect(),
        }
    }
}

/// Applies a SETACL rights argument (RFC 4314 §3.1, `+`/`-`/replace) to the entry of
/// `identifier` on a mailbox of `owner` and stores the result; rights that end up empty remove
/// the entry. Returns the new rights. A concurrent change of the same entry between the read
/// and the write is overwritten (last writer wins, as two plain SETACLs would).
pub async fn set_rights(
    store: &dyn Store,
    owner: AccountId,
    mailbox: MailboxId,
    identifier: &str,
    change: &str,
) -> Result<Rights> {
    let change = RightsChange::parse(change)?;
    let ident = AclEntry::normalise_identifier(identifier);
    let current = match change {
        RightsChange::Replace(_) => Rights::NONE,
        _ => store
            .acl_list(mailbox)
            .await?
            .iter()
            .find(|e| e.identifier == ident)
            .map_or(Rights::NONE, |e| Rights::parse_lenient(&e.rights)),
    };
    let new = change.apply(current);
    store.acl_set(owner, mailbox, &ident, &new.to_string()).await?;
    Ok(new)
}

/// A mailbox of another account that a user can see (has `l` on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFolder {
    /// Owner's address (the `Other Users/<owner>/` prefix; naming is the protocol's job).
    pub owner: String,
    pub mailbox: Mailbox,
    /// The user's effective rights on it.
    pub rights: Rights,
}

/// The mailboxes of other accounts shared with `who` and visible to them (RFC 4314 §4: LIST
/// needs `l`), with their effective rights, ordered by owner address then mailbox name. One
/// store call ([`Store::acl_shared_with`]).
pub async fn shared_with(store: &dyn Store, who: &Identity) -> Result<Vec<SharedFolder>> {
    let shared = store.acl_shared_with(&who.identifiers()).await?;
    Ok(shared
        .into_iter()
        .filter(|s| s.mailbox.account_id != who.account_id)
        .filter_map(|s| {
            let rights = effective_rights(who, s.mailbox.account_id, &s.acl);
            rights.contains(Rights::LOOKUP).then_some(SharedFolder {
                owner: s.owner,
                mailbox: s.mailbox,
                rights,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn e(identifier: &str, rights: &str) -> AclEntry {
        AclEntry {
            identifier: identifier.to_owned(),
            rights: rights.to_owned(),
        }
    }

    fn who(address: &str, groups: &[&str]) -> Identity {
        Identity {
            account_id: 2,
            address: address.to_owned(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        }
    }

    #[test]
    fn parse_and_format_in_canonical_order() {
        assert_eq!(Rights::parse("alr").unwrap().to_string(), "lra");
        assert_eq!(Rights::parse("").unwrap(), Rights::NONE);
        assert_eq!(Rights::parse("lrswipkxtea").unwrap(), Rights::ALL);
        assert_eq!(Rights::ALL.to_string(), "lrswipkxtea");
        assert_eq!(
            Rights::parse("llr").unwrap().to_string(),
            "lr",
            "repeats are harmless"
        );
        assert_eq!(Rights::parse("lrz"), Err(RightsError::Unknown('z')));
        assert_eq!(
            Rights::parse("L"),
            Err(RightsError::Unknown('L')),
            "case-sensitive"
        );
        assert_eq!(Rights::parse("l r"), Err(RightsError::Unknown(' ')));
        assert_eq!(Rights::parse("0"), Err(RightsError::Unknown('0')));
        let err: StoreError = RightsError::Unknown('z').into();
        assert!(err.to_string().contains("unknown right 'z'"), "{err}");
    }

    #[test]
    fn obsolete_rights_are_virtual() {
        // RFC 4314 §2.1.1: c = k x, d = e t.
        assert_eq!(Rights::parse("c").unwrap().to_string(), "kx");
        assert_eq!(Rights::parse("d").unwrap().to_string(), "te");
        assert_eq!(Rights::parse("lrcd").unwrap().to_string(), "lrkxte");
        assert_eq!(Rights::parse("lrk").unwrap().with_obsolete(), "lrkc");
        assert_eq!(Rights::parse("lre").unwrap().with_obsolete(), "lred");
        assert_eq!(Rights::parse("lr").unwrap().with_obsolete(), "lr");
        assert_eq!(Rights::ALL.with_obsolete(), "lrswipkxteacd");
    }

    #[test]
    fn setacl_modifiers() {
        let cur = Rights::parse("lrs").unwrap();
        assert_eq!(
            RightsChange::parse("+wi").unwrap().apply(cur).to_string(),
            "lrswi"
        );
        assert_eq!(RightsChange::parse("-s").unwrap().apply(cur).to_string(), "lr");
        assert_eq!(
            RightsChange::parse("-d").unwrap().apply(Rights::ALL).to_string(),
            "lrswipkxa"
        );
        assert_eq!(RightsChange::parse("a").unwrap().apply(cur).to_string(), "a");
        assert_eq!(RightsChange::parse("").unwrap().apply(cur), Rights::NONE);
        assert_eq!(RightsChange::parse("+q"), Err(RightsError::Unknown('q')));
        assert_eq!(RightsChange::parse("--l"), Err(RightsError::Unknown('-')));
    }

    #[test]
    fn effective_rights_combine_identifiers() {
        let acl = [
            e("bob@x.org", "lr"),
            e("team@x.org", "lrsw"),
            e("anyone", "l"),
            e("-bob@x.org", "w"),
        ];
        // Bob: own entry + team, minus his negative entry.
        let bob = who("bob@x.org", &["team@x.org"]);
        assert_eq!(effective_rights(&bob, 1, &acl).to_string(), "lrs");
        // Carol, in team only: team's rights (the negative entry is Bob's).
        let carol = who("carol@x.org", &["team@x.org"]);
        assert_eq!(effective_rights(&carol, 1, &acl).to_string(), "lrsw");
        // Dave, in no group: anyone.
        let dave = who("dave@x.org", &[]);
        assert_eq!(effective_rights(&dave, 1, &acl).to_string(), "l");
        // The owner has everything, whatever the ACL says.
        let owner = Identity {
            account_id: 1,
            ..who("owner@x.org", &[])
        };
        assert_eq!(
            effective_rights(&owner, 1, &[e("-anyone", "lrswipkxtea")]),
            Rights::ALL
        );
        // authenticated matches every user; a negative group entry removes from members.
        let acl = [e("authenticated", "lri"), e("-team@x.org", "i")];
        assert_eq!(effective_rights(&carol, 1, &acl).to_string(), "lr");
        assert_eq!(effective_rights(&dave, 1, &acl).to_string(), "lri");
        // -anyone denies everyone.
        let acl = [e("bob@x.org", "lrs"), e("-anyone", "s")];
        assert_eq!(effective_rights(&bob, 1, &acl).to_string(), "lr");
        // Unknown letters in stored rights grant nothing extra.
        assert_eq!(effective_rights(&dave, 1, &[e("anyone", "lZ9")]).to_string(), "l");
        assert!(effective_rights(&dave, 1, &[]).is_empty());
    }

    #[test]
    fn nested_groups_and_loops() {
        let g = |a: &str, m: &[&str]| (a.to_owned(), m.iter().map(|s| (*s).to_owned()).collect());
        let groups = vec![
            g("team@x.org", &["bob@x.org", "carol@x.org"]),
            g("dept@x.org", &["team@x.org", "erin@x.org"]),
            g("all@x.org", &["dept@x.org"]),
            g("loop1@x.org", &["loop2@x.org", "bob@x.org"]),
            g("loop2@x.org", &["loop1@x.org"]),
            g("other@x.org", &["erin@x.org"]),
        ];
        assert_eq!(
            groups_containing("bob@x.org", &groups),
            [
                "all@x.org",
                "dept@x.org",
                "loop1@x.org",
                "loop2@x.org",
                "team@x.org"
            ]
        );
        assert_eq!(
            groups_containing("erin@x.org", &groups),
            ["all@x.org", "dept@x.org", "other@x.org"]
        );
        assert!(groups_containing("zed@x.org", &groups).is_empty());
        // Deeper than MAX_DEPTH stops there.
        let chain: Vec<(String, Vec<String>)> = (0..MAX_DEPTH + 3)
            .map(|i| {
                let member = if i == 0 {
                    "u@x.org".to_owned()
                } else {
                    format!("g{}@x.org", i - 1)
                };
                (format!("g{i}@x.org"), vec![member])
            })
            .collect();
        assert_eq!(groups_containing("u@x.org", &chain).len(), MAX_DEPTH);
    }

    #[test]
    fn listrights() {
        let owner = list_rights("Owner@X.org", "owner@x.org");
        assert_eq!((owner.required, owner.optional.len()), (Rights::ALL, 0));
        let other = list_rights("bob@x.org", "owner@x.org");
        assert_eq!(other.required, Rights::NONE);
        let letters: Vec<String> = other.optional.iter().map(Rights::to_string).collect();
        assert_eq!(letters, ["l", "r", "s", "w", "i", "p", "k", "x", "t", "e", "a"]);
    }
}
