//! LIST (RFC 9051 §6.3.9, LIST-EXTENDED RFC 5258, LIST-STATUS RFC 5819, SPECIAL-USE RFC 6154) and
//! LSUB (RFC 3501 §6.3.9).
//!
//! `LIST [(selection)] reference (pattern | (patterns)) [RETURN (options)]`.

use super::{Cursor, PResult};
use crate::command::{CommandKind, ListArgs, ListReturn, ListSelect};

pub(super) fn parse(c: &mut Cursor<'_>) -> PResult<CommandKind> {
    c.sp()?;
    let mut selection = Vec::new();
    if c.peek() == Some(b'(') {
        selection = c.paren_list(true, |c| {
            Ok(match c.atom_upper()?.as_str() {
                "SUBSCRIBED" => ListSelect::Subscribed,
                "REMOTE" => ListSelect::Remote,
                "RECURSIVEMATCH" => ListSelect::RecursiveMatch,
                "SPECIAL-USE" => ListSelect::SpecialUse,
                other => return Err(format!("unknown LIST selection option {other}")),
            })
        })?;
        c.sp()?;
    }
    let reference = c.mailbox()?;
    c.sp()?;
    let patterns = if c.peek() == Some(b'(') {
        c.paren_list(false, |c| c.list_mailbox())?
    } else {
        vec![c.list_mailbox()?]
    };
    let mut returns = Vec::new();
    if c.eat(b' ') {
        if !c.eat_keyword("RETURN") {
            return Err("expected RETURN".into());
        }
        c.sp()?;
        returns = c.paren_list(true, |c| {
            Ok(match c.atom_upper()?.as_str() {
                "SUBSCRIBED" => ListReturn::Subscribed,
                "CHILDREN" => ListReturn::Children,
                "SPECIAL-USE" => ListReturn::SpecialUse,
                "STATUS" => {
                    c.sp()?;
                    ListReturn::Status(c.paren_list(false, super::status::status_item)?)
                }
                other => return Err(format!("unknown LIST return option {other}")),
            })
        })?;
    }
    Ok(CommandKind::List(ListArgs {
        selection,
        reference,
        patterns,
        returns,
    }))
}

pub(super) fn parse_lsub(c: &mut Cursor<'_>) -> PResult<CommandKind> {
    c.sp()?;
    let reference = c.mailbox()?;
    c.sp()?;
    let pattern = c.list_mailbox()?;
    Ok(CommandKind::Lsub { reference, pattern })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::StatusItem;
    use crate::parser::test_util::*;

    fn basic(reference: &str, pattern: &str) -> CommandKind {
        CommandKind::List(ListArgs {
            selection: vec![],
            reference: reference.into(),
            patterns: vec![pattern.into()],
            returns: vec![],
        })
    }

    #[test]
    fn table() {
        assert_eq!(parse_one("a LIST \"\" *\r\n"), basic("", "*"));
        assert_eq!(parse_one("a LIST ~/Mail/ %\r\n"), basic("~/Mail/", "%"));
        assert_eq!(parse_one("a LIST \"\" foo]*%\r\n"), basic("", "foo]*%"));
        assert_eq!(
            parse_one(
                "a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (\"INBOX\" %/x) RETURN (CHILDREN STATUS (MESSAGES UNSEEN) SPECIAL-USE)\r\n"
            ),
            CommandKind::List(ListArgs {
                selection: vec![ListSelect::Subscribed, ListSelect::RecursiveMatch],
                reference: "".into(),
                patterns: vec!["INBOX".into(), "%/x".into()],
                returns: vec![
                    ListReturn::Children,
                    ListReturn::Status(vec![StatusItem::Messages, StatusItem::Unseen]),
                    ListReturn::SpecialUse
                ],
            })
        );
        assert_eq!(parse_one("a LIST () \"\" % RETURN ()\r\n"), basic("", "%"));
        assert_eq!(
            parse_one("a LSUB \"\" news.*\r\n"),
            CommandKind::Lsub {
                reference: "".into(),
                pattern: "news.*".into()
            }
        );
        parse_bad("a LIST \"\"\r\n");
        parse_bad("a LIST (BOGUS) \"\" *\r\n");
        parse_bad("a LIST \"\" * FOO\r\n");
    }
}
