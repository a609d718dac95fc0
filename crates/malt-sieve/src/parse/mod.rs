//! The generic grammar of RFC 5228 §8: a script is a list of commands, each an identifier with
//! arguments (tags, numbers, strings, string lists), optional tests and an optional block. This
//! stage knows no command by name; `compile` gives the tree its meaning.
//!
//! Invariants: every node carries the 1-based line and column of its first character; string
//! values are already unescaped (quoted strings, RFC 5228 §2.4.2) or un-dot-stuffed (`text:`
//! strings, §8.1), but `encoded-character` and `${...}` are left in (they depend on `require`);
//! identifiers and tag names are lowercased (case-insensitive, §8.1); the bounds of
//! [`Limits`] (script size, nesting depth, string length, list length) hold for every tree
//! [`parse`] returns, and a violation is an error naming where it happened, never a panic.

mod grammar;
mod lexer;

use crate::ir::Position;
use crate::limits::Limits;

/// A command (RFC 5228 §2.9): `name arguments (";" / block)`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CommandNode {
    /// Lowercased identifier.
    pub name: String,
    pub pos: Position,
    pub args: Vec<Argument>,
    pub tests: TestArgs,
    /// `{ ... }`, or `None` when the command ended with `;`.
    pub block: Option<Block>,
}

/// A `{ ... }` block with the position of its opening brace.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Block {
    pub pos: Position,
    pub commands: Vec<CommandNode>,
}

/// A test (RFC 5228 §5): `name arguments`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TestNode {
    /// Lowercased identifier.
    pub name: String,
    pub pos: Position,
    pub args: Vec<Argument>,
    pub tests: TestArgs,
}

/// The tests after a command's or test's arguments (RFC 5228 §8.2 `[ test / test-list ]`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TestArgs {
    None,
    /// A single test, written without parentheses.
    One(Box<TestNode>),
    /// `( test *("," test) )`, with the position of the opening parenthesis.
    List(Position, Vec<TestNode>),
}

/// One argument with its position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Argument {
    pub pos: Position,
    pub value: Value,
}

/// The kinds of argument of RFC 5228 §2.6.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// `:name`, lowercased, without the colon.
    Tag(String),
    /// A number with its quantifier applied (`1K` is 1024).
    Number(u64),
    /// A single string (quoted or `text:`).
    String(StringLit),
    /// `[ "a", "b" ]`: never empty.
    StringList(Vec<StringLit>),
}

/// A string as written, unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StringLit {
    pub pos: Position,
    pub text: String,
}

/// A syntax error: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub pos: Position,
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(pos: Position, message: impl Into<String>) -> ParseError {
        ParseError {
            pos,
            message: message.into(),
        }
    }
}

/// Parses a whole script into its top-level commands (RFC 5228 §8.2 `start = commands`).
pub(crate) fn parse(source: &str, limits: &Limits) -> Result<Vec<CommandNode>, ParseError> {
    if source.len() > limits.max_script_size {
        return Err(ParseError::new(
            Position { line: 0, column: 0 },
            format!(
                "script is too large ({} bytes, at most {} allowed)",
                source.len(),
                limits.max_script_size
            ),
        ));
    }
    grammar::Parser::new(source, limits).script()
}
