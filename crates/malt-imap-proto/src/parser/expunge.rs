//! EXPUNGE (RFC 9051 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1).

use super::{Cursor, PResult};
use crate::command::CommandKind;

pub(super) fn parse(_c: &mut Cursor<'_>) -> PResult<CommandKind> {
    Ok(CommandKind::Expunge)
}

pub(super) fn parse_uid(c: &mut Cursor<'_>) -> PResult<CommandKind> {
    c.sp()?;
    Ok(CommandKind::UidExpunge {
        set: c.sequence_set()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(parse_one("a EXPUNGE\r\n"), CommandKind::Expunge);
        assert_eq!(
            parse_one("a UID EXPUNGE 1:2\r\n"),
            CommandKind::UidExpunge { set: set(&[(1, 2)]) }
        );
        parse_bad("a UID EXPUNGE\r\n");
    }
}
