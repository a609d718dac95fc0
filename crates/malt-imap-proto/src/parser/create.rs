//! CREATE (RFC 9051 §6.3.4) with `USE (...)` (RFC 6154 §3 CREATE-SPECIAL-USE).

use super::{Cursor, PResult};
use crate::command::CommandKind;

pub(super) fn parse(c: &mut Cursor<'_>) -> PResult<CommandKind> {
    c.sp()?;
    let mailbox = c.mailbox()?;
    let mut special_use = Vec::new();
    if c.eat(b' ') {
        // create-param: only USE is known.
        c.expect(b'(')?;
        if !c.eat_keyword("USE") {
            return Err("unknown CREATE parameter".into());
        }
        c.sp()?;
        special_use = c.paren_list(true, |c| {
            c.expect(b'\\')?;
            c.atom()
        })?;
        c.expect(b')')?;
    }
    Ok(CommandKind::Create { mailbox, special_use })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(
            parse_one("a CREATE foo/bar\r\n"),
            CommandKind::Create {
                mailbox: "foo/bar".into(),
                special_use: vec![]
            }
        );
        assert_eq!(
            parse_one("a CREATE inbox\r\n"),
            CommandKind::Create {
                mailbox: "INBOX".into(),
                special_use: vec![]
            }
        );
        assert_eq!(
            parse_one("a CREATE \"Sent Items\" (USE (\\Sent \\Archive))\r\n"),
            CommandKind::Create {
                mailbox: "Sent Items".into(),
                special_use: vec!["Sent".into(), "Archive".into()]
            }
        );
        parse_bad("a CREATE x (USE (Sent))\r\n");
        parse_bad("a CREATE x (FOO)\r\n");
    }
}
