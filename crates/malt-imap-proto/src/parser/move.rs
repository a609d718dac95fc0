//! MOVE and UID MOVE (RFC 6851, RFC 9051 §6.4.8): `MOVE sequence-set mailbox`.

use super::{Cursor, PResult};
use crate::command::CommandKind;

pub(super) fn parse(c: &mut Cursor<'_>, uid: bool) -> PResult<CommandKind> {
    let (set, mailbox) = super::copy::set_and_mailbox(c)?;
    Ok(CommandKind::Move { uid, set, mailbox })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(
            parse_one("a UID MOVE 42:69 foo\r\n"),
            CommandKind::Move {
                uid: true,
                set: set(&[(42, 69)]),
                mailbox: "foo".into()
            }
        );
        parse_bad("a MOVE foo\r\n");
    }
}
