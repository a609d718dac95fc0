//! GETQUOTA, GETQUOTAROOT and SETQUOTA (RFC 9208 §4.1). One quota root per account, named `""`,
//! covers every mailbox; its one resource is STORAGE (RFC 9208 §5.1), the account's message
//! octets against its byte limit. Malt has no message-count limit, so MESSAGE is not announced.
//!
//! Invariants:
//! - The root exists only while the account has a limit: RFC 9208 §5.1's `quota-list` needs at
//!   least one resource, so an unlimited account has no root (`* QUOTAROOT mailbox` lists none,
//!   GETQUOTA `""` is `NO [NONEXISTENT]`).
//! - STORAGE is in units of 1024 octets (RFC 9208 §5.1): usage rounded up, limit rounded down,
//!   so the client never sees more room than there is.
//! - A mailbox of another account (RFC 4314, `Other Users/<owner>/...` or `Shared/...`) is under
//!   its OWNER's quota: GETQUOTAROOT names that root `Other Users/<owner>` (or `Shared`), the
//!   owner's namespace level, and answers its `* QUOTA`. GETQUOTA only knows the user's own `""`.
//! - Limits are set by the administrator (`malt` CLI), never by a client: SETQUOTA is `NO`.

use malt_imap_proto::ResponseCode;
use malt_store::QuotaUsage;

use malt_core::acl::Rights;

use crate::access;
use crate::op::{mailbox_name, store_error};
use crate::session::{Outcome, Session};

/// The name of the account's quota root.
const ROOT: &str = "";

/// Writes `* QUOTA "" (STORAGE used limit)` when the account has a limit; whether it has.
fn write_quota(s: &mut Session, usage: &QuotaUsage) -> bool {
    let Some(limit) = usage.limit_bytes else {
        return false;
    };
    let used_kib = usage.used_bytes.div_ceil(1024);
    s.out.quota(ROOT, &[("STORAGE", used_kib, limit / 1024)]);
    true
}

/// GETQUOTAROOT (RFC 9208 §4.1.2): `* QUOTAROOT mailbox ""` then the root's `* QUOTA`.
pub(crate) async fn get_root(s: &mut Session, mailbox: &str) -> Outcome {
    let Some(account) = s.state.account().map(|a| a.id) else {
        return Outcome::bad("Not authenticated");
    };
    let name = match mailbox_name(s, mailbox) {
        Ok(n) => n,
        Err(o) => return o,
    };
    let _ = account;
    let target = match access::resolve(s, &name).await {
        Ok(t) => t,
        Err(o) => return o,
    };
    // Any right reveals the mailbox (RFC 4314 §4: none is `[NONEXISTENT]`).
    if let Err(o) = target.need(Rights::NONE) {
        return o;
    }
    let usage = match s.core.storage().store.quota(target.owner).await {
        Ok(q) => q,
        Err(e) => return store_error(&e),
    };
    if !target.own {
        // The owner's root, named after the owner's namespace level (see the module doc).
        let root = owner_root(&target.display, &target.name);
        let roots: Vec<&str> = usage.limit_bytes.iter().map(|_| root.as_str()).collect();
        s.out.quota_root(&target.display, &roots);
        if let Some(limit) = usage.limit_bytes {
            let used_kib = usage.used_bytes.div_ceil(1024);
            s.out.quota(&root, &[("STORAGE", used_kib, limit / 1024)]);
        }
        return Outcome::ok("GETQUOTAROOT completed");
    }
    let roots: &[&str] = if usage.limit_bytes.is_some() { &[ROOT] } else { &[] };
    s.out.quota_root(&target.display, roots);
    write_quota(s, &usage);
    Outcome::ok("GETQUOTAROOT completed")
}

/// GETQUOTA (RFC 9208 §4.1.1): only the root `""` exists (while the account has a limit).
pub(crate) async fn get(s: &mut Session, root: &str) -> Outcome {
    let Some(account) = s.state.account().map(|a| a.id) else {
        return Outcome::bad("Not authenticated");
    };
    if root != ROOT {
        return Outcome::no(Some(ResponseCode::NonExistent), "No such quota root");
    }
    let usage = match s.core.storage().store.quota(account).await {
        Ok(q) => q,
        Err(e) => return store_error(&e),
    };
    if write_quota(s, &usage) {
        Outcome::ok("GETQUOTA completed")
    } else {
        Outcome::no(
            Some(ResponseCode::NonExistent),
            "No quota limit is set for this account",
        )
    }
}

/// SETQUOTA (RFC 9208 §4.1.3): refused; limits are administrative.
pub(crate) fn set() -> Outcome {
    Outcome::no(
        Some(ResponseCode::NoPerm),
        "Quota limits are set by the administrator with the malt command-line tool",
    )
}

/// The quota root of another account's mailbox: the client name of the owner's namespace level
/// without the trailing delimiter, `Other Users/<owner>` (or `Shared`).
fn owner_root(display: &str, name: &str) -> String {
    display
        .strip_suffix(name)
        .and_then(|p| p.strip_suffix(malt_store::HIERARCHY_SEPARATOR))
        .unwrap_or(display)
        .to_owned()
}
