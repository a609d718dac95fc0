//! Sender authentication and DKIM signing through `malt serve`, with the DNS answers coming from a
//! test zone on loopback (`[dns] servers`): a message submitted by v@example.com is DKIM-signed with
//! the key `malt dkim generate` made; the same message arriving at the MX from an address the
//! domain's SPF record allows gets `Authentication-Results` with spf, dkim and dmarc `pass`
//! (RFC 8601); a sender whose domain's SPF refuses the client gets `spf=fail`, and an
//! `Authentication-Results` forged with our authserv-id is removed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;
use malt_testkit::dns::{DnsServer, Record};

/// The TXT value of `malt dkim record`'s output (its quoted strings joined).
fn txt_value(record_line: &str) -> String {
    record_line
        .split('"')
        .skip(1)
        .step_by(2)
        .collect::<Vec<_>>()
        .concat()
}

/// The messages of an mbox export, split at their `From ` lines.
fn messages(mbox: &str) -> Vec<String> {
    mbox.split("\nFrom ")
        .map(str::to_owned)
        .filter(|m| !m.trim().is_empty())
        .collect()
}

#[test]
fn submission_signs_and_the_mx_verifies_spf_dkim_dmarc() {
    let malt = Malt::new();
    malt.with_user("u@example.com");
    malt.with_user("v@example.com");
    malt.with_user("w@example.com");
    malt.ok(
        &["dkim", "generate", "example.com", "--algorithm", "ed25519"],
        b"",
    );
    let record = malt.ok(&["dkim", "record", "example.com"], b"");
    assert!(!record.contains("PRIVATE"), "{record}");
    let line = record
        .lines()
        .find(|l| l.contains("._domainkey.example.com."))
        .unwrap_or_else(|| panic!("no DNS record printed: {record}"));
    let selector = line.split("._domainkey.").next().unwrap().trim();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let dns = rt.block_on(DnsServer::start(vec![
        Record::txt(&format!("{selector}._domainkey.example.com"), &txt_value(line)),
        Record::txt("example.com", "v=spf1 ip4:127.0.0.1 -all"),
        Record::txt("_dmarc.example.com", "v=DMARC1; p=reject"),
        Record::txt("forged.test", "v=spf1 ip4:192.0.2.1 -all"),
    ]));
    let listener = |name: &str, protocol: &str| {
        format!(
            "[[listener]]\nname = \"{name}\"\nprotocol = \"{protocol}\"\naddress = \"127.0.0.1\"\nport = 0\ntls = \"starttls\"\n\n"
        )
    };
    let config = malt.config(&format!(
        "{}{}[dns]\nservers = [\"{}\"]\n",
        listener("smtp", "smtp"),
        listener("submission", "submission"),
        dns.addr()
    ));
    let server = Server::start(&malt, &config, 3);

    // 1. Submission: signed with the stored key.
    let script = format!(
        r#"
import smtplib, ssl
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", {sub}, timeout=10)
s.starttls(context=ctx)
s.login("v@example.com", "secret")
msg = b"From: v@example.com\r\nTo: u@example.com\r\nSubject: signed\r\nMessage-ID: <signed-1@example.com>\r\n\r\nhello\r\n"
assert s.sendmail("v@example.com", ["u@example.com"], msg) == {{}}
s.quit()
print("ok")
"#,
        sub = server.addr("submission").port(),
    );
    assert_eq!(python(&script).trim(), "ok");
    let mbox = malt.ok(&["export", "mbox", "u@example.com", "INBOX"], b"");
    let signed = messages(&mbox).pop().unwrap();
    assert!(signed.contains("DKIM-Signature:"), "{signed}");
    assert!(signed.contains("a=ed25519-sha256"), "{signed}");
    assert!(signed.contains("d=example.com"), "{signed}");
    assert!(signed.contains(&format!("s={selector}")), "{signed}");
    // The submitted message as it left the submission server: from its DKIM-Signature on.
    let start = signed.find("DKIM-Signature:").unwrap();
    let as_sent = signed[start..].replace("\r\n", "\n").replace('\n', "\r\n");

    // 2. The MX: the signed message from a client the SPF record allows passes everything; a forged
    //    Authentication-Results with our authserv-id is dropped.
    let forged =
        format!("Authentication-Results: test.example; spf=pass; dkim=pass; dmarc=pass\r\n{as_sent}");
    let script = format!(
        r#"
import smtplib
s = smtplib.SMTP("127.0.0.1", {mx}, timeout=10)
s.ehlo("mx.example.com")
assert s.sendmail("v@example.com", ["w@example.com"], {forged:?}.encode()) == {{}}
s.sendmail("x@forged.test", ["w@example.com"], b"From: x@forged.test\r\nSubject: forged\r\nMessage-ID: <f-1@forged.test>\r\n\r\nhi\r\n")
s.quit()
print("ok")
"#,
        mx = server.addr("smtp").port(),
    );
    assert_eq!(python(&script).trim(), "ok");
    let mbox = malt.ok(&["export", "mbox", "w@example.com", "INBOX"], b"");
    let got = messages(&mbox);
    assert_eq!(got.len(), 2, "{mbox}");
    let first = &got[0];
    let ar: Vec<&str> = first
        .lines()
        .filter(|l| l.starts_with("Authentication-Results:"))
        .collect();
    assert_eq!(ar.len(), 1, "only ours, the forged one is gone: {first}");
    let header = first
        .split("Authentication-Results:")
        .nth(1)
        .unwrap()
        .split("\nReceived:")
        .next()
        .unwrap();
    assert!(header.contains("spf=pass"), "{header}");
    assert!(header.contains("dkim=pass"), "{header}");
    assert!(header.contains("dmarc=pass"), "{header}");
    let second = &got[1];
    assert!(second.contains("Subject: forged"), "{second}");
    assert!(second.contains("spf=fail"), "{second}");
    drop(rt);
    assert!(server.terminate(Duration::from_secs(15)).success());
}
