//! Scheduling: iTIP (RFC 5546) as CalDAV scheduling (RFC 6638 §3–§5) uses it, with no I/O.
//!
//! The server calls these pure functions around its writes and deliveries:
//!
//! - [`scheduling_role`]: is a stored object a scheduling object resource, and is the user its
//!   organiser or one of its attendees (RFC 6638 §3.1)?
//! - [`organizer_changes`] (the organiser PUT or DELETE their object, RFC 6638 §3.2.1): the
//!   organiser's copy as to store (SEQUENCE raised, PARTSTATs reset, SCHEDULE-FORCE-SEND
//!   removed) and the REQUEST and CANCEL messages for each attendee, per instance where only
//!   instances changed.
//! - [`attendee_reply`] (an attendee PUT or DELETE their copy, RFC 6638 §3.2.2): the REPLY to the
//!   organiser when their PARTSTAT changed (DECLINED when they delete it).
//! - [`deliver`] (a message reaches a calendar user of this server, locally or by iMIP): a REQUEST
//!   creates or updates the attendee's copy ([`apply_request`]), a CANCEL marks it or some of
//!   its instances cancelled ([`apply_cancel`]), a REPLY sets the attendee's PARTSTAT in the
//!   organiser's copy ([`apply_reply`]); anything else is left for the user's client.
//! - [`FreeBusyRequest`] and [`freebusy_reply`] (RFC 6638 §5, RFC 5546 §3.3): a VFREEBUSY REQUEST
//!   answered by one REPLY per attendee.
//! - [`check_attendee_change`], [`check_organizer_change`] and [`keep_answers`]: what an
//!   attendee or the organiser may change by writing their object (RFC 6638 §3.2.1, §3.2.2.1),
//!   and the answers the server keeps over an organiser's older copy (RFC 6638 §3.2.10).
//! - [`schedule_tag_basis`]: what a Schedule-Tag is a hash of (RFC 6638 §3.2.10): the object
//!   without answers, alarms and stamps.
//! - [`set_schedule_status`]: the delivery outcome on the ATTENDEE (organiser's copy) or ORGANIZER
//!   (attendee's copy), RFC 6638 §3.2.9 and §7.3.
//!
//! Rules every function keeps:
//! - Addresses compare in their [`normalise_address`] form (`mailto:` dropped, lower-case).
//! - SCHEDULE-AGENT other than SERVER (RFC 6638 §7.1) on the ORGANIZER stops all scheduling of
//!   the object; on an ATTENDEE it stops the messages to that attendee.
//! - Messages carry DTSTAMP = the time they were made (RFC 5546 §2.1.5), no VALARM, no
//!   SCHEDULE-STATUS or SCHEDULE-FORCE-SEND; a message or copy older than what is held (lower
//!   SEQUENCE) is ignored (RFC 5546 §2.1.5).
//! - Every message and every copy returned is a valid calendar object resource
//!   ([`CalendarObject`], RFC 4791 §4.1); objects with more than [`MAX_ATTENDEES`] distinct
//!   attendees are refused ([`ItipError::TooManyAttendees`]).

mod allowed;
mod attendee;
mod freebusy;
mod organizer;
pub(crate) mod parts;
mod tag;

use std::fmt;

use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarEntry, ICalendarMethod, ICalendarParameterName,
    ICalendarParameterValue, ICalendarProperty, ICalendarValue,
};

use crate::object::{
    CalendarObject, ComponentKind, ObjectError, Precondition, check_shape, parse_single_calendar,
    text_property,
};

pub use allowed::{check_attendee_change, check_organizer_change, keep_answers};
pub use attendee::{AttendeeApplied, apply_cancel, apply_request, attendee_reply};
pub use freebusy::{FreeBusyRequest, freebusy_reply};
pub use organizer::{OrganizerChanges, ReplyApplied, apply_reply, organizer_changes};
pub use parts::{normalise_address, partstat};
pub use tag::schedule_tag_basis;

/// Most distinct attendees of an object the server schedules for: each is a message, and an
/// object is at most [`crate::object::MAX_OBJECT_BYTES`] anyway.
pub const MAX_ATTENDEES: usize = 1_000;

/// The iTIP methods (RFC 5546 §1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Publish,
    Request,
    Reply,
    Add,
    Cancel,
    Refresh,
    Counter,
    DeclineCounter,
}

