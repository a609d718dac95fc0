//! `foreverypart`, `break` and `extracttext` (RFC 5703 §3, §7).
//!
//! Invariants: the outermost loop visits the message itself and then every part, depth first
//! (as Pigeonhole does); a nested loop visits the parts below the current one; loops nest at
//! most [`crate::limits::Limits::max_mime_depth`] deep; each iteration counts as an
//! instruction; `break` ends the named loop (or the innermost), and any loop inside it.

use mail_parser::decoders::html::html_to_text;

use super::{Flow, Frame, Interpreter, located};
use crate::ir::{Command, Modifier, Position};
use crate::message::PartContent;
use crate::outcome::RuntimeError;
use crate::variables::apply_modifiers;

impl Interpreter<'_> {
    pub(super) fn for_every_part(
        &mut self,
        frame: &mut Frame<'_>,
        pos: Position,
        name: Option<&str>,
        body: &[Command],
    ) -> Result<Flow, RuntimeError> {
        let script = frame.script;
        if self.loops.len() >= self.limits.max_mime_depth {
            return Err(located(
                script,
                pos,
                format!("foreverypart nested deeper than {}", self.limits.max_mime_depth),
            ));
        }
        let parts = match self.loops.last() {
            None => self.message.subtree(0),
            Some(&outer) => self.message.subtree(outer).into_iter().skip(1).collect(),
        };
        for part in parts {
            self.tick().map_err(|m| located(script, pos, m))?;
            self.loops.push(part);
            let flow = self.exec_block(frame, body);
            self.loops.pop();
            match flow? {
                Flow::Next => {}
                Flow::Break(None) => break,
                Flow::Break(Some(target)) if Some(target.as_str()) == name => break,
                other => return Ok(other),
            }
        }
        Ok(Flow::Next)
    }

    /// `extracttext [modifiers] [:first n] varname` (RFC 5703 §7): the text of the current part
    /// (HTML turned into text); the empty string for a part that is not text.
    pub(super) fn extract_text(
        &mut self,
        frame: &mut Frame<'_>,
        first: Option<u64>,
        modifiers: &[Modifier],
        variable: &str,
    ) -> Result<(), String> {
        let Some(&current) = self.loops.last() else {
            return Err("extracttext used outside foreverypart".into());
        };
        let text = match self.message.part(current).map(|p| &p.content) {
            Some(PartContent::Text(text)) => text.clone(),
            Some(PartContent::Html(html)) => html_to_text(html),
            _ => String::new(),
        };
        let text = match first.and_then(|n| usize::try_from(n).ok()) {
            Some(n) => text.chars().take(n).collect(),
            None => text,
        };
        let value = apply_modifiers(text, modifiers);
        frame.vars.set(&mut self.globals, variable, value, self.limits)
    }
}
