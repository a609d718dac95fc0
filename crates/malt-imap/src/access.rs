//! Mailbox names across namespaces and the rights of the user on them (RFC 2342, RFC 4314).
//!
//! Every command that names a mailbox resolves the name here ([`resolve`]) and asks the
//! resulting [`Target`] for the rights it needs ([`Target::need`]):
//!
//! - personal names (no prefix, RFC 2342 §5 personal namespace `""`) are the user's own mailboxes,
//!   on which the owner has every right;
//! - `Other Users/<owner address>/<name>` (RFC 2342 §5 other users' namespace) is mailbox `<name>`
//!   of account `<owner address>`;
//! - `Shared/<name>` (RFC 2342 §5 shared namespace) is mailbox `<name>` of the configured shared
//!   account (`[imap] shared_account`); without one the prefix is an ordinary personal name.
//!
//! Invariants:
//! - A name on which the user has no right at all answers exactly like a mailbox that does not
//!   exist (`NO [NONEXISTENT]`), whether or not it exists (RFC 4314 §4, §6: do not reveal
//!   existence); with some right but not the one needed the answer is `NO [NOPERM]`.
//! - Rights are read from the store at every resolution (one `group_list` and one `acl_list`
//!   call for a mailbox of another account): a change of an ACL or of a group applies to the
//!   next command.
//! - Operations on another account's mailbox run as the OWNER's account in the core/store (the
//!   owner's modseq and quota); only `\Seen` is the viewer's own (`private_seen`).

use malt_core::acl::{Identity, Rights, mailbox_rights};
use malt_imap_proto::{ResponseCode, Status};
use malt_store::{
    AccountId, HIERARCHY_SEPARATOR, Mailbox, MailboxChanges, MailboxId, MessageSummary, ModSeq, PrivateSeen,
    Store, StoreError, Uid, UidSet, flag,
};

use crate::op::store_error;
use crate::session::{Outcome, Session};
use crate::state::State;
use crate::view::MailboxView;

/// The other users' namespace prefix without its trailing delimiter (RFC 2342 §5).
pub(crate) const OTHER_USERS: &str = "Other Users";
/// The shared namespace prefix without its trailing delimiter (RFC 2342 §5).
pub(crate) const SHARED: &str = "Shared";

/// What a mailbox name refers to.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The account owning the mailbox (the session's own account for personal names).
    pub owner: AccountId,
    /// The owner's address (lower case).
    pub owner_address: String,
    /// The name in the owner's account (without namespace prefix).
    pub name: String,
    /// The name as the client spells it (with the namespace prefix), for responses.
    pub display: String,
    /// The mailbox, when it exists (and the user has some right on it).
    pub mailbox: Option<Mailbox>,
    /// The user's effective rights (RFC 4314 §2); every right on own mailboxes.
    pub rights: Rights,
    /// Whether the session's account owns the mailbox.
    pub own: bool,
}

/// `NO [NONEXISTENT]`, the answer for missing mailboxes and for hidden ones (RFC 4314 §4).
pub(crate) fn nonexistent() -> Outcome {
    Outcome::no(Some(ResponseCode::NonExistent), "No such mailbox")
}

/// `NO [NOPERM]` naming the missing right (RFC 4314 §4, RFC 5530 §3).
pub(crate) fn noperm(missing: Rights) -> Outcome {
    Outcome::no(
        Some(ResponseCode::NoPerm),
        format!("Permission denied (right {missing} needed)"),
    )
}

impl Target {
    /// The mailbox when the user has every right of `needed` on it: `[NONEXISTENT]` when it
    /// does not exist or the user has no right at all, `[NOPERM]` otherwise (RFC 4314 §4).
    pub fn need(&self, needed: Rights) -> Result<&Mailbox, Outcome> {
        let Some(mb) = &self.mailbox else {
            return Err(nonexistent());
        };
        if self.rights.is_empty() {
            return Err(nonexistent());
        }
        if !self.rights.contains(needed) {
            return Err(noperm(needed.difference(self.rights)));
        }
        Ok(mb)
    }
}

/// A client name split into namespace and name inside the owner's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Space<'a> {
    Personal(&'a str),
    /// Owner address (as given) and the name in that account (possibly empty).
    Other(&'a str, &'a str),
    Shared(&'a str),
}

/// Splits a (decoded) client mailbox name by namespace prefix. `shared` says whether the shared
/// namespace exists. Prefixes match case-sensitively, like the names they stand for.
pub(crate) fn split(name: &str, shared: bool) -> Space<'_> {
    let sep = HIERARCHY_SEPARATOR;
    if let Some(rest) = name.strip_prefix(OTHER_USERS).and_then(|r| r.strip_prefix(sep)) {
        return match rest.split_once(sep) {
            Some((owner, inner)) => Space::Other(owner, inner),
            None => Space::Other(rest, ""),
        };
    }
    if shared && let Some(rest) = name.strip_prefix(SHARED).and_then(|r| r.strip_prefix(sep)) {
        return Space::Shared(rest);
    }
    Space::Personal(name)
}

