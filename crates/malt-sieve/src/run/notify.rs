//! `notify`, `valid_notify_method` and `notify_method_capability` (RFC 5435) with the one method
//! Malt supports, `mailto:` (RFC 5436, URIs per RFC 6068).
//!
//! Invariants: a `notify` whose method is not a valid `mailto:` URI, whose `:from` is not an
//! address or whose `:importance` is not 1-3 is a run-time error (RFC 5435 §3.1-§3.3); a valid
//! `mailto:` names at least one recipient; the `online` capability of `mailto:` is `maybe`
//! (mail carries no presence information, RFC 5436); the default message is
//! "<From>: <Subject>" (RFC 5435 §3.5 leaves it to the method).

use super::{Frame, Interpreter};
use crate::address;
use crate::ir::{MatchSpec, Notify, Str, StringList};
use crate::mailto::parse_mailto;
use crate::outcome::Notification;

impl Interpreter<'_> {
    pub(super) fn notify(&mut self, frame: &Frame<'_>, notify: &Notify) -> Result<(), String> {
        let method = self.expand(frame, &notify.method);
        if parse_mailto(&method).is_none() {
            return Err(format!(
                "notify method {method:?} is not a valid mailto: URI (the only method supported)"
            ));
        }
        let from = notify.from.as_ref().map(|f| self.expand(frame, f));
        if let Some(from) = &from
            && address::parse_single(from).is_none()
        {
            return Err(format!("notify :from {from:?} is not a valid address"));
        }
        let importance = match notify.importance.as_ref().map(|i| self.expand(frame, i)) {
            None => 2,
            Some(text) => match text.trim() {
                "1" => 1,
                "2" => 2,
                "3" => 3,
                _ => return Err(format!("notify :importance {text:?} is not 1, 2 or 3")),
            },
        };
        let options = self.expand_list(frame, &notify.options);
        let message = match &notify.message {
            Some(message) => self.expand(frame, message),
            None => format!(
                "{}: {}",
                self.message.first_value("from").unwrap_or_default(),
                self.message.first_value("subject").unwrap_or_default()
            ),
        };
        self.actions.notify(
            Notification {
                method,
                from,
                importance,
                options,
                message,
            },
            self.limits,
        )
    }

    /// `valid_notify_method` (RFC 5435): true when every URI is a method this engine can notify
    /// with.
    pub(super) fn valid_notify_method(&self, frame: &Frame<'_>, uris: &StringList) -> bool {
        self.expand_list(frame, uris)
            .iter()
            .all(|uri| parse_mailto(uri).is_some())
    }

    /// `notify_method_capability` (RFC 5435): for `mailto:` only `online` is known, and it is
    /// `maybe`.
    pub(super) fn notify_method_capability(
        &mut self,
        frame: &mut Frame<'_>,
        spec: &MatchSpec,
        uri: &Str,
        capability: &Str,
        keys: &StringList,
    ) -> Result<bool, String> {
        let uri = self.expand(frame, uri);
        let capability = self.expand(frame, capability);
        if parse_mailto(&uri).is_none() || !capability.eq_ignore_ascii_case("online") {
            return Ok(false);
        }
        let values = ["maybe".to_string()];
        self.match_values(frame, spec, &values, 1, keys)
    }
}
