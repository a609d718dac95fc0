//! LIST (RFC 9051 §6.3.9, LIST-EXTENDED RFC 5258, LIST-STATUS RFC 5819, SPECIAL-USE RFC 6154) and LSUB
//! (RFC 3501 §6.3.9).
//!
//! - `*` matches any characters, `%` any but the hierarchy delimiter; the reference is prefixed to the
//!   pattern. The first level `INBOX` matches case-insensitively.
//! - Every mailbox gets `\HasChildren` or `\HasNoChildren` (CHILDREN, RFC 3348) and its special-use
//!   attribute. Parents always exist (CREATE makes them), so no `\NonExistent` placeholders are needed
//!   except for subscriptions to mailboxes that no longer exist; LSUB answers an unsubscribed parent of a
//!   subscribed mailbox that `%` stops at with `\Noselect` (RFC 3501 §6.3.9).
//! - An empty pattern answers the delimiter and root (RFC 9051 §6.3.9).
//! - Mailboxes of other accounts the user has `l` on (RFC 4314 §4) are listed under
//!   `Other Users/<owner>/` and `Shared/` (RFC 2342 §5), from one `shared_with` call per LIST; the
//!   namespace prefixes and owner levels are `\Noselect` parents, as are the parents of shared
//!   mailboxes the user cannot see. Special-use attributes are only given for own mailboxes, and
//!   LIST-STATUS only for mailboxes the user has `r` on.

use std::collections::BTreeSet;

use malt_core::acl::{Identity, Rights, shared_with};
use malt_imap_proto::command::{ListArgs, ListReturn, ListSelect, StatusItem};
use malt_store::{AccountId, HIERARCHY_SEPARATOR, Mailbox, StoreError};

use crate::access;
use crate::op::{mailbox_name, status, store_error};
use crate::session::{Outcome, Session};

/// Whether `name` matches the IMAP LIST `pattern`.
pub(crate) fn matches(pattern: &[char], name: &[char]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some(('*', rest)) => (0..=name.len()).any(|i| name.get(i..).is_some_and(|n| matches(rest, n))),
        Some(('%', rest)) => {
            for i in 0..=name.len() {
                if let Some(n) = name.get(i..)
                    && matches(rest, n)
                {
                    return true;
                }
                if name.get(i) == Some(&HIERARCHY_SEPARATOR) {
                    return false;
                }
            }
            false
        }
        Some((c, rest)) => name
            .split_first()
            .is_some_and(|(n, nrest)| n == c && matches(rest, nrest)),
    }
}

/// Normalises a first level `INBOX` in any case, as mailbox names are.
fn normalise_inbox(pattern: &str) -> String {
    match pattern.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("INBOX") => {
            let rest = pattern.get(5..).unwrap_or_default();
            if rest.is_empty() || rest.starts_with(HIERARCHY_SEPARATOR) {
                format!("INBOX{rest}")
            } else {
                pattern.to_owned()
            }
        }
        _ => pattern.to_owned(),
    }
}

fn has_children(all: &[Visible], name: &str) -> bool {
    let prefix = format!("{name}{HIERARCHY_SEPARATOR}");
    all.iter().any(|m| m.name.starts_with(&prefix))
}

