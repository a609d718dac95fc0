//! LMTP through `malt serve`, on TCP and on a Unix socket: Python's smtplib.LMTP delivers to two users
//! (one recipient unknown), and the CLI's mbox export shows the messages with their trace headers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;

/// Python's smtplib.LMTP, connected by `connect` (Python arguments: host and port, or a socket path),
/// delivers message `id` to u@ and v@example.com (a third, unknown recipient refused at RCPT), one
/// reply per recipient after DATA; the CLI's mbox export then shows each copy with its trace headers.
fn deliver_to_two(malt: &Malt, connect: &str, id: &str) {
    let script = format!(
        r#"
import smtplib
s = smtplib.LMTP({connect}, timeout=10)
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
        msg = {
            let path = malt.dir.path().join(format!("{id}.eml"));
            std::fs::write(&path, message(id, 500)).unwrap();
            path.to_str().unwrap().to_owned()
        }
    );
    assert_eq!(python(&script).trim(), "ok");
    for user in ["u@example.com", "v@example.com"] {
        let mbox = malt.ok(&["export", "mbox", user, "INBOX"], b"");
        assert_eq!(message_ids(&mbox), [id], "{mbox}");
        assert!(mbox.contains("Return-Path: <bounce@remote.test>"), "{mbox}");
        assert!(mbox.contains(&format!("Delivered-To: {user}")), "{mbox}");
        assert!(mbox.contains("Received: from mta.test ([127.0.0.1])"), "{mbox}");
        assert!(mbox.contains("by test.example with LMTP id "), "{mbox}");
    }
}

#[test]
fn smtplib_lmtp_delivers_through_malt_serve() {
    let malt = Malt::new();
    malt.with_user("u@example.com");
    malt.with_user("v@example.com");
    let config = malt.config_with_starttls("lmtp");
    let server = Server::start(&malt, &config, 2);
    let lmtp = server.addr("lmtp");
    deliver_to_two(&malt, &format!("\"127.0.0.1\", {}", lmtp.port()), "lmtp-e2e");
    assert!(server.terminate(Duration::from_secs(15)).success());
}

/// As Postfix delivers into Dovecot (`mailbox_transport = lmtp:unix:...`): a `path` listener in the
/// config file, smtplib.LMTP given the socket path, the mode applied, a second instance refused while
/// the first listens, and the socket file gone after SIGTERM.
#[test]
fn smtplib_lmtp_over_a_unix_socket_through_malt_serve() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};

    let malt = Malt::new();
    malt.with_user("u@example.com");
    malt.with_user("v@example.com");
    let sock = malt.dir.path().join("lmtp.sock");
    let config = malt.config(&format!(
        "[[listener]]\nname = \"lmtp-unix\"\nprotocol = \"lmtp\"\npath = \"{}\"\nmode = \"0600\"\n",
        sock.display()
    ));
    let server = Server::start(&malt, &config, 1);
    // The TCP listener is reported by its address; wait for the Unix one's "listening" line too.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !server.log.lock().unwrap().contains("listener=lmtp-unix") {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            server.log.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let meta = std::fs::symlink_metadata(&sock).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);

    deliver_to_two(&malt, &format!("{:?}", sock.to_str().unwrap()), "lmtp-unix-e2e");

    // A second instance must not take the socket of a running one.
    let out = run_with(
        std::process::Command::new(BIN)
            .env_remove("RUST_LOG")
            .arg("--config")
            .arg(&config)
            .arg("serve"),
        b"",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("a socket file exists and a server is listening on it"),
        "{stderr}"
    );
    assert!(sock.exists());

    assert!(server.terminate(Duration::from_secs(15)).success());
    assert!(!sock.exists(), "socket file left after SIGTERM");
}
