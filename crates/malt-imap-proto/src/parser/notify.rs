//! NOTIFY (RFC 5465 §3-6), a subset: `NOTIFY NONE` and `NOTIFY SET [STATUS] (filter events)...`
//! with the filters SELECTED, SELECTED-DELAYED, INBOXES, PERSONAL, SUBSCRIBED, SUBTREE and
//! MAILBOXES, and the events of §5.

use super::{Cursor, PResult};
use crate::command::{CommandKind, NotifyEvent, NotifyFilter, NotifyGroup, NotifySet};

pub(super) fn parse(c: &mut Cursor<'_>) -> PResult<CommandKind> {
    c.sp()?;
    if c.eat_keyword("NONE") {
        return Ok(CommandKind::Notify(None));
    }
    if !c.eat_keyword("SET") {
        return Err("expected NOTIFY SET or NONE".into());
    }
    let mut status = false;
    let mut groups = Vec::new();
    c.sp()?;
    if c.eat_keyword("STATUS") {
        status = true;
        c.sp()?;
    }
    loop {
        groups.push(group(c)?);
        if !c.eat(b' ') {
            break;
        }
    }
    Ok(CommandKind::Notify(Some(NotifySet { status, groups })))
}

fn mailboxes(c: &mut Cursor<'_>) -> PResult<Vec<String>> {
    c.sp()?;
    if c.peek() == Some(b'(') {
        c.paren_list(false, |c| c.mailbox())
    } else {
        Ok(vec![c.mailbox()?])
    }
}

fn group(c: &mut Cursor<'_>) -> PResult<NotifyGroup> {
    c.expect(b'(')?;
    c.enter()?;
    let filter = match c.atom_upper()?.as_str() {
        "SELECTED" => NotifyFilter::Selected,
        "SELECTED-DELAYED" => NotifyFilter::SelectedDelayed,
        "INBOXES" => NotifyFilter::Inboxes,
        "PERSONAL" => NotifyFilter::Personal,
        "SUBSCRIBED" => NotifyFilter::Subscribed,
        "SUBTREE" => NotifyFilter::Subtree(mailboxes(c)?),
        "MAILBOXES" => NotifyFilter::Mailboxes(mailboxes(c)?),
        other => return Err(format!("unknown NOTIFY filter {other}")),
    };
    c.sp()?;
    let events = if c.eat_keyword("NONE") {
        None
    } else {
        Some(c.paren_list(false, |c| {
            Ok(match c.atom_upper()?.as_str() {
                "MESSAGENEW" => {
                    let mut atts = Vec::new();
                    if c.peek() == Some(b' ') && c.rest().get(1) == Some(&b'(') {
                        c.sp()?;
                        let lists = c.paren_list(false, super::fetch::fetch_att)?;
                        atts = lists.into_iter().flatten().collect();
                    }
                    NotifyEvent::MessageNew(atts)
                }
                "MESSAGEEXPUNGE" => NotifyEvent::MessageExpunge,
                "FLAGCHANGE" => NotifyEvent::FlagChange,
                "ANNOTATIONCHANGE" => NotifyEvent::AnnotationChange,
                "MAILBOXNAME" => NotifyEvent::MailboxName,
                "SUBSCRIPTIONCHANGE" => NotifyEvent::SubscriptionChange,
                "MAILBOXMETADATACHANGE" => NotifyEvent::MailboxMetadataChange,
                "SERVERMETADATACHANGE" => NotifyEvent::ServerMetadataChange,
                other => return Err(format!("unknown NOTIFY event {other}")),
            })
        })?)
    };
    c.expect(b')')?;
    c.leave();
    Ok(NotifyGroup { filter, events })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::FetchAttribute;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(parse_one("a NOTIFY NONE\r\n"), CommandKind::Notify(None));
        assert_eq!(
            parse_one(
                "a NOTIFY SET STATUS (selected (MessageNew (uid flags) MessageExpunge FlagChange)) (subtree (INBOX x) (MailboxName)) (personal NONE)\r\n"
            ),
            CommandKind::Notify(Some(NotifySet {
                status: true,
                groups: vec![
                    NotifyGroup {
                        filter: NotifyFilter::Selected,
                        events: Some(vec![
                            NotifyEvent::MessageNew(vec![FetchAttribute::Uid, FetchAttribute::Flags]),
                            NotifyEvent::MessageExpunge,
                            NotifyEvent::FlagChange
                        ])
                    },
                    NotifyGroup {
                        filter: NotifyFilter::Subtree(vec!["INBOX".into(), "x".into()]),
                        events: Some(vec![NotifyEvent::MailboxName])
                    },
                    NotifyGroup {
                        filter: NotifyFilter::Personal,
                        events: None
                    },
                ]
            }))
        );
        assert_eq!(
            parse_one("a NOTIFY SET (mailboxes foo (SubscriptionChange))\r\n"),
            CommandKind::Notify(Some(NotifySet {
                status: false,
                groups: vec![NotifyGroup {
                    filter: NotifyFilter::Mailboxes(vec!["foo".into()]),
                    events: Some(vec![NotifyEvent::SubscriptionChange])
                }]
            }))
        );
        parse_bad("a NOTIFY SET\r\n");
        parse_bad("a NOTIFY SET (bogus NONE)\r\n");
        parse_bad("a NOTIFY FOO\r\n");
    }
}
