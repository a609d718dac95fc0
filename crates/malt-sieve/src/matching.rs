//! Comparators and match types: how every matching test compares the values it extracted with
//! its keys.
//!
//! - Comparators (RFC 4790 §9): `i;octet` (bytes), `i;ascii-casemap` (ASCII letters folded to
//!   upper case, then octets), `i;ascii-numeric` (the leading digits as a number of any length;
//!   a string without a leading digit is positive infinity, §9.1).
//! - Match types: `:is`, `:contains`, `:matches` (RFC 5228 §2.7.1: `*` and `?` wildcards over
//!   octets, since both string comparators define a character to be an octet; `\` escapes),
//!   `:regex` (draft-ietf-sieve-regex, with the `regex` crate's syntax), `:value` and `:count`
//!   (RFC 5231).
//! - Captures (RFC 5229 §3.2): a successful `:matches` yields `${0}` (the whole value) and one
//!   entry per wildcard, each `*` as short as the match allows, left to right; `:regex` yields
//!   the match and its groups.
//!
//! Invariants: `:matches` runs in O(value × pattern) time (one remembered star, no exponential
//! backtracking); regexes are bounded in size and compiled once per thread per (pattern, case);
//! nothing panics.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;

use regex::{Regex, RegexBuilder};

use crate::ir::{Comparator, MatchSpec, MatchType, RelOp};

/// Largest compiled regex accepted (bytes of the compiled program).
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Most regexes one thread keeps compiled.
const REGEX_CACHE_LIMIT: usize = 256;

/// The outcome of matching a value list against keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matched {
    No,
    /// Matched; with the match variables when the match type yields some (`:matches`,
    /// `:regex`) and they were asked for.
    Yes(Option<Vec<String>>),
}

impl Matched {
    pub fn is_match(&self) -> bool {
        matches!(self, Matched::Yes(_))
    }
}

/// A match that could not be carried out: a `:regex` key that does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid regular expression {pattern:?}: {reason}")]
pub struct MatchError {
    pub pattern: String,
    pub reason: String,
}

thread_local! {
    /// Regexes compiled on this thread, kept across runs: a script's patterns are compiled once
    /// per thread rather than once per message. At most [`REGEX_CACHE_LIMIT`] are kept.
    static REGEXES: RefCell<HashMap<(String, bool), Regex>> = RefCell::new(HashMap::new());
}

/// Does any value match any key (RFC 5228 §2.7.1)? For `:count`, `count` is what is compared
/// (the caller knows what the test counts, RFC 5231 §4.2).
pub fn matches(
    spec: &MatchSpec,
    values: &[String],
    count: usize,
    keys: &[String],
    want_captures: bool,
) -> Result<Matched, MatchError> {
    if let MatchType::Count(op) = spec.match_type {
        let count = count.to_string();
        let hit = keys.iter().any(|key| relation(spec.comparator, &count, key, op));
        return Ok(if hit { Matched::Yes(None) } else { Matched::No });
    }
    for value in values {
        for key in keys {
            if let Some(found) = match_one(spec, value, key, want_captures)? {
                return Ok(found);
            }
        }
    }
    Ok(Matched::No)
}

/// One value against one key; `None` when they do not match.
fn match_one(
    spec: &MatchSpec,
    value: &str,
    key: &str,
    want_captures: bool,
) -> Result<Option<Matched>, MatchError> {
    let cmp = spec.comparator;
    let hit = match &spec.match_type {
        MatchType::Is => equal(cmp, value, key),
        MatchType::Contains => contains(cmp, value, key),
        MatchType::Value(op) => relation(cmp, value, key, *op),
        MatchType::Count(_) => false,
        MatchType::Matches => {
            let Some(spans) = glob(cmp, value, key) else {
                return Ok(None);
            };
            // A capture that cuts a character in two keeps U+FFFD for the cut part.
            let captures = want_captures.then(|| {
                let bytes = value.as_bytes();
                std::iter::once(value.to_string())
                    .chain(spans.iter().map(|&(start, end)| {
                        String::from_utf8_lossy(bytes.get(start..end).unwrap_or_default()).into_owned()
                    }))
                    .collect()
            });
            return Ok(Some(Matched::Yes(captures)));
        }
        MatchType::Regex => {
            let regex = cached_regex(key, cmp != Comparator::Octet)?;
            let Some(found) = regex.captures(value) else {
                return Ok(None);
            };
            let captures = want_captures.then(|| {
                found
                    .iter()
                    .map(|group| group.map_or_else(String::new, |g| g.as_str().to_string()))
                    .collect()
            });
            return Ok(Some(Matched::Yes(captures)));
        }
    };
    Ok(hit.then_some(Matched::Yes(None)))
}