/// One LIST answer: attributes, name, the mailbox for LIST-STATUS (with whether the user owns
/// it), and CHILDINFO.
type Line = (Vec<&'static str>, String, Option<(Mailbox, bool)>, bool);

/// A mailbox the user can see, under the name the client uses (RFC 2342 namespaces).
struct Visible {
    name: String,
    /// `None` for a `\Noselect` level that only holds others (namespace prefixes, the owner
    /// level of `Other Users/`, parents of shared mailboxes the user cannot see).
    mailbox: Option<Mailbox>,
    own: bool,
    rights: Rights,
}

/// Every mailbox visible to the user: their own, then those of other accounts they have `l` on
/// (RFC 4314 §4), from ONE `shared_with` call, under `Other Users/<owner>/` or `Shared/`, with the
/// missing parent levels as `\Noselect` placeholders.
async fn visible(s: &Session, account: AccountId) -> Result<Vec<Visible>, StoreError> {
    let store = &s.core.storage().store;
    let mut all: Vec<Visible> = store
        .mailbox_list(account)
        .await?
        .into_iter()
        .map(|mb| Visible {
            name: mb.name.clone(),
            mailbox: Some(mb),
            own: true,
            rights: Rights::ALL,
        })
        .collect();
    let who = Identity::load(store.as_ref(), account).await?;
    let shared = shared_with(store.as_ref(), &who).await?;
    let mut names: BTreeSet<String> = BTreeSet::new();
    for f in shared {
        let name = access::display_name(&f.owner, &f.mailbox.name, s.shared_account.as_deref());
        names.insert(name.clone());
        all.push(Visible {
            name,
            mailbox: Some(f.mailbox),
            own: false,
            rights: f.rights,
        });
    }
    let mut parents: BTreeSet<String> = BTreeSet::new();
    for name in &names {
        let mut p = name.as_str();
        while let Some(parent) = access::parent(p) {
            if !names.contains(parent) {
                parents.insert(parent.to_owned());
            }
            p = parent;
        }
    }
    all.extend(parents.into_iter().map(|name| Visible {
        name,
        mailbox: None,
        own: false,
        rights: Rights::NONE,
    }));
    Ok(all)
}

pub(crate) async fn run(s: &mut Session, args: ListArgs) -> Outcome {
    list_impl(s, args, false).await
}

pub(crate) async fn lsub(s: &mut Session, reference: &str, pattern: &str) -> Outcome {
    let args = ListArgs {
        selection: vec![ListSelect::Subscribed],
        reference: reference.to_owned(),
        patterns: vec![pattern.to_owned()],
        returns: vec![],
    };
    list_impl(s, args, true).await
}

async fn list_impl(s: &mut Session, args: ListArgs, lsub: bool) -> Outcome {
    let Some(account) = s.state.account().map(|a| a.id) else {
        return Outcome::bad("Not authenticated");
    };
    let reference = match mailbox_name(s, &args.reference) {
        Ok(r) => r,
        Err(o) => return o,
    };
    let mut patterns = Vec::new();
    for p in &args.patterns {
        match mailbox_name(s, p) {
            Ok(p) => patterns.push(p),
            Err(o) => return o,
        }
    }
    if !lsub && patterns.iter().all(String::is_empty) && args.selection.is_empty() {
        s.out
            .list(false, &["\\Noselect"], Some(HIERARCHY_SEPARATOR), "", false, None);
        return Outcome::ok("LIST completed");
    }
    let patterns: Vec<Vec<char>> = patterns
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| normalise_inbox(&format!("{reference}{p}")).chars().collect())
        .collect();
    let mut all = match visible(s, account).await {
        Ok(v) => v,
        Err(e) => return store_error(&e),
    };
    all.sort_by(|a, b| (a.name != "INBOX", &a.name).cmp(&(b.name != "INBOX", &b.name)));
    let store = &s.core.storage().store;
    let subscribed: BTreeSet<String> = match store.subscription_list(account).await {
        Ok(v) => v.into_iter().collect(),
        Err(e) => return store_error(&e),
    };
    let sel_subscribed = args.selection.contains(&ListSelect::Subscribed);
    let recursive = args.selection.contains(&ListSelect::RecursiveMatch);
    if recursive && !args.selection.iter().any(|o| *o != ListSelect::RecursiveMatch) {
        // RFC 5258 §3: RECURSIVEMATCH needs another selection option.
        return Outcome::bad("RECURSIVEMATCH requires another selection option");
    }
    let sel_special = args.selection.contains(&ListSelect::SpecialUse);
    let ret_subscribed = sel_subscribed || args.returns.contains(&ListReturn::Subscribed);
    let status_items: Option<Vec<StatusItem>> = args.returns.iter().find_map(|r| match r {
        ListReturn::Status(items) => Some(items.clone()),
        _ => None,
    });
    let matching = |name: &str| {
        let chars: Vec<char> = name.chars().collect();
        patterns.iter().any(|p| matches(p, &chars))
    };
    let mut lines: Vec<Line> = Vec::new();
    for mb in &all {
        if !matching(&mb.name) {
            continue;
        }
        let is_sub = subscribed.contains(&mb.name);
        // RFC 5258 §3: with RECURSIVEMATCH, a parent of a subscribed mailbox is listed with CHILDINFO.
        let child_info = recursive && sel_subscribed && {
            let prefix = format!("{}{HIERARCHY_SEPARATOR}", mb.name);
            subscribed.iter().any(|n| n.starts_with(&prefix))
        };
        if sel_subscribed && !is_sub && !child_info {
            continue;
        }
        // Special-use roles are the owner's business (RFC 6154 §2): only own mailboxes carry them.
        let role = mb.mailbox.as_ref().and_then(|m| m.role).filter(|_| mb.own);
        if sel_special && role.is_none() {
            continue;
        }
        let mut attrs = Vec::new();
        if mb.mailbox.is_none() {
            attrs.push("\\Noselect");
        }
        if !lsub {
            attrs.push(if has_children(&all, &mb.name) {
                "\\HasChildren"
            } else {
                "\\HasNoChildren"
            });
            if let Some(role) = role {
                attrs.push(role.attribute());
            }
        }
        if ret_subscribed && is_sub && !lsub {
            attrs.push("\\Subscribed");
        }
        // LIST-STATUS (RFC 5819 §1) only where STATUS would answer: `r` (RFC 4314 §4).
        let status_of = mb
            .mailbox
            .clone()
            .filter(|_| mb.rights.contains(Rights::READ))
            .map(|m| (m, mb.own));
        lines.push((attrs, mb.name.clone(), status_of, child_info));
    }
    if sel_subscribed {
        // Subscriptions to mailboxes that no longer exist (RFC 5258 §3: \NonExistent).
        for name in &subscribed {
            if all.iter().any(|m| &m.name == name) || !matching(name) {
                continue;
            }
            let attrs = if lsub {
                vec!["\\Noselect"]
            } else {
                vec!["\\NonExistent", "\\Subscribed"]
            };
            lines.push((attrs, name.clone(), None, false));
        }
    }
    if lsub {
        for parent in lsub_parents(&subscribed, &matching) {
            lines.push((vec!["\\Noselect"], parent, None, false));
        }
    }
    for (attrs, name, mb, child_info) in lines {
        s.out
            .list(lsub, &attrs, Some(HIERARCHY_SEPARATOR), &name, child_info, None);
        if let (Some(items), Some((mb, own))) = (&status_items, mb) {
            let viewer = (!own).then_some(account);
            match status::items(s, &mb, items, viewer).await {
                Ok(data) => s.out.status(&name, &data),
                Err(e) => return store_error(&e),
            }
        }
    }
    Outcome::ok(if lsub { "LSUB completed" } else { "LIST completed" })
}

