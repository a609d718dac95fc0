//! Free-busy requests between calendar users (RFC 6638 §5, RFC 5546 §3.3): a VFREEBUSY REQUEST
//! names the organiser, the attendees whose busy time is asked and a range; each attendee's
//! answer is a VFREEBUSY REPLY computed by [`crate::freebusy`] over their calendars.
//!
//! Invariant: a reply covers exactly the requested range, its periods clipped to it and merged
//! (as [`crate::freebusy::freebusy_calendar`] writes them).

use calcard::common::timezone::Tz;
use calcard::icalendar::{ICalendarComponentType, ICalendarProperty, ICalendarValue, Uri};

use super::parts::{Members, set_property};
use super::{ItipError, ItipMessage, Method};
use crate::freebusy::{BusyPeriod, freebusy_calendar};
use crate::object::{CalendarObject, ComponentKind};
use crate::when::When;

/// A VFREEBUSY REQUEST (RFC 5546 §3.3.2), read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeBusyRequest {
    pub uid: String,
    /// The asking calendar user, normalised.
    pub organizer: String,
    /// Whose busy time is asked, normalised.
    pub attendees: Vec<String>,
    /// The range `[start, end)`, Unix seconds.
    pub start: i64,
    pub end: i64,
}

impl FreeBusyRequest {
    /// Reads a VFREEBUSY REQUEST: DTSTART and DTEND are required, the end after the start
    /// (floating values are read in UTC: RFC 5546 asks for UTC).
    pub fn from_message(message: &ItipMessage) -> Result<FreeBusyRequest, ItipError> {
        if message.method != Method::Request {
            return Err(ItipError::WrongMethod {
                expected: Method::Request,
                got: message.method,
            });
        }
        let object = message.object();
        if object.kind() != ComponentKind::FreeBusy {
            return Err(ItipError::FreeBusyRange);
        }
        let ical = object.calendar();
        let zones = ical.build_tz_resolver();
        let component = Members::of(object)
            .iter()
            .next()
            .and_then(|(_, i)| ical.components.get(i))
            .ok_or(ItipError::FreeBusyRange)?;
        let instant = |name: ICalendarProperty| {
            component
                .property(&name)
                .and_then(|e| When::of_entry(e, &zones))
                .map(|w| w.instant(Tz::UTC))
        };
        let (Some(start), Some(end)) = (
            instant(ICalendarProperty::Dtstart),
            instant(ICalendarProperty::Dtend),
        ) else {
            return Err(ItipError::FreeBusyRange);
        };
        if end <= start {
            return Err(ItipError::FreeBusyRange);
        }
        Ok(FreeBusyRequest {
            uid: object.uid().to_owned(),
            organizer: message.sender.clone(),
            attendees: message.recipients.clone(),
            start,
            end,
        })
    }
}

/// `attendee`'s answer to `request` (RFC 5546 §3.3.3): a VFREEBUSY REPLY with the request's
/// UID, ORGANIZER and range, the attendee, and `periods` (their busy time in the range, from
/// [`crate::freebusy::busy_periods`] over their calendars), made at `now`.
pub fn freebusy_reply(
    request: &FreeBusyRequest,
    attendee: &str,
    periods: Vec<BusyPeriod>,
    now: i64,
) -> Result<ItipMessage, ItipError> {
    let mut ical = freebusy_calendar(periods, request.start, request.end, now);
    let mailto = |address: &str| ICalendarValue::Uri(Uri::Location(format!("mailto:{address}")));
    if let Some(freebusy) = ical
        .components
        .iter_mut()
        .find(|c| c.component_type == ICalendarComponentType::VFreebusy)
    {
        set_property(
            freebusy,
            ICalendarProperty::Uid,
            ICalendarValue::Text(request.uid.clone()),
        );
        set_property(freebusy, ICalendarProperty::Organizer, mailto(&request.organizer));
        set_property(
            freebusy,
            ICalendarProperty::Attendee,
            mailto(&super::normalise_address(attendee)),
        );
    }
    let object = CalendarObject::from_calendar(ical)?;
    ItipMessage::new(Method::Reply, object, false)
}