/// `NO [CANNOT]` when a personal name would start with a namespace prefix (`Other Users`, and
/// `Shared` when the shared namespace exists): such a mailbox could never be named (RFC 2342 §5).
pub(crate) fn reserved(name: &str, shared: bool) -> Option<Outcome> {
    let root = name.split(HIERARCHY_SEPARATOR).next().unwrap_or_default();
    (root == OTHER_USERS || (shared && root == SHARED)).then(|| {
        Outcome::no(
            Some(ResponseCode::Cannot),
            format!("{root} is a namespace prefix"),
        )
    })
}

/// The client-visible name of mailbox `name` of `owner_address` for a viewer (RFC 2342 §5).
pub(crate) fn display_name(owner_address: &str, name: &str, shared_account: Option<&str>) -> String {
    let sep = HIERARCHY_SEPARATOR;
    if shared_account.is_some_and(|a| a.eq_ignore_ascii_case(owner_address)) {
        format!("{SHARED}{sep}{name}")
    } else {
        format!("{OTHER_USERS}{sep}{owner_address}{sep}{name}")
    }
}

/// The session's account id and address.
fn me(s: &Session) -> Result<(AccountId, String), Outcome> {
    s.state
        .account()
        .map(|a| (a.id, a.address.clone()))
        .ok_or_else(|| Outcome::bad("Not authenticated"))
}

/// Resolves a decoded client mailbox name (see the module doc). A name that is not a valid
/// mailbox name is refused as the core refuses it; an unknown owner, the user's own address under
/// `Other Users/`, and the shared account under `Other Users/` resolve to no mailbox.
pub(crate) async fn resolve(s: &Session, client_name: &str) -> Result<Target, Outcome> {
    let (my_id, my_address) = me(s)?;
    let shared_account = s.shared_account.clone();
    let (owner_address, inner) = match split(client_name, shared_account.is_some()) {
        Space::Personal(name) => {
            let mailbox = s.core.mailbox(my_id, name).await.map_err(|e| store_error(&e))?;
            return Ok(Target {
                owner: my_id,
                owner_address: my_address,
                name: mailbox
                    .as_ref()
                    .map_or_else(|| name.to_owned(), |m| m.name.clone()),
                display: mailbox
                    .as_ref()
                    .map_or_else(|| name.to_owned(), |m| m.name.clone()),
                mailbox,
                rights: Rights::ALL,
                own: true,
            });
        }
        Space::Other(owner, inner) => {
            let owner = owner.to_lowercase();
            if shared_account
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(&owner))
            {
                return Ok(hidden(client_name));
            }
            (owner, inner)
        }
        Space::Shared(inner) => (shared_account.unwrap_or_default().to_lowercase(), inner),
    };
    let store = &s.core.storage().store;
    let owner = match store.account_by_address(&owner_address).await {
        Ok(Some(a)) if a.id != my_id => a,
        Ok(_) => return Ok(hidden(client_name)),
        Err(e) => return Err(store_error(&e)),
    };
    let display = |name: &str| display_name(&owner.address, name, s.shared_account.as_deref());
    if inner.is_empty() {
        return Ok(hidden(client_name));
    }
    let mailbox = match s.core.mailbox(owner.id, inner).await {
        Ok(m) => m,
        // An invalid name cannot exist: hidden like any missing mailbox.
        Err(malt_store::StoreError::Invalid { .. }) => None,
        Err(e) => return Err(store_error(&e)),
    };
    let (rights, mailbox) = match mailbox {
        Some(mb) => {
            let who = Identity::load(store.as_ref(), my_id)
                .await
                .map_err(|e| store_error(&e))?;
            let rights = mailbox_rights(store.as_ref(), &who, &mb)
                .await
                .map_err(|e| store_error(&e))?;
            (rights, (!rights.is_empty()).then_some(mb))
        }
        None => (Rights::NONE, None),
    };
    let name = mailbox
        .as_ref()
        .map_or_else(|| inner.to_owned(), |m| m.name.clone());
    Ok(Target {
        owner: owner.id,
        owner_address: owner.address.clone(),
        display: display(&name),
        name,
        mailbox,
        rights,
        own: false,
    })
}

/// A name that refers to nothing the user may know about.
fn hidden(client_name: &str) -> Target {
    Target {
        owner: 0,
        owner_address: String::new(),
        name: client_name.to_owned(),
        display: client_name.to_owned(),
        mailbox: None,
        rights: Rights::NONE,
        own: false,
    }
}