impl Method {
    /// The METHOD value (also the `method` parameter of `text/calendar`, RFC 6047 §2.4).
    pub fn name(self) -> &'static str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Request => "REQUEST",
            Method::Reply => "REPLY",
            Method::Add => "ADD",
            Method::Cancel => "CANCEL",
            Method::Refresh => "REFRESH",
            Method::Counter => "COUNTER",
            Method::DeclineCounter => "DECLINECOUNTER",
        }
    }

    /// The method named `name` (ASCII case-insensitive).
    pub fn from_name(name: &str) -> Option<Method> {
        [
            Method::Publish,
            Method::Request,
            Method::Reply,
            Method::Add,
            Method::Cancel,
            Method::Refresh,
            Method::Counter,
            Method::DeclineCounter,
        ]
        .into_iter()
        .find(|m| m.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Sent by an attendee to the organiser (RFC 5546 §1.4: REPLY, COUNTER, REFRESH), rather than
    /// by the organiser to attendees.
    pub fn from_attendee(self) -> bool {
        matches!(self, Method::Reply | Method::Counter | Method::Refresh)
    }

    fn to_value(self) -> ICalendarValue {
        ICalendarValue::Method(match self {
            Method::Publish => ICalendarMethod::Publish,
            Method::Request => ICalendarMethod::Request,
            Method::Reply => ICalendarMethod::Reply,
            Method::Add => ICalendarMethod::Add,
            Method::Cancel => ICalendarMethod::Cancel,
            Method::Refresh => ICalendarMethod::Refresh,
            Method::Counter => ICalendarMethod::Counter,
            Method::DeclineCounter => ICalendarMethod::Declinecounter,
        })
    }

    fn of_entry(entry: &ICalendarEntry) -> Option<Method> {
        match entry.values.first()? {
            ICalendarValue::Method(m) => Some(match m {
                ICalendarMethod::Publish => Method::Publish,
                ICalendarMethod::Request => Method::Request,
                ICalendarMethod::Reply => Method::Reply,
                ICalendarMethod::Add => Method::Add,
                ICalendarMethod::Cancel => Method::Cancel,
                ICalendarMethod::Refresh => Method::Refresh,
                ICalendarMethod::Counter => Method::Counter,
                ICalendarMethod::Declinecounter => Method::DeclineCounter,
            }),
            ICalendarValue::Text(text) => Method::from_name(text),
            _ => None,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why scheduling refused a message or an object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItipError {
    /// Not a valid calendar object (the precondition says which rule, RFC 4791 §4.1).
    #[error("{0}")]
    Object(#[from] ObjectError),
    /// An iTIP message needs a METHOD (RFC 5546 §1.4).
    #[error("no METHOD: not an iTIP message (RFC 5546 §1.4)")]
    NoMethod,
    /// A METHOD that is not one of RFC 5546's.
    #[error("unknown METHOD {0:?}")]
    UnknownMethod(String),
    /// Scheduling needs an ORGANIZER (RFC 5546 §3.2).
    #[error("no ORGANIZER (RFC 5546 §3.2)")]
    NoOrganizer,
    /// The components name different organisers (RFC 6638 §3.2.4.2 wants one).
    #[error("the components name different ORGANIZERs (RFC 6638 §3.2.4.2)")]
    OrganizerDiffers,
    /// A REPLY, COUNTER or REFRESH names exactly one ATTENDEE, the one answering (RFC 5546 §3.2.3).
    #[error("a {0} must name exactly one ATTENDEE (RFC 5546 §3.2.3)")]
    NotOneAttendee(Method),
    /// The message is not of the method this function applies.
    #[error("a {got} message where a {expected} was expected")]
    WrongMethod { expected: Method, got: Method },
    /// The message is about another event than the copy it is applied to.
    #[error("the message's UID is not the object's")]
    UidMismatch,
    /// The message's organiser is not the organiser of the copy it would change (RFC 6638
    /// §3.2.4.2: an attendee's copy follows one organiser).
    #[error("the message's ORGANIZER is not the object's")]
    OrganizerMismatch,
    /// The calendar user the message is applied for is not one of its attendees.
    #[error("{0} is not an ATTENDEE of this object")]
    NotAnAttendee(String),
    /// An attendee changed what only the organiser may change (RFC 6638 §3.2.2.1), the reason
    /// says what.
    #[error("not an attendee's change (RFC 6638 §3.2.2.1): {0}")]
    AttendeeChange(String),
    /// The organiser changed what they may not (RFC 6638 §3.2.1): an attendee's answer, or the
    /// ORGANIZER of an existing event.
    #[error("not an organiser's change (RFC 6638 §3.2.1): {0}")]
    OrganizerChange(String),
    /// More than [`MAX_ATTENDEES`] attendees.
    #[error("more than {MAX_ATTENDEES} attendees")]
    TooManyAttendees,
    /// A VFREEBUSY request needs DTSTART and DTEND in UTC, the end after the start (RFC 5546 §3.3.2).
    #[error("a VFREEBUSY request needs DTSTART before DTEND (RFC 5546 §3.3.2)")]
    FreeBusyRange,
}

impl ItipError {
    /// The CalDAV precondition to answer with: the object's own, `max-attendees-per-instance`
    /// (RFC 4791 §5.3.2.1), `same-organizer-in-all-components` (RFC 6638 §3.2.4.2),
    /// `allowed-attendee-scheduling-object-change` / `allowed-organizer-scheduling-object-change`
    /// (RFC 6638 §3.2.4.3, §3.2.4.4), or
    /// `valid-scheduling-message` for a message that breaks iTIP's rules.
    pub fn precondition(&self) -> Precondition {
        match self {
            ItipError::Object(e) => e.precondition,
            ItipError::TooManyAttendees => Precondition::MaxAttendeesPerInstance,
            ItipError::OrganizerDiffers => Precondition::SameOrganizerInAllComponents,
            ItipError::AttendeeChange(_) => Precondition::AllowedAttendeeSchedulingObjectChange,
            ItipError::OrganizerChange(_) => Precondition::AllowedOrganizerSchedulingObjectChange,
            _ => Precondition::ValidSchedulingMessage,
        }
    }
}

/// An iTIP message (RFC 5546): a METHOD and one calendar object's worth of components, from
/// `sender` to `recipients`.
#[derive(Debug, Clone, PartialEq)]
pub struct ItipMessage {
    pub method: Method,
    /// The organiser (REQUEST, CANCEL, ...) or the answering attendee (REPLY, COUNTER, REFRESH),
    /// normalised.
    pub sender: String,
    /// Who it is for, normalised: the attendees it names, or the organiser.
    pub recipients: Vec<String>,
    /// For a REQUEST made here: the recipient had the event already (an update, not an
    /// invitation; iMIP says so in the subject). False for parsed messages.
    pub update: bool,
    /// The components, without METHOD.
    object: CalendarObject,
}

impl ItipMessage {
    /// Parses an iTIP message: one VCALENDAR with a METHOD whose components make one calendar
    /// object (RFC 4791 §4.1 rules but for METHOD), with an ORGANIZER; REPLY, COUNTER and
    /// REFRESH name exactly one attendee. Limits are [`CalendarObject::parse`]'s.
    pub fn parse(bytes: &[u8]) -> Result<ItipMessage, ItipError> {
        if bytes.len() > crate::object::MAX_OBJECT_BYTES {
            return Err(ObjectError::new(
                Precondition::MaxResourceSize,
                format!("larger than {} bytes", crate::object::MAX_OBJECT_BYTES),
            )
            .into());
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            ObjectError::new(
                Precondition::ValidCalendarData,
                format!("not UTF-8 (RFC 5545 §3.1.4): {e}"),
            )
        })?;
        let mut ical = parse_single_calendar(text)?;
        check_shape(&ical)?;
        let root = ical.components.first_mut().ok_or(ItipError::NoMethod)?;
        let entry = root
            .entries
            .iter()
            .position(|e| e.name == ICalendarProperty::Method)
            .ok_or(ItipError::NoMethod)?;
        let entry = root.entries.remove(entry);
        let method = Method::of_entry(&entry).ok_or_else(|| {
            ItipError::UnknownMethod(
                entry
                    .values
                    .first()
                    .and_then(|v| v.as_text())
                    .unwrap_or_default()
                    .to_owned(),
            )
        })?;
        root.entries.retain(|e| e.name != ICalendarProperty::Method);
        let object = CalendarObject::from_calendar(ical)?;
        ItipMessage::new(method, object, false)
    }

    /// A message of `method` with `object`'s components; sender and recipients read from them.
    pub(crate) fn new(
        method: Method,
        object: CalendarObject,
        update: bool,
    ) -> Result<ItipMessage, ItipError> {
        let organizer = object_organizer(&object)?;
        let attendees = object_attendees(&object)?;
        let (sender, recipients) = if method.from_attendee() {
            let mut others = attendees.into_iter().filter(|a| *a != organizer);
            let (Some(attendee), None) = (others.next(), others.next()) else {
                return Err(ItipError::NotOneAttendee(method));
            };
            (attendee, vec![organizer])
        } else {
            let recipients = attendees.into_iter().filter(|a| *a != organizer).collect();
            (organizer, recipients)
        };
        Ok(ItipMessage {
            method,
            sender,
            recipients,
            update,
            object,
        })
    }

    /// The components as a calendar object (no METHOD).
    pub fn object(&self) -> &CalendarObject {
        &self.object
    }

    pub fn uid(&self) -> &str {
        self.object.uid()
    }

    pub fn kind(&self) -> ComponentKind {
        self.object.kind()
    }

    /// The SUMMARY of the first component that has one.
    pub fn summary(&self) -> Option<&str> {
        let ical = self.object.calendar();
        self.object
            .members()
            .iter()
            .filter_map(|&i| ical.components.get(i))
            .find_map(|c| text_property(c, &ICalendarProperty::Summary))
    }

    /// The PARTSTAT the answering attendee gives (REPLY), from the first component.
    pub fn reply_partstat(&self) -> Option<calcard::icalendar::ICalendarParticipationStatus> {
        let ical = self.object.calendar();
        let first = self
            .object
            .members()
            .first()
            .and_then(|&i| ical.components.get(i))?;
        parts::attendee(first, &self.sender).map(partstat)
    }

    /// The message as an iCalendar text with its METHOD (RFC 5546 §1.4), ready to deliver.
    pub fn to_calendar(&self) -> ICalendar {
        let mut ical = self.object.calendar().clone();
        if let Some(root) = ical.components.first_mut() {
            let at = root
                .entries
                .iter()
                .position(|e| e.name == ICalendarProperty::Version)
                .map_or(0, |p| p + 1);
            root.entries.insert(
                at,
                ICalendarEntry {
                    name: ICalendarProperty::Method,
                    params: Vec::new(),
                    values: vec![self.method.to_value()],
                },
            );
        }
        ical
    }

    pub fn to_ical_string(&self) -> String {
        self.to_calendar().to_string()
    }
}

/// The role of a calendar user in a scheduling object resource (RFC 6638 §3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// The user is the ORGANIZER (the normalised address that matched).
    Organizer(String),
    /// The user is an ATTENDEE and not the organiser.
    Attendee(String),
}

/// Is `object` a scheduling object resource of the user whose addresses are `addresses`
/// (RFC 6638 §3.1: an ORGANIZER and at least one ATTENDEE), and in which role? `None` for plain
/// events and for objects in which the user takes no part.
pub fn scheduling_role(object: &CalendarObject, addresses: &[String]) -> Option<Role> {
    let organizer = object_organizer(object).ok()?;
    if attendee_addresses(object).all(|a| a == organizer) {
        return None;
    }
    let mine = |a: &String| addresses.iter().any(|m| normalise_address(m) == *a);
    if mine(&organizer) {
        return Some(Role::Organizer(organizer));
    }
    attendee_addresses(object).find(mine).map(Role::Attendee)
}

/// The organiser of an object: the ORGANIZER every member names (RFC 6638 §3.2.4.2).
pub(crate) fn object_organizer(object: &CalendarObject) -> Result<String, ItipError> {
    let ical = object.calendar();
    let mut found: Option<String> = None;
    for component in object.members().iter().filter_map(|&i| ical.components.get(i)) {
        match (parts::organizer_address(component), &found) {
            (Some(a), Some(f)) if a != *f => return Err(ItipError::OrganizerDiffers),
            (Some(a), None) => found = Some(a),
            _ => {}
        }
    }
    found.ok_or(ItipError::NoOrganizer)
}

/// The attendees' addresses of every member, in order, repeats included.
fn attendee_addresses(object: &CalendarObject) -> impl Iterator<Item = String> + '_ {
    let ical = object.calendar();
    object
        .members()
        .iter()
        .filter_map(|&i| ical.components.get(i))
        .flat_map(|c| parts::attendees(c).map(|(address, _)| address))
}

/// Every distinct attendee of an object, in order of appearance (at most [`MAX_ATTENDEES`]).
pub(crate) fn object_attendees(object: &CalendarObject) -> Result<Vec<String>, ItipError> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for address in attendee_addresses(object) {
        if seen.insert(address.clone()) {
            if out.len() == MAX_ATTENDEES {
                return Err(ItipError::TooManyAttendees);
            }
            out.push(address);
        }
    }
    Ok(out)
}

/// Which property [`set_schedule_status`] marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleParty {
    /// An ATTENDEE of the organiser's copy (after a REQUEST or CANCEL to them).
    Attendee,
    /// The ORGANIZER of an attendee's copy (after a REPLY to them).
    Organizer,
}

