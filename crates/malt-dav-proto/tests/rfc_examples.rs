//! The request and response bodies of the RFC examples, parsed: RFC 4918 §9 (PROPFIND,
//! PROPPATCH responses), RFC 4791 §7.8-§7.10 (calendar-query, calendar-multiget,
//! free-busy-query), RFC 6352 §8.6-§8.7 (addressbook-query, addressbook-multiget) and RFC 6578
//! §3.8-§3.11 (sync-collection). Each response is also written back and read again unchanged.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use malt_dav_proto::name::{CARDDAV, DAV};
use malt_dav_proto::request::*;
use malt_dav_proto::response::*;
use malt_dav_proto::time::parse_utc;
use malt_dav_proto::{Element, Limits, Name};

fn report(body: &str) -> ReportRequest {
    parse_report(body.as_bytes(), &Limits::default()).unwrap()
}

fn calendar_query(body: &str) -> CalendarQuery {
    match report(body) {
        ReportRequest::CalendarQuery(q) => q,
        other => panic!("not a calendar-query: {other:?}"),
    }
}

fn range(start: &str, end: &str) -> TimeRange {
    TimeRange {
        start: Some(parse_utc(start).unwrap()),
        end: Some(parse_utc(end).unwrap()),
    }
}

/// The `VCALENDAR` filter's one component filter.
fn inner(q: &CalendarQuery) -> &CompFilter {
    assert_eq!(q.filter.name, "VCALENDAR");
    match &q.filter.test {
        CompTest::Defined {
            comps,
            time_range: None,
            props,
        } if props.is_empty() && comps.len() == 1 => &comps[0],
        other => panic!("{other:?}"),
    }
}

/// Parses a multistatus, writes it, reads it again: the same.
fn multistatus(body: &str) -> Multistatus {
    let limits = Limits::default();
    let ms = parse_multistatus(body.as_bytes(), &limits).unwrap();
    let again = parse_multistatus(&ms.to_xml(), &limits).unwrap();
    assert_eq!(again, ms, "written and read back unchanged");
    ms
}

fn prop_names(p: &PropStat) -> Vec<String> {
    p.props.iter().map(|e| e.name.local.clone()).collect()
}

// ---- RFC 4918 --------------------------------------------------------------------------

/// RFC 4918 §9.1.3: the response, with a 403 propstat and descriptions.
#[test]
fn rfc4918_named_properties_response() {
    let body = r#"<?xml version="1.0" encoding="utf-8" ?>
   <D:multistatus xmlns:D="DAV:">
     <D:response xmlns:R="http://ns.example.com/boxschema/">
       <D:href>http://www.example.com/file</D:href>
       <D:propstat>
         <D:prop>
           <R:bigbox>
             <R:BoxType>Box type A</R:BoxType>
           </R:bigbox>
           <R:author>
             <R:Name>J.J. Johnson</R:Name>
           </R:author>
         </D:prop>
         <D:status>HTTP/1.1 200 OK</D:status>
       </D:propstat>
       <D:propstat>
         <D:prop><R:DingALing/><R:Random/></D:prop>
         <D:status>HTTP/1.1 403 Forbidden</D:status>
         <D:responsedescription> The user does not have access to the
   DingALing property.
         </D:responsedescription>
       </D:propstat>
     </D:response>
     <D:responsedescription> There has been an access violation error.
     </D:responsedescription>
   </D:multistatus>"#;
    let ms = multistatus(body);
    assert!(ms.description.unwrap().contains("access violation"));
    let r = &ms.responses[0];
    assert_eq!(r.href, "http://www.example.com/file");
    let ResponseBody::PropStats(ps) = &r.body else {
        panic!()
    };
    assert_eq!((ps[0].status, ps[1].status), (200, 403));
    assert_eq!(prop_names(&ps[0]), ["bigbox", "author"]);
    let bigbox = &ps[0].props[0];
    assert_eq!(bigbox.name.ns, "http://ns.example.com/boxschema/");
    assert_eq!(
        bigbox
            .child("http://ns.example.com/boxschema/", "BoxType")
            .unwrap()
            .text(),
        "Box type A"
    );
    assert!(ps[1].description.as_deref().unwrap().contains("DingALing"));
}