/// The compiled regex for `pattern`, case-insensitive unless the comparator is `i;octet`.
fn cached_regex(pattern: &str, fold_case: bool) -> Result<Regex, MatchError> {
    let key = (pattern.to_string(), fold_case);
    if let Some(regex) = REGEXES.with(|cache| cache.borrow().get(&key).cloned()) {
        return Ok(regex);
    }
    let regex = compile_regex(pattern, fold_case)?;
    REGEXES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= REGEX_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, regex.clone());
    });
    Ok(regex)
}

/// Compile a `:regex` key (draft-ietf-sieve-regex §3), bounded in size.
fn compile_regex(pattern: &str, fold_case: bool) -> Result<Regex, MatchError> {
    RegexBuilder::new(pattern)
        .case_insensitive(fold_case)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| MatchError {
            pattern: pattern.to_string(),
            reason: e.to_string(),
        })
}

/// Equality under a comparator (RFC 4790 §4.2).
pub fn equal(cmp: Comparator, a: &str, b: &str) -> bool {
    match cmp {
        Comparator::Octet => a == b,
        Comparator::AsciiCasemap => a.eq_ignore_ascii_case(b),
        Comparator::AsciiNumeric => numeric_order(a, b) == Ordering::Equal,
    }
}

/// Substring under a comparator (RFC 4790 §4.2.2); `i;ascii-numeric` has no substring operation.
pub fn contains(cmp: Comparator, haystack: &str, needle: &str) -> bool {
    match cmp {
        Comparator::Octet => haystack.contains(needle),
        // Folding both sides first lets the substring search run at memchr speed.
        Comparator::AsciiCasemap => haystack
            .to_ascii_lowercase()
            .contains(&needle.to_ascii_lowercase()),
        Comparator::AsciiNumeric => false,
    }
}

/// Ordering under a comparator (RFC 4790 §4.2.3).
pub fn order(cmp: Comparator, a: &str, b: &str) -> Ordering {
    match cmp {
        Comparator::Octet => a.as_bytes().cmp(b.as_bytes()),
        Comparator::AsciiCasemap => a
            .bytes()
            .map(|c| c.to_ascii_uppercase())
            .cmp(b.bytes().map(|c| c.to_ascii_uppercase())),
        Comparator::AsciiNumeric => numeric_order(a, b),
    }
}

/// `value OP key` (RFC 5231 §4).
pub fn relation(cmp: Comparator, value: &str, key: &str, op: RelOp) -> bool {
    let ord = order(cmp, value, key);
    match op {
        RelOp::Gt => ord == Ordering::Greater,
        RelOp::Ge => ord != Ordering::Less,
        RelOp::Lt => ord == Ordering::Less,
        RelOp::Le => ord != Ordering::Greater,
        RelOp::Eq => ord == Ordering::Equal,
        RelOp::Ne => ord != Ordering::Equal,
    }
}

/// RFC 4790 §9.1: compare the leading digit strings as numbers of any length; a string with
/// no leading digit is positive infinity (equal to any other such string).
fn numeric_order(a: &str, b: &str) -> Ordering {
    match (leading_number(a), leading_number(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
    }
}

/// The leading digits without leading zeros ("" for zero); `None` when there is no digit.
fn leading_number(s: &str) -> Option<&str> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let number = s.get(..digits)?;
    Some(number.trim_start_matches('0'))
}

/// One element of a `:matches` pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Glob {
    Byte(u8),
    /// `?`: exactly one octet.
    One,
    /// `*`: any run of octets.
    Any,
}

/// Split a `:matches` key into literal octets and wildcards (RFC 5228 §2.7.1: `\` quotes the
/// next character).
fn glob_pattern(key: &str) -> Vec<Glob> {
    let mut out = Vec::with_capacity(key.len());
    let mut chars = key.chars();
    let mut buf = [0u8; 4];
    while let Some(c) = chars.next() {
        let literal = match c {
            '*' => {
                out.push(Glob::Any);
                continue;
            }
            '?' => {
                out.push(Glob::One);
                continue;
            }
            '\\' => chars.next().unwrap_or('\\'),
            other => other,
        };
        out.extend(literal.encode_utf8(&mut buf).bytes().map(Glob::Byte));
    }
    out
}

