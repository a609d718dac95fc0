//! Scale-out: two `malt serve` nodes on one PostgreSQL database and one blob directory. A client
//! idling on node A is told of a message appended on node B within a second (RFC 2177 IDLE; the
//! change feed crosses nodes through LISTEN/NOTIFY).
//!
//! Needs PostgreSQL: `MALT_TEST_PG_URL`, default `postgres://postgres@127.0.0.1:5432/test`. Without
//! it the test fails; it never skips. It works in a fresh schema, dropped at the end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// A fresh PostgreSQL schema for one test, dropped when this value is.
struct Schema {
    base: String,
    name: String,
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

async fn admin(base: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(base, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| {
            panic!("PostgreSQL is unreachable at {base} ({e}); start it or set MALT_TEST_PG_URL")
        });
    tokio::spawn(conn);
    client
}

impl Schema {
    fn new() -> Schema {
        let base = std::env::var("MALT_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let name = format!("malt_t_{:016x}", rand::random::<u64>());
        block_on(async {
            admin(&base)
                .await
                .batch_execute(&format!("CREATE SCHEMA {name}"))
                .await
                .unwrap();
        });
        Schema { base, name }
    }

    /// The connection URL that puts every statement of a node in this schema.
    fn url(&self) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}options=-csearch_path%3D{}", self.base, self.name)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        block_on(async move {
            let _ = admin(&base)
                .await
                .batch_execute(&format!("DROP SCHEMA {name} CASCADE"))
                .await;
        });
    }
}

/// A node's config: the shared database and blob directory, an IMAP listener on port 0.
fn node_config(malt: &Malt, schema: &Schema, blobs: &Path) -> PathBuf {
    malt.config(&format!(
        "[store]\nbackend = \"postgres\"\nurl = \"{}\"\nblob_dir = \"{}\"\n\n\
         [[listener]]\nname = \"imap\"\nprotocol = \"imap\"\naddress = \"127.0.0.1\"\nport = 0\n",
        schema.url(),
        blobs.display()
    ))
}

fn cli(config: &Path, args: &[&str], stdin: &[u8]) {
    let out = run_with(
        Command::new(BIN)
            .env_remove("RUST_LOG")
            .arg("--config")
            .arg(config)
            .args(args),
        stdin,
    );
    assert!(
        out.status.success(),
        "malt {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn idle_on_one_node_sees_an_append_on_another_within_a_second() {
    let schema = Schema::new();
    let blobs = tempfile::tempdir().unwrap();
    let (a, b) = (Malt::new(), Malt::new());
    let (config_a, config_b) = (
        node_config(&a, &schema, blobs.path()),
        node_config(&b, &schema, blobs.path()),
    );
    cli(&config_a, &["domain", "add", "example.com"], b"");
    cli(
        &config_a,
        &["user", "add", "u@example.com", "--password-stdin"],
        b"secret\n",
    );
    let node_a = Server::start(&a, &config_a, 2);
    let node_b = Server::start(&b, &config_b, 2);
    let script = format!(
        r#"
import imaplib, time
a = imaplib.IMAP4("127.0.0.1", {pa})
a.login("u@example.com", "secret")
typ, data = a.select("INBOX")
assert data == [b"0"], data
b = imaplib.IMAP4("127.0.0.1", {pb})
b.login("u@example.com", "secret")
tag = a._new_tag()
a.send(tag + b" IDLE\r\n")
assert a.readline().startswith(b"+"), "no IDLE continuation"
typ, data = b.append("INBOX", None, None, b"Subject: across nodes\r\n\r\nhello\r\n")
assert typ == "OK", data
appended = time.monotonic()
a.sock.settimeout(5)
line = a.readline()
seen = time.monotonic()
assert line == b"* 1 EXISTS\r\n", line
a.send(b"DONE\r\n")
assert a.readline().startswith(tag + b" OK"), "IDLE not completed"
typ, data = a.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
assert b"across nodes" in data[0][1], data
a.logout(); b.logout()
print(f"{{seen - appended:.3f}}")
"#,
        pa = node_a.addr("imap").port(),
        pb = node_b.addr("imap").port(),
    );
    let delay: f64 = python(&script).trim().parse().unwrap();
    assert!(delay < 1.0, "node A learned of node B's append after {delay} s");
}
