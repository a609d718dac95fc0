//! The `set` command and the `string` test (RFC 5229 §4-§5).

use super::{Frame, Interpreter};
use crate::ir::{MatchSpec, Modifier, Str, StringList};
use crate::variables::apply_modifiers;

impl Interpreter<'_> {
    /// `set [modifiers] name value` (RFC 5229 §4).
    pub(super) fn set(
        &mut self,
        frame: &mut Frame<'_>,
        name: &str,
        value: &Str,
        modifiers: &[Modifier],
    ) -> Result<(), String> {
        let value = apply_modifiers(self.expand(frame, value), modifiers);
        frame.vars.set(&mut self.globals, name, value, self.limits)
    }

    /// `string` (RFC 5229 §5): for `:count`, an empty string counts as no value.
    pub(super) fn string_test(
        &mut self,
        frame: &mut Frame<'_>,
        spec: &MatchSpec,
        sources: &StringList,
        keys: &StringList,
    ) -> Result<bool, String> {
        let values = self.expand_list(frame, sources);
        let count = values.iter().filter(|v| !v.is_empty()).count();
        self.match_values(frame, spec, &values, count, keys)
    }
}