/// The access of the session to its selected mailbox, set by SELECT/EXAMINE and cleared with
/// the selected state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Access {
    /// The account owning the selected mailbox: every store operation runs as this account.
    pub owner: AccountId,
    /// The user's rights at SELECT time, re-read when the mailbox's ACL changes.
    pub rights: Rights,
    /// Whether the user owns the mailbox (the `\Seen` flag is then the message's own).
    pub own: bool,
    /// The change feed reported an ACL change of the mailbox: re-check at the next sync.
    pub acl_changed: bool,
}

impl Access {
    /// Every right of `needed`, or `NO [NOPERM]` (RFC 4314 §4).
    pub fn need(&self, needed: Rights) -> Result<(), Outcome> {
        if self.rights.contains(needed) {
            Ok(())
        } else {
            Err(noperm(needed.difference(self.rights)))
        }
    }
}

/// The access of the selected mailbox; `BAD` when none is selected.
pub(crate) fn selected(s: &Session) -> Result<Access, Outcome> {
    match (&s.state, s.access) {
        (State::Selected { .. }, Some(a)) => Ok(a),
        _ => Err(Outcome::bad("No mailbox selected")),
    }
}

/// Re-reads the user's rights on the selected mailbox when it is another account's: `always`
/// before every command (an ACL or group change applies to the next command, whatever the change
/// feed's delay), otherwise after the feed reported an ACL change of the mailbox.
/// When `r` is gone (RFC 4314 §4: SELECT needs it) the mailbox is deselected with
/// `* OK [CLOSED]` and later selected-state commands get `NO [NOPERM]` (see
/// [`Session::revoked`]); no `BYE` is sent. Returns whether a mailbox is still selected.
pub(crate) async fn recheck(s: &mut Session, always: bool) -> bool {
    let Some(access) = s.access else {
        return matches!(s.state, State::Selected { .. });
    };
    if access.own || !(always || access.acl_changed) {
        return true;
    }
    let State::Selected { account, view, .. } = &s.state else {
        return false;
    };
    let store = s.core.storage().store.clone();
    let rights = match reread(store.as_ref(), account.id, view.mailbox_id).await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(error = %e, "re-reading rights failed");
            return true;
        }
    };
    if rights.contains(Rights::READ) {
        s.access = Some(Access {
            rights,
            acl_changed: false,
            ..access
        });
        return true;
    }
    if let State::Selected { account, .. } = std::mem::replace(&mut s.state, State::Logout) {
        s.state = State::Authenticated { account };
    }
    s.access = None;
    s.revoked = true;
    s.out.untagged(
        Status::Ok,
        Some(&ResponseCode::Closed),
        "Access to the mailbox was withdrawn",
    );
    false
}

/// The user's current rights on a mailbox (none when it is gone).
async fn reread(store: &dyn Store, me: AccountId, mailbox: MailboxId) -> Result<Rights, StoreError> {
    let Some(mb) = store.mailbox_by_id(mailbox).await? else {
        return Ok(Rights::NONE);
    };
    let who = Identity::load(store, me).await?;
    mailbox_rights(store, &who, &mb).await
}

/// Message summaries as a viewer who does not own the mailbox sees them: the row's flags without
/// `\Seen`, plus `\Seen` when the viewer has seen the message privately (RFC 4314 §4: `\Seen`
/// is per user; the row's is the owner's).
pub(crate) fn with_private_seen(summaries: &mut [MessageSummary], seen: &UidSet) {
    for m in summaries {
        m.flags.system &= !flag::SEEN;
        if seen.contains(m.uid) {
            m.flags.system |= flag::SEEN;
        }
    }
}

/// How one viewer sees the flags of a mailbox: the ONE place where a non-owner's private `\Seen`
/// (RFC 4314 §4) is laid over the row flags for every read of flags and mod-sequences (FETCH,
/// SEARCH, STORE responses, SELECT). For the owner it is the rows as they are.
pub(crate) struct Viewer {
    /// The viewer's private `\Seen` states with their modseqs, ascending UID; `None` for the owner.
    private: Option<Vec<PrivateSeen>>,
}

impl Viewer {
    /// Reads what `viewer` needs to see `mailbox` (nothing for its owner).
    pub(crate) async fn load(
        store: &dyn Store,
        viewer: AccountId,
        mailbox: MailboxId,
        own: bool,
    ) -> Result<Viewer, StoreError> {
        let private = if own {
            None
        } else {
            Some(store.private_seen_changes(viewer, mailbox, 0).await?)
        };
        Ok(Viewer { private })
    }

