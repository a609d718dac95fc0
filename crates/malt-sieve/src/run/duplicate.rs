//! The `duplicate` test (RFC 7352): was this message (its Message-ID, a header or a given id)
//! seen before under this handle?
//!
//! Invariants: the test asks [`crate::input::Context::duplicate_seen`] and records a
//! [`DuplicateMark`] for the caller to store once the message is delivered (§3); a message seen
//! before is recorded again only with `:last` (its period then runs from now, §3.3); a missing
//! id field makes the test false (§3.1).

use super::{Frame, Interpreter};
use crate::ir::{DuplicateSource, Str};
use crate::outcome::DuplicateMark;

/// The period when the script gives none: a week.
const DEFAULT_PERIOD_SECONDS: u64 = 7 * 86_400;

impl Interpreter<'_> {
    pub(super) fn duplicate_test(
        &mut self,
        frame: &mut Frame<'_>,
        handle: Option<&Str>,
        source: &DuplicateSource,
        seconds: Option<u64>,
        last: bool,
    ) -> Result<bool, String> {
        let handle = handle.map(|h| self.expand(frame, h)).unwrap_or_default();
        let id = match source {
            DuplicateSource::MessageId => self.message.message_id().map(str::to_string),
            DuplicateSource::Header(name) => {
                let name = self.expand(frame, name);
                self.message
                    .first_value(&name)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            }
            DuplicateSource::UniqueId(value) => Some(self.expand(frame, value)),
        };
        let Some(id) = id else {
            return Ok(false);
        };
        let recorded = self.duplicates.iter().any(|m| m.handle == handle && m.id == id);
        let seen = recorded || self.ctx.duplicate_seen(&handle, &id);
        if (!seen || last) && !recorded {
            self.duplicates.push(DuplicateMark {
                handle,
                id,
                seconds: seconds
                    .unwrap_or(DEFAULT_PERIOD_SECONDS)
                    .min(self.limits.max_vacation_seconds),
            });
        }
        Ok(seen)
    }
}
