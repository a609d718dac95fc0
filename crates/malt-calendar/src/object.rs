//! Calendar object resources: parsing and the checks CalDAV makes before storing one
//! (RFC 4791 §4.1, the preconditions of §5.3.2.1).
//!
//! A calendar object resource is one `VCALENDAR` holding components of exactly one type
//! (`VEVENT`, `VTODO`, `VJOURNAL` or `VFREEBUSY`) that all share one `UID` — the master and its
//! overridden instances (`RECURRENCE-ID`) — plus any `VTIMEZONE`s, and no `METHOD` property.
//!
//! Invariants of a [`CalendarObject`]: the root is a `VCALENDAR`; `members` are its direct children
//! of type `kind`, at least one, all with the same non-empty `uid`; at most one of them (the
//! master) has no `RECURRENCE-ID` and no two share a `RECURRENCE-ID` value; the text was at most
//! [`MAX_OBJECT_BYTES`], with at most [`MAX_COMPONENTS`] components nested at most
//! [`MAX_DEPTH`] deep. `no-uid-conflict` is the store's to check (it knows the collection).

use std::fmt;

use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarProperty, ICalendarValue,
};
use calcard::{Entry, Parser};

/// Largest calendar object accepted, in bytes (the `CALDAV:max-resource-size` a server
/// advertises should not exceed it).
pub const MAX_OBJECT_BYTES: usize = 4 * 1024 * 1024;
/// Most components (of any type, the `VCALENDAR` included) in one object.
pub const MAX_COMPONENTS: usize = 5_000;
/// Deepest nesting of components (`VCALENDAR` > `VEVENT` > `VALARM` is 3).
pub const MAX_DEPTH: usize = 4;

/// The precondition a refused resource violates (RFC 4791 §5.3.2.1, RFC 6352 §6.3.2.1): the
/// server answers with the element of this name in the CalDAV or CardDAV namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Not valid iCalendar (RFC 4791 §5.3.2.1 `CALDAV:valid-calendar-data`).
    ValidCalendarData,
    /// Valid iCalendar that breaks the calendar object resource rules of RFC 4791 §4.1
    /// (`CALDAV:valid-calendar-object-resource`).
    ValidCalendarObjectResource,
    /// A component type the collection does not hold (`CALDAV:supported-calendar-component`).
    SupportedCalendarComponent,
    /// Larger than the server accepts (`CALDAV:max-resource-size`, `CARDDAV:max-resource-size`).
    MaxResourceSize,
    /// Not a valid vCard (RFC 6352 §6.3.2.1 `CARDDAV:valid-address-data`).
    ValidAddressData,
    /// More attendees than the server schedules for (RFC 4791 §5.3.2.1
    /// `CALDAV:max-attendees-per-instance`).
    MaxAttendeesPerInstance,
    /// The components of a scheduling object name different organisers (RFC 6638 §3.2.4.2
    /// `CALDAV:same-organizer-in-all-components`).
    SameOrganizerInAllComponents,
    /// Not a valid iTIP message (RFC 6638 `CALDAV:valid-scheduling-message`, a scheduling outbox
    /// POST's precondition).
    ValidSchedulingMessage,
    /// An attendee changed what only the organiser may change (RFC 6638 §3.2.4.4
    /// `CALDAV:allowed-attendee-scheduling-object-change`).
    AllowedAttendeeSchedulingObjectChange,
    /// The organiser changed what the server does not let them change (RFC 6638 §3.2.4.3
    /// `CALDAV:allowed-organizer-scheduling-object-change`).
    AllowedOrganizerSchedulingObjectChange,
}

impl Precondition {
    /// The element name, without namespace.
    pub fn element_name(self) -> &'static str {
        match self {
            Precondition::ValidCalendarData => "valid-calendar-data",
            Precondition::ValidCalendarObjectResource => "valid-calendar-object-resource",
            Precondition::SupportedCalendarComponent => "supported-calendar-component",
            Precondition::MaxResourceSize => "max-resource-size",
            Precondition::ValidAddressData => "valid-address-data",
            Precondition::MaxAttendeesPerInstance => "max-attendees-per-instance",
            Precondition::SameOrganizerInAllComponents => "same-organizer-in-all-components",
            Precondition::ValidSchedulingMessage => "valid-scheduling-message",
            Precondition::AllowedAttendeeSchedulingObjectChange => {
                "allowed-attendee-scheduling-object-change"
            }
            Precondition::AllowedOrganizerSchedulingObjectChange => {
                "allowed-organizer-scheduling-object-change"
            }
        }
    }
}