    /// Rewrites `summaries` as the viewer sees them: without the row's `\Seen`, with the viewer's,
    /// and the larger of the row's and the private state's modseq (RFC 7162 §3.1: the message
    /// changed for this viewer at either).
    pub(crate) fn overlay(&self, summaries: &mut [MessageSummary]) {
        let Some(private) = &self.private else {
            return;
        };
        for m in summaries {
            m.flags.system &= !flag::SEEN;
            if let Ok(i) = private.binary_search_by_key(&m.uid, |p| p.uid)
                && let Some(p) = private.get(i)
            {
                if p.seen {
                    m.flags.system |= flag::SEEN;
                }
                m.modseq = m.modseq.max(p.modseq);
            }
        }
    }

    /// The summaries of the messages of `uids` as the viewer sees them, ascending UID (one store
    /// read).
    pub(crate) async fn summaries_in(
        &self,
        store: &dyn Store,
        mailbox: MailboxId,
        uids: &UidSet,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        let mut summaries = store.message_summaries_in(mailbox, uids).await?;
        self.overlay(&mut summaries);
        Ok(summaries)
    }
}

/// The summaries of a whole mailbox as `viewer` sees them (see [`Viewer`]).
pub(crate) async fn viewer_summaries(
    store: &dyn Store,
    viewer: AccountId,
    mailbox: MailboxId,
    own: bool,
) -> Result<Vec<MessageSummary>, StoreError> {
    let v = Viewer::load(store, viewer, mailbox, own).await?;
    let mut summaries = store.message_summaries(mailbox).await?;
    v.overlay(&mut summaries);
    Ok(summaries)
}

/// The changes of another account's mailbox as `viewer` sees them: the changed messages with the
/// viewer's `\Seen`, plus the known messages whose private `\Seen` changed since the view's modseq,
/// read from the store (a message's modseq is the larger of its row's and its private `\Seen`'s,
/// RFC 7162 §3.1 with RFC 4314 §4).
pub(crate) async fn private_changes(
    store: &dyn Store,
    viewer: AccountId,
    view: &MailboxView,
    mut changes: MailboxChanges,
) -> Result<MailboxChanges, StoreError> {
    let mailbox = view.mailbox_id;
    let seen = store.private_seen(viewer, mailbox).await?;
    let private = store.private_seen_changes(viewer, mailbox, view.modseq()).await?;
    with_private_seen(&mut changes.changed, &seen);
    changes.changed.sort_by_key(|m| m.uid);
    let mut extra: Vec<(Uid, ModSeq)> = Vec::new();
    for p in private {
        changes.highest_modseq = changes.highest_modseq.max(p.modseq);
        match changes.changed.binary_search_by_key(&p.uid, |m| m.uid) {
            Ok(i) => {
                if let Some(m) = changes.changed.get_mut(i) {
                    m.modseq = m.modseq.max(p.modseq);
                }
            }
            Err(_) if view.seq_of(p.uid).is_some() => extra.push((p.uid, p.modseq)),
            Err(_) => {}
        }
    }
    if !extra.is_empty() {
        let set = UidSet::from_uids(extra.iter().map(|(u, _)| *u));
        let mut rows = store.message_summaries_in(mailbox, &set).await?;
        with_private_seen(&mut rows, &seen);
        for m in &mut rows {
            if let Ok(i) = extra.binary_search_by_key(&m.uid, |(u, _)| *u)
                && let Some((_, ms)) = extra.get(i)
            {
                m.modseq = m.modseq.max(*ms);
            }
        }
        changes.changed.extend(rows);
    }
    Ok(changes)
}

/// The parent of a (client) name, if it has one: `a/b/c` gives `a/b`.
pub(crate) fn parent(name: &str) -> Option<&str> {
    name.rsplit_once(HIERARCHY_SEPARATOR).map(|(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting() {
        assert_eq!(split("INBOX", true), Space::Personal("INBOX"));
        assert_eq!(
            split("Other Users/a@x.org/Projects/2024", true),
            Space::Other("a@x.org", "Projects/2024")
        );
        assert_eq!(split("Other Users/a@x.org", true), Space::Other("a@x.org", ""));
        assert_eq!(split("Other Users", true), Space::Personal("Other Users"));
        assert_eq!(split("Shared/News", true), Space::Shared("News"));
        assert_eq!(split("Shared/News", false), Space::Personal("Shared/News"));
        assert_eq!(display_name("a@x.org", "P", None), "Other Users/a@x.org/P");
        assert_eq!(display_name("s@x.org", "P", Some("S@x.org")), "Shared/P");
        assert_eq!(parent("a/b/c"), Some("a/b"));
        assert_eq!(parent("a"), None);
    }
}
