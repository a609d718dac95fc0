//! LOGIN (RFC 9051 §6.2.3): `LOGIN userid password`, both astrings.

use super::{Cursor, PResult};
use crate::command::CommandKind;

pub(super) fn parse(c: &mut Cursor<'_>) -> PResult<CommandKind> {
    c.sp()?;
    let username = c.astring()?;
    c.sp()?;
    let password = c.astring()?;
    Ok(CommandKind::Login { username, password })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(
            parse_one("a LOGIN alice secret\r\n"),
            CommandKind::Login {
                username: "alice".into(),
                password: "secret".into()
            }
        );
        assert_eq!(
            parse_one("a LOGIN \"a b\" {2+}\r\nxy\r\n"),
            CommandKind::Login {
                username: "a b".into(),
                password: "xy".into()
            }
        );
        assert_eq!(
            parse_one("a LOGIN ü ]x\r\n"),
            CommandKind::Login {
                username: "ü".into(),
                password: "]x".into()
            }
        );
        parse_bad("a LOGIN alice\r\n");
        parse_bad("a LOGIN alice  pw\r\n");
    }
}
