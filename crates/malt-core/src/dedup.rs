//! Duplicate suppression: one copy of a message per account within a time window, keyed by its
//! Message-ID (RFC 5322 §3.6.4), as Cyrus's lmtpd `duplicatesuppression` does.
//!
//! Invariants:
//! - The key is the first `Resent-Message-ID` when the message was resent (RFC 5322 §3.6.6: a
//!   resend is a new delivery, it must not be swallowed), else the `Message-ID`; a message without
//!   one (or with one the store refuses: empty, over 998 octets) is never a duplicate.
//! - Check and record are one atomic store operation ([`malt_store::Store::dedup_check_and_record`]):
//!   of two concurrent deliveries of one Message-ID to one account, exactly one stores it.
//! - A delivery that recorded the key and then failed calls [`forget`], so the sender's retry is
//!   not taken for a duplicate (losing mail is worse than a rare double copy).
//! - A store error while checking delivers the copy (never loses mail for the sake of dedup).
//!
//! Callers: the delivery pipeline ([`crate::delivery`]); later, Sieve's `duplicate` test
//! (RFC 7352) with its own keys.

use mail_parser::HeaderName;
use malt_store::{AccountId, Store, StoreError};

/// The duplicate-suppression key of a message: its first `Resent-Message-ID`, else its
/// `Message-ID`, without angle brackets. `None` when it has neither.
pub fn message_key(raw: &[u8]) -> Option<String> {
    let parsed = mail_parser::MessageParser::new().parse_headers(raw)?;
    // The topmost Resent block is the newest (RFC 5322 §3.6.6: each is prepended).
    let resent = parsed
        .headers()
        .iter()
        .find(|h| h.name == HeaderName::ResentMessageId)
        .and_then(|h| h.value.as_text());
    let id = resent.or_else(|| parsed.message_id())?.trim();
    (!id.is_empty()).then(|| id.to_owned())
}

/// Whether `key` was already delivered to `account` within `window_secs` before `now`; records it
/// when not (see the module docs). A store error or an unusable key counts as "not a duplicate".
pub async fn is_duplicate(
    store: &dyn Store,
    account: AccountId,
    key: &str,
    now: i64,
    window_secs: u64,
) -> bool {
    if window_secs == 0 {
        return false;
    }
    let window = i64::try_from(window_secs).unwrap_or(i64::MAX);
    match store.dedup_check_and_record(account, key, now, window).await {
        Ok(duplicate) => duplicate,
        Err(StoreError::Invalid { .. }) => false,
        Err(e) => {
            tracing::warn!(account, error = %e, "duplicate check failed; delivering");
            false
        }
    }
}

/// Undoes the record of a delivery that failed after [`is_duplicate`] recorded it.
pub async fn forget(store: &dyn Store, account: AccountId, key: &str) {
    if let Err(e) = store.dedup_forget(account, key).await {
        tracing::warn!(account, error = %e, "could not forget a failed delivery's Message-ID");
    }
}

/// Removes records older than `window_secs` before `now` (the maintenance loop calls this);
/// returns how many.
pub async fn purge(store: &dyn Store, now: i64, window_secs: u64) -> Result<u64, StoreError> {
    let window = i64::try_from(window_secs).unwrap_or(i64::MAX);
    store.dedup_purge(now.saturating_sub(window)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(
            message_key(b"Message-ID: <a@b.example>\r\n\r\nx").as_deref(),
            Some("a@b.example")
        );
        assert_eq!(
            message_key(
                b"Resent-Message-ID: <r2@b.example>\r\nResent-Message-ID: <r1@b.example>\r\n\
                  Message-ID: <a@b.example>\r\n\r\nx"
            )
            .as_deref(),
            Some("r2@b.example")
        );
        assert_eq!(message_key(b"Subject: none\r\n\r\nx"), None);
        assert_eq!(message_key(b"Message-ID: \r\n\r\nx"), None);
        assert_eq!(message_key(b""), None);
    }
}
