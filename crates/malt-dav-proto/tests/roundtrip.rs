//! Property tests: whatever multistatus or error body the writer produces, the reader returns
//! unchanged (names in any namespace, text with markup characters and CR/LF, attributes); and
//! no input, however broken, makes any parser panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use malt_dav_proto::name::{APPLE_ICAL, CALDAV, CARDDAV, DAV, XML};
use malt_dav_proto::request::{parse_mkcalendar, parse_mkcol, parse_propfind, parse_proppatch, parse_report};
use malt_dav_proto::response::*;
use malt_dav_proto::{Attribute, Element, Limits, Name, Node, element_to_xml, parse_document};
use proptest::prelude::*;

/// Characters XML can carry (the writer replaces the others).
fn xml_char() -> impl Strategy<Value = char> {
    any::<char>().prop_filter("XML Char", |&c| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(xml_char(), 0..30).prop_map(|v| v.into_iter().collect()),
        prop::sample::select(vec![
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n".to_owned(),
            "a < b && c > d \"quoted\" 'single'".to_owned(),
            "  ".to_owned(),
            "]]>".to_owned(),
        ]),
    ]
}

fn name() -> impl Strategy<Value = Name> {
    let ns = prop::sample::select(vec![
        DAV,
        CALDAV,
        CARDDAV,
        APPLE_ICAL,
        "",
        "urn:x",
        "http://example.com/ns/",
    ]);
    (ns, "[a-zA-Z_][a-zA-Z0-9._-]{0,8}").prop_map(|(ns, local)| Name::new(ns, &local))
}

fn attributes() -> impl Strategy<Value = Vec<Attribute>> {
    let attr_ns = prop::sample::select(vec!["", "", DAV, "urn:z", XML]);
    prop::collection::vec((attr_ns, "[a-z][a-z0-9-]{0,6}", text()), 0..3).prop_map(|v| {
        let mut out: Vec<Attribute> = Vec::new();
        for (ns, local, value) in v {
            let name = Name::new(ns, &local);
            if !out.iter().any(|a| a.name == name) {
                out.push(Attribute { name, value });
            }
        }
        out
    })
}

/// Elements as the reader builds them: text alone (never empty) or elements alone.
fn element() -> impl Strategy<Value = Element> {
    let leaf = (name(), attributes(), prop::option::of(text())).prop_map(|(name, attrs, text)| Element {
        name,
        attrs,
        children: text
            .filter(|t| !t.is_empty())
            .map(Node::Text)
            .into_iter()
            .collect(),
    });
    leaf.prop_recursive(4, 24, 4, |inner| {
        (name(), attributes(), prop::collection::vec(inner, 1..4)).prop_map(|(name, attrs, children)| {
            Element {
                name,
                attrs,
                children: children.into_iter().map(Node::Element).collect(),
            }
        })
    })
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        prop::sample::select(vec![200u16, 403, 404, 409, 424, 507]),
        100u16..600
    ]
}

fn propstat() -> impl Strategy<Value = PropStat> {
    (
        prop::collection::vec(element(), 0..4),
        status(),
        prop::collection::vec(element(), 0..2),
        prop::option::of(text()),
    )
        .prop_map(|(props, status, error, description)| PropStat {
            props,
            status,
            error,
            description,
        })
}

fn response() -> impl Strategy<Value = Response> {
    let body = prop_oneof![
        status().prop_map(ResponseBody::Status),
        prop::collection::vec(propstat(), 0..3).prop_map(ResponseBody::PropStats),
    ];
    (
        text(),
        body,
        prop::collection::vec(element(), 0..2),
        prop::option::of(text()),
    )
        .prop_map(|(href, body, error, description)| Response {
            href,
            body,
            error,
            description,
        })
}

fn multistatus() -> impl Strategy<Value = Multistatus> {
    (
        prop::collection::vec(response(), 0..5),
        prop::option::of(text()),
        prop::option::of(text()),
    )
        .prop_map(|(responses, sync_token, description)| Multistatus {
            responses,
            sync_token,
            description,
        })
}

