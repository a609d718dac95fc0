//! Low-level writers shared by the response writers and the client-side command serialiser:
//! atoms, quoted strings, literals, NIL, sequence sets, flags, dates and section specs.
//!
//! Invariant: every string is written in a form the RFC 9051 §9 grammar reads back as exactly the
//! same octets: an atom only when every octet is an ASTRING-CHAR, a quoted string only when it has
//! no CR, LF or NUL (and no 8-bit octet unless UTF-8 is allowed) and is not escape-heavy, else a
//! literal.

use crate::command::{Date, DateTime, Flag, Section, SectionText, SeqNum, SequenceSet};
use crate::parser::{is_astring_char, is_list_char};

/// How literals are written: `{n}` (server responses, or a client waiting for `+`) or
/// `{n+}` (a client using LITERAL+, RFC 7888).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StringStyle {
    pub utf8: bool,
    pub literal_plus: bool,
}

/// Longest string written quoted; longer ones become literals.
const MAX_QUOTED: usize = 1024;

fn quotable(s: &[u8], utf8: bool) -> bool {
    if s.len() > MAX_QUOTED {
        return false;
    }
    let mut escapes = 0usize;
    for &b in s {
        match b {
            0 | b'\r' | b'\n' => return false,
            b'"' | b'\\' => escapes += 1,
            0x80.. if !utf8 => return false,
            _ => {}
        }
    }
    if utf8 && std::str::from_utf8(s).is_err() {
        return false;
    }
    // Escape-heavy data reads better as a literal.
    escapes <= 4 || escapes * 4 <= s.len()
}

pub(crate) fn write_quoted(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

pub(crate) fn write_literal(out: &mut Vec<u8>, s: &[u8], style: StringStyle, binary: bool) {
    if binary {
        out.push(b'~');
    }
    out.extend_from_slice(
        format!("{{{}{}}}\r\n", s.len(), if style.literal_plus { "+" } else { "" }).as_bytes(),
    );
    out.extend_from_slice(s);
}

/// string: quoted or literal.
pub(crate) fn write_string(out: &mut Vec<u8>, s: &[u8], style: StringStyle) {
    if quotable(s, style.utf8) {
        write_quoted(out, s);
    } else {
        write_literal(out, s, style, false);
    }
}

/// nstring: NIL or string.
pub(crate) fn write_nstring(out: &mut Vec<u8>, s: Option<&[u8]>, style: StringStyle) {
    match s {
        Some(s) => write_string(out, s, style),
        None => out.extend_from_slice(b"NIL"),
    }
}

/// astring: an atom when possible (never the atom `NIL`, which readers of nstrings would take for
/// NIL), else a string.
pub(crate) fn write_astring(out: &mut Vec<u8>, s: &[u8], style: StringStyle) {
    if !s.is_empty() && s.iter().all(|&b| is_astring_char(b)) && !s.eq_ignore_ascii_case(b"NIL") {
        out.extend_from_slice(s);
    } else {
        write_string(out, s, style);
    }
}

/// list-mailbox: list-chars as an atom, else a string.
pub(crate) fn write_list_mailbox(out: &mut Vec<u8>, s: &[u8], style: StringStyle) {
    if !s.is_empty() && s.iter().all(|&b| is_list_char(b)) {
        out.extend_from_slice(s);
    } else {
        write_string(out, s, style);
    }
}

fn seq_num(out: &mut Vec<u8>, n: SeqNum) {
    match n {
        SeqNum::Star => out.push(b'*'),
        SeqNum::Value(v) => out.extend_from_slice(v.to_string().as_bytes()),
    }
}

pub(crate) fn write_sequence_set(out: &mut Vec<u8>, set: &SequenceSet) {
    match set {
        SequenceSet::Saved => out.push(b'$'),
        SequenceSet::Ranges(ranges) => {
            for (i, r) in ranges.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                seq_num(out, r.start);
                if r.end != r.start {
                    out.push(b':');
                    seq_num(out, r.end);
                }
            }
        }
    }
}

/// A flag as sent on the wire.
pub fn flag_str(flag: &Flag) -> std::borrow::Cow<'_, str> {
    match flag {
        Flag::Seen => "\\Seen".into(),
        Flag::Answered => "\\Answered".into(),
        Flag::Flagged => "\\Flagged".into(),
        Flag::Deleted => "\\Deleted".into(),
        Flag::Draft => "\\Draft".into(),
        Flag::Recent => "\\Recent".into(),
        Flag::Extension(name) => format!("\\{name}").into(),
        Flag::Keyword(name) => name.as_str().into(),
    }
}

