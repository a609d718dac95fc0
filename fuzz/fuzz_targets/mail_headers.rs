//! Any bytes as a message's header, through the header rewriting of the delivery and submission paths:
//! removing forged Authentication-Results (RFC 8601 §5), adding Message-ID/Date (RFC 6409 §8),
//! replacing Sender, reading From/Sender addresses and the duplicate-suppression key. Never a panic;
//! rewriting only removes or adds whole header lines, so the body is kept.
#![no_main]

use libfuzzer_sys::fuzz_target;
use malt_core::{dedup, sender_auth, submission};

fuzz_target!(|data: &[u8]| {
    if let Some(stripped) = sender_auth::strip_own_results(data, "mx.example.org") {
        assert!(stripped.len() <= data.len());
    }
    let added = submission::add_missing_fields(data, "mx.example.org", 1_700_000_000);
    assert!(added.len() >= data.len());
    let _ = submission::replace_sender(data, "user@example.org");
    let _ = submission::header_addresses(data, false);
    let _ = submission::header_addresses(data, true);
    let _ = dedup::message_key(data);
});
