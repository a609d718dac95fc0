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
//! - Limits are set by the administrator (`malt` CLI), never by a client: SETQUOTA is `NO`.

use malt_imap_proto::ResponseCode;
use malt_store::QuotaUsage;

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
    let mb = match s.core.mailbox(account, &name).await {
        Ok(Some(mb)) => mb,
        Ok(None) => return Outcome::no(Some(ResponseCode::NonExistent), "No such mailbox"),
        Err(e) => return store_error(&e),
    };
    let usage = match s.core.storage().store.quota(account).await {
        Ok(q) => q,
        Err(e) => return store_error(&e),
    };
    let roots: &[&str] = if usage.limit_bytes.is_some() { &[ROOT] } else { &[] };
    s.out.quota_root(&mb.name, roots);
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
