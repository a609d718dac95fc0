//! Calendar scheduling deliveries (CalDAV scheduling, RFC 6638 §3-§5; iMIP, RFC 6047): where
//! the iTIP messages that [`malt_calendar::itip`] computes go, and what arrives for this
//! server's calendar users by mail.
//!
//! - A calendar user address ([`MailCore::calendar_user`]) is **local** when it resolves to
//!   exactly one account (its address or an alias); **invalid** when its domain is one of ours
//!   and it resolves to nothing (RFC 6638 SCHEDULE-STATUS 3.7); **remote** otherwise (a group
//!   address too: the mail system expands it).
//! - A message to a local user ([`MailCore::schedule_deliver`]) is applied to the user's copy
//!   of the event — found by UID in any of their calendars, or, for a new invitation, created in
//!   their default calendar ([`default_calendar`]) with PARTSTAT=NEEDS-ACTION — and then kept in
//!   their scheduling inbox (RFC 6638 §4) for their client. Status `1.2`.
//! - A message to a remote user is mailed (iMIP, [`malt_calendar::imip::compose`]) through the
//!   outbound queue, DKIM-signed, from the account. Status `1.1`.
//! - Mail delivered to a local user that carries a REQUEST, CANCEL or REPLY from the calendar
//!   user it is about ([`MailCore::apply_imip`], called by the delivery pipeline after the
//!   message is stored) is applied as a local delivery; the mail itself stays in INBOX.
//!
//! Invariants: the server's own writes of copies never trigger scheduling again (they go to the
//! store, not through a PUT); a copy is written with the ETag it was read with (a concurrent
//! change is read again, at most [`WRITE_TRIES`] times); a failure for one recipient never
//! stops the others; incoming mail is never refused or failed because of its calendar.

use malt_calendar::freebusy::{BusyPeriod, busy_periods};
use malt_calendar::imip::{self, ImipHeaders, Party};
use malt_calendar::itip::{self, Delivered, ItipMessage, Method, normalise_address};
use malt_calendar::when::zone_of_vcalendar;
use malt_calendar::{CalendarObject, ComponentKind, Tz, occurrence_span};
use malt_store::{
    Account, AccountId, DavCollection, DavCollectionKind, DavComponent, DavObject, DavPutOutcome, DavSpan,
    EtagCondition, NewDavObject, StoreError,
};

use crate::directory;
use crate::mail::{MailCore, now};
use crate::queue::QueueEnvelope;
use crate::sender_auth::{AuthResults, Verdict};

/// SCHEDULE-STATUS values (RFC 6638 §3.2.9, RFC 5545 §3.8.8.3 REQUEST-STATUS codes).
pub mod status {
    /// Sent by iMIP: in the outbound queue.
    pub const SENT: &str = "1.1";
    /// Delivered to a calendar user of this server.
    pub const DELIVERED: &str = "1.2";
    /// No such calendar user (an address in one of this server's domains that names nobody).
    pub const INVALID_USER: &str = "3.7";
    /// Could not be delivered (the server's own failure, logged).
    pub const NOT_DELIVERED: &str = "5.1";
}

/// Most attempts to write a copy that others change meanwhile.
pub const WRITE_TRIES: usize = 3;

/// Who a calendar user address is, for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarUser {
    Local(Account),
    Invalid,
    Remote,
}

/// The store's component of a calendar object, if the store keeps objects of that kind.
pub fn dav_component(kind: ComponentKind) -> Option<DavComponent> {
    match kind {
        ComponentKind::Event => Some(DavComponent::Event),
        ComponentKind::Todo => Some(DavComponent::Todo),
        ComponentKind::Journal => Some(DavComponent::Journal),
        ComponentKind::FreeBusy => None,
    }
}

/// The occurrence span the store indexes for `object` (RFC 4791 §9.9).
pub fn dav_span(object: &CalendarObject) -> Option<DavSpan> {
    occurrence_span(object).map(|s| DavSpan {
        start: s.start,
        end: s.end,
    })
}

/// `object` as the store writes it under `name`; `None` for a kind the store does not keep.
pub fn new_dav_object(name: &str, object: &CalendarObject) -> Option<NewDavObject> {
    Some(NewDavObject {
        name: name.to_owned(),
        uid: Some(object.uid().to_owned()),
        component: dav_component(object.kind())?,
        span: dav_span(object),
        content: object.calendar().to_string().into_bytes(),
    })
}

