//! A Sieve engine (RFC 5228) with no I/O: it parses and checks a script once into a
//! [`ir::Script`], then runs it against a message as often as needed, answering with an
//! [`outcome::Outcome`] — the actions the caller (Malt's delivery pipeline, or anyone reusing the
//! crate) applies. Everything the engine must ask of the world (does a mailbox exist, was this
//! message id seen before, include another script, the current time) goes through the
//! [`input::Context`] trait, so the engine itself never touches a disk or a socket.
//!
//! Layout (one module per stage, named after what it does):
//! - [`ir`]: the compiled form of a script — typed commands and tests, the contract between the
//!   compiler and the interpreter;
//! - `parse` (lexer and generic grammar of RFC 5228 §8) and `compile` (checks each command's
//!   arguments and `require`s, builds the [`ir`]) — errors name line and column, as Pigeonhole's
//!   `sievec` does;
//! - `run` (the interpreter) over a parsed message view, with comparators and match types;
//! - [`outcome`]: the actions a run produced;
//! - [`input`]: what a run is given — envelope, message, [`input::Context`];
//! - [`mailto`]: `mailto:` URIs, the `enotify` method (for the interpreter and for the caller
//!   that sends notifications);
//! - [`limits::Limits`]: every bound on script size, nesting, instructions, actions;
//! - [`rules`]: script generation from a simple rule list (for the web UI).
//!
//! Invariants: no function of this crate panics on any input; every loop and recursion is bounded
//! by [`limits::Limits`]; the interpreter never fails open (a run-time error is an `Err`, and the
//! caller keeps the message, RFC 5228 §2.10.6).

pub mod address;
pub mod compile;
pub mod datetime;
pub mod input;
pub mod ir;
pub mod limits;
pub mod mailto;
pub mod matching;
pub mod message;
pub mod outcome;
mod parse;
pub mod rules;
mod run;
pub mod variables;

pub use compile::{CompileError, CompileErrors, capabilities, compile};
pub use run::run;
