//! `include` and `global` across scripts (RFC 6609 §3.2-§3.4): the included script runs with
//! its own variables; `return` ends it; `stop` ends the whole run.
//!
//! Invariants: the chain of includes is at most [`Limits::max_include_depth`] deep and never
//! includes a script already being run (a loop is an error, §3.2); at most
//! [`Limits::max_includes`] distinct scripts are included; `:once` skips a script already
//! included in this run; a missing script is an error unless `:optional`.

use super::{Flow, Frame, Interpreter, located};
use crate::ir::{Position, ScriptLocation, Str};
use crate::outcome::RuntimeError;

/// A script as `include` names it.
pub(super) type ScriptKey = (ScriptLocation, String);

impl Interpreter<'_> {
    pub(super) fn include(
        &mut self,
        frame: &Frame<'_>,
        pos: Position,
        location: ScriptLocation,
        once: bool,
        optional: bool,
        name: &Str,
    ) -> Result<Flow, RuntimeError> {
        let at = |message: String| located(frame.script, pos, message);
        let name = self.expand(frame, name);
        if name.is_empty() || name.contains('/') {
            return Err(at(format!("invalid script name {name:?}")));
        }
        let key: ScriptKey = (location, name);
        let seen = self.included.contains(&key);
        if once && seen {
            return Ok(Flow::Next);
        }
        if self.include_chain.contains(&key) {
            return Err(at(format!("script {:?} includes itself", key.1)));
        }
        if self.include_chain.len() >= self.limits.max_include_depth {
            return Err(at(format!(
                "include nesting exceeds the limit of {}",
                self.limits.max_include_depth
            )));
        }
        if !seen && self.included.len() >= self.limits.max_includes {
            return Err(at(format!(
                "more than {} scripts included",
                self.limits.max_includes
            )));
        }
        let Some(script) = self.ctx.include(location, &key.1) else {
            if optional {
                return Ok(Flow::Next);
            }
            return Err(at(format!("included script {:?} does not exist", key.1)));
        };
        if !seen {
            self.included.push(key.clone());
        }
        self.include_chain.push(key);
        let mut child = Frame::new(&script);
        let flow = self.exec_block(&mut child, &script.commands);
        self.include_chain.pop();
        match flow? {
            Flow::Stop => Ok(Flow::Stop),
            Flow::Next | Flow::Return | Flow::Break(_) => Ok(Flow::Next),
        }
    }
}
