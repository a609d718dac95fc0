//! The header tests: `header` (RFC 5228 §5.7), `address` (§5.1), `envelope` (§5.4), `exists`
//! (§5.5), with `:index`/`:last` (RFC 5260 §6) and `:mime`/`:anychild` (RFC 5703 §4).
//!
//! Invariants: without `:mime` a test reads the message's own header (edits included), even
//! inside `foreverypart`; with `:mime` it reads the current part, and with `:anychild` that
//! part and every part below it; `:index` counts the occurrences of each field name
//! separately; `:count` counts the values the test extracted.

use super::{Frame, Interpreter};
use crate::address::{self, ParsedAddress};
use crate::ir::{AddressPart, Index, MatchSpec, MimeOption, MimeOpts, StringList};
use crate::message::{HeaderField, parse_media_type, unfold};

/// Keep the occurrence `:index` designates, or all (RFC 5260 §6).
pub(super) fn select_index<T>(mut items: Vec<T>, index: Option<Index>) -> Vec<T> {
    let Some(index) = index else {
        return items;
    };
    let Ok(n) = usize::try_from(index.n) else {
        return Vec::new();
    };
    if n == 0 || n > items.len() {
        return Vec::new();
    }
    let position = if index.last { items.len() - n } else { n - 1 };
    vec![items.swap_remove(position)]
}

impl Interpreter<'_> {
    /// The fields named `name` a test reads.
    fn fields_named(&self, mime: Option<&MimeOpts>, name: &str) -> Vec<&HeaderField> {
        let parts = match mime {
            None => vec![0],
            Some(opts) if opts.any_child => self.message.subtree(self.current_part()),
            Some(_) => vec![self.current_part()],
        };
        parts
            .into_iter()
            .flat_map(|p| self.message.part_headers(p).iter().filter(|h| h.is(name)))
            .collect()
    }

    pub(super) fn header_test(
        &mut self,
        frame: &mut Frame<'_>,
        spec: &MatchSpec,
        index: Option<Index>,
        mime: Option<&MimeOpts>,
        names: &StringList,
        keys: &StringList,
    ) -> Result<bool, String> {
        let names = self.expand_list(frame, names);
        let params = match mime.map(|m| &m.option) {
            Some(MimeOption::Param(list)) => self.expand_list(frame, list),
            _ => Vec::new(),
        };
        let mut values = Vec::new();
        for name in &names {
            for field in select_index(self.fields_named(mime, name), index) {
                match mime {
                    None => values.push(field.value.clone()),
                    Some(opts) => values.extend(mime_values(field, &opts.option, &params)),
                }
            }
        }
        self.match_values(frame, spec, &values, values.len(), keys)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn address_test(
        &mut self,
        frame: &mut Frame<'_>,
        spec: &MatchSpec,
        part: AddressPart,
        index: Option<Index>,
        mime: Option<&MimeOpts>,
        headers: &StringList,
        keys: &StringList,
    ) -> Result<bool, String> {
        let names = self.expand_list(frame, headers);
        let mut values = Vec::new();
        for name in &names {
            for field in select_index(self.fields_named(mime, name), index) {
                values.extend(
                    address::parse_list(&unfold(&field.raw_value))
                        .iter()
                        .filter_map(|a| a.part(part)),
                );
            }
        }
        self.match_values(frame, spec, &values, values.len(), keys)
    }

    /// RFC 5228 §5.4: the null reverse-path is the empty string whatever the address part.
    pub(super) fn envelope_test(
        &mut self,
        frame: &mut Frame<'_>,
        spec: &MatchSpec,
        part: AddressPart,
        parts: &StringList,
        keys: &StringList,
    ) -> Result<bool, String> {
        let mut values = Vec::new();
        for name in self.expand_list(frame, parts) {
            let text = match name.to_ascii_lowercase().as_str() {
                "from" => &self.input.envelope.from,
                "to" => &self.input.envelope.to,
                _ => continue,
            };
            if text.is_empty() {
                values.push(String::new());
                continue;
            }
            let parsed: ParsedAddress = address::parse_envelope(text);
            values.extend(parsed.part(part));
        }
        self.match_values(frame, spec, &values, values.len(), keys)
    }

    /// RFC 5228 §5.5: true when every named field exists.
    pub(super) fn exists_test(
        &mut self,
        frame: &mut Frame<'_>,
        mime: Option<&MimeOpts>,
        names: &StringList,
    ) -> Result<bool, String> {
        let names = self.expand_list(frame, names);
        Ok(names.iter().all(|name| !self.fields_named(mime, name).is_empty()))
    }
}

/// What `:mime` extracts from a field (RFC 5703 §4.2): the whole value, or pieces of a
/// Content-Type / Content-Disposition value.
fn mime_values(field: &HeaderField, option: &MimeOption, params: &[String]) -> Vec<String> {
    if *option == MimeOption::Value {
        return vec![field.value.clone()];
    }
    let structured = field.is("content-type") || field.is("content-disposition");
    let Some(media) = structured.then(|| parse_media_type(&field.raw_value)).flatten() else {
        return Vec::new();
    };
    match option {
        MimeOption::Value => Vec::new(),
        MimeOption::Type => vec![media.kind],
        MimeOption::Subtype => vec![media.subtype],
        MimeOption::ContentType if media.subtype.is_empty() => vec![media.kind],
        MimeOption::ContentType => vec![format!("{}/{}", media.kind, media.subtype)],
        MimeOption::Param(_) => params
            .iter()
            .filter_map(|wanted| {
                media
                    .params
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
                    .map(|(_, value)| value.clone())
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_selects_one_occurrence() {
        let items = vec!["a", "b", "c"];
        let pick = |n, last| select_index(items.clone(), Some(Index { n, last }));
        assert_eq!(pick(1, false), ["a"]);
        assert_eq!(pick(3, false), ["c"]);
        assert_eq!(pick(1, true), ["c"]);
        assert_eq!(pick(3, true), ["a"]);
        assert!(pick(4, false).is_empty());
        assert!(pick(0, false).is_empty());
        assert_eq!(select_index(items.clone(), None), items);
    }
}
