//! Scheduling end to end through `malt serve` with real clients: alice invites bob (a user of
//! this server) and carol (elsewhere) with Debian's `python3-caldav` (`save_with_invites`);
//! bob's client finds the invitation in his scheduling inbox and accepts it (`accept_invite`),
//! which reaches alice's copy; carol's invitation leaves through the queue as an iMIP email to
//! remote.test's MX (a recording SMTP server found through the test DNS); carol's iMIP REPLY,
//! sent by Python's smtplib to the MX, updates alice's copy (read back over CalDAV) and stays in
//! alice's INBOX. `.ci/run` installs python3-caldav; without it this test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::process::Command;

use common::*;
use malt_calendar::itip::Method;
use malt_testkit::{DnsServer, Record, SinkOptions};

const ALICE: &str = "alice@example.org";
const BOB: &str = "bob@example.org";
const UID: &str = "e2e-meeting";

/// Runs `script` with Debian's Python (where `python3-caldav` lives) as `user`; returns stdout.
fn caldav_as(user: &str, url: &str, script: &str) -> String {
    let prelude = r#"
import caldav, os
client = caldav.DAVClient(url=os.environ["URL"] + "/.well-known/caldav", username=os.environ["DAV_USER"], password="secret")
principal = client.principal()
calendar = principal.calendar(cal_id="calendar")
"#;
    python_in(
        Command::new("/usr/bin/python3")
            .arg("-c")
            .arg(format!("{prelude}{script}"))
            .env("URL", url)
            .env("DAV_USER", user),
    )
}

/// The ATTENDEE lines of alice's copy, read over CalDAV, unfolded.
fn alice_attendees(url: &str) -> String {
    caldav_as(
        ALICE,
        url,
        &format!(
            r#"
event = calendar.event_by_uid("{UID}")
for a in event.icalendar_component.get("attendee"):
    print(a, a.params.get("PARTSTAT"), a.params.get("SCHEDULE-STATUS"))
"#
        ),
    )
}

/// Carol's answer as an iMIP email (RFC 6047): From her, a text/calendar REPLY part.
const REPLY_MAIL: &str = r#"
import smtplib, sys
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "Carol <carol@remote.test>"
m["To"] = "alice@example.org"
m["Subject"] = "Accepted: Planning"
m["Message-ID"] = "<reply-1@remote.test>"
m.set_content("Carol accepted.")
m.add_alternative("""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//remote//EN\r
METHOD:REPLY\r
BEGIN:VEVENT\r
UID:e2e-meeting\r
DTSTAMP:20260101T000000Z\r
DTSTART:20260302T100000Z\r
SEQUENCE:0\r
ORGANIZER:mailto:alice@example.org\r
ATTENDEE;PARTSTAT=ACCEPTED:mailto:carol@remote.test\r
END:VEVENT\r
END:VCALENDAR\r
""", subtype="calendar", params={"method": "REPLY"})
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
s.ehlo("mx.remote.test")
s.sendmail("carol@remote.test", ["alice@example.org"], m.as_bytes())
s.quit()
print("sent")
"#;

#[tokio::test(flavor = "multi_thread")]
async fn invitations_replies_and_imip_through_malt_serve() {
    let dns = DnsServer::start(vec![
        Record::mx("remote.test", 10, "mx.remote.test"),
        Record::a("mx.remote.test", "127.0.0.1"),
    ])
    .await;
    let remote = sink(SinkOptions::default()).await;
    let m = Malt::new();
    m.with_user(ALICE);
    m.with_user(BOB);
    let config = m.config(&format!(
        "[[listener]]\nname = \"smtp\"\nprotocol = \"smtp\"\naddress = \"127.0.0.1\"\nport = 0\n\n\
         [dns]\nservers = [\"{}\"]\n\n[outbound]\nmx_port = {}\nconnect_timeout_secs = 5\n\
         command_timeout_secs = 5\ndata_timeout_secs = 5\n\n[queue]\nretry_schedule_secs = [1]\n",
        dns.addr(),
        remote.addr().port()
    ));
    let server = Server::start(&m, &config, 2);
    let url = format!("http://{}", server.addr("http"));
    let smtp = server.addr("smtp").port();

    // Alice invites bob and carol with her client.
    let out = caldav_as(
        ALICE,
        &url,
        &format!(
            r#"
calendar.save_with_invites("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//malt test//EN
BEGIN:VEVENT
UID:{UID}
DTSTAMP:20260101T000000Z
DTSTART:20260302T100000Z
DTEND:20260302T110000Z
SUMMARY:Planning
END:VEVENT
END:VCALENDAR
""", ["mailto:{BOB}", "mailto:carol@remote.test"])
print("invited")
"#
        ),
    );
    assert_eq!(out.trim(), "invited");

    // Carol's invitation leaves by mail: an iMIP REQUEST from alice.
    wait_for("the iMIP invitation at remote.test", async || {
        !remote.transactions().is_empty()
    })
    .await;
    let t = remote.transactions()[0].clone();
    assert_eq!(t.accepted(), ["carol@remote.test"]);
    assert_eq!(t.mail_from, ALICE);
    let mail = String::from_utf8_lossy(&t.body).into_owned();
    assert!(mail.contains("Subject: Invitation: Planning"), "{mail}");
    let invitation = malt_calendar::imip::parse_incoming(&t.body).unwrap();
    assert_eq!(invitation.message.method, Method::Request);
    assert_eq!(invitation.message.uid(), UID);
    assert_eq!(invitation.from, ALICE);

    // Bob's client finds the invitation in his inbox and accepts it.
    let out = caldav_as(
        BOB,
        &url,
        r#"
invites = [i for i in principal.schedule_inbox().get_items() if i.is_invite_request()]
print(len(invites))
invites[0].accept_invite(calendar=calendar)
print(calendar.event_by_uid("e2e-meeting").icalendar_component.get("summary"))
"#,
    );
    assert_eq!(out.lines().collect::<Vec<_>>(), ["1", "Planning"], "{out}");
    let attendees = alice_attendees(&url);
    assert!(
        attendees.contains(&format!("mailto:{BOB} ACCEPTED")),
        "{attendees}"
    );
    assert!(
        attendees.contains("mailto:carol@remote.test NEEDS-ACTION 1.1"),
        "{attendees}"
    );

    // Carol answers by mail; the MX applies it to alice's event and keeps the mail.
    let sent = python_in(
        Command::new("python3")
            .arg("-c")
            .arg(REPLY_MAIL)
            .arg(smtp.to_string()),
    );
    assert_eq!(sent.trim(), "sent");
    let storage = m.storage().await;
    let alice = storage.store.account_by_address(ALICE).await.unwrap().unwrap();
    wait_for("carol's answer in alice's INBOX", async || {
        storage
            .store
            .mailbox_get(alice.id, "INBOX")
            .await
            .unwrap()
            .is_some_and(|i| i.message_count == 1)
    })
    .await;
    let attendees = alice_attendees(&url);
    assert!(
        attendees.contains("mailto:carol@remote.test ACCEPTED"),
        "{attendees}"
    );
    drop(server);
}
