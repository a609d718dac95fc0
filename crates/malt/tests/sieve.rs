//! Sieve end to end through `malt serve`: bob's script, uploaded with `malt sieve put` and
//! activated, files a report into a new mailbox with flags, rejects spam at the SMTP level,
//! answers with a vacation reply (once), and redirects a message — sent by Python's smtplib to
//! the SMTP MX, checked over IMAP with imaplib, at a recording SMTP server the queue delivers the
//! redirect to (test DNS), and in the queue. A bounce to the redirect's SRS sender comes back
//! through the MX to the original sender; a forged SRS address is refused. Over LMTP, a front
//! filter's spam score and virus verdict reach `spamtest` and `virustest` (RFC 5235); `malt
//! deliver` runs the script too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;
use malt_testkit::{DnsServer, Record, SinkOptions};

const SCRIPT: &str = r#"require ["fileinto", "imap4flags", "mailbox", "reject", "vacation"];
if header :contains "subject" "spam" {
    reject "No spam here, thank you.";
    stop;
}
if header :contains "subject" "[report]" {
    fileinto :create :flags ["\\Flagged", "$Report"] "Reports";
    stop;
}
if header :contains "subject" "forward" {
    redirect "bob@remote.example";
    stop;
}
vacation :days 1 :subject "Out of office" "I am away until Monday.";
"#;

