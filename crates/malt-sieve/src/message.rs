//! The parsed view of the message a script runs on: the top-level header fields in order (raw
//! and decoded, editable by `editheader`), and the MIME tree (`body`, `mime`, `foreverypart`,
//! `extracttext`), built over `mail-parser`.
//!
//! Invariants:
//! - header values are seen as RFC 5228 §5.7 asks: unfolded, RFC 2047 encoded words decoded,
//!   leading and trailing whitespace removed; bytes that are not UTF-8 are read as Latin-1 (as
//!   Malt's ingest does);
//! - part 0 is the message itself; its header fields are [`MessageView::headers`], so `:mime`
//!   tests on the top level see `editheader` edits;
//! - the tree stops at [`Limits::max_mime_depth`] and no part's content is longer than
//!   [`Limits::max_body_scan`] bytes (cut at a character boundary);
//! - the MIME tree is built only when a test asks for it, and at most once per run;
//! - nothing here panics, whatever the bytes.

use std::cell::OnceCell;

use mail_parser::decoders::html::html_to_text;
use mail_parser::{HeaderValue, MessageParser, PartType, parsers::MessageStream};

use crate::limits::Limits;

/// One header field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderField {
    /// The field name as written.
    pub name: String,
    /// The value as written: what follows the colon, folding kept, without the final line break.
    pub raw_value: String,
    /// The value as tests see it (RFC 5228 §5.7): unfolded, RFC 2047 decoded, trimmed.
    pub value: String,
    /// The whole field as it is written back (name, colon, value, CRLF).
    pub field: Vec<u8>,
}

impl HeaderField {
    /// A field read from a message: `field` is the whole field, `name` and `raw_value` its parts.
    fn read(name: &str, raw_value: &[u8], field: &[u8]) -> HeaderField {
        let raw_value = text_of(trim_line_end(raw_value));
        let mut field = field.to_vec();
        if !field.ends_with(b"\n") {
            field.extend_from_slice(b"\r\n");
        }
        HeaderField {
            name: name.to_string(),
            value: decode_value(&raw_value),
            raw_value,
            field,
        }
    }

    /// A field added by `addheader` (RFC 5293 §4): `value` is already encoded for the wire.
    pub fn new(name: &str, value: &str) -> HeaderField {
        let field = format!("{name}: {value}\r\n").into_bytes();
        HeaderField {
            name: name.to_string(),
            value: decode_value(value),
            raw_value: format!(" {value}"),
            field,
        }
    }

    /// Does this field have this name (case-insensitive, RFC 5228 §2.4.2.2)?
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// A MIME media type (RFC 2045 §5), lowercased, with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    pub kind: String,
    pub subtype: String,
    /// Parameter names lowercased, values decoded (RFC 2231).
    pub params: Vec<(String, String)>,
}

impl MediaType {
    fn text_plain() -> MediaType {
        MediaType {
            kind: "text".into(),
            subtype: "plain".into(),
            params: Vec::new(),
        }
    }
}

/// What a MIME part holds once decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartContent {
    /// A `text/*` part other than HTML, decoded to UTF-8.
    Text(String),
    /// A `text/html` part, decoded to UTF-8 (markup kept).
    Html(String),
    /// Any other leaf part, transfer-decoded.
    Binary(Vec<u8>),
    /// A `multipart/*`: its parts are children; prologue and epilogue are the text around them
    /// (what `body :content "multipart"` tests, RFC 5173 §5.2).
    Multipart { prologue: String, epilogue: String },
    /// A `message/rfc822`: its child is the enclosed message; here its header section (what
    /// `body :content "message/rfc822"` tests, RFC 5173 §5.2).
    Message { header: String },
}

/// One MIME part of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MimePart {
    /// Header fields of the part; empty for part 0, whose fields are the message's.
    headers: Vec<HeaderField>,
    /// The part's Content-Type, `text/plain` when absent or unreadable (RFC 2045 §5.2).
    pub media_type: MediaType,
    pub content: PartContent,
    /// Indexes of the child parts, in order.
    pub children: Vec<usize>,
}

