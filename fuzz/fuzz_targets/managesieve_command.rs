//! Any bytes given to the ManageSieve codec are framed and parsed or refused, never a panic, as a
//! session consumes them (pipelined commands, oversized literals skipped): every frame lies inside
//! the input, `Incomplete` always asks for more than is there, and a parsed command serialises to
//! bytes that parse back to the same command.
#![no_main]

use libfuzzer_sys::fuzz_target;
use malt_managesieve::proto::{Frame, FrameError, Limits, frame, parse_command, parse_sasl_response};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_line: 256,
        max_literal: 1024,
        max_args: 4,
    };
    let mut pos = 0;
    while pos < data.len() {
        let rest = &data[pos..];
        match frame(rest, &limits) {
            Ok(Frame::Complete(n)) => {
                assert!(n > 0 && n <= rest.len());
                let command = &rest[..n];
                if let Ok(cmd) = parse_command(command, &limits) {
                    let bytes = cmd.to_bytes();
                    let again = parse_command(&bytes, &Limits::default());
                    assert_eq!(again.as_ref(), Ok(&cmd), "{:?}", String::from_utf8_lossy(&bytes));
                }
                let _ = parse_sasl_response(command);
                pos += n;
            }
            Ok(Frame::Incomplete { need }) => {
                assert!(need > rest.len());
                break;
            }
            Err(FrameError::LineTooLong) => break,
            Err(FrameError::LiteralTooBig { size, header_end }) => {
                // The session drops the header, skips the literal's octets, then the line's end.
                assert!(header_end <= rest.len());
                let skipped = usize::try_from(size).unwrap_or(usize::MAX);
                let after = header_end.saturating_add(skipped);
                let Some(tail) = rest.get(after..) else { break };
                let Some(lf) = tail.iter().position(|&b| b == b'\n') else { break };
                pos += after + lf + 1;
            }
        }
    }
});