/// The calendar new invitations of `component` go into (`schedule-default-calendar-URL`, RFC
/// 6638 §9.2): the one the user chose ([`chosen_default_calendar`]) when it takes them, else the
/// default "calendar" when it takes them, else the first calendar by name that does.
pub fn default_calendar(collections: &[DavCollection], component: DavComponent) -> Option<&DavCollection> {
    let takes =
        |c: &&DavCollection| c.kind == DavCollectionKind::Calendar && c.props.components.contains(&component);
    chosen_default_calendar(collections)
        .filter(takes)
        .or_else(|| {
            collections
                .iter()
                .filter(takes)
                .find(|c| c.name == DEFAULT_CALENDAR)
        })
        .or_else(|| collections.iter().find(takes))
}

/// The inbox's dead property that holds the calendar the user chose for new invitations (a
/// PROPPATCH of `schedule-default-calendar-URL` on the inbox, RFC 6638 §9.2): Malt's own
/// namespace, so it is never listed as a client's property; its value is
/// [`default_calendar_value`].
pub const SCHEDULE_DEFAULT_CALENDAR: &str = "{urn:x-malt:caldav}schedule-default-calendar";

/// The namespace of Malt's own dead properties, which clients neither see nor set.
pub const MALT_DEAD_NS: &str = "urn:x-malt:caldav";

/// The stored value of [`SCHEDULE_DEFAULT_CALENDAR`] naming calendar `id` (an XML element, as
/// dead properties are kept).
pub fn default_calendar_value(id: i64) -> String {
    format!("<schedule-default-calendar xmlns=\"{MALT_DEAD_NS}\">{id}</schedule-default-calendar>")
}

/// The calendar the user chose for new invitations, if they chose one and it still exists.
pub fn chosen_default_calendar(collections: &[DavCollection]) -> Option<&DavCollection> {
    let inbox = collections
        .iter()
        .find(|c| c.kind == DavCollectionKind::ScheduleInbox)?;
    let value = inbox.props.dead.get(SCHEDULE_DEFAULT_CALENDAR)?;
    // The element's text: written by `default_calendar_value` only.
    let text = value.split_once('>')?.1.split_once('<')?.0;
    let id: i64 = text.trim().parse().ok()?;
    collections
        .iter()
        .find(|c| c.id == id && c.kind == DavCollectionKind::Calendar)
}

/// The dead property a user sets to keep a calendar out of their free-busy time (RFC 6638 §9.1).
pub const SCHEDULE_CALENDAR_TRANSP: &str = "{urn:ietf:params:xml:ns:caldav}schedule-calendar-transp";

/// Whether a calendar's events count in its owner's free-busy time (RFC 6638 §9.1: opaque
/// unless the user made it transparent).
pub fn is_opaque(c: &DavCollection) -> bool {
    c.kind == DavCollectionKind::Calendar
        && !c
            .props
            .dead
            .get(SCHEDULE_CALENDAR_TRANSP)
            .is_some_and(|v| v.contains("transparent"))
}

/// The busy time of `objects` within `[start, end)` (RFC 4791 §7.10), floating times in
/// `floating`; objects that no longer parse count for nothing.
pub fn busy_of(objects: &[DavObject], start: i64, end: i64, floating: Tz) -> Vec<BusyPeriod> {
    objects
        .iter()
        .filter_map(|o| CalendarObject::parse(&o.content).ok())
        .flat_map(|o| busy_periods(&o, start, end, floating))
        .collect()
}

/// The name of the default calendar ([`malt_store::DAV_DEFAULT_COLLECTIONS`]).
const DEFAULT_CALENDAR: &str = "calendar";

/// The resource name a new copy of the event `uid` gets: the UID when it is a plain name, else
/// a hash of it.
fn copy_name(uid: &str) -> String {
    let plain = uid.len() <= 200
        && !uid.is_empty()
        && uid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if plain {
        format!("{uid}.ics")
    } else {
        format!("{}.ics", malt_store::dav_etag(uid.as_bytes()))
    }
}

fn invalid_message(e: &impl std::fmt::Display) -> StoreError {
    StoreError::Invalid {
        what: "scheduling message",
        reason: e.to_string(),
    }
}

