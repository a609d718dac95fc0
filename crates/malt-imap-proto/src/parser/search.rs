//! SEARCH and UID SEARCH (RFC 9051 §6.4.4): RETURN options (ESEARCH, RFC 5182 SAVE), CHARSET and
//! every search key of §6.4.4, plus MODSEQ (RFC 7162), EMAILID/THREADID (RFC 8474), SAVEDBEFORE &c
//! (RFC 8514) and OLDER/YOUNGER (RFC 5032).
//!
//! Nesting (parentheses, NOT, OR) is bounded by `Limits::max_depth`.

use super::{Cursor, PResult};
use crate::command::{CommandKind, EntryType, SearchArgs, SearchKey, SearchReturn};

pub(super) fn parse(c: &mut Cursor<'_>, uid: bool) -> PResult<CommandKind> {
    c.sp()?;
    let returns = return_options(c)?;
    let mut charset = None;
    if c.eat_keyword("CHARSET") {
        c.sp()?;
        charset = Some(c.astring()?);
        c.sp()?;
    }
    let key = program(c)?;
    Ok(CommandKind::Search {
        uid,
        args: SearchArgs {
            returns,
            charset,
            key,
        },
    })
}

/// `RETURN (opts) SP`, if present.
pub(super) fn return_options(c: &mut Cursor<'_>) -> PResult<Option<Vec<SearchReturn>>> {
    if !c.eat_keyword("RETURN") {
        return Ok(None);
    }
    c.sp()?;
    let opts = c.paren_list(true, |c| {
        Ok(match c.atom_upper()?.as_str() {
            "MIN" => SearchReturn::Min,
            "MAX" => SearchReturn::Max,
            "ALL" => SearchReturn::All,
            "COUNT" => SearchReturn::Count,
            "SAVE" => SearchReturn::Save,
            other => return Err(format!("unknown RETURN option {other}")),
        })
    })?;
    c.sp()?;
    Ok(Some(opts))
}

/// search-key *(SP search-key), to the end of the command; several keys become `And`.
pub(super) fn program(c: &mut Cursor<'_>) -> PResult<SearchKey> {
    let mut keys = vec![key(c)?];
    while c.peek() == Some(b' ') {
        c.sp()?;
        keys.push(key(c)?);
    }
    Ok(and(keys))
}

fn and(mut keys: Vec<SearchKey>) -> SearchKey {
    if keys.len() == 1 {
        keys.pop().unwrap_or(SearchKey::All)
    } else {
        SearchKey::And(keys)
    }
}

fn date_arg(c: &mut Cursor<'_>) -> PResult<crate::command::Date> {
    c.sp()?;
    c.date()
}

fn str_arg(c: &mut Cursor<'_>) -> PResult<String> {
    c.sp()?;
    c.astring()
}

/// `SP objectid` (RFC 8474 §6-7: `objectid = 1*255(ALPHA / DIGIT / "_" / "-")`).
fn objectid_arg(c: &mut Cursor<'_>) -> PResult<String> {
    c.sp()?;
    let id = c.atom()?;
    if id.len() > 255
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err("invalid objectid (RFC 8474)".into());
    }
    Ok(id)
}

/// One search-key, nesting bounded by `max_depth`.
pub(super) fn key(c: &mut Cursor<'_>) -> PResult<SearchKey> {
    c.enter()?;
    let result = key_inner(c);
    c.leave();
    result
}

