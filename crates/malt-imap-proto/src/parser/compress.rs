//! COMPRESS (RFC 4978): `COMPRESS DEFLATE`.

use super::{Cursor, PResult};
use crate::command::CommandKind;

pub(super) fn parse(c: &mut Cursor<'_>) -> PResult<CommandKind> {
    c.sp()?;
    Ok(CommandKind::Compress {
        mechanism: c.atom_upper()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(
            parse_one("a COMPRESS deflate\r\n"),
            CommandKind::Compress {
                mechanism: "DEFLATE".into()
            }
        );
        parse_bad("a COMPRESS\r\n");
    }
}
