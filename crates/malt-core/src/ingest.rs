//! Message ingest: parse a raw message once and compute the [`MessageMeta`] that IMAP FETCH
//! (ENVELOPE, BODYSTRUCTURE, `BODY[section]`), SORT, THREAD, SEARCH and PREVIEW use afterwards.
//!
//! Invariants:
//! - [`parse_message`] never fails and never panics: corrupt, truncated, binary, 8-bit or
//!   headerless input gives a best-effort meta. A message without a header is `text/plain` with
//!   the whole input as its body. The message itself is always stored as it came.
//! - Offsets nest: for every part `header_start <= body_start <= body_end <= raw.len()`, and each
//!   child lies inside its parent's body (`parent.body_start <= child.header_start`,
//!   `child.body_end <= parent.body_end`), children in increasing order.
//! - The MIME structure is found by our own linear scan (delimiter lines, RFC 2046 §5.1.1: the
//!   line break before a delimiter belongs to the delimiter), so offsets are exact byte positions
//!   in the raw message. mail-parser decodes each header block (RFC 2047 words, RFC 2231
//!   parameters, addresses, dates) and the text of the preview part.
//! - `wire_size` is the size with every bare LF counted as CRLF (see [`wire_size`]), so POP3
//!   LIST/STAT and IMAP RFC822.SIZE never read the blob.
//! - Work is linear in the input size times the nesting depth, which is bounded by
//!   [`MAX_DEPTH`]; the number of parts is bounded by [`MAX_PARTS`]; header blocks larger than
//!   [`MAX_HEADER_DECODE`] are decoded only up to that size. A 50 MB message is fine.

use mail_parser::{Address as MpAddress, HeaderName, HeaderValue, MessageParser};
use malt_store::{Address, BodyPart, Envelope, MessageMeta, SortFields};

/// Deepest MIME nesting analysed; deeper entities are kept as opaque leaves.
pub const MAX_DEPTH: usize = 20;
/// Most MIME parts analysed in one message; further multiparts are kept as opaque leaves.
pub const MAX_PARTS: usize = 5000;
/// Largest header block handed to the header decoder.
pub const MAX_HEADER_DECODE: usize = 256 * 1024;
/// RFC 8970: a preview is at most 256 characters.
pub const PREVIEW_CHARS: usize = 256;
/// Encoded body bytes of the preview part that are decoded to build the preview.
const PREVIEW_SOURCE_BYTES: usize = 64 * 1024;

/// Parses `raw` and computes its metadata. Never fails.
pub fn parse_message(raw: &[u8]) -> MessageMeta {
    let mut p = Parser {
        raw,
        parts_left: MAX_PARTS,
    };
    let (body, headers) = p.entity(0, raw.len(), DefaultType::TextPlain, 0, true);
    let envelope = headers.envelope();
    let sort = sort_fields(&envelope, &headers, &body);
    let preview = preview(raw, &body);
    MessageMeta {
        envelope,
        body,
        sort,
        preview,
        wire_size: wire_size(raw),
    }
}

/// Header fields that a delivery puts before a message ([`crate::delivery`]) and that no field of
/// [`MessageMeta`] is derived from (RFC 5321 §4.4 trace fields, RFC 8601 results).
const TRACE_FIELDS: &[&str] = &[
    "return-path",
    "delivered-to",
    "received",
    "authentication-results",
];

