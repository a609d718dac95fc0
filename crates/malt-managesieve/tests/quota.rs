//! Quota (RFC 5804 §1.3, §2.5, §2.6): HAVESPACE and PUTSCRIPT against `[sieve] max_scripts` and
//! `max_script_size` — `QUOTA/MAXSCRIPTS` for a new name over the count (replacing is always
//! allowed), `QUOTA/MAXSIZE` over the size (a literal too big for the limit is refused before it
//! is buffered).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::start_with;
use malt_config::SieveConfig;

fn small() -> SieveConfig {
    SieveConfig {
        max_scripts: 2,
        max_script_size: 100,
        ..SieveConfig::default()
    }
}

#[tokio::test]
async fn havespace() {
    let env = start_with(small(), |_| {}).await;
    let mut c = env.logged_in().await;
    assert_eq!(
        c.cmd("HAVESPACE \"a\" 100").await.status,
        "OK \"Putscript would succeed.\""
    );
    assert_eq!(
        c.cmd("HAVESPACE \"a\" 101").await.status,
        "NO (QUOTA/MAXSIZE) \"the script is 101 bytes, more than the 100 bytes allowed\""
    );
    assert!(
        c.cmd("HAVESPACE \"a\" 4294967295")
            .await
            .status
            .starts_with("NO (QUOTA/MAXSIZE)")
    );
    assert_eq!(
        c.cmd("HAVESPACE \"\" 1").await.status,
        "NO \"invalid script name: empty\""
    );
    assert!(c.put("a", "keep;").await.is_ok());
    assert!(c.put("b", "keep;").await.is_ok());
    assert_eq!(
        c.cmd("HAVESPACE \"c\" 5").await.status,
        "NO (QUOTA/MAXSCRIPTS) \"the account already has the 2 scripts allowed\""
    );
    assert!(
        c.cmd("HAVESPACE \"b\" 50").await.is_ok(),
        "replacing needs no new slot"
    );
}

#[tokio::test]
async fn putscript_over_quota() {
    let env = start_with(small(), |_| {}).await;
    let mut c = env.logged_in().await;
    assert!(c.put("a", "keep;").await.is_ok());
    assert!(c.put("b", "keep;").await.is_ok());
    assert_eq!(
        c.put("c", "keep;").await.status,
        "NO (QUOTA/MAXSCRIPTS) \"the account already has the 2 scripts allowed\""
    );
    assert!(
        c.put("b", "discard;").await.is_ok(),
        "replacing is allowed at the limit"
    );
    assert_eq!(env.source("b").await.as_deref(), Some("discard;"));
    // A quoted script over the size: refused by the check.
    let big = format!("keep; # {}", "x".repeat(100));
    assert_eq!(
        c.cmd(&format!("PUTSCRIPT \"a\" \"{big}\"")).await.status,
        format!(
            "NO (QUOTA/MAXSIZE) \"the script is {} bytes, more than the 100 bytes allowed\"",
            big.len()
        )
    );
    // As a literal: refused before it is read, and the session goes on.
    let r = c.put("a", &big).await;
    assert_eq!(
        r.status,
        "NO (QUOTA/MAXSIZE) \"Literal too large: at most 100 octets (the largest script).\""
    );
    assert!(c.cmd("NOOP").await.is_ok());
    assert_eq!(env.source("a").await.as_deref(), Some("keep;"));
    // Deleting frees a slot.
    assert!(c.cmd("DELETESCRIPT \"a\"").await.is_ok());
    assert!(c.put("c", "keep;").await.is_ok());
    assert_eq!(
        env.stored().await,
        vec![("b".to_owned(), false), ("c".to_owned(), false)]
    );
}

#[tokio::test]
async fn concurrent_uploads_never_exceed_the_count() {
    let env = start_with(small(), |_| {}).await;
    let mut clients = Vec::new();
    for _ in 0..6 {
        clients.push(env.logged_in().await);
    }
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| tokio::spawn(async move { c.put(&format!("s{i}"), "keep;").await.is_ok() }))
        .collect();
    let mut stored = 0;
    for t in tasks {
        if t.await.unwrap() {
            stored += 1;
        }
    }
    assert_eq!(stored, 2);
    assert_eq!(env.stored().await.len(), 2);
}
