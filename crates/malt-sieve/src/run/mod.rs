//! The interpreter: runs a compiled [`Script`] on one message and answers the actions to take.
//!
//! One file per group of commands and tests: `actions` (keep, discard, fileinto, redirect,
//! reject and the rules that combine them), `flags` (imap4flags), `set` (variables),
//! `vacation`, `notify` (enotify with mailto), `include`, `editheader`, `mime` (foreverypart,
//! break, extracttext), `headers` (header, address, envelope, exists and their `:mime` forms),
//! `body`, `date`, `environment` (environment, spamtest, virustest), `mailbox`
//! (mailboxexists, specialuse_exists), `duplicate`; `test` dispatches the tests.
//!
//! Invariants:
//! - every command and test executed counts against [`Limits::max_instructions`] (loop bodies
//!   and included scripts too); every action against its limit; a limit reached is a
//!   [`RuntimeError`] naming the script, line and column of the command;
//! - a run-time error never yields a partial [`Outcome`]: the caller keeps the message
//!   (RFC 5228 §2.10.6);
//! - the implicit keep (RFC 5228 §2.10.2) is resolved here: it is cancelled by `discard`,
//!   `reject` and any `fileinto`/`redirect` without `:copy` (RFC 3894).

mod actions;
mod body;
mod date;
mod duplicate;
mod editheader;
mod environment;
mod flags;
mod headers;
mod include;
mod mailbox;
mod mime;
mod notify;
mod set;
mod test;
mod vacation;

use crate::input::{Context, RunInput};
use crate::ir::{Command, CommandKind, Extension, Position, Script, Str, StringList};
use crate::limits::Limits;
use crate::matching::{self, Matched};
use crate::message::MessageView;
use crate::outcome::{DuplicateMark, Outcome, RuntimeError};
use crate::variables::{Scope, ScriptVariables};

use actions::ActionList;

/// Run `script` on the message of `input` (RFC 5228 §2.10).
pub fn run(
    script: &Script,
    input: &RunInput<'_>,
    ctx: &dyn Context,
    limits: &Limits,
) -> Result<Outcome, RuntimeError> {
    let mut interpreter = Interpreter::new(input, ctx, limits);
    let mut frame = Frame::new(script);
    // `stop`, `return` or the end of the script all end the run the same way.
    interpreter.exec_block(&mut frame, &script.commands)?;
    Ok(interpreter.finish())
}

/// How a block ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Flow {
    Next,
    /// `stop` (RFC 5228 §3.3): ends every script of the run.
    Stop,
    /// `return` (RFC 6609 §3.3): ends the current script.
    Return,
    /// `break` (RFC 5703 §3.2), of the named loop or the innermost.
    Break(Option<String>),
}

/// One script being run: its variables are its own (RFC 6609 §3.4).
struct Frame<'s> {
    script: &'s Script,
    vars: ScriptVariables,
    /// Whether match variables are kept (the script requires `variables`).
    captures: bool,
}

impl<'s> Frame<'s> {
    fn new(script: &'s Script) -> Frame<'s> {
        Frame {
            script,
            vars: ScriptVariables::default(),
            captures: script.extensions.contains(&Extension::Variables),
        }
    }
}

/// The state of one run.
struct Interpreter<'r> {
    input: RunInput<'r>,
    ctx: &'r dyn Context,
    limits: &'r Limits,
    message: MessageView<'r>,
    actions: ActionList,
    /// The imap4flags internal variable (RFC 5232 §3).
    flags: Vec<String>,
    globals: Scope,
    instructions: u64,
    /// Scripts being included, outermost first (RFC 6609 §3.2 forbids loops).
    include_chain: Vec<include::ScriptKey>,
    /// Every script included so far (`:once`, [`Limits::max_includes`]).
    included: Vec<include::ScriptKey>,
    duplicates: Vec<DuplicateMark>,
    header_edits: usize,
    /// The part each `foreverypart` in progress is at, outermost first.
    loops: Vec<usize>,
    /// `Context::now`, read once so that every date test of a run sees the same moment.
    now: Option<(i64, i32)>,
}

