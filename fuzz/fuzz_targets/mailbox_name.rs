//! Mailbox name validation never panics, and what it accepts is a fixed point.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(name) = std::str::from_utf8(data)
        && let Ok(norm) = malt_core::validate_mailbox_name(name)
    {
        assert_eq!(malt_core::validate_mailbox_name(&norm).ok(), Some(norm));
    }
});
