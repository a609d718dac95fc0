//! The `body` test (RFC 5173): `:raw` (the undecoded body), `:content` (decoded parts of the
//! listed types; for a multipart its prologue and epilogue, for a message/rfc822 its header,
//! §5.2), `:text` (the text parts, HTML turned into text).
//!
//! Invariants: every value is at most [`crate::limits::Limits::max_body_scan`] bytes; a message
//! without MIME structure is one text/plain part (RFC 2045 §5.2); `body` reads the whole
//! message even inside `foreverypart`, as Pigeonhole does.

use super::{Frame, Interpreter};
use crate::ir::{BodyTransform, MatchSpec, StringList};
use crate::message::{MediaType, PartContent, cut_text, text_of};

/// Does `wanted` (`""`, `"type"` or `"type/subtype"`) name this media type (RFC 5173 §5.2)?
fn type_matches(wanted: &str, media: &MediaType) -> bool {
    match wanted.split_once('/') {
        None => wanted.is_empty() || wanted.eq_ignore_ascii_case(&media.kind),
        Some((kind, subtype)) => {
            kind.eq_ignore_ascii_case(&media.kind) && subtype.eq_ignore_ascii_case(&media.subtype)
        }
    }
}

impl Interpreter<'_> {
    pub(super) fn body_test(
        &mut self,
        frame: &mut Frame<'_>,
        spec: &MatchSpec,
        transform: &BodyTransform,
        keys: &StringList,
    ) -> Result<bool, String> {
        let values = match transform {
            BodyTransform::Raw => vec![cut_text(
                text_of(self.message.raw_body()),
                self.limits.max_body_scan,
            )],
            BodyTransform::Text => self.message.texts().to_vec(),
            BodyTransform::Content(types) => {
                let types = self.expand_list(frame, types);
                self.body_content(&types)
            }
        };
        self.match_values(frame, spec, &values, values.len(), keys)
    }

    /// The decoded content of the parts whose type is listed.
    fn body_content(&self, types: &[String]) -> Vec<String> {
        let mut values = Vec::new();
        for part in self.message.parts() {
            if !types.iter().any(|t| type_matches(t, &part.media_type)) {
                continue;
            }
            match &part.content {
                PartContent::Text(text) | PartContent::Html(text) => values.push(text.clone()),
                PartContent::Binary(bytes) => values.push(text_of(bytes)),
                PartContent::Multipart { prologue, epilogue } => {
                    values.push(prologue.clone());
                    values.push(epilogue.clone());
                }
                PartContent::Message { header } => values.push(header.clone()),
            }
        }
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_match_by_type_or_type_and_subtype() {
        let media = MediaType {
            kind: "text".into(),
            subtype: "html".into(),
            params: Vec::new(),
        };
        for yes in ["", "text", "TEXT", "text/html", "Text/HTML"] {
            assert!(type_matches(yes, &media), "{yes}");
        }
        for no in ["image", "text/plain", "text/", "/html"] {
            assert!(!type_matches(no, &media), "{no}");
        }
    }
}
