//! Reading a message's header block without parsing the message: its fields in order with their
//! byte ranges, where the block ends and the body starts, and the values of a field.
//!
//! The header block ends at the first empty line or at the first line that is neither a field
//! nor a continuation line (as `crate::ingest` reads it). Nothing here panics on any input;
//! every loop walks the input once.

use crate::ingest::field_name_len;

/// One header field: lower-case name and its byte range (from the name to the end of its last
/// line, line end included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// The header fields of `raw` and where the header block ends (the offset of the blank line, of
/// the first line that is not a field, or `raw.len()`).
pub(crate) fn scan(raw: &[u8]) -> (Vec<Field>, usize) {
    let mut fields: Vec<Field> = Vec::new();
    let mut pos = 0;
    while pos < raw.len() {
        let rest = raw.get(pos..).unwrap_or_default();
        let len = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let line = rest.get(..len).unwrap_or_default();
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if content.is_empty() {
            return (fields, pos);
        }
        let continuation = content.first().is_some_and(|&b| b == b' ' || b == b'\t');
        match (continuation, fields.last_mut()) {
            (true, Some(f)) => f.end = pos + len,
            _ => match field_name_len(content) {
                Some(colon) => fields.push(Field {
                    name: String::from_utf8_lossy(content.get(..colon).unwrap_or_default())
                        .trim_end()
                        .to_ascii_lowercase(),
                    start: pos,
                    end: pos + len,
                }),
                None => return (fields, pos),
            },
        }
        pos += len;
    }
    (fields, raw.len())
}

/// Whether `raw`'s header has a field named `name` (ASCII case-insensitive).
pub fn has_field(raw: &[u8], name: &str) -> bool {
    scan(raw).0.iter().any(|f| f.name.eq_ignore_ascii_case(name))
}

/// The values of every field named `name` (ASCII case-insensitive), in order: unfolded (line
/// ends removed), trimmed, non-UTF-8 octets replaced.
pub fn field_values(raw: &[u8], name: &str) -> Vec<String> {
    scan(raw)
        .0
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case(name))
        .filter_map(|f| raw.get(f.start..f.end))
        .map(|text| {
            let text = String::from_utf8_lossy(text);
            let value = text.split_once(':').map_or("", |(_, v)| v);
            value.replace(['\r', '\n'], "").trim().to_owned()
        })
        .collect()
}

/// Where the body of `raw` starts: after the empty line that ends the header block, or at the
/// first line that is not a field (`raw.len()` when there is no body).
pub fn body_offset(raw: &[u8]) -> usize {
    let (_, end) = scan(raw);
    let rest = raw.get(end..).unwrap_or_default();
    if rest.starts_with(b"\r\n") {
        end + 2
    } else if rest.starts_with(b"\n") {
        end + 1
    } else {
        end
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn values_are_unfolded_and_found_in_any_case() {
        let raw = b"Delivered-To: a@x.org\r\nSubject: one\r\n two\r\ndelivered-to:  B@x.org \r\n\r\nDelivered-To: body@x.org\r\n";
        assert_eq!(field_values(raw, "Delivered-To"), ["a@x.org", "B@x.org"]);
        assert_eq!(field_values(raw, "subject"), ["one two"]);
        assert!(field_values(raw, "To").is_empty());
        assert!(has_field(raw, "SUBJECT"));
    }

    #[test]
    fn body_offsets() {
        assert_eq!(body_offset(b"A: 1\r\n\r\nbody"), 8);
        assert_eq!(body_offset(b"A: 1\n\nbody"), 6);
        assert_eq!(body_offset(b"A: 1\r\nnot a field\r\n"), 6);
        assert_eq!(body_offset(b"A: 1\r\n"), 6);
        assert_eq!(body_offset(b""), 0);
        assert_eq!(body_offset(b"\r\nbody"), 2);
    }
}