/// smtplib against the MX at `port`: sends each (subject, envelope sender, recipient) message,
/// printing `subject: code` per message (250, or the refusal's code and text).
fn send(port: u16, messages: &[(&str, &str, &str)]) -> String {
    let list: Vec<String> = messages
        .iter()
        .map(|(subject, from, to)| format!("({subject:?}, {from:?}, {to:?})"))
        .collect();
    python(&format!(
        r#"
import smtplib
from email.message import EmailMessage
s = smtplib.SMTP("127.0.0.1", {port})
s.ehlo("client.example.net")
for i, (subject, sender, rcpt) in enumerate([{list}]):
    m = EmailMessage()
    m["From"] = "Carol <carol@example.com>"
    m["To"] = "Bob <bob@example.com>"
    m["Subject"] = subject
    m["Message-ID"] = "<e2e-%d@example.com>" % i
    m.set_content("Hello Bob.")
    try:
        s.sendmail(sender, [rcpt], m.as_bytes())
        print("%s: 250" % subject)
    except smtplib.SMTPDataError as e:
        print("%s: %d %s" % (subject, e.smtp_code, e.smtp_error.decode()))
    except smtplib.SMTPRecipientsRefused as e:
        code, text = e.recipients[rcpt]
        print("%s: %d %s" % (subject, code, text.decode()))
s.quit()
"#,
        list = list.join(", ")
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_files_flags_rejects_answers_and_redirects() {
    let dns = DnsServer::start(vec![
        Record::mx("remote.example", 10, "mx.remote.example"),
        Record::a("mx.remote.example", "127.0.0.1"),
    ])
    .await;
    let remote = sink(SinkOptions::default()).await;
    let m = Malt::new();
    m.with_user("bob@example.com");
    m.with_user("carol@example.com");
    let script = m.dir.path().join("main.sieve");
    std::fs::write(&script, SCRIPT).unwrap();
    m.ok(
        &[
            "sieve",
            "put",
            "bob@example.com",
            "main",
            script.to_str().unwrap(),
        ],
        b"",
    );
    m.ok(&["sieve", "activate", "bob@example.com", "main"], b"");
    let config = m.config(&format!(
        "[[listener]]\nname = \"smtp\"\nprotocol = \"smtp\"\naddress = \"127.0.0.1\"\nport = 0\n\n\
         [[listener]]\nname = \"imap\"\nprotocol = \"imap\"\naddress = \"127.0.0.1\"\nport = 0\n\n\
         [dns]\nservers = [\"{}\"]\n\n[outbound]\nmx_port = {}\nconnect_timeout_secs = 5\n\
         command_timeout_secs = 5\ndata_timeout_secs = 5\n\n[queue]\nretry_schedule_secs = [1]\n\n\
         [delivery]\nsrs_domain = \"fwd.example.com\"\n",
        dns.addr(),
        remote.addr().port()
    ));
    let server = Server::start(&m, &config, 3);
    let smtp = server.addr("smtp").port();
    let imap = server.addr("imap").port();
    let storage = m.storage().await;

    let sent = send(
        smtp,
        &[
            ("[report] Q3 figures", "carol@example.com", "bob@example.com"),
            ("cheap spam offer", "carol@example.com", "bob@example.com"),
            ("hello", "carol@example.com", "bob@example.com"),
            ("hello again", "carol@example.com", "bob@example.com"),
            ("please forward", "carol@example.com", "bob@example.com"),
        ],
    );
    let lines: Vec<&str> = sent.lines().collect();
    assert_eq!(
        lines,
        [
            "[report] Q3 figures: 250",
            "cheap spam offer: 550 5.7.1 No spam here, thank you.",
            "hello: 250",
            "hello again: 250",
            "please forward: 250",
        ],
        "{sent}"
    );

    // The redirect leaves through the queue to remote.example's MX, from an SRS address of ours
    // that stands for carol, with bob's trace on top.
    wait_for("the redirect at the remote MX", async || {
        !remote.transactions().is_empty()
    })
    .await;
    let t = remote.transactions()[0].clone();
    assert_eq!(t.accepted(), ["bob@remote.example"]);
    assert!(
        t.mail_from.starts_with("SRS0=") && t.mail_from.ends_with("=example.com=carol@fwd.example.com"),
        "{}",
        t.mail_from
    );
    let body = String::from_utf8_lossy(&t.body).into_owned();
    assert!(body.starts_with("Delivered-To: bob@example.com\r\n"), "{body}");
    assert!(body.contains("Subject: please forward"), "{body}");

    // A bounce to that address comes back to carol; a forged one is refused.
    let forged = t.mail_from.replace("=carol@", "=mallory@");
    let bounced = send(
        smtp,
        &[
            ("Undelivered Mail Returned to Sender", "", &t.mail_from),
            ("forged bounce", "", &forged),
        ],
    );
    assert_eq!(
        bounced.lines().collect::<Vec<_>>(),
        [
            "Undelivered Mail Returned to Sender: 250",
            &format!("forged bounce: 550 5.1.1 <{forged}> Invalid or expired SRS address"),
        ],
        "{bounced}"
    );

    // The vacation reply is queued with the null sender and delivered to carol: once, though bob
    // got two messages from her. With the queue empty, nothing else is on its way.
    wait_for("the queue to empty and carol's two messages", async || {
        let carol = storage
            .store
            .account_by_address("carol@example.com")
            .await
            .unwrap()
            .unwrap();
        let inbox = storage
            .store
            .mailbox_get(carol.id, "INBOX")
            .await
            .unwrap()
            .unwrap();
        storage.store.queue_list().await.unwrap().is_empty() && inbox.message_count >= 2
    })
    .await;

    let out = python(&format!(
        r#"
import imaplib, email
def login(user):
    m = imaplib.IMAP4("127.0.0.1", {imap})
    m.login(user, "secret")
    return m
def messages(m, mailbox):
    typ, data = m.select(mailbox)
    assert typ == "OK", (mailbox, data)
    out = []
    for num in m.search(None, "ALL")[1][0].split():
        typ, d = m.fetch(num, "(FLAGS BODY.PEEK[])")
        flags = imaplib.ParseFlags(d[0][0])
        msg = email.message_from_bytes(d[0][1])
        out.append((sorted(f.decode() for f in flags), msg))
    return out

bob = login("bob@example.com")
boxes = [l.decode() for l in bob.list()[1]]
assert any('"Reports"' in b or b.endswith(" Reports") for b in boxes), boxes
reports = messages(bob, "Reports")
assert [(f, m["Subject"]) for f, m in reports] == [(["$Report", "\\Flagged"], "[report] Q3 figures")], reports
inbox = messages(bob, "INBOX")
assert [m["Subject"] for f, m in inbox] == ["hello", "hello again"], [m["Subject"] for f, m in inbox]
bob.logout()

carol = login("carol@example.com")
got = messages(carol, "INBOX")
subjects = sorted(m["Subject"] for f, m in got)
assert subjects == ["Out of office", "Undelivered Mail Returned to Sender"], subjects
reply = [m for f, m in got if m["Subject"] == "Out of office"][0]
assert reply["Auto-Submitted"] == "auto-replied", reply["Auto-Submitted"]
assert reply["In-Reply-To"] == "<e2e-2@example.com>", reply["In-Reply-To"]
assert reply["Return-Path"] == "<>", reply["Return-Path"]
assert "I am away until Monday." in reply.get_payload()
bounce = [m for f, m in got if m["Subject"] != "Out of office"][0]
assert bounce["Delivered-To"] == "carol@example.com", bounce["Delivered-To"]
carol.logout()
print("ok")
"#
    ));
    assert!(out.contains("ok"), "imaplib: {out}");
    assert!(server.terminate(Duration::from_secs(30)).success());
}

/// `malt deliver` (an MTA's local delivery agent) runs the script too: a fileinto lands in its
/// mailbox, a reject exits 77 (EX_NOPERM) with the reason for the MTA's bounce, `--mailbox` is
/// where a keep goes.
#[tokio::test(flavor = "multi_thread")]
async fn malt_deliver_runs_the_script() {
    let m = Malt::new();
    m.with_user("bob@example.com");
    let script = r#"require ["fileinto", "mailbox", "reject"];
if header :contains "subject" "spam" { reject "Not here."; }
elsif header :contains "subject" "[list]" { fileinto :create "Lists"; }
"#;
    m.ok(
        &["sieve", "put", "bob@example.com", "main", "-"],
        script.as_bytes(),
    );
    m.ok(&["sieve", "activate", "bob@example.com", "main"], b"");
    let msg = |subject: &str| format!("From: carol@example.com\r\nSubject: {subject}\r\n\r\nHi.\r\n");

    m.ok(
        &["deliver", "--to", "bob@example.com"],
        msg("[list] news").as_bytes(),
    );
    let out = m.run(&["deliver", "--to", "bob@example.com"], msg("spam").as_bytes());
    assert_eq!(out.status.code(), Some(77));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "malt deliver: Not here."
    );
    m.ok(
        &["deliver", "--to", "bob@example.com", "--mailbox", "Archive"],
        msg("hello").as_bytes(),
    );

    let storage = m.storage().await;
    let bob = storage
        .store
        .account_by_address("bob@example.com")
        .await
        .unwrap()
        .unwrap();
    let count = async |name: &str| {
        let mb = storage.store.mailbox_get(bob.id, name).await.unwrap().unwrap();
        mb.message_count
    };
    assert_eq!(count("Lists").await, 1);
    assert_eq!(count("Archive").await, 1);
    assert_eq!(count("INBOX").await, 0, "the rejected one is nowhere");
}

/// RFC 5235 over LMTP, as behind Postfix with a spam and a virus filter: the front filter's
/// `X-Spam-Score` and `X-Virus-Status`/`X-Virus-Scanned` fields are the scores `spamtest` and
/// `virustest` see; a message without them is untested (0). Checked over IMAP.
#[test]
fn spamtest_and_virustest_read_the_front_filters_verdicts_over_lmtp() {
    let m = Malt::new();
    m.with_user("bob@example.com");
    let script = r#"require ["fileinto", "mailbox", "spamtest", "virustest", "relational",
                    "comparator-i;ascii-numeric", "imap4flags"];
if virustest :value "eq" :comparator "i;ascii-numeric" "5" { fileinto :create "Quarantine"; stop; }
if spamtest :value "ge" :comparator "i;ascii-numeric" "6" { fileinto :create "Junk"; stop; }
if virustest :value "eq" :comparator "i;ascii-numeric" "0" { addflag "$Unscanned"; }
"#;
    m.ok(
        &["sieve", "put", "bob@example.com", "main", "-"],
        script.as_bytes(),
    );
    m.ok(&["sieve", "activate", "bob@example.com", "main"], b"");
    let config = m.config(
        "[[listener]]\nname = \"lmtp\"\nprotocol = \"lmtp\"\naddress = \"127.0.0.1\"\nport = 0\n\n\
         [[listener]]\nname = \"imap\"\nprotocol = \"imap\"\naddress = \"127.0.0.1\"\nport = 0\n",
    );
    let server = Server::start(&m, &config, 3);
    let lmtp = server.addr("lmtp").port();
    let imap = server.addr("imap").port();
    let out = python(&format!(
        r#"
import smtplib, imaplib, email
s = smtplib.LMTP("127.0.0.1", {lmtp}, timeout=10)
s.ehlo("mta.example.com")
for subject, fields in [
    ("infected", "X-Virus-Scanned: clamav-milter\r\nX-Virus-Status: Infected (Eicar-Signature)\r\nX-Spam-Score: 0.1\r\n"),
    ("spam", "X-Virus-Status: Clean\r\nX-Spam-Score: 7.5\r\n"),
    ("ham", "X-Virus-Status: Clean\r\nX-Spam-Score: -1.2\r\n"),
    ("unscanned", ""),
]:
    msg = fields + "From: carol@example.com\r\nTo: bob@example.com\r\nSubject: " + subject + "\r\n\r\nHi.\r\n"
    s.sendmail("carol@example.com", ["bob@example.com"], msg.encode())
s.quit()

m = imaplib.IMAP4("127.0.0.1", {imap})
m.login("bob@example.com", "secret")
def subjects(mailbox):
    typ, data = m.select(mailbox)
    assert typ == "OK", (mailbox, data)
    out = []
    for num in m.search(None, "ALL")[1][0].split():
        typ, d = m.fetch(num, "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        flags = sorted(f.decode() for f in imaplib.ParseFlags(d[0][0]))
        out.append((email.message_from_bytes(d[0][1])["Subject"], flags))
    return out
assert subjects("Quarantine") == [("infected", [])], subjects("Quarantine")
assert subjects("Junk") == [("spam", [])], subjects("Junk")
assert subjects("INBOX") == [("ham", []), ("unscanned", ["$Unscanned"])], subjects("INBOX")
m.logout()
print("ok")
"#
    ));
    assert!(out.contains("ok"), "{out}");
    assert!(server.terminate(Duration::from_secs(30)).success());
}
