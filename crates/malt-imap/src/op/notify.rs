//! NOTIFY (RFC 5465 §3.1): `NOTIFY NONE` turns notifications off; `NOTIFY SET [STATUS] groups...`
//! replaces what the session is told about (the delivery is `crate::notify`).
//!
//! Invariants:
//! - The whole command is checked before anything changes: a refused NOTIFY SET leaves the previous
//!   one in force.
//! - BAD for what §5 and §6.1 forbid: MessageNew without MessageExpunge or the reverse, FlagChange or
//!   AnnotationChange without both, SELECTED together with SELECTED-DELAYED, events other than message
//!   events for the selected mailbox. `NO [BADEVENT (supported...)]` for AnnotationChange (§3.1: Malt
//!   has no message annotations, RFC 5257); [`SUPPORTED_EVENTS`] lists what is supported.
//! - Names in `subtree`/`mailboxes` that do not exist are not an error (§3.1: ignored).
//! - With STATUS (§3.1) a `* STATUS` is sent before the tagged OK for each watched mailbox other than
//!   the selected one that has message events; a successful NOTIFY SET is also an implicit NOOP
//!   (§3.1: the session's sync after the command runs forced).

use std::collections::BTreeMap;

use malt_imap_proto::ResponseCode;
use malt_imap_proto::command::{FetchAttribute, NotifyEvent, NotifyFilter, NotifySet};

use crate::notify::{
    Events, Filter, MAX_PENDING, Notify, SelectedSpec, Watch, metadata_snapshot, write_status,
};
use crate::op::{mailbox_name, store_error};
use crate::session::{Outcome, Session};
use crate::state::State;

/// The events this server reports (RFC 5465 §3.1 BADEVENT lists them).
pub(crate) const SUPPORTED_EVENTS: &str = "(MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange)";

pub(crate) async fn run(s: &mut Session, set: Option<NotifySet>) -> Outcome {
    let Some(account) = s.state.account().map(|a| a.id) else {
        return Outcome::bad("Not authenticated");
    };
    let Some(set) = set else {
        s.notify = None;
        return Outcome::ok("NOTIFY completed");
    };
    // What happened before this command is not an event of the new NOTIFY (the STATUS option
    // tells the current state instead).
    crate::session::drain_feed(s);
    let mut n = Notify::new(account);
    let mut selected_seen = false;
    let mut unsupported = false;
    for g in &set.groups {
        let (events, fetch, annotation) = match events(g.events.as_deref()) {
            Ok(e) => e,
            Err(o) => return o,
        };
        unsupported |= annotation;
        let delayed = match &g.filter {
            NotifyFilter::Selected => false,
            NotifyFilter::SelectedDelayed => true,
            other => {
                let filter = match filter(s, other) {
                    Ok(f) => f,
                    Err(o) => return o,
                };
                n.watches.push(Watch { filter, events });
                continue;
            }
        };
        // RFC 5465 §6.1: one selected specifier, and only message events with it.
        if selected_seen {
            return Outcome::bad("Only one of SELECTED and SELECTED-DELAYED may be given");
        }
        selected_seen = true;
        if events.name || events.subscription || events.mailbox_metadata || events.server_metadata {
            return Outcome::bad("Only message events are allowed with SELECTED and SELECTED-DELAYED");
        }
        if events.message {
            n.selected = Some(SelectedSpec {
                delayed,
                fetch,
                flags: events.flags,
            });
        }
    }
    if unsupported {
        return Outcome::no(
            Some(ResponseCode::Other {
                name: "BADEVENT".into(),
                text: Some(SUPPORTED_EVENTS.into()),
            }),
            "AnnotationChange is not supported",
        );
    }
    let store = s.core.storage().store.clone();
    n.names = match store.mailbox_list(account).await {
        Ok(v) => v.into_iter().map(|m| (m.id, m.name)).collect(),
        Err(e) => return store_error(&e),
    };
    n.subscribed = match store.subscription_list(account).await {
        Ok(v) => v.into_iter().collect(),
        Err(e) => return store_error(&e),
    };
    // What metadata changes are diffed against (§5.6, §5.7).
    let mut targets = Vec::new();
    if n.watches.iter().any(|w| w.events.server_metadata) {
        targets.push(None);
    }
    targets.extend(
        n.names
            .iter()
            .filter(|(_, name)| n.wants(name, |e| e.mailbox_metadata))
            .map(|(id, _)| Some(*id)),
    );
    if targets.len() > MAX_PENDING {
        // RFC 5465 §3.1: a notification too expensive to provide.
        return Outcome::no(
            Some(ResponseCode::NotificationOverflow),
            format!("Metadata changes can be watched in at most {MAX_PENDING} mailboxes"),
        );
    }
    let mut metadata = BTreeMap::new();
    for target in targets {
        match metadata_snapshot(s, account, target).await {
            Ok(m) => metadata.insert(target, m),
            Err(e) => return store_error(&e),
        };
    }
    n.metadata = metadata;
    if set.status {
        let selected = match &s.state {
            State::Selected { view, .. } => Some(view.mailbox_id),
            _ => None,
        };
        let watched: Vec<_> = n
            .names
            .iter()
            .filter(|(id, name)| Some(**id) != selected && n.wants(name, |e| e.message))
            .map(|(id, _)| *id)
            .collect();
        for id in watched {
            if let Err(e) = write_status(s, id).await {
                return store_error(&e);
            }
        }
    }
    s.notify = Some(Box::new(n));
    Outcome::ok("NOTIFY completed")
}

