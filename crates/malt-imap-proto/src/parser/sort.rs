//! SORT and UID SORT (RFC 5256 §3, RFC 5957 DISPLAYFROM/DISPLAYTO), with ESORT's RETURN
//! (RFC 5267 §3.2).
//!
//! `SORT [RETURN (opts)] (criteria) charset search-key *(SP search-key)`.

use super::{Cursor, PResult};
use crate::command::{CommandKind, SortArgs, SortCriterion, SortKey};

pub(super) fn parse(c: &mut Cursor<'_>, uid: bool) -> PResult<CommandKind> {
    c.sp()?;
    let returns = super::search::return_options(c)?;
    let criteria = c.paren_list(false, |c| {
        let reverse = c.eat_keyword("REVERSE");
        if reverse {
            c.sp()?;
        }
        let key = match c.atom_upper()?.as_str() {
            "ARRIVAL" => SortKey::Arrival,
            "CC" => SortKey::Cc,
            "DATE" => SortKey::Date,
            "FROM" => SortKey::From,
            "SIZE" => SortKey::Size,
            "SUBJECT" => SortKey::Subject,
            "TO" => SortKey::To,
            "DISPLAYFROM" => SortKey::DisplayFrom,
            "DISPLAYTO" => SortKey::DisplayTo,
            other => return Err(format!("unknown sort key {other}")),
        };
        Ok(SortCriterion { reverse, key })
    })?;
    c.sp()?;
    let charset = c.astring()?;
    c.sp()?;
    let key = super::search::program(c)?;
    Ok(CommandKind::Sort {
        uid,
        args: SortArgs {
            returns,
            criteria,
            charset,
            key,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{SearchKey, SearchReturn};
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(
            parse_one("a UID SORT (REVERSE DATE subject DISPLAYFROM) UTF-8 ALL\r\n"),
            CommandKind::Sort {
                uid: true,
                args: SortArgs {
                    returns: None,
                    criteria: vec![
                        SortCriterion {
                            reverse: true,
                            key: SortKey::Date
                        },
                        SortCriterion {
                            reverse: false,
                            key: SortKey::Subject
                        },
                        SortCriterion {
                            reverse: false,
                            key: SortKey::DisplayFrom
                        },
                    ],
                    charset: "UTF-8".into(),
                    key: SearchKey::All
                }
            }
        );
        assert_eq!(
            parse_one("a SORT RETURN (COUNT) (ARRIVAL) US-ASCII SEEN FROM x\r\n"),
            CommandKind::Sort {
                uid: false,
                args: SortArgs {
                    returns: Some(vec![SearchReturn::Count]),
                    criteria: vec![SortCriterion {
                        reverse: false,
                        key: SortKey::Arrival
                    }],
                    charset: "US-ASCII".into(),
                    key: SearchKey::And(vec![SearchKey::Seen, SearchKey::From("x".into())])
                }
            }
        );
        parse_bad("a SORT () UTF-8 ALL\r\n");
        parse_bad("a SORT (DATE) UTF-8\r\n");
        parse_bad("a SORT (REVERSE) UTF-8 ALL\r\n");
    }
}
