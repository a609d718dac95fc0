//! Date and date-time values of iCalendar properties, and the instants they name.
//!
//! A value is kept as written — a local wall-clock time, the zone it is in, and whether it was a
//! DATE — until an instant is needed. Then:
//! - a UTC value (`Z`) or one with a `TZID` the calendar can resolve (a `VTIMEZONE` whose id or
//!   `X-LIC-LOCATION` names an IANA zone, an IANA id, or a Windows zone name: calcard's resolver)
//!   is in that zone;
//! - a floating value, a DATE, or one whose `TZID` cannot be resolved, is in the *floating zone*
//!   the caller gives (RFC 4791 §9.9: the `CALDAV:calendar-timezone` of the collection, or UTC);
//! - a local time that does not exist (skipped by a DST change) is read with the offset before
//!   the gap, and one that occurs twice is the first occurrence (RFC 5545 §3.3.5).
//!
//! Invariants: instants are Unix seconds (`i64`); no conversion panics: out-of-range arithmetic
//! saturates, values that cannot be read are `None`.

use calcard::common::PartialDateTime;
use calcard::common::timezone::Tz;
use calcard::icalendar::timezone::TzResolver;
use calcard::icalendar::{ICalendarEntry, ICalendarParameterName, ICalendarValue};
use chrono::{Duration, LocalResult, NaiveDateTime, Offset, TimeZone};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// A DATE or DATE-TIME as written: the local time, its zone ([`Tz::Floating`] for floating
/// times and DATEs) and whether it was a DATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When {
    pub local: NaiveDateTime,
    pub zone: Tz,
    pub is_date: bool,
}

impl When {
    /// The instant this value names, floating values read in `floating`.
    pub fn instant(&self, floating: Tz) -> i64 {
        local_to_instant(self.local, self.effective_zone(floating))
    }

    /// The zone the local time is read in.
    pub fn effective_zone(&self, floating: Tz) -> Tz {
        if self.zone.is_floating() {
            floating
        } else {
            self.zone
        }
    }

    /// Is this a floating value (no zone of its own, DATEs included)?
    pub fn is_floating(&self) -> bool {
        self.zone.is_floating()
    }

    /// The value of `entry` (its first value), zones resolved by `zones`.
    pub fn of_entry(entry: &ICalendarEntry, zones: &TzResolver<&str>) -> Option<When> {
        match entry.values.first() {
            Some(ICalendarValue::PartialDateTime(value)) => When::of_value(value, entry, zones),
            _ => None,
        }
    }

    /// One value of `entry` (a property may hold several, as RDATE and EXDATE do).
    pub fn of_value(
        value: &PartialDateTime,
        entry: &ICalendarEntry,
        zones: &TzResolver<&str>,
    ) -> Option<When> {
        let parsed = value.to_date_time()?;
        let is_date = !value.has_time();
        let zone = match parsed.offset {
            Some(offset) if offset.local_minus_utc() == 0 => Tz::UTC,
            Some(offset) => Tz::Fixed(offset),
            None if is_date => Tz::Floating,
            None => tzid(entry)
                .and_then(|id| zones.resolve(id))
                .unwrap_or(Tz::Floating),
        };
        Some(When {
            local: parsed.date_time,
            zone,
            is_date,
        })
    }
}

/// The floating zone named by an IANA id (`CALDAV:timezone-id`, RFC 7809 §5.2; Windows names
/// are understood too).
pub fn zone_of_id(id: &str) -> Option<Tz> {
    id.parse::<Tz>().ok().filter(|z| !z.is_floating())
}

/// The floating zone given as a VCALENDAR with one VTIMEZONE (`CALDAV:calendar-timezone`,
/// `CALDAV:timezone`, RFC 4791 §5.2.2, §9.8): the zone its TZID or `X-LIC-LOCATION` names. At most
/// [`crate::object::MAX_OBJECT_BYTES`] are read.
pub fn zone_of_vcalendar(text: &str) -> Option<Tz> {
    if text.len() > crate::object::MAX_OBJECT_BYTES {
        return None;
    }
    match calcard::Parser::new(text).entry() {
        calcard::Entry::ICalendar(ical) => ical.timezones().find_map(|c| c.timezone()).map(|(_, zone)| zone),
        _ => None,
    }
}

