//! Partial retrieval (`select`): the `comp` / `prop` selection of RFC 4791 §9.6.1 on the
//! example of §7.8.1, `novalue`, `limit-freebusy-set` (§9.6.7), the `prop` selection of
//! `address-data` (RFC 6352 §10.4.2), and properties: all of everything is the identity, the
//! result always parses, and selection never adds a property.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use calcard::icalendar::ICalendar;
use common::{object, utc};
use malt_calendar::select::{
    CompSelection, PropSelection, Selection, limit_freebusy_set, select_calendar, select_card,
};
use malt_calendar::vcard::{VCardObject, Version};
use malt_calendar::{TimeRange, Tz};
use proptest::prelude::*;

/// The data of RFC 4791 §7.8.1 (abcd2: a recurring event with an override, in US/Eastern).
const ABCD2: &str = "BEGIN:VTIMEZONE\nLAST-MODIFIED:20040110T032845Z\nTZID:US/Eastern\n\
BEGIN:DAYLIGHT\nDTSTART:20000404T020000\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4\nTZNAME:EDT\n\
TZOFFSETFROM:-0500\nTZOFFSETTO:-0400\nEND:DAYLIGHT\nBEGIN:STANDARD\nDTSTART:20001026T020000\n\
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nTZNAME:EST\nTZOFFSETFROM:-0400\nTZOFFSETTO:-0500\n\
END:STANDARD\nEND:VTIMEZONE\n\
BEGIN:VEVENT\nDTSTAMP:20060206T001121Z\nDTSTART;TZID=US/Eastern:20060102T120000\nDURATION:PT1H\n\
RRULE:FREQ=DAILY;COUNT=5\nSUMMARY:Event #2\nUID:00959BC664CA650E933C892C@example.com\n\
BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT15M\nDESCRIPTION:Reminder\nEND:VALARM\nEND:VEVENT\n\
BEGIN:VEVENT\nDTSTAMP:20060206T001121Z\nDTSTART;TZID=US/Eastern:20060104T140000\nDURATION:PT1H\n\
RECURRENCE-ID;TZID=US/Eastern:20060104T120000\nSUMMARY:Event #2 bis\n\
UID:00959BC664CA650E933C892C@example.com\nEND:VEVENT";

fn prop(name: &str) -> PropSelection {
    PropSelection {
        name: name.into(),
        novalue: false,
    }
}

fn props(names: &[&str]) -> Selection<PropSelection> {
    Selection::Only(names.iter().map(|n| prop(n)).collect())
}

/// The selection of RFC 4791 §7.8.1.
fn rfc_selection() -> CompSelection {
    CompSelection {
        name: "VCALENDAR".into(),
        props: props(&["VERSION"]),
        comps: Selection::Only(vec![
            CompSelection {
                name: "VEVENT".into(),
                props: props(&[
                    "SUMMARY",
                    "UID",
                    "DTSTART",
                    "DTEND",
                    "DURATION",
                    "RRULE",
                    "RDATE",
                    "EXRULE",
                    "EXDATE",
                    "RECURRENCE-ID",
                ]),
                comps: Selection::Only(vec![]),
            },
            CompSelection::all("VTIMEZONE"),
        ]),
    }
}

#[test]
fn rfc4791_7_8_1_selection() {
    let o = object(ABCD2);
    let text = select_calendar(o.calendar(), &rfc_selection()).to_string();
    // VERSION kept, PRODID dropped; the VTIMEZONE whole; the VEVENTs with the listed
    // properties only (no DTSTAMP, no VALARM).
    assert!(text.contains("VERSION:2.0") && !text.contains("PRODID"), "{text}");
    for kept in [
        "TZOFFSETTO:-0400",
        "LAST-MODIFIED:20040110T032845Z",
        "SUMMARY:Event #2 bis",
        "RRULE:FREQ=DAILY;COUNT=5",
        "RECURRENCE-ID;TZID=US/Eastern:20060104T120000",
        "DURATION:PT1H",
    ] {
        assert!(text.contains(kept), "{kept}: {text}");
    }
    assert!(!text.contains("DTSTAMP") && !text.contains("VALARM"), "{text}");
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 2);
    // The order of what is kept is the source's.
    let original = o.calendar().to_string();
    let first_event = |t: &str| t.find("BEGIN:VEVENT").unwrap();
    assert!(first_event(&text) > text.find("END:VTIMEZONE").unwrap());
    assert!(first_event(&original) > original.find("END:VTIMEZONE").unwrap());
}

#[test]
fn novalue_and_unlisted_components() {
    let o = object(ABCD2);
    let selection = CompSelection {
        name: "VCALENDAR".into(),
        props: Selection::Only(vec![]),
        comps: Selection::Only(vec![CompSelection {
            name: "vevent".into(),
            props: Selection::Only(vec![
                prop("uid"),
                PropSelection {
                    name: "SUMMARY".into(),
                    novalue: true,
                },
            ]),
            comps: Selection::All,
        }]),
    };
    let text = select_calendar(o.calendar(), &selection).to_string();
    assert!(!text.contains("VTIMEZONE") && !text.contains("VERSION"), "{text}");
    assert!(text.contains("SUMMARY") && !text.contains("Event #2"), "{text}");
    assert!(
        text.contains("TRIGGER:-PT15M"),
        "allcomp keeps the VALARM whole: {text}"
    );
    assert!(ICalendar::parse(&text).is_ok(), "{text}");
}

