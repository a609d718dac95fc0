//! SMTP through `malt serve`: Python's smtplib relays through the MX listener from a relay network
//! (DSN parameters given) and submits over STARTTLS with AUTH; the local copies are in the mailboxes,
//! the remote recipient is in the durable queue with its DSN parameters, and the queued message
//! survives the server being SIGKILLed and started again.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;
use malt_store::DsnNotify;

fn config(malt: &Malt) -> std::path::PathBuf {
    let listener = |name: &str, protocol: &str| {
        format!(
            "[[listener]]\nname = \"{name}\"\nprotocol = \"{protocol}\"\naddress = \"127.0.0.1\"\nport = 0\ntls = \"starttls\"\n\n"
        )
    };
    malt.config(&format!(
        "{}{}[smtp]\nrelay_networks = [\"127.0.0.1/32\"]\n",
        listener("smtp", "smtp"),
        listener("submission", "submission")
    ))
}

async fn queue(malt: &Malt) -> Vec<malt_store::QueuedMessage> {
    let storage = malt.storage().await;
    let q = storage.store.queue_list().await.unwrap();
    for m in &q {
        // The content is readable too.
        let raw = storage.blobs.get(&m.blob_id).unwrap();
        assert!(String::from_utf8_lossy(&raw).contains("Subject: relayed"));
    }
    q
}

#[test]
fn relay_and_submission_through_malt_serve_and_the_queue_survives_a_crash() {
    let malt = Malt::new();
    malt.with_user("u@example.com");
    malt.with_user("v@example.com");
    let config = config(&malt);
    let server = Server::start(&malt, &config, 3);
    let script = format!(
        r#"
import smtplib, ssl
s = smtplib.SMTP("127.0.0.1", {mx}, timeout=10)
s.ehlo("relay.client.test")
assert s.has_extn("dsn"), s.esmtp_features
refused = s.sendmail("app@client.test", ["u@example.com", "far@remote.test"],
                     b"Subject: relayed\r\n\r\nhello\r\n",
                     mail_options=["RET=HDRS", "ENVID=e2e-1"],
                     rcpt_options=["NOTIFY=SUCCESS,DELAY", "ORCPT=rfc822;far@remote.test"])
assert refused == {{}}, refused
s.quit()
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", {sub}, timeout=10)
s.starttls(context=ctx)
s.login("v@example.com", "secret")
assert s.sendmail("v@example.com", ["u@example.com"], b"From: v@example.com\r\nSubject: submitted\r\n\r\nhi\r\n") == {{}}
s.quit()
print("ok")
"#,
        mx = server.addr("smtp").port(),
        sub = server.addr("submission").port(),
    );
    assert_eq!(python(&script).trim(), "ok");
    let mbox = malt.ok(&["export", "mbox", "u@example.com", "INBOX"], b"");
    assert!(mbox.contains("Subject: relayed"), "{mbox}");
    assert!(mbox.contains("by test.example with ESMTP id "), "{mbox}");
    assert!(mbox.contains("Subject: submitted"), "{mbox}");
    assert!(mbox.contains("by test.example with ESMTPSA id "), "{mbox}");
    // Submission added the Message-ID and Date the client left out.
    assert!(mbox.contains("@test.example>"), "{mbox}");

    // SIGKILL right after the 250s: what was acknowledged is on disk.
    drop(server);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let check = |q: Vec<malt_store::QueuedMessage>| {
        assert_eq!(q.len(), 1, "{q:?}");
        let m = &q[0];
        assert_eq!(m.return_path, "app@client.test");
        assert_eq!(m.envid.as_deref(), Some("e2e-1"));
        assert!(!m.ret_full);
        assert_eq!(m.recipients.len(), 1);
        let r = &m.recipients[0];
        assert_eq!(r.address, "far@remote.test");
        assert_eq!(r.orcpt.as_deref(), Some("rfc822;far@remote.test"));
        assert_eq!(
            r.notify,
            Some(DsnNotify {
                success: true,
                delay: true,
                ..DsnNotify::default()
            })
        );
    };
    check(rt.block_on(queue(&malt)));
    // The server starts again on the same data, and the queue is still there.
    let server = Server::start(&malt, &config, 3);
    check(rt.block_on(queue(&malt)));
    assert!(server.terminate(Duration::from_secs(15)).success());
}
