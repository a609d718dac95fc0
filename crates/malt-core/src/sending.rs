//! Who may send as which address: the sender policy of message submission (RFC 6409 §6.1 leaves
//! it to the MSA), applied to the envelope sender (MAIL FROM) and to the `From:`/`Sender:` header
//! addresses.
//!
//! [`MailCore::sender_right`] answers, for an authenticated account and an address (compared
//! lower-case, angle brackets and blanks trimmed):
//! 1. [`SenderRight::Own`]: the account's own address, or a `+tag` form of it (`alice+x@...`), or
//!    an alias (or a `+tag` form of one) that resolves to this account and no other. Groups and
//!    domain catch-alls do not count: reaching a member is not owning the address.
//! 2. [`SenderRight::SendAs`] / [`SenderRight::OnBehalf`]: the account holds a delegation for
//!    exactly that address (`Store::delegation_list`, `malt delegation`); the address may be a
//!    group, an alias or another account's mailbox. With `OnBehalf` the MSA names the real sender
//!    in a `Sender:` field (RFC 5322 §3.6.2).
//! 3. [`SenderRight::Denied`] otherwise, including the null address.

use malt_store::{Account, DelegationKind, StoreError};

use crate::directory;
use crate::mail::MailCore;

/// May an account send as an address, and how?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderRight {
    /// The account's own address or an alias of it.
    Own,
    /// A send-as delegation: the message looks as if the address's owner sent it.
    SendAs,
    /// A send-on-behalf delegation: allowed, with `Sender:` naming the account.
    OnBehalf,
    /// Not this account's to use.
    Denied,
}

impl MailCore {
    /// How `account` may use `address` as a sender (see the module docs).
    pub async fn sender_right(&self, account: &Account, address: &str) -> Result<SenderRight, StoreError> {
        let address = directory::normalise(address);
        if !address.contains('@') {
            return Ok(SenderRight::Denied);
        }
        let own = account.address.to_lowercase();
        let base = directory::split_plus(&address).map(|(b, _)| b);
        if address == own || base.as_deref() == Some(own.as_str()) {
            return Ok(SenderRight::Own);
        }
        let store = &self.storage().store;
        for candidate in std::iter::once(&address).chain(base.as_ref()) {
            if store.alias_targets(candidate).await?.is_empty() {
                continue;
            }
            let reached = directory::resolve(store.as_ref(), candidate).await?;
            if !reached.is_empty() && reached.iter().all(|r| r.account.id == account.id) {
                return Ok(SenderRight::Own);
            }
        }
        let delegated = store
            .delegation_list(Some(account.id))
            .await?
            .into_iter()
            .find(|d| d.address.eq_ignore_ascii_case(&address));
        Ok(match delegated.map(|d| d.kind) {
            Some(DelegationKind::SendAs) => SenderRight::SendAs,
            Some(DelegationKind::SendOnBehalf) => SenderRight::OnBehalf,
            None => SenderRight::Denied,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use malt_store::NewAccount;

    use super::*;
    use crate::mail::MailSettings;

    async fn core(dir: &tempfile::TempDir) -> MailCore {
        let core = crate::test_support::core(dir, MailSettings::default()).await;
        let store = &core.storage().store;
        store.domain_add("example.org").await.unwrap();
        core
    }

    async fn account(core: &MailCore, address: &str) -> Account {
        core.storage()
            .store
            .account_create(NewAccount {
                address: address.to_owned(),
                password_hash: String::new(),
                quota_bytes: None,
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn rights() {
        let dir = tempfile::tempdir().unwrap();
        let core = core(&dir).await;
        let alice = account(&core, "alice@example.org").await;
        let bob = account(&core, "bob@example.org").await;
        let store = &core.storage().store;
        store
            .alias_add("info@example.org", "alice@example.org")
            .await
            .unwrap();
        store
            .alias_add("chain@example.org", "info@example.org")
            .await
            .unwrap();
        store
            .alias_add("both@example.org", "alice@example.org")
            .await
            .unwrap();
        store
            .alias_add("both@example.org", "bob@example.org")
            .await
            .unwrap();
        store
            .alias_add("@example.org", "alice@example.org")
            .await
            .unwrap();
        store.group_add("sales@example.org", "Sales").await.unwrap();
        store
            .group_member_add("sales@example.org", "alice@example.org")
            .await
            .unwrap();
        store
            .delegation_add(alice.id, "sales@example.org", DelegationKind::SendAs)
            .await
            .unwrap();
        store
            .delegation_add(alice.id, "Bob@Example.org", DelegationKind::SendOnBehalf)
            .await
            .unwrap();
        let cases = [
            ("alice@example.org", SenderRight::Own),
            (" <ALICE@example.ORG> ", SenderRight::Own),
            ("alice+news@example.org", SenderRight::Own),
            ("info@example.org", SenderRight::Own),
            ("info+x@example.org", SenderRight::Own),
            ("chain@example.org", SenderRight::Own),
            // An alias reaching someone else too is a list, not alice's.
            ("both@example.org", SenderRight::Denied),
            // The catch-all reaches alice, but does not make every address hers.
            ("random@example.org", SenderRight::Denied),
            ("sales@example.org", SenderRight::SendAs),
            ("bob@example.org", SenderRight::OnBehalf),
            ("bob+x@example.org", SenderRight::Denied),
            ("alice@other.test", SenderRight::Denied),
            ("", SenderRight::Denied),
            ("alice", SenderRight::Denied),
        ];
        for (address, want) in cases {
            assert_eq!(
                core.sender_right(&alice, address).await.unwrap(),
                want,
                "{address:?}"
            );
        }
        // Delegations are per account.
        assert_eq!(
            core.sender_right(&bob, "sales@example.org").await.unwrap(),
            SenderRight::Denied
        );
        assert_eq!(
            core.sender_right(&bob, "bob@example.org").await.unwrap(),
            SenderRight::Own
        );
        // Removing a delegation takes the right away.
        store
            .delegation_remove(alice.id, "sales@example.org")
            .await
            .unwrap();
        assert_eq!(
            core.sender_right(&alice, "sales@example.org").await.unwrap(),
            SenderRight::Denied
        );
    }
}