/// The metadata of `prefix ++ raw`, given `meta = parse_message(raw)`: always equal to
/// `parse_message(prefix ++ raw)`, without parsing `raw` again when it can be avoided, so that a
/// delivery to many recipients parses the message once.
///
/// When `prefix` is a block of whole [`TRACE_FIELDS`] lines, `raw` does not begin with a
/// continuation line (which would fold into the prefix's last field) and the two header blocks
/// together stay within [`MAX_HEADER_DECODE`], prepending changes nothing but offsets: every
/// offset moves by the prefix's length except the top header's start (still 0), and the wire
/// size grows by the prefix's. Otherwise the whole is parsed.
pub fn parse_prefixed(prefix: &[u8], raw: &[u8], meta: &MessageMeta) -> MessageMeta {
    if prefix.is_empty() {
        return meta.clone();
    }
    let header_len = usize::try_from(meta.body.body_start).unwrap_or(usize::MAX);
    let shiftable = is_trace_block(prefix)
        && !raw.first().is_some_and(|&b| b == b' ' || b == b'\t')
        && prefix.len().saturating_add(header_len) <= MAX_HEADER_DECODE;
    if !shiftable {
        return parse_message(&[prefix, raw].concat());
    }
    let by = prefix.len() as u64;
    let mut out = meta.clone();
    shift(&mut out.body, by);
    out.body.header_start = 0;
    out.wire_size = wire_size(prefix).saturating_add(meta.wire_size);
    out
}

/// Whether `block` is whole header lines (each ending in LF) of [`TRACE_FIELDS`] and their
/// continuations, starting with a field, without a blank line.
fn is_trace_block(block: &[u8]) -> bool {
    if !block.ends_with(b"\n") {
        return false;
    }
    let mut first = true;
    for line in block.split_inclusive(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let continuation = line.first().is_some_and(|&b| b == b' ' || b == b'\t');
        let ok = if continuation {
            !first
        } else {
            field_name_len(line)
                .and_then(|n| line.get(..n))
                .map(|name| String::from_utf8_lossy(name).trim_end().to_ascii_lowercase())
                .is_some_and(|name| TRACE_FIELDS.contains(&name.as_str()))
        };
        if !ok {
            return false;
        }
        first = false;
    }
    true
}

/// Moves every offset of `part` and its sub-parts `by` octets further.
fn shift(part: &mut BodyPart, by: u64) {
    part.header_start = part.header_start.saturating_add(by);
    part.body_start = part.body_start.saturating_add(by);
    part.body_end = part.body_end.saturating_add(by);
    for p in &mut part.parts {
        shift(p, by);
    }
}

/// Octets of `raw` on the wire, where every line ends in CRLF: its length plus one for each bare
/// LF (an LF not preceded by CR), which is sent as CRLF (RFC 1939 §3, RFC 9051 §2.2). A lone CR
/// is sent as it is. One pass, no allocation.
pub fn wire_size(raw: &[u8]) -> u64 {
    let mut bare_lf = 0u64;
    let mut prev = 0u8;
    for &b in raw {
        if b == b'\n' && prev != b'\r' {
            bare_lf += 1;
        }
        prev = b;
    }
    raw.len() as u64 + bare_lf
}

/// Content type assumed when a part has no Content-Type (RFC 2046 §5.1.5 for digests).
#[derive(Clone, Copy, PartialEq, Eq)]
enum DefaultType {
    TextPlain,
    MessageRfc822,
}

struct Parser<'a> {
    raw: &'a [u8],
    parts_left: usize,
}

/// The header block of one entity: its raw unfolded fields and mail-parser's decoding.
#[derive(Default)]
struct Headers {
    /// (lower-case name, unfolded raw value), in order.
    fields: Vec<(String, String)>,
    decoded: Option<mail_parser::Message<'static>>,
}

impl Headers {
    fn parse(block: &[u8]) -> Headers {
        let block = block.get(..MAX_HEADER_DECODE).unwrap_or(block);
        let block = &*utf8_lines(block);
        let fields = raw_fields(block);
        if fields.is_empty() {
            return Headers::default();
        }
        // mail-parser needs the blank line that ends a header block.
        let mut buf = Vec::with_capacity(block.len() + 4);
        buf.extend_from_slice(block);
        if !buf.ends_with(b"\n") {
            buf.extend_from_slice(b"\r\n");
        }
        buf.extend_from_slice(b"\r\n");
        let decoded = MessageParser::default()
            .parse_headers(&buf)
            .map(|m| m.into_owned());
        Headers { fields, decoded }
    }

