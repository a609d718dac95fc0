//! STORE and UID STORE (RFC 9051 §6.4.6) with `(UNCHANGEDSINCE n)` (RFC 7162 §3.1.3).
//!
//! `STORE sequence-set [(UNCHANGEDSINCE n)] [+|-]FLAGS[.SILENT] (flag-list | flag *(SP flag))`.

use super::{Cursor, PResult};
use crate::command::{CommandKind, StoreArgs, StoreMode};

pub(super) fn parse(c: &mut Cursor<'_>, uid: bool) -> PResult<CommandKind> {
    c.sp()?;
    let set = c.sequence_set()?;
    c.sp()?;
    let mut unchanged_since = None;
    if c.peek() == Some(b'(') {
        c.paren_list(false, |c| {
            if c.eat_keyword("UNCHANGEDSINCE") {
                c.sp()?;
                unchanged_since = Some(c.number64()?);
                Ok(())
            } else {
                Err("unknown STORE modifier".into())
            }
        })?;
        c.sp()?;
    }
    let mode = if c.eat(b'+') {
        StoreMode::Add
    } else if c.eat(b'-') {
        StoreMode::Remove
    } else {
        StoreMode::Replace
    };
    let (silent, ok) = match c.atom_upper()?.as_str() {
        "FLAGS" => (false, true),
        "FLAGS.SILENT" => (true, true),
        _ => (false, false),
    };
    if !ok {
        return Err("expected FLAGS, +FLAGS or -FLAGS".into());
    }
    c.sp()?;
    let flags = c.flags_maybe_list()?;
    Ok(CommandKind::Store {
        uid,
        args: StoreArgs {
            set,
            unchanged_since,
            mode,
            silent,
            flags,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Flag;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(
            parse_one("a STORE 2:4 +FLAGS (\\Deleted)\r\n"),
            CommandKind::Store {
                uid: false,
                args: StoreArgs {
                    set: set(&[(2, 4)]),
                    unchanged_since: None,
                    mode: StoreMode::Add,
                    silent: false,
                    flags: vec![Flag::Deleted]
                }
            }
        );
        assert_eq!(
            parse_one("a UID STORE 7 (UNCHANGEDSINCE 12345) -flags.silent \\Seen $Junk\r\n"),
            CommandKind::Store {
                uid: true,
                args: StoreArgs {
                    set: set(&[(7, 7)]),
                    unchanged_since: Some(12345),
                    mode: StoreMode::Remove,
                    silent: true,
                    flags: vec![Flag::Seen, Flag::Keyword("$Junk".into())]
                }
            }
        );
        assert_eq!(
            parse_one("a STORE 1 FLAGS ()\r\n"),
            CommandKind::Store {
                uid: false,
                args: StoreArgs {
                    set: set(&[(1, 1)]),
                    unchanged_since: None,
                    mode: StoreMode::Replace,
                    silent: false,
                    flags: vec![]
                }
            }
        );
        parse_bad("a STORE 1 XFLAGS (\\Seen)\r\n");
        parse_bad("a STORE 1 FLAGS (\\Seen\r\n");
        parse_bad("a STORE 1 (FOO 1) FLAGS (\\Seen)\r\n");
    }
}
