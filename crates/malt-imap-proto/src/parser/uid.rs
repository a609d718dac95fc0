//! UID (RFC 9051 §6.4.9): `UID (COPY|MOVE|FETCH|SEARCH|STORE|EXPUNGE|SORT|THREAD) ...`.

use super::{Cursor, PResult};
use crate::command::CommandKind;

pub(super) fn parse(c: &mut Cursor<'_>) -> PResult<CommandKind> {
    c.sp()?;
    let name = c.atom_upper()?;
    super::dispatch(c, &name, true)
}

#[cfg(test)]
mod tests {
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        parse_bad("a UID LOGIN x y\r\n");
        parse_bad("a UID\r\n");
    }
}
