//! From the parse tree to the checked, typed [`ir::Script`]: every command and test is known
//! and its extension required (RFC 5228 §3.2), its arguments are of the right kind and number
//! and do not conflict, and constant arguments whose form an RFC fixes are well formed. Errors
//! name the line and column, as Pigeonhole's `sievec` does.
//!
//! Layout: this file holds the entry points, the compiler's state and the table of known
//! commands and tests; `control` the structure (`require`, blocks, `if` chains, `ihave`,
//! `include`, `foreverypart`); `actions` the action commands; `conditions` the tests;
//! `args` the matching of arguments; `strings` the string forms (`encoded-character`,
//! `${...}`); `syntax` the checks of addresses, header names, zones; `regex_keys` the
//! bounded check of `:regex` keys.
//!
//! Invariants: a compile error never stops the walk (up to [`MAX_ERRORS`] are reported), but a
//! script with any error yields no [`ir::Script`]; every builder that returns `None` has
//! reported why; extensions are enabled by `require` (plus those a guarding `ihave` names
//! inside its block, RFC 5463 §4), and `vacation-seconds` / `spamtestplus` imply `vacation` /
//! `spamtest` (RFC 6131 §2, RFC 5235 §3.2).
//!
//! [`ir::Script`]: crate::ir::Script

mod actions;
mod args;
mod conditions;
mod control;
mod errors;
mod regex_keys;
mod strings;
pub(crate) mod syntax;

use std::collections::BTreeSet;

pub use errors::{CompileError, CompileErrors, MAX_ERRORS};

use crate::ir::{Extension, Position, Script};
use crate::limits::Limits;
use crate::parse::{self, CommandNode, TestNode};

/// Parses and checks a script, and builds its compiled form. `name` only labels errors and the
/// script.
pub fn compile(name: &str, source: &str, limits: &Limits) -> Result<Script, CompileErrors> {
    let tree = parse::parse(source, limits).map_err(|err| CompileErrors {
        script: name.to_owned(),
        errors: vec![CompileError::new(err.pos, err.message)],
        truncated: false,
    })?;
    let mut compiler = Compiler::default();
    let commands = compiler.script(&tree);
    if compiler.errors.is_empty() {
        Ok(Script {
            commands,
            extensions: compiler.required,
            name: name.to_owned(),
        })
    } else {
        Err(CompileErrors {
            script: name.to_owned(),
            errors: compiler.errors,
            truncated: compiler.truncated,
        })
    }
}

