//! SELECT and EXAMINE (RFC 9051 §6.3.2-3) with `(CONDSTORE)` (RFC 7162 §3.1.8) and
//! `(QRESYNC (uidvalidity modseq [known-uids [seq-match]]))` (RFC 7162 §3.2.5).

use super::{Cursor, PResult};
use crate::command::{CommandKind, QresyncParams, SelectArgs};

pub(super) fn parse(c: &mut Cursor<'_>, examine: bool) -> PResult<CommandKind> {
    c.sp()?;
    let mailbox = c.mailbox()?;
    let mut args = SelectArgs {
        mailbox,
        condstore: false,
        qresync: None,
    };
    if c.eat(b' ') {
        c.paren_list(false, |c| {
            if c.eat_keyword("CONDSTORE") {
                args.condstore = true;
                Ok(())
            } else if c.eat_keyword("QRESYNC") {
                c.sp()?;
                args.qresync = Some(qresync(c)?);
                Ok(())
            } else {
                Err("unknown SELECT parameter".into())
            }
        })?;
    }
    Ok(if examine {
        CommandKind::Examine(args)
    } else {
        CommandKind::Select(args)
    })
}

fn qresync(c: &mut Cursor<'_>) -> PResult<QresyncParams> {
    c.expect(b'(')?;
    let uidvalidity = c.nz_number()?;
    c.sp()?;
    let modseq = c.number64()?;
    let mut params = QresyncParams {
        uidvalidity,
        modseq,
        known_uids: None,
        seq_match: None,
    };
    if c.eat(b' ') {
        if c.peek() != Some(b'(') {
            params.known_uids = Some(c.sequence_set()?);
            if !c.eat(b' ') {
                c.expect(b')')?;
                return Ok(params);
            }
        }
        c.expect(b'(')?;
        let seqs = c.sequence_set()?;
        c.sp()?;
        let uids = c.sequence_set()?;
        c.expect(b')')?;
        params.seq_match = Some((seqs, uids));
    }
    c.expect(b')')?;
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        let plain = SelectArgs {
            mailbox: "INBOX".into(),
            condstore: false,
            qresync: None,
        };
        assert_eq!(
            parse_one("a SELECT inbox\r\n"),
            CommandKind::Select(plain.clone())
        );
        assert_eq!(
            parse_one("a EXAMINE INBOX\r\n"),
            CommandKind::Examine(plain.clone())
        );
        assert_eq!(
            parse_one("a SELECT INBOX (CONDSTORE)\r\n"),
            CommandKind::Select(SelectArgs {
                condstore: true,
                ..plain.clone()
            })
        );
        assert_eq!(
            parse_one("a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n"),
            CommandKind::Select(SelectArgs {
                qresync: Some(QresyncParams {
                    uidvalidity: 67890007,
                    modseq: 20050715194045000,
                    known_uids: Some(set(&[(41, 41), (43, 211), (214, 541)])),
                    seq_match: None,
                }),
                ..plain.clone()
            })
        );
        assert_eq!(
            parse_one("a SELECT INBOX (QRESYNC (1 2 1:5 (1,3 10,30)))\r\n"),
            CommandKind::Select(SelectArgs {
                qresync: Some(QresyncParams {
                    uidvalidity: 1,
                    modseq: 2,
                    known_uids: Some(set(&[(1, 5)])),
                    seq_match: Some((set(&[(1, 1), (3, 3)]), set(&[(10, 10), (30, 30)]))),
                }),
                ..plain.clone()
            })
        );
        assert_eq!(
            parse_one("a SELECT INBOX (QRESYNC (1 2))\r\n"),
            CommandKind::Select(SelectArgs {
                qresync: Some(QresyncParams {
                    uidvalidity: 1,
                    modseq: 2,
                    known_uids: None,
                    seq_match: None
                }),
                ..plain
            })
        );
        parse_bad("a SELECT INBOX (FOO)\r\n");
        parse_bad("a SELECT INBOX ()\r\n");
        parse_bad("a SELECT INBOX (QRESYNC (0 2))\r\n");
    }
}
