//! From a string as written to an [`ir::Str`]: `encoded-character` decoding (RFC 5228
//! §2.4.2.4) when that extension is required, then the split into a template at `${...}`
//! variable references (RFC 5229 §3) when `variables` is required; and the checks on variable
//! names (RFC 5229 §3, §4).
//!
//! Invariants: a sequence that does not match the grammar of an encoded character or a variable
//! reference is kept as written (both RFCs say so); decoding happens once, at compile time, and
//! before the split, so `${hex:24}{name}` refers to `name` (as in Pigeonhole); a reference to a match
//! variable above `${9}` or to an unknown namespace is an error (RFC 5229 §3: "References to
//! namespaces without a prior require statement for the relevant extension MUST cause an
//! error"). The only namespace is `global.` (RFC 6609 §3.5), with `include`.
//!
//! [`ir::Str`]: crate::ir::Str

use super::Compiler;
use crate::ir::{Extension, Str, StrPart};
use crate::parse::StringLit;

/// The highest match variable (RFC 5229 §3.2: `${0}` to `${9}`).
const MAX_MATCH_VARIABLE: usize = 9;

impl Compiler {
    /// A string argument, decoded and split as the script's `require`s say.
    pub(super) fn string(&mut self, lit: &StringLit) -> Option<Str> {
        let text = self.decoded(lit)?;
        if !self.enabled(Extension::Variables) {
            return Some(Str::Literal(text));
        }
        match split_template(&text, self.enabled(Extension::Include)) {
            Ok(s) => Some(s),
            Err(message) => {
                self.error(lit.pos, message);
                None
            }
        }
    }

    /// A string list argument; every element is checked (all errors reported).
    pub(super) fn string_list(&mut self, lits: &[StringLit]) -> Option<Vec<Str>> {
        let converted: Vec<Option<Str>> = lits.iter().map(|lit| self.string(lit)).collect();
        converted.into_iter().collect()
    }

    /// A string that must not hold variable references (comparator names, `:zone`, `include`
    /// names, ...); `what` names it for the error.
    pub(super) fn constant(&mut self, lit: &StringLit, what: &str) -> Option<String> {
        match self.string(lit)? {
            Str::Literal(text) => Some(text),
            Str::Template(_) => {
                self.error(
                    lit.pos,
                    format!("{what} must be a constant string, without variable references"),
                );
                None
            }
        }
    }

    /// The text after `encoded-character` decoding, when that extension is required.
    fn decoded(&mut self, lit: &StringLit) -> Option<String> {
        if !self.enabled(Extension::EncodedCharacter) {
            return Some(lit.text.clone());
        }
        match decode_encoded_characters(&lit.text) {
            Ok(text) => Some(text),
            Err(message) => {
                self.error(lit.pos, message);
                None
            }
        }
    }

    /// A variable a command assigns to (`set`, `extracttext`, the flag commands, `global`):
    /// an identifier, or `global.name` with `include` (RFC 6609 §3.5); lowercased.
    pub(super) fn variable_name(&mut self, lit: &StringLit, allow_namespace: bool) -> Option<String> {
        let name = self.constant(lit, "a variable name")?;
        let lower = name.to_ascii_lowercase();
        let message = if is_identifier(&lower) {
            return Some(lower);
        } else if !lower.is_empty() && lower.bytes().all(|b| b.is_ascii_digit()) {
            "cannot assign to match variable".to_owned()
        } else if let Some((namespace, rest)) = lower.split_once('.')
            && is_identifier(namespace)
            && rest.split('.').all(is_identifier)
        {
            if allow_namespace
                && namespace == "global"
                && is_identifier(rest)
                && self.enabled(Extension::Include)
            {
                return Some(lower);
            }
            format!("referring to variable in unknown namespace '{namespace}'")
        } else {
            format!("invalid variable name '{name}'")
        };
        self.error(lit.pos, message);
        None
    }
}

/// RFC 5228 §8.1 `identifier = (ALPHA / "_") *(ALPHA / DIGIT / "_")`.
pub(super) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Decodes `${hex:...}` and `${unicode:...}` (RFC 5228 §2.4.2.4):
///
/// ```text
/// encoded-arb-octets   = "${hex:" hex-pair-seq "}"
/// hex-pair-seq         = *blank hex-pair *(1*blank hex-pair) *blank
/// hex-pair             = 1*2HEXDIG
/// encoded-unicode-char = "${unicode:" unicode-hex-seq "}"
/// unicode-hex-seq      = *blank unicode-hex *(1*blank unicode-hex) *blank
/// unicode-hex          = 1*HEXDIG
/// blank                = WSP / CRLF
/// ```
///
/// A code point outside 0-D7FF and E000-10FFFF is an error (§2.4.2.4), and so are octets that
/// do not form UTF-8 (a Sieve string is UTF-8, §2.4.2).
pub(super) fn decode_encoded_characters(text: &str) -> Result<String, String> {
    if !text.contains("${") {
        return Ok(text.to_owned());
    }
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let (before, from_dollar) = rest.split_at_checked(start).unwrap_or((rest, ""));
        out.extend_from_slice(before.as_bytes());
        let inner = from_dollar.get(2..).unwrap_or("");
        match encoded_sequence(inner)? {
            Some((bytes, after)) => {
                out.extend_from_slice(&bytes);
                rest = after;
            }
            None => {
                out.extend_from_slice(b"${");
                rest = inner;
            }
        }
    }
    out.extend_from_slice(rest.as_bytes());
    String::from_utf8(out).map_err(|_| "encoded characters do not form valid UTF-8".to_owned())
}