/// Records the outcome of delivering a message to `address` as SCHEDULE-STATUS on its
/// property (RFC 6638 §3.2.9, §7.3): `1.0` pending, `1.1` sent (iMIP), `1.2` delivered (local),
/// `3.7` invalid calendar user, `5.1` could not be delivered, ... Returns whether anything
/// changed (the caller stores the copy again then).
pub fn set_schedule_status(ical: &mut ICalendar, party: ScheduleParty, address: &str, status: &str) -> bool {
    let address = normalise_address(address);
    let name = match party {
        ScheduleParty::Attendee => ICalendarProperty::Attendee,
        ScheduleParty::Organizer => ICalendarProperty::Organizer,
    };
    let value = ICalendarParameterValue::Text(status.to_owned());
    let mut changed = false;
    for component in ical.components.iter_mut().filter(|c| is_scheduling_component(c)) {
        for entry in component.entries.iter_mut().filter(|e| e.name == name) {
            if parts::entry_address(entry).as_deref() != Some(address.as_str()) {
                continue;
            }
            if entry.parameter(&ICalendarParameterName::ScheduleStatus) != Some(&value) {
                parts::set_param(entry, ICalendarParameterName::ScheduleStatus, value.clone());
                changed = true;
            }
        }
    }
    changed
}

