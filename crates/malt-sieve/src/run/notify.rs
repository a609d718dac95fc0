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
use crate::outcome::Notification;

/// A parsed `mailto:` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mailto {
    /// Every recipient, from the path and the `to`/`cc`/`bcc` fields.
    pub recipients: Vec<String>,
    /// The other header fields (`subject`, `body`, ...), names lowercased.
    pub fields: Vec<(String, String)>,
}

/// Parse and check a `mailto:` URI (RFC 6068 §2).
pub(crate) fn parse_mailto(uri: &str) -> Option<Mailto> {
    let (scheme, rest) = uri.split_once(':')?;
    if !scheme.eq_ignore_ascii_case("mailto") || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut mailto = Mailto {
        recipients: Vec::new(),
        fields: Vec::new(),
    };
    add_recipients(&mut mailto.recipients, &percent_decode(path)?)?;
    for field in query.split('&').filter(|f| !f.is_empty()) {
        let (name, value) = field.split_once('=')?;
        let name = percent_decode(name)?.to_ascii_lowercase();
        let value = percent_decode(value)?;
        if name.is_empty() {
            return None;
        }
        match name.as_str() {
            "to" | "cc" | "bcc" => add_recipients(&mut mailto.recipients, &value)?,
            _ => mailto.fields.push((name, value)),
        }
    }
    (!mailto.recipients.is_empty()).then_some(mailto)
}

/// Add the comma-separated addresses of `list`; `None` when one is not an address.
fn add_recipients(recipients: &mut Vec<String>, list: &str) -> Option<()> {
    for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        recipients.push(address::parse_single(item)?.all());
    }
    Some(())
}

/// `%XX` decoding (RFC 3986 §2.1); `None` on a bad escape or a result that is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailto_uris() {
        let m =
            parse_mailto("mailto:alice@example.org,bob%40example.org?subject=Hi%20there&cc=c@d.e").unwrap();
        assert_eq!(m.recipients, ["alice@example.org", "bob@example.org", "c@d.e"]);
        assert_eq!(m.fields, [("subject".to_string(), "Hi there".to_string())]);
        assert_eq!(parse_mailto("MAILTO:?to=a@b.c").unwrap().recipients, ["a@b.c"]);
        for bad in [
            "mailto:",
            "mailto:?subject=x",
            "mailto:not-an-address",
            "mailto:a@b.c?subject",
            "mailto:a@b.c?x=%zz",
            "mailto:a@b.c?x=%C3",
            "mailto:a b@c.d",
            "xmpp:a@b.c",
            "a@b.c",
        ] {
            assert_eq!(parse_mailto(bad), None, "{bad}");
        }
    }
}
