//! What the server reads in the resources clients store: the checks of a PUT (RFC 4791 §4.1,
//! §5.3.2.1; RFC 6352 §5.1, §6.3.2.1), the UID, component and occurrence span the store keeps,
//! and the evaluation of report filters.
//!
//! Interim: until `malt-calendar` (iCalendar/vCard over calcard, recurrence expansion, filters)
//! lands, resources are checked for their structure only (one VCALENDAR holding one kind of
//! component with one UID; one VCARD with a VERSION), every calendar object gets the span that
//! overlaps every range, and filters keep every candidate.

use malt_dav_proto::request::{AddressDataRequest, CalendarDataRequest, CardFilter, CompFilter, CompTest};
use malt_dav_proto::time::format_utc;
use malt_store::{DavComponent, DavObject, DavSpan};

/// Longest content line after unfolding, and most lines, read from one resource.
const MAX_LINE: usize = 256 * 1024;
const MAX_LINES: usize = 200_000;
/// Deepest BEGIN/END nesting read.
const MAX_DEPTH: usize = 8;

/// What a PUT of a calendar object resource stores besides the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarInfo {
    pub uid: String,
    pub component: DavComponent,
    pub span: Option<DavSpan>,
}

/// Why a resource was refused: the precondition to name and a reason for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

/// One content line: name (upper case) and value (RFC 5545 §3.1, RFC 6350 §3.3).
struct Line {
    name: String,
    value: String,
}

/// The unfolded content lines of `bytes`.
fn lines(bytes: &[u8]) -> Result<Vec<Line>, Invalid> {
    let text = std::str::from_utf8(bytes).map_err(|_| Invalid("not UTF-8".into()))?;
    let mut unfolded: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(cont) = raw.strip_prefix([' ', '\t']) {
            let last = unfolded
                .last_mut()
                .ok_or_else(|| Invalid("starts with a folded line".into()))?;
            if last.len() + cont.len() > MAX_LINE {
                return Err(Invalid("a content line is too long".into()));
            }
            last.push_str(cont);
        } else if !raw.is_empty() {
            if unfolded.len() >= MAX_LINES {
                return Err(Invalid("too many lines".into()));
            }
            unfolded.push(raw.to_owned());
        }
    }
    unfolded
        .into_iter()
        .map(|l| {
            // The name ends at the first `;` (parameters) or `:` (value).
            let end = l
                .find([';', ':'])
                .ok_or_else(|| Invalid(format!("`{l}` has no value")))?;
            let (name, rest) = l.split_at(end);
            let colon = rest
                .find(':')
                .ok_or_else(|| Invalid(format!("`{l}` has no value")))?;
            let value = rest.get(colon + 1..).unwrap_or_default().to_owned();
            Ok(Line {
                name: name.to_ascii_uppercase(),
                value,
            })
        })
        .collect()
}

/// The components directly inside the outermost `outer` component: (name, UID) of each,
/// checking that BEGIN and END nest.
/// Components by name, with their UID when they have one.
type Components = Vec<(String, Option<String>)>;

fn top_components(bytes: &[u8], outer: &str) -> Result<(Components, Vec<Line>), Invalid> {
    let lines = lines(bytes)?;
    let mut stack: Vec<String> = Vec::new();
    let mut out: Components = Vec::new();
    let mut outer_lines = Vec::new();
    let mut seen_outer = false;
    for line in lines {
        match line.name.as_str() {
            "BEGIN" => {
                let name = line.value.trim().to_ascii_uppercase();
                if stack.is_empty() {
                    if seen_outer || name != outer {
                        return Err(Invalid(format!("not one {outer} object")));
                    }
                    seen_outer = true;
                } else if stack.len() == 1 {
                    out.push((name.clone(), None));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(Invalid("components nest too deep".into()));
                }
                stack.push(name);
            }
            "END" => {
                let name = line.value.trim().to_ascii_uppercase();
                if stack.pop().as_deref() != Some(name.as_str()) {
                    return Err(Invalid(format!("END:{name} does not close its component")));
                }
            }
            _ if stack.is_empty() => return Err(Invalid("content outside the object".into())),
            "UID" if stack.len() == 2 => {
                if let Some(last) = out.last_mut() {
                    last.1 = Some(line.value.trim().to_owned());
                }
            }
            _ if stack.len() == 1 => outer_lines.push(line),
            _ => {}
        }
    }
    if !stack.is_empty() || !seen_outer {
        return Err(Invalid(format!("{outer} is not closed")));
    }
    Ok((out, outer_lines))
}

