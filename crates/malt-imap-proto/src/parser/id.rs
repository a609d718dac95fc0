//! ID (RFC 2971 §3.1): `ID NIL` or `ID ("field" "value"|NIL ...)`, at most 30 pairs.

use super::{Cursor, PResult};
use crate::command::CommandKind;

const MAX_PAIRS: usize = 30;

pub(super) fn parse(c: &mut Cursor<'_>) -> PResult<CommandKind> {
    c.sp()?;
    if c.eat_keyword("NIL") {
        return Ok(CommandKind::Id(None));
    }
    let pairs = c.paren_list(true, |c| {
        let field = c.string()?;
        c.sp()?;
        let value = match c.nstring()? {
            Some(v) => Some(String::from_utf8(v).map_err(|_| "invalid UTF-8".to_string())?),
            None => None,
        };
        Ok((field, value))
    })?;
    if pairs.len() > MAX_PAIRS {
        return Err("too many ID fields".into());
    }
    Ok(CommandKind::Id(Some(pairs)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(parse_one("a ID NIL\r\n"), CommandKind::Id(None));
        assert_eq!(
            parse_one("a ID (\"name\" \"sodr\" \"version\" NIL)\r\n"),
            CommandKind::Id(Some(vec![
                ("name".into(), Some("sodr".into())),
                ("version".into(), None)
            ]))
        );
        parse_bad("a ID (name \"x\")\r\n");
        parse_bad("a ID\r\n");
    }
}
