//! Variables (RFC 5229) and their scopes across `include` (RFC 6609 §3.4-§3.5): each script
//! run has its own variables and match variables; names declared `global` (or written
//! `global.name`) live in one scope shared by every script of the run.
//!
//! Invariants: names are already lowercased by the compiler (RFC 5229 §3: case-insensitive); an
//! unset variable reads as the empty string (§3); no value is longer than
//! [`Limits::max_string_len`] (cut at a character boundary); no run defines more than
//! [`Limits::max_variables`] variables.

use std::collections::{HashMap, HashSet};

use crate::ir::{Modifier, Str, StrPart};
use crate::limits::Limits;
use crate::message::cut_text;

/// The namespace prefix of global variables (RFC 6609 §3.5).
const GLOBAL_NAMESPACE: &str = "global.";

/// The variables of one scope.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    values: HashMap<String, String>,
}

impl Scope {
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// The variables one script sees: its own, its declared globals, its match variables.
#[derive(Debug, Default, Clone)]
pub struct ScriptVariables {
    locals: Scope,
    global_names: HashSet<String>,
    /// `${0}`, `${1}`, ... of the last successful `:matches`/`:regex` (RFC 5229 §3.2).
    matches: Vec<String>,
}

impl ScriptVariables {
    /// `global name` (RFC 6609 §3.4): from now on `name` is the shared variable.
    pub fn declare_global(&mut self, name: &str) {
        self.global_names.insert(name.to_string());
    }

    /// Replace the match variables.
    pub fn set_matches(&mut self, matches: Vec<String>) {
        self.matches = matches;
    }

    /// A variable's value ("" when unset).
    pub fn get<'a>(&'a self, globals: &'a Scope, name: &str) -> &'a str {
        let (scope, key) = self.resolve(globals, name);
        scope.values.get(key).map_or("", String::as_str)
    }

    /// Set a variable, within the limits.
    pub fn set(
        &mut self,
        globals: &mut Scope,
        name: &str,
        value: String,
        limits: &Limits,
    ) -> Result<(), String> {
        let defined = self.locals.len() + globals.len();
        let value = cut_text(value, limits.max_string_len);
        let (is_global, key) = match name.strip_prefix(GLOBAL_NAMESPACE) {
            Some(key) => (true, key),
            None => (self.global_names.contains(name), name),
        };
        let scope = if is_global { globals } else { &mut self.locals };
        if !scope.values.contains_key(key) && defined >= limits.max_variables {
            return Err(format!(
                "too many variables: at most {} may be defined",
                limits.max_variables
            ));
        }
        scope.values.insert(key.to_string(), value);
        Ok(())
    }

    /// Expand a string argument: variables and match variables substituted (RFC 5229 §3).
    pub fn expand(&self, globals: &Scope, text: &Str, limits: &Limits) -> String {
        match text {
            Str::Literal(literal) => literal.clone(),
            Str::Template(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        StrPart::Text(t) => out.push_str(t),
                        StrPart::Variable(name) => out.push_str(self.get(globals, name)),
                        StrPart::Match(n) => out.push_str(self.matches.get(*n).map_or("", String::as_str)),
                    }
                    if out.len() > limits.max_string_len {
                        break;
                    }
                }
                cut_text(out, limits.max_string_len)
            }
        }
    }

    fn resolve<'a, 'n>(&'a self, globals: &'a Scope, name: &'n str) -> (&'a Scope, &'n str) {
        match name.strip_prefix(GLOBAL_NAMESPACE) {
            Some(key) => (globals, key),
            None if self.global_names.contains(name) => (globals, name),
            None => (&self.locals, name),
        }
    }
}

