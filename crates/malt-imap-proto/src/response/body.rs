//! ENVELOPE and BODYSTRUCTURE / BODY (RFC 9051 §7.5.2) from `malt_store::meta`.
//!
//! Invariants:
//! - Output always matches the RFC 9051 §9 grammar, whatever the metadata holds: a multipart with
//!   no parts gets an empty `text/plain` part, a `message/rfc822` part without an envelope gets
//!   an all-NIL envelope and, without a sub-part, an empty `text/plain` body; nesting deeper than
//!   [`MAX_BODY_DEPTH`] is cut the same way.
//! - Sender and Reply-To default to From when absent (RFC 9051 §7.5.2).
//! - Without UTF8=ACCEPT, non-ASCII names and subjects are written as RFC 2047 encoded words.

use base64::Engine;
use malt_store::meta::{Address, BodyPart, Envelope};

use crate::encode::{StringStyle, write_nstring, write_string};

/// Deepest nesting of body parts written; deeper parts are replaced by an empty text part.
pub const MAX_BODY_DEPTH: usize = 64;

/// Writes text that may be non-ASCII: as is with UTF-8 allowed, else as RFC 2047 words.
fn write_text(out: &mut Vec<u8>, s: Option<&str>, style: StringStyle) {
    match s {
        Some(s) if !style.utf8 && !s.is_ascii() => {
            write_string(out, encode_words(s).as_bytes(), style);
        }
        Some(s) => write_string(out, s.as_bytes(), style),
        None => out.extend_from_slice(b"NIL"),
    }
}