pub(crate) fn write_flag_list(out: &mut Vec<u8>, flags: &[Flag]) {
    out.push(b'(');
    for (i, f) in flags.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(flag_str(f).as_bytes());
    }
    out.push(b')');
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn month(m: u8) -> &'static str {
    MONTHS
        .get(usize::from(m.saturating_sub(1)))
        .copied()
        .unwrap_or("Jan")
}

/// `"dd-Mon-yyyy hh:mm:ss +zzzz"` (RFC 9051 date-time, quotes included).
pub fn date_time_string(d: &DateTime) -> String {
    let sign = if d.zone_minutes < 0 { '-' } else { '+' };
    let z = d.zone_minutes.unsigned_abs();
    format!(
        "\"{:02}-{}-{:04} {:02}:{:02}:{:02} {}{:02}{:02}\"",
        d.day,
        month(d.month),
        d.year,
        d.hour,
        d.minute,
        d.second,
        sign,
        z / 60,
        z % 60
    )
}

/// `d-Mon-yyyy`.
pub fn date_string(d: &Date) -> String {
    format!("{}-{}-{:04}", d.day, month(d.month), d.year)
}

/// The section spec between brackets, e.g. `1.2.HEADER.FIELDS (FROM TO)`.
pub(crate) fn write_section(out: &mut Vec<u8>, section: &Section, style: StringStyle) {
    write_part(out, &section.part);
    if let Some(text) = &section.text {
        if !section.part.is_empty() {
            out.push(b'.');
        }
        let fields = |out: &mut Vec<u8>, name: &str, fields: &[String]| {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b" (");
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_astring(out, f.as_bytes(), style);
            }
            out.push(b')');
        };
        match text {
            SectionText::Header => out.extend_from_slice(b"HEADER"),
            SectionText::Text => out.extend_from_slice(b"TEXT"),
            SectionText::Mime => out.extend_from_slice(b"MIME"),
            SectionText::HeaderFields(f) => fields(out, "HEADER.FIELDS", f),
            SectionText::HeaderFieldsNot(f) => fields(out, "HEADER.FIELDS.NOT", f),
        }
    }
}

pub(crate) fn write_part(out: &mut Vec<u8>, part: &[u32]) {
    for (i, p) in part.iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        out.extend_from_slice(p.to_string().as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: StringStyle = StringStyle {
        utf8: false,
        literal_plus: false,
    };

    fn astr(s: &[u8], style: StringStyle) -> Vec<u8> {
        let mut v = Vec::new();
        write_astring(&mut v, s, style);
        v
    }

    #[test]
    fn string_forms() {
        assert_eq!(astr(b"abc", S), b"abc");
        assert_eq!(astr(b"", S), b"\"\"");
        assert_eq!(astr(b"NIL", S), b"\"NIL\"");
        assert_eq!(astr(b"a b", S), b"\"a b\"");
        assert_eq!(astr(b"a\"b", S), b"\"a\\\"b\"");
        assert_eq!(astr(b"a\r\nb", S), b"{4}\r\na\r\nb");
        assert_eq!(astr("é".as_bytes(), S), b"{2}\r\n\xc3\xa9");
        assert_eq!(
            astr(
                "é".as_bytes(),
                StringStyle {
                    utf8: true,
                    literal_plus: false
                }
            ),
            "\"é\"".as_bytes()
        );
        assert_eq!(astr(b"\\\\\\\\\\\\", S), b"{6}\r\n\\\\\\\\\\\\");
        assert_eq!(
            astr(
                b"x\ny",
                StringStyle {
                    utf8: false,
                    literal_plus: true
                }
            ),
            b"{3+}\r\nx\ny"
        );
    }

    #[test]
    fn dates() {
        let d = DateTime {
            year: 2024,
            month: 3,
            day: 5,
            hour: 1,
            minute: 2,
            second: 3,
            zone_minutes: -90,
        };
        assert_eq!(date_time_string(&d), "\"05-Mar-2024 01:02:03 -0130\"");
        assert_eq!(
            date_string(&Date {
                year: 1994,
                month: 2,
                day: 1
            }),
            "1-Feb-1994"
        );
    }
}
