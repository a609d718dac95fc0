//! SASL PLAIN decoding and the LOGIN exchange never panic; what PLAIN accepts re-encodes to
//! credentials that decode the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use malt_core::auth::sasl::{Mechanism, SaslExchange, Step, parse_plain};

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = parse_plain(data) {
        let again = parse_plain(&c.encode_plain()).expect("re-encoded credentials must parse");
        assert_eq!(again.username, c.username);
        assert_eq!(again.password, c.password);
    }
    let mid = data.len() / 2;
    let (first, second) = data.split_at(mid);
    let (mut ex, step) = SaslExchange::start(Mechanism::Login, None);
    if matches!(step, Step::Challenge(_)) {
        let _ = ex.step(first);
        let _ = ex.step(second);
        let _ = ex.step(data);
    }
});
