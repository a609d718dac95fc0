//! POP3 through `malt serve`: mail delivered with the CLI is read and deleted with Python's
//! poplib, and the deletion is visible to the CLI afterwards.
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
fn poplib_reads_and_deletes_what_the_cli_delivered() {
    let malt = Malt::new();
    malt.with_user("u@example.com");
    malt.ok(&["deliver", "--to", "u@example.com"], &message("first", 300));
    malt.ok(&["deliver", "--to", "u@example.com"], &message("second", 300));
    let config = malt.config_with_starttls("pop3");
    let server = Server::start(&malt, &config, 2);
    let pop3 = server.addr("pop3");
    let cert = malt.data_dir().join("tls/cert.pem");
    let script = format!(
        r#"
import poplib, ssl
ctx = ssl.create_default_context(cafile={cert:?})
ctx.check_hostname = False
p = poplib.POP3("127.0.0.1", {port}, timeout=10)
assert "STLS" in p.capa(), p.capa()
p.stls(context=ctx)
p.user("u@example.com"); p.pass_("secret")
count, size = p.stat()
assert count == 2, count
body = b"\n".join(p.retr(1)[1])
assert b"Message-ID: <first@test>" in body, body[:200]
uidl = p.uidl()[1]
assert len(uidl) == 2 and all(len(u.split()[1]) == 16 for u in uidl), uidl
p.dele(1)
p.quit()
print("ok")
"#,
        cert = cert.to_str().unwrap(),
        port = pop3.port()
    );
    let out = python(&script);
    assert!(out.contains("ok"), "poplib: {out}");
    let left = message_ids(&malt.ok(&["export", "mbox", "u@example.com", "INBOX"], b""));
    assert_eq!(left, ["second"]);
    assert!(server.terminate(Duration::from_secs(15)).success());
}
