//! The UTC date-times of CalDAV `time-range`, `expand`, `limit-recurrence-set` and
//! `limit-freebusy-set` (RFC 4791 §9.9: "date with UTC time", RFC 5545 §3.3.5 form #2,
//! `19980119T070000Z`), as Unix seconds. No time zones: the attribute values are always UTC.

/// Unix seconds of `YYYYMMDDTHHMMSSZ` (year 0000-9999; a leap second reads as the next second),
/// or `None` when the text is not that form or names no such day.
pub fn parse_utc(s: &str) -> Option<i64> {
    let (date, time) = s.split_once('T')?;
    let time = time.strip_suffix('Z')?;
    if date.len() != 8 || time.len() != 6 || !date.bytes().chain(time.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |s: &str, from: usize, to: usize| -> Option<i64> { s.get(from..to)?.parse().ok() };
    let (year, month, day) = (num(date, 0, 4)?, num(date, 4, 6)?, num(date, 6, 8)?);
    let (hour, minute, second) = (num(time, 0, 2)?, num(time, 2, 4)?, num(time, 4, 6)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// `YYYYMMDDTHHMMSSZ` of Unix seconds; `None` outside years 0000-9999.
pub fn format_utc(t: i64) -> Option<String> {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    (0..=9999).contains(&y).then(|| {
        format!(
            "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
            secs / 3_600,
            secs % 3_600 / 60,
            secs % 60
        )
    })
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_instants() {
        assert_eq!(parse_utc("19700101T000000Z"), Some(0));
        assert_eq!(parse_utc("20060104T000000Z"), Some(1_136_332_800));
        assert_eq!(parse_utc("20000229T235959Z"), Some(951_868_799));
        assert_eq!(parse_utc("19691231T235959Z"), Some(-1));
        assert_eq!(parse_utc("00000101T000000Z"), Some(-62_167_219_200));
        assert_eq!(format_utc(1_136_332_800).as_deref(), Some("20060104T000000Z"));
        for bad in [
            "20060104T000000",
            "20060104",
            "2006-01-04T00:00:00Z",
            "20060230T000000Z",
            "20061301T000000Z",
            "20060104T240000Z",
            "20060104T000000z",
            "+0060104T000000Z",
            "",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn format_then_parse(t in -62_167_219_200i64..253_402_300_800) {
            let s = format_utc(t).unwrap();
            prop_assert_eq!(parse_utc(&s), Some(t));
        }

        #[test]
        fn any_text_is_safe(s in ".{0,20}") {
            let _ = parse_utc(&s);
        }
    }
}