/// The message a script runs on.
#[derive(Debug, Clone)]
pub struct MessageView<'a> {
    raw: &'a [u8],
    headers: Vec<HeaderField>,
    body_offset: usize,
    edited: bool,
    max_mime_depth: usize,
    max_body_scan: usize,
    /// The MIME tree, built the first time a test needs it (most scripts read headers only).
    parts: OnceCell<Vec<MimePart>>,
    /// The text of every text part, HTML turned into text (`body :text`), built once.
    texts: OnceCell<Vec<String>>,
}

impl<'a> MessageView<'a> {
    /// Parse the header of `raw` (a whole message); the body waits until a test needs it.
    pub fn parse(raw: &'a [u8], limits: &Limits) -> MessageView<'a> {
        let root = MessageParser::new().parse_headers(raw);
        let root_part = root.as_ref().and_then(|m| m.parts.first());
        MessageView {
            raw,
            headers: root_part.map_or_else(Vec::new, |part| read_headers(part, raw)),
            body_offset: root_part.map_or(0, |part| body_offset(part, raw)),
            edited: false,
            max_mime_depth: limits.max_mime_depth,
            max_body_scan: limits.max_body_scan,
            parts: OnceCell::new(),
            texts: OnceCell::new(),
        }
    }

    /// The MIME tree of the message as received.
    fn tree(&self) -> &[MimePart] {
        self.parts.get_or_init(|| {
            let mut builder = TreeBuilder {
                parts: Vec::new(),
                max_mime_depth: self.max_mime_depth,
                max_body_scan: self.max_body_scan,
            };
            match MessageParser::new().parse(self.raw) {
                Some(message) => {
                    builder.add_message(&message, 0);
                }
                // No header at all: the whole message is a text/plain body.
                None => builder.parts.push(MimePart {
                    headers: Vec::new(),
                    media_type: MediaType::text_plain(),
                    content: PartContent::Text(cut_text(text_of(self.raw), self.max_body_scan)),
                    children: Vec::new(),
                }),
            }
            if let Some(root) = builder.parts.first_mut() {
                root.headers.clear();
            }
            builder.parts
        })
    }

    /// The text of every `text/*` part, HTML turned into text (RFC 5173 `:text`).
    pub fn texts(&self) -> &[String] {
        self.texts.get_or_init(|| {
            self.tree()
                .iter()
                .filter_map(|part| match &part.content {
                    PartContent::Text(text) if part.media_type.kind == "text" => Some(text.clone()),
                    PartContent::Html(html) => Some(html_to_text(html)),
                    _ => None,
                })
                .collect()
        })
    }

    /// The message size in octets, as received (RFC 5228 §5.9).
    pub fn size(&self) -> usize {
        self.raw.len()
    }

    /// The top-level header fields, in order, with `editheader` edits.
    pub fn headers(&self) -> &[HeaderField] {
        &self.headers
    }

    /// The decoded values of the top-level fields named `name`, in order.
    pub fn header_values<'s, 'n>(&'s self, name: &'n str) -> impl Iterator<Item = &'s str> + use<'s, 'n, 'a> {
        self.headers
            .iter()
            .filter(move |h| h.is(name))
            .map(|h| h.value.as_str())
    }

    /// The first decoded value of the top-level field `name`.
    pub fn first_value(&self, name: &str) -> Option<&str> {
        self.header_values(name).next()
    }

    /// The Message-ID (RFC 5322 §3.6.4) as written, trimmed.
    pub fn message_id(&self) -> Option<&str> {
        self.first_value("message-id").filter(|id| !id.is_empty())
    }

    /// The body exactly as received: everything after the header section (RFC 5173 `:raw`).
    pub fn raw_body(&self) -> &[u8] {
        self.raw.get(self.body_offset..).unwrap_or_default()
    }

    /// Insert a field at the top, or at the end when `last` (RFC 5293 §4).
    pub fn add_header(&mut self, field: HeaderField, last: bool) {
        if last {
            self.headers.push(field);
        } else {
            self.headers.insert(0, field);
        }
        self.edited = true;
    }

    /// Remove the top-level fields whose positions (indexes into [`Self::headers`]) are given.
    pub fn remove_headers(&mut self, positions: &[usize]) {
        if positions.is_empty() {
            return;
        }
        let mut index = 0;
        self.headers.retain(|_| {
            let keep = !positions.contains(&index);
            index += 1;
            keep
        });
        self.edited = true;
    }

    /// After `editheader`: the new header section (fields, then the empty line); `None` when
    /// nothing was edited.
    pub fn edited_header(&self) -> Option<Vec<u8>> {
        if !self.edited {
            return None;
        }
        let mut out = Vec::with_capacity(self.body_offset + 64);
        for field in &self.headers {
            out.extend_from_slice(&field.field);
        }
        out.extend_from_slice(b"\r\n");
        Some(out)
    }

    /// Every MIME part; index 0 is the message itself.
    pub fn parts(&self) -> &[MimePart] {
        self.tree()
    }

    /// One part.
    pub fn part(&self, index: usize) -> Option<&MimePart> {
        self.tree().get(index)
    }

    /// The header fields of a part (the message's own, edits included, for part 0).
    pub fn part_headers(&self, index: usize) -> &[HeaderField] {
        if index == 0 {
            &self.headers
        } else {
            self.tree().get(index).map_or(&[], |p| p.headers.as_slice())
        }
    }

    /// `index` and all parts below it, depth first (RFC 5703 §3 order).
    pub fn subtree(&self, index: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![index];
        while let Some(next) = stack.pop() {
            if let Some(part) = self.tree().get(next) {
                out.push(next);
                stack.extend(part.children.iter().rev());
            }
        }
        out
    }
}

/// Builds the flat part list from mail-parser's messages (nested messages included).
struct TreeBuilder {
    parts: Vec<MimePart>,
    max_mime_depth: usize,
    max_body_scan: usize,
}

impl TreeBuilder {
    /// Add the message's root part (and its subtree) at `depth`; returns its index.
    fn add_message(&mut self, message: &mail_parser::Message<'_>, depth: usize) -> Option<usize> {
        self.add_part(message, 0, depth)
    }

