//! STATUS (RFC 9051 §6.3.11): `STATUS mailbox (items)`.

use super::{Cursor, PResult};
use crate::command::{CommandKind, StatusItem};

/// One status-att (also used by LIST RETURN (STATUS ...), RFC 5819).
pub(super) fn status_item(c: &mut Cursor<'_>) -> PResult<StatusItem> {
    Ok(match c.atom_upper()?.as_str() {
        "MESSAGES" => StatusItem::Messages,
        "UIDNEXT" => StatusItem::UidNext,
        "UIDVALIDITY" => StatusItem::UidValidity,
        "UNSEEN" => StatusItem::Unseen,
        "DELETED" => StatusItem::Deleted,
        "SIZE" => StatusItem::Size,
        "RECENT" => StatusItem::Recent,
        "HIGHESTMODSEQ" => StatusItem::HighestModSeq,
        "APPENDLIMIT" => StatusItem::AppendLimit,
        "MAILBOXID" => StatusItem::MailboxId,
        "DELETED-STORAGE" => StatusItem::DeletedStorage,
        other => return Err(format!("unknown STATUS item {other}")),
    })
}

pub(super) fn parse(c: &mut Cursor<'_>) -> PResult<CommandKind> {
    c.sp()?;
    let mailbox = c.mailbox()?;
    c.sp()?;
    let items = c.paren_list(false, status_item)?;
    Ok(CommandKind::Status { mailbox, items })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(
            parse_one(
                "a STATUS blurdybloop (UIDNEXT MESSAGES size highestmodseq MAILBOXID deleted-storage)\r\n"
            ),
            CommandKind::Status {
                mailbox: "blurdybloop".into(),
                items: vec![
                    StatusItem::UidNext,
                    StatusItem::Messages,
                    StatusItem::Size,
                    StatusItem::HighestModSeq,
                    StatusItem::MailboxId,
                    StatusItem::DeletedStorage
                ]
            }
        );
        parse_bad("a STATUS x ()\r\n");
        parse_bad("a STATUS x (FOO)\r\n");
        parse_bad("a STATUS x MESSAGES\r\n");
    }
}