    /// First raw value of a field, unfolded and trimmed.
    fn raw(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn value(&self, name: HeaderName<'static>) -> Option<&HeaderValue<'static>> {
        let m = self.decoded.as_ref()?;
        m.parts
            .first()?
            .headers
            .iter()
            .find(|h| h.name == name)
            .map(|h| &h.value)
    }

    fn text(&self, name: HeaderName<'static>) -> Option<String> {
        match self.value(name)? {
            HeaderValue::Text(t) => Some(t.to_string()),
            HeaderValue::TextList(l) => Some(l.join(" ")),
            _ => None,
        }
    }

    fn addresses(&self, name: HeaderName<'static>) -> Vec<Address> {
        match self.value(name) {
            Some(HeaderValue::Address(a)) => convert_addresses(a),
            _ => Vec::new(),
        }
    }

    /// IMAP ENVELOPE of this header (RFC 9051 §7.5.2).
    fn envelope(&self) -> Envelope {
        let from = self.addresses(HeaderName::From);
        let mut sender = self.addresses(HeaderName::Sender);
        let mut reply_to = self.addresses(HeaderName::ReplyTo);
        // RFC 9051 §7.5.2: absent or empty Sender and Reply-To are set to From.
        if sender.is_empty() {
            sender = from.clone();
        }
        if reply_to.is_empty() {
            reply_to = from.clone();
        }
        Envelope {
            date: self.raw("date").filter(|s| !s.is_empty()).map(str::to_owned),
            subject: self
                .text(HeaderName::Subject)
                .or_else(|| self.raw("subject").map(|s| s.to_owned())),
            from,
            sender,
            reply_to,
            to: self.addresses(HeaderName::To),
            cc: self.addresses(HeaderName::Cc),
            bcc: self.addresses(HeaderName::Bcc),
            in_reply_to: self
                .raw("in-reply-to")
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            message_id: self
                .raw("message-id")
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        }
    }
}

/// The header block with every line that is not valid UTF-8 read as ISO-8859-1 (raw 8-bit
/// headers are most often Latin-1; RFC 6532 UTF-8 headers are kept as they are).
fn utf8_lines(block: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if std::str::from_utf8(block).is_ok() {
        return std::borrow::Cow::Borrowed(block);
    }
    let mut out = Vec::with_capacity(block.len() + block.len() / 8);
    for line in block.split_inclusive(|&b| b == b'\n') {
        match std::str::from_utf8(line) {
            Ok(_) => out.extend_from_slice(line),
            Err(_) => {
                for &b in line {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(char::from(b).encode_utf8(&mut buf).as_bytes());
                }
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Splits a header block into (lower-case name, unfolded value) pairs. Lines that are not
/// fields are skipped.
fn raw_fields(block: &[u8]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in block.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            if let Some((_, v)) = out.last_mut() {
                v.push(' ');
                v.push_str(String::from_utf8_lossy(line).trim());
            }
            continue;
        }
        if let Some(colon) = field_name_len(line) {
            let name = String::from_utf8_lossy(line.get(..colon).unwrap_or_default()).to_ascii_lowercase();
            let value = String::from_utf8_lossy(line.get(colon + 1..).unwrap_or_default())
                .trim()
                .to_owned();
            out.push((name.trim_end().to_owned(), value));
        }
    }
    for (_, v) in &mut out {
        *v = v.trim().to_owned();
    }
    out
}

/// When `line` starts with a header field name followed by `:` (RFC 5322 §2.2: printable
/// ASCII except colon; trailing blanks before the colon tolerated), the name's length.
pub(crate) fn field_name_len(line: &[u8]) -> Option<usize> {
    let colon = line.iter().position(|&b| b == b':')?;
    let name = line.get(..colon)?;
    let trimmed_len = name
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map(|p| p + 1)?;
    let ok = name.get(..trimmed_len)?.iter().all(|&b| (33..=126).contains(&b));
    ok.then_some(colon)
}

fn convert_addresses(a: &MpAddress<'_>) -> Vec<Address> {
    let mut out = Vec::new();
    match a {
        MpAddress::List(list) => {
            for addr in list {
                out.push(convert_addr(addr.name.as_deref(), addr.address.as_deref()));
            }
        }
        MpAddress::Group(groups) => {
            for g in groups {
                match &g.name {
                    Some(name) => {
                        out.push(Address {
                            mailbox: Some(name.to_string()),
                            group_start: true,
                            ..Default::default()
                        });
                        for addr in &g.addresses {
                            out.push(convert_addr(addr.name.as_deref(), addr.address.as_deref()));
                        }
                        out.push(Address {
                            group_end: true,
                            ..Default::default()
                        });
                    }
                    None => {
                        for addr in &g.addresses {
                            out.push(convert_addr(addr.name.as_deref(), addr.address.as_deref()));
                        }
                    }
                }
            }
        }
    }
    out
}

/// One address split at its last `@`. As Dovecot does, a missing local part or domain is
/// reported as `MISSING_MAILBOX` / `MISSING_DOMAIN` (a NIL host would mean group syntax).
fn convert_addr(name: Option<&str>, address: Option<&str>) -> Address {
    let name = name.map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
    let (mailbox, host) = match address.map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => match a.rsplit_once('@') {
            Some((l, h)) => (
                if l.is_empty() {
                    "MISSING_MAILBOX".to_owned()
                } else {
                    l.to_owned()
                },
                if h.is_empty() {
                    "MISSING_DOMAIN".to_owned()
                } else {
                    h.to_owned()
                },
            ),
            None => (a.to_owned(), "MISSING_DOMAIN".to_owned()),
        },
        None => ("MISSING_MAILBOX".to_owned(), "MISSING_DOMAIN".to_owned()),
    };
    Address {
        name,
        mailbox: Some(mailbox),
        host: Some(host),
        group_start: false,
        group_end: false,
    }
}

/// Position of the next `\n` at or after `from` and before `end`.
fn find_lf(raw: &[u8], from: usize, end: usize) -> Option<usize> {
    raw.get(from..end)?
        .iter()
        .position(|&b| b == b'\n')
        .map(|p| p + from)
}

impl Parser<'_> {
    /// Where the body of the entity starting at `start` begins: after the blank line ending its
    /// header, or at the first line that is not a header field (no blank line), or `end` when
    /// the header runs to the end.
    fn body_start(&self, start: usize, end: usize) -> usize {
        let mut pos = start;
        let mut first = true;
        while pos < end {
            let le = find_lf(self.raw, pos, end).unwrap_or(end);
            let line = self.raw.get(pos..le).unwrap_or_default();
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                return (le + 1).min(end);
            }
            let continuation = line.first().is_some_and(|&b| b == b' ' || b == b'\t');
            if (continuation && first) || (!continuation && field_name_len(line).is_none()) {
                return pos;
            }
            first = false;
            pos = le + 1;
        }
        end
    }

    /// Parses the entity in `raw[start..end]` (header and body).
    fn entity(
        &mut self,
        start: usize,
        end: usize,
        default: DefaultType,
        depth: usize,
        want_headers: bool,
    ) -> (BodyPart, Headers) {
        self.parts_left = self.parts_left.saturating_sub(1);
        let body_start = self.body_start(start, end);
        let headers = Headers::parse(self.raw.get(start..body_start).unwrap_or_default());
        let mut part = BodyPart {
            header_start: start as u64,
            body_start: body_start as u64,
            body_end: end as u64,
            size: (end - body_start) as u64,
            ..Default::default()
        };

        // Content-Type (RFC 2045 §5); defaults per RFC 2045 §5.2 and RFC 2046 §5.1.5.
        match headers.value(HeaderName::ContentType) {
            Some(HeaderValue::ContentType(ct)) if !ct.c_type.trim().is_empty() => {
                part.media_type = ct.c_type.trim().to_ascii_lowercase();
                part.subtype = match ct.c_subtype.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                    Some(s) => s.to_ascii_lowercase(),
                    None if part.media_type == "text" => "plain".to_owned(),
                    None => "octet-stream".to_owned(),
                };
                part.params = ct
                    .attributes
                    .iter()
                    .flatten()
                    .map(|a| (a.name.to_ascii_lowercase(), a.value.to_string()))
                    .collect();
            }
            _ => match default {
                DefaultType::TextPlain => {
                    part.media_type = "text".to_owned();
                    part.subtype = "plain".to_owned();
                    part.params = vec![("charset".to_owned(), "us-ascii".to_owned())];
                }
                DefaultType::MessageRfc822 => {
                    part.media_type = "message".to_owned();
                    part.subtype = "rfc822".to_owned();
                }
            },
        }
        part.encoding = headers
            .raw("content-transfer-encoding")
            .map(|e| e.trim().to_ascii_uppercase())
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| "7BIT".to_owned());
        part.id = headers
            .raw("content-id")
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        part.description = headers
            .text(HeaderName::ContentDescription)
            .or_else(|| headers.raw("content-description").map(str::to_owned))
            .filter(|s| !s.is_empty());
        part.md5 = headers
            .raw("content-md5")
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        part.location = headers
            .raw("content-location")
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        part.language = headers
            .raw("content-language")
            .map(|l| {
                l.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(HeaderValue::ContentType(d)) = headers.value(HeaderName::ContentDisposition) {
            let value = d.c_type.trim().to_ascii_lowercase();
            if !value.is_empty() {
                let params = d
                    .attributes
                    .iter()
                    .flatten()
                    .map(|a| (a.name.to_ascii_lowercase(), a.value.to_string()))
                    .collect();
                part.disposition = Some((value, params));
            }
        }

        let can_descend = depth < MAX_DEPTH && self.parts_left > 0;
        let identity_encoding = matches!(part.encoding.as_str(), "7BIT" | "8BIT" | "BINARY");
        if part.media_type == "multipart" {
            let boundary = part
                .params
                .iter()
                .find(|(n, _)| n == "boundary")
                .map(|(_, v)| v.clone())
                .filter(|b| !b.is_empty());
            let child_default = if part.subtype == "digest" {
                DefaultType::MessageRfc822
            } else {
                DefaultType::TextPlain
            };
            if let (Some(boundary), true) = (boundary, can_descend) {
                for (cs, ce) in self.split_multipart(body_start, end, boundary.as_bytes()) {
                    if self.parts_left == 0 {
                        break;
                    }
                    let (child, _) = self.entity(cs, ce, child_default, depth + 1, false);
                    part.parts.push(child);
                }
            }
            if part.parts.is_empty() {
                // IMAP needs at least one part in a multipart: the whole body as text.
                part.parts.push(self.opaque_text(body_start, end));
            }
        } else if part.media_type == "message"
            && matches!(part.subtype.as_str(), "rfc822" | "global")
            && identity_encoding
            && can_descend
        {
            let (inner, inner_headers) =
                self.entity(body_start, end, DefaultType::TextPlain, depth + 1, true);
            part.envelope = Some(Box::new(inner_headers.envelope()));
            part.parts.push(inner);
        }

        let body = self.raw.get(body_start..end).unwrap_or_default();
        if part.media_type == "text" || (part.media_type == "message" && part.envelope.is_some()) {
            part.lines = count_lines(body);
        }
        part.decoded_size = decoded_size(&part.encoding, body);
        (part, if want_headers { headers } else { Headers::default() })
    }

    /// A leaf `text/plain` part without header covering `raw[start..end]`.
    fn opaque_text(&self, start: usize, end: usize) -> BodyPart {
        let body = self.raw.get(start..end).unwrap_or_default();
        BodyPart {
            media_type: "text".to_owned(),
            subtype: "plain".to_owned(),
            params: vec![("charset".to_owned(), "us-ascii".to_owned())],
            encoding: "7BIT".to_owned(),
            size: body.len() as u64,
            lines: count_lines(body),
            header_start: start as u64,
            body_start: start as u64,
            body_end: end as u64,
            decoded_size: body.len() as u64,
            ..Default::default()
        }
    }

    /// The (start, end) ranges of the body parts of a multipart body in `raw[start..end]`
    /// (RFC 2046 §5.1.1). A delimiter line is `--boundary` followed only by blanks; the close
    /// delimiter adds `--`. The line break before a delimiter belongs to it. A missing close
    /// delimiter (truncated message) ends the last part at `end`.
    fn split_multipart(&self, start: usize, end: usize, boundary: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut current: Option<usize> = None;
        let mut pos = start;
        while pos < end {
            let le = find_lf(self.raw, pos, end).unwrap_or(end);
            let line = self.raw.get(pos..le).unwrap_or_default();
            let kind = line
                .strip_prefix(b"--")
                .and_then(|l| l.strip_prefix(boundary))
                .and_then(|rest| {
                    let (close, rest) = match rest.strip_prefix(b"--") {
                        Some(r) => (true, r),
                        None => (false, rest),
                    };
                    rest.iter().all(|b| b.is_ascii_whitespace()).then_some(close)
                });
            if let Some(close) = kind {
                if let Some(ps) = current.take() {
                    // The CRLF (or LF) before the delimiter is part of the delimiter.
                    let mut e = pos;
                    if e > ps && self.raw.get(e - 1) == Some(&b'\n') {
                        e -= 1;
                        if e > ps && self.raw.get(e - 1) == Some(&b'\r') {
                            e -= 1;
                        }
                    }
                    out.push((ps, e.max(ps)));
                }
                if close {
                    return out;
                }
                current = Some((le + 1).min(end));
            }
            pos = le + 1;
        }
        if let Some(ps) = current {
            out.push((ps, end));
        }
        out
    }
}

/// Lines of a body (IMAP body-fld-lines): line breaks, plus one for a last unterminated line.
fn count_lines(body: &[u8]) -> u64 {
    let n = body.iter().filter(|&&b| b == b'\n').count() as u64;
    if body.last().is_some_and(|&b| b != b'\n') {
        n + 1
    } else {
        n
    }
}

/// Octets of the body once its transfer encoding is removed (RFC 3516 BINARY.SIZE).
fn decoded_size(encoding: &str, body: &[u8]) -> u64 {
    match encoding {
        "BASE64" => {
            let chars = body
                .iter()
                .filter(|b| b.is_ascii_alphanumeric() || **b == b'+' || **b == b'/')
                .count();
            (chars as u64 * 3) / 4
        }
        "QUOTED-PRINTABLE" => {
            let mut n = 0u64;
            let mut i = 0usize;
            while let Some(&b) = body.get(i) {
                if b == b'=' {
                    let h1 = body.get(i + 1).copied();
                    let h2 = body.get(i + 2).copied();
                    match (h1, h2) {
                        (Some(a), Some(c)) if a.is_ascii_hexdigit() && c.is_ascii_hexdigit() => {
                            n += 1;
                            i += 3;
                        }
                        // Soft line break: `=` CRLF or `=` LF (blanks before it tolerated).
                        (Some(b'\r'), Some(b'\n')) => i += 3,
                        (Some(b'\n'), _) => i += 2,
                        _ => {
                            n += 1;
                            i += 1;
                        }
                    }
                } else {
                    n += 1;
                    i += 1;
                }
            }
            n
        }
        _ => body.len() as u64,
    }
}

/// RFC 5256 §2.1 base subject: the subject with reply/forward prefixes, `[blob]`s and
/// `(fwd)` trailers removed and whitespace collapsed, for SORT SUBJECT and THREAD.
pub fn base_subject(subject: &str) -> String {
    base_subject_refwd(subject).0
}

/// RFC 5256 §2.1 base subject, and whether the subject marks a reply or forward (RFC 5256 §2.1 and
/// REFERENCES step 5: it had a `subj-refwd` leader, a `(fwd)` trailer or a `[fwd: ...]` wrapper).
pub fn base_subject_refwd(subject: &str) -> (String, bool) {
    let mut refwd = false;
    // (1) Collapse runs of whitespace (WSP, and CR/LF left by unfolding) to one space.
    let mut s: String = subject.split_ascii_whitespace().collect::<Vec<_>>().join(" ");
    loop {
        // (2) Remove trailing "(fwd)" and whitespace, repeatedly.
        loop {
            let t = s.trim_end_matches(' ');
            let lower = t.to_ascii_lowercase();
            if lower.ends_with("(fwd)") {
                s = t.get(..t.len() - 5).unwrap_or_default().to_owned();
                refwd = true;
            } else {
                s = t.to_owned();
                break;
            }
        }
        // (3)-(5) Remove leaders (blobs followed by re/fw/fwd and ":") and blobs.
        loop {
            let before = s.len();
            s = s.trim_start_matches(' ').to_owned();
            if let Some(rest) = strip_refwd(&s) {
                s = rest.to_owned();
                refwd = true;
            }
            // (4) A leading blob is removed when something remains after it.
            if let Some(rest) = strip_blob(&s)
                && !rest.trim_matches(' ').is_empty()
            {
                s = rest.to_owned();
            }
            if s.len() == before {
                break;
            }
        }
        // (6) "[fwd: ... ]" wrapper, then again from (2).
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("[fwd:") && s.ends_with(']') {
            s = s
                .get(5..s.len() - 1)
                .unwrap_or_default()
                .trim_matches(' ')
                .to_owned();
            refwd = true;
            continue;
        }
        break;
    }
    (s, refwd)
}

/// `subj-blob = "[" *BLOBCHAR "]" *WSP`: the rest after one blob.
fn strip_blob(s: &str) -> Option<&str> {
    let rest = s.strip_prefix('[')?;
    let close = rest.find(']')?;
    let inner = rest.get(..close)?;
    if inner.contains('[') {
        return None;
    }
    Some(rest.get(close + 1..)?.trim_start_matches(' '))
}

/// `subj-refwd = *subj-blob ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"`: the rest after it.
fn strip_refwd(s: &str) -> Option<&str> {
    let mut rest = s;
    while let Some(r) = strip_blob(rest) {
        rest = r;
    }
    let b = rest.as_bytes();
    let prefix = |p: &[u8]| b.get(..p.len()).is_some_and(|x| x.eq_ignore_ascii_case(p));
    let n = if prefix(b"re") {
        2
    } else if prefix(b"fwd") {
        3
    } else if prefix(b"fw") {
        2
    } else {
        return None;
    };
    let mut rest = rest.get(n..)?.trim_start_matches(' ');
    if let Some(r) = strip_blob(rest) {
        rest = r;
    }
    rest.strip_prefix(':')
}

/// Message ids (`<...>` without the brackets) in a header value, in order.
fn message_ids(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let after = rest.get(open + 1..).unwrap_or_default();
        match after.find('>') {
            Some(close) => {
                let id = after.get(..close).unwrap_or_default().trim();
                if !id.is_empty() {
                    out.push(id.to_owned());
                }
                rest = after.get(close + 1..).unwrap_or_default();
            }
            None => break,
        }
    }
    if out.is_empty() {
        out.extend(value.split_whitespace().map(str::to_owned));
    }
    out
}