    fn add_part(&mut self, message: &mail_parser::Message<'_>, id: usize, depth: usize) -> Option<usize> {
        if depth > self.max_mime_depth {
            return None;
        }
        let raw = message.raw_message.as_ref();
        let part = message.parts.get(id)?;
        let headers = read_headers(part, raw);
        let media_type = headers
            .iter()
            .rev()
            .find(|h| h.is("content-type"))
            .and_then(|h| parse_media_type(&h.raw_value))
            .unwrap_or_else(MediaType::text_plain);
        let max = self.max_body_scan;
        let content = match &part.body {
            PartType::Text(text) => PartContent::Text(cut_text(text.to_string(), max)),
            PartType::Html(text) => PartContent::Html(cut_text(text.to_string(), max)),
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                PartContent::Binary(bytes.iter().take(max).copied().collect())
            }
            PartType::Message(nested) => {
                let end = nested
                    .parts
                    .first()
                    .map_or(0, |p| p.offset_body as usize)
                    .min(nested.raw_message.len());
                let start = nested
                    .parts
                    .first()
                    .map_or(0, |p| p.offset_header as usize)
                    .min(end);
                let header = nested.raw_message.get(start..end).unwrap_or_default();
                PartContent::Message {
                    header: cut_text(text_of(header), max),
                }
            }
            PartType::Multipart(_) => {
                let body = raw
                    .get(part.offset_body as usize..part.offset_end as usize)
                    .unwrap_or_default();
                let boundary = media_type
                    .params
                    .iter()
                    .find(|(name, _)| name == "boundary")
                    .map(|(_, value)| value.as_str())
                    .unwrap_or_default();
                let (prologue, epilogue) = prologue_epilogue(body, boundary);
                PartContent::Multipart {
                    prologue: cut_text(prologue, max),
                    epilogue: cut_text(epilogue, max),
                }
            }
        };
        let index = self.parts.len();
        self.parts.push(MimePart {
            headers,
            media_type,
            content,
            children: Vec::new(),
        });
        let children: Vec<usize> = match &part.body {
            PartType::Multipart(ids) => ids
                .iter()
                .filter_map(|child| self.add_part(message, *child as usize, depth + 1))
                .collect(),
            PartType::Message(nested) => self.add_message(nested, depth + 1).into_iter().collect(),
            _ => Vec::new(),
        };
        if let Some(me) = self.parts.get_mut(index) {
            me.children = children;
        }
        Some(index)
    }
}

