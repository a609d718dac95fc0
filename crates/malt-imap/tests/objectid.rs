//! OBJECTID (RFC 8474), PREVIEW (RFC 8970), SAVEDATE (RFC 8514) and APPENDLIMIT (RFC 7889) over the
//! wire.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

/// The text between `"{item} ("` and the next `)` in `line`.
fn paren_value(line: &str, item: &str) -> String {
    let start = line
        .find(&format!("{item} ("))
        .unwrap_or_else(|| panic!("{item} missing in {line}"))
        + item.len()
        + 2;
    let end = line[start..].find(')').unwrap() + start;
    line[start..end].to_owned()
}

/// RFC 8474 §7: objectid = 1*255(ALPHA / DIGIT / "_" / "-").
fn assert_objectid(id: &str) {
    assert!(
        !id.is_empty()
            && id.len() <= 255
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        "not an objectid: {id:?}"
    );
}

#[tokio::test]
async fn mailbox_ids() {
    let env = start().await;
    let mut c = env.logged_in().await;
    // CREATE reports the new mailbox's id (§4.1); STATUS and SELECT report the same one (§4.2, §4.3).
    let r = c.cmd("a CREATE Projects").await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].starts_with("a OK [MAILBOXID ("), "{r:?}");
    let id = paren_value(&r[0], "MAILBOXID");
    assert_objectid(&id);
    let r = c.cmd("b STATUS Projects (MAILBOXID MESSAGES)").await;
    assert_eq!(
        r[0],
        format!("* STATUS Projects (MAILBOXID ({id}) MESSAGES 0)\r\n")
    );
    let r = c.cmd("c SELECT Projects").await;
    assert!(
        r.contains(&format!("* OK [MAILBOXID ({id})] Mailbox id\r\n")),
        "{r:?}"
    );
    let inbox = c.cmd("d EXAMINE INBOX").await;
    let inbox_id = paren_value(
        inbox.iter().find(|l| l.contains("MAILBOXID")).unwrap(),
        "MAILBOXID",
    );
    assert_ne!(inbox_id, id);
    // RENAME keeps the id (§4.4); a new session sees the same ids.
    let r = c.cmd("e RENAME Projects Done").await;
    assert!(r[0].starts_with("e OK"), "{r:?}");
    let mut c2 = env.logged_in().await;
    let r = c2.cmd("f STATUS Done (MAILBOXID)").await;
    assert_eq!(r[0], format!("* STATUS Done (MAILBOXID ({id}))\r\n"));
    let r = c2.cmd("g STATUS INBOX (MAILBOXID)").await;
    assert_eq!(r[0], format!("* STATUS INBOX (MAILBOXID ({inbox_id}))\r\n"));
    // An id is never given to another mailbox (§4): not even when the last-created one is deleted
    // and another takes its place (SQLite would hand out the same row id again).
    let r = c2.cmd("h CREATE Last").await;
    let last = paren_value(&r[0], "MAILBOXID");
    assert!(c2.cmd("i DELETE Last").await[0].starts_with("i OK"));
    let r = c2.cmd("j CREATE Last").await;
    let again = paren_value(&r[0], "MAILBOXID");
    assert_objectid(&again);
    assert_ne!(again, last);
}

#[tokio::test]
async fn email_and_thread_ids() {
    let env = start().await;
    env.append(&msg("one", "first body")).await;
    env.append(&msg("two", "second body")).await;
    let mut c = env.logged_in().await;
    assert!(c.cmd("a CREATE Other").await[0].starts_with("a OK"));
    let r = c.cmd("b SELECT INBOX").await;
    assert!(r.last().unwrap().starts_with("b OK"), "{r:?}");
    let r = c.cmd("c FETCH 1:2 (EMAILID THREADID)").await;
    let e1 = paren_value(&r[0], "EMAILID");
    let e2 = paren_value(&r[1], "EMAILID");
    let t1 = paren_value(&r[0], "THREADID");
    for id in [&e1, &e2, &t1] {
        assert_objectid(id);
    }
    assert_ne!(e1, e2);
    assert_eq!(r[0], format!("* 1 FETCH (EMAILID ({e1}) THREADID ({t1}))\r\n"));
    // SEARCH EMAILID / THREADID (§6).
    let r = c.cmd(&format!("d SEARCH EMAILID {e2}")).await;
    assert_eq!(r[0], "* SEARCH 2\r\n");
    let r = c.cmd(&format!("e SEARCH THREADID {t1}")).await;
    assert!(r[0].starts_with("* SEARCH 1"), "{r:?}");
    let r = c.cmd("f SEARCH EMAILID Mnosuchid").await;
    assert_eq!(r[0], "* SEARCH\r\n");
    // Not an objectid (RFC 8474 §7): a syntax error.
    let r = c.cmd("f2 SEARCH EMAILID M.1").await;
    assert!(r[0].starts_with("f2 BAD "), "{r:?}");
    // COPY shares the EMAILID (§5.1 MAY: same immutable content); MOVE keeps it (§5.1 MUST).
    assert!(c.cmd("g COPY 1 Other").await.last().unwrap().starts_with("g OK"));
    assert!(c.cmd("h MOVE 2 Other").await.last().unwrap().starts_with("h OK"));
    let mut c2 = env.logged_in().await;
    let r = c2.cmd("i SELECT Other").await;
    assert!(r.last().unwrap().starts_with("i OK"), "{r:?}");
    let r = c2.cmd("j FETCH 1:2 (EMAILID THREADID)").await;
    assert_eq!(r[0], format!("* 1 FETCH (EMAILID ({e1}) THREADID ({t1}))\r\n"));
    assert!(r[1].starts_with(&format!("* 2 FETCH (EMAILID ({e2}) ")), "{r:?}");
}

