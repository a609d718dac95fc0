//! ID (RFC 2971 §3.1) in every state: the server answers its own name whatever the client sends (`NIL`
//! or a field list); a missing argument is BAD.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

fn answer(tag: &str) -> Vec<String> {
    lines(&[
        "* ID (\"name\" \"Malt\" \"vendor\" \"Malt\")",
        &format!("{tag} OK ID completed"),
    ])
}

#[tokio::test]
async fn in_every_state() {
    let env = start().await;
    let mut c = env.client().await;
    assert_eq!(c.cmd("a ID NIL").await, answer("a"));
    let mut c = env.logged_in().await;
    assert_eq!(
        c.cmd("b ID (\"name\" \"test\" \"version\" \"1\")").await,
        answer("b")
    );
    let mut c = env.selected().await;
    assert_eq!(c.cmd("c ID (\"name\" NIL)").await, answer("c"));
}

#[tokio::test]
async fn syntax_errors() {
    let env = start().await;
    let mut c = env.client().await;
    only(&mut c, "a ID", "a BAD expected ' '").await;
    let r = c.cmd("b ID (\"name\")").await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].starts_with("b BAD "), "{r:?}");
    let r = c.cmd("c ID name").await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].starts_with("c BAD "), "{r:?}");
}
