//! GETMETADATA and SETMETADATA (RFC 5464 §4.2, §4.3): server entries (empty mailbox name,
//! METADATA-SERVER) and mailbox entries (METADATA) of the logged-in account.
//!
//! Invariants:
//! - Entry names are checked before anything is read or written (RFC 5464 §3.2, see
//!   [`check_entry`]); a bad name is `BAD` with the reason.
//! - Names compare case-insensitively (RFC 5464 §3.2): the store keeps them lower-case and
//!   GETMETADATA answers with the stored (lower-case) names.
//! - Limits ([`MAX_VALUE_SIZE`], [`MAX_ENTRIES`], [`MAX_ACCOUNT_BYTES`]) are checked in the
//!   store's write transaction, so concurrent sessions cannot exceed them together; a refused
//!   SETMETADATA changes nothing (RFC 5464 §4.3: the command is atomic).
//! - `/shared/admin` (RFC 5464 §3.2.1.1) is computed, not stored, and read-only.
//! - Private and shared entries are both supported on every mailbox and on the server, so
//!   `[METADATA NOPRIVATE]` (RFC 5464 §4.3) is never sent.

use malt_imap_proto::ResponseCode;
use malt_imap_proto::command::{MetadataDepth, MetadataOptions};
use malt_store::{MailboxId, MetadataEntry, MetadataLimits, MetadataSetOutcome, metadata_name};

use malt_core::acl::Rights;

use crate::access;
use crate::op::{mailbox_name, store_error};
use crate::session::{Outcome, Session};

/// Largest value SETMETADATA accepts, in octets (RFC 5464 §4.3 `[METADATA MAXSIZE n]`). Values
/// above the parser's 64 KiB literal limit are refused earlier, with `[TOOBIG]`.
pub(crate) const MAX_VALUE_SIZE: u64 = 32 * 1024;
/// Most entries per mailbox, and server entries per account (`[METADATA TOOMANY]`).
pub(crate) const MAX_ENTRIES: u64 = 128;
/// Most octets (names plus values) of all the metadata of one account (`[METADATA TOOMANY]`).
pub(crate) const MAX_ACCOUNT_BYTES: u64 = 1024 * 1024;
/// Longest entry name, in octets.
const MAX_NAME: usize = 1024;
/// The read-only server entry with the administrator's contact URI (RFC 5464 §3.2.1.1).
const ADMIN: &str = "/shared/admin";

/// Why an entry name is refused, or `Ok` (RFC 5464 §3.2): it starts with `/private` or
/// `/shared` (exactly, for GETMETADATA with a DEPTH; followed by `/name` to be set), has no `*`
/// or `%`, no empty component (`//`, a trailing `/`), no control characters, and at most
/// [`MAX_NAME`] octets.
fn check_entry(name: &str, settable: bool) -> Result<(), String> {
    let lower = name.to_ascii_lowercase();
    let rest = ["/private", "/shared"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .ok_or_else(|| format!("entry {name:?} must start with /private or /shared"))?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return Err(format!("entry {name:?} must start with /private/ or /shared/"));
    }
    if settable && rest.is_empty() {
        return Err(format!("entry {name:?} names a whole namespace"));
    }
    if name.len() > MAX_NAME {
        return Err(format!("entry name longer than {MAX_NAME} octets"));
    }
    if name.contains(['*', '%']) {
        return Err(format!("entry {name:?} contains a wildcard"));
    }
    if name.contains("//") || name.ends_with('/') {
        return Err(format!("entry {name:?} has an empty component"));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("entry {name:?} contains a control character"));
    }
    Ok(())
}

