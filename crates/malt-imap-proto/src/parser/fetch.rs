//! FETCH and UID FETCH (RFC 9051 §6.4.5) with BINARY (RFC 3516), CONDSTORE/QRESYNC modifiers
//! (RFC 7162 §3.1.4, §3.2.6), PREVIEW (RFC 8970), OBJECTID (RFC 8474) and SAVEDATE (RFC 8514).

use super::{Cursor, PResult};
use crate::command::{CommandKind, FetchArgs, FetchAttribute, Partial, Section, SectionText};

pub(super) fn parse(c: &mut Cursor<'_>, uid: bool) -> PResult<CommandKind> {
    c.sp()?;
    let set = c.sequence_set()?;
    c.sp()?;
    let items = if c.peek() == Some(b'(') {
        let lists = c.paren_list(false, fetch_att)?;
        lists.into_iter().flatten().collect()
    } else {
        fetch_att(c)?
    };
    let mut args = FetchArgs {
        set,
        items,
        changed_since: None,
        vanished: false,
    };
    if c.eat(b' ') {
        c.paren_list(false, |c| {
            if c.eat_keyword("CHANGEDSINCE") {
                c.sp()?;
                args.changed_since = Some(c.number64()?);
            } else if c.eat_keyword("VANISHED") {
                args.vanished = true;
            } else {
                return Err("unknown FETCH modifier".into());
            }
            Ok(())
        })?;
    }
    Ok(CommandKind::Fetch { uid, args })
}

/// The name of a fetch attribute: letters, digits and dots, upper-cased.
fn att_name(c: &mut Cursor<'_>) -> PResult<String> {
    c.arg()?;
    let start = c.pos;
    while c.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'.') {
        c.pos += 1;
    }
    if c.pos == start {
        return Err("expected a fetch attribute".into());
    }
    Ok(c.text(start)?.to_ascii_uppercase())
}

/// One fetch-att, or a macro expanded to its items.
pub(crate) fn fetch_att(c: &mut Cursor<'_>) -> PResult<Vec<FetchAttribute>> {
    use FetchAttribute as F;
    let name = att_name(c)?;
    Ok(vec![match name.as_str() {
        "ALL" => return Ok(vec![F::Flags, F::InternalDate, F::Rfc822Size, F::Envelope]),
        "FAST" => return Ok(vec![F::Flags, F::InternalDate, F::Rfc822Size]),
        "FULL" => {
            return Ok(vec![
                F::Flags,
                F::InternalDate,
                F::Rfc822Size,
                F::Envelope,
                F::Body,
            ]);
        }
        "FLAGS" => F::Flags,
        "UID" => F::Uid,
        "INTERNALDATE" => F::InternalDate,
        "RFC822.SIZE" => F::Rfc822Size,
        "ENVELOPE" => F::Envelope,
        "BODYSTRUCTURE" => F::BodyStructure,
        "RFC822" => F::Rfc822,
        "RFC822.HEADER" => F::Rfc822Header,
        "RFC822.TEXT" => F::Rfc822Text,
        "MODSEQ" => F::ModSeq,
        "EMAILID" => F::EmailId,
        "THREADID" => F::ThreadId,
        "SAVEDATE" => F::SaveDate,
        "PREVIEW" => {
            let save = c.pos;
            let mut lazy = false;
            if c.eat(b' ') && c.eat(b'(') {
                if c.eat_keyword("LAZY") && c.eat(b')') {
                    lazy = true;
                } else {
                    c.pos = save;
                }
            } else {
                c.pos = save;
            }
            F::Preview { lazy }
        }
        "BODY" | "BODY.PEEK" => {
            if c.peek() != Some(b'[') {
                if name == "BODY" {
                    F::Body
                } else {
                    return Err("BODY.PEEK needs a section".into());
                }
            } else {
                let section = section(c)?;
                let partial = partial(c)?;
                F::BodySection {
                    peek: name == "BODY.PEEK",
                    section,
                    partial,
                }
            }
        }
        "BINARY" | "BINARY.PEEK" => {
            let part = binary_part(c)?;
            let partial = partial(c)?;
            F::Binary {
                peek: name == "BINARY.PEEK",
                part,
                partial,
            }
        }
        "BINARY.SIZE" => F::BinarySize {
            part: binary_part(c)?,
        },
        other => return Err(format!("unknown fetch attribute {other}")),
    }])
}

/// `[section-spec]`.
fn section(c: &mut Cursor<'_>) -> PResult<Section> {
    c.expect(b'[')?;
    let mut section = Section::default();
    if c.eat(b']') {
        return Ok(section);
    }
    loop {
        if c.peek().is_some_and(|b| b.is_ascii_digit()) {
            section.part.push(c.nz_number()?);
            if c.eat(b'.') {
                continue;
            }
            break;
        }
        let start = c.pos;
        while c.peek().is_some_and(|b| b.is_ascii_alphabetic() || b == b'.') {
            c.pos += 1;
        }
        let text = c.text(start)?.to_ascii_uppercase();
        section.text = Some(match text.as_str() {
            "HEADER" => SectionText::Header,
            "TEXT" => SectionText::Text,
            "MIME" if !section.part.is_empty() => SectionText::Mime,
            "HEADER.FIELDS" | "HEADER.FIELDS.NOT" => {
                c.sp()?;
                let fields = c.paren_list(false, |c| c.astring())?;
                if text == "HEADER.FIELDS" {
                    SectionText::HeaderFields(fields)
                } else {
                    SectionText::HeaderFieldsNot(fields)
                }
            }
            _ => return Err("bad section".into()),
        });
        break;
    }
    c.expect(b']')?;
    Ok(section)
}

