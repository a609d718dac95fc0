//! A run's [`Outcome`] as the delivery pipeline's [`FilterDecision`]: keep and fileinto as copies
//! with their own flags (RFC 5232 §5), `:create` and `:specialuse`; redirects; reject and ereject
//! as a refusal (the pipeline says it at the protocol level when it can, RFC 5429 §2.1.1); the
//! vacation reply (RFC 5230 §5) and mail notifications (RFC 5436) as built messages; duplicate
//! marks as records (RFC 7352).
//!
//! Invariants: a flag that is neither a system flag nor a valid IMAP keyword is dropped (RFC 5232
//! §2: such flags are ignored), `\Recent` too (no client may set it); a notification is never
//! sent for a message that is itself automatic (`Auto-Submitted` other than `no`, RFC 5436 §2.7
//! and RFC 3834 §2); every built message goes out with the null reverse-path (the pipeline's
//! rule for [`Outgoing::Auto`]).

use malt_sieve::outcome::{Action, Notification, Outcome, VacationResponse};
use malt_store::{Flags, SpecialUse, flag};

use super::context::duplicate_key;
use crate::compose::{self, AutoReply, ReplyBody};
use crate::filter::{
    AutoKind, AutoMessage, DuplicateRecord, FilterDecision, FilterInput, OncePer, Outgoing, StoreInto,
};
use crate::header;

/// Most recipients one notification is sent to.
const MAX_NOTIFY_RECIPIENTS: usize = 8;

/// What the pipeline needs to write messages on the account's behalf.
pub(super) struct Writer<'a> {
    pub hostname: &'a str,
    pub input: &'a FilterInput<'a>,
    pub now: i64,
}

impl Writer<'_> {
    /// The decision for a successful run.
    pub(super) fn decision(&self, outcome: Outcome) -> FilterDecision {
        let mut d = FilterDecision {
            edited_header: outcome.edited_header,
            ..FilterDecision::default()
        };
        for action in outcome.actions {
            match action {
                Action::Keep { flags } => d.stores.push(StoreInto::inbox(imap_flags(&flags))),
                Action::FileInto {
                    mailbox,
                    flags,
                    create,
                    special_use,
                } => d.stores.push(StoreInto {
                    mailbox,
                    flags: imap_flags(&flags),
                    create,
                    special_use: special_use.as_deref().and_then(SpecialUse::parse),
                }),
                Action::Redirect { address } => d.outgoing.push(Outgoing::Redirect { address }),
                Action::Reject { reason, .. } => d.reject = Some(reason),
                Action::Vacation(v) => d.outgoing.push(Outgoing::Auto(self.vacation(&v))),
                Action::Notify(n) => d
                    .outgoing
                    .extend(self.notification(&n).into_iter().map(Outgoing::Auto)),
                Action::Discard => {}
            }
        }
        d.duplicates = outcome
            .duplicates
            .iter()
            .map(|m| DuplicateRecord {
                key: duplicate_key(&m.handle, &m.id),
                until: self
                    .now
                    .saturating_add(i64::try_from(m.seconds).unwrap_or(i64::MAX)),
            })
            .collect();
        d
    }

    /// The original message's `References`, for the reply's (RFC 3834 §3.1.5).
    fn references(&self) -> Option<String> {
        header::field_values(self.input.message, "References")
            .into_iter()
            .next()
    }

    /// The vacation reply (RFC 5230 §5), sent once per sender and handle within its period.
    fn vacation(&self, v: &VacationResponse) -> AutoMessage {
        let references = self.references();
        let body = if v.mime {
            ReplyBody::Mime(&v.body)
        } else {
            ReplyBody::Text(&v.body)
        };
        let message = compose::auto_reply(&AutoReply {
            hostname: self.hostname,
            now: self.now,
            from: &v.from,
            to: std::slice::from_ref(&v.to),
            subject: &v.subject,
            auto_submitted: "auto-replied",
            in_reply_to: v.in_reply_to.as_deref(),
            references: references.as_deref(),
            body,
        });
        AutoMessage {
            kind: AutoKind::Vacation,
            to: v.to.clone(),
            message,
            once: Some(OncePer {
                handle: v.handle.clone(),
                period_secs: v.period_seconds,
            }),
        }
    }

    /// A `mailto:` notification (RFC 5436 §2.7): to the URI's recipients, its `subject` and
    /// `body` fields when given, else the notify `:message`; other URI fields are ignored.
    fn notification(&self, n: &Notification) -> Vec<AutoMessage> {
        if is_automatic(self.input.message) {
            tracing::info!(account = %self.input.account.address, "no notification for an automatic message");
            return Vec::new();
        }
        let Some(mailto) = malt_sieve::mailto::parse_mailto(&n.method) else {
            return Vec::new();
        };
        let field = |name: &str| {
            mailto
                .fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let subject = field("subject").unwrap_or(&n.message);
        let body = field("body").unwrap_or(&n.message);
        let from = n.from.as_deref().unwrap_or(&self.input.account.address);
        let (_, message_id) = compose::subject_and_id(self.input.message);
        let references = self.references();
        let message = compose::auto_reply(&AutoReply {
            hostname: self.hostname,
            now: self.now,
            from,
            to: &mailto.recipients,
            subject,
            auto_submitted: "auto-notified",
            in_reply_to: message_id.as_deref(),
            references: references.as_deref(),
            body: ReplyBody::Text(body),
        });
        mailto
            .recipients
            .iter()
            .take(MAX_NOTIFY_RECIPIENTS)
            .map(|to| AutoMessage {
                kind: AutoKind::Notification,
                to: to.clone(),
                message: message.clone(),
                once: None,
            })
            .collect()
    }
}

