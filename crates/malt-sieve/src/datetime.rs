//! Dates for the `date` and `currentdate` tests (RFC 5260): reading a date header (RFC 5322
//! §3.3), moving it to a zone, and the date parts of RFC 5260 §4.2.
//!
//! Invariants: arithmetic is on Unix seconds with the proleptic Gregorian calendar (the civil
//! conversions of H. Hinnant's `days_from_civil`); a header that is not a valid date gives no
//! value (the test is then false, RFC 5260 §4.1); nothing here panics or overflows.

use mail_parser::DateTime;

/// A moment and the zone (minutes east of UTC) it is expressed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZonedTime {
    pub timestamp: i64,
    pub offset_minutes: i32,
}

impl ZonedTime {
    /// The same moment expressed in another zone.
    pub fn in_zone(self, offset_minutes: i32) -> ZonedTime {
        ZonedTime {
            timestamp: self.timestamp,
            offset_minutes,
        }
    }

    /// The local calendar fields.
    fn fields(self) -> Fields {
        let local = self.timestamp.saturating_add(i64::from(self.offset_minutes) * 60);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Fields {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs % 3600 / 60,
            second: secs % 60,
            days,
        }
    }
}

struct Fields {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    /// Days since 1970-01-01, local.
    days: i64,
}

/// Day names for `std11` (RFC 5322 §3.3), from Sunday.
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
/// Days from the Modified Julian Day epoch (1858-11-17) to 1970-01-01.
const MJD_OF_UNIX_EPOCH: i64 = 40_587;

/// The value of one date part (RFC 5260 §4.2); `None` for an unknown part name.
pub fn date_part(time: ZonedTime, part: &str) -> Option<String> {
    let f = time.fields();
    let weekday = (f.days + 4).rem_euclid(7);
    let zone = zone_text(time.offset_minutes, false);
    Some(match part.to_ascii_lowercase().as_str() {
        "year" => format!("{:04}", f.year),
        "month" => format!("{:02}", f.month),
        "day" => format!("{:02}", f.day),
        "date" => format!("{:04}-{:02}-{:02}", f.year, f.month, f.day),
        "julian" => (f.days + MJD_OF_UNIX_EPOCH).to_string(),
        "hour" => format!("{:02}", f.hour),
        "minute" => format!("{:02}", f.minute),
        "second" => format!("{:02}", f.second),
        "time" => format!("{:02}:{:02}:{:02}", f.hour, f.minute, f.second),
        "iso8601" => {
            let zone = if time.offset_minutes == 0 {
                "Z".to_string()
            } else {
                zone_text(time.offset_minutes, true)
            };
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}",
                f.year, f.month, f.day, f.hour, f.minute, f.second
            )
        }
        "std11" => format!(
            "{}, {:02} {} {:04} {:02}:{:02}:{:02} {zone}",
            WEEKDAYS.get(weekday as usize).copied().unwrap_or("Sun"),
            f.day,
            MONTHS.get((f.month - 1) as usize).copied().unwrap_or("Jan"),
            f.year,
            f.hour,
            f.minute,
            f.second
        ),
        "zone" => zone,
        "weekday" => weekday.to_string(),
        _ => return None,
    })
}

/// `+hhmm` (or `+hh:mm` with `colon`).
fn zone_text(offset_minutes: i32, colon: bool) -> String {
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let abs = offset_minutes.unsigned_abs();
    let sep = if colon { ":" } else { "" };
    format!("{sign}{:02}{sep}{:02}", abs / 60, abs % 60)
}

/// Read the date of a header value (RFC 5322 §3.3; for `Received`, the part after the last
/// `;`, RFC 5260 §4.1).
pub fn parse_header_date(header_name: &str, value: &str) -> Option<ZonedTime> {
    let text = if header_name.eq_ignore_ascii_case("received") {
        value.rsplit_once(';').map_or(value, |(_, date)| date)
    } else {
        value
    };
    let parsed = DateTime::parse_rfc822(text.trim())?;
    if !parsed.is_valid() {
        return None;
    }
    let minutes = i32::from(parsed.tz_hour) * 60 + i32::from(parsed.tz_minute);
    let offset_minutes = if parsed.tz_before_gmt { -minutes } else { minutes };
    let days = days_from_civil(
        i64::from(parsed.year),
        i64::from(parsed.month),
        i64::from(parsed.day),
    );
    let local = days * 86_400
        + i64::from(parsed.hour) * 3600
        + i64::from(parsed.minute) * 60
        + i64::from(parsed.second);
    Some(ZonedTime {
        timestamp: local - i64::from(offset_minutes) * 60,
        offset_minutes,
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(time: ZonedTime) -> Vec<String> {
        [
            "year", "month", "day", "date", "julian", "hour", "minute", "second", "time", "iso8601", "std11",
            "zone", "weekday",
        ]
        .iter()
        .map(|p| date_part(time, p).unwrap())
        .collect()
    }

    #[test]
    fn every_part_of_a_header_date() {
        let time = parse_header_date("date", "Tue, 1 Jul 2003 10:52:37 +0200").unwrap();
        assert_eq!(time.offset_minutes, 120);
        assert_eq!(
            parts(time.in_zone(0)),
            [
                "2003",
                "07",
                "01",
                "2003-07-01",
                "52821",
                "08",
                "52",
                "37",
                "08:52:37",
                "2003-07-01T08:52:37Z",
                "Tue, 01 Jul 2003 08:52:37 +0000",
                "+0000",
                "2"
            ]
        );
        let received = parse_header_date("Received", "from x by y; Wed, 02 Jul 2003 01:02:03 -0330").unwrap();
        assert_eq!(
            parts(received)[9..],
            [
                "2003-07-02T01:02:03-03:30",
                "Wed, 02 Jul 2003 01:02:03 -0330",
                "-0330",
                "3"
            ]
        );
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 59, 60, 11_016, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn bad_dates_and_parts() {
        assert_eq!(parse_header_date("date", "yesterday"), None);
        assert_eq!(parse_header_date("date", ""), None);
        let time = ZonedTime {
            timestamp: 0,
            offset_minutes: 0,
        };
        assert_eq!(date_part(time, "fortnight"), None);
        assert_eq!(date_part(time, "WEEKDAY").unwrap(), "4");
    }
}
