//! GETMETADATA and SETMETADATA (RFC 5464 §4.2-4.3).

use super::{Cursor, PResult};
use crate::command::{CommandKind, MetadataDepth, MetadataOptions};

pub(super) fn parse_get(c: &mut Cursor<'_>) -> PResult<CommandKind> {
    c.sp()?;
    let mut options = MetadataOptions::default();
    if c.peek() == Some(b'(') {
        c.paren_list(false, |c| {
            match c.atom_upper()?.as_str() {
                "MAXSIZE" => {
                    c.sp()?;
                    options.max_size = Some(c.number64()?);
                }
                "DEPTH" => {
                    c.sp()?;
                    options.depth = Some(match c.atom_upper()?.as_str() {
                        "0" => MetadataDepth::Zero,
                        "1" => MetadataDepth::One,
                        "INFINITY" => MetadataDepth::Infinity,
                        _ => return Err("bad DEPTH".into()),
                    });
                }
                other => return Err(format!("unknown GETMETADATA option {other}")),
            }
            Ok(())
        })?;
        c.sp()?;
    }
    let mailbox = c.mailbox()?;
    c.sp()?;
    let entries = if c.peek() == Some(b'(') {
        c.paren_list(false, |c| c.astring())?
    } else {
        vec![c.astring()?]
    };
    Ok(CommandKind::GetMetadata {
        options,
        mailbox,
        entries,
    })
}

pub(super) fn parse_set(c: &mut Cursor<'_>) -> PResult<CommandKind> {
    c.sp()?;
    let mailbox = c.mailbox()?;
    c.sp()?;
    let entries = c.paren_list(false, |c| {
        let entry = c.astring()?;
        c.sp()?;
        let value = if c.peek() == Some(b'~') {
            Some(c.literal()?.0)
        } else {
            c.nstring()?
        };
        Ok((entry, value))
    })?;
    Ok(CommandKind::SetMetadata { mailbox, entries })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(
            parse_one("a GETMETADATA (MAXSIZE 1024 DEPTH infinity) INBOX (/shared/comment /private/x)\r\n"),
            CommandKind::GetMetadata {
                options: MetadataOptions {
                    max_size: Some(1024),
                    depth: Some(MetadataDepth::Infinity)
                },
                mailbox: "INBOX".into(),
                entries: vec!["/shared/comment".into(), "/private/x".into()]
            }
        );
        assert_eq!(
            parse_one("a GETMETADATA \"\" /shared/admin\r\n"),
            CommandKind::GetMetadata {
                options: MetadataOptions::default(),
                mailbox: "".into(),
                entries: vec!["/shared/admin".into()]
            }
        );
        assert_eq!(
            parse_one(
                "a SETMETADATA INBOX (/private/comment \"My\" /shared/x NIL /shared/b ~{2}\r\n\0\x01)\r\n"
            ),
            CommandKind::SetMetadata {
                mailbox: "INBOX".into(),
                entries: vec![
                    ("/private/comment".into(), Some(b"My".to_vec())),
                    ("/shared/x".into(), None),
                    ("/shared/b".into(), Some(vec![0, 1]))
                ]
            }
        );
        parse_bad("a GETMETADATA (DEPTH 2) INBOX /x\r\n");
        parse_bad("a SETMETADATA INBOX (/x)\r\n");
    }
}