/// Whether the message says it was sent automatically (RFC 3834 §5: `Auto-Submitted` other than
/// `no`).
fn is_automatic(message: &[u8]) -> bool {
    header::field_values(message, "Auto-Submitted").iter().any(|v| {
        let keyword = v.split(';').next().unwrap_or_default().trim();
        !keyword.eq_ignore_ascii_case("no")
    })
}

/// imap4flags names (RFC 5232) as store flags: system flags by name (any case), valid keywords
/// as given; anything else dropped.
pub(super) fn imap_flags(names: &[String]) -> Flags {
    let mut system = 0;
    let mut keywords = Vec::new();
    for name in names {
        match name.to_ascii_lowercase().as_str() {
            "\\seen" => system |= flag::SEEN,
            "\\answered" => system |= flag::ANSWERED,
            "\\flagged" => system |= flag::FLAGGED,
            "\\deleted" => system |= flag::DELETED,
            "\\draft" => system |= flag::DRAFT,
            _ if is_keyword(name) => keywords.push(name.clone()),
            _ => tracing::debug!(flag = %name, "not an IMAP flag; ignored"),
        }
    }
    Flags::new(system, keywords)
}

/// An IMAP keyword: an atom (RFC 9051 §9 `flag-keyword`), at most 255 octets, not a `\` flag.
fn is_keyword(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name.bytes().all(|b| {
            b > b' ' && b < 0x7f && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        let names = [
            "\\SEEN",
            "\\Flagged",
            "$Label1",
            "\\Recent",
            "bad flag",
            "\\Custom",
            "Junk",
        ]
        .map(str::to_owned);
        assert_eq!(
            imap_flags(&names),
            Flags::new(
                flag::SEEN | flag::FLAGGED,
                ["$Label1".to_owned(), "Junk".to_owned()]
            )
        );
        assert_eq!(imap_flags(&[]), Flags::default());
    }

    #[test]
    fn automatic_messages() {
        assert!(is_automatic(b"Auto-Submitted: auto-replied\r\n\r\nx"));
        assert!(is_automatic(
            b"Auto-Submitted: Auto-Generated; owner-email=x@y\r\n\r\n"
        ));
        assert!(!is_automatic(b"Auto-Submitted: no\r\n\r\nx"));
        assert!(!is_automatic(b"Subject: hi\r\n\r\nAuto-Submitted: yes\r\n"));
    }
}