impl MailCore {
    /// The calendar user addresses of `account` (`calendar-user-address-set`, RFC 6638 §2.4.1):
    /// its address, then the aliases of any of this server's domains that point to it directly
    /// (as mail to them reaches it), lower-case. Catch-alls (`@domain`) are not addresses.
    /// One read of the alias table.
    pub async fn calendar_user_addresses(&self, account: &Account) -> Result<Vec<String>, StoreError> {
        let mut out = vec![account.address.to_lowercase()];
        for alias in self.storage().store.alias_list(None).await? {
            let address = alias.address.to_lowercase();
            if alias.target.eq_ignore_ascii_case(&account.address)
                && !address.starts_with('@')
                && !out.contains(&address)
            {
                out.push(address);
            }
        }
        Ok(out)
    }

    /// The busy time of `account` within `[start, end)` over its opaque calendars ([`is_opaque`]),
    /// for a free-busy request (RFC 6638 §5); floating times in each calendar's time zone.
    pub async fn busy_time(
        &self,
        account: &Account,
        start: i64,
        end: i64,
    ) -> Result<Vec<BusyPeriod>, StoreError> {
        let store = &self.storage().store;
        let mut out = Vec::new();
        for c in store.dav_ensure_defaults(account.id).await? {
            if !is_opaque(&c) {
                continue;
            }
            let floating = c
                .props
                .timezone
                .as_deref()
                .and_then(zone_of_vcalendar)
                .unwrap_or(Tz::UTC);
            let objects = store.dav_objects_in_span(c.id, start, end).await?;
            out.extend(busy_of(&objects, start, end, floating));
        }
        Ok(out)
    }

    /// Who the calendar user `address` (`mailto:` or bare) is (see the module doc).
    pub async fn calendar_user(&self, address: &str) -> Result<CalendarUser, StoreError> {
        let address = normalise_address(address);
        let resolved = directory::resolve(self.storage().store.as_ref(), &address).await?;
        Ok(match resolved.as_slice() {
            [one] => CalendarUser::Local(one.account.clone()),
            [] => match address.rsplit_once('@') {
                Some((_, domain)) if self.is_local_domain(domain).await? => CalendarUser::Invalid,
                _ => CalendarUser::Remote,
            },
            _ => CalendarUser::Remote,
        })
    }

    /// Sends `message`, made by `from`'s change, to each of its recipients: local users get it
    /// applied and in their inbox, remote ones by iMIP. Returns each recipient with its
    /// SCHEDULE-STATUS ([`status`]).
    pub async fn schedule_send(&self, from: &Account, message: &ItipMessage) -> Vec<(String, &'static str)> {
        let mut out = Vec::with_capacity(message.recipients.len());
        for recipient in &message.recipients {
            let outcome = match self.calendar_user(recipient).await {
                Ok(CalendarUser::Local(account)) => self
                    .schedule_deliver(&account, recipient, message)
                    .await
                    .map(|()| status::DELIVERED),
                Ok(CalendarUser::Invalid) => Ok(status::INVALID_USER),
                Ok(CalendarUser::Remote) => self
                    .send_imip(from, recipient, message)
                    .await
                    .map(|()| status::SENT),
                Err(e) => Err(e),
            };
            let code = outcome.unwrap_or_else(|e| {
                tracing::warn!(from = %from.address, to = %recipient, method = %message.method,
                    uid = message.uid(), error = %e, "scheduling message not delivered");
                status::NOT_DELIVERED
            });
            tracing::info!(from = %from.address, to = %recipient, method = %message.method,
                uid = message.uid(), status = code, "scheduling message");
            out.push((recipient.clone(), code));
        }
        out
    }

    /// Delivers `message` to the local calendar user `account` (addressed as `address`): applied
    /// to their copy of the event ([`itip::deliver`]), then kept in their scheduling inbox.
    pub async fn schedule_deliver(
        &self,
        account: &Account,
        address: &str,
        message: &ItipMessage,
    ) -> Result<(), StoreError> {
        let collections = self.storage().store.dav_ensure_defaults(account.id).await?;
        self.apply_to_copy(account, &collections, address, message)
            .await?;
        self.put_in_inbox(account, &collections, message).await
    }

