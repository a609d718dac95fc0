//! RENAME (RFC 9051 §6.3.6).

use super::{Cursor, PResult};
use crate::command::CommandKind;

pub(super) fn parse(c: &mut Cursor<'_>) -> PResult<CommandKind> {
    c.sp()?;
    let from = c.mailbox()?;
    c.sp()?;
    let to = c.mailbox()?;
    Ok(CommandKind::Rename { from, to })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(
            parse_one("a RENAME a &AOQ-\r\n"),
            CommandKind::Rename {
                from: "a".into(),
                to: "&AOQ-".into()
            }
        );
        parse_bad("a RENAME a\r\n");
    }
}