/// Apply `set` modifiers, given highest precedence first (RFC 5229 §4.1; `:quoteregex` from
/// the regex draft, `:encodeurl` from RFC 5435 §7).
pub fn apply_modifiers(value: String, modifiers: &[Modifier]) -> String {
    modifiers.iter().fold(value, |value, modifier| match modifier {
        Modifier::Lower => value.to_lowercase(),
        Modifier::Upper => value.to_uppercase(),
        Modifier::LowerFirst => map_first(&value, char::to_lowercase),
        Modifier::UpperFirst => map_first(&value, char::to_uppercase),
        Modifier::QuoteWildcard => crate::matching::quote_wildcards(&value),
        Modifier::QuoteRegex => quote_regex(&value),
        Modifier::EncodeUrl => encode_url(&value),
        Modifier::Length => value.chars().count().to_string(),
    })
}

fn map_first<I: Iterator<Item = char>>(value: &str, map: impl Fn(char) -> I) -> String {
    let mut chars = value.chars();
    match chars.next() {
        Some(first) => map(first).chain(chars).collect(),
        None => String::new(),
    }
}

/// Escape the characters special in a regex (draft-ietf-sieve-regex §5 `:quoteregex`).
fn quote_regex(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if "\\.+*?()[]{}|^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Percent-encode all but RFC 3986 §2.3 unreserved characters (RFC 5435 §7 `:encodeurl`).
fn encode_url(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modifiers_in_precedence_order() {
        let apply = |v: &str, m: &[Modifier]| apply_modifiers(v.to_string(), m);
        // RFC 5229 §4.1's examples.
        assert_eq!(apply("juMBlEd lETteRS", &[Modifier::Length]), "15");
        assert_eq!(apply("Ford Prefect", &[Modifier::Upper]), "FORD PREFECT");
        assert_eq!(apply("Ford Prefect", &[Modifier::Lower]), "ford prefect");
        assert_eq!(
            apply("juMBlEd lETteRS", &[Modifier::Lower, Modifier::UpperFirst]),
            "Jumbled letters"
        );
        assert_eq!(apply("Rock*", &[Modifier::QuoteWildcard]), "Rock\\*");
        assert_eq!(apply("a.b", &[Modifier::QuoteRegex]), "a\\.b");
        assert_eq!(apply("a b&é", &[Modifier::EncodeUrl]), "a%20b%26%C3%A9");
        assert_eq!(apply("", &[Modifier::UpperFirst, Modifier::Length]), "0");
    }

    #[test]
    fn scopes_and_globals() {
        let limits = Limits::default();
        let mut globals = Scope::default();
        let mut main = ScriptVariables::default();
        let mut included = ScriptVariables::default();
        main.set(&mut globals, "local", "m".into(), &limits).unwrap();
        main.declare_global("shared");
        main.set(&mut globals, "shared", "s".into(), &limits).unwrap();
        assert_eq!(included.get(&globals, "local"), "");
        assert_eq!(included.get(&globals, "shared"), "");
        assert_eq!(included.get(&globals, "global.shared"), "s");
        included.declare_global("shared");
        assert_eq!(included.get(&globals, "shared"), "s");
        included
            .set(&mut globals, "global.shared", "t".into(), &limits)
            .unwrap();
        assert_eq!(main.get(&globals, "shared"), "t");
    }

    #[test]
    fn limits_hold() {
        let limits = Limits {
            max_variables: 2,
            max_string_len: 4,
            ..Limits::default()
        };
        let mut globals = Scope::default();
        let mut vars = ScriptVariables::default();
        vars.set(&mut globals, "a", "123456".into(), &limits).unwrap();
        assert_eq!(vars.get(&globals, "a"), "1234");
        vars.set(&mut globals, "b", String::new(), &limits).unwrap();
        vars.set(&mut globals, "a", String::new(), &limits).unwrap();
        assert!(vars.set(&mut globals, "c", String::new(), &limits).is_err());
        let template = Str::Template(vec![
            StrPart::Variable("b".into()),
            StrPart::Text("xyz".into()),
            StrPart::Match(3),
            StrPart::Text("!!".into()),
        ]);
        assert_eq!(vars.expand(&globals, &template, &limits), "xyz!");
    }
}
