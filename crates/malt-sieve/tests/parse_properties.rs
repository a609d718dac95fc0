//! Properties of `compile` over generated input: it never panics, whatever the bytes; its errors
//! are well formed (at most `MAX_ERRORS`, positions inside the script); and the limits on script
//! size, nesting, string length and list length hold exactly at their bounds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use malt_sieve::compile::MAX_ERRORS;
use malt_sieve::limits::Limits;
use malt_sieve::{CompileErrors, compile};
use proptest::prelude::*;
use proptest::sample::select;

/// Pieces of Sieve, valid and not, for scripts that reach deep into the parser and compiler.
const FRAGMENTS: &[&str] = &[
    "require",
    "\"fileinto\"",
    "\"variables\"",
    "\"encoded-character\"",
    "\"ihave\"",
    "\"relational\"",
    "\"regex\"",
    "\"mime\"",
    "\"foreverypart\"",
    "if",
    "elsif",
    "else",
    "keep",
    "fileinto",
    "redirect",
    "set",
    "foreverypart",
    "break",
    "header",
    "address",
    "string",
    "ihave",
    "anyof",
    "allof",
    "not",
    "true",
    "size",
    ":is",
    ":contains",
    ":matches",
    ":regex",
    ":value",
    ":count",
    ":comparator",
    ":over",
    ":mime",
    ":name",
    "\"i;ascii-numeric\"",
    "\"ge\"",
    "\"x\"",
    "\"a@example.org\"",
    "\"${hex:41 4}\"",
    "\"${unicode:110000}\"",
    "\"${a}${1}${b.c}\"",
    "\"(\"",
    "\"\\\"\"",
    "[",
    "]",
    "(",
    ")",
    "{",
    "}",
    ",",
    ";",
    "1K",
    "99999999999999999999",
    "text:\n",
    "text: # c\r\n",
    "\n.\n",
    "\n..x\n",
    "# comment\n",
    "/*",
    "*/",
    "\n",
    "é",
    "\u{0}",
];

/// Checks what every error report must satisfy.
fn check_errors(source: &str, errors: &CompileErrors) {
    assert!(!errors.errors.is_empty());
    assert!(errors.errors.len() <= MAX_ERRORS);
    let lines = u32::try_from(source.lines().count()).unwrap() + 1;
    for error in &errors.errors {
        assert!(!error.message.is_empty());
        assert!(error.line <= lines, "{error:?} beyond {lines} lines");
        assert_eq!(error.line == 0, error.column == 0, "{error:?}");
    }
    assert!(!errors.to_string().is_empty());
}

fn run(source: &str, limits: &Limits) -> Result<(), CompileErrors> {
    match compile("prop", source, limits) {
        Ok(_) => Ok(()),
        Err(errors) => {
            check_errors(source, &errors);
            Err(errors)
        }
    }
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(source in ".{0,400}") {
        let _ = run(&source, &Limits::default());
    }

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let source = String::from_utf8_lossy(&bytes);
        let _ = run(&source, &Limits::default());
    }

    #[test]
    fn never_panics_on_sieve_fragments(
        fragments in proptest::collection::vec(select(FRAGMENTS), 0..80),
    ) {
        let source = fragments.join(" ");
        let _ = run(&source, &Limits::default());
    }

    #[test]
    fn nesting_is_bounded_exactly(depth in 0usize..48, max_nesting in 1usize..40) {
        let limits = Limits { max_nesting, ..Limits::default() };
        let source = format!("{}keep;{}", "if true { ".repeat(depth), "}".repeat(depth));
        let result = run(&source, &limits);
        prop_assert_eq!(result.is_ok(), depth <= max_nesting, "{:?}", result);
        let tests = format!("if {}true {{}}", "not ".repeat(depth));
        // `if` adds one level to the tests under it.
        prop_assert_eq!(run(&tests, &limits).is_ok(), depth < max_nesting);
    }

    #[test]
    fn strings_are_bounded_exactly(len in 0usize..200, max_string_len in 1usize..150, multi_line in any::<bool>()) {
        let limits = Limits { max_string_len, ..Limits::default() };
        let text = "x".repeat(len);
        let source = if multi_line {
            // The value of a multi-line string includes its line end.
            format!("if header \"x\" text:\n{}\n.\n{{}}", text.get(1..).unwrap_or(""))
        } else {
            format!("if header \"x\" \"{text}\" {{}}")
        };
        prop_assert_eq!(run(&source, &limits).is_ok(), len <= max_string_len);
    }

    #[test]
    fn lists_are_bounded_exactly(len in 1usize..40, max_list_len in 1usize..30) {
        let limits = Limits { max_list_len, ..Limits::default() };
        let keys = vec!["\"k\""; len].join(", ");
        let source = format!("if header \"subject\" [{keys}] {{}}");
        prop_assert_eq!(run(&source, &limits).is_ok(), len <= max_list_len);
    }

    #[test]
    fn script_size_is_bounded_exactly(padding in 0usize..100, max_script_size in 5usize..100) {
        let limits = Limits { max_script_size, ..Limits::default() };
        let source = format!("keep;{}", " ".repeat(padding));
        prop_assert_eq!(run(&source, &limits).is_ok(), source.len() <= max_script_size);
    }
}

/// Inputs built to make a careless scanner quadratic (every `${` opening a reference or an
/// encoded character that never closes, in strings at the default length limit): they compile
/// or fail like any other script.
#[test]
fn pathological_strings_are_handled() {
    let limits = Limits::default();
    let half = limits.max_string_len / 2;
    for filler in ["${", "${hex:", "${unicode:", "${a.", "${0"] {
        let text = filler.repeat(half / filler.len());
        let source = format!(
            "require [\"variables\", \"encoded-character\"]; set \"v\" \"{text}\"; set \"w\" text:\n{text}\n.\n;"
        );
        let script = compile("p", &source, &limits).unwrap();
        assert_eq!(script.commands.len(), 2);
    }
    let open_comment = format!("keep; /*{}", "*".repeat(limits.max_script_size - 10));
    assert_eq!(
        compile("p", &open_comment, &limits).unwrap_err().errors[0].message,
        "unterminated bracket comment"
    );
}