/// The target of a command: the account's server entries (empty mailbox name) or a mailbox's.
/// Returns the account whose entries they are, the target and the mailbox name to echo in
/// `* METADATA`. Another account's mailbox (RFC 4314) has its owner's entries; reading them needs
/// `r`, changing them `w` (`needed`; RFC 5464 §4.2, §4.3 with RFC 4314 §4).
async fn target(
    s: &Session,
    account: i64,
    mailbox: &str,
    needed: Rights,
) -> Result<(i64, Option<MailboxId>, String), Outcome> {
    if mailbox.is_empty() {
        return Ok((account, None, String::new()));
    }
    let name = mailbox_name(s, mailbox)?;
    let target = access::resolve(s, &name).await?;
    let needed = if target.own { Rights::NONE } else { needed };
    let mb = target.need(needed)?;
    Ok((target.owner, Some(mb.id), target.display.clone()))
}

/// Whether stored entry `name` answers request `want` (both normalised) at `depth`
/// (RFC 5464 §4.2.2: 0 the entry itself, 1 also its children, infinity every descendant).
fn matches(name: &str, want: &str, depth: MetadataDepth) -> bool {
    if name == want {
        return true;
    }
    let Some(below) = name.strip_prefix(want).and_then(|r| r.strip_prefix('/')) else {
        return false;
    };
    match depth {
        MetadataDepth::Zero => false,
        MetadataDepth::One => !below.contains('/'),
        MetadataDepth::Infinity => true,
    }
}

/// Adds one entry to a GETMETADATA answer, once; a value over `max_size` is left out and
/// raises `longest` instead (RFC 5464 §4.2.1).
fn answer<'a>(
    out: &mut Vec<(String, Option<&'a [u8]>)>,
    longest: &mut Option<u64>,
    max_size: Option<u64>,
    name: &str,
    value: Option<&'a [u8]>,
) {
    if out.iter().any(|(n, _)| n == name) {
        return;
    }
    let size = value.map_or(0, |v| v.len() as u64);
    if let Some(max) = max_size
        && size > max
    {
        *longest = Some(longest.map_or(size, |l| l.max(size)));
        return;
    }
    out.push((name.to_owned(), value));
}