fn key_inner(c: &mut Cursor<'_>) -> PResult<SearchKey> {
    use SearchKey as K;
    match c.peek() {
        Some(b'(') => {
            c.pos += 1;
            let mut keys = vec![key(c)?];
            while c.eat(b' ') {
                keys.push(key(c)?);
            }
            c.expect(b')')?;
            return Ok(and(keys));
        }
        Some(b'$' | b'*' | b'0'..=b'9') => return Ok(K::SequenceSet(c.sequence_set()?)),
        _ => {}
    }
    let name = c.atom_upper()?;
    Ok(match name.as_str() {
        "ALL" => K::All,
        "ANSWERED" => K::Answered,
        "DELETED" => K::Deleted,
        "DRAFT" => K::Draft,
        "FLAGGED" => K::Flagged,
        "NEW" => K::New,
        "OLD" => K::Old,
        "RECENT" => K::Recent,
        "SEEN" => K::Seen,
        "UNANSWERED" => K::Unanswered,
        "UNDELETED" => K::Undeleted,
        "UNDRAFT" => K::Undraft,
        "UNFLAGGED" => K::Unflagged,
        "UNSEEN" => K::Unseen,
        "SAVEDATESUPPORTED" => K::SaveDateSupported,
        "BCC" => K::Bcc(str_arg(c)?),
        "BODY" => K::Body(str_arg(c)?),
        "CC" => K::Cc(str_arg(c)?),
        "FROM" => K::From(str_arg(c)?),
        "SUBJECT" => K::Subject(str_arg(c)?),
        "TEXT" => K::Text(str_arg(c)?),
        "TO" => K::To(str_arg(c)?),
        "EMAILID" => K::EmailId(objectid_arg(c)?),
        "THREADID" => K::ThreadId(objectid_arg(c)?),
        "KEYWORD" => {
            c.sp()?;
            K::Keyword(c.atom()?)
        }
        "UNKEYWORD" => {
            c.sp()?;
            K::Unkeyword(c.atom()?)
        }
        "HEADER" => {
            let field = str_arg(c)?;
            K::Header(field, str_arg(c)?)
        }
        "BEFORE" => K::Before(date_arg(c)?),
        "ON" => K::On(date_arg(c)?),
        "SINCE" => K::Since(date_arg(c)?),
        "SENTBEFORE" => K::SentBefore(date_arg(c)?),
        "SENTON" => K::SentOn(date_arg(c)?),
        "SENTSINCE" => K::SentSince(date_arg(c)?),
        "SAVEDBEFORE" => K::SavedBefore(date_arg(c)?),
        "SAVEDON" => K::SavedOn(date_arg(c)?),
        "SAVEDSINCE" => K::SavedSince(date_arg(c)?),
        "LARGER" => {
            c.sp()?;
            K::Larger(c.number64()?)
        }
        "SMALLER" => {
            c.sp()?;
            K::Smaller(c.number64()?)
        }
        "OLDER" => {
            c.sp()?;
            K::Older(c.nz_number()?)
        }
        "YOUNGER" => {
            c.sp()?;
            K::Younger(c.nz_number()?)
        }
        "UID" => {
            c.sp()?;
            K::Uid(c.sequence_set()?)
        }
        "NOT" => {
            c.sp()?;
            K::Not(Box::new(key(c)?))
        }
        "OR" => {
            c.sp()?;
            let a = key(c)?;
            c.sp()?;
            K::Or(Box::new(a), Box::new(key(c)?))
        }
        "MODSEQ" => {
            c.sp()?;
            let mut entry = None;
            if c.peek() == Some(b'"') {
                let name = String::from_utf8(c.quoted()?).map_err(|_| "invalid UTF-8".to_string())?;
                c.sp()?;
                let kind = match c.atom_upper()?.as_str() {
                    "PRIV" => EntryType::Private,
                    "SHARED" => EntryType::Shared,
                    "ALL" => EntryType::All,
                    _ => return Err("bad MODSEQ entry type".into()),
                };
                c.sp()?;
                entry = Some((name, kind));
            }
            K::ModSeq {
                entry,
                modseq: c.number64()?,
            }
        }
        other => return Err(format!("unknown search key {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{Date, SequenceSet};
    use crate::parser::test_util::*;
    use SearchKey as K;

    fn search(input: &str) -> SearchArgs {
        match parse_one(input) {
            CommandKind::Search { args, .. } => args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn table() {
        let d = Date {
            year: 1994,
            month: 2,
            day: 1,
        };
        assert_eq!(
            search("a SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n").key,
            K::And(vec![
                K::Flagged,
                K::Since(d),
                K::Not(Box::new(K::From("Smith".into())))
            ])
        );
        assert_eq!(
            search("a SEARCH OR (SEEN 1:3) NOT (DELETED UID $)\r\n").key,
            K::Or(
                Box::new(K::And(vec![K::Seen, K::SequenceSet(set(&[(1, 3)]))])),
                Box::new(K::Not(Box::new(K::And(vec![
                    K::Deleted,
                    K::Uid(SequenceSet::Saved)
                ]))))
            )
        );
        let args = search("a UID SEARCH RETURN (MIN COUNT SAVE) CHARSET UTF-8 TEXT {6}\r\nXXXXXX\r\n");
        assert_eq!(
            args.returns,
            Some(vec![SearchReturn::Min, SearchReturn::Count, SearchReturn::Save])
        );
        assert_eq!(args.charset.as_deref(), Some("UTF-8"));
        assert_eq!(args.key, K::Text("XXXXXX".into()));
        assert_eq!(search("a SEARCH RETURN () ALL\r\n").returns, Some(vec![]));
        assert_eq!(
            search("a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338\r\n").key,
            K::ModSeq {
                entry: Some(("/flags/\\draft".into(), EntryType::All)),
                modseq: 620162338
            }
        );
        assert_eq!(
            search("a SEARCH HEADER X-Foo \"\" LARGER 10 SMALLER 20 KEYWORD $Junk UNKEYWORD x\r\n").key,
            K::And(vec![
                K::Header("X-Foo".into(), "".into()),
                K::Larger(10),
                K::Smaller(20),
                K::Keyword("$Junk".into()),
                K::Unkeyword("x".into())
            ])
        );
        assert_eq!(
            search("a SEARCH EMAILID M1 THREADID T1 SAVEDBEFORE \"1-Feb-1994\" SAVEDATESUPPORTED YOUNGER 5 OLDER 6\r\n").key,
            K::And(vec![
                K::EmailId("M1".into()),
                K::ThreadId("T1".into()),
                K::SavedBefore(d),
                K::SaveDateSupported,
                K::Younger(5),
                K::Older(6)
            ])
        );
        assert_eq!(
            search("a SEARCH ANSWERED DELETED DRAFT NEW OLD RECENT SEEN UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN *\r\n").key,
            K::And(vec![
                K::Answered, K::Deleted, K::Draft, K::New, K::Old, K::Recent, K::Seen, K::Unanswered,
                K::Undeleted, K::Undraft, K::Unflagged, K::Unseen,
                K::SequenceSet(SequenceSet::Ranges(vec![crate::command::SeqRange {
                    start: crate::command::SeqNum::Star,
                    end: crate::command::SeqNum::Star
                }]))
            ])
        );
        for bad in [
            "a SEARCH\r\n",
            "a SEARCH (SEEN\r\n",
            "a SEARCH SEEN)\r\n",
            "a SEARCH ()\r\n",
            "a SEARCH OR SEEN\r\n",
            "a SEARCH SINCE 1-Foo-1994\r\n",
            "a SEARCH BOGUS\r\n",
            "a SEARCH RETURN (FOO) ALL\r\n",
            "a SEARCH 0\r\n",
            "a SEARCH SEEN  SEEN\r\n",
            "a SEARCH EMAILID M.1\r\n",
            "a SEARCH THREADID \"T1\"\r\n",
        ] {
            parse_bad(bad);
        }
    }
}