/// `[section-part]` of BINARY.
fn binary_part(c: &mut Cursor<'_>) -> PResult<Vec<u32>> {
    c.expect(b'[')?;
    let mut part = Vec::new();
    if !c.eat(b']') {
        loop {
            part.push(c.nz_number()?);
            if !c.eat(b'.') {
                break;
            }
        }
        c.expect(b']')?;
    }
    Ok(part)
}

/// `<offset.count>` (count non-zero).
fn partial(c: &mut Cursor<'_>) -> PResult<Partial> {
    if !c.eat(b'<') {
        return Ok(None);
    }
    let offset = c.number64()?;
    c.expect(b'.')?;
    let count = c.number64()?;
    if count == 0 {
        return Err("partial count must not be zero".into());
    }
    c.expect(b'>')?;
    Ok(Some((offset, count)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_util::*;
    use FetchAttribute as F;

    fn fetch(input: &str) -> FetchArgs {
        match parse_one(input) {
            CommandKind::Fetch { args, .. } => args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn table() {
        assert_eq!(
            fetch("a FETCH 1 ALL\r\n").items,
            vec![F::Flags, F::InternalDate, F::Rfc822Size, F::Envelope]
        );
        assert_eq!(
            fetch("a FETCH 1 fast\r\n").items,
            vec![F::Flags, F::InternalDate, F::Rfc822Size]
        );
        assert_eq!(fetch("a FETCH 1 FULL\r\n").items.last(), Some(&F::Body));
        assert_eq!(
            fetch("a FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n").items,
            vec![
                F::Flags,
                F::BodySection {
                    peek: false,
                    section: Section {
                        part: vec![],
                        text: Some(SectionText::HeaderFields(vec!["DATE".into(), "FROM".into()]))
                    },
                    partial: None
                }
            ]
        );
        assert_eq!(
            fetch("a FETCH 1 (BODY.PEEK[1.2.MIME]<0.100> BODY[] BODY[3] BODY[1.TEXT] BODY[HEADER.FIELDS.NOT (X)])\r\n")
                .items,
            vec![
                F::BodySection {
                    peek: true,
                    section: Section { part: vec![1, 2], text: Some(SectionText::Mime) },
                    partial: Some((0, 100))
                },
                F::BodySection { peek: false, section: Section::default(), partial: None },
                F::BodySection { peek: false, section: Section { part: vec![3], text: None }, partial: None },
                F::BodySection {
                    peek: false,
                    section: Section { part: vec![1], text: Some(SectionText::Text) },
                    partial: None
                },
                F::BodySection {
                    peek: false,
                    section: Section { part: vec![], text: Some(SectionText::HeaderFieldsNot(vec!["X".into()])) },
                    partial: None
                },
            ]
        );
        assert_eq!(
            fetch("a FETCH 1 (BINARY.PEEK[1.2]<5.10> BINARY[] BINARY.SIZE[3] PREVIEW (LAZY) PREVIEW MODSEQ EMAILID THREADID SAVEDATE UID RFC822 RFC822.HEADER RFC822.TEXT BODYSTRUCTURE BODY)\r\n").items,
            vec![
                F::Binary { peek: true, part: vec![1, 2], partial: Some((5, 10)) },
                F::Binary { peek: false, part: vec![], partial: None },
                F::BinarySize { part: vec![3] },
                F::Preview { lazy: true },
                F::Preview { lazy: false },
                F::ModSeq,
                F::EmailId,
                F::ThreadId,
                F::SaveDate,
                F::Uid,
                F::Rfc822,
                F::Rfc822Header,
                F::Rfc822Text,
                F::BodyStructure,
                F::Body,
            ]
        );
        let args = fetch("a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n");
        assert_eq!((args.changed_since, args.vanished), (Some(12345), true));
        let args = fetch("a FETCH 1 PREVIEW (CHANGEDSINCE 3)\r\n");
        assert_eq!(
            (args.items, args.changed_since),
            (vec![F::Preview { lazy: false }], Some(3))
        );
        for bad in [
            "a FETCH 1 (FLAGS\r\n",
            "a FETCH 1 BODY[MIME]\r\n",
            "a FETCH 1 BODY[1.FOO]\r\n",
            "a FETCH 1 BODY.PEEK\r\n",
            "a FETCH 1 BODY[]<1.0>\r\n",
            "a FETCH 1 BOGUS\r\n",
            "a FETCH 1 ()\r\n",
            "a FETCH 1 FLAGS (FOO)\r\n",
            "a FETCH 1 BODY[HEADER.FIELDS ()]\r\n",
            "a FETCH 1 BODY[0]\r\n",
        ] {
            parse_bad(bad);
        }
    }
}