/// The header fields of a mail-parser part, from the raw bytes they were read from.
fn read_headers(part: &mail_parser::MessagePart<'_>, raw: &[u8]) -> Vec<HeaderField> {
    part.headers
        .iter()
        .filter_map(|h| {
            let field = raw.get(h.offset_field as usize..h.offset_end as usize)?;
            let value = raw.get(h.offset_start as usize..h.offset_end as usize)?;
            let colon = field.iter().position(|&b| b == b':')?;
            let name = text_of(field.get(..colon)?);
            Some(HeaderField::read(name.trim(), value, field))
        })
        .collect()
}

/// Where the body starts: after the last header field and the empty line (RFC 5322 §2.1).
fn body_offset(root: &mail_parser::MessagePart<'_>, raw: &[u8]) -> usize {
    let header_end = root
        .headers
        .iter()
        .map(|h| h.offset_end as usize)
        .max()
        .unwrap_or(0)
        .min(raw.len());
    let rest = raw.get(header_end..).unwrap_or_default();
    if rest.starts_with(b"\r\n") {
        header_end + 2
    } else if rest.starts_with(b"\n") {
        header_end + 1
    } else {
        header_end
    }
}

/// The text before the first boundary line and after the closing one (RFC 2046 §5.1.1).
fn prologue_epilogue(body: &[u8], boundary: &str) -> (String, String) {
    if boundary.is_empty() {
        return (String::new(), String::new());
    }
    let delimiter = format!("--{boundary}");
    let closing = format!("--{boundary}--");
    let mut prologue_end = None;
    let mut epilogue_start = None;
    let mut offset = 0;
    for line in body.split_inclusive(|&b| b == b'\n') {
        let trimmed = trim_line_end(line);
        if trimmed.starts_with(delimiter.as_bytes()) {
            if prologue_end.is_none() {
                prologue_end = Some(offset);
            }
            if trimmed.starts_with(closing.as_bytes()) {
                epilogue_start = Some(offset + line.len());
            }
        }
        offset += line.len();
    }
    let prologue = prologue_end
        .and_then(|end| body.get(..end))
        .map(|p| text_of(trim_line_end(p)))
        .unwrap_or_default();
    let epilogue = epilogue_start
        .and_then(|start| body.get(start..))
        .map(text_of)
        .unwrap_or_default();
    (prologue, epilogue)
}

/// Parse a Content-Type or Content-Disposition value (RFC 2045 §5.1, RFC 2183): type, subtype
/// and parameters (mail-parser decodes RFC 2231 continuations).
pub fn parse_media_type(raw_value: &str) -> Option<MediaType> {
    let mut bytes = raw_value.as_bytes().to_vec();
    bytes.push(b'\n');
    let parsed = MessageStream::new(&bytes).parse_content_type();
    let HeaderValue::ContentType(ct) = parsed else {
        return None;
    };
    Some(MediaType {
        kind: ct.c_type.to_ascii_lowercase(),
        subtype: ct.c_subtype.as_deref().unwrap_or_default().to_ascii_lowercase(),
        params: ct
            .attributes
            .unwrap_or_default()
            .into_iter()
            .map(|a| (a.name.to_ascii_lowercase(), a.value.to_string()))
            .collect(),
    })
}

/// Unfold, decode RFC 2047 words and trim a raw header value (RFC 5228 §5.7).
pub fn decode_value(raw_value: &str) -> String {
    if !raw_value.contains("=?") {
        return unfold(raw_value);
    }
    let mut bytes = raw_value.as_bytes().to_vec();
    bytes.push(b'\n');
    match MessageStream::new(&bytes).parse_unstructured() {
        HeaderValue::Text(text) => text.trim().to_string(),
        _ => String::new(),
    }
}

