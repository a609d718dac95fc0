//! DELETE (RFC 9051 §6.3.5).

use super::{Cursor, PResult};
use crate::command::CommandKind;

pub(super) fn parse(c: &mut Cursor<'_>) -> PResult<CommandKind> {
    c.sp()?;
    Ok(CommandKind::Delete {
        mailbox: c.mailbox()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(
            parse_one("a DELETE \"a b\"\r\n"),
            CommandKind::Delete {
                mailbox: "a b".into()
            }
        );
        parse_bad("a DELETE\r\n");
    }
}