/// GETMETADATA (RFC 5464 §4.2). Each requested entry is answered with its value (or, at DEPTH
/// 0, NIL when it has none); with DEPTH 1 or infinity its existing descendants follow
/// (§4.2.2). With MAXSIZE, longer values are left out and the OK carries
/// `[METADATA LONGENTRIES n]`, `n` the size of the longest one left out (§4.2.1).
pub(crate) async fn get(
    s: &mut Session,
    options: MetadataOptions,
    mailbox: &str,
    entries: &[String],
) -> Outcome {
    let Some(account) = s.state.account() else {
        return Outcome::bad("Not authenticated");
    };
    let (account, domain) = (
        account.id,
        account
            .address
            .rsplit_once('@')
            .map(|(_, d)| d.to_owned())
            .unwrap_or_default(),
    );
    for e in entries {
        if let Err(why) = check_entry(e, false) {
            return Outcome::bad(why);
        }
    }
    let (account, mailbox_id, echo) = match target(s, account, mailbox, Rights::READ).await {
        Ok(t) => t,
        Err(o) => return o,
    };
    let mut stored = match s.core.storage().store.metadata_get(account, mailbox_id).await {
        Ok(v) => v,
        Err(e) => return store_error(&e),
    };
    if mailbox_id.is_none() {
        stored.push(MetadataEntry {
            mailbox_id: None,
            name: ADMIN.to_owned(),
            value: format!("mailto:postmaster@{domain}").into_bytes(),
        });
        // Descendants are answered in name order, as the store returns them.
        stored.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let depth = options.depth.unwrap_or(MetadataDepth::Zero);
    let mut out: Vec<(String, Option<&[u8]>)> = Vec::new();
    let mut longest: Option<u64> = None;
    for want in entries {
        let want = metadata_name(want);
        let exact = stored.iter().find(|e| e.name == want);
        if exact.is_some() || depth == MetadataDepth::Zero {
            let value = exact.map(|e| e.value.as_slice());
            answer(&mut out, &mut longest, options.max_size, &want, value);
        }
        for e in stored
            .iter()
            .filter(|e| e.name != want && matches(&e.name, &want, depth))
        {
            answer(&mut out, &mut longest, options.max_size, &e.name, Some(&e.value));
        }
    }
    if !out.is_empty() {
        let refs: Vec<(&str, Option<&[u8]>)> = out.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        s.out.metadata(&echo, &refs);
    }
    match longest {
        Some(n) => Outcome::ok("GETMETADATA completed").code(ResponseCode::MetadataLongEntries(n)),
        None => Outcome::ok("GETMETADATA completed"),
    }
}

/// SETMETADATA (RFC 5464 §4.3): all entries or none. A NIL value removes the entry. Codes:
/// `[METADATA MAXSIZE n]` for a value over [`MAX_VALUE_SIZE`], `[METADATA TOOMANY]` when the
/// entry count of the target or the account's metadata octets would pass their limit, `[NOPERM]`
/// for the read-only `/shared/admin` server entry.
pub(crate) async fn set(s: &mut Session, mailbox: &str, entries: &[(String, Option<Vec<u8>>)]) -> Outcome {
    let Some(account) = s.state.account().map(|a| a.id) else {
        return Outcome::bad("Not authenticated");
    };
    for (name, _) in entries {
        if let Err(why) = check_entry(name, true) {
            return Outcome::bad(why);
        }
    }
    let (account, mailbox_id, _) = match target(s, account, mailbox, Rights::WRITE).await {
        Ok(t) => t,
        Err(o) => return o,
    };
    if mailbox_id.is_none() && entries.iter().any(|(n, _)| n.eq_ignore_ascii_case(ADMIN)) {
        return Outcome::no(Some(ResponseCode::NoPerm), "/shared/admin is read-only");
    }
    if entries
        .iter()
        .any(|(_, v)| v.as_ref().is_some_and(|v| v.len() as u64 > MAX_VALUE_SIZE))
    {
        return Outcome::no(
            Some(ResponseCode::MetadataMaxSize(MAX_VALUE_SIZE)),
            "Value too long",
        );
    }
    let limits = MetadataLimits {
        max_entries: MAX_ENTRIES,
        max_account_bytes: MAX_ACCOUNT_BYTES,
    };
    let store = &s.core.storage().store;
    match store.metadata_set(account, mailbox_id, entries, limits).await {
        Ok(MetadataSetOutcome::Stored) => Outcome::ok("SETMETADATA completed"),
        Ok(MetadataSetOutcome::TooManyEntries) => Outcome::no(
            Some(ResponseCode::MetadataTooMany),
            format!("At most {MAX_ENTRIES} entries per mailbox"),
        ),
        Ok(MetadataSetOutcome::TooLarge) => Outcome::no(
            Some(ResponseCode::MetadataTooMany),
            format!("At most {MAX_ACCOUNT_BYTES} octets of metadata per account"),
        ),
        Err(e) => store_error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names() {
        for ok in [
            "/private/comment",
            "/shared/vendor/x/y",
            "/PRIVATE/Comment",
            "/shared/a b",
        ] {
            assert!(check_entry(ok, true).is_ok(), "{ok}");
        }
        assert!(check_entry("/shared", false).is_ok());
        for bad in [
            "/shared",
            "/private",
            "/other/x",
            "private/x",
            "/sharedx/y",
            "/shared/a*",
            "/shared/a%b",
            "/shared//a",
            "/shared/a/",
            "/shared/a\u{1}",
            "",
        ] {
            assert!(check_entry(bad, true).is_err(), "{bad:?}");
        }
        assert!(check_entry(&format!("/shared/{}", "a".repeat(MAX_NAME)), true).is_err());
    }

    #[test]
    fn depth() {
        use MetadataDepth as D;
        assert!(matches("/shared/a", "/shared/a", D::Zero));
        assert!(!matches("/shared/a/b", "/shared/a", D::Zero));
        assert!(matches("/shared/a/b", "/shared/a", D::One));
        assert!(!matches("/shared/a/b/c", "/shared/a", D::One));
        assert!(matches("/shared/a/b/c", "/shared/a", D::Infinity));
        assert!(!matches("/shared/ab", "/shared/a", D::Infinity));
    }
}
