//! imap4flags (RFC 5232): `setflag`/`addflag`/`removeflag` on the internal variable or a named
//! one, the `hasflag` test, and the flags `keep`/`fileinto` store.
//!
//! Invariants: a flag list is a space-separated string (§3); flags are kept once each,
//! compared case-insensitively, in the order first added; system flags take their IMAP
//! spelling (`\Seen`); `\Recent`, unknown system flags and words that are not IMAP atoms
//! (RFC 3501 §9 `flag`) are dropped, as Pigeonhole drops them.

use super::{Frame, Interpreter};
use crate::ir::{FlagOp, MatchSpec, MatchType, StringList};

/// The system flags a script may set (RFC 3501 §2.3.2, without `\Recent`).
const SYSTEM_FLAGS: [&str; 5] = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"];

/// Split, check and deduplicate flags (RFC 5232 §3).
pub(super) fn normalise<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in items.into_iter().flat_map(str::split_whitespace) {
        let Some(flag) = canonical(word) else {
            continue;
        };
        if !out.iter().any(|f| f.eq_ignore_ascii_case(&flag)) {
            out.push(flag);
        }
    }
    out
}

/// A flag in its stored spelling, or `None` when it cannot be stored.
fn canonical(word: &str) -> Option<String> {
    if let Some(name) = word.strip_prefix('\\') {
        return SYSTEM_FLAGS
            .iter()
            .find(|f| f.get(1..).is_some_and(|n| n.eq_ignore_ascii_case(name)))
            .map(|f| f.to_string());
    }
    let atom = word
        .chars()
        .all(|c| c.is_ascii_graphic() && !"(){%*\"\\]".contains(c));
    atom.then(|| word.to_string())
}

impl Interpreter<'_> {
    /// `setflag`/`addflag`/`removeflag` (RFC 5232 §3).
    pub(super) fn edit_flags(
        &mut self,
        frame: &mut Frame<'_>,
        op: FlagOp,
        variable: Option<&str>,
        flags: &StringList,
    ) -> Result<(), String> {
        let given = self.expand_list(frame, flags);
        let given = normalise(given.iter().map(String::as_str));
        let current = match variable {
            None => self.flags.clone(),
            Some(name) => normalise([frame.vars.get(&self.globals, name)]),
        };
        let updated = match op {
            FlagOp::Set => given,
            FlagOp::Add => normalise(current.iter().chain(&given).map(String::as_str)),
            FlagOp::Remove => current
                .into_iter()
                .filter(|f| !given.iter().any(|g| g.eq_ignore_ascii_case(f)))
                .collect(),
        };
        match variable {
            None => {
                self.flags = updated;
                Ok(())
            }
            Some(name) => frame
                .vars
                .set(&mut self.globals, name, updated.join(" "), self.limits),
        }
    }

    /// `hasflag` (RFC 5232 §4): the flags of the variables (the internal one when none is
    /// named) against the keys; `:count` counts the flags. The keys are a list of flags:
    /// with `:is` and `:contains` each is split at spaces into flag names (§4's example:
    /// `hasflag :is "b A"` finds `A`), as Pigeonhole does; patterns and relational keys are
    /// taken whole.
    pub(super) fn has_flag(
        &mut self,
        frame: &mut Frame<'_>,
        spec: &MatchSpec,
        variables: &[String],
        keys: &StringList,
    ) -> Result<bool, String> {
        let flags = if variables.is_empty() {
            self.flags.clone()
        } else {
            normalise(variables.iter().map(|v| frame.vars.get(&self.globals, v)))
        };
        if !matches!(spec.match_type, MatchType::Is | MatchType::Contains) {
            return self.match_values(frame, spec, &flags, flags.len(), keys);
        }
        let keys: Vec<String> = self
            .expand_list(frame, keys)
            .iter()
            .flat_map(|key| key.split_whitespace())
            .map(String::from)
            .collect();
        // :is and :contains set no match variables.
        crate::matching::matches(spec, &flags, flags.len(), &keys, false)
            .map(|m| m.is_match())
            .map_err(|e| e.to_string())
    }

    /// The flags of a `keep`/`fileinto`: `:flags` when given, else the internal variable
    /// (RFC 5232 §5).
    pub(super) fn action_flags(&self, frame: &Frame<'_>, flags: Option<&StringList>) -> Vec<String> {
        match flags {
            Some(list) => {
                let given = self.expand_list(frame, list);
                normalise(given.iter().map(String::as_str))
            }
            None => self.flags.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_normalised() {
        assert_eq!(
            normalise([
                "\\seen Foo \\SEEN foo",
                "  \\flagged\t$Junk ",
                "\\Recent \\Bogus a(b"
            ]),
            ["\\Seen", "Foo", "\\Flagged", "$Junk"]
        );
        assert!(normalise([""]).is_empty());
    }
}
