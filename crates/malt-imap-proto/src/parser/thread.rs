//! THREAD and UID THREAD (RFC 5256 §3): `THREAD algorithm charset search-key *(SP search-key)`.

use super::{Cursor, PResult};
use crate::command::{CommandKind, ThreadAlgorithm, ThreadArgs};

pub(super) fn parse(c: &mut Cursor<'_>, uid: bool) -> PResult<CommandKind> {
    c.sp()?;
    let algorithm = match c.atom_upper()? {
        a if a == "ORDEREDSUBJECT" => ThreadAlgorithm::OrderedSubject,
        a if a == "REFERENCES" => ThreadAlgorithm::References,
        a => ThreadAlgorithm::Other(a),
    };
    c.sp()?;
    let charset = c.astring()?;
    c.sp()?;
    let key = super::search::program(c)?;
    Ok(CommandKind::Thread {
        uid,
        args: ThreadArgs {
            algorithm,
            charset,
            key,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::SearchKey;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(
            parse_one("a THREAD references UTF-8 SINCE 5-MAR-2000\r\n"),
            CommandKind::Thread {
                uid: false,
                args: ThreadArgs {
                    algorithm: ThreadAlgorithm::References,
                    charset: "UTF-8".into(),
                    key: SearchKey::Since(crate::command::Date {
                        year: 2000,
                        month: 3,
                        day: 5
                    })
                }
            }
        );
        assert_eq!(
            parse_one("a UID THREAD ORDEREDSUBJECT UTF-8 ALL\r\n"),
            CommandKind::Thread {
                uid: true,
                args: ThreadArgs {
                    algorithm: ThreadAlgorithm::OrderedSubject,
                    charset: "UTF-8".into(),
                    key: SearchKey::All
                }
            }
        );
        parse_bad("a THREAD REFERENCES UTF-8\r\n");
    }
}
