//! Script generation from a simple rule list: what a web UI's "filter rules" page edits
//! ("if the subject contains `[list]`, move it to Lists and mark it read"), turned into a Sieve
//! script that the engine then runs like any other. The generated text is plain RFC 5228 with
//! the extensions it needs `require`d, so a user can later take it over and edit it by hand.
//!
//! ```
//! use malt_sieve::rules::{Action, Condition, Field, Match, Rule, generate};
//!
//! let rules = vec![Rule {
//!     name: "Mailing list".into(),
//!     match_all: true,
//!     conditions: vec![Condition {
//!         field: Field::Subject,
//!         operator: Match::Contains,
//!         value: "[list]".into(),
//!     }],
//!     actions: vec![Action::FileInto("Lists".into()), Action::MarkRead],
//!     stop: true,
//! }];
//! let script = generate(&rules);
//! assert!(malt_sieve::compile("rules", &script, &Default::default()).is_ok());
//! ```
//!
//! Flag actions of a rule are emitted before its other actions, so they apply to the rule's
//! `fileinto` and to the implicit keep (and, as imap4flags works, to later rules' actions).
//!
//! Invariants: every user-supplied string is emitted as a quoted string with `"` and `\`
//! escaped (RFC 5228 §2.4.2), so no rule can inject Sieve syntax; with `variables` never
//! required, `${` in a value stays literal text; a rule without conditions always applies; the
//! output always compiles (tested over arbitrary rule lists).

use std::collections::BTreeSet;
use std::fmt::Write as _;

/// One rule: when its conditions hold, its actions run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Shown as a comment above the rule (newlines are replaced).
    pub name: String,
    /// `true`: every condition must hold (`allof`); `false`: any (`anyof`).
    pub match_all: bool,
    /// Empty: the rule always applies.
    pub conditions: Vec<Condition>,
    pub actions: Vec<Action>,
    /// Stop after this rule when it applied (no later rule runs).
    pub stop: bool,
}

/// One condition of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub field: Field,
    pub operator: Match,
    /// The text to compare with; for [`Field::Size`] a number of bytes, optionally with a
    /// K/M/G suffix (RFC 5228 §2.4.1).
    pub value: String,
}

/// What a condition looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// The addresses of `From:` (`address` test, RFC 5228 §5.1).
    From,
    /// The addresses of `To:` and `Cc:`.
    ToOrCc,
    Subject,
    /// Any other header, by name.
    Header(String),
    /// The text of the body (RFC 5173 `:text`).
    Body,
    /// The message size; operators [`Match::Over`] and [`Match::Under`] only.
    Size,
}

/// How a condition compares (case-insensitively, `i;ascii-casemap`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    Is,
    Contains,
    /// A `*`/`?` wildcard pattern (RFC 5228 §2.7.1 `:matches`).
    Matches,
    NotIs,
    NotContains,
    /// For [`Field::Size`].
    Over,
    /// For [`Field::Size`].
    Under,
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Move into a mailbox, creating it if needed (RFC 5490 `:create`).
    FileInto(String),
    /// Copy into a mailbox and keep going (RFC 3894 `:copy`).
    CopyInto(String),
    /// Forward to an address (the message is not kept unless [`Action::Keep`] is also given).
    Redirect(String),
    /// Forward a copy (RFC 3894 `redirect :copy`).
    RedirectCopy(String),
    /// Mark `\Seen` (RFC 5232 `addflag`).
    MarkRead,
    /// Mark `\Flagged`.
    Flag,
    /// Keep in INBOX.
    Keep,
    /// Delete silently.
    Discard,
    /// Refuse with a reason (RFC 5429).
    Reject(String),
    /// An out-of-office reply (RFC 5230): subject and text, answering each sender once per
    /// `days`.
    Vacation {
        days: u32,
        subject: String,
        reason: String,
    },
}

/// The Sieve script for `rules`, in order.
pub fn generate(rules: &[Rule]) -> String {
    let mut body = String::new();
    let mut needs = BTreeSet::new();
    for rule in rules {
        write_rule(&mut body, rule, &mut needs);
    }
    let mut out =
        String::from("# Generated from filter rules; edits here are kept as a script of its own.\r\n");
    if !needs.is_empty() {
        let list: Vec<String> = needs.iter().map(|e: &&str| quote(e)).collect();
        let _ = write!(out, "require [{}];\r\n", list.join(", "));
    }
    out.push_str(&body);
    out
}