/// Match `value` against the wildcard pattern `key`; on success, the span (in octets) each
/// wildcard took, in pattern order. The comparators `i;octet` and `i;ascii-casemap` define a
/// character to be an octet, so `?` matches exactly one octet (RFC 5228 §2.7.1), as in
/// Pigeonhole: `"K??ln"` matches "Köln", `"K?ln"` does not.
pub fn glob(cmp: Comparator, value: &str, key: &str) -> Option<Vec<(usize, usize)>> {
    let pattern = glob_pattern(key);
    let text = value.as_bytes();
    let same = |a: u8, b: u8| match cmp {
        Comparator::AsciiCasemap => a.eq_ignore_ascii_case(&b),
        _ => a == b,
    };
    // The capture slot of each wildcard.
    let mut slot_of = Vec::with_capacity(pattern.len());
    let mut slots = 0;
    for g in &pattern {
        slot_of.push(slots);
        if !matches!(g, Glob::Byte(_)) {
            slots += 1;
        }
    }
    let mut spans = vec![(0usize, 0usize); slots];
    let (mut p, mut v) = (0usize, 0usize);
    // The last star seen: its pattern position, and where its match currently ends.
    let mut star: Option<(usize, usize)> = None;
    loop {
        match pattern.get(p) {
            Some(Glob::Any) => {
                let slot = slot_of.get(p).copied().unwrap_or(0);
                if let Some(span) = spans.get_mut(slot) {
                    *span = (v, v);
                }
                star = Some((p, v));
                p += 1;
                continue;
            }
            Some(Glob::One) if v < text.len() => {
                let slot = slot_of.get(p).copied().unwrap_or(0);
                if let Some(span) = spans.get_mut(slot) {
                    *span = (v, v + 1);
                }
                p += 1;
                v += 1;
                continue;
            }
            Some(Glob::Byte(c)) if text.get(v).is_some_and(|t| same(*t, *c)) => {
                p += 1;
                v += 1;
                continue;
            }
            None if v == text.len() => return Some(spans),
            _ => {}
        }
        // Mismatch: let the last star take one more character, or fail.
        let (star_p, star_end) = star?;
        if star_end >= text.len() {
            return None;
        }
        let slot = slot_of.get(star_p).copied().unwrap_or(0);
        let start = spans.get(slot).map_or(star_end, |s| s.0);
        if let Some(span) = spans.get_mut(slot) {
            *span = (start, star_end + 1);
        }
        star = Some((star_p, star_end + 1));
        p = star_p + 1;
        v = star_end + 1;
    }
}