/// RFC 4918 §9.2.2: a PROPPATCH response (409 and 424 propstats).
#[test]
fn rfc4918_proppatch_response() {
    let body = r#"<?xml version="1.0" encoding="utf-8" ?>
   <D:multistatus xmlns:D="DAV:"
           xmlns:Z="http://ns.example.com/standards/z39.50/">
     <D:response>
       <D:href>http://www.example.com/bar.html</D:href>
       <D:propstat>
         <D:prop><Z:Authors/></D:prop>
         <D:status>HTTP/1.1 424 Failed Dependency</D:status>
       </D:propstat>
       <D:propstat>
         <D:prop><Z:Copyright-Owner/></D:prop>
         <D:status>HTTP/1.1 409 Conflict</D:status>
       </D:propstat>
       <D:responsedescription> Copyright Owner cannot be deleted or
         altered.</D:responsedescription>
     </D:response>
   </D:multistatus>"#;
    let ms = multistatus(body);
    let ResponseBody::PropStats(ps) = &ms.responses[0].body else {
        panic!()
    };
    assert_eq!((ps[0].status, ps[1].status), (424, 409));
    assert!(ms.responses[0].description.is_some());
}

/// RFC 4918 §16: an error body with a precondition, and §14.5 inside a response.
#[test]
fn rfc4918_error_bodies() {
    let body = r#"<?xml version="1.0" encoding="utf-8" ?>
     <D:error xmlns:D="DAV:">
       <D:lock-token-submitted>
         <D:href>/workspace/webdav/</D:href>
       </D:lock-token-submitted>
     </D:error>"#;
    let conditions = parse_error_body(body.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(conditions.len(), 1);
    assert!(conditions[0].is(DAV, "lock-token-submitted"));
    let written = error_body(&conditions);
    assert_eq!(
        parse_error_body(&written, &Limits::default()).unwrap(),
        conditions
    );

    let conflict = Element::new(Name::caldav("no-uid-conflict")).with_child(Element::href("/cal/a&b.ics"));
    let written = String::from_utf8(error_body(std::slice::from_ref(&conflict))).unwrap();
    assert!(
        written.contains("<C:no-uid-conflict><D:href>/cal/a&amp;b.ics</D:href></C:no-uid-conflict>"),
        "{written}"
    );
}

// ---- RFC 4791 --------------------------------------------------------------------------

/// RFC 4791 §7.8.1: partial retrieval of events by time range.
#[test]
fn rfc4791_partial_retrieval_by_time_range() {
    let q = calendar_query(
        r#"<?xml version="1.0" encoding="utf-8" ?>
   <C:calendar-query xmlns:D="DAV:"
                 xmlns:C="urn:ietf:params:xml:ns:caldav">
     <D:prop>
       <D:getetag/>
       <C:calendar-data>
         <C:comp name="VCALENDAR">
           <C:prop name="VERSION"/>
           <C:comp name="VEVENT">
             <C:prop name="SUMMARY"/>
             <C:prop name="UID"/>
             <C:prop name="DTSTART"/>
             <C:prop name="DTEND"/>
             <C:prop name="DURATION"/>
             <C:prop name="RRULE"/>
             <C:prop name="RDATE"/>
             <C:prop name="EXRULE"/>
             <C:prop name="EXDATE"/>
             <C:prop name="RECURRENCE-ID"/>
           </C:comp>
           <C:comp name="VTIMEZONE"/>
         </C:comp>
       </C:calendar-data>
     </D:prop>
     <C:filter>
       <C:comp-filter name="VCALENDAR">
         <C:comp-filter name="VEVENT">
           <C:time-range start="20060104T000000Z"
                         end="20060105T000000Z"/>
         </C:comp-filter>
       </C:comp-filter>
     </C:filter>
   </C:calendar-query>"#,
    );
    assert_eq!(
        q.prop,
        Some(PropRequest::Prop(vec![
            Name::dav("getetag"),
            Name::caldav("calendar-data")
        ]))
    );
    let data = q.calendar_data.as_ref().unwrap();
    let vcal = data.comp.as_ref().unwrap();
    assert_eq!(vcal.name, "VCALENDAR");
    let Selection::Only(props) = &vcal.props else {
        panic!()
    };
    assert_eq!(props[0].name, "VERSION");
    let Selection::Only(comps) = &vcal.comps else {
        panic!()
    };
    assert_eq!(
        (comps[0].name.as_str(), comps[1].name.as_str()),
        ("VEVENT", "VTIMEZONE")
    );
    let Selection::Only(event_props) = &comps[0].props else {
        panic!()
    };
    assert_eq!(event_props.len(), 10);
    // An empty comp is the whole component: the example's answer holds the VTIMEZONE whole.
    assert_eq!(
        (&comps[1].props, &comps[1].comps),
        (&Selection::All, &Selection::All),
        "an empty comp: everything"
    );
    let vevent = inner(&q);
    assert_eq!(vevent.name, "VEVENT");
    assert_eq!(
        vevent.test,
        CompTest::Defined {
            time_range: Some(range("20060104T000000Z", "20060105T000000Z")),
            props: vec![],
            comps: vec![]
        }
    );
}

/// RFC 4791 §7.8.1's response: calendar data with its line breaks, written back unchanged.
#[test]
fn rfc4791_calendar_data_response() {
    let body = r#"<?xml version="1.0" encoding="utf-8" ?>
   <D:multistatus xmlns:D="DAV:"
              xmlns:C="urn:ietf:params:xml:ns:caldav">
     <D:response>
       <D:href>http://cal.example.com/bernard/work/abcd3.ics</D:href>
       <D:propstat>
         <D:prop>
           <D:getetag>"fffff-abcd3"</D:getetag>
           <C:calendar-data>BEGIN:VCALENDAR
   VERSION:2.0
   BEGIN:VEVENT
   DTSTART;TZID=US/Eastern:20060104T100000
   DURATION:PT1H
   SUMMARY:Event #3
   UID:DC6C50A017428C5216A2F1CD@example.com
   END:VEVENT
   END:VCALENDAR
   </C:calendar-data>
         </D:prop>
         <D:status>HTTP/1.1 200 OK</D:status>
       </D:propstat>
     </D:response>
   </D:multistatus>"#;
    let ms = multistatus(body);
    let ResponseBody::PropStats(ps) = &ms.responses[0].body else {
        panic!()
    };
    assert_eq!(ps[0].props[0].text(), "\"fffff-abcd3\"");
    let data = ps[0].props[1].text();
    assert!(data.starts_with("BEGIN:VCALENDAR\n   VERSION:2.0\n") && data.contains("SUMMARY:Event #3"));
}

/// RFC 4791 §7.8.2 (limit-recurrence-set) and §7.8.3 (expand).
#[test]
fn rfc4791_recurrence_handling() {
    let body = |element: &str| {
        format!(
            r#"<?xml version="1.0" encoding="utf-8" ?>
   <C:calendar-query xmlns:D="DAV:"
                     xmlns:C="urn:ietf:params:xml:ns:caldav">
     <D:prop>
       <C:calendar-data>
         <C:{element} start="20060103T000000Z"
                                 end="20060105T000000Z"/>
       </C:calendar-data>
     </D:prop>
     <C:filter>
       <C:comp-filter name="VCALENDAR">
         <C:comp-filter name="VEVENT">
           <C:time-range start="20060103T000000Z"
                         end="20060105T000000Z"/>
         </C:comp-filter>
       </C:comp-filter>
     </C:filter>
   </C:calendar-query>"#
        )
    };
    let r = range("20060103T000000Z", "20060105T000000Z");
    let limited = calendar_query(&body("limit-recurrence-set"));
    let data = limited.calendar_data.unwrap();
    assert_eq!(
        (data.limit_recurrence_set, data.expand, data.comp),
        (Some(r), None, None)
    );
    let expanded = calendar_query(&body("expand"));
    assert_eq!(expanded.calendar_data.unwrap().expand, Some(r));
    // expand needs both bounds (§9.6.5).
    let half = body("expand").replace("end=\"20060105T000000Z\"/>\n       </C:cal", "/>\n       </C:cal");
    assert!(matches!(
        parse_report(half.as_bytes(), &Limits::default()),
        Err(malt_dav_proto::DavXmlError::Invalid { .. })
    ));
}

/// RFC 4791 §7.8.5: to-dos by alarm time range (three nested component filters).
#[test]
fn rfc4791_todos_by_alarm_time_range() {
    let q = calendar_query(
        r#"<?xml version="1.0" encoding="utf-8" ?>
   <C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav">
     <D:prop xmlns:D="DAV:">
       <C:calendar-data/>
     </D:prop>
     <C:filter>
       <C:comp-filter name="VCALENDAR">
         <C:comp-filter name="VTODO">
           <C:comp-filter name="VALARM">
             <C:time-range start="20060106T100000Z"
                             end="20060107T100000Z"/>
           </C:comp-filter>
         </C:comp-filter>
       </C:comp-filter>
     </C:filter>
   </C:calendar-query>"#,
    );
    let vtodo = inner(&q);
    let CompTest::Defined { comps, .. } = &vtodo.test else {
        panic!()
    };
    assert_eq!(comps[0].name, "VALARM");
    assert!(matches!(
        &comps[0].test,
        CompTest::Defined {
            time_range: Some(_),
            ..
        }
    ));
    assert_eq!(
        q.calendar_data,
        Some(CalendarDataRequest {
            content_type: None,
            version: None,
            comp: None,
            expand: None,
            limit_recurrence_set: None,
            limit_freebusy_set: None
        }),
        "an empty calendar-data asks for the whole object"
    );
}

/// RFC 4791 §7.8.6 (by UID, i;octet) and §7.8.7 (by PARTSTAT: a param-filter).
#[test]
fn rfc4791_property_and_parameter_matches() {
    let by_uid = calendar_query(
        r#"<?xml version="1.0" encoding="utf-8" ?>
   <C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav">
     <D:prop xmlns:D="DAV:">
       <D:getetag/>
       <C:calendar-data/>
     </D:prop>
     <C:filter>
       <C:comp-filter name="VCALENDAR">
         <C:comp-filter name="VEVENT">
           <C:prop-filter name="UID">
             <C:text-match collation="i;octet"
             >DC6C50A017428C5216A2F1CD@example.com</C:text-match>
           </C:prop-filter>
         </C:comp-filter>
       </C:comp-filter>
     </C:filter>
   </C:calendar-query>"#,
    );
    let CompTest::Defined { props, .. } = &inner(&by_uid).test else {
        panic!()
    };
    assert_eq!(
        props[0],
        PropFilter {
            name: "UID".into(),
            test: PropTest::Defined {
                time_range: None,
                text_match: Some(TextMatch {
                    text: "DC6C50A017428C5216A2F1CD@example.com".into(),
                    collation: Collation::Octet,
                    match_type: MatchType::Contains,
                    negate: false
                }),
                params: vec![]
            }
        }
    );
    let by_partstat = calendar_query(
        r#"<?xml version="1.0" encoding="utf-8" ?>
   <C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav">
     <D:prop xmlns:D="DAV:">
       <D:getetag/>
       <C:calendar-data/>
     </D:prop>
     <C:filter>
       <C:comp-filter name="VCALENDAR">
         <C:comp-filter name="VEVENT">
           <C:prop-filter name="ATTENDEE">
             <C:text-match collation="i;ascii-casemap"
              >mailto:lisa@example.com</C:text-match>
             <C:param-filter name="PARTSTAT">
               <C:text-match collation="i;ascii-casemap"
                >NEEDS-ACTION</C:text-match>
             </C:param-filter>
           </C:prop-filter>
         </C:comp-filter>
       </C:comp-filter>
     </C:filter>
   </C:calendar-query>"#,
    );
    let CompTest::Defined { props, .. } = &inner(&by_partstat).test else {
        panic!()
    };
    let PropTest::Defined {
        text_match, params, ..
    } = &props[0].test
    else {
        panic!()
    };
    assert_eq!(text_match.as_ref().unwrap().collation, Collation::AsciiCasemap);
    assert_eq!(params[0].name, "PARTSTAT");
    assert!(matches!(&params[0].test, ParamTest::Defined(Some(t)) if t.text == "NEEDS-ACTION"));
}

/// RFC 4791 §7.8.8 (events only: an empty comp-filter) and §7.8.9 (pending to-dos:
/// is-not-defined and a negated text-match).
#[test]
fn rfc4791_events_only_and_pending_todos() {
    let events = calendar_query(
        r#"<?xml version="1.0" encoding="utf-8" ?>
   <C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav">
     <D:prop xmlns:D="DAV:">
       <D:getetag/>
       <C:calendar-data/>
     </D:prop>
     <C:filter>
       <C:comp-filter name="VCALENDAR">
         <C:comp-filter name="VEVENT"/>
       </C:comp-filter>
     </C:filter>
   </C:calendar-query>"#,
    );
    assert_eq!(
        inner(&events).test,
        CompTest::Defined {
            time_range: None,
            props: vec![],
            comps: vec![]
        }
    );
    let todos = calendar_query(
        r#"<?xml version="1.0" encoding="utf-8" ?>
   <C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav">
     <D:prop xmlns:D="DAV:">
       <D:getetag/>
       <C:calendar-data/>
     </D:prop>
     <C:filter>
       <C:comp-filter name="VCALENDAR">
         <C:comp-filter name="VTODO">
           <C:prop-filter name="COMPLETED">
             <C:is-not-defined/>
           </C:prop-filter>
           <C:prop-filter name="STATUS">
             <C:text-match
                negate-condition="yes">CANCELLED</C:text-match>
           </C:prop-filter>
         </C:comp-filter>
       </C:comp-filter>
     </C:filter>
   </C:calendar-query>"#,
    );
    let CompTest::Defined { props, .. } = &inner(&todos).test else {
        panic!()
    };
    assert_eq!(props[0].test, PropTest::IsNotDefined);
    let PropTest::Defined {
        text_match: Some(t), ..
    } = &props[1].test
    else {
        panic!()
    };
    assert!(t.negate && t.text == "CANCELLED" && t.collation == Collation::AsciiCasemap);
}

/// RFC 4791 §7.9.1 (calendar-multiget) and §7.10.1 (free-busy-query).
#[test]
fn rfc4791_multiget_and_free_busy() {
    let body = r#"<?xml version="1.0" encoding="utf-8" ?>
   <C:calendar-multiget xmlns:D="DAV:"
                    xmlns:C="urn:ietf:params:xml:ns:caldav">
     <D:prop>
       <D:getetag/>
       <C:calendar-data/>
     </D:prop>
     <D:href>/bernard/work/abcd1.ics</D:href>
     <D:href>/bernard/work/mtg1.ics</D:href>
   </C:calendar-multiget>"#;
    let ReportRequest::CalendarMultiget(m) = report(body) else {
        panic!()
    };
    assert_eq!(m.hrefs, ["/bernard/work/abcd1.ics", "/bernard/work/mtg1.ics"]);
    assert!(m.calendar_data.is_some());
    let body = r#"<?xml version="1.0" encoding="utf-8" ?>
   <C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">
     <C:time-range start="20060104T140000Z"
                   end="20060105T220000Z"/>
   </C:free-busy-query>"#;
    assert_eq!(
        report(body),
        ReportRequest::FreeBusyQuery(range("20060104T140000Z", "20060105T220000Z"))
    );
}

// ---- RFC 6352 --------------------------------------------------------------------------

/// RFC 6352 §8.6.3: vCards whose NICKNAME equals "me".
#[test]
fn rfc6352_query_by_nickname() {
    let body = r#"<?xml version="1.0" encoding="utf-8" ?>
   <C:addressbook-query xmlns:D="DAV:"
                     xmlns:C="urn:ietf:params:xml:ns:carddav">
     <D:prop>
       <D:getetag/>
       <C:address-data>
         <C:prop name="VERSION"/>
         <C:prop name="UID"/>
         <C:prop name="NICKNAME"/>
         <C:prop name="EMAIL"/>
         <C:prop name="FN"/>
       </C:address-data>
     </D:prop>
     <C:filter>
       <C:prop-filter name="NICKNAME">
         <C:text-match collation="i;unicode-casemap"
                       match-type="equals"
         >me</C:text-match>
       </C:prop-filter>
     </C:filter>
   </C:addressbook-query>"#;
    let ReportRequest::AddressbookQuery(q) = report(body) else {
        panic!()
    };
    let data = q.address_data.unwrap();
    let Selection::Only(props) = &data.props else {
        panic!()
    };
    let names: Vec<&str> = props.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["VERSION", "UID", "NICKNAME", "EMAIL", "FN"]);
    assert_eq!(q.filter.test, FilterTest::AnyOf);
    assert_eq!(
        q.filter.props,
        vec![CardPropFilter {
            name: "NICKNAME".into(),
            test: CardPropTest::Defined {
                test: FilterTest::AnyOf,
                text_matches: vec![TextMatch {
                    text: "me".into(),
                    collation: Collation::UnicodeCasemap,
                    match_type: MatchType::Equals,
                    negate: false
                }],
                params: vec![]
            }
        }]
    );
    assert_eq!(q.limit, None);
}