fn write_rule(out: &mut String, rule: &Rule, needs: &mut BTreeSet<&'static str>) {
    let name: String = rule
        .name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let _ = write!(out, "\r\n# rule: {name}\r\n");
    let tests: Vec<String> = rule.conditions.iter().map(|c| test(c, needs)).collect();
    let condition = match tests.as_slice() {
        [] => "true".to_owned(),
        [one] => one.clone(),
        many => format!(
            "{} ({})",
            if rule.match_all { "allof" } else { "anyof" },
            many.join(", ")
        ),
    };
    let _ = write!(out, "if {condition} {{\r\n");
    // Flags first: imap4flags applies the flags that are set when an action runs (RFC 5232 §3),
    // so "move to X and mark read" must set the flag before `fileinto`.
    let (flags, others): (Vec<&Action>, Vec<&Action>) = rule
        .actions
        .iter()
        .partition(|a| matches!(a, Action::MarkRead | Action::Flag));
    for action in flags.into_iter().chain(others) {
        let _ = write!(out, "    {}\r\n", command(action, needs));
    }
    if rule.stop {
        out.push_str("    stop;\r\n");
    }
    out.push_str("}\r\n");
}

fn test(c: &Condition, needs: &mut BTreeSet<&'static str>) -> String {
    let (negate, match_type) = match c.operator {
        Match::Is => (false, ":is"),
        Match::Contains => (false, ":contains"),
        Match::Matches => (false, ":matches"),
        Match::NotIs => (true, ":is"),
        Match::NotContains => (true, ":contains"),
        Match::Over | Match::Under => return size_test(c),
    };
    let value = quote(&c.value);
    let positive = match &c.field {
        Field::From => format!("address {match_type} \"from\" {value}"),
        Field::ToOrCc => format!("address {match_type} [\"to\", \"cc\"] {value}"),
        Field::Subject => format!("header {match_type} \"subject\" {value}"),
        Field::Header(name) => format!("header {match_type} {} {value}", quote(&header_name(name))),
        Field::Body => {
            needs.insert("body");
            format!("body :text {match_type} {value}")
        }
        // A size compared by text has no meaning: compare as "over" the value.
        Field::Size => return size_test(c),
    };
    if negate {
        format!("not {positive}")
    } else {
        positive
    }
}

/// `size :over N` / `size :under N`; a value that is not a number (with an optional K/M/G
/// quantifier) becomes 0, which still compiles.
fn size_test(c: &Condition) -> String {
    let v = c.value.trim();
    let digits = v.trim_end_matches(['K', 'M', 'G', 'k', 'm', 'g']);
    let quantifier = v.get(digits.len()..).unwrap_or("").to_ascii_uppercase();
    let number = match digits.parse::<u32>() {
        Ok(n) if quantifier.len() <= 1 => format!("{n}{quantifier}"),
        _ => "0".to_owned(),
    };
    let op = if c.operator == Match::Under {
        ":under"
    } else {
        ":over"
    };
    format!("size {op} {number}")
}

fn command(action: &Action, needs: &mut BTreeSet<&'static str>) -> String {
    match action {
        Action::FileInto(mailbox) => {
            needs.extend(["fileinto", "mailbox"]);
            format!("fileinto :create {};", quote(mailbox))
        }
        Action::CopyInto(mailbox) => {
            needs.extend(["fileinto", "mailbox", "copy"]);
            format!("fileinto :copy :create {};", quote(mailbox))
        }
        Action::Redirect(address) => format!("redirect {};", quote(address)),
        Action::RedirectCopy(address) => {
            needs.insert("copy");
            format!("redirect :copy {};", quote(address))
        }
        Action::MarkRead => {
            needs.insert("imap4flags");
            "addflag \"\\\\Seen\";".to_owned()
        }
        Action::Flag => {
            needs.insert("imap4flags");
            "addflag \"\\\\Flagged\";".to_owned()
        }
        Action::Keep => "keep;".to_owned(),
        Action::Discard => "discard;".to_owned(),
        Action::Reject(reason) => {
            needs.insert("reject");
            format!("reject {};", quote(reason))
        }
        Action::Vacation {
            days,
            subject,
            reason,
        } => {
            needs.insert("vacation");
            format!(
                "vacation :days {} :subject {} {};",
                (*days).max(1),
                quote(subject),
                quote(reason)
            )
        }
    }
}

/// A header name as RFC 5322 §3.6.8 allows it (printable ASCII but `:` and space); anything
/// else is dropped so the test still compiles, and an empty result becomes `X-Empty`.
fn header_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != ':')
        .collect();
    if clean.is_empty() {
        "X-Empty".to_owned()
    } else {
        clean
    }
}

/// A Sieve quoted string (RFC 5228 §2.4.2): `"` and `\` escaped; CR and LF kept as CRLF
/// pairs, which a quoted string may span.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\r\n");
            }
            '\n' => out.push_str("\r\n"),
            '\0' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
