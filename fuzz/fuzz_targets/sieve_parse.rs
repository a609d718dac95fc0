//! Any bytes as a Sieve script, through the whole compiler (`malt_sieve::compile`: lexer,
//! grammar, argument checks, `encoded-character`, variable templates, regex keys). Never a panic;
//! an error report holds at least one and at most `MAX_ERRORS` errors, each inside the script;
//! tight limits are checked as well as the defaults.
#![no_main]

use libfuzzer_sys::fuzz_target;
use malt_sieve::compile::MAX_ERRORS;
use malt_sieve::limits::Limits;

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    let tight = Limits {
        max_script_size: 512,
        max_nesting: 4,
        max_string_len: 16,
        max_list_len: 3,
        ..Limits::default()
    };
    for limits in [Limits::default(), tight] {
        if let Err(errors) = malt_sieve::compile("fuzz", &source, &limits) {
            assert!(!errors.errors.is_empty() && errors.errors.len() <= MAX_ERRORS);
            let lines = source.lines().count() + 1;
            for error in &errors.errors {
                assert!(error.line as usize <= lines);
            }
            let _ = errors.to_string();
        }
    }
});