/// RFC 6352 §8.6.4 (anyof over two properties) and §8.6.5 (a limit of two results, and the
/// 507 response that says so).
#[test]
fn rfc6352_anyof_and_limit() {
    let body = r#"<?xml version="1.0" encoding="utf-8" ?>
   <C:addressbook-query xmlns:D="DAV:"
                     xmlns:C="urn:ietf:params:xml:ns:carddav">
     <D:prop>
       <D:getetag/>
     </D:prop>
     <C:filter test="anyof">
       <C:prop-filter name="FN">
         <C:text-match collation="i;unicode-casemap"
                       match-type="contains"
         >daboo</C:text-match>
       </C:prop-filter>
       <C:prop-filter name="EMAIL">
         <C:text-match collation="i;unicode-casemap"
                       match-type="contains"
         >daboo</C:text-match>
       </C:prop-filter>
     </C:filter>
     <C:limit>
       <C:nresults>2</C:nresults>
     </C:limit>
   </C:addressbook-query>"#;
    let ReportRequest::AddressbookQuery(q) = report(body) else {
        panic!()
    };
    assert_eq!(q.filter.props.len(), 2);
    assert_eq!(q.limit, Some(2));
    assert_eq!(q.address_data, None);
    let allof = body.replace("test=\"anyof\"", "test=\"allof\"");
    let ReportRequest::AddressbookQuery(q) = report(&allof) else {
        panic!()
    };
    assert_eq!(q.filter.test, FilterTest::AllOf);

    let response = r#"<?xml version="1.0" encoding="utf-8" ?>
   <D:multistatus xmlns:D="DAV:"
                  xmlns:C="urn:ietf:params:xml:ns:carddav">
     <D:response>
       <D:href>/home/bernard/addressbook/</D:href>
       <D:status>HTTP/1.1 507 Insufficient Storage</D:status>
       <D:error><D:number-of-matches-within-limits/></D:error>
       <D:responsedescription xml:lang="en">
         Only two matching records were returned
       </D:responsedescription>
     </D:response>
     <D:response>
       <D:href>/home/bernard/addressbook/v102.vcf</D:href>
       <D:propstat>
         <D:prop>
           <D:getetag>"23ba4d-ff11fb"</D:getetag>
         </D:prop>
         <D:status>HTTP/1.1 200 OK</D:status>
       </D:propstat>
     </D:response>
   </D:multistatus>"#;
    let ms = multistatus(response);
    assert_eq!(ms.responses[0].body, ResponseBody::Status(507));
    assert!(ms.responses[0].error[0].is(DAV, "number-of-matches-within-limits"));
}