/// RFC 3501 §6.3.9: when LSUB's `%` stops above a subscribed `foo/bar` whose parent `foo` is not
/// subscribed, `foo` is answered with `\Noselect`. The unsubscribed ancestors of subscribed names that
/// match the pattern while the subscribed name does not, each once, in name order.
fn lsub_parents(subscribed: &BTreeSet<String>, matching: &impl Fn(&str) -> bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for name in subscribed.iter().filter(|n| !matching(n)) {
        let mut rest = name.as_str();
        while let Some((parent, _)) = rest.rsplit_once(HIERARCHY_SEPARATOR) {
            rest = parent;
            if !subscribed.contains(parent) && matching(parent) {
                out.insert(parent.to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, n: &str) -> bool {
        matches(&p.chars().collect::<Vec<_>>(), &n.chars().collect::<Vec<_>>())
    }

    #[test]
    fn wildcards() {
        assert!(m("*", "a/b/c"));
        assert!(m("%", "INBOX"));
        assert!(!m("%", "a/b"));
        assert!(m("a/%", "a/b"));
        assert!(!m("a/%", "a/b/c"));
        assert!(m("a/*", "a/b/c"));
        assert!(m("*b", "a/b"));
        assert!(!m("a", "ab"));
        assert_eq!(normalise_inbox("inbox/x"), "INBOX/x");
        assert_eq!(normalise_inbox("inboxes"), "inboxes");
    }
}
