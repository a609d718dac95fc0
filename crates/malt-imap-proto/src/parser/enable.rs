//! ENABLE (RFC 5161, RFC 9051 §6.3.1): one or more capability names.

use super::{Cursor, PResult};
use crate::command::CommandKind;

pub(super) fn parse(c: &mut Cursor<'_>) -> PResult<CommandKind> {
    let mut capabilities = Vec::new();
    while c.eat(b' ') {
        capabilities.push(c.atom_upper()?);
    }
    if capabilities.is_empty() {
        return Err("ENABLE needs a capability".into());
    }
    Ok(CommandKind::Enable { capabilities })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(
            parse_one("a ENABLE condstore UTF8=ACCEPT\r\n"),
            CommandKind::Enable {
                capabilities: vec!["CONDSTORE".into(), "UTF8=ACCEPT".into()]
            }
        );
        parse_bad("a ENABLE\r\n");
    }
}
