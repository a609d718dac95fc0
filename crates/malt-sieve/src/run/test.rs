//! Test evaluation: one place that maps each [`Test`] to the code that decides it.

use super::{Frame, Interpreter};
use crate::ir::{Extension, Test};

impl Interpreter<'_> {
    /// Evaluate a test; errors are messages the command reports with its position.
    pub(super) fn test(&mut self, frame: &mut Frame<'_>, test: &Test) -> Result<bool, String> {
        self.tick()?;
        match test {
            Test::True => Ok(true),
            Test::False => Ok(false),
            Test::Not(inner) => Ok(!self.test(frame, inner)?),
            // RFC 5228 §5.2-§5.3: evaluated left to right, stopping at the first decisive test.
            Test::AllOf(tests) => {
                for t in tests {
                    if !self.test(frame, t)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Test::AnyOf(tests) => {
                for t in tests {
                    if self.test(frame, t)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Test::Size { over, limit } => {
                let size = self.message.size() as u64;
                Ok(if *over { size > *limit } else { size < *limit })
            }
            Test::Header {
                spec,
                index,
                mime,
                names,
                keys,
            } => self.header_test(frame, spec, *index, mime.as_ref(), names, keys),
            Test::Address {
                spec,
                part,
                index,
                mime,
                headers,
                keys,
            } => self.address_test(frame, spec, *part, *index, mime.as_ref(), headers, keys),
            Test::Envelope {
                spec,
                part,
                parts,
                keys,
            } => self.envelope_test(frame, spec, *part, parts, keys),
            Test::Exists { mime, names } => self.exists_test(frame, mime.as_ref(), names),
            Test::Body {
                spec,
                transform,
                keys,
            } => self.body_test(frame, spec, transform, keys),
            Test::Date {
                spec,
                index,
                zone,
                header,
                part,
                keys,
            } => self.date_test(frame, spec, *index, zone, header, part, keys),
            Test::CurrentDate {
                spec,
                zone,
                part,
                keys,
            } => self.current_date_test(frame, spec, zone, part, keys),
            Test::String { spec, sources, keys } => self.string_test(frame, spec, sources, keys),
            Test::HasFlag {
                spec,
                variables,
                keys,
            } => self.has_flag(frame, spec, variables, keys),
            Test::Environment { spec, name, keys } => self.environment_test(frame, spec, name, keys),
            Test::Duplicate {
                handle,
                source,
                seconds,
                last,
            } => self.duplicate_test(frame, handle.as_ref(), source, *seconds, *last),
            Test::SpamTest { spec, percent, value } => self.spam_test(frame, spec, *percent, value),
            Test::VirusTest { spec, value } => self.virus_test(frame, spec, value),
            Test::MailboxExists { names } => Ok(self.mailbox_exists(frame, names)),
            Test::SpecialUseExists { mailbox, uses } => {
                Ok(self.special_use_exists(frame, mailbox.as_ref(), uses))
            }
            Test::ValidNotifyMethod { uris } => Ok(self.valid_notify_method(frame, uris)),
            Test::NotifyMethodCapability {
                spec,
                uri,
                capability,
                keys,
            } => self.notify_method_capability(frame, spec, uri, capability, keys),
            // RFC 5463 §4: true when every capability is one this engine supports.
            Test::Ihave { capabilities } => Ok(capabilities
                .iter()
                .all(|c| Extension::from_capability(c).is_some())),
        }
    }
}