#[tokio::test]
async fn previews() {
    let env = start().await;
    env.append(&msg("plain", "Hello   there,\r\n\r\n  how are   you?"))
        .await;
    let html = "From: a@example.net\r\nSubject: html\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<html><body><p>Big <b>news</b></p>\r\n<p>today</p></body></html>\r\n";
    env.append(html.as_bytes()).await;
    let attachment_only = "From: a@example.net\r\nSubject: att\r\nMIME-Version: 1.0\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n";
    env.append(attachment_only.as_bytes()).await;
    let long = "word ".repeat(100);
    env.append(&msg("long", &long)).await;
    let mut c = env.selected().await;
    // Whitespace collapsed (RFC 8970 §3.3); LAZY answers the same since previews are kept at ingest.
    let r = c.cmd("a FETCH 1 (PREVIEW)").await;
    assert_eq!(r[0], "* 1 FETCH (PREVIEW \"Hello there, how are you?\")\r\n");
    let r = c.cmd("b FETCH 1 (PREVIEW (LAZY))").await;
    assert_eq!(r[0], "* 1 FETCH (PREVIEW \"Hello there, how are you?\")\r\n");
    // No HTML markup (§3.3).
    let r = c.cmd("c FETCH 2 (PREVIEW)").await;
    assert_eq!(r[0], "* 2 FETCH (PREVIEW \"Big news today\")\r\n");
    // No text to preview: a zero-length string (§3.2 "MUST return a zero-length string").
    let r = c.cmd("d FETCH 3 (PREVIEW)").await;
    assert_eq!(r[0], "* 3 FETCH (PREVIEW \"\")\r\n");
    // At most 256 characters (§3.3).
    let r = c.cmd("e FETCH 4 (PREVIEW)").await;
    let quoted = r[0]
        .strip_prefix("* 4 FETCH (PREVIEW \"")
        .and_then(|s| s.strip_suffix("\")\r\n"))
        .unwrap();
    assert_eq!(quoted.chars().count(), 256, "{r:?}");
    assert!(quoted.starts_with("word word "), "{r:?}");
}

#[tokio::test]
async fn save_dates() {
    let env = start().await;
    let mut c = env.selected().await;
    // An old INTERNALDATE given at APPEND; the save date is still the time of saving.
    let m = msg("one", "x");
    let mut append = format!(
        "z APPEND INBOX \"07-Feb-1994 21:52:25 -0800\" {{{}+}}\r\n",
        m.len()
    )
    .into_bytes();
    append.extend_from_slice(&m);
    append.extend_from_slice(b"\r\n");
    c.send(&append).await;
    assert!(c.until("z").await.last().unwrap().starts_with("z OK"));
    let r = c.cmd("a FETCH 1 (SAVEDATE INTERNALDATE)").await;
    // The save date is "now", a date-time (RFC 8514 §4.2); the message's INTERNALDATE is its Date.
    let today = {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        secs / 86_400
    };
    let r2 = c.cmd("b SEARCH SAVEDSINCE 1-Jan-2020").await;
    assert_eq!(r2[0], "* SEARCH 1\r\n");
    let r2 = c.cmd("c SEARCH SAVEDBEFORE 1-Jan-2020").await;
    assert_eq!(r2[0], "* SEARCH\r\n");
    let r2 = c.cmd("d SEARCH SAVEDATESUPPORTED").await;
    assert_eq!(r2[0], "* SEARCH 1\r\n");
    // SAVEDON today (UTC) matches; SAVEDON the message's Date (1994) does not.
    let (y, m, d) = civil(today as i64);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let on = format!("{d}-{}-{y}", MONTHS[m as usize - 1]);
    let r2 = c.cmd(&format!("e SEARCH SAVEDON {on}")).await;
    assert_eq!(r2[0], "* SEARCH 1\r\n", "SAVEDON {on}");
    let r2 = c.cmd("f SEARCH SAVEDON 7-Feb-1994").await;
    assert_eq!(r2[0], "* SEARCH\r\n");
    let saved = format!("* 1 FETCH (SAVEDATE \"{d:02}-{}-{y} ", MONTHS[m as usize - 1]);
    assert!(r[0].starts_with(&saved), "{r:?}");
    assert!(
        r[0].ends_with(" +0000\" INTERNALDATE \"08-Feb-1994 05:52:25 +0000\")\r\n"),
        "{r:?}"
    );
}

/// Days since 1970-01-01 to (year, month, day).
fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[tokio::test]
async fn append_limit() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let r = c.cmd("a CAPABILITY").await;
    let limit: u64 = r[0]
        .split_whitespace()
        .find_map(|w| w.strip_prefix("APPENDLIMIT="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(limit > 0);
    // STATUS APPENDLIMIT (RFC 7889 §3) is the same limit.
    let r = c.cmd("b STATUS INBOX (APPENDLIMIT)").await;
    assert_eq!(r[0], format!("* STATUS INBOX (APPENDLIMIT {limit})\r\n"));
    // A synchronising literal over the limit is refused before any octet is sent (RFC 7889 §4).
    let r = c.cmd(&format!("c APPEND INBOX {{{}}}", limit + 1)).await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].starts_with("c NO [TOOBIG]"), "{r:?}");
    // The session goes on.
    let r = c.cmd("d NOOP").await;
    assert_eq!(r, vec!["d OK NOOP completed\r\n"]);
}
