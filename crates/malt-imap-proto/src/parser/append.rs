//! APPEND (RFC 9051 §6.3.12) with MULTIAPPEND (RFC 3502), literal8 (RFC 3516 BINARY) and the
//! `UTF8 (literal8)` form (RFC 6855 §4).
//!
//! `APPEND mailbox 1*(SP [flag-list SP] [date-time SP] append-data)`.

use super::{Cursor, PResult};
use crate::command::{AppendMessage, CommandKind};

pub(super) fn parse(c: &mut Cursor<'_>) -> PResult<CommandKind> {
    c.sp()?;
    let mailbox = c.mailbox()?;
    let mut messages = Vec::new();
    while c.eat(b' ') {
        let mut flags = Vec::new();
        if c.peek() == Some(b'(') {
            flags = c.flag_list()?;
            c.sp()?;
        }
        let mut date = None;
        if c.peek() == Some(b'"') {
            date = Some(c.date_time()?);
            c.sp()?;
        }
        let utf8 = c.eat_keyword("UTF8");
        if utf8 {
            c.sp()?;
            c.expect(b'(')?;
        }
        match c.peek() {
            Some(b'{') | Some(b'~') => {}
            _ => return Err("expected a literal".into()),
        }
        let (data, binary) = c.literal()?;
        if utf8 {
            if !binary {
                return Err("UTF8 data must be a literal8".into());
            }
            c.expect(b')')?;
        }
        messages.push(AppendMessage {
            flags,
            date,
            data,
            binary: binary && !utf8,
            utf8,
        });
    }
    if messages.is_empty() {
        return Err("APPEND needs a message".into());
    }
    Ok(CommandKind::Append { mailbox, messages })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{DateTime, Flag};
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        assert_eq!(
            parse_one("a APPEND saved-messages (\\Seen) {5}\r\nhello\r\n"),
            CommandKind::Append {
                mailbox: "saved-messages".into(),
                messages: vec![AppendMessage {
                    flags: vec![Flag::Seen],
                    date: None,
                    data: b"hello".to_vec(),
                    binary: false,
                    utf8: false
                }]
            }
        );
        assert_eq!(
            parse_one("a APPEND INBOX \"05-Mar-2024 10:00:00 +0000\" ~{3}\r\na\0b () {1+}\r\nx\r\n"),
            CommandKind::Append {
                mailbox: "INBOX".into(),
                messages: vec![
                    AppendMessage {
                        flags: vec![],
                        date: Some(DateTime {
                            year: 2024,
                            month: 3,
                            day: 5,
                            hour: 10,
                            minute: 0,
                            second: 0,
                            zone_minutes: 0
                        }),
                        data: b"a\0b".to_vec(),
                        binary: true,
                        utf8: false
                    },
                    AppendMessage {
                        flags: vec![],
                        date: None,
                        data: b"x".to_vec(),
                        binary: false,
                        utf8: false
                    }
                ]
            }
        );
        assert_eq!(
            parse_one("a APPEND INBOX UTF8 (~{2}\r\nhi)\r\n"),
            CommandKind::Append {
                mailbox: "INBOX".into(),
                messages: vec![AppendMessage {
                    flags: vec![],
                    date: None,
                    data: b"hi".to_vec(),
                    binary: false,
                    utf8: true
                }]
            }
        );
        parse_bad("a APPEND INBOX\r\n");
        parse_bad("a APPEND INBOX \"hello\"\r\n");
        parse_bad("a APPEND INBOX {3}\r\na\0b\r\n");
    }
}
