//! Text matching with collations, as CalDAV's and CardDAV's `text-match` use it
//! (RFC 4791 §9.7.5, RFC 6352 §10.5.4, collations of RFC 4790 §9 and RFC 5051).
//!
//! - `i;octet`: the bytes as they are;
//! - `i;ascii-casemap`: ASCII letters folded, other bytes as they are (CalDAV's default);
//! - `i;unicode-casemap`: each character case-mapped then NFKD-decomposed (RFC 5051 §2; upper
//!   case stands in for the simple titlecase mapping, which differs only for a few digraphs),
//!   CardDAV's default.
//!
//! Invariant: matching is linear in the lengths of the text and the key (`str::contains` and
//! friends on folded copies); it never fails — a collation is chosen before matching.

use unicode_normalization::UnicodeNormalization;

/// A collation (RFC 4790).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Collation {
    Octet,
    #[default]
    AsciiCasemap,
    UnicodeCasemap,
}

impl Collation {
    /// The collation registered under `name`, as a `collation` attribute gives it.
    pub fn from_name(name: &str) -> Option<Collation> {
        match name {
            "i;octet" => Some(Collation::Octet),
            "i;ascii-casemap" => Some(Collation::AsciiCasemap),
            "i;unicode-casemap" => Some(Collation::UnicodeCasemap),
            _ => None,
        }
    }

    /// The registered name.
    pub fn name(self) -> &'static str {
        match self {
            Collation::Octet => "i;octet",
            Collation::AsciiCasemap => "i;ascii-casemap",
            Collation::UnicodeCasemap => "i;unicode-casemap",
        }
    }

    /// `text` in the form this collation compares.
    pub fn fold(self, text: &str) -> String {
        match self {
            Collation::Octet => text.to_string(),
            Collation::AsciiCasemap => text.to_ascii_uppercase(),
            Collation::UnicodeCasemap => text.chars().flat_map(char::to_uppercase).nfkd().collect(),
        }
    }
}

/// Where the key must be found (RFC 6352 §10.5.4 `match-type`; CalDAV always uses
/// [`MatchType::Contains`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchType {
    Equals,
    #[default]
    Contains,
    StartsWith,
    EndsWith,
}

impl MatchType {
    /// The match type named by a `match-type` attribute.
    pub fn from_name(name: &str) -> Option<MatchType> {
        match name {
            "equals" => Some(MatchType::Equals),
            "contains" => Some(MatchType::Contains),
            "starts-with" => Some(MatchType::StartsWith),
            "ends-with" => Some(MatchType::EndsWith),
            _ => None,
        }
    }
}

/// A `text-match` element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextMatch {
    /// The key.
    pub value: String,
    pub collation: Collation,
    pub match_type: MatchType,
    /// `negate-condition="yes"`: the result is inverted.
    pub negate: bool,
}

impl TextMatch {
    /// A `contains` match with the given collation.
    pub fn contains(value: &str, collation: Collation) -> TextMatch {
        TextMatch {
            value: value.to_string(),
            collation,
            match_type: MatchType::Contains,
            negate: false,
        }
    }

    /// Does `text` match (negation applied)?
    pub fn matches(&self, text: &str) -> bool {
        let text = self.collation.fold(text);
        let key = self.collation.fold(&self.value);
        let found = match self.match_type {
            MatchType::Equals => text == key,
            MatchType::Contains => text.contains(&key),
            MatchType::StartsWith => text.starts_with(&key),
            MatchType::EndsWith => text.ends_with(&key),
        };
        found != self.negate
    }
}

/// The value part of one written content line (`NAME;PARAMS:VALUE`, possibly folded): what a
/// text-match compares for values that are not plain text.
pub(crate) fn written_value(line: &str) -> String {
    line.replace("\r\n ", "")
        .split_once(':')
        .map(|(_, value)| value.trim_end_matches(['\r', '\n']).to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collations_fold_as_registered() {
        let m = |key: &str, c| TextMatch::contains(key, c);
        assert!(m("meeting", Collation::AsciiCasemap).matches("Team MEETING"));
        assert!(!m("meeting", Collation::Octet).matches("Team MEETING"));
        assert!(m("MEETING", Collation::Octet).matches("Team MEETING"));
        // ASCII folding leaves other letters alone; Unicode folding does not.
        assert!(!m("été", Collation::AsciiCasemap).matches("ÉTÉ"));
        assert!(m("été", Collation::UnicodeCasemap).matches("ÉTÉ"));
        // NFKD: the precomposed and decomposed forms compare equal.
        assert!(m("e\u{301}t", Collation::UnicodeCasemap).matches("\u{e9}T"));
    }

    #[test]
    fn match_types_and_negation() {
        let mut t = TextMatch {
            value: "doe".into(),
            collation: Collation::UnicodeCasemap,
            match_type: MatchType::EndsWith,
            negate: false,
        };
        assert!(t.matches("John Doe"));
        t.match_type = MatchType::StartsWith;
        assert!(!t.matches("John Doe"));
        t.match_type = MatchType::Equals;
        assert!(t.matches("DOE"));
        t.negate = true;
        assert!(!t.matches("DOE"));
        assert!(t.matches("John"));
    }
}