    /// The user's copy of the event `uid`, in whichever of their calendars holds it (one read:
    /// a user has one copy of an event, RFC 6638 §3.2.4.1); its `collection_id` says which.
    pub async fn calendar_copy(
        &self,
        account: AccountId,
        uid: &str,
    ) -> Result<Option<DavObject>, StoreError> {
        self.storage()
            .store
            .dav_object_by_uid_in_account(account, DavCollectionKind::Calendar, uid, None)
            .await
    }

    async fn apply_to_copy(
        &self,
        account: &Account,
        collections: &[DavCollection],
        address: &str,
        message: &ItipMessage,
    ) -> Result<(), StoreError> {
        let store = &self.storage().store;
        for _ in 0..WRITE_TRIES {
            let existing = self.calendar_copy(account.id, message.uid()).await?;
            let parsed = match &existing {
                Some(o) => Some(CalendarObject::parse(&o.content).map_err(|e| invalid_message(&e))?),
                None => None,
            };
            let object = match itip::deliver(message, address, parsed.as_ref())
                .map_err(|e| invalid_message(&e))?
            {
                Delivered::Nothing(reason) => {
                    tracing::debug!(account = %account.address, uid = message.uid(), reason, "copy unchanged");
                    return Ok(());
                }
                Delivered::Store { object, .. } => object,
            };
            let (collection, name, condition) = match &existing {
                Some(o) => (
                    o.collection_id,
                    o.name.clone(),
                    EtagCondition::Matches(o.etag.clone()),
                ),
                None => {
                    let component = dav_component(object.kind())
                        .ok_or_else(|| invalid_message(&"not an event, task or journal"))?;
                    let c = default_calendar(collections, component).ok_or_else(|| {
                        StoreError::NotFound(format!("a calendar for {}", component.name()))
                    })?;
                    (c.id, copy_name(object.uid()), EtagCondition::Absent)
                }
            };
            let new = new_dav_object(&name, &object).ok_or_else(|| invalid_message(&"not storable"))?;
            match store
                .dav_object_put(account.id, collection, new, condition)
                .await?
            {
                DavPutOutcome::Stored(_) => return Ok(()),
                DavPutOutcome::PreconditionFailed | DavPutOutcome::UidConflict { .. } => continue,
            }
        }
        Err(StoreError::Conflict(format!(
            "the copy of {} kept changing",
            message.uid()
        )))
    }

    /// Keeps `message` in the user's scheduling inbox (RFC 6638 §4), under a fresh name and
    /// without a UID (an inbox may hold several messages about one event).
    async fn put_in_inbox(
        &self,
        account: &Account,
        collections: &[DavCollection],
        message: &ItipMessage,
    ) -> Result<(), StoreError> {
        let inbox = collections
            .iter()
            .find(|c| c.kind == DavCollectionKind::ScheduleInbox);
        let (Some(inbox), Some(component)) = (inbox, dav_component(message.kind())) else {
            return Ok(());
        };
        let item = NewDavObject {
            name: format!("{:x}-{:016x}.ics", now(), rand::random::<u64>()),
            uid: None,
            component,
            span: None,
            content: message.to_ical_string().into_bytes(),
        };
        self.storage()
            .store
            .dav_object_put(account.id, inbox.id, item, EtagCondition::Absent)
            .await?;
        Ok(())
    }

    /// Mails `message` to `to` (iMIP, RFC 6047) through the outbound queue, from `from`.
    async fn send_imip(&self, from: &Account, to: &str, message: &ItipMessage) -> Result<(), StoreError> {
        let domain = message.sender.rsplit_once('@').map_or("localhost", |(_, d)| d);
        let headers = ImipHeaders {
            from: Party {
                name: None,
                address: message.sender.clone(),
            },
            to: Party {
                name: None,
                address: to.to_owned(),
            },
            message_id: imip::new_message_id(domain),
            date: now(),
        };
        let raw = imip::compose(message, &headers);
        let raw = self.dkim_signed(&raw).await;
        let env = QueueEnvelope {
            return_path: from.address.clone(),
            submitter: Some(from.id),
            ..QueueEnvelope::default()
        };
        self.enqueue(&env, &[(to.to_owned(), None, None)], &raw).await?;
        Ok(())
    }

