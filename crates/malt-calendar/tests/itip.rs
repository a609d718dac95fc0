//! Scheduling scenarios (RFC 5546 §4's examples as CalDAV scheduling, RFC 6638, runs them):
//! invitation, accepting reply, a counter-proposal left alone, one instance cancelled, a
//! reschedule with its SEQUENCE raised, per-instance answers, removals, deletes, SCHEDULE-AGENT
//! and SCHEDULE-FORCE-SEND, free-busy. Each organiser change goes through `organizer_changes`,
//! each message through `ItipMessage::parse` (as delivery reads it) and `deliver`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use calcard::icalendar::{ICalendarComponent, ICalendarParameterName, ICalendarProperty, ICalendarValue};
use common::*;
use malt_calendar::CalendarObject;
use malt_calendar::freebusy::{BusyPeriod, BusyType};
use malt_calendar::itip::{
    Delivered, FreeBusyRequest, ItipError, ItipMessage, Method, Role, ScheduleParty, attendee_reply,
    check_attendee_change, deliver, freebusy_reply, organizer_changes, scheduling_role, set_schedule_status,
};

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";
const CAROL: &str = "carol@example.com";
const NOW: i64 = 1_700_000_000;

/// A weekly meeting organised by Alice with Bob and Carol, in Paris time, five instances.
fn weekly(extra: &str) -> CalendarObject {
    object(&format!(
        "BEGIN:VEVENT\nUID:weekly-1\nDTSTAMP:20240101T000000Z\nSEQUENCE:0\n\
         DTSTART;TZID=Europe/Paris:20240108T100000\nDTEND;TZID=Europe/Paris:20240108T110000\n\
         RRULE:FREQ=WEEKLY;COUNT=5\nSUMMARY:Team meeting\n\
         ORGANIZER;CN=Alice:mailto:alice@example.com\n\
         ATTENDEE;PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:alice@example.com\n\
         ATTENDEE;RSVP=TRUE:mailto:bob@example.com\n\
         ATTENDEE;RSVP=TRUE:mailto:carol@example.com\n{extra}END:VEVENT"
    ))
}

/// A one-off event organised by Alice; `attendees` are extra ATTENDEE lines.
fn single(sequence: i64, start: &str, attendees: &str) -> CalendarObject {
    object(&format!(
        "BEGIN:VEVENT\nUID:single-1\nDTSTAMP:20240101T000000Z\nSEQUENCE:{sequence}\n\
         DTSTART:{start}\nDURATION:PT1H\nSUMMARY:Budget review\n\
         ORGANIZER:mailto:alice@example.com\n{attendees}END:VEVENT"
    ))
}

/// The message to `address` of `method`, read back as delivery reads it.
fn message_to(messages: &[ItipMessage], method: Method, address: &str) -> ItipMessage {
    let found = messages
        .iter()
        .find(|m| m.method == method && m.recipients == [address])
        .unwrap_or_else(|| panic!("no {method} to {address} in {messages:#?}"));
    let parsed = ItipMessage::parse(found.to_ical_string().as_bytes()).unwrap();
    assert_eq!(parsed.method, method);
    parsed
}

fn methods_to(messages: &[ItipMessage], address: &str) -> Vec<Method> {
    messages
        .iter()
        .filter(|m| m.recipients == [address])
        .map(|m| m.method)
        .collect()
}

fn members(object: &CalendarObject) -> Vec<&ICalendarComponent> {
    object
        .members()
        .iter()
        .map(|&i| &object.calendar().components[i])
        .collect()
}

/// The RECURRENCE-IDs (as written) of an object's members; "" for the master.
fn recurrence_ids(object: &CalendarObject) -> Vec<String> {
    members(object)
        .iter()
        .map(|c| {
            c.property(&ICalendarProperty::RecurrenceId)
                .map(|e| written(e.values.first().unwrap()))
                .unwrap_or_default()
        })
        .collect()
}

fn written(value: &ICalendarValue) -> String {
    match value {
        ICalendarValue::PartialDateTime(dt) => {
            let mut out = String::new();
            dt.format_as_ical(&mut out, &calcard::icalendar::ICalendarValueType::DateTime)
                .unwrap();
            out
        }
        other => format!("{other:?}"),
    }
}