impl fmt::Display for Precondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.element_name())
    }
}

/// Why a resource was refused: the precondition to report and a sentence for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{precondition}: {reason}")]
pub struct ObjectError {
    pub precondition: Precondition,
    pub reason: String,
}

impl ObjectError {
    pub(crate) fn new(precondition: Precondition, reason: impl Into<String>) -> Self {
        ObjectError {
            precondition,
            reason: reason.into(),
        }
    }
}

/// The component types a calendar object resource may be made of (RFC 4791 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComponentKind {
    Event,
    Todo,
    Journal,
    FreeBusy,
}

impl ComponentKind {
    /// All four, in the order `supported-calendar-component-set` lists them.
    pub const ALL: [ComponentKind; 4] = [
        ComponentKind::Event,
        ComponentKind::Todo,
        ComponentKind::Journal,
        ComponentKind::FreeBusy,
    ];

    /// The iCalendar name (`VEVENT`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ComponentKind::Event => "VEVENT",
            ComponentKind::Todo => "VTODO",
            ComponentKind::Journal => "VJOURNAL",
            ComponentKind::FreeBusy => "VFREEBUSY",
        }
    }

    /// The kind of a component type, if it is one of the four.
    pub fn of(component_type: &ICalendarComponentType) -> Option<ComponentKind> {
        match component_type {
            ICalendarComponentType::VEvent => Some(ComponentKind::Event),
            ICalendarComponentType::VTodo => Some(ComponentKind::Todo),
            ICalendarComponentType::VJournal => Some(ComponentKind::Journal),
            ICalendarComponentType::VFreebusy => Some(ComponentKind::FreeBusy),
            _ => None,
        }
    }

    /// The kind named `name` (ASCII case-insensitive), as in `<C:comp name="VEVENT"/>`.
    pub fn from_name(name: &str) -> Option<ComponentKind> {
        ComponentKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }
}

/// A validated calendar object resource.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarObject {
    ical: ICalendar,
    uid: String,
    kind: ComponentKind,
    members: Vec<usize>,
}