/// RFC 2047 `=?utf-8?B?...?=` words of at most 75 characters, split on character boundaries.
pub fn encode_words(s: &str) -> String {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for ch in s.chars() {
        if chunk.len() + ch.len_utf8() > 45 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(ch);
    }
    if !chunk.is_empty() {
        words.push(chunk);
    }
    words
        .iter()
        .map(|w| {
            format!(
                "=?utf-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(w.as_bytes())
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn write_address(out: &mut Vec<u8>, a: &Address, style: StringStyle) {
    out.push(b'(');
    if a.group_end {
        out.extend_from_slice(b"NIL NIL NIL NIL");
    } else if a.group_start {
        out.extend_from_slice(b"NIL NIL ");
        write_text(out, a.mailbox.as_deref().or(a.name.as_deref()), style);
        out.extend_from_slice(b" NIL");
    } else {
        write_text(out, a.name.as_deref(), style);
        out.extend_from_slice(b" NIL ");
        write_nstring(out, a.mailbox.as_deref().map(str::as_bytes), style);
        out.push(b' ');
        write_nstring(out, a.host.as_deref().map(str::as_bytes), style);
    }
    out.push(b')');
}

fn write_addresses(out: &mut Vec<u8>, list: &[Address], style: StringStyle) {
    if list.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for a in list {
        write_address(out, a, style);
    }
    out.push(b')');
}

/// Writes an ENVELOPE (the parenthesised list, without the `ENVELOPE` name); `utf8` when
/// UTF8=ACCEPT is enabled.
pub fn write_envelope(out: &mut Vec<u8>, env: &Envelope, utf8: bool) {
    write_envelope_styled(
        out,
        env,
        StringStyle {
            utf8,
            literal_plus: false,
        },
    );
}

pub(crate) fn write_envelope_styled(out: &mut Vec<u8>, env: &Envelope, style: StringStyle) {
    out.push(b'(');
    write_nstring(out, env.date.as_deref().map(str::as_bytes), style);
    out.push(b' ');
    write_text(out, env.subject.as_deref(), style);
    out.push(b' ');
    write_addresses(out, &env.from, style);
    out.push(b' ');
    write_addresses(
        out,
        if env.sender.is_empty() {
            &env.from
        } else {
            &env.sender
        },
        style,
    );
    out.push(b' ');
    write_addresses(
        out,
        if env.reply_to.is_empty() {
            &env.from
        } else {
            &env.reply_to
        },
        style,
    );
    for list in [&env.to, &env.cc, &env.bcc] {
        out.push(b' ');
        write_addresses(out, list, style);
    }
    out.push(b' ');
    write_nstring(out, env.in_reply_to.as_deref().map(str::as_bytes), style);
    out.push(b' ');
    write_nstring(out, env.message_id.as_deref().map(str::as_bytes), style);
    out.push(b')');
}

fn write_params(out: &mut Vec<u8>, params: &[(String, String)], style: StringStyle) {
    if params.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        write_string(out, k.as_bytes(), style);
        out.push(b' ');
        write_text(out, Some(v), style);
    }
    out.push(b')');
}

fn write_disposition_language_location(out: &mut Vec<u8>, part: &BodyPart, style: StringStyle) {
    out.push(b' ');
    match &part.disposition {
        Some((value, params)) => {
            out.push(b'(');
            write_string(out, value.as_bytes(), style);
            out.push(b' ');
            write_params(out, params, style);
            out.push(b')');
        }
        None => out.extend_from_slice(b"NIL"),
    }
    out.push(b' ');
    match part.language.as_slice() {
        [] => out.extend_from_slice(b"NIL"),
        [one] => write_string(out, one.as_bytes(), style),
        many => {
            out.push(b'(');
            for (i, l) in many.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_string(out, l.as_bytes(), style);
            }
            out.push(b')');
        }
    }
    out.push(b' ');
    write_nstring(out, part.location.as_deref().map(str::as_bytes), style);
}

fn empty_text_part() -> BodyPart {
    BodyPart {
        media_type: "text".into(),
        subtype: "plain".into(),
        encoding: "7BIT".into(),
        ..BodyPart::default()
    }
}

fn nonempty(s: &str, default: &str) -> String {
    if s.is_empty() {
        default.to_string()
    } else {
        s.to_string()
    }
}

fn is_message(part: &BodyPart) -> bool {
    part.media_type.eq_ignore_ascii_case("message")
        && (part.subtype.eq_ignore_ascii_case("rfc822") || part.subtype.eq_ignore_ascii_case("global"))
}

/// Writes BODYSTRUCTURE (`extensible: true`) or BODY (`false`) of `part`, without the item name;
/// `utf8` when UTF8=ACCEPT is enabled.
pub fn write_body_structure(out: &mut Vec<u8>, part: &BodyPart, extensible: bool, utf8: bool) {
    write_part(
        out,
        part,
        extensible,
        StringStyle {
            utf8,
            literal_plus: false,
        },
        0,
    );
}

fn write_part(out: &mut Vec<u8>, part: &BodyPart, ext: bool, style: StringStyle, depth: usize) {
    if depth >= MAX_BODY_DEPTH {
        write_part(out, &empty_text_part(), ext, style, 0);
        return;
    }
    out.push(b'(');
    if part.media_type.eq_ignore_ascii_case("multipart") {
        if part.parts.is_empty() {
            write_part(out, &empty_text_part(), ext, style, depth + 1);
        }
        for p in &part.parts {
            write_part(out, p, ext, style, depth + 1);
        }
        out.push(b' ');
        write_string(out, nonempty(&part.subtype, "mixed").as_bytes(), style);
        if ext {
            out.push(b' ');
            write_params(out, &part.params, style);
            write_disposition_language_location(out, part, style);
        }
        out.push(b')');
        return;
    }
    write_string(out, nonempty(&part.media_type, "text").as_bytes(), style);
    out.push(b' ');
    write_string(out, nonempty(&part.subtype, "plain").as_bytes(), style);
    out.push(b' ');
    write_params(out, &part.params, style);
    out.push(b' ');
    write_nstring(out, part.id.as_deref().map(str::as_bytes), style);
    out.push(b' ');
    write_text(out, part.description.as_deref(), style);
    out.push(b' ');
    write_string(out, nonempty(&part.encoding, "7BIT").as_bytes(), style);
    out.extend_from_slice(format!(" {}", part.size).as_bytes());
    if is_message(part) {
        out.push(b' ');
        let empty = Envelope::default();
        write_envelope_styled(out, part.envelope.as_deref().unwrap_or(&empty), style);
        out.push(b' ');
        match part.parts.first() {
            Some(inner) => write_part(out, inner, ext, style, depth + 1),
            None => write_part(out, &empty_text_part(), ext, style, depth + 1),
        }
        out.extend_from_slice(format!(" {}", part.lines).as_bytes());
    } else if part.media_type.eq_ignore_ascii_case("text") || part.media_type.is_empty() {
        out.extend_from_slice(format!(" {}", part.lines).as_bytes());
    }
    if ext {
        out.push(b' ');
        write_nstring(out, part.md5.as_deref().map(str::as_bytes), style);
        write_disposition_language_location(out, part, style);
    }
    out.push(b')');
}