fn is_scheduling_component(component: &ICalendarComponent) -> bool {
    component.component_type.is_scheduling_object()
}

/// What [`deliver`] did with a message for one calendar user.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivered {
    /// The user's copy to store: created (`created`) or changed.
    Store { object: CalendarObject, created: bool },
    /// The message changes nothing here (older, already applied, or a method the server leaves to
    /// the user's client, such as COUNTER: RFC 6638 §3.2 puts it in the inbox only). The reason
    /// is for logs.
    Nothing(&'static str),
}

/// Applies `message` for the calendar user `recipient` whose copy of the event (same UID) is
/// `existing`: a REQUEST or CANCEL to the attendee's copy, a REPLY to the organiser's; other
/// methods change no copy (RFC 6638 §3.2: the inbox keeps them for the client).
pub fn deliver(
    message: &ItipMessage,
    recipient: &str,
    existing: Option<&CalendarObject>,
) -> Result<Delivered, ItipError> {
    let recipient = normalise_address(recipient);
    if existing.is_some_and(|e| e.uid() != message.uid()) {
        return Err(ItipError::UidMismatch);
    }
    let created = existing.is_none();
    let applied = match message.method {
        Method::Request => apply_request(existing, message, &recipient)?,
        Method::Cancel => match existing {
            Some(copy) => apply_cancel(copy, message, &recipient)?,
            None => return Ok(Delivered::Nothing("a CANCEL for an event not in the calendar")),
        },
        Method::Reply => {
            let Some(copy) = existing else {
                return Ok(Delivered::Nothing("a REPLY for an event not in the calendar"));
            };
            return Ok(match apply_reply(copy, message)? {
                ReplyApplied::Changed(object) => Delivered::Store {
                    object,
                    created: false,
                },
                ReplyApplied::Nothing(reason) => Delivered::Nothing(reason),
            });
        }
        Method::Counter | Method::Refresh | Method::DeclineCounter | Method::Add | Method::Publish => {
            return Ok(Delivered::Nothing("left to the calendar client"));
        }
    };
    Ok(match applied {
        AttendeeApplied::Changed(object) => Delivered::Store { object, created },
        AttendeeApplied::Nothing(reason) => Delivered::Nothing(reason),
    })
}