    /// Applies the iMIP message `raw` carries, if any, for `account`, to whom it was delivered
    /// (see the module doc). Mail whose sender failed DMARC (`auth`, from the MX) is not
    /// applied: anyone could write someone else's REPLY. Never fails: problems are logged.
    pub async fn apply_imip(&self, account: &Account, raw: &[u8], auth: Option<&AuthResults>) {
        if !may_carry_calendar(raw) {
            return;
        }
        let message = match imip::parse_incoming(raw) {
            Ok(incoming) => incoming.message,
            Err(e) => {
                tracing::debug!(account = %account.address, error = %e, "no iMIP message applied");
                return;
            }
        };
        if !matches!(message.method, Method::Request | Method::Cancel | Method::Reply) {
            return;
        }
        if auth.is_some_and(|a| a.dmarc == Verdict::Fail) {
            tracing::info!(account = %account.address, from = %message.sender,
                "iMIP message not applied: its sender failed DMARC");
            return;
        }
        let addresses = match self.calendar_user_addresses(account).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(account = %account.address, error = %e, "iMIP message not applied");
                return;
            }
        };
        let Some(address) = message.recipients.iter().find(|r| addresses.contains(r)) else {
            tracing::info!(account = %account.address, from = %message.sender,
                "iMIP message not applied: it is not for this calendar user");
            return;
        };
        match self.schedule_deliver(account, address, &message).await {
            Ok(()) => tracing::info!(account = %account.address, from = %message.sender,
                method = %message.method, uid = message.uid(), "iMIP message applied"),
            Err(e) => tracing::warn!(account = %account.address, from = %message.sender,
                method = %message.method, error = %e, "iMIP message not applied"),
        }
    }
}

/// A cheap first look before parsing a delivered message: whether it is small enough and names
/// a calendar part (`text/calendar`, or `application/ics`), in any case.
fn may_carry_calendar(raw: &[u8]) -> bool {
    let names = |media: &[u8]| raw.windows(media.len()).any(|w| w.eq_ignore_ascii_case(media));
    raw.len() <= imip::MAX_IMIP_BYTES && (names(b"text/calendar") || names(b"application/ics"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_mail_is_noticed() {
        assert!(may_carry_calendar(
            b"Content-Type: Text/Calendar; method=REPLY\r\n"
        ));
        assert!(may_carry_calendar(b"Content-Type: application/ICS\r\n"));
        assert!(!may_carry_calendar(b"Subject: hi\r\n\r\ntext/calenda\r\n"));
    }

    #[test]
    fn the_chosen_default_calendar() {
        let calendar = |id: i64, name: &str, kind: DavCollectionKind, components: Vec<DavComponent>| {
            let props = malt_store::DavCollectionProps {
                components,
                ..Default::default()
            };
            DavCollection {
                id,
                account_id: 1,
                kind,
                name: name.to_owned(),
                props,
                created_at: 0,
                highest_modseq: 0,
            }
        };
        let mut all = vec![
            calendar(
                1,
                "calendar",
                DavCollectionKind::Calendar,
                vec![DavComponent::Event],
            ),
            calendar(2, "work", DavCollectionKind::Calendar, vec![DavComponent::Event]),
            calendar(3, "tasks", DavCollectionKind::Calendar, vec![DavComponent::Todo]),
            calendar(4, "inbox", DavCollectionKind::ScheduleInbox, Vec::new()),
        ];
        let pick = |all: &[DavCollection], c| default_calendar(all, c).map(|c| c.name.clone());
        assert_eq!(pick(&all, DavComponent::Event).as_deref(), Some("calendar"));
        if let Some(inbox) = all.get_mut(3) {
            inbox
                .props
                .dead
                .insert(SCHEDULE_DEFAULT_CALENDAR.to_owned(), default_calendar_value(2));
        }
        assert_eq!(pick(&all, DavComponent::Event).as_deref(), Some("work"));
        // A choice that does not take the component is passed over.
        assert_eq!(pick(&all, DavComponent::Todo).as_deref(), Some("tasks"));
        all.remove(1);
        assert_eq!(pick(&all, DavComponent::Event).as_deref(), Some("calendar"));
    }

    #[test]
    fn copy_names() {
        assert_eq!(copy_name("abc-1@x.test"), "abc-1@x.test.ics");
        let hashed = copy_name("a/b c");
        assert!(hashed.ends_with(".ics") && !hashed.contains('/'), "{hashed}");
        assert_ne!(copy_name("a/b c"), copy_name("a/b d"));
    }
}