impl CalendarObject {
    /// Parse and check a calendar object resource (RFC 4791 §4.1).
    pub fn parse(bytes: &[u8]) -> Result<CalendarObject, ObjectError> {
        if bytes.len() > MAX_OBJECT_BYTES {
            return Err(ObjectError::new(
                Precondition::MaxResourceSize,
                format!("larger than {MAX_OBJECT_BYTES} bytes"),
            ));
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            ObjectError::new(
                Precondition::ValidCalendarData,
                format!("not UTF-8 (RFC 5545 §3.1.4): {e}"),
            )
        })?;
        let ical = parse_single_calendar(text)?;
        CalendarObject::from_calendar(ical)
    }

    /// Check a parsed calendar as a calendar object resource.
    pub fn from_calendar(ical: ICalendar) -> Result<CalendarObject, ObjectError> {
        check_shape(&ical)?;
        let root = root(&ical)?;
        if root.property(&ICalendarProperty::Method).is_some() {
            return Err(invalid_resource(
                "METHOD is not allowed in a calendar collection (RFC 4791 §4.1)",
            ));
        }
        let mut kind = None;
        let mut members = Vec::new();
        for &id in &root.component_ids {
            let index = id as usize;
            let Some(component) = ical.components.get(index) else {
                continue;
            };
            match &component.component_type {
                ICalendarComponentType::VTimezone => check_timezone(component)?,
                ICalendarComponentType::Other(name) if name.starts_with("X-") => {}
                other => {
                    let Some(this) = ComponentKind::of(other) else {
                        return Err(ObjectError::new(
                            Precondition::SupportedCalendarComponent,
                            format!("{} is not a calendar object component", other.as_str()),
                        ));
                    };
                    if kind.is_some_and(|k| k != this) {
                        return Err(invalid_resource(
                            "components of more than one type (RFC 4791 §4.1)",
                        ));
                    }
                    kind = Some(this);
                    members.push(index);
                }
            }
        }
        let Some(kind) = kind else {
            return Err(invalid_resource(
                "no VEVENT, VTODO, VJOURNAL or VFREEBUSY component",
            ));
        };
        let uid = check_members(&ical, &mut members, kind)?;
        Ok(CalendarObject {
            ical,
            uid,
            kind,
            members,
        })
    }

    /// The calendar as parsed.
    pub fn calendar(&self) -> &ICalendar {
        &self.ical
    }

    /// The `UID` every member shares.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// The type of the object's components.
    pub fn kind(&self) -> ComponentKind {
        self.kind
    }

    /// Indexes (into `calendar().components`) of the object's components: the master first when
    /// there is one, then the overridden instances in document order.
    pub fn members(&self) -> &[usize] {
        &self.members
    }

    /// The master component (the one without `RECURRENCE-ID`), if the object has one.
    pub fn master(&self) -> Option<&ICalendarComponent> {
        self.members
            .first()
            .and_then(|&i| self.ical.components.get(i))
            .filter(|c| c.property(&ICalendarProperty::RecurrenceId).is_none())
    }

    /// The `SUMMARY` of the master, or of the first member.
    pub fn summary(&self) -> Option<&str> {
        let first = self
            .master()
            .or_else(|| self.members.first().and_then(|&i| self.ical.components.get(i)))?;
        text_property(first, &ICalendarProperty::Summary)
    }

    /// Refuse the object when its component type is not among `supported` (the collection's
    /// `supported-calendar-component-set`, RFC 4791 §5.2.3).
    pub fn check_supported(&self, supported: &[ComponentKind]) -> Result<(), ObjectError> {
        if supported.contains(&self.kind) {
            Ok(())
        } else {
            Err(ObjectError::new(
                Precondition::SupportedCalendarComponent,
                format!("this collection does not hold {}", self.kind.name()),
            ))
        }
    }

    /// The object as iCalendar text.
    pub fn to_ical_string(&self) -> String {
        self.ical.to_string()
    }
}

/// The text of the first `property` of `component`.
pub(crate) fn text_property<'a>(
    component: &'a ICalendarComponent,
    property: &ICalendarProperty,
) -> Option<&'a str> {
    component.property(property).and_then(|e| match e.values.first() {
        Some(ICalendarValue::Text(text)) => Some(text.as_str()),
        _ => None,
    })
}

fn invalid_resource(reason: &str) -> ObjectError {
    ObjectError::new(Precondition::ValidCalendarObjectResource, reason)
}

fn invalid_data(reason: impl Into<String>) -> ObjectError {
    ObjectError::new(Precondition::ValidCalendarData, reason)
}

/// Exactly one `VCALENDAR` and nothing else but blank lines.
pub(crate) fn parse_single_calendar(text: &str) -> Result<ICalendar, ObjectError> {
    let mut parser = Parser::new(text);
    let ical = match parser.entry() {
        Entry::ICalendar(ical) => ical,
        Entry::Eof => return Err(invalid_data("empty")),
        Entry::TooManyComponents => return Err(invalid_data("too many components")),
        Entry::VCard(_) => return Err(invalid_data("a vCard, not iCalendar")),
        other => return Err(invalid_data(format!("not iCalendar: {other:?}"))),
    };
    match parser.entry() {
        Entry::Eof => Ok(ical),
        _ => Err(invalid_resource(
            "more than one VCALENDAR (RFC 4791 §4.1: one calendar object per resource)",
        )),
    }
}

/// The root component, which must be a `VCALENDAR`.
fn root(ical: &ICalendar) -> Result<&ICalendarComponent, ObjectError> {
    match ical.components.first() {
        Some(root) if root.component_type == ICalendarComponentType::VCalendar => Ok(root),
        _ => Err(invalid_data("does not begin with BEGIN:VCALENDAR")),
    }
}

