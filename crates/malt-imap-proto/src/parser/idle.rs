//! IDLE (RFC 2177, RFC 9051 §6.3.13). The session then reads lines itself until `DONE`.

use super::{Cursor, PResult};
use crate::command::CommandKind;

pub(super) fn parse(_c: &mut Cursor<'_>) -> PResult<CommandKind> {
    Ok(CommandKind::Idle)
}

/// Whether `line` (with or without its CRLF) is the `DONE` that ends IDLE (case-insensitive).
/// Any other line is a protocol error: the session answers the IDLE with BAD.
pub fn is_idle_done(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.eq_ignore_ascii_case(b"DONE")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(parse_one("a IDLE\r\n"), CommandKind::Idle);
        parse_bad("a IDLE x\r\n");
        assert!(is_idle_done(b"DONE\r\n"));
        assert!(is_idle_done(b"done"));
        assert!(!is_idle_done(b"DONE x\r\n"));
    }
}
