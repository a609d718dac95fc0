//! GETQUOTA, GETQUOTAROOT and SETQUOTA (RFC 9208 §4).

use super::{Cursor, PResult};
use crate::command::CommandKind;

pub(super) fn parse(c: &mut Cursor<'_>, name: &str) -> PResult<CommandKind> {
    c.sp()?;
    Ok(match name {
        "GETQUOTA" => CommandKind::GetQuota { root: c.astring()? },
        "GETQUOTAROOT" => CommandKind::GetQuotaRoot {
            mailbox: c.mailbox()?,
        },
        _ => {
            let root = c.astring()?;
            c.sp()?;
            let limits = c.paren_list(true, |c| {
                let resource = c.atom_upper()?;
                c.sp()?;
                Ok((resource, c.number64()?))
            })?;
            CommandKind::SetQuota { root, limits }
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
            parse_one("a GETQUOTA \"\"\r\n"),
            CommandKind::GetQuota { root: "".into() }
        );
        assert_eq!(
            parse_one("a GETQUOTAROOT inbox\r\n"),
            CommandKind::GetQuotaRoot {
                mailbox: "INBOX".into()
            }
        );
        assert_eq!(
            parse_one("a SETQUOTA \"\" (storage 512 MESSAGE 100)\r\n"),
            CommandKind::SetQuota {
                root: "".into(),
                limits: vec![("STORAGE".into(), 512), ("MESSAGE".into(), 100)]
            }
        );
        parse_bad("a SETQUOTA \"\" (STORAGE)\r\n");
        parse_bad("a GETQUOTA\r\n");
    }
}
