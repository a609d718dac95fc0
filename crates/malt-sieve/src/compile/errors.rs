//! Compile errors, shown as Pigeonhole's `sievec` shows them (`name: line 3: error: unknown
//! command 'fileinfo'.`), with the column added: `name: line 3, column 5: error: ...`.
//!
//! Invariant: [`CompileErrors`] holds at least one error and at most [`MAX_ERRORS`]; past that it
//! only records that more were found, so a hostile script cannot make the report huge.

use std::fmt;

use crate::ir::Position;

/// The most errors one compile reports.
pub const MAX_ERRORS: usize = 10;

/// One error: where (1-based; line 0 means the script as a whole) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    pub line: u32,
    pub column: u32,
    /// Lowercase, without a final period.
    pub message: String,
}

impl CompileError {
    pub(crate) fn new(pos: Position, message: String) -> CompileError {
        CompileError {
            line: pos.line,
            column: pos.column,
            message,
        }
    }
}

/// Why a script did not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileErrors {
    /// The script's name, as given to `compile`.
    pub script: String,
    /// In source order of discovery; never empty.
    pub errors: Vec<CompileError>,
    /// More errors were found than [`MAX_ERRORS`].
    pub truncated: bool,
}

impl fmt::Display for CompileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            if error.line == 0 {
                write!(f, "{}: error: {}.", self.script, error.message)?;
            } else {
                write!(
                    f,
                    "{}: line {}, column {}: error: {}.",
                    self.script, error.line, error.column, error.message
                )?;
            }
        }
        if self.truncated {
            write!(
                f,
                "\n{}: error: too many errors, only the first {MAX_ERRORS} are shown.",
                self.script
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for CompileErrors {}
