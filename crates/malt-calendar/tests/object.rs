//! Calendar object resources: what RFC 4791 §4.1 accepts and the precondition each refusal names.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::calendar_text;
use malt_calendar::{CalendarObject, ComponentKind, Precondition};

fn refused(text: &str) -> Precondition {
    CalendarObject::parse(text.as_bytes()).unwrap_err().precondition
}

const EVENT: &str = "BEGIN:VEVENT\nUID:a@example.com\nDTSTAMP:20240101T000000Z\nDTSTART:20240102T090000Z\nSUMMARY:Standup\nEND:VEVENT";

#[test]
fn an_event_with_its_override_and_timezone_is_accepted() {
    let text = calendar_text(
        "BEGIN:VTIMEZONE\nTZID:Europe/Paris\nBEGIN:STANDARD\nDTSTART:19701025T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nEND:STANDARD\nEND:VTIMEZONE\n\
         BEGIN:VEVENT\nUID:x\nDTSTAMP:20240101T000000Z\nRECURRENCE-ID;TZID=Europe/Paris:20240103T090000\nDTSTART;TZID=Europe/Paris:20240103T100000\nSUMMARY:Moved\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:x\nDTSTAMP:20240101T000000Z\nDTSTART;TZID=Europe/Paris:20240102T090000\nRRULE:FREQ=DAILY;COUNT=3\nSUMMARY:Daily\nEND:VEVENT",
    );
    let object = CalendarObject::parse(text.as_bytes()).unwrap();
    assert_eq!(object.uid(), "x");
    assert_eq!(object.kind(), ComponentKind::Event);
    // The master comes first whatever the document order.
    assert_eq!(object.summary(), Some("Daily"));
    assert_eq!(object.members().len(), 2);
    assert!(object.check_supported(&[ComponentKind::Event]).is_ok());
    assert_eq!(
        object
            .check_supported(&[ComponentKind::Todo])
            .unwrap_err()
            .precondition,
        Precondition::SupportedCalendarComponent
    );
}

#[test]
fn refusals_name_their_precondition() {
    assert_eq!(refused("not a calendar"), Precondition::ValidCalendarData);
    assert_eq!(refused(""), Precondition::ValidCalendarData);
    assert_eq!(
        refused("BEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\n"),
        Precondition::ValidCalendarData
    );
    // METHOD is for iTIP, not for stored objects.
    assert_eq!(
        refused(&calendar_text(&format!("METHOD:REQUEST\n{EVENT}"))),
        Precondition::ValidCalendarObjectResource
    );
    // Two UIDs.
    let two = EVENT.replace("a@example.com", "b@example.com");
    assert_eq!(
        refused(&calendar_text(&format!("{EVENT}\n{two}"))),
        Precondition::ValidCalendarObjectResource
    );
    // Two masters of one UID.
    assert_eq!(
        refused(&calendar_text(&format!("{EVENT}\n{EVENT}"))),
        Precondition::ValidCalendarObjectResource
    );
    // Two component types.
    let todo = "BEGIN:VTODO\nUID:a@example.com\nDTSTAMP:20240101T000000Z\nEND:VTODO";
    assert_eq!(
        refused(&calendar_text(&format!("{EVENT}\n{todo}"))),
        Precondition::ValidCalendarObjectResource
    );
    // No UID.
    assert_eq!(
        refused(&calendar_text(&EVENT.replace("UID:a@example.com\n", ""))),
        Precondition::ValidCalendarObjectResource
    );
    // Only a time zone.
    assert_eq!(
        refused(&calendar_text("BEGIN:VTIMEZONE\nTZID:UTC\nEND:VTIMEZONE")),
        Precondition::ValidCalendarObjectResource
    );
    // DTEND and DURATION together.
    assert_eq!(
        refused(&calendar_text(
            &EVENT.replace("SUMMARY", "DTEND:20240102T100000Z\nDURATION:PT1H\nSUMMARY")
        )),
        Precondition::ValidCalendarData
    );
    // A component type that is not a calendar object's.
    assert_eq!(
        refused(&calendar_text(
            "BEGIN:VAVAILABILITY\nUID:a\nDTSTAMP:20240101T000000Z\nEND:VAVAILABILITY"
        )),
        Precondition::SupportedCalendarComponent
    );
    // Two calendars in one resource.
    let one = calendar_text(EVENT);
    assert_eq!(
        refused(&format!("{one}{one}")),
        Precondition::ValidCalendarObjectResource
    );
    // Not UTF-8.
    assert_eq!(
        CalendarObject::parse(b"BEGIN:VCALENDAR\r\n\xff\r\n")
            .unwrap_err()
            .precondition,
        Precondition::ValidCalendarData
    );
}

#[test]
fn limits_are_enforced_with_a_reason() {
    let big = "X".repeat(malt_calendar::object::MAX_OBJECT_BYTES + 1);
    assert_eq!(refused(&big), Precondition::MaxResourceSize);
    let alarms = "BEGIN:VALARM\nBEGIN:VALARM\nBEGIN:VALARM\nEND:VALARM\nEND:VALARM\nEND:VALARM";
    let deep = EVENT.replace("SUMMARY", &format!("{alarms}\nSUMMARY"));
    let err = CalendarObject::parse(calendar_text(&deep).as_bytes()).unwrap_err();
    assert_eq!(err.precondition, Precondition::ValidCalendarData);
    assert!(err.reason.contains("nested"), "{}", err.reason);
}

#[test]
fn precondition_element_names_are_rfc_4791s() {
    assert_eq!(
        Precondition::ValidCalendarData.element_name(),
        "valid-calendar-data"
    );
    assert_eq!(
        Precondition::ValidCalendarObjectResource.element_name(),
        "valid-calendar-object-resource"
    );
    assert_eq!(
        Precondition::SupportedCalendarComponent.element_name(),
        "supported-calendar-component"
    );
}
