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

use malt_store::{Account, StoreError};

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
        Ok(SenderRight::Denied)
    }
}
