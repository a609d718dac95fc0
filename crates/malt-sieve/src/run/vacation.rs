//! `vacation` (RFC 5230, `:seconds` RFC 6131): decides whether this message may be answered and
//! builds the response; the caller checks and records the (handle, sender) memory.
//!
//! No response (the action is taken but sends nothing), per RFC 5230 §4.5 and §5 and RFC 3834:
//! the null sender; a sender that is one of the user's own addresses; a system sender
//! (`MAILER-DAEMON`, `LISTSERV`, `majordomo`, `owner-*`, `*-request`); `Auto-Submitted` other
//! than `no`; mailing-list fields (`List-Id`, `List-*` of RFC 2369) or `Precedence:
//! bulk|list|junk`; and a message whose `To`/`Cc`/`Bcc`/`Resent-To`/`Resent-Cc`/`Resent-Bcc`
//! names none of the user's addresses (envelope recipient, account addresses, `:addresses`).
//!
//! Defaults: period seven days, clamped to [`crate::limits::Limits`]; subject "Auto: " and the
//! original subject; handle derived from reason, subject, from and `:mime` as Pigeonhole does
//! (RFC 5230 §4.2).

use super::{Frame, Interpreter};
use crate::address::{self, ParsedAddress};
use crate::ir::{AddressPart, Vacation};
use crate::message::unfold;
use crate::outcome::VacationResponse;

/// RFC 5230 §4.1: seven days when the script says nothing.
const DEFAULT_PERIOD_SECONDS: u64 = 7 * 86_400;
/// Fields whose presence marks list traffic (RFC 2369 §3, RFC 2919).
const LIST_FIELDS: [&str; 7] = [
    "list-id",
    "list-help",
    "list-subscribe",
    "list-unsubscribe",
    "list-post",
    "list-owner",
    "list-archive",
];
/// Fields the user's address must appear in (RFC 5230 §4.5).
const RECIPIENT_FIELDS: [&str; 6] = ["to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc"];

impl Interpreter<'_> {
    pub(super) fn vacation(&mut self, frame: &Frame<'_>, vacation: &Vacation) -> Result<(), String> {
        let reason = self.expand(frame, &vacation.reason);
        let subject = vacation.subject.as_ref().map(|s| self.expand(frame, s));
        let from = vacation.from.as_ref().map(|s| self.expand(frame, s));
        let handle = vacation.handle.as_ref().map(|s| self.expand(frame, s));
        let extra_addresses = self.expand_list(frame, &vacation.addresses);
        if let Some(from) = &from
            && address::parse_single(from).is_none()
        {
            return Err(format!("vacation :from {from:?} is not a valid address"));
        }
        let response = self.may_answer(&extra_addresses).then(|| VacationResponse {
            to: self.input.envelope.from.clone(),
            from: from.clone().unwrap_or_else(|| self.input.envelope.to.clone()),
            subject: subject.clone().unwrap_or_else(|| self.default_subject()),
            handle: handle.unwrap_or_else(|| {
                derived_handle(&reason, subject.as_deref(), from.as_deref(), vacation.mime)
            }),
            body: reason,
            mime: vacation.mime,
            period_seconds: vacation
                .period_seconds
                .unwrap_or(DEFAULT_PERIOD_SECONDS)
                .clamp(self.limits.min_vacation_seconds, self.limits.max_vacation_seconds),
            in_reply_to: self.message.message_id().map(str::to_string),
        });
        self.actions.vacation(response, self.limits)
    }

    /// The message-side rules of RFC 5230 §4.5 and §5.
    fn may_answer(&self, extra_addresses: &[String]) -> bool {
        let sender = self.input.envelope.from.as_str();
        if sender.is_empty() {
            return false;
        }
        let own: Vec<&str> = std::iter::once(self.input.envelope.to.as_str())
            .chain(self.input.envelope.user_addresses.iter().map(String::as_str))
            .chain(extra_addresses.iter().map(String::as_str))
            .filter(|a| !a.is_empty())
            .collect();
        let is_own = |address: &str| own.iter().any(|o| o.eq_ignore_ascii_case(address));
        if is_own(sender) || is_system_sender(sender) {
            return false;
        }
        let auto_submitted = self
            .message
            .header_values("auto-submitted")
            .any(|v| !v.trim().eq_ignore_ascii_case("no"));
        let list = LIST_FIELDS.iter().any(|f| self.message.first_value(f).is_some());
        let bulk = self.message.header_values("precedence").any(|v| {
            ["bulk", "list", "junk"]
                .iter()
                .any(|p| v.trim().eq_ignore_ascii_case(p))
        });
        if auto_submitted || list || bulk {
            return false;
        }
        self.message
            .headers()
            .iter()
            .filter(|h| RECIPIENT_FIELDS.iter().any(|f| h.is(f)))
            .flat_map(|h| address::parse_list(&unfold(&h.raw_value)))
            .filter_map(|a| match a {
                ParsedAddress::Mailbox(m) => Some(m.all()),
                ParsedAddress::Invalid(_) => None,
            })
            .any(|a| is_own(&a))
    }

    /// "Auto: " and the original subject (RFC 5230 §4.3).
    fn default_subject(&self) -> String {
        match self.message.first_value("subject") {
            Some(subject) if !subject.is_empty() => format!("Auto: {subject}"),
            _ => "Automated reply".to_string(),
        }
    }
}

/// A sender that never gets automatic replies (RFC 3834 §2 practice).
fn is_system_sender(sender: &str) -> bool {
    let Some(local) = address::parse_envelope(sender).part(AddressPart::LocalPart) else {
        return false;
    };
    let local = local.to_ascii_lowercase();
    ["mailer-daemon", "listserv", "majordomo"].contains(&local.as_str())
        || local.starts_with("owner-")
        || local.ends_with("-request")
}

/// The handle when `:handle` is absent (RFC 5230 §4.2: derived from the arguments).
fn derived_handle(reason: &str, subject: Option<&str>, from: Option<&str>, mime: bool) -> String {
    format!(
        "{reason}{}{}{}",
        subject.unwrap_or("<default-subject>"),
        from.unwrap_or("<default-from>"),
        if mime { "<MIME>" } else { "<NO-MIME>" }
    )
}