/// Every parser over `data`: none may panic (the check of `fuzz/fuzz_targets/dav_xml.rs`).
fn parse_everything(data: &[u8]) {
    let limits = Limits::default();
    let _ = parse_document(data, &limits);
    let _ = parse_propfind(data, &limits);
    let _ = parse_proppatch(data, &limits);
    let _ = parse_mkcol(data, &limits);
    let _ = parse_mkcalendar(data, &limits);
    let _ = parse_report(data, &limits);
    let _ = parse_error_body(data, &limits);
    if let Ok(ms) = parse_multistatus(data, &limits) {
        assert_eq!(parse_multistatus(&ms.to_xml(), &Limits::trusted()).unwrap(), ms);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn multistatus_round_trips(ms in multistatus()) {
        let xml = ms.to_xml();
        prop_assert_eq!(parse_multistatus(&xml, &Limits::trusted()).unwrap(), ms);
    }

    #[test]
    fn streamed_multistatus_is_the_same_body(ms in multistatus()) {
        let mut w = MultistatusWriter::new();
        let mut streamed = Vec::new();
        for r in &ms.responses {
            w.response(r);
            streamed.extend(w.take());
        }
        streamed.extend(w.finish(ms.sync_token.as_deref(), ms.description.as_deref()));
        prop_assert_eq!(streamed, ms.to_xml());
    }

    #[test]
    fn elements_and_error_bodies_round_trip(e in element(), conditions in prop::collection::vec(element(), 0..3)) {
        let fragment = element_to_xml(&e);
        prop_assert_eq!(parse_document(fragment.as_bytes(), &Limits::trusted()).unwrap(), e);
        prop_assert_eq!(parse_error_body(&error_body(&conditions), &Limits::trusted()).unwrap(), conditions);
    }

    #[test]
    fn propstat_bodies_round_trip(ps in prop::collection::vec(propstat(), 0..3)) {
        let body = propstat_body(Name::caldav("mkcalendar-response"), &ps);
        let root = parse_document(&body, &Limits::trusted()).unwrap();
        prop_assert!(root.is(CALDAV, "mkcalendar-response"));
        prop_assert_eq!(root.elements().count(), ps.len());
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..512)) {
        parse_everything(&data);
    }

    #[test]
    fn xml_token_soup_never_panics(tokens in prop::collection::vec(prop::sample::select(TOKENS.to_vec()), 0..40)) {
        parse_everything(tokens.concat().as_bytes());
    }
}

/// Fragments of WebDAV bodies, glued at random by the soup test.
const TOKENS: &[&str] = &[
    "<?xml version=\"1.0\"?>",
    "<D:multistatus xmlns:D=\"DAV:\">",
    "</D:multistatus>",
    "<D:response>",
    "</D:response>",
    "<D:href>/a.ics</D:href>",
    "<D:propstat><D:prop>",
    "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>",
    "<D:status>HTTP/1.1 404 Not Found</D:status>",
    "<D:status>nonsense</D:status>",
    "<D:getetag>\"e\"</D:getetag>",
    "<D:sync-token>t</D:sync-token>",
    "<D:error><C:no-uid-conflict xmlns:C=\"urn:ietf:params:xml:ns:caldav\"/></D:error>",
    "<C:calendar-query xmlns:C=\"urn:ietf:params:xml:ns:caldav\" xmlns:D=\"DAV:\">",
    "</C:calendar-query>",
    "<C:filter>",
    "</C:filter>",
    "<C:comp-filter name=\"VCALENDAR\">",
    "<C:comp-filter name=\"VEVENT\">",
    "</C:comp-filter>",
    "<C:time-range start=\"20060104T000000Z\" end=\"20060105T000000Z\"/>",
    "<C:time-range start=\"bad\"/>",
    "<C:prop-filter name=\"UID\">",
    "</C:prop-filter>",
    "<C:text-match negate-condition=\"maybe\">x</C:text-match>",
    "<C:param-filter name=\"PARTSTAT\"><C:is-not-defined/></C:param-filter>",
    "<C:calendar-data><C:comp name=\"VCALENDAR\"><C:allprop/><C:allcomp/></C:comp></C:calendar-data>",
    "<C:expand start=\"20060104T000000Z\"/>",
    "<D:prop>",
    "</D:prop>",
    "<D:allprop/>",
    "<D:propname/>",
    "<D:propfind xmlns:D=\"DAV:\">",
    "</D:propfind>",
    "<D:propertyupdate xmlns:D=\"DAV:\"><D:set>",
    "</D:set></D:propertyupdate>",
    "<D:sync-collection xmlns:D=\"DAV:\"><D:sync-token/><D:sync-level>1</D:sync-level>",
    "</D:sync-collection>",
    "<D:limit><D:nresults>0</D:nresults></D:limit>",
    "<CR:addressbook-query xmlns:CR=\"urn:ietf:params:xml:ns:carddav\" xmlns:D=\"DAV:\">",
    "<CR:filter test=\"allof\"><CR:prop-filter name=\"FN\"><CR:text-match match-type=\"equals\">a</CR:text-match>",
    "</CR:prop-filter></CR:filter></CR:addressbook-query>",
    "<!DOCTYPE x>",
    "<![CDATA[ <not markup> ]]>",
    "&amp;&#13;&#x1F600;&bogus;&#0;",
    "<x:y xmlns:x=\"\"/>",
    "<undeclared:z/>",
    "<a b=\"1\" b=\"2\"/>",
    "\r\n  ",
    "<",
    ">",
    "\"",
];