/// Component count and nesting depth within the limits.
pub(crate) fn check_shape(ical: &ICalendar) -> Result<(), ObjectError> {
    if ical.components.len() > MAX_COMPONENTS {
        return Err(invalid_data(format!("more than {MAX_COMPONENTS} components")));
    }
    let mut stack = vec![(0usize, 1usize)];
    let mut visited = 0usize;
    while let Some((index, depth)) = stack.pop() {
        visited += 1;
        if depth > MAX_DEPTH {
            return Err(invalid_data(format!(
                "components nested more than {MAX_DEPTH} deep"
            )));
        }
        if visited > ical.components.len() {
            return Err(invalid_data("component tree is not a tree"));
        }
        if let Some(component) = ical.components.get(index) {
            stack.extend(component.component_ids.iter().map(|&c| (c as usize, depth + 1)));
        }
    }
    Ok(())
}

fn check_timezone(component: &ICalendarComponent) -> Result<(), ObjectError> {
    match text_property(component, &ICalendarProperty::Tzid) {
        Some(id) if !id.is_empty() => Ok(()),
        _ => Err(invalid_data("VTIMEZONE without TZID (RFC 5545 §3.6.5)")),
    }
}

/// One UID for all members, one master at most, distinct RECURRENCE-IDs; returns the UID.
/// Moves the master (if any) to the front of `members`.
fn check_members(
    ical: &ICalendar,
    members: &mut Vec<usize>,
    kind: ComponentKind,
) -> Result<String, ObjectError> {
    let mut uid: Option<&str> = None;
    let mut master = None;
    let mut recurrence_ids = Vec::new();
    for (position, &index) in members.iter().enumerate() {
        let Some(component) = ical.components.get(index) else {
            continue;
        };
        let this_uid = match text_property(component, &ICalendarProperty::Uid) {
            Some(u) if !u.trim().is_empty() => u,
            _ => return Err(invalid_resource("a component without UID (RFC 4791 §4.1)")),
        };
        if uid.is_some_and(|u| u != this_uid) {
            return Err(invalid_resource("components with different UIDs (RFC 4791 §4.1)"));
        }
        uid = Some(this_uid);
        check_times(component, kind)?;
        match component.property(&ICalendarProperty::RecurrenceId) {
            None if master.is_some() => {
                return Err(invalid_resource("more than one component without RECURRENCE-ID"));
            }
            None => master = Some(position),
            Some(entry) => {
                let value = entry.values.first();
                if recurrence_ids.contains(&value) {
                    return Err(invalid_resource("two components with one RECURRENCE-ID"));
                }
                recurrence_ids.push(value);
            }
        }
    }
    if let Some(position) = master.filter(|&p| p > 0) {
        let index = members.remove(position);
        members.insert(0, index);
    }
    uid.map(str::to_string)
        .ok_or_else(|| invalid_resource("no component"))
}

/// The date rules of RFC 5545 §3.6 that matter to time ranges.
fn check_times(component: &ICalendarComponent, kind: ComponentKind) -> Result<(), ObjectError> {
    let has = |p: &ICalendarProperty| component.property(p).is_some();
    let end = match kind {
        ComponentKind::Todo => ICalendarProperty::Due,
        _ => ICalendarProperty::Dtend,
    };
    if has(&end) && has(&ICalendarProperty::Duration) {
        return Err(invalid_data(format!(
            "{} with both {} and DURATION (RFC 5545 §3.6)",
            kind.name(),
            end.as_str()
        )));
    }
    if kind == ComponentKind::Event && !has(&ICalendarProperty::Dtstart) {
        return Err(invalid_data("VEVENT without DTSTART (RFC 5545 §3.6.1)"));
    }
    if kind == ComponentKind::Todo && has(&ICalendarProperty::Duration) && !has(&ICalendarProperty::Dtstart) {
        return Err(invalid_data(
            "VTODO with DURATION but no DTSTART (RFC 5545 §3.6.2)",
        ));
    }
    Ok(())
}