/// The ManageSieve `SIEVE` capability (RFC 5804 §1.7): every supported extension,
/// space-separated.
pub fn capabilities() -> String {
    Extension::ALL
        .iter()
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The state of one compile.
#[derive(Debug, Default)]
struct Compiler {
    /// What the script `require`s, in order, without repeats.
    required: Vec<Extension>,
    /// What may be used at the current point: `required`, what it implies, and what guarding
    /// `ihave` tests add.
    enabled: BTreeSet<Extension>,
    errors: Vec<CompileError>,
    truncated: bool,
    /// Unknown command and test names already reported (each is reported once).
    reported_unknown: BTreeSet<String>,
    /// The names of the enclosing `foreverypart` loops, innermost last (RFC 5703 §3).
    loops: Vec<Option<String>>,
    /// The estimated cost of the constant `:regex` keys checked so far (see `regex_keys`).
    regex_cost: u64,
}

/// A command or test name and the extension it belongs to.
struct Known {
    name: &'static str,
    needs: Option<Extension>,
}

const fn known(name: &'static str, needs: Option<Extension>) -> Known {
    Known { name, needs }
}

/// Every command (RFC 5228 §3, §4 and the extensions) but `require`, `if`, `elsif` and `else`,
/// which `control` handles as the structure of a block.
const COMMANDS: &[Known] = &[
    known("stop", None),
    known("keep", None),
    known("discard", None),
    known("redirect", None),
    known("fileinto", Some(Extension::FileInto)),
    known("reject", Some(Extension::Reject)),
    known("ereject", Some(Extension::EReject)),
    known("vacation", Some(Extension::Vacation)),
    known("notify", Some(Extension::ENotify)),
    known("setflag", Some(Extension::Imap4Flags)),
    known("addflag", Some(Extension::Imap4Flags)),
    known("removeflag", Some(Extension::Imap4Flags)),
    known("set", Some(Extension::Variables)),
    known("include", Some(Extension::Include)),
    known("return", Some(Extension::Include)),
    known("global", Some(Extension::Include)),
    known("addheader", Some(Extension::EditHeader)),
    known("deleteheader", Some(Extension::EditHeader)),
    known("foreverypart", Some(Extension::ForEveryPart)),
    known("break", Some(Extension::ForEveryPart)),
    known("extracttext", Some(Extension::ExtractText)),
    known("error", Some(Extension::Ihave)),
];

/// Every test (RFC 5228 §5 and the extensions).
const TESTS: &[Known] = &[
    known("address", None),
    known("allof", None),
    known("anyof", None),
    known("exists", None),
    known("false", None),
    known("header", None),
    known("not", None),
    known("size", None),
    known("true", None),
    known("envelope", Some(Extension::Envelope)),
    known("body", Some(Extension::Body)),
    known("date", Some(Extension::Date)),
    known("currentdate", Some(Extension::Date)),
    known("string", Some(Extension::Variables)),
    known("hasflag", Some(Extension::Imap4Flags)),
    known("environment", Some(Extension::Environment)),
    known("duplicate", Some(Extension::Duplicate)),
    known("spamtest", Some(Extension::SpamTest)),
    known("virustest", Some(Extension::VirusTest)),
    known("mailboxexists", Some(Extension::Mailbox)),
    known("specialuse_exists", Some(Extension::SpecialUse)),
    known("valid_notify_method", Some(Extension::ENotify)),
    known("notify_method_capability", Some(Extension::ENotify)),
    known("ihave", Some(Extension::Ihave)),
];

impl Compiler {
    /// Records an error (the first [`MAX_ERRORS`]; later ones only set `truncated`).
    fn error(&mut self, pos: Position, message: impl Into<String>) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(CompileError::new(pos, message.into()));
        } else {
            self.truncated = true;
        }
    }

    fn enabled(&self, extension: Extension) -> bool {
        self.enabled.contains(&extension)
    }

    /// Makes an extension usable, with what it implies.
    fn enable(&mut self, extension: Extension) {
        self.enabled.insert(extension);
        match extension {
            Extension::VacationSeconds => {
                self.enabled.insert(Extension::Vacation);
            }
            Extension::SpamTestPlus => {
                self.enabled.insert(Extension::SpamTest);
            }
            _ => {}
        }
    }

    /// Checks that `name` is a known command or test whose extension is enabled; an unknown
    /// name is reported once.
    fn check_known(&mut self, kind: &str, name: &str, pos: Position, table: &[Known]) -> bool {
        match table.iter().find(|k| k.name == name) {
            Some(Known { needs: None, .. }) => true,
            Some(Known {
                needs: Some(extension),
                ..
            }) => {
                if self.enabled(*extension) {
                    return true;
                }
                self.error(
                    pos,
                    format!(
                        "the {name} {kind} requires the \"{}\" extension (add it to require)",
                        extension.capability()
                    ),
                );
                false
            }
            None => {
                if self.reported_unknown.insert(format!("{kind} {name}")) {
                    self.error(pos, format!("unknown {kind} '{name}'"));
                }
                false
            }
        }
    }

    /// The arguments of a command, checked against `specs`.
    fn command_args<'t>(
        &mut self,
        node: &'t CommandNode,
        specs: &[&[args::TagSpec]],
    ) -> Option<args::Args<'t>> {
        self.split_args(format!("the {} command", node.name), node.pos, &node.args, specs)
    }

    /// The arguments of a test, checked against `specs`.
    fn test_args<'t>(&mut self, node: &'t TestNode, specs: &[&[args::TagSpec]]) -> Option<args::Args<'t>> {
        self.split_args(format!("the {} test", node.name), node.pos, &node.args, specs)
    }
}
