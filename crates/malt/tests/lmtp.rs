//! LMTP through `malt serve`: Python's smtplib.LMTP delivers to two users (one recipient unknown), and
//! the CLI's mbox export shows the messages with their trace headers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;

#[test]
fn smtplib_lmtp_delivers_through_malt_serve() {
    let malt = Malt::new();
    malt.with_user("u@example.com");
    malt.with_user("v@example.com");
    let config = malt.config_with_starttls("lmtp");
    let server = Server::start(&malt, &config, 2);
    let lmtp = server.addr("lmtp");
    let script = format!(
        r#"
import smtplib
s = smtplib.LMTP("127.0.0.1", {port}, timeout=10)
code, banner = s.ehlo("mta.test")
assert code == 250 and b"CHUNKING" in banner, banner
assert s.mail("bounce@remote.test")[0] == 250
assert s.rcpt("u@example.com")[0] == 250
assert s.rcpt("nobody@example.com") == (550, b"5.1.1 <nobody@example.com> No such user here")
assert s.rcpt("v@example.com")[0] == 250
msg = open({msg:?}, "rb").read()
code, text = s.data(msg)
assert code == 250 and text.startswith(b"2.0.0 <u@example.com>"), (code, text)
code, text = s.getreply()
assert code == 250 and text.startswith(b"2.0.0 <v@example.com>"), (code, text)
s.quit()
print("ok")
"#,
        port = lmtp.port(),
        msg = {
            let path = malt.dir.path().join("msg.eml");
            std::fs::write(&path, message("lmtp-e2e", 500)).unwrap();
            path.to_str().unwrap().to_owned()
        }
    );
    assert_eq!(python(&script).trim(), "ok");
    for user in ["u@example.com", "v@example.com"] {
        let mbox = malt.ok(&["export", "mbox", user, "INBOX"], b"");
        assert_eq!(message_ids(&mbox), ["lmtp-e2e"], "{mbox}");
        assert!(mbox.contains("Return-Path: <bounce@remote.test>"), "{mbox}");
        assert!(mbox.contains(&format!("Delivered-To: {user}")), "{mbox}");
        assert!(mbox.contains("Received: from mta.test ([127.0.0.1])"), "{mbox}");
        assert!(mbox.contains("by test.example with LMTP id "), "{mbox}");
    }
    assert!(server.terminate(Duration::from_secs(15)).success());
}
