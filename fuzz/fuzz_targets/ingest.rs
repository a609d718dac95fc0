//! Message ingest never panics, and every part's byte offsets lie within the input and nest.
#![no_main]

use libfuzzer_sys::fuzz_target;
use malt_store::BodyPart;

fn check(p: &BodyPart, lo: u64, hi: u64) {
    assert!(lo <= p.header_start && p.header_start <= p.body_start, "{p:?}");
    assert!(p.body_start <= p.body_end && p.body_end <= hi, "{p:?}");
    for c in &p.parts {
        check(c, p.body_start.min(p.header_start), p.body_end);
    }
}

fuzz_target!(|data: &[u8]| {
    let meta = malt_core::parse_message(data);
    check(&meta.body, 0, data.len() as u64);
    assert!(meta.preview.chars().count() <= 256);
});
