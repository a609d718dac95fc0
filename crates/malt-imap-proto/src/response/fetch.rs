//! FETCH response items (RFC 9051 §7.5.2), written one by one into `* n FETCH (...)`.

use malt_store::meta::{BodyPart, Envelope};

use crate::command::{DateTime, Flag, Section};
use crate::encode::{
    StringStyle, date_time_string, write_flag_list, write_literal, write_nstring, write_section, write_string,
};

/// One data item of a FETCH response.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchItem<'a> {
    Flags(&'a [Flag]),
    Uid(u32),
    InternalDate(DateTime),
    Rfc822Size(u64),
    Envelope(&'a Envelope),
    BodyStructure(&'a BodyPart),
    /// Non-extensible `BODY`.
    Body(&'a BodyPart),
    /// `BODY[section]<origin>`; `None` data is NIL.
    BodySection {
        section: &'a Section,
        origin: Option<u64>,
        data: Option<&'a [u8]>,
    },
    /// `BINARY[part]<origin>`: a literal8 when the data has NUL.
    Binary {
        part: &'a [u32],
        origin: Option<u64>,
        data: Option<&'a [u8]>,
    },
    BinarySize {
        part: &'a [u32],
        size: u64,
    },
    Rfc822(&'a [u8]),
    Rfc822Header(&'a [u8]),
    Rfc822Text(&'a [u8]),
    ModSeq(u64),
    /// RFC 8970; `None` is NIL (not yet computed under LAZY).
    Preview(Option<&'a str>),
    EmailId(&'a str),
    /// `None` is NIL.
    ThreadId(Option<&'a str>),
    /// `None` is NIL (RFC 8514).
    SaveDate(Option<DateTime>),
}

/// Body data are always literals (they may hold CR LF and 8-bit octets), even when short.
fn write_data(out: &mut Vec<u8>, data: Option<&[u8]>, style: StringStyle, binary: bool) {
    match data {
        None => out.extend_from_slice(b"NIL"),
        Some(d) => write_literal(out, d, style, binary && d.contains(&0)),
    }
}

pub(crate) fn write_item(out: &mut Vec<u8>, item: &FetchItem<'_>, style: StringStyle) {
    let origin = |out: &mut Vec<u8>, o: &Option<u64>| {
        if let Some(o) = o {
            out.extend_from_slice(format!("<{o}>").as_bytes());
        }
    };
    match item {
        FetchItem::Flags(flags) => {
            out.extend_from_slice(b"FLAGS ");
            write_flag_list(out, flags);
        }
        FetchItem::Uid(n) => out.extend_from_slice(format!("UID {n}").as_bytes()),
        FetchItem::InternalDate(d) => {
            out.extend_from_slice(format!("INTERNALDATE {}", date_time_string(d)).as_bytes())
        }
        FetchItem::Rfc822Size(n) => out.extend_from_slice(format!("RFC822.SIZE {n}").as_bytes()),
        FetchItem::Envelope(e) => {
            out.extend_from_slice(b"ENVELOPE ");
            super::body::write_envelope_styled(out, e, style);
        }
        FetchItem::BodyStructure(b) => {
            out.extend_from_slice(b"BODYSTRUCTURE ");
            super::body::write_body_structure(out, b, true, style.utf8);
        }
        FetchItem::Body(b) => {
            out.extend_from_slice(b"BODY ");
            super::body::write_body_structure(out, b, false, style.utf8);
        }
        FetchItem::BodySection {
            section,
            origin: o,
            data,
        } => {
            out.extend_from_slice(b"BODY[");
            write_section(out, section, style);
            out.push(b']');
            origin(out, o);
            out.push(b' ');
            write_data(out, *data, style, false);
        }
        FetchItem::Binary {
            part,
            origin: o,
            data,
        } => {
            out.extend_from_slice(b"BINARY[");
            crate::encode::write_part(out, part);
            out.push(b']');
            origin(out, o);
            out.push(b' ');
            write_data(out, *data, style, true);
        }
        FetchItem::BinarySize { part, size } => {
            out.extend_from_slice(b"BINARY.SIZE[");
            crate::encode::write_part(out, part);
            out.extend_from_slice(format!("] {size}").as_bytes());
        }
        FetchItem::Rfc822(d) => {
            out.extend_from_slice(b"RFC822 ");
            write_data(out, Some(d), style, false);
        }
        FetchItem::Rfc822Header(d) => {
            out.extend_from_slice(b"RFC822.HEADER ");
            write_data(out, Some(d), style, false);
        }
        FetchItem::Rfc822Text(d) => {
            out.extend_from_slice(b"RFC822.TEXT ");
            write_data(out, Some(d), style, false);
        }
        FetchItem::ModSeq(n) => out.extend_from_slice(format!("MODSEQ ({n})").as_bytes()),
        FetchItem::Preview(p) => {
            out.extend_from_slice(b"PREVIEW ");
            // RFC 8970 §3: the preview is UTF-8 text; without UTF8=ACCEPT non-ASCII needs a literal.
            match p {
                Some(p) => write_string(out, p.as_bytes(), style),
                None => out.extend_from_slice(b"NIL"),
            }
        }
        FetchItem::EmailId(id) => out.extend_from_slice(format!("EMAILID ({id})").as_bytes()),
        FetchItem::ThreadId(Some(id)) => out.extend_from_slice(format!("THREADID ({id})").as_bytes()),
        FetchItem::ThreadId(None) => out.extend_from_slice(b"THREADID NIL"),
        FetchItem::SaveDate(d) => {
            out.extend_from_slice(b"SAVEDATE ");
            match d {
                Some(d) => out.extend_from_slice(date_time_string(d).as_bytes()),
                None => write_nstring(out, None, style),
            }
        }
    }
}