fn first_address(list: &[Address]) -> Option<&Address> {
    list.iter().find(|a| !a.group_start && !a.group_end)
}

fn addr_spec(a: &Address) -> String {
    format!(
        "{}@{}",
        a.mailbox.as_deref().unwrap_or_default(),
        a.host.as_deref().unwrap_or_default()
    )
    .to_lowercase()
}

fn sort_fields(env: &Envelope, headers: &Headers, body: &BodyPart) -> SortFields {
    let subject = env.subject.clone().unwrap_or_default();
    let from = first_address(&env.from);
    let to = first_address(&env.to);
    let cc = first_address(&env.cc);
    let display = |a: Option<&Address>| {
        a.map(|a| a.name.clone().unwrap_or_else(|| addr_spec(a)))
            .unwrap_or_default()
    };
    let sent_date = match headers.value(HeaderName::Date) {
        Some(HeaderValue::DateTime(d)) if d.is_valid() => Some(d.to_timestamp()),
        _ => None,
    };
    SortFields {
        sent_date,
        base_subject: base_subject(&subject),
        subject,
        from: from.map(addr_spec).unwrap_or_default(),
        from_display: display(from),
        to: to.map(addr_spec).unwrap_or_default(),
        to_display: display(to),
        cc: cc.map(addr_spec).unwrap_or_default(),
        message_id: headers
            .raw("message-id")
            .and_then(|v| message_ids(v).into_iter().next()),
        in_reply_to: headers.raw("in-reply-to").map(message_ids).unwrap_or_default(),
        references: headers.raw("references").map(message_ids).unwrap_or_default(),
        has_attachment: has_attachment(body),
    }
}

