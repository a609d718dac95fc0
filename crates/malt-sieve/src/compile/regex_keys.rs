//! The check of constant `:regex` keys (draft-ietf-sieve-regex-01 §3): each must compile, and
//! compiling them must stay cheap, since a script arrives from a user (ManageSieve PUTSCRIPT)
//! and is compiled again wherever it runs.
//!
//! A pattern is first parsed (cheap: microseconds) and its compiled size estimated from the
//! parse: literal bytes, UTF-8 sequences of each class, repetitions multiplied out. Only
//! patterns under [`MAX_PATTERN_COST`] are then built with the `regex` crate (the matcher the
//! interpreter uses), and a script may spend at most [`MAX_SCRIPT_COST`] on all its patterns,
//! which bounds its compile time to well under a second; `\w{1000}` alone would otherwise take
//! hundreds of milliseconds just to be refused.
//!
//! Invariant: the cost is an over-estimate of the work of building the pattern, linear in it.

use regex_syntax::hir::{Class, Hir, HirKind};

/// The largest estimated cost of one pattern (`\w{40}` or `.{4000}` come near it).
pub(super) const MAX_PATTERN_COST: u64 = 50_000;

/// The largest estimated cost of all the constant patterns of one script.
pub(super) const MAX_SCRIPT_COST: u64 = 500_000;

/// Parses, estimates and builds one pattern; returns its cost, or why it is refused.
pub(super) fn check_pattern(pattern: &str, case_insensitive: bool) -> Result<u64, String> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(case_insensitive)
        .build()
        .parse(pattern)
        .map_err(|err| last_line(&err.to_string()))?;
    let cost = cost(&hir);
    if cost > MAX_PATTERN_COST {
        return Err("it is too complex".to_owned());
    }
    regex::RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .build()
        .map_err(|err| last_line(&err.to_string()))?;
    Ok(cost)
}

/// The estimated size of the compiled form of `hir` (saturating).
fn cost(hir: &Hir) -> u64 {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 1,
        HirKind::Literal(literal) => literal.0.len() as u64,
        HirKind::Class(Class::Unicode(class)) => class
            .ranges()
            .iter()
            .map(|r| regex_syntax::utf8::Utf8Sequences::new(r.start(), r.end()).count() as u64)
            .fold(0, u64::saturating_add),
        HirKind::Class(Class::Bytes(class)) => class.ranges().len() as u64,
        HirKind::Repetition(repetition) => {
            let copies = u64::from(repetition.max.unwrap_or(repetition.min)).saturating_add(1);
            cost(&repetition.sub).saturating_mul(copies)
        }
        HirKind::Capture(capture) => cost(&capture.sub),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => {
            parts.iter().map(cost).fold(0, u64::saturating_add)
        }
    }
}

/// The reason of a regex error, whose `Display` spans several lines (pattern, caret, reason).
fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("error: "))
        .unwrap_or(text.lines().last().unwrap_or("invalid"))
        .trim_end_matches('.')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile_or_say_why() {
        assert!(check_pattern("^(re|fwd): [0-9]+$", false).is_ok());
        assert_eq!(check_pattern("(", false), Err("unclosed group".to_owned()));
        assert_eq!(
            check_pattern("[a", true),
            Err("unclosed character class".to_owned())
        );
    }

    #[test]
    fn costly_patterns_are_refused_before_they_are_built() {
        for pattern in [r"\w{1000}", "a{1000}{1000}", ".{100000}", r"(\pL{100}){100}"] {
            assert_eq!(
                check_pattern(pattern, false),
                Err("it is too complex".to_owned()),
                "{pattern}"
            );
        }
        // Case folding widens classes, and counts.
        let plain = check_pattern("[a-z]{100}", false).unwrap_or(0);
        let folded = check_pattern("[a-z]{100}", true).unwrap_or(0);
        assert!(folded > plain && plain > 0);
    }
}