/// One encoded sequence at the start of `inner` (the text after `${`): its octets and the
/// text after its `}`, or `None` when it is not one. Scans only as far as the sequence's own
/// characters go, so decoding a string is linear in its length.
fn encoded_sequence(inner: &str) -> Result<Option<(Vec<u8>, &str)>, String> {
    let has_prefix = |prefix: &str| {
        inner
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    let (is_hex, rest) = if has_prefix("hex:") {
        (true, inner.get(4..).unwrap_or(""))
    } else if has_prefix("unicode:") {
        (false, inner.get(8..).unwrap_or(""))
    } else {
        return Ok(None);
    };
    let body_len = rest
        .find(|c: char| !(c.is_ascii_hexdigit() || is_blank(c)))
        .unwrap_or(rest.len());
    let Some((body, after_body)) = rest.split_at_checked(body_len) else {
        return Ok(None);
    };
    let Some(after) = after_body.strip_prefix('}') else {
        return Ok(None);
    };
    let items: Vec<&str> = body.split(is_blank).filter(|item| !item.is_empty()).collect();
    if items.is_empty() || (is_hex && items.iter().any(|item| item.len() > 2)) {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    for item in items {
        if is_hex {
            bytes.push(u8::from_str_radix(item, 16).map_err(|_| "invalid hex pair".to_owned())?);
        } else {
            let invalid = || format!("invalid Unicode code point '{item}' in an encoded character");
            let code = u32::from_str_radix(item, 16).map_err(|_| invalid())?;
            let c = char::from_u32(code).ok_or_else(invalid)?;
            let mut buf = [0u8; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    Ok(Some((bytes, after)))
}

/// RFC 5228 §2.4.2.4 `blank = WSP / CRLF` (a lone CR or LF is taken as a line end too).
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Splits `text` at its variable references (RFC 5229 §3):
///
/// ```text
/// variable-ref  = "${" [namespace] variable-name "}"
/// namespace     = identifier "." *sub-namespace
/// sub-namespace = variable-name "."
/// variable-name = num-variable / identifier
/// num-variable  = 1*DIGIT
/// ```
///
/// A text without references stays a [`Str::Literal`].
pub(super) fn split_template(text: &str, global_namespace: bool) -> Result<Str, String> {
    let mut parts: Vec<StrPart> = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let (before, from_dollar) = rest.split_at_checked(start).unwrap_or((rest, ""));
        literal.push_str(before);
        let inner = from_dollar.get(2..).unwrap_or("");
        // A reference's name holds only identifier characters, digits and dots: scanning
        // stops at the first other character, so splitting is linear in the text.
        let name_len = inner
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(inner.len());
        let reference = match inner.split_at_checked(name_len) {
            Some((name, after)) => match after.strip_prefix('}') {
                Some(after) => variable_reference(name, global_namespace)?.map(|p| (p, after)),
                None => None,
            },
            None => None,
        };
        match reference {
            Some((part, after)) => {
                if !literal.is_empty() {
                    parts.push(StrPart::Text(std::mem::take(&mut literal)));
                }
                parts.push(part);
                rest = after;
            }
            None => {
                literal.push_str("${");
                rest = inner;
            }
        }
    }
    literal.push_str(rest);
    if parts.is_empty() {
        return Ok(Str::Literal(literal));
    }
    if !literal.is_empty() {
        parts.push(StrPart::Text(literal));
    }
    Ok(Str::Template(parts))
}

/// The reference `${name}` names, `None` when `name` does not match the grammar.
fn variable_reference(name: &str, global_namespace: bool) -> Result<Option<StrPart>, String> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        let digits = name.trim_start_matches('0');
        let index = if digits.is_empty() {
            0
        } else {
            digits.parse::<usize>().unwrap_or(usize::MAX)
        };
        if index > MAX_MATCH_VARIABLE {
            return Err(format!(
                "match variable ${{{name}}} does not exist (the highest is ${{{MAX_MATCH_VARIABLE}}})"
            ));
        }
        return Ok(Some(StrPart::Match(index)));
    }
    if is_identifier(name) {
        return Ok(Some(StrPart::Variable(name.to_ascii_lowercase())));
    }
    let mut components = name.split('.');
    let namespace = components.next().unwrap_or("");
    let rest: Vec<&str> = components.collect();
    let well_formed = is_identifier(namespace)
        && !rest.is_empty()
        && rest
            .iter()
            .all(|c| is_identifier(c) || (!c.is_empty() && c.bytes().all(|b| b.is_ascii_digit())));
    if !well_formed {
        return Ok(None);
    }
    match rest.as_slice() {
        [variable]
            if global_namespace && namespace.eq_ignore_ascii_case("global") && is_identifier(variable) =>
        {
            Ok(Some(StrPart::Variable(name.to_ascii_lowercase())))
        }
        _ => Err(format!(
            "referring to variable in unknown namespace '{namespace}'"
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn text(s: &str) -> StrPart {
        StrPart::Text(s.to_owned())
    }

    fn var(s: &str) -> StrPart {
        StrPart::Variable(s.to_owned())
    }

    #[test]
    fn encoded_characters_decode_rfc_5228_examples() {
        // RFC 5228 §2.4.2.4 examples.
        let cases = [
            ("${hex: 24 24}", "$$"),
            ("${HEX: 24}", "$"),
            ("${hex:24}${hex:7b}", "${"),
            ("${unicode:40}", "@"),
            ("${UNICODE:40}", "@"),
            ("${UnICoDE:0000040}", "@"),
            ("${ unicode:40}", "${ unicode:40}"),
            ("${Unicode:Cool}", "${Unicode:Cool}"),
            ("${hex:0024}", "${hex:0024}"),
        ];
        for (encoded, decoded) in cases {
            assert_eq!(decode_encoded_characters(encoded).unwrap(), decoded, "{encoded}");
        }
        assert_eq!(
            decode_encoded_characters("${hex:40 41 42}x${unicode:1F600 20}").unwrap(),
            "@ABx\u{1F600} "
        );
        assert_eq!(decode_encoded_characters("${hex:C3}${hex:A9}").unwrap(), "é");
        // Not the grammar: kept as written.
        for s in [
            "${hex:}",
            "${hex:xyz}",
            "${hex:24",
            "${foo:24}",
            "$ {hex:24}",
            "${hex:2 4 g}",
        ] {
            assert_eq!(decode_encoded_characters(s).unwrap(), s);
        }
        assert_eq!(
            decode_encoded_characters("${unicode:D800}").unwrap_err(),
            "invalid Unicode code point 'D800' in an encoded character"
        );
        assert_eq!(
            decode_encoded_characters("${unicode:110000}").unwrap_err(),
            "invalid Unicode code point '110000' in an encoded character"
        );
        assert_eq!(
            decode_encoded_characters("${unicode:FFFFFFFFFFFF}").unwrap_err(),
            "invalid Unicode code point 'FFFFFFFFFFFF' in an encoded character"
        );
        assert_eq!(
            decode_encoded_characters("${hex:ff}").unwrap_err(),
            "encoded characters do not form valid UTF-8"
        );
    }

    #[test]
    fn templates_split_at_references() {
        assert_eq!(
            split_template("plain", false).unwrap(),
            Str::Literal("plain".to_owned())
        );
        assert_eq!(
            split_template("a${Foo}b${1}${0}", false).unwrap(),
            Str::Template(vec![
                text("a"),
                var("foo"),
                text("b"),
                StrPart::Match(1),
                StrPart::Match(0)
            ])
        );
        // RFC 5229 §3 examples: not references, kept as written.
        for s in ["${}", "${ foo}", "${a b}", "$${", "${-x}", "${a"] {
            assert_eq!(split_template(s, false).unwrap(), Str::Literal(s.to_owned()));
        }
        assert_eq!(
            split_template("${${a}}", false).unwrap(),
            Str::Template(vec![text("${"), var("a"), text("}")])
        );
        assert_eq!(
            split_template("${00}", false).unwrap(),
            Str::Template(vec![StrPart::Match(0)])
        );
        assert_eq!(
            split_template("${10}", false).unwrap_err(),
            "match variable ${10} does not exist (the highest is ${9})"
        );
        assert!(split_template("${99999999999999999999999}", false).is_err());
        assert_eq!(
            split_template("${foo.bar}", false).unwrap_err(),
            "referring to variable in unknown namespace 'foo'"
        );
        assert_eq!(
            split_template("${Global.X}", true).unwrap(),
            Str::Template(vec![var("global.x")])
        );
        assert!(split_template("${global.x}", false).is_err());
        assert!(split_template("${global.a.b}", true).is_err());
    }
}