/// The PARTSTAT of `address` in the member with RECURRENCE-ID `rid` ("" for the master).
fn partstat_in(object: &CalendarObject, rid: &str, address: &str) -> String {
    let index = recurrence_ids(object)
        .iter()
        .position(|r| r == rid)
        .unwrap_or_else(|| panic!("no member {rid:?}: {}", object.to_ical_string()));
    let component = members(object)[index];
    component
        .properties(&ICalendarProperty::Attendee)
        .find(|e| written_address(e.values.first().unwrap()) == address)
        .map(|e| {
            e.parameter(&ICalendarParameterName::Partstat)
                .and_then(|p| p.as_text())
                .unwrap_or("NEEDS-ACTION")
                .to_owned()
        })
        .unwrap_or_else(|| panic!("{address} not in {rid:?}"))
}

fn written_address(value: &ICalendarValue) -> String {
    malt_calendar::itip::normalise_address(value.as_text().unwrap_or_default())
}

fn property(component: &ICalendarComponent, name: ICalendarProperty) -> Option<String> {
    component
        .property(&name)
        .map(|e| e.values.first().map(written).unwrap_or_default())
}

fn store(delivered: Delivered) -> CalendarObject {
    match delivered {
        Delivered::Store { object, .. } => object,
        Delivered::Nothing(why) => panic!("nothing stored: {why}"),
    }
}

/// The attendee's copy after the invitation.
fn invited_copy(organizer_object: &CalendarObject, address: &str) -> CalendarObject {
    let changes = organizer_changes(None, Some(organizer_object), NOW).unwrap();
    let request = message_to(&changes.messages, Method::Request, address);
    store(deliver(&request, address, None).unwrap())
}

/// `object` with `from` replaced by `to` in its text.
fn edited(object: &CalendarObject, from: &str, to: &str) -> CalendarObject {
    let text = object.to_ical_string().replace("\r\n ", "");
    assert!(text.contains(from), "{from:?} not in {text}");
    CalendarObject::parse(text.replacen(from, to, 1).as_bytes()).unwrap()
}

#[test]
fn roles_follow_organizer_and_attendees() {
    let event = weekly("");
    assert_eq!(
        scheduling_role(&event, &["Alice@Example.com".into()]),
        Some(Role::Organizer(ALICE.into()))
    );
    assert_eq!(
        scheduling_role(&event, &["mailto:bob@example.com".into()]),
        Some(Role::Attendee(BOB.into()))
    );
    assert_eq!(scheduling_role(&event, &["dave@example.com".into()]), None);
    // No ATTENDEE but the organiser: not a scheduling object (RFC 6638 §3.1).
    let alone = single(0, "20240110T090000Z", "ATTENDEE:mailto:alice@example.com\n");
    assert_eq!(scheduling_role(&alone, &[ALICE.into()]), None);
}

#[test]
fn invitation_reaches_each_attendee_as_needs_action() {
    let event = weekly("");
    let changes = organizer_changes(None, Some(&event), NOW).unwrap();
    assert_eq!(changes.messages.len(), 2, "{:#?}", changes.messages);
    for address in [BOB, CAROL] {
        let request = message_to(&changes.messages, Method::Request, address);
        assert!(!request.update);
        assert_eq!(request.sender, ALICE);
        let text = request.to_ical_string();
        assert!(text.contains("METHOD:REQUEST"), "{text}");
        assert!(
            text.contains("DTSTAMP:20231114T221320Z"),
            "DTSTAMP is the message's: {text}"
        );
        let copy = store(deliver(&request, address, None).unwrap());
        assert_eq!(partstat_in(&copy, "", address), "NEEDS-ACTION");
        assert_eq!(partstat_in(&copy, "", ALICE), "ACCEPTED");
        assert!(copy.to_ical_string().contains("RRULE:FREQ=WEEKLY;COUNT=5"));
    }
    // The organiser's copy is stored as sent: nothing to change.
    assert!(changes.stored.is_none());
}

#[test]
fn new_attendees_are_stored_needs_action() {
    let event = single(
        0,
        "20240110T090000Z",
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com\n",
    );
    let changes = organizer_changes(None, Some(&event), NOW).unwrap();
    let stored = changes.stored.expect("PARTSTAT reset");
    assert_eq!(partstat_in(&stored, "", BOB), "NEEDS-ACTION");
    let request = message_to(&changes.messages, Method::Request, BOB);
    assert_eq!(partstat_in(request.object(), "", BOB), "NEEDS-ACTION");
}

