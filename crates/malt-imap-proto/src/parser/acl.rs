//! SETACL, DELETEACL, GETACL, LISTRIGHTS and MYRIGHTS (RFC 4314 §3).

use super::{Cursor, PResult};
use crate::command::CommandKind;

pub(super) fn parse(c: &mut Cursor<'_>, name: &str) -> PResult<CommandKind> {
    c.sp()?;
    let mailbox = c.mailbox()?;
    Ok(match name {
        "GETACL" => CommandKind::GetAcl { mailbox },
        "MYRIGHTS" => CommandKind::MyRights { mailbox },
        _ => {
            c.sp()?;
            let identifier = c.astring()?;
            match name {
                "DELETEACL" => CommandKind::DeleteAcl { mailbox, identifier },
                "LISTRIGHTS" => CommandKind::ListRights { mailbox, identifier },
                _ => {
                    c.sp()?;
                    CommandKind::SetAcl {
                        mailbox,
                        identifier,
                        rights: c.astring()?,
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(
            parse_one("a SETACL INBOX/Drafts Fred +rwi\r\n"),
            CommandKind::SetAcl {
                mailbox: "INBOX/Drafts".into(),
                identifier: "Fred".into(),
                rights: "+rwi".into()
            }
        );
        assert_eq!(
            parse_one("a DELETEACL x -Fred\r\n"),
            CommandKind::DeleteAcl {
                mailbox: "x".into(),
                identifier: "-Fred".into()
            }
        );
        assert_eq!(
            parse_one("a GETACL x\r\n"),
            CommandKind::GetAcl { mailbox: "x".into() }
        );
        assert_eq!(
            parse_one("a LISTRIGHTS x anyone\r\n"),
            CommandKind::ListRights {
                mailbox: "x".into(),
                identifier: "anyone".into()
            }
        );
        assert_eq!(
            parse_one("a MYRIGHTS x\r\n"),
            CommandKind::MyRights { mailbox: "x".into() }
        );
        parse_bad("a SETACL x Fred\r\n");
    }
}