/// The events of one group, its MessageNew fetch attributes and whether AnnotationChange was asked
/// for; BAD for the combinations RFC 5465 §5 forbids.
fn events(list: Option<&[NotifyEvent]>) -> Result<(Events, Vec<FetchAttribute>, bool), Outcome> {
    let mut ev = Events::default();
    let (mut new, mut expunge, mut annotation) = (false, false, false);
    let mut fetch = Vec::new();
    for e in list.unwrap_or_default() {
        match e {
            NotifyEvent::MessageNew(atts) => {
                new = true;
                fetch.clone_from(atts);
            }
            NotifyEvent::MessageExpunge => expunge = true,
            NotifyEvent::FlagChange => ev.flags = true,
            NotifyEvent::AnnotationChange => annotation = true,
            NotifyEvent::MailboxName => ev.name = true,
            NotifyEvent::SubscriptionChange => ev.subscription = true,
            NotifyEvent::MailboxMetadataChange => ev.mailbox_metadata = true,
            NotifyEvent::ServerMetadataChange => ev.server_metadata = true,
        }
    }
    if new != expunge {
        return Err(Outcome::bad(
            "MessageNew and MessageExpunge must be given together (RFC 5465 section 5)",
        ));
    }
    if (ev.flags || annotation) && !new {
        return Err(Outcome::bad(
            "FlagChange and AnnotationChange need MessageNew and MessageExpunge (RFC 5465 section 5)",
        ));
    }
    ev.message = new;
    Ok((ev, fetch, annotation))
}

/// A mailbox filter with its names decoded (modified UTF-7 unless UTF8=ACCEPT) and INBOX in upper
/// case (RFC 9051 §5.1: INBOX is case-insensitive).
fn filter(s: &Session, f: &NotifyFilter) -> Result<Filter, Outcome> {
    let names = |list: &[String]| -> Result<Vec<String>, Outcome> {
        list.iter()
            .map(|n| {
                let n = mailbox_name(s, n)?;
                Ok(if n.eq_ignore_ascii_case("INBOX") {
                    "INBOX".to_owned()
                } else {
                    n
                })
            })
            .collect()
    };
    Ok(match f {
        NotifyFilter::Inboxes => Filter::Inboxes,
        NotifyFilter::Personal => Filter::Personal,
        NotifyFilter::Subscribed => Filter::Subscribed,
        NotifyFilter::Subtree(list) => Filter::Subtree(names(list)?),
        NotifyFilter::Mailboxes(list) => Filter::Mailboxes(names(list)?),
        NotifyFilter::Selected | NotifyFilter::SelectedDelayed => {
            return Err(Outcome::bad("SELECTED is not a mailbox filter here"));
        }
    })
}
