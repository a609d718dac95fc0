//! Any bytes as what an SMTP server answered the outbound client: the reply parser returns a reply, asks
//! for more, or refuses (never a panic), consumes no more than it was given, and never accepts a reply
//! past its size limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use malt_outbound::reply::parse_reply;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some((reply, used))) = parse_reply(rest) {
        assert!(used > 0 && used <= rest.len());
        assert!(reply.code < 1000, "three digits");
        rest = &rest[used..];
    }
});