impl<'r> Interpreter<'r> {
    fn new(input: &RunInput<'r>, ctx: &'r dyn Context, limits: &'r Limits) -> Interpreter<'r> {
        Interpreter {
            input: *input,
            ctx,
            limits,
            message: MessageView::parse(input.message, limits),
            actions: ActionList::default(),
            flags: Vec::new(),
            globals: Scope::default(),
            instructions: 0,
            include_chain: Vec::new(),
            included: Vec::new(),
            duplicates: Vec::new(),
            header_edits: 0,
            loops: Vec::new(),
            now: None,
        }
    }

    /// The outcome once the script ended without error.
    fn finish(self) -> Outcome {
        Outcome {
            edited_header: self.message.edited_header(),
            actions: self.actions.finish(self.flags),
            duplicates: self.duplicates,
        }
    }

    fn exec_block(&mut self, frame: &mut Frame<'_>, commands: &[Command]) -> Result<Flow, RuntimeError> {
        for command in commands {
            let flow = self.exec(frame, command)?;
            if flow != Flow::Next {
                return Ok(flow);
            }
        }
        Ok(Flow::Next)
    }

    fn exec(&mut self, frame: &mut Frame<'_>, command: &Command) -> Result<Flow, RuntimeError> {
        let script = frame.script;
        let at = |message: String| located(script, command.pos, message);
        self.tick().map_err(at)?;
        match &command.kind {
            CommandKind::If { branches, otherwise } => {
                for (condition, block) in branches {
                    let holds = self.test(frame, condition).map_err(at)?;
                    if holds {
                        return self.exec_block(frame, block);
                    }
                }
                match otherwise {
                    Some(block) => self.exec_block(frame, block),
                    None => Ok(Flow::Next),
                }
            }
            CommandKind::Stop => Ok(Flow::Stop),
            CommandKind::Return => Ok(Flow::Return),
            CommandKind::Break { name } => Ok(Flow::Break(name.clone())),
            CommandKind::Include {
                location,
                once,
                optional,
                name,
            } => self.include(frame, command.pos, *location, *once, *optional, name),
            CommandKind::ForEveryPart { name, body } => {
                self.for_every_part(frame, command.pos, name.as_deref(), body)
            }
            CommandKind::Global { names } => {
                for name in names {
                    frame.vars.declare_global(name);
                }
                Ok(Flow::Next)
            }
            simple => {
                self.exec_simple(frame, simple).map_err(at)?;
                Ok(Flow::Next)
            }
        }
    }

    /// Commands that neither hold blocks nor change the flow.
    fn exec_simple(&mut self, frame: &mut Frame<'_>, kind: &CommandKind) -> Result<(), String> {
        match kind {
            CommandKind::Keep { flags } => self.keep(frame, flags.as_ref()),
            CommandKind::Discard => {
                self.actions.discard();
                Ok(())
            }
            CommandKind::FileInto {
                mailbox,
                flags,
                copy,
                create,
                special_use,
            } => self.file_into(
                frame,
                mailbox,
                flags.as_ref(),
                *copy,
                *create,
                special_use.as_ref(),
            ),
            CommandKind::Redirect { address, copy } => self.redirect(frame, address, *copy),
            CommandKind::Reject { reason, extended } => self.reject(frame, reason, *extended),
            CommandKind::Vacation(vacation) => self.vacation(frame, vacation),
            CommandKind::Notify(notify) => self.notify(frame, notify),
            CommandKind::Flags { op, variable, flags } => {
                self.edit_flags(frame, *op, variable.as_deref(), flags)
            }
            CommandKind::Set {
                name,
                value,
                modifiers,
            } => self.set(frame, name, value, modifiers),
            CommandKind::AddHeader { last, name, value } => self.add_header(frame, *last, name, value),
            CommandKind::DeleteHeader {
                index,
                spec,
                name,
                values,
            } => self.delete_header(frame, *index, spec, name, values.as_ref()),
            CommandKind::ExtractText {
                first,
                modifiers,
                variable,
            } => self.extract_text(frame, *first, modifiers, variable),
            CommandKind::Error { message } => Err(self.expand(frame, message)),
            // Handled by `exec`, which never passes them here.
            CommandKind::If { .. }
            | CommandKind::Stop
            | CommandKind::Return
            | CommandKind::Break { .. }
            | CommandKind::Include { .. }
            | CommandKind::ForEveryPart { .. }
            | CommandKind::Global { .. } => Ok(()),
        }
    }

    /// Count one instruction.
    fn tick(&mut self) -> Result<(), String> {
        self.instructions += 1;
        if self.instructions > self.limits.max_instructions {
            return Err(format!(
                "execution exceeded the limit of {} instructions",
                self.limits.max_instructions
            ));
        }
        Ok(())
    }

    /// A string argument with its variables substituted.
    fn expand(&self, frame: &Frame<'_>, text: &Str) -> String {
        frame.vars.expand(&self.globals, text, self.limits)
    }

    fn expand_list(&self, frame: &Frame<'_>, list: &StringList) -> Vec<String> {
        list.iter().map(|s| self.expand(frame, s)).collect()
    }

    /// Match `values` against `keys` (expanded); a successful `:matches`/`:regex` sets the match
    /// variables (RFC 5229 §3.2).
    fn match_values(
        &mut self,
        frame: &mut Frame<'_>,
        spec: &crate::ir::MatchSpec,
        values: &[String],
        count: usize,
        keys: &StringList,
    ) -> Result<bool, String> {
        let keys = self.expand_list(frame, keys);
        let matched =
            matching::matches(spec, values, count, &keys, frame.captures).map_err(|e| e.to_string())?;
        if let Matched::Yes(Some(captures)) = &matched {
            frame.vars.set_matches(captures.clone());
        }
        Ok(matched.is_match())
    }

    /// The moment the run started, and the server's UTC offset.
    fn now(&mut self) -> (i64, i32) {
        *self.now.get_or_insert_with(|| self.ctx.now())
    }

    /// The MIME part the current `foreverypart` is at (0: the message).
    fn current_part(&self) -> usize {
        self.loops.last().copied().unwrap_or(0)
    }
}

/// A run-time error at a command of a script.
fn located(script: &Script, pos: Position, message: String) -> RuntimeError {
    RuntimeError {
        script: script.name.clone(),
        line: pos.line,
        column: pos.column,
        message,
    }
}