/// RFC 6352 §8.7.1: addressbook-multiget.
#[test]
fn rfc6352_multiget() {
    let body = r#"<?xml version="1.0" encoding="utf-8" ?>
   <C:addressbook-multiget xmlns:D="DAV:"
                        xmlns:C="urn:ietf:params:xml:ns:carddav">
     <D:prop>
       <D:getetag/>
       <C:address-data>
         <C:prop name="VERSION"/>
         <C:prop name="UID"/>
         <C:prop name="NICKNAME"/>
         <C:prop name="EMAIL"/>
         <C:prop name="FN"/>
       </C:address-data>
     </D:prop>
     <D:href>/home/bernard/addressbook/vcf102.vcf</D:href>
     <D:href>/home/bernard/addressbook/vcf1.vcf</D:href>
   </C:addressbook-multiget>"#;
    let ReportRequest::AddressbookMultiget(m) = report(body) else {
        panic!()
    };
    assert_eq!(m.hrefs.len(), 2);
    assert_eq!(
        m.prop,
        Some(PropRequest::Prop(vec![
            Name::dav("getetag"),
            Name::new(CARDDAV, "address-data")
        ]))
    );
    let whole = body.replace(
        "<C:prop name=\"VERSION\"/>\n         <C:prop name=\"UID\"/>\n         <C:prop name=\"NICKNAME\"/>\n         <C:prop name=\"EMAIL\"/>\n         <C:prop name=\"FN\"/>",
        "",
    );
    let ReportRequest::AddressbookMultiget(m) = report(&whole) else {
        panic!()
    };
    assert_eq!(
        m.address_data.unwrap().props,
        Selection::All,
        "no prop: the whole vCard (§10.4)"
    );
}

