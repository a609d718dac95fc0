//! Recipient resolution for delivery: which local accounts receive mail sent to an address.
//!
//! Order for one address (lower-cased; domains compare case-insensitively):
//! 1. an account with exactly that address;
//! 2. an alias with that address: its targets, recursively;
//! 3. a group with that address: its members, recursively;
//! 4. `user+tag@domain` with nothing above: `user@domain`, remembering `tag` (plus addressing);
//! 5. for the address asked for only, the domain's catch-all alias `@domain`, last.
//!
//! Invariants: recursion stops at depth [`MAX_DEPTH`] and never visits an address twice (alias
//! and group loops are harmless); each account appears once (the first path that reaches it
//! wins); addresses that are not local (an alias target or group member elsewhere) resolve to
//! nothing here; unknown addresses give an empty list, never an error.

use std::collections::HashSet;

use malt_store::{Account, Result, Store};

/// Deepest alias/group chain followed.
pub const MAX_DEPTH: usize = 8;

/// A local account that receives mail for the address resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub account: Account,
    /// The address asked for, lower-cased (e.g. `bob+lists@example.org`).
    pub original: String,
    /// The plus tag (`lists`), when plus addressing applied on the way to this account.
    pub tag: Option<String>,
}

/// Normalises an address: trimmed, without angle brackets, lower-case.
pub(crate) fn normalise(address: &str) -> String {
    address
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_lowercase()
}

/// `local+tag@domain` split into (`local@domain`, `tag`).
pub(crate) fn split_plus(address: &str) -> Option<(String, String)> {
    let (local, domain) = address.rsplit_once('@')?;
    let (base, tag) = local.split_once('+')?;
    if base.is_empty() {
        return None;
    }
    Some((format!("{base}@{domain}"), tag.to_owned()))
}

struct Walk<'a> {
    store: &'a dyn Store,
    original: String,
    visited: HashSet<String>,
    seen_accounts: HashSet<i64>,
    out: Vec<Resolved>,
}

impl Walk<'_> {
    /// Resolves `address`; returns whether it named anything (an account, alias or group).
    async fn expand(&mut self, address: String, depth: usize, tag: Option<String>) -> Result<bool> {
        if depth > MAX_DEPTH || !self.visited.insert(address.clone()) {
            return Ok(false);
        }
        if let Some(account) = self.store.account_by_address(&address).await? {
            if self.seen_accounts.insert(account.id) {
                self.out.push(Resolved {
                    account,
                    original: self.original.clone(),
                    tag,
                });
            }
            return Ok(true);
        }
        let targets = self.store.alias_targets(&address).await?;
        if !targets.is_empty() {
            for t in targets {
                Box::pin(self.expand(normalise(&t), depth + 1, tag.clone())).await?;
            }
            return Ok(true);
        }
        if let Some(group) = self.store.group_get(&address).await? {
            for m in group.members {
                Box::pin(self.expand(normalise(&m), depth + 1, tag.clone())).await?;
            }
            return Ok(true);
        }
        if let Some((base, plus_tag)) = split_plus(&address) {
            return Box::pin(self.expand(base, depth, tag.or(Some(plus_tag)))).await;
        }
        Ok(false)
    }
}

/// The local accounts that receive mail for `address` (see the module docs for the order).
pub async fn resolve(store: &dyn Store, address: &str) -> Result<Vec<Resolved>> {
    let address = normalise(address);
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Ok(Vec::new());
    };
    if local.is_empty() || domain.is_empty() {
        return Ok(Vec::new());
    }
    let domain = domain.to_owned();
    let mut walk = Walk {
        store,
        original: address.clone(),
        visited: HashSet::new(),
        seen_accounts: HashSet::new(),
        out: Vec::new(),
    };
    let found = walk.expand(address, 0, None).await?;
    if !found && walk.out.is_empty() {
        // Catch-all last, for the address asked for only.
        let catch_all = format!("@{domain}");
        for t in store.alias_targets(&catch_all).await? {
            walk.expand(normalise(&t), 1, None).await?;
        }
    }
    Ok(walk.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_and_normalise() {
        assert_eq!(normalise(" <Bob@Example.ORG> "), "bob@example.org");
        assert_eq!(
            split_plus("bob+lists@x.org"),
            Some(("bob@x.org".to_owned(), "lists".to_owned()))
        );
        assert_eq!(
            split_plus("bob+a+b@x.org"),
            Some(("bob@x.org".to_owned(), "a+b".to_owned()))
        );
        assert_eq!(split_plus("+tag@x.org"), None);
        assert_eq!(split_plus("bob@x.org"), None);
    }
}
