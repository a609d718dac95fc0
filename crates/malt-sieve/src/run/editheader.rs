//! `addheader` and `deleteheader` (RFC 5293): edits of the message's header that later tests
//! see and the caller stores ([`crate::outcome::Outcome::edited_header`]).
//!
//! Invariants: field names are RFC 5322 §3.6.8 `field-name`s (else a run-time error); values
//! are one line, non-ASCII text written as RFC 2047 encoded words (RFC 5293 §4); `Received` and
//! `Auto-Submitted` can be neither added nor deleted (RFC 5293 §7: loop detection relies on
//! them) — such an edit does nothing, as in Pigeonhole; at most
//! [`crate::limits::Limits::max_header_edits`] edits per run.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::headers::select_index;
use super::{Frame, Interpreter};
use crate::compile::syntax::is_field_name;
use crate::ir::{Index, MatchSpec, Str, StringList};
use crate::matching;
use crate::message::HeaderField;

/// Fields no script may add or remove.
const PROTECTED: [&str; 2] = ["received", "auto-submitted"];
/// Longest encoded word payload, in bytes of text (keeps each word within 75 characters,
/// RFC 2047 §2).
const ENCODED_WORD_TEXT: usize = 45;

impl Interpreter<'_> {
    /// `addheader [:last] name value` (RFC 5293 §4): at the top unless `:last`.
    pub(super) fn add_header(
        &mut self,
        frame: &Frame<'_>,
        last: bool,
        name: &Str,
        value: &Str,
    ) -> Result<(), String> {
        let name = self.expand(frame, name);
        let value = self.expand(frame, value);
        if !is_field_name(&name) {
            return Err(format!("addheader: {name:?} is not a valid header field name"));
        }
        if is_protected(&name) {
            return Ok(());
        }
        self.count_header_edit()?;
        self.message
            .add_header(HeaderField::new(&name, &encode_value(&value)), last);
        Ok(())
    }

    /// `deleteheader [:index n [:last]] [match] name [value-patterns]` (RFC 5293 §5).
    pub(super) fn delete_header(
        &mut self,
        frame: &Frame<'_>,
        index: Option<Index>,
        spec: &MatchSpec,
        name: &Str,
        patterns: Option<&StringList>,
    ) -> Result<(), String> {
        let name = self.expand(frame, name);
        if !is_field_name(&name) {
            return Err(format!("deleteheader: {name:?} is not a valid header field name"));
        }
        if is_protected(&name) {
            return Ok(());
        }
        self.count_header_edit()?;
        let occurrences: Vec<(usize, String)> = self
            .message
            .headers()
            .iter()
            .enumerate()
            .filter(|(_, h)| h.is(&name))
            .map(|(i, h)| (i, h.value.clone()))
            .collect();
        let patterns = patterns.map(|p| self.expand_list(frame, p));
        let mut doomed = Vec::new();
        for (position, value) in select_index(occurrences, index) {
            let hit = match &patterns {
                None => true,
                Some(patterns) => matching::matches(spec, &[value], 1, patterns, false)
                    .map_err(|e| e.to_string())?
                    .is_match(),
            };
            if hit {
                doomed.push(position);
            }
        }
        self.message.remove_headers(&doomed);
        Ok(())
    }

    fn count_header_edit(&mut self) -> Result<(), String> {
        self.header_edits += 1;
        if self.header_edits > self.limits.max_header_edits {
            return Err(format!("more than {} header edits", self.limits.max_header_edits));
        }
        Ok(())
    }
}

fn is_protected(name: &str) -> bool {
    PROTECTED.iter().any(|p| p.eq_ignore_ascii_case(name))
}

/// A value ready for the wire: line breaks turned into spaces, non-ASCII text as RFC 2047
/// `B` encoded words in UTF-8.
fn encode_value(value: &str) -> String {
    let one_line: String = value
        .chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect();
    if one_line.is_ascii() {
        return one_line;
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in one_line.chars() {
        if chunk.len() + c.len_utf8() > ENCODED_WORD_TEXT {
            words.push(encoded_word(&chunk));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(encoded_word(&chunk));
    }
    words.join("\r\n ")
}

fn encoded_word(text: &str) -> String {
    format!("=?UTF-8?B?{}?=", BASE64.encode(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::decode_value;

    #[test]
    fn values_are_encoded_and_decode_back() {
        assert_eq!(encode_value("plain\r\ntext"), "plain  text");
        let long = "Grüße aus Köln, ".repeat(8);
        let encoded = encode_value(&long);
        assert!(encoded.is_ascii());
        assert!(encoded.lines().all(|l| l.len() <= 76));
        assert_eq!(decode_value(&encoded), long.trim());
    }

    #[test]
    fn field_names() {
        assert!(is_field_name("X-Sieve-Filtered"));
        for bad in ["", "a b", "a:b", "é"] {
            assert!(!is_field_name(bad), "{bad}");
        }
        assert!(is_protected("RECEIVED"));
    }
}
