//! COPY and UID COPY (RFC 9051 §6.4.7): `COPY sequence-set mailbox`.

use super::{Cursor, PResult};
use crate::command::{CommandKind, SequenceSet};

/// `sequence-set SP mailbox`, shared with MOVE.
pub(super) fn set_and_mailbox(c: &mut Cursor<'_>) -> PResult<(SequenceSet, String)> {
    c.sp()?;
    let set = c.sequence_set()?;
    c.sp()?;
    Ok((set, c.mailbox()?))
}

pub(super) fn parse(c: &mut Cursor<'_>, uid: bool) -> PResult<CommandKind> {
    let (set, mailbox) = set_and_mailbox(c)?;
    Ok(CommandKind::Copy { uid, set, mailbox })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(
            parse_one("a COPY 2:4 MEETING\r\n"),
            CommandKind::Copy {
                uid: false,
                set: set(&[(2, 4)]),
                mailbox: "MEETING".into()
            }
        );
        assert_eq!(
            parse_one("a UID COPY $ Trash\r\n"),
            CommandKind::Copy {
                uid: true,
                set: SequenceSet::Saved,
                mailbox: "Trash".into()
            }
        );
        parse_bad("a COPY 1\r\n");
    }
}