#[test]
fn limit_freebusy_set_keeps_overlapping_periods() {
    let o = object(
        "BEGIN:VFREEBUSY\nUID:fb\nDTSTAMP:20260101T000000Z\n\
         FREEBUSY:20260101T100000Z/PT1H,20260301T100000Z/20260301T110000Z\n\
         FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260401T100000Z/PT1H\nEND:VFREEBUSY",
    );
    let range = TimeRange::new(utc(2026, 2, 1, 0, 0), utc(2026, 3, 15, 0, 0));
    let text = limit_freebusy_set(o.calendar(), &range, Tz::UTC).to_string();
    assert!(text.contains("20260301T100000Z"), "{text}");
    assert!(
        !text.contains("20260101T100000Z") && !text.contains("BUSY-TENTATIVE"),
        "{text}"
    );
    assert!(text.contains("UID:fb"), "{text}");
    // A period ending at the range's start does not overlap it.
    let at_end = TimeRange::new(utc(2026, 3, 1, 11, 0), utc(2026, 3, 2, 0, 0));
    assert!(
        !limit_freebusy_set(o.calendar(), &at_end, Tz::UTC)
            .to_string()
            .contains("FREEBUSY:")
    );
}

#[test]
fn rfc6352_address_data_props() {
    // RFC 6352 §8.6.4's selection: VERSION, UID, NICKNAME, EMAIL, FN.
    let card = VCardObject::parse(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:o1\r\nNICKNAME:me\r\nFN:Cyrus Daboo\r\nN:Daboo;Cyrus;;;\r\n\
          item1.EMAIL;TYPE=INTERNET:daboo@example.com\r\nTEL:+1\r\nEND:VCARD\r\n",
    )
    .unwrap();
    let text = select_card(
        card.card(),
        &props(&["VERSION", "UID", "NICKNAME", "EMAIL", "FN"]),
        Version::V3,
    );
    assert_eq!(
        text,
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:o1\r\nNICKNAME:me\r\nFN:Cyrus Daboo\r\n\
         item1.EMAIL;TYPE=INTERNET:daboo@example.com\r\nEND:VCARD\r\n"
    );
    let text = select_card(
        card.card(),
        &Selection::Only(vec![PropSelection {
            name: "tel".into(),
            novalue: true,
        }]),
        Version::V4,
    );
    assert_eq!(text, "BEGIN:VCARD\r\nVERSION:4.0\r\nTEL:\r\nEND:VCARD\r\n");
}

const NAMES: [&str; 10] = [
    "VERSION", "PRODID", "UID", "SUMMARY", "DTSTART", "RRULE", "TZID", "TRIGGER", "DURATION", "X-NONE",
];
const COMPS: [&str; 6] = ["VEVENT", "VTIMEZONE", "VALARM", "STANDARD", "DAYLIGHT", "VTODO"];

fn any_props() -> impl Strategy<Value = Selection<PropSelection>> {
    prop_oneof![
        Just(Selection::All),
        prop::collection::vec((0..NAMES.len(), any::<bool>()), 0..5).prop_map(|v| {
            Selection::Only(
                v.into_iter()
                    .map(|(i, novalue)| PropSelection {
                        name: NAMES[i].into(),
                        novalue,
                    })
                    .collect(),
            )
        }),
    ]
}

fn any_selection() -> impl Strategy<Value = CompSelection> {
    let leaf = (0..COMPS.len(), any_props()).prop_map(|(i, props)| CompSelection {
        name: COMPS[i].into(),
        props,
        comps: Selection::All,
    });
    let tree = leaf.prop_recursive(3, 16, 4, |inner| {
        (
            0..COMPS.len(),
            any_props(),
            prop_oneof![
                Just(Selection::All),
                prop::collection::vec(inner, 0..4).prop_map(Selection::Only)
            ],
        )
            .prop_map(|(i, props, comps)| CompSelection {
                name: COMPS[i].into(),
                props,
                comps,
            })
    });
    (any_props(), prop::collection::vec(tree, 0..4)).prop_map(|(props, comps)| CompSelection {
        name: "VCALENDAR".into(),
        props,
        comps: Selection::Only(comps),
    })
}

/// Unfolded content lines of a written calendar.
fn lines(text: &str) -> Vec<String> {
    text.replace("\r\n ", "").lines().map(str::to_owned).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn selection_properties(selection in any_selection()) {
        let source = object(ABCD2);
        let original = source.calendar().to_string();
        // All of everything is the identity.
        let all = select_calendar(source.calendar(), &CompSelection::all("VCALENDAR"));
        prop_assert_eq!(all.to_string(), original.clone());
        // Any selection parses and adds nothing: every line it writes is a line of the source,
        // or (novalue) the start of one.
        let text = select_calendar(source.calendar(), &selection).to_string();
        prop_assert!(ICalendar::parse(&text).is_ok(), "{}", text);
        let source_lines = lines(&original);
        for line in lines(&text) {
            prop_assert!(
                source_lines.iter().any(|s| s == &line || (line.ends_with(':') && s.starts_with(&line))),
                "{} in\n{}", line, text
            );
        }
        prop_assert!(text.len() <= original.len());
    }
}
