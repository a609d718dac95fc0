//! Any bytes given to the IMAP command parser are parsed or refused, never a panic; a parsed
//! command serialises to bytes that parse back to the same command (cross-check of parser and
//! `Command::to_bytes`), and consumption never exceeds the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use malt_imap_proto::{Limits, Parsed, parse_command};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_literal: 4096,
        max_append_literal: 65536,
        ..Limits::default()
    };
    let mut pos = 0;
    while pos < data.len() {
        match parse_command(&data[pos..], &limits) {
            Ok((Parsed::Command(cmd), n)) => {
                assert!(n > 0 && pos + n <= data.len());
                pos += n;
                let bytes = cmd.to_bytes();
                // The serialised form may use more octets, arguments or longer lines (expanded
                // FETCH macros, quoted instead of literal strings), never deeper nesting.
                let generous = Limits {
                    max_line: usize::MAX,
                    max_literal: u64::MAX,
                    max_append_literal: u64::MAX,
                    max_append_total: u64::MAX,
                    max_nonsync_literal: u64::MAX,
                    max_command: usize::MAX,
                    max_args: usize::MAX,
                    max_depth: limits.max_depth,
                };
                match parse_command(&bytes, &generous) {
                    Ok((Parsed::Command(again), m)) => {
                        assert_eq!(m, bytes.len());
                        assert_eq!(again, cmd);
                    }
                    other => panic!(
                        "re-parse of {:?} failed: {other:?}",
                        String::from_utf8_lossy(&bytes)
                    ),
                }
            }
            Ok(_) => break,
            Err(e) => {
                assert!(e.consumed() <= data.len() - pos);
                if e.consumed() == 0 {
                    break;
                }
                pos += e.consumed();
            }
        }
    }
});
