//! STORE and UID STORE (RFC 9051 §6.4.6): flags and keywords, `.SILENT`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_store::{Flags, flag};

#[tokio::test]
async fn store_flags_and_keywords() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    env.append(&msg("b", "y")).await;
    let mut c = env.selected().await;
    let r = c.cmd("a STORE 1 +FLAGS (\\Flagged)").await;
    assert_eq!(r[0], "* 1 FETCH (FLAGS (\\Flagged))\r\n");
    let r = c.cmd("b STORE 1:2 +FLAGS ($Work)").await;
    // A new keyword: FLAGS and PERMANENTFLAGS come before the FETCHes (PITFALLS 4).
    assert!(r[0].starts_with("* FLAGS (") && r[0].contains("$Work"), "{r:?}");
    assert!(r[1].contains("PERMANENTFLAGS") && r[1].contains("$Work"), "{r:?}");
    assert!(r[2].starts_with("* 1 FETCH (FLAGS (\\Flagged $Work))"), "{r:?}");
    let r = c.cmd("c UID STORE 2 FLAGS.SILENT (\\Seen)").await;
    assert_eq!(r, vec!["c OK STORE completed\r\n"]);
    let r = c.cmd("d UID STORE 2 -FLAGS (\\Seen)").await;
    assert_eq!(r[0], "* 2 FETCH (UID 2 FLAGS ())\r\n");
}

/// The session's own STOREs are not announced again at the next sync point (the view keeps no
/// flags, only a record of its own changes, see docs/architecture.md); another session's change
/// still is (RFC 9051 §7.4.2), with the flags read from the store.
#[tokio::test]
async fn own_store_is_not_echoed() {
    let env = start().await;
    for i in 0..20 {
        env.append(&msg(&format!("m{i}"), "x")).await;
    }
    let mut c = env.selected().await;
    assert_eq!(
        c.cmd("a STORE 1:* +FLAGS.SILENT (\\Seen)").await,
        lines(&["a OK STORE completed"])
    );
    let r = c.cmd("b STORE 1:* +FLAGS (\\Flagged)").await;
    assert_eq!(r.len(), 21, "{r:?}");
    assert_eq!(r[19], "* 20 FETCH (FLAGS (\\Seen \\Flagged))\r\n");
    settle().await;
    assert_eq!(c.cmd("c NOOP").await, lines(&["c OK NOOP completed"]));
    env.add_flags(3, Flags::new(flag::ANSWERED, [])).await;
    settle().await;
    assert_eq!(
        c.cmd("d NOOP").await,
        lines(&[
            "* 3 FETCH (UID 3 FLAGS (\\Seen \\Answered \\Flagged))",
            "d OK NOOP completed"
        ])
    );
    assert_eq!(c.cmd("e NOOP").await, lines(&["e OK NOOP completed"]));
}