/// The `TZID` parameter of a property, if any.
pub fn tzid(entry: &ICalendarEntry) -> Option<&str> {
    entry
        .params
        .iter()
        .find(|p| p.name == ICalendarParameterName::Tzid)
        .and_then(|p| p.value.as_text())
}

/// The instant of a local time in `zone` (RFC 5545 §3.3.5 for gaps and folds).
pub fn local_to_instant(local: NaiveDateTime, zone: Tz) -> i64 {
    let naive = local.and_utc().timestamp();
    match zone.offset_from_local_datetime(&local) {
        LocalResult::Single(offset) => naive.saturating_sub(i64::from(offset.fix().local_minus_utc())),
        LocalResult::Ambiguous(first, second) => {
            // The first occurrence is the one with the larger offset (earlier instant).
            let offset = first.fix().local_minus_utc().max(second.fix().local_minus_utc());
            naive.saturating_sub(i64::from(offset))
        }
        LocalResult::None => {
            // In a gap: the offset in force a day before (before the transition).
            let before = naive.saturating_sub(DAY);
            naive.saturating_sub(i64::from(offset_at(before, zone)))
        }
    }
}

/// The UTC offset (seconds east) of `zone` at `instant`.
pub fn offset_at(instant: i64, zone: Tz) -> i32 {
    match chrono::DateTime::from_timestamp(instant, 0) {
        Some(utc) => zone
            .offset_from_utc_datetime(&utc.naive_utc())
            .fix()
            .local_minus_utc(),
        None => 0,
    }
}

/// The local time of `instant` in `zone`.
pub fn instant_to_local(instant: i64, zone: Tz) -> Option<NaiveDateTime> {
    let utc = chrono::DateTime::from_timestamp(instant, 0)?.naive_utc();
    utc.checked_add_signed(Duration::seconds(i64::from(offset_at(instant, zone))))
}

/// A UTC DATE-TIME value for `instant` (what `expand` and free-busy write, RFC 4791 §9.6.5).
pub fn utc_value(instant: i64) -> PartialDateTime {
    PartialDateTime::from_utc_timestamp(instant)
}

/// A DATE value for the local date of `local`.
pub fn date_value(local: NaiveDateTime) -> PartialDateTime {
    PartialDateTime::from_date_timestamp(local.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::NaiveDate;

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn gap_reads_with_the_offset_before_it() {
        // RFC 5545 §3.3.5: TZID=America/New_York:20070311T023000 is 03:30 EDT = 07:30 UTC.
        let ny = Tz::Tz(chrono_tz::America::New_York);
        let at = local_to_instant(local(2007, 3, 11, 2, 30), ny);
        assert_eq!(at, local(2007, 3, 11, 7, 30).and_utc().timestamp());
    }

    #[test]
    fn fold_reads_as_the_first_occurrence() {
        // RFC 5545 §3.3.5: TZID=America/New_York:20071104T013000 is 01:30 EDT = 05:30 UTC.
        let ny = Tz::Tz(chrono_tz::America::New_York);
        let at = local_to_instant(local(2007, 11, 4, 1, 30), ny);
        assert_eq!(at, local(2007, 11, 4, 5, 30).and_utc().timestamp());
    }

    #[test]
    fn query_zones_by_id_and_by_vtimezone() {
        assert_eq!(zone_of_id("Europe/Paris"), Some(Tz::Tz(chrono_tz::Europe::Paris)));
        assert_eq!(zone_of_id("Nowhere/Atlantis"), None);
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:US-Eastern\r\nX-LIC-LOCATION:America/New_York\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n";
        assert_eq!(
            zone_of_vcalendar(text),
            Some(Tz::Tz(chrono_tz::America::New_York))
        );
        assert_eq!(zone_of_vcalendar("garbage"), None);
    }

    #[test]
    fn local_time_round_trips() {
        let paris = Tz::Tz(chrono_tz::Europe::Paris);
        let l = local(2024, 7, 1, 9, 0);
        let at = local_to_instant(l, paris);
        assert_eq!(at, local(2024, 7, 1, 7, 0).and_utc().timestamp());
        assert_eq!(instant_to_local(at, paris), Some(l));
    }
}
