//! CalDAV and CardDAV with real clients against `malt serve`: Debian's `python3-caldav` (the
//! `caldav` library, run with Debian's /usr/bin/python3 where it is installed) and
//! `vdirsyncer`. Both start from the user name and password only (discovery from
//! `/.well-known/caldav`, or from the server's root for vdirsyncer). `.ci/run` installs both;
//! without them these tests fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Malt, Server};

const USER: &str = "alice@example.org";

/// `malt serve` with one HTTP listener and the user `alice@example.org` (password `secret`).
fn serve(malt: &Malt) -> (Server, String) {
    malt.with_user(USER);
    let config = malt.config("");
    let server = Server::start(malt, &config, 1);
    let url = format!("http://{}", server.addr("http"));
    (server, url)
}

/// Runs `script` with Debian's Python (where `python3-caldav` lives); returns stdout.
fn debian_python(script: &str, url: &str) -> String {
    common::python_in(
        Command::new("/usr/bin/python3")
            .arg("-c")
            .arg(script)
            .env("URL", url)
            .env("DAV_USER", USER),
    )
}

const CALDAV_SCRIPT: &str = r#"
import caldav, datetime, json, os
utc = datetime.timezone.utc
c = caldav.DAVClient(url=os.environ["URL"] + "/.well-known/caldav", username=os.environ["DAV_USER"], password="secret")
p = c.principal()
out = {"principal": str(p.url), "calendars": sorted(x.name for x in p.calendars())}
cal = p.make_calendar(name="Work", cal_id="work", supported_calendar_component_set=["VEVENT"])
# Weekly on Mondays 10:00 UTC, ten times from 2026-01-05; the second one moved to Tuesday 15:00.
cal.save_event("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//malt test//EN
BEGIN:VEVENT
UID:weekly@test
DTSTAMP:20260101T000000Z
DTSTART:20260105T100000Z
DTEND:20260105T110000Z
RRULE:FREQ=WEEKLY;COUNT=10
SUMMARY:Weekly
END:VEVENT
BEGIN:VEVENT
UID:weekly@test
DTSTAMP:20260101T000000Z
RECURRENCE-ID:20260112T100000Z
DTSTART:20260113T150000Z
DTEND:20260113T160000Z
SUMMARY:Weekly (moved)
END:VEVENT
END:VCALENDAR
""")
cal.save_event("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//malt test//EN
BEGIN:VEVENT
UID:single@test
DTSTAMP:20260101T000000Z
DTSTART:20260301T120000Z
DTEND:20260301T130000Z
SUMMARY:Single
END:VEVENT
END:VCALENDAR
""")
tasks = p.make_calendar(name="Chores", cal_id="chores", supported_calendar_component_set=["VTODO"])
tasks.save_todo("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//malt test//EN
BEGIN:VTODO
UID:todo1@test
DTSTAMP:20260101T000000Z
SUMMARY:Water the plants
DUE:20260110T090000Z
END:VTODO
END:VCALENDAR
""")
def search(a, b):
    found = cal.date_search(start=datetime.datetime(*a, tzinfo=utc), end=datetime.datetime(*b, tzinfo=utc), expand=False)
    return sorted(str(e.icalendar_instance.walk("VEVENT")[0]["UID"]) for e in found)
out["monday_12th"] = search((2026, 1, 12), (2026, 1, 13))
out["tuesday_13th"] = search((2026, 1, 13), (2026, 1, 14))
out["march_1st"] = search((2026, 3, 1), (2026, 3, 2))
out["june"] = search((2026, 6, 1), (2026, 7, 1))
out["events"] = len(cal.events())
out["todos"] = [str(t.icalendar_instance.walk("VTODO")[0]["SUMMARY"]) for t in tasks.todos()]
print(json.dumps(out))
"#;

#[test]
fn python_caldav_discovers_creates_and_searches() {
    let malt = Malt::new();
    let (_server, url) = serve(&malt);
    let out: serde_json::Value = serde_json::from_str(&debian_python(CALDAV_SCRIPT, &url)).unwrap();
    let principal = out["principal"].as_str().unwrap();
    assert!(
        principal.ends_with("/dav/principals/alice@example.org/"),
        "{principal}"
    );
    assert_eq!(
        out["calendars"],
        serde_json::json!(["Calendar", "Tasks"]),
        "the defaults, created on first access"
    );
    // The moved instance is found on its new day, not on its old one (RECURRENCE-ID).
    assert_eq!(out["monday_12th"], serde_json::json!([]));
    assert_eq!(out["tuesday_13th"], serde_json::json!(["weekly@test"]));
    assert_eq!(out["march_1st"], serde_json::json!(["single@test"]));
    assert_eq!(out["june"], serde_json::json!([]));
    assert_eq!(out["events"], 2);
    assert_eq!(out["todos"], serde_json::json!(["Water the plants"]));
}

/// Server-side edits, as another client makes them: PUT or DELETE of `path` with Basic auth.
const EDIT_SCRIPT: &str = r#"
import base64, os, sys, urllib.request
auth = "Basic " + base64.b64encode((os.environ["DAV_USER"] + ":secret").encode()).decode()
method, path = sys.argv[1], sys.argv[2]
data = sys.stdin.buffer.read() if method == "PUT" else None
req = urllib.request.Request(os.environ["URL"] + path, data=data, method=method, headers={"Authorization": auth})
if data is not None:
    req.add_header("Content-Type", sys.argv[3])
print(urllib.request.urlopen(req).status)
"#;

fn edit(url: &str, method: &str, path: &str, content_type: &str, body: &str) {
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", EDIT_SCRIPT, method, path, content_type])
        .env("URL", url)
        .env("DAV_USER", USER)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{method} {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn event(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//malt test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260201T100000Z\r\nDTEND:20260201T110000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn card(uid: &str, name: &str) -> String {
    format!("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\nEND:VCARD\r\n")
}

fn vdirsyncer(config: &Path, args: &[&str]) -> String {
    let mut child = Command::new("vdirsyncer")
        .arg("-c")
        .arg(config)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vdirsyncer (apt-get install vdirsyncer)");
    // `discover` asks before creating each local collection.
    use std::io::Write;
    let _ = child.stdin.take().unwrap().write_all(&b"y\n".repeat(10));
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "vdirsyncer {args:?} failed:\n{text}");
    text
}

/// The UID and the given property of every item file in `dir`, sorted.
fn items(dir: &Path, property: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .map(|text| {
            let field = |name: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(&format!("{name}:")))
                    .unwrap_or_default()
                    .trim()
                    .to_owned()
            };
            (field("UID"), field(property))
        })
        .collect();
    out.sort();
    out
}

fn local_file(dir: &Path, uid: &str) -> std::path::PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .contains(&format!("UID:{uid}"))
        })
        .unwrap_or_else(|| panic!("no local item {uid}"))
}

#[test]
fn vdirsyncer_two_way_sync() {
    let malt = Malt::new();
    let (_server, url) = serve(&malt);
    let cal = "/dav/calendars/alice@example.org/calendar/";
    let book = "/dav/addressbooks/alice@example.org/contacts/";
    // The defaults exist from the first request on; two items on each side to start with.
    edit(
        &url,
        "PUT",
        &format!("{cal}a.ics"),
        "text/calendar",
        &event("a", "Server A"),
    );
    edit(
        &url,
        "PUT",
        &format!("{cal}b.ics"),
        "text/calendar",
        &event("b", "Server B"),
    );
    edit(
        &url,
        "PUT",
        &format!("{book}ann.vcf"),
        "text/vcard",
        &card("ann", "Ann"),
    );
    edit(
        &url,
        "PUT",
        &format!("{book}bob.vcf"),
        "text/vcard",
        &card("bob", "Bob"),
    );

    let dir = malt.dir.path().join("vdir");
    let config = dir.join("config");
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.display();
    std::fs::write(
        &config,
        format!(
            r#"[general]
status_path = "{d}/status/"

[pair cal]
a = "cal_local"
b = "cal_remote"
collections = ["from b"]

[storage cal_local]
type = "filesystem"
path = "{d}/cal/"
fileext = ".ics"

[storage cal_remote]
type = "caldav"
url = "{url}/"
username = "{USER}"
password = "secret"

[pair card]
a = "card_local"
b = "card_remote"
collections = ["from b"]

[storage card_local]
type = "filesystem"
path = "{d}/card/"
fileext = ".vcf"

[storage card_remote]
type = "carddav"
url = "{url}/"
username = "{USER}"
password = "secret"
"#
        ),
    )
    .unwrap();
    let discovered = vdirsyncer(&config, &["discover"]);
    assert!(
        discovered.contains("\"calendar\"") && discovered.contains("\"contacts\""),
        "{discovered}"
    );
    vdirsyncer(&config, &["sync"]);
    let local_cal = dir.join("cal/calendar");
    let local_book = dir.join("card/contacts");
    assert_eq!(
        items(&local_cal, "SUMMARY"),
        vec![("a".into(), "Server A".into()), ("b".into(), "Server B".into())]
    );
    assert_eq!(
        items(&local_book, "FN"),
        vec![("ann".into(), "Ann".into()), ("bob".into(), "Bob".into())]
    );

    // Changes on both sides: locally A edited, C added, Bob deleted; on the server B edited,
    // Ann edited, D added.
    let a_path = local_file(&local_cal, "a");
    std::fs::write(&a_path, event("a", "Local A")).unwrap();
    std::fs::write(local_cal.join("c.ics"), event("c", "Local C")).unwrap();
    std::fs::remove_file(local_file(&local_book, "bob")).unwrap();
    edit(
        &url,
        "PUT",
        &format!("{cal}b.ics"),
        "text/calendar",
        &event("b", "Server B2"),
    );
    edit(
        &url,
        "PUT",
        &format!("{cal}d.ics"),
        "text/calendar",
        &event("d", "Server D"),
    );
    edit(
        &url,
        "PUT",
        &format!("{book}ann.vcf"),
        "text/vcard",
        &card("ann", "Ann Two"),
    );
    std::thread::sleep(Duration::from_millis(10));
    vdirsyncer(&config, &["sync"]);

    let expected_cal = vec![
        ("a".to_owned(), "Local A".to_owned()),
        ("b".into(), "Server B2".into()),
        ("c".into(), "Local C".into()),
        ("d".into(), "Server D".into()),
    ];
    assert_eq!(items(&local_cal, "SUMMARY"), expected_cal);
    assert_eq!(items(&local_book, "FN"), vec![("ann".into(), "Ann Two".into())]);

    // The server holds the same, item by item: sync again into a fresh directory.
    let fresh = dir.join("fresh");
    let fresh_config = dir.join("fresh-config");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace(&format!("{d}/"), &format!("{}/", fresh.display()));
    std::fs::write(&fresh_config, text).unwrap();
    vdirsyncer(&fresh_config, &["discover"]);
    vdirsyncer(&fresh_config, &["sync"]);
    assert_eq!(items(&fresh.join("cal/calendar"), "SUMMARY"), expected_cal);
    assert_eq!(
        items(&fresh.join("card/contacts"), "FN"),
        vec![("ann".into(), "Ann Two".into())]
    );
}

const SHARING_SCRIPT: &str = r#"
import caldav, json, os
url = os.environ["URL"] + "/.well-known/caldav"
a = caldav.DAVClient(url=url, username="alice@example.org", password="secret")
cal = [c for c in a.principal().calendars() if str(c.url).endswith("/calendar/")][0]
cal.save_event("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//malt test//EN
BEGIN:VEVENT
UID:shared@test
DTSTAMP:20260101T000000Z
DTSTART:20260301T120000Z
DTEND:20260301T130000Z
SUMMARY:Team lunch
END:VEVENT
END:VCALENDAR
""")
share = '<CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><CS:set><D:href>mailto:bob@example.org</D:href><CS:read/></CS:set></CS:share>'
r = a.post(str(cal.url), share, {"Content-Type": "application/xml; charset=utf-8"})
b = caldav.DAVClient(url=url, username="bob@example.org", password="secret")
shared = [c for c in b.principal().calendars() if "/shared-" in str(c.url)]
out = {"status": r.status, "shared": [str(c.url) for c in shared]}
out["summaries"] = [str(e.icalendar_instance.walk("VEVENT")[0]["SUMMARY"]) for e in shared[0].events()] if shared else []
print(json.dumps(out))
"#;

/// A sharee discovers a calendar shared with them in their home and reads it with
/// `python3-caldav`, as with any of their calendars.
#[test]
fn python_caldav_sharee_discovers_a_shared_calendar() {
    let malt = Malt::new();
    malt.with_user("bob@example.org");
    let (_server, url) = serve(&malt);
    let out: serde_json::Value = serde_json::from_str(&debian_python(SHARING_SCRIPT, &url)).unwrap();
    assert_eq!(out["status"], 200, "{out}");
    let shared = out["shared"].as_array().unwrap();
    assert_eq!(shared.len(), 1, "{out}");
    // In Bob's home (the client writes the `@` of the path as `%40`).
    let href = shared[0].as_str().unwrap().replace("%40", "@");
    assert!(href.contains("/dav/calendars/bob@example.org/shared-"), "{out}");
    assert_eq!(out["summaries"], serde_json::json!(["Team lunch"]));
}