/// Quote the wildcards of `text` so that `:matches` takes it literally (RFC 5229 §4.1
/// `:quotewildcard`).
pub fn quote_wildcards(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(comparator: Comparator, match_type: MatchType) -> MatchSpec {
        MatchSpec {
            comparator,
            match_type,
        }
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn captures(value: &str, key: &str) -> Option<Vec<String>> {
        match matches(
            &spec(Comparator::AsciiCasemap, MatchType::Matches),
            &strings(&[value]),
            1,
            &strings(&[key]),
            true,
        )
        .unwrap()
        {
            Matched::Yes(c) => c,
            Matched::No => None,
        }
    }

    #[test]
    fn matches_captures_are_leftmost_shortest() {
        // RFC 5229 §3.2's example.
        assert_eq!(
            captures("[acme-users] [fwd] version 1.0 is out", "[*] *").unwrap(),
            strings(&[
                "[acme-users] [fwd] version 1.0 is out",
                "acme-users",
                "[fwd] version 1.0 is out"
            ])
        );
        assert_eq!(
            captures("ietf-mta-filters@imc.org", "*@*.*").unwrap(),
            strings(&["ietf-mta-filters@imc.org", "ietf-mta-filters", "imc", "org"])
        );
        assert_eq!(captures("abc", "?*?").unwrap(), strings(&["abc", "a", "b", "c"]));
        assert_eq!(captures("abc", "a*b*c*").unwrap()[1..], strings(&["", "", ""]));
        assert_eq!(captures("abc", "?"), None);
        assert_eq!(captures("", "*").unwrap(), strings(&["", ""]));
    }

    #[test]
    fn matches_escapes_and_case() {
        assert!(glob(Comparator::AsciiCasemap, "A*B", "a\\*b").is_some());
        assert!(glob(Comparator::AsciiCasemap, "AxB", "a\\*b").is_none());
        assert!(glob(Comparator::Octet, "ABC", "a*").is_none());
        assert!(glob(Comparator::Octet, "a?c", "a\\?c").is_some());
        assert!(glob(Comparator::Octet, "a\\c", "a\\\\c").is_some());
        // RFC 5228 §2.7.1: with these comparators a character is an octet.
        assert!(glob(Comparator::Octet, "héllo", "h?llo").is_none());
        assert!(glob(Comparator::Octet, "héllo", "h??llo").is_some());
        assert!(glob(Comparator::AsciiCasemap, "KÖLN", "k*n").is_some());
        assert!(glob(Comparator::AsciiCasemap, "Köln", "KÖLN").is_none());
    }

    #[test]
    fn matches_is_linear_not_exponential() {
        let value = "a".repeat(5_000);
        let key = format!("{}b", "*a".repeat(50));
        assert!(glob(Comparator::Octet, &value, &key).is_none());
    }

    #[test]
    fn comparators() {
        assert!(equal(Comparator::AsciiCasemap, "HeLLo", "hello"));
        assert!(!equal(Comparator::Octet, "HeLLo", "hello"));
        assert!(contains(Comparator::AsciiCasemap, "Hello World", "o w"));
        assert!(contains(Comparator::AsciiCasemap, "x", ""));
        assert!(!contains(Comparator::AsciiNumeric, "123", "2"));
        assert!(equal(Comparator::AsciiNumeric, "007", "7"));
        assert!(equal(Comparator::AsciiNumeric, "12abc", "12"));
        assert!(equal(Comparator::AsciiNumeric, "abc", "xyz"));
        assert_eq!(numeric_order("abc", "99999999999999999999999"), Ordering::Greater);
        assert_eq!(numeric_order("100", "99"), Ordering::Greater);
        assert_eq!(numeric_order("0", "000"), Ordering::Equal);
        assert_eq!(order(Comparator::AsciiCasemap, "a", "B"), Ordering::Less);
    }

    #[test]
    fn relational_value_and_count() {
        let numeric = spec(Comparator::AsciiNumeric, MatchType::Value(RelOp::Gt));
        assert!(
            matches(&numeric, &strings(&["10"]), 1, &strings(&["9"]), false)
                .unwrap()
                .is_match()
        );
        let count = spec(Comparator::AsciiNumeric, MatchType::Count(RelOp::Eq));
        assert!(
            matches(&count, &[], 0, &strings(&["0"]), false)
                .unwrap()
                .is_match()
        );
        assert!(
            !matches(&count, &[], 2, &strings(&["1", "3"]), false)
                .unwrap()
                .is_match()
        );
        let ne = spec(Comparator::AsciiCasemap, MatchType::Value(RelOp::Ne));
        assert!(
            !matches(&ne, &strings(&["A"]), 1, &strings(&["a"]), false)
                .unwrap()
                .is_match()
        );
    }

    #[test]
    fn regex_matches_and_captures() {
        let re = spec(Comparator::AsciiCasemap, MatchType::Regex);
        let got = matches(
            &re,
            &strings(&["Order 1234 shipped"]),
            1,
            &strings(&["order ([0-9]+)"]),
            true,
        )
        .unwrap();
        assert_eq!(got, Matched::Yes(Some(strings(&["Order 1234", "1234"]))));
        let octet = spec(Comparator::Octet, MatchType::Regex);
        assert_eq!(
            matches(&octet, &strings(&["Order"]), 1, &strings(&["order"]), true).unwrap(),
            Matched::No
        );
        assert!(matches(&re, &strings(&["x"]), 1, &strings(&["("]), false).is_err());
    }

    #[test]
    fn quoting_wildcards_round_trips() {
        let text = "a*b?c\\d";
        assert!(glob(Comparator::Octet, text, &quote_wildcards(text)).is_some());
        assert!(glob(Comparator::Octet, "aXbYc\\d", &quote_wildcards(text)).is_none());
    }
}
