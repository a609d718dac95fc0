//! AUTHENTICATE (RFC 9051 §6.2.2) with SASL-IR (RFC 4959), and the continuation-line helper.

use base64::Engine;

use super::{Cursor, PResult};
use crate::command::CommandKind;

pub(super) fn parse(c: &mut Cursor<'_>) -> PResult<CommandKind> {
    c.sp()?;
    let mechanism = c.atom_upper()?;
    let mut initial = None;
    if c.eat(b' ') {
        // RFC 4959: base64 or "=" for an empty response.
        if c.eat(b'=') {
            initial = Some(Vec::new());
        } else {
            let text = c.atom()?;
            initial = Some(decode(text.as_bytes()).ok_or_else(|| "invalid base64".to_string())?);
        }
    }
    Ok(CommandKind::Authenticate { mechanism, initial })
}

fn decode(text: &[u8]) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// Decodes a client's SASL continuation line (RFC 9051 §6.2.2): `Ok(Some(bytes))` for base64
/// data (an empty line is an empty response), `Ok(None)` for `*` (the client cancels: answer BAD).
pub fn parse_sasl_continuation(line: &[u8]) -> Result<Option<Vec<u8>>, crate::parser::ParseError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line == b"*" {
        return Ok(None);
    }
    if line == b"=" {
        return Ok(Some(Vec::new()));
    }
    decode(line)
        .map(Some)
        .ok_or_else(|| crate::parser::ParseError::Bad {
            tag: None,
            reason: "invalid base64 in SASL response".into(),
            consumed: 0,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(
            parse_one("a AUTHENTICATE plain\r\n"),
            CommandKind::Authenticate {
                mechanism: "PLAIN".into(),
                initial: None
            }
        );
        assert_eq!(
            parse_one("a AUTHENTICATE PLAIN AHVzZXIAcHc=\r\n"),
            CommandKind::Authenticate {
                mechanism: "PLAIN".into(),
                initial: Some(b"\0user\0pw".to_vec())
            }
        );
        assert_eq!(
            parse_one("a AUTHENTICATE EXTERNAL =\r\n"),
            CommandKind::Authenticate {
                mechanism: "EXTERNAL".into(),
                initial: Some(vec![])
            }
        );
        parse_bad("a AUTHENTICATE PLAIN !!!\r\n");
        parse_bad("a AUTHENTICATE\r\n");
    }

    #[test]
    fn continuation() {
        assert_eq!(parse_sasl_continuation(b"*\r\n").unwrap(), None);
        assert_eq!(
            parse_sasl_continuation(b"dXNlcg==\r\n").unwrap(),
            Some(b"user".to_vec())
        );
        assert_eq!(parse_sasl_continuation(b"\r\n").unwrap(), Some(vec![]));
        assert!(parse_sasl_continuation(b"%%%\r\n").is_err());
    }
}
