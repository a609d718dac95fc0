//! CardDAV: vCard checks, 3.0 ⇄ 4.0 conversion, addressbook-query filters (RFC 6352 §10.5).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use malt_calendar::Precondition;
use malt_calendar::filter::ParamFilter;
use malt_calendar::text::{Collation, MatchType, TextMatch};
use malt_calendar::vcard::{AddressbookFilter, CardPropFilter, Test, VCardObject, Version};

const V3: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:Cyrus Daboo\r\nN:Daboo;Cyrus;;;\r\nEMAIL;TYPE=work:cyrus@example.com\r\nTEL;TYPE=cell:+1-555-0100\r\nEND:VCARD\r\n";
const V4: &str = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:c2\r\nFN:Émilie Durand\r\nEMAIL;TYPE=home:emilie@example.org\r\nEND:VCARD\r\n";

fn text(value: &str, match_type: MatchType) -> TextMatch {
    TextMatch {
        value: value.into(),
        collation: Collation::UnicodeCasemap,
        match_type,
        negate: false,
    }
}

#[test]
fn cards_are_checked() {
    let card = VCardObject::parse(V3.as_bytes()).unwrap();
    assert_eq!(card.uid(), "c1");
    assert_eq!(card.version(), Version::V3);
    assert_eq!(card.formatted_name(), Some("Cyrus Daboo"));
    let refused = |t: &str| VCardObject::parse(t.as_bytes()).unwrap_err().precondition;
    assert_eq!(
        refused(&V3.replace("UID:c1\r\n", "")),
        Precondition::ValidAddressData
    );
    assert_eq!(
        refused(&V3.replace("FN:Cyrus Daboo\r\n", "")),
        Precondition::ValidAddressData
    );
    assert_eq!(
        refused(&V3.replace("VERSION:3.0", "VERSION:2.1")),
        Precondition::ValidAddressData
    );
    assert_eq!(refused(&format!("{V3}{V3}")), Precondition::ValidAddressData);
    assert_eq!(
        refused("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
        Precondition::ValidAddressData
    );
}

#[test]
fn versions_convert_both_ways() {
    let v3 = VCardObject::parse(V3.as_bytes()).unwrap();
    let as_v4 = v3.to_version(Version::V4);
    assert!(as_v4.contains("VERSION:4.0"), "{as_v4}");
    let back = VCardObject::parse(as_v4.as_bytes()).unwrap();
    assert_eq!(back.version(), Version::V4);
    assert_eq!(back.uid(), "c1");
    assert_eq!(back.formatted_name(), Some("Cyrus Daboo"));
    let v4 = VCardObject::parse(V4.as_bytes()).unwrap();
    let as_v3 = v4.to_version(Version::V3);
    assert!(as_v3.contains("VERSION:3.0"), "{as_v3}");
    assert_eq!(VCardObject::parse(as_v3.as_bytes()).unwrap().uid(), "urn:uuid:c2");
}

#[test]
fn addressbook_query_filters() {
    let cyrus = VCardObject::parse(V3.as_bytes()).unwrap();
    let emilie = VCardObject::parse(V4.as_bytes()).unwrap();
    let by = |name: &str, m: TextMatch| CardPropFilter {
        name: name.into(),
        text_matches: vec![m],
        ..CardPropFilter::default()
    };
    // RFC 6352 §8.6.4-style: FN contains "daboo" (i;unicode-casemap).
    let fn_daboo = AddressbookFilter {
        test: Test::AnyOf,
        prop_filters: vec![by("FN", text("daboo", MatchType::Contains))],
    };
    assert!(fn_daboo.matches(&cyrus));
    assert!(!fn_daboo.matches(&emilie));
    // Unicode folding: "émilie" starts "Émilie Durand".
    let starts = AddressbookFilter {
        test: Test::AnyOf,
        prop_filters: vec![by("FN", text("émilie", MatchType::StartsWith))],
    };
    assert!(starts.matches(&emilie));
    // allof over two prop-filters.
    let both = AddressbookFilter {
        test: Test::AllOf,
        prop_filters: vec![
            by("EMAIL", text("@example.com", MatchType::EndsWith)),
            by("TEL", text("555", MatchType::Contains)),
        ],
    };
    assert!(both.matches(&cyrus));
    assert!(!both.matches(&emilie));
    // param-filter on TYPE, and is-not-defined.
    let work_email = AddressbookFilter {
        test: Test::AnyOf,
        prop_filters: vec![CardPropFilter {
            name: "EMAIL".into(),
            param_filters: vec![ParamFilter {
                name: "TYPE".into(),
                text_match: Some(text("work", MatchType::Equals)),
                ..ParamFilter::default()
            }],
            ..CardPropFilter::default()
        }],
    };
    assert!(work_email.matches(&cyrus));
    assert!(!work_email.matches(&emilie));
    let no_tel = AddressbookFilter {
        test: Test::AnyOf,
        prop_filters: vec![CardPropFilter {
            name: "TEL".into(),
            is_not_defined: true,
            ..CardPropFilter::default()
        }],
    };
    assert!(no_tel.matches(&emilie));
    assert!(!no_tel.matches(&cyrus));
    assert!(AddressbookFilter::default().matches(&cyrus));
}

#[test]
fn directory_cards_are_valid_vcards() {
    use malt_calendar::vcard::{DirectoryCard, directory_card};
    let person = directory_card(&DirectoryCard {
        uid: "urn:uuid:1",
        group: false,
        name: "Zoë, the \"boss\"; x",
        email: "zoe@example.com",
        members: &[],
    });
    let card = VCardObject::parse(person.as_bytes()).unwrap();
    assert_eq!(card.uid(), "urn:uuid:1");
    assert_eq!(
        card.formatted_name(),
        Some("Zoë, the \"boss\"; x"),
        "escaped and read back: {person}"
    );
    let upper = person.to_uppercase();
    assert!(
        upper.contains("KIND:INDIVIDUAL") && person.contains("EMAIL:zoe@example.com"),
        "{person}"
    );
    let members = ["a@example.com".to_owned(), "b@example.com".to_owned()];
    let group = directory_card(&DirectoryCard {
        uid: "urn:uuid:2",
        group: true,
        name: "Team",
        email: "team@example.com",
        members: &members,
    });
    VCardObject::parse(group.as_bytes()).unwrap();
    assert!(group.to_uppercase().contains("KIND:GROUP"), "{group}");
    assert!(
        group.contains("MEMBER:mailto:a@example.com\r\nMEMBER:mailto:b@example.com\r\n"),
        "{group}"
    );
    // As vCard 3.0 (RFC 6352 §10.4 address-data version) it stays readable.
    let v3 = VCardObject::parse(group.as_bytes())
        .unwrap()
        .to_version(Version::V3);
    VCardObject::parse(v3.as_bytes()).unwrap();
}