#[test]
fn accepting_replies_to_the_organizer_who_records_it() {
    let event = weekly("");
    let bobs = invited_copy(&event, BOB);
    let accepted = edited(
        &bobs,
        "PARTSTAT=NEEDS-ACTION:mailto:bob",
        "PARTSTAT=ACCEPTED:mailto:bob",
    );
    let reply = attendee_reply(Some(&bobs), Some(&accepted), BOB, NOW)
        .unwrap()
        .expect("a REPLY");
    assert_eq!(reply.method, Method::Reply);
    assert_eq!(
        (reply.sender.as_str(), reply.recipients.as_slice()),
        (BOB, &[ALICE.to_owned()][..])
    );
    let text = reply.to_ical_string();
    assert!(
        text.contains("METHOD:REPLY") && !text.contains("carol"),
        "only Bob answers: {text}"
    );
    assert!(!text.contains("RRULE"), "{text}");
    let reply = ItipMessage::parse(text.as_bytes()).unwrap();
    let organizers = store(deliver(&reply, ALICE, Some(&event)).unwrap());
    assert_eq!(partstat_in(&organizers, "", BOB), "ACCEPTED");
    assert_eq!(partstat_in(&organizers, "", CAROL), "NEEDS-ACTION");
    // The same reply again changes nothing.
    assert!(matches!(
        deliver(&reply, ALICE, Some(&organizers)).unwrap(),
        Delivered::Nothing(_)
    ));
    // Writing the copy without changing the answer sends nothing.
    assert!(
        attendee_reply(Some(&accepted), Some(&accepted), BOB, NOW)
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_counter_proposal_changes_no_copy() {
    let event = single(0, "20240110T090000Z", "ATTENDEE:mailto:bob@example.com\n");
    let counter = calendar_text(
        "METHOD:COUNTER\nBEGIN:VEVENT\nUID:single-1\nDTSTAMP:20240102T000000Z\nSEQUENCE:0\n\
         DTSTART:20240111T090000Z\nDURATION:PT1H\nORGANIZER:mailto:alice@example.com\n\
         ATTENDEE;PARTSTAT=TENTATIVE:mailto:bob@example.com\nEND:VEVENT",
    );
    let counter = ItipMessage::parse(counter.as_bytes()).unwrap();
    assert_eq!(counter.method, Method::Counter);
    assert_eq!(counter.sender, BOB);
    assert!(matches!(
        deliver(&counter, ALICE, Some(&event)).unwrap(),
        Delivered::Nothing(_)
    ));
}

#[test]
fn cancelling_one_instance_sends_a_cancel_with_its_recurrence_id() {
    let event = weekly("");
    let bobs = invited_copy(&event, BOB);
    let without_third = weekly("EXDATE;TZID=Europe/Paris:20240122T100000\n");
    let changes = organizer_changes(Some(&event), Some(&without_third), NOW).unwrap();
    // EXDATE is a SEQUENCE property (RFC 5545 §3.8.7.4): raised by the server. Answers stand.
    let stored = changes.stored.expect("SEQUENCE raised");
    assert!(stored.to_ical_string().contains("SEQUENCE:1"));
    assert_eq!(methods_to(&changes.messages, BOB), vec![Method::Cancel]);
    let cancel = message_to(&changes.messages, Method::Cancel, BOB);
    assert_eq!(
        recurrence_ids(cancel.object()),
        vec!["20240122T100000".to_owned()]
    );
    let text = cancel.to_ical_string();
    assert!(
        text.contains("STATUS:CANCELLED") && text.contains("SEQUENCE:1") && !text.contains("carol"),
        "{text}"
    );
    let bobs = store(deliver(&cancel, BOB, Some(&bobs)).unwrap());
    assert_eq!(
        recurrence_ids(&bobs),
        vec![String::new(), "20240122T100000".to_owned()]
    );
    let cancelled = members(&bobs)[1];
    assert_eq!(
        property(cancelled, ICalendarProperty::Status).as_deref(),
        Some("Status(Cancelled)")
    );
    assert_eq!(
        property(cancelled, ICalendarProperty::Dtstart).as_deref(),
        Some("20240122T100000")
    );
    assert_eq!(
        property(cancelled, ICalendarProperty::Dtend).as_deref(),
        Some("20240122T110000")
    );
    // Delivered twice: nothing more to cancel.
    assert!(matches!(
        deliver(&cancel, BOB, Some(&bobs)).unwrap(),
        Delivered::Nothing(_)
    ));
}

#[test]
fn rescheduling_raises_sequence_and_asks_again() {
    let event = single(0, "20240110T090000Z", "ATTENDEE:mailto:bob@example.com\n");
    let bobs = invited_copy(&event, BOB);
    let accepted = edited(
        &bobs,
        "PARTSTAT=NEEDS-ACTION:mailto:bob",
        "PARTSTAT=ACCEPTED:mailto:bob",
    );
    let reply = attendee_reply(Some(&bobs), Some(&accepted), BOB, NOW)
        .unwrap()
        .unwrap();
    let organizers = store(deliver(&reply, ALICE, Some(&event)).unwrap());
    assert_eq!(partstat_in(&organizers, "", BOB), "ACCEPTED");

    // Alice's client moves the meeting and leaves SEQUENCE at 0.
    let moved = edited(
        &organizers,
        "DTSTART:20240110T090000Z",
        "DTSTART:20240110T140000Z",
    );
    let changes = organizer_changes(Some(&organizers), Some(&moved), NOW).unwrap();
    let stored = changes.stored.expect("SEQUENCE and PARTSTAT changed");
    assert!(stored.to_ical_string().contains("SEQUENCE:1"));
    assert_eq!(partstat_in(&stored, "", BOB), "NEEDS-ACTION");
    assert!(
        changes.messages.iter().all(|m| m.update),
        "an update, not an invitation"
    );
    let request = message_to(&changes.messages, Method::Request, BOB);
    let bobs = store(deliver(&request, BOB, Some(&accepted)).unwrap());
    assert_eq!(
        partstat_in(&bobs, "", BOB),
        "NEEDS-ACTION",
        "a new time asks for a new answer"
    );
    assert!(bobs.to_ical_string().contains("DTSTART:20240110T140000Z"));

    // Bob's answer to the old time (SEQUENCE 0) arrives late: ignored.
    assert!(matches!(
        deliver(&reply, ALICE, Some(&stored)).unwrap(),
        Delivered::Nothing(_)
    ));
    // An old REQUEST (SEQUENCE 0) does not undo the new one in Bob's copy.
    let old_request = message_to(
        &organizer_changes(None, Some(&event), NOW).unwrap().messages,
        Method::Request,
        BOB,
    );
    assert!(matches!(
        deliver(&old_request, BOB, Some(&bobs)).unwrap(),
        Delivered::Nothing(_)
    ));
}

#[test]
fn an_update_that_keeps_the_time_keeps_the_answer() {
    let event = single(0, "20240110T090000Z", "ATTENDEE:mailto:bob@example.com\n");
    let bobs = invited_copy(&event, BOB);
    let accepted = edited(
        &bobs,
        "PARTSTAT=NEEDS-ACTION:mailto:bob",
        "PARTSTAT=ACCEPTED:mailto:bob",
    );
    let renamed = edited(&event, "SUMMARY:Budget review", "SUMMARY:Budget review (room 4)");
    let changes = organizer_changes(Some(&event), Some(&renamed), NOW).unwrap();
    assert!(changes.stored.is_none(), "SUMMARY raises no SEQUENCE");
    let request = message_to(&changes.messages, Method::Request, BOB);
    let bobs = store(deliver(&request, BOB, Some(&accepted)).unwrap());
    assert_eq!(partstat_in(&bobs, "", BOB), "ACCEPTED");
    assert!(bobs.to_ical_string().contains("room 4"));
    // Nothing changed at all: nothing sent.
    assert!(
        organizer_changes(Some(&renamed), Some(&renamed), NOW)
            .unwrap()
            .messages
            .is_empty()
    );
}

#[test]
fn declining_one_instance_is_recorded_on_that_instance() {
    let event = weekly("");
    let bobs = invited_copy(&event, BOB);
    let with_override = object(&format!(
        "{}\nBEGIN:VEVENT\nUID:weekly-1\nDTSTAMP:20240101T000000Z\nRECURRENCE-ID;TZID=Europe/Paris:20240115T100000\n\
         DTSTART;TZID=Europe/Paris:20240115T100000\nDTEND;TZID=Europe/Paris:20240115T110000\nSUMMARY:Team meeting\n\
         ORGANIZER;CN=Alice:mailto:alice@example.com\nATTENDEE;PARTSTAT=DECLINED:mailto:bob@example.com\nEND:VEVENT",
        body_of(&bobs)
    ));
    let reply = attendee_reply(Some(&bobs), Some(&with_override), BOB, NOW)
        .unwrap()
        .unwrap();
    assert_eq!(recurrence_ids(reply.object()), vec!["20240115T100000".to_owned()]);
    let reply = ItipMessage::parse(reply.to_ical_string().as_bytes()).unwrap();
    let organizers = store(deliver(&reply, ALICE, Some(&event)).unwrap());
    assert_eq!(
        recurrence_ids(&organizers),
        vec![String::new(), "20240115T100000".to_owned()]
    );
    assert_eq!(partstat_in(&organizers, "20240115T100000", BOB), "DECLINED");
    assert_eq!(partstat_in(&organizers, "", BOB), "NEEDS-ACTION");
    assert_eq!(partstat_in(&organizers, "20240115T100000", CAROL), "NEEDS-ACTION");
    // The organiser now has an override Bob declined: Carol, who is in it, hears nothing new
    // about it beyond Bob's answer (answers are not news).
    let changes = organizer_changes(Some(&event), Some(&organizers), NOW).unwrap();
    assert!(changes.messages.is_empty(), "{:#?}", changes.messages);
}

#[test]
fn an_attendee_who_excludes_an_instance_declines_it() {
    // RFC 6638 §3.2.2.3: an EXDATE the attendee adds is a DECLINED REPLY for that instance,
    // an edit RFC 6638 §3.2.2.1 allows them.
    let event = weekly("");
    let bobs = invited_copy(&event, BOB);
    let without = edited(
        &bobs,
        "RRULE:FREQ=WEEKLY;COUNT=5",
        "RRULE:FREQ=WEEKLY;COUNT=5\r\nEXDATE;TZID=Europe/Paris:20240115T100000",
    );
    check_attendee_change(&bobs, &without).unwrap();
    let reply = attendee_reply(Some(&bobs), Some(&without), BOB, NOW)
        .unwrap()
        .expect("a REPLY");
    assert_eq!(recurrence_ids(reply.object()), vec!["20240115T100000".to_owned()]);
    let reply = ItipMessage::parse(reply.to_ical_string().as_bytes()).unwrap();
    let organizers = store(deliver(&reply, ALICE, Some(&event)).unwrap());
    assert_eq!(partstat_in(&organizers, "20240115T100000", BOB), "DECLINED");
    assert_eq!(partstat_in(&organizers, "", BOB), "NEEDS-ACTION");
    // Removing it again is the organiser's to do.
    assert!(check_attendee_change(&without, &bobs).is_err());
}

/// The lines of an object between BEGIN:VCALENDAR's header and END:VCALENDAR.
fn body_of(object: &CalendarObject) -> String {
    let text = object.to_ical_string().replace("\r\n ", "");
    text.lines()
        .filter(|l| {
            !matches!(*l, "BEGIN:VCALENDAR" | "END:VCALENDAR")
                && !l.starts_with("VERSION:")
                && !l.starts_with("PRODID:")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_removed_attendee_gets_a_cancel_and_the_others_an_update() {
    let event = weekly("");
    let without_carol = edited(&event, "ATTENDEE;RSVP=TRUE:mailto:carol@example.com\r\n", "");
    let changes = organizer_changes(Some(&event), Some(&without_carol), NOW).unwrap();
    assert_eq!(methods_to(&changes.messages, CAROL), vec![Method::Cancel]);
    assert_eq!(methods_to(&changes.messages, BOB), vec![Method::Request]);
    let cancel = message_to(&changes.messages, Method::Cancel, CAROL);
    assert_eq!(recurrence_ids(cancel.object()), vec![String::new()]);
    let carols = invited_copy(&event, CAROL);
    let carols = store(deliver(&cancel, CAROL, Some(&carols)).unwrap());
    assert!(
        members(&carols)
            .iter()
            .all(|c| property(c, ICalendarProperty::Status).as_deref() == Some("Status(Cancelled)"))
    );
    // Bob's copy does not take a CANCEL meant for Carol.
    let bobs = invited_copy(&event, BOB);
    assert!(matches!(
        deliver(&cancel, BOB, Some(&bobs)).unwrap(),
        Delivered::Nothing(_)
    ));
}

#[test]
fn deleting_the_event_cancels_it_for_everyone() {
    let event = weekly("");
    let changes = organizer_changes(Some(&event), None, NOW).unwrap();
    assert!(changes.stored.is_none());
    for address in [BOB, CAROL] {
        let cancel = message_to(&changes.messages, Method::Cancel, address);
        assert!(
            cancel.to_ical_string().contains("SEQUENCE:1"),
            "a delete raises SEQUENCE"
        );
        let copy = invited_copy(&event, address);
        let copy = store(deliver(&cancel, address, Some(&copy)).unwrap());
        assert!(copy.to_ical_string().contains("STATUS:CANCELLED"));
    }
}

#[test]
fn an_attendee_deleting_their_copy_declines() {
    let event = weekly("");
    let bobs = invited_copy(&event, BOB);
    let reply = attendee_reply(Some(&bobs), None, BOB, NOW)
        .unwrap()
        .expect("DECLINED");
    let organizers = store(deliver(&reply, ALICE, Some(&event)).unwrap());
    assert_eq!(partstat_in(&organizers, "", BOB), "DECLINED");
    // Deleting a cancelled event says nothing.
    let cancelled = edited(
        &bobs,
        "SUMMARY:Team meeting",
        "SUMMARY:Team meeting\r\nSTATUS:CANCELLED",
    );
    assert!(
        attendee_reply(Some(&cancelled), None, BOB, NOW)
            .unwrap()
            .is_none()
    );
}

#[test]
fn schedule_agent_client_is_left_alone() {
    // RFC 6638 §7.1: the client schedules Bob; the server only Carol.
    let event = edited(
        &weekly(""),
        "ATTENDEE;RSVP=TRUE:mailto:bob",
        "ATTENDEE;RSVP=TRUE;SCHEDULE-AGENT=CLIENT:mailto:bob",
    );
    let changes = organizer_changes(None, Some(&event), NOW).unwrap();
    assert!(methods_to(&changes.messages, BOB).is_empty());
    assert_eq!(methods_to(&changes.messages, CAROL), vec![Method::Request]);
    // On the ORGANIZER: the client schedules everyone, the server nothing.
    let event = edited(
        &weekly(""),
        "ORGANIZER;CN=Alice:",
        "ORGANIZER;CN=Alice;SCHEDULE-AGENT=CLIENT:",
    );
    let changes = organizer_changes(None, Some(&event), NOW).unwrap();
    assert!(changes.messages.is_empty() && changes.stored.is_none());
    // In an attendee's copy, the organiser's SCHEDULE-AGENT=CLIENT stops the server's REPLY.
    let bobs = edited(
        &invited_copy(&weekly(""), BOB),
        "ORGANIZER;CN=Alice:",
        "ORGANIZER;CN=Alice;SCHEDULE-AGENT=CLIENT:",
    );
    let accepted = edited(
        &bobs,
        "PARTSTAT=NEEDS-ACTION:mailto:bob",
        "PARTSTAT=ACCEPTED:mailto:bob",
    );
    assert!(
        attendee_reply(Some(&bobs), Some(&accepted), BOB, NOW)
            .unwrap()
            .is_none()
    );
}

#[test]
fn schedule_force_send_requests_again_and_is_not_stored() {
    let event = weekly("");
    let forced = edited(
        &event,
        "ATTENDEE;RSVP=TRUE:mailto:bob",
        "ATTENDEE;RSVP=TRUE;SCHEDULE-FORCE-SEND=REQUEST:mailto:bob",
    );
    let changes = organizer_changes(Some(&event), Some(&forced), NOW).unwrap();
    assert_eq!(methods_to(&changes.messages, BOB), vec![Method::Request]);
    assert!(methods_to(&changes.messages, CAROL).is_empty());
    let stored = changes.stored.expect("the parameter is removed");
    assert!(!stored.to_ical_string().contains("SCHEDULE-FORCE-SEND"));
    assert!(
        !message_to(&changes.messages, Method::Request, BOB)
            .to_ical_string()
            .contains("SCHEDULE-")
    );
}

#[test]
fn an_attendee_of_one_instance_gets_that_instance_only() {
    // Dave is invited to the second meeting only (RFC 6638 §3.2.6): Bob and Carol get the
    // master with the override; Dave gets the override; when it moves, only it is sent.
    let dave_override = |start: &str| {
        format!(
            "BEGIN:VEVENT\nUID:weekly-1\nDTSTAMP:20240101T000000Z\nRECURRENCE-ID;TZID=Europe/Paris:20240115T100000\n\
             DTSTART;TZID=Europe/Paris:{start}\nDTEND;TZID=Europe/Paris:20240115T180000\nSUMMARY:Team meeting + Dave\n\
             ORGANIZER;CN=Alice:mailto:alice@example.com\nATTENDEE:mailto:bob@example.com\n\
             ATTENDEE:mailto:dave@example.com\nEND:VEVENT"
        )
    };
    let base = weekly("");
    let with_dave = object(&format!(
        "{}\n{}",
        body_of(&base),
        dave_override("20240115T100000")
    ));
    let changes = organizer_changes(Some(&base), Some(&with_dave), NOW).unwrap();
    let to_dave = message_to(&changes.messages, Method::Request, "dave@example.com");
    assert_eq!(
        recurrence_ids(to_dave.object()),
        vec!["20240115T100000".to_owned()]
    );
    // Carol is not in the override: for her that instance is gone.
    assert_eq!(methods_to(&changes.messages, CAROL), vec![Method::Cancel]);
    let to_carol = message_to(&changes.messages, Method::Cancel, CAROL);
    assert_eq!(
        recurrence_ids(to_carol.object()),
        vec!["20240115T100000".to_owned()]
    );
    // Bob gets the new override only.
    let to_bob = message_to(&changes.messages, Method::Request, BOB);
    assert_eq!(
        recurrence_ids(to_bob.object()),
        vec!["20240115T100000".to_owned()]
    );

    let moved = object(&format!(
        "{}\n{}",
        body_of(&base),
        dave_override("20240115T160000")
    ));
    let changes = organizer_changes(Some(&with_dave), Some(&moved), NOW).unwrap();
    assert!(methods_to(&changes.messages, CAROL).is_empty());
    let to_dave = message_to(&changes.messages, Method::Request, "dave@example.com");
    assert_eq!(
        recurrence_ids(to_dave.object()),
        vec!["20240115T100000".to_owned()]
    );
    let daves = store(deliver(&to_dave, "dave@example.com", None).unwrap());
    assert!(
        daves
            .to_ical_string()
            .contains("DTSTART;TZID=Europe/Paris:20240115T160000")
    );
    // A full REQUEST to Carol carries an EXDATE for the instance she is not in.
    let to_carol = message_to(
        &organizer_changes(None, Some(&moved), NOW).unwrap().messages,
        Method::Request,
        CAROL,
    );
    assert!(
        to_carol
            .to_ical_string()
            .contains("EXDATE;TZID=Europe/Paris:20240115T100000")
    );
}

#[test]
fn messages_from_another_organizer_are_refused() {
    let event = single(0, "20240110T090000Z", "ATTENDEE:mailto:bob@example.com\n");
    let bobs = invited_copy(&event, BOB);
    let impostor = object(
        "BEGIN:VEVENT\nUID:single-1\nDTSTAMP:20240101T000000Z\nSEQUENCE:5\nDTSTART:20240110T090000Z\n\
         ORGANIZER:mailto:mallory@example.net\nATTENDEE:mailto:bob@example.com\nEND:VEVENT",
    );
    let request = message_to(
        &organizer_changes(None, Some(&impostor), NOW).unwrap().messages,
        Method::Request,
        BOB,
    );
    assert_eq!(
        deliver(&request, BOB, Some(&bobs)),
        Err(ItipError::OrganizerMismatch)
    );
    assert_eq!(
        deliver(&request, CAROL, None),
        Err(ItipError::NotAnAttendee(CAROL.into()))
    );
}

#[test]
fn parsing_refuses_what_is_not_itip() {
    let plain =
        calendar_text("BEGIN:VEVENT\nUID:x\nDTSTART:20240101T000000Z\nORGANIZER:mailto:a@x\nEND:VEVENT");
    assert_eq!(ItipMessage::parse(plain.as_bytes()), Err(ItipError::NoMethod));
    let two = calendar_text(
        "METHOD:REPLY\nBEGIN:VEVENT\nUID:x\nDTSTART:20240101T000000Z\nORGANIZER:mailto:a@x\n\
         ATTENDEE:mailto:b@x\nATTENDEE:mailto:c@x\nEND:VEVENT",
    );
    assert_eq!(
        ItipMessage::parse(two.as_bytes()),
        Err(ItipError::NotOneAttendee(Method::Reply))
    );
    let no_organizer =
        calendar_text("METHOD:REQUEST\nBEGIN:VEVENT\nUID:x\nDTSTART:20240101T000000Z\nEND:VEVENT");
    assert_eq!(
        ItipMessage::parse(no_organizer.as_bytes()),
        Err(ItipError::NoOrganizer)
    );
    let mixed = calendar_text(
        "METHOD:REQUEST\nBEGIN:VEVENT\nUID:x\nDTSTART:20240101T000000Z\nORGANIZER:mailto:a@x\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:x\nRECURRENCE-ID:20240102T000000Z\nDTSTART:20240102T000000Z\nORGANIZER:mailto:z@x\nEND:VEVENT",
    );
    let err = ItipMessage::parse(mixed.as_bytes()).unwrap_err();
    assert_eq!(err, ItipError::OrganizerDiffers);
    assert_eq!(
        err.precondition().element_name(),
        "same-organizer-in-all-components"
    );
    let unknown = calendar_text("METHOD:X-NOPE\nBEGIN:VEVENT\nUID:x\nDTSTART:20240101T000000Z\nEND:VEVENT");
    assert!(matches!(
        ItipMessage::parse(unknown.as_bytes()),
        Err(ItipError::UnknownMethod(_))
    ));
    assert!(ItipMessage::parse(b"\xff").is_err());
}

#[test]
fn too_many_attendees_are_refused() {
    let attendees: String = (0..=malt_calendar::itip::MAX_ATTENDEES)
        .map(|i| format!("ATTENDEE:mailto:user{i}@example.com\n"))
        .collect();
    let event = single(0, "20240110T090000Z", &attendees);
    // Still a scheduling object of its organiser, so that the write is refused, not stored
    // unscheduled.
    assert_eq!(
        scheduling_role(&event, &[ALICE.into()]),
        Some(Role::Organizer(ALICE.into()))
    );
    let err = organizer_changes(None, Some(&event), NOW).unwrap_err();
    assert_eq!(err, ItipError::TooManyAttendees);
    assert_eq!(err.precondition().element_name(), "max-attendees-per-instance");
}

#[test]
fn schedule_status_marks_the_right_property() {
    let event = weekly("");
    let mut ical = event.calendar().clone();
    assert!(set_schedule_status(
        &mut ical,
        ScheduleParty::Attendee,
        "MAILTO:Bob@example.com",
        "1.2"
    ));
    assert!(
        !set_schedule_status(&mut ical, ScheduleParty::Attendee, BOB, "1.2"),
        "already so"
    );
    let text = ical.to_string().replace("\r\n ", "");
    assert!(
        text.contains("SCHEDULE-STATUS=1.2:mailto:bob@example.com"),
        "{text}"
    );
    assert!(!text.contains("SCHEDULE-STATUS=1.2:mailto:carol"), "{text}");
    assert!(set_schedule_status(
        &mut ical,
        ScheduleParty::Organizer,
        ALICE,
        "2.0"
    ));
    assert!(
        ical.to_string()
            .replace("\r\n ", "")
            .contains("SCHEDULE-STATUS=2.0:mailto:alice")
    );
    // The stored status is never sent.
    let stored = CalendarObject::from_calendar(ical).unwrap();
    let changes = organizer_changes(None, Some(&stored), NOW).unwrap();
    assert!(
        !message_to(&changes.messages, Method::Request, BOB)
            .to_ical_string()
            .contains("SCHEDULE-STATUS")
    );
}

#[test]
fn freebusy_request_is_answered_per_attendee() {
    let request = calendar_text(
        "METHOD:REQUEST\nBEGIN:VFREEBUSY\nUID:fb-1\nDTSTAMP:20240101T000000Z\n\
         DTSTART:20240108T000000Z\nDTEND:20240109T000000Z\nORGANIZER:mailto:alice@example.com\n\
         ATTENDEE:mailto:bob@example.com\nATTENDEE:mailto:carol@example.com\nEND:VFREEBUSY",
    );
    let message = ItipMessage::parse(request.as_bytes()).unwrap();
    let request = FreeBusyRequest::from_message(&message).unwrap();
    assert_eq!(request.organizer, ALICE);
    assert_eq!(request.attendees, vec![BOB.to_owned(), CAROL.to_owned()]);
    assert_eq!(
        (request.start, request.end),
        (utc(2024, 1, 8, 0, 0), utc(2024, 1, 9, 0, 0))
    );
    let busy = vec![
        BusyPeriod {
            kind: BusyType::Busy,
            start: utc(2024, 1, 8, 9, 0),
            end: utc(2024, 1, 8, 10, 0),
        },
        BusyPeriod {
            kind: BusyType::Busy,
            start: utc(2024, 1, 8, 9, 30),
            end: utc(2024, 1, 8, 11, 0),
        },
    ];
    let reply = freebusy_reply(&request, "MAILTO:Bob@Example.com", busy, NOW).unwrap();
    assert_eq!((reply.method, reply.sender.as_str()), (Method::Reply, BOB));
    assert_eq!(reply.recipients, vec![ALICE.to_owned()]);
    let text = reply.to_ical_string();
    assert!(
        text.contains("METHOD:REPLY") && text.contains("UID:fb-1"),
        "{text}"
    );
    assert!(
        text.contains("FREEBUSY;FBTYPE=BUSY:20240108T090000Z/20240108T110000Z"),
        "merged: {text}"
    );
    ItipMessage::parse(text.as_bytes()).unwrap();

    let backwards = calendar_text(
        "METHOD:REQUEST\nBEGIN:VFREEBUSY\nUID:fb-2\nDTSTART:20240109T000000Z\nDTEND:20240108T000000Z\n\
         ORGANIZER:mailto:alice@example.com\nATTENDEE:mailto:bob@example.com\nEND:VFREEBUSY",
    );
    let message = ItipMessage::parse(backwards.as_bytes()).unwrap();
    assert_eq!(
        FreeBusyRequest::from_message(&message),
        Err(ItipError::FreeBusyRange)
    );
}