/// Whether a part (or one below it) is an attachment: disposition `attachment`, a file name,
/// an encapsulated message, or a leaf that is neither text nor multipart.
fn has_attachment(p: &BodyPart) -> bool {
    if p.media_type == "multipart" {
        return p.parts.iter().any(has_attachment);
    }
    let disposition_attachment = p.disposition.as_ref().is_some_and(|(d, _)| d == "attachment");
    let named = p.params.iter().any(|(n, _)| n == "name")
        || p.disposition
            .as_ref()
            .is_some_and(|(_, ps)| ps.iter().any(|(n, _)| n == "filename"));
    disposition_attachment || named || (p.media_type != "text" && p.media_type != "multipart")
}

/// The first text part for the preview: `text/plain` preferred, else `text/html`, not an
/// attachment, not inside an encapsulated message.
fn preview_part(p: &BodyPart) -> Option<&BodyPart> {
    fn find<'a>(p: &'a BodyPart, subtype: &str) -> Option<&'a BodyPart> {
        if p.media_type == "multipart" {
            return p.parts.iter().find_map(|c| find(c, subtype));
        }
        let attachment = p.disposition.as_ref().is_some_and(|(d, _)| d == "attachment");
        (p.media_type == "text" && p.subtype == subtype && !attachment).then_some(p)
    }
    find(p, "plain").or_else(|| find(p, "html"))
}