// ---- RFC 6578 --------------------------------------------------------------------------

/// RFC 6578 §3.8 (initial sync), §3.9 (with a token), §3.11 (with a limit).
#[test]
fn rfc6578_sync_collection() {
    let initial = r#"<?xml version="1.0" encoding="utf-8" ?>
   <D:sync-collection xmlns:D="DAV:">
     <D:sync-token/>
     <D:sync-level>1</D:sync-level>
     <D:prop xmlns:R="urn:ns.example.com:boxschema">
       <D:getetag/>
       <R:bigbox/>
     </D:prop>
   </D:sync-collection>"#;
    let ReportRequest::SyncCollection(s) = report(initial) else {
        panic!()
    };
    assert_eq!(
        s,
        SyncCollection {
            sync_token: String::new(),
            level: SyncLevel::One,
            limit: None,
            prop: PropRequest::Prop(vec![
                Name::dav("getetag"),
                Name::new("urn:ns.example.com:boxschema", "bigbox")
            ])
        }
    );
    let with_token = initial.replace(
        "<D:sync-token/>",
        "<D:sync-token>http://example.com/ns/sync/1234</D:sync-token>",
    );
    let ReportRequest::SyncCollection(s) = report(&with_token) else {
        panic!()
    };
    assert_eq!(s.sync_token, "http://example.com/ns/sync/1234");
    let limited = r#"<?xml version="1.0" encoding="utf-8" ?>
   <D:sync-collection xmlns:D="DAV:">
     <D:sync-token/>
     <D:sync-level>infinite</D:sync-level>
     <D:limit>
       <D:nresults>1</D:nresults>
     </D:limit>
     <D:prop>
       <D:getetag/>
     </D:prop>
   </D:sync-collection>"#;
    let ReportRequest::SyncCollection(s) = report(limited) else {
        panic!()
    };
    assert_eq!((s.limit, s.level), (Some(1), SyncLevel::Infinite));

    let response = r#"<?xml version="1.0" encoding="utf-8" ?>
   <D:multistatus xmlns:D="DAV:">
     <D:response>
       <D:href
   >http://webdav.example.com/home/cyrusdaboo/file.xml</D:href>
       <D:propstat>
         <D:prop>
           <D:getetag>"00004-abcd1"</D:getetag>
         </D:prop>
         <D:status>HTTP/1.1 200 OK</D:status>
       </D:propstat>
       <D:propstat>
         <D:prop>
           <R:bigbox xmlns:R="urn:ns.example.com:boxschema"/>
         </D:prop>
         <D:status>HTTP/1.1 404 Not Found</D:status>
       </D:propstat>
     </D:response>
     <D:response>
       <D:href
   >http://webdav.example.com/home/cyrusdaboo/test.doc</D:href>
       <D:status>HTTP/1.1 404 Not Found</D:status>
     </D:response>
     <D:sync-token>http://example.com/ns/sync/1238</D:sync-token>
   </D:multistatus>"#;
    let ms = multistatus(response);
    assert_eq!(ms.sync_token.as_deref(), Some("http://example.com/ns/sync/1238"));
    assert_eq!(ms.responses[1].body, ResponseBody::Status(404));
    let ResponseBody::PropStats(ps) = &ms.responses[0].body else {
        panic!()
    };
    assert_eq!(
        ps[1].props[0].name,
        Name::new("urn:ns.example.com:boxschema", "bigbox")
    );
}

/// A report this codec does not know is named, not refused (the server answers
/// `DAV:supported-report`), and CalDAV/CardDAV names are told apart by namespace.
#[test]
fn unknown_reports_and_namespaces() {
    let body = r#"<D:version-tree xmlns:D="DAV:"><D:prop><D:owner/></D:prop></D:version-tree>"#;
    assert_eq!(report(body), ReportRequest::Other(Name::dav("version-tree")));
    let body = r#"<D:expand-property xmlns:D="DAV:"><D:property name="owner"/></D:expand-property>"#;
    assert_eq!(
        report(body),
        ReportRequest::Principal(PrincipalReport::ExpandProperty(vec![ExpandProp {
            name: Name::dav("owner"),
            expand: vec![]
        }]))
    );
    let wrong_ns = r#"<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:carddav"/>"#;
    assert_eq!(
        report(wrong_ns),
        ReportRequest::Other(Name::new(CARDDAV, "calendar-query"))
    );
}
