//! The mbox format (mboxrd: `From ` lines in bodies are quoted with `>`, and unquoted on reading)
//! and the asctime dates of its separator lines.

use std::io::{BufRead, Write};

/// Reads an mbox, calling `each(message, internal_date)` for every message, in order.
pub fn read<R: BufRead>(
    mut input: R,
    mut each: impl FnMut(Vec<u8>, Option<i64>) -> anyhow::Result<()>,
) -> anyhow::Result<u64> {
    let mut count = 0;
    let mut current: Option<(Vec<u8>, Option<i64>)> = None;
    let mut line = Vec::new();
    let mut prev_blank = true;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if prev_blank && line.starts_with(b"From ") {
            if let Some((msg, date)) = current.take() {
                each(trim_separator(msg), date)?;
                count += 1;
            }
            current = Some((Vec::new(), parse_from_line(&line)));
            prev_blank = false;
            continue;
        }
        prev_blank = line == b"\n" || line == b"\r\n";
        let Some((msg, _)) = current.as_mut() else {
            // Text before the first separator: not an mbox message; skip it.
            continue;
        };
        // mboxrd: ">From ", ">>From " ... lose one '>'.
        let quoted = line.iter().take_while(|&&b| b == b'>').count();
        if quoted > 0 && line.get(quoted..).is_some_and(|r| r.starts_with(b"From ")) {
            msg.extend_from_slice(line.get(1..).unwrap_or_default());
        } else {
            msg.extend_from_slice(&line);
        }
    }
    if let Some((msg, date)) = current.take() {
        each(trim_separator(msg), date)?;
        count += 1;
    }
    Ok(count)
}

/// The blank line before the next `From ` belongs to the format, not the message.
fn trim_separator(mut msg: Vec<u8>) -> Vec<u8> {
    if msg.ends_with(b"\r\n\r\n") {
        msg.truncate(msg.len() - 2);
    } else if msg.ends_with(b"\n\n") {
        msg.truncate(msg.len() - 1);
    }
    msg
}

/// Writes one message in mboxrd form.
pub fn write<W: Write>(out: &mut W, raw: &[u8], internal_date: i64) -> std::io::Result<()> {
    writeln!(out, "From MAILER-DAEMON {}", asctime(internal_date))?;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        let quoted = line.iter().take_while(|&&b| b == b'>').count();
        if line.get(quoted..).is_some_and(|r| r.starts_with(b"From ")) {
            out.write_all(b">")?;
        }
        out.write_all(line)?;
    }
    if !raw.ends_with(b"\n") {
        out.write_all(b"\n")?;
    }
    out.write_all(b"\n")
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// Days since 1970-01-01 to (year, month 1-12, day) — H. Hinnant's civil_from_days.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `Www Mmm dd hh:mm:ss yyyy` in UTC.
pub fn asctime(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let wd = DAYS.get(days.rem_euclid(7) as usize).copied().unwrap_or("Thu");
    let mon = MONTHS
        .get((m as usize).saturating_sub(1))
        .copied()
        .unwrap_or("Jan");
    format!(
        "{wd} {mon} {d:2} {:02}:{:02}:{:02} {y}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The date of a `From sender Www Mmm dd hh:mm:ss yyyy` line, if it has one.
fn parse_from_line(line: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(line).ok()?;
    let words: Vec<&str> = text.split_whitespace().collect();
    // From, sender, then the date's five words (some writers add a zone before the year).
    let n = words.len();
    if n < 7 {
        return None;
    }
    let year: i64 = words.get(n - 1)?.parse().ok()?;
    let (mon, day, time) = (words.get(n - 4)?, words.get(n - 3)?, words.get(n - 2)?);
    let m = MONTHS.iter().position(|x| x.eq_ignore_ascii_case(mon))? as u32 + 1;
    let d: u32 = day.parse().ok()?;
    let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, mi, s) = (hms.next()??, hms.next()??, hms.next().flatten().unwrap_or(0));
    Some(days_from_civil(year, m, d) * 86_400 + h * 3600 + mi * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(asctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(asctime(1_700_000_000), "Tue Nov 14 22:13:20 2023");
        let line = format!("From someone@example.com {}\n", asctime(1_700_000_000));
        assert_eq!(parse_from_line(line.as_bytes()), Some(1_700_000_000));
    }

    #[test]
    fn mboxrd_round_trip() {
        let msgs: Vec<&[u8]> = vec![
            b"Subject: a\n\nFrom here\n>From there\nbody\n",
            b"Subject: b\r\n\r\nno newline at end",
            b"Subject: c\n\n\n\ntrailing blank lines\n\n",
        ];
        let mut out = Vec::new();
        for m in &msgs {
            write(&mut out, m, 1_700_000_000).unwrap();
        }
        let mut got = Vec::new();
        read(out.as_slice(), |m, d| {
            assert_eq!(d, Some(1_700_000_000));
            got.push(m);
            Ok(())
        })
        .unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], msgs[0]);
        assert_eq!(got[1], b"Subject: b\r\n\r\nno newline at end\n");
        assert_eq!(got[2], msgs[2]);
    }
}