/// RFC 8970 preview: up to 256 characters of the first text part, HTML converted to text,
/// whitespace collapsed.
fn preview(raw: &[u8], root: &BodyPart) -> String {
    let Some(part) = preview_part(root) else {
        return String::new();
    };
    let start = usize::try_from(part.body_start).unwrap_or(0);
    let end = usize::try_from(part.body_end).unwrap_or(0);
    let end = end.min(start.saturating_add(PREVIEW_SOURCE_BYTES));
    let body = raw.get(start..end).unwrap_or_default();
    // A small synthetic message with only the headers that matter, so mail-parser removes the
    // transfer encoding and converts the charset.
    let charset = part
        .params
        .iter()
        .find(|(n, _)| n == "charset")
        .map(|(_, v)| v.as_str());
    let mut msg = format!("Content-Type: text/{}", part.subtype);
    if let Some(cs) = charset {
        let cs: String = cs
            .chars()
            .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != ';')
            .collect();
        msg.push_str(&format!("; charset=\"{cs}\""));
    }
    msg.push_str(&format!(
        "\r\nContent-Transfer-Encoding: {}\r\n\r\n",
        part.encoding
    ));
    let mut buf = msg.into_bytes();
    buf.extend_from_slice(body);
    let text = match MessageParser::default().parse(&buf) {
        Some(m) => {
            let t = if part.subtype == "html" {
                m.body_html(0)
                    .map(|h| mail_parser::decoders::html::html_to_text(&h))
            } else {
                m.body_text(0).map(|t| t.into_owned())
            };
            t.unwrap_or_default()
        }
        None => String::from_utf8_lossy(body).into_owned(),
    };
    let mut out = String::new();
    let mut count = 0;
    for word in text.split_whitespace() {
        for c in (if out.is_empty() { "" } else { " " })
            .chars()
            .chain(word.chars())
        {
            if count == PREVIEW_CHARS {
                return out;
            }
            if !c.is_control() {
                out.push(c);
                count += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
