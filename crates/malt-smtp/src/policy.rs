//! Who may do what in the SMTP modes: local domains, relaying, and the postmaster's address.
//!
//! Invariants:
//! - A domain is local when the store knows it (`store.domain_get`), compared case-insensitively.
//! - Relaying (a recipient in a non-local domain) is allowed only to an authenticated client or a
//!   client whose address is in `smtp.relay_networks`. The default list is empty, so an
//!   unauthenticated client never relays, not even from loopback: Malt is never an open relay.
//! - `<Postmaster>` (RFC 5321 §4.5.1: accepted without a domain) is delivered to `smtp.postmaster`
//!   when set, else to `postmaster@D` for the first local domain D among: the host name itself, the
//!   host name without its first label (`mail.example.org` → `example.org`), then the
//!   alphabetically first local domain. The address is then resolved through the directory like
//!   any recipient (an alias `postmaster@D` is the usual way to route it).

use malt_store::StoreError;

use crate::session::Session;

/// Whether `domain` is one of ours.
pub(crate) async fn is_local_domain(s: &Session, domain: &str) -> Result<bool, StoreError> {
    s.core.is_local_domain(domain).await
}

/// Whether this client may send to non-local domains.
pub(crate) fn may_relay(s: &Session) -> bool {
    s.user.is_some() || s.relay_networks.iter().any(|n| n.contains(s.remote))
}

/// The address `<Postmaster>` is delivered to; `None` when there is no local domain at all.
pub(crate) async fn postmaster(s: &Session) -> Result<Option<String>, StoreError> {
    if let Some(a) = &s.ctx.config.smtp.postmaster {
        return Ok(Some(a.trim().to_owned()));
    }
    let host = s.hostname().trim().to_lowercase();
    let parent = host.split_once('.').map(|(_, p)| p.to_owned());
    for candidate in std::iter::once(host).chain(parent) {
        if is_local_domain(s, &candidate).await? {
            return Ok(Some(format!("postmaster@{candidate}")));
        }
    }
    let domains = s.core.storage().store.domain_list().await?;
    let first = domains.iter().map(|d| d.name.to_lowercase()).min();
    Ok(first.map(|d| format!("postmaster@{d}")))
}
