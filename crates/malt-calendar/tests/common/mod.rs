//! Helpers shared by the integration tests: building objects and reading instants.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use malt_calendar::CalendarObject;

/// A VCALENDAR around `body` (CRLF line ends), parsed and checked.
pub fn object(body: &str) -> CalendarObject {
    let text = calendar_text(body);
    CalendarObject::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The text of a VCALENDAR around `body`.
pub fn calendar_text(body: &str) -> String {
    let mut text = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//malt//test//EN\r\n");
    for line in body.trim().lines() {
        text.push_str(line.trim());
        text.push_str("\r\n");
    }
    text.push_str("END:VCALENDAR\r\n");
    text
}

/// Unix seconds of a UTC time.
pub fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    chrono::Utc
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .unwrap()
        .timestamp()
}

/// Unix seconds of a local time in an IANA zone.
pub fn local(zone: chrono_tz::Tz, y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    zone.with_ymd_and_hms(y, m, d, h, min, 0)
        .earliest()
        .unwrap()
        .timestamp()
}

/// The local wall-clock time of an instant in a zone.
pub fn wall(zone: chrono_tz::Tz, at: i64) -> NaiveDateTime {
    zone.timestamp_opt(at, 0).single().unwrap().naive_local()
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}
