//! Any bytes as a WebDAV request or response body: every parser of `malt-dav-proto` parses or
//! refuses, never a panic; a body read as a multistatus is written and read back unchanged, and
//! so is any element tree the reader builds. The checks live beside the inputs they once failed
//! on (`crates/malt-dav-proto/tests/fuzz/`), which the crate's tests run.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../../crates/malt-dav-proto/tests/fuzz/dav_xml_check.rs");

fuzz_target!(|data: &[u8]| dav_xml_check(data));