/// Checks a calendar object resource (RFC 4791 §4.1: one VCALENDAR, components of one type
/// besides VTIMEZONE, one UID shared by all of them) and reads what the store keeps.
pub fn calendar(bytes: &[u8]) -> Result<CalendarInfo, Invalid> {
    let (components, _) = top_components(bytes, "VCALENDAR")?;
    let mut kind: Option<(DavComponent, String)> = None;
    for (name, uid) in components.into_iter().filter(|(n, _)| n != "VTIMEZONE") {
        let component = match name.as_str() {
            "VEVENT" => DavComponent::Event,
            "VTODO" => DavComponent::Todo,
            "VJOURNAL" => DavComponent::Journal,
            other => return Err(Invalid(format!("{other} cannot be stored"))),
        };
        let uid = uid.ok_or_else(|| Invalid(format!("{name} without UID")))?;
        match &kind {
            None => kind = Some((component, uid)),
            Some((c, u)) if *c == component && *u == uid => {}
            Some(_) => return Err(Invalid("more than one component type or UID".into())),
        }
    }
    let (component, uid) = kind.ok_or_else(|| Invalid("no VEVENT, VTODO or VJOURNAL".into()))?;
    Ok(CalendarInfo {
        uid,
        component,
        span: Some(DavSpan {
            start: i64::MIN,
            end: None,
        }),
    })
}

/// Checks a vCard (RFC 6352 §5.1: one vCard, with a VERSION) and returns its UID, if any.
pub fn vcard(bytes: &[u8]) -> Result<Option<String>, Invalid> {
    let (components, lines) = top_components(bytes, "VCARD")?;
    if !components.is_empty() {
        return Err(Invalid("a vCard holds no components".into()));
    }
    if !lines.iter().any(|l| l.name == "VERSION") {
        return Err(Invalid("no VERSION".into()));
    }
    Ok(lines
        .into_iter()
        .find(|l| l.name == "UID")
        .map(|l| l.value.trim().to_owned()))
}

/// Whether a calendar object matches a `calendar-query` filter (RFC 4791 §9.7). Interim: the
/// component names of the first two levels only.
pub fn calendar_matches(object: &DavObject, filter: &CompFilter) -> bool {
    if !filter.name.eq_ignore_ascii_case("VCALENDAR") {
        return false;
    }
    let CompTest::Defined { comps, .. } = &filter.test else {
        return false;
    };
    comps.iter().all(|f| {
        let same = f.name.eq_ignore_ascii_case(object.component.name());
        match f.test {
            CompTest::IsNotDefined => !same,
            CompTest::Defined { .. } => same,
        }
    })
}

/// The `calendar-data` a report returns for `object` when it asks for less than the whole
/// object (RFC 4791 §9.6); `None`: the whole object. Interim: always the whole object.
pub fn calendar_data(_object: &DavObject, _request: &CalendarDataRequest) -> Option<String> {
    None
}

/// Whether a vCard matches an `addressbook-query` filter (RFC 6352 §10.5). Interim: every one.
pub fn card_matches(_object: &DavObject, _filter: &CardFilter) -> bool {
    true
}

/// The `address-data` for `object` in another vCard version or with fewer properties
/// (RFC 6352 §10.4); `None`: as stored. Interim: always as stored.
pub fn address_data(_object: &DavObject, _request: &AddressDataRequest) -> Option<String> {
    None
}

/// The VFREEBUSY answering a free-busy query over `objects` for `[start, end)` (RFC 4791
/// §7.10). Interim: without busy periods.
pub fn free_busy(_objects: &[DavObject], start: i64, end: i64) -> String {
    let utc = |t: i64| format_utc(t).unwrap_or_default();
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Malt//CalDAV//EN\r\nBEGIN:VFREEBUSY\r\nDTSTART:{}\r\nDTEND:{}\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n",
        utc(start),
        utc(end)
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn calendar_objects() {
        let ok = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\n b\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let info = calendar(ok.as_bytes()).unwrap();
        assert_eq!((info.uid.as_str(), info.component), ("ab", DavComponent::Event));
        for bad in [
            "",
            "BEGIN:VCARD\r\nEND:VCARD\r\n",
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\nBEGIN:VTODO\r\nUID:a\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
        ] {
            assert!(calendar(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn vcards() {
        let ok = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nUID:u1\r\nEND:VCARD\r\n";
        assert_eq!(vcard(ok.as_bytes()).unwrap().as_deref(), Some("u1"));
        assert!(vcard(b"BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\n").is_err());
    }
}