/// RFC 5322 §2.2.3 unfolding (CRLF before whitespace removed), then trimming.
pub fn unfold(raw_value: &str) -> String {
    let mut out = String::with_capacity(raw_value.len());
    for piece in raw_value.split('\n') {
        out.push_str(piece.strip_suffix('\r').unwrap_or(piece));
    }
    out.trim().to_string()
}

/// Bytes as text: UTF-8 when they are, else Latin-1.
pub fn text_of(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// `text` cut to at most `max` bytes, at a character boundary.
pub fn cut_text(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

fn trim_line_end(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MULTIPART: &str = "From: a@example.com\r\nSubject: =?utf-8?q?caf=C3=A9?= au\r\n lait\r\n\
        MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
        prologue\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain\r\n\
        --b1\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n\
        --b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n\
        aGVsbG8=\r\n--b1--\r\nepilogue\r\n";

    #[test]
    fn headers_are_decoded_unfolded_and_kept_raw() {
        let view = MessageView::parse(MULTIPART.as_bytes(), &Limits::default());
        let subject = view.headers().iter().find(|h| h.is("subject")).unwrap();
        assert_eq!(subject.value, "café au lait");
        assert_eq!(subject.raw_value, " =?utf-8?q?caf=C3=A9?= au\r\n lait");
        assert_eq!(
            subject.field,
            b"Subject: =?utf-8?q?caf=C3=A9?= au\r\n lait\r\n".to_vec()
        );
        assert_eq!(view.first_value("FROM"), Some("a@example.com"));
    }

    #[test]
    fn mime_tree_in_depth_first_order() {
        let view = MessageView::parse(MULTIPART.as_bytes(), &Limits::default());
        let types: Vec<String> = view
            .subtree(0)
            .into_iter()
            .map(|i| {
                let t = &view.part(i).unwrap().media_type;
                format!("{}/{}", t.kind, t.subtype)
            })
            .collect();
        assert_eq!(
            types,
            [
                "multipart/mixed",
                "text/plain",
                "message/rfc822",
                "text/plain",
                "application/octet-stream"
            ]
        );
        let root = view.part(0).unwrap();
        assert_eq!(
            root.content,
            PartContent::Multipart {
                prologue: "prologue".into(),
                epilogue: "epilogue\r\n".into()
            }
        );
        let binary = view.part(4).unwrap();
        assert_eq!(binary.content, PartContent::Binary(b"hello".to_vec()));
        assert_eq!(
            view.part(2).unwrap().content,
            PartContent::Message {
                header: "Subject: inner\r\n\r\n".into()
            }
        );
        assert_eq!(view.part_headers(3).first().unwrap().value, "inner");
    }

    #[test]
    fn depth_and_scan_limits_hold() {
        let limits = Limits {
            max_mime_depth: 0,
            max_body_scan: 3,
            ..Limits::default()
        };
        let view = MessageView::parse(MULTIPART.as_bytes(), &limits);
        assert_eq!(view.parts().len(), 1);
        let plain = MessageView::parse("Subject: x\r\n\r\nhéllo".as_bytes(), &limits);
        // "hé" is 3 bytes: the cut keeps whole characters.
        assert_eq!(plain.part(0).unwrap().content, PartContent::Text("hé".into()));
    }

    #[test]
    fn edits_are_written_back() {
        let mut view = MessageView::parse(b"A: 1\r\nB: 2\r\n\r\nbody", &Limits::default());
        assert_eq!(view.edited_header(), None);
        view.add_header(HeaderField::new("X-New", "v"), false);
        view.remove_headers(&[2]);
        assert_eq!(
            view.edited_header().unwrap(),
            b"X-New: v\r\nA: 1\r\n\r\n".to_vec()
        );
        assert_eq!(view.raw_body(), b"body");
    }

    #[test]
    fn latin1_and_garbage_do_not_panic() {
        let view = MessageView::parse(b"Subject: caf\xe9\r\n\r\n\xff\xfe", &Limits::default());
        assert_eq!(view.first_value("subject"), Some("café"));
        for junk in [&b""[..], b"\r\n\r\n", b":::", b"--\r\n--"] {
            let _ = MessageView::parse(junk, &Limits::default());
        }
    }
}
