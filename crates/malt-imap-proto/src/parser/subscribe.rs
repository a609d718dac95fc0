//! SUBSCRIBE and UNSUBSCRIBE (RFC 9051 §6.3.7-8).

use super::{Cursor, PResult};
use crate::command::CommandKind;

pub(super) fn parse(c: &mut Cursor<'_>, subscribe: bool) -> PResult<CommandKind> {
    c.sp()?;
    let mailbox = c.mailbox()?;
    Ok(if subscribe {
        CommandKind::Subscribe { mailbox }
    } else {
        CommandKind::Unsubscribe { mailbox }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(
            parse_one("a SUBSCRIBE x\r\n"),
            CommandKind::Subscribe { mailbox: "x".into() }
        );
        assert_eq!(
            parse_one("a UNSUBSCRIBE x\r\n"),
            CommandKind::Unsubscribe { mailbox: "x".into() }
        );
    }
}
