//! LOGOUT (RFC 9051 §6.1.3) in every state: `* BYE`, the tagged OK, then the server closes the
//! connection. A failed LOGOUT (syntax) keeps the session.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

async fn logout(c: &mut Client) {
    assert_eq!(
        c.cmd("z LOGOUT").await,
        lines(&["* BYE Logging out", "z OK LOGOUT completed"])
    );
    c.expect_eof().await;
}

#[tokio::test]
async fn in_every_state() {
    let env = start().await;
    logout(&mut env.client().await).await;
    logout(&mut env.logged_in().await).await;
    logout(&mut env.selected().await).await;
}

/// RFC 9051 §6.1.3: LOGOUT from the selected state does not expunge (unlike CLOSE).
#[tokio::test]
async fn selected_logout_keeps_deleted_messages() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    let mut c = env.selected().await;
    c.cmd("a STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    logout(&mut c).await;
    assert_eq!(env.inbox().await.message_count, 1);
}

#[tokio::test]
async fn syntax_error_keeps_session() {
    let env = start().await;
    let mut c = env.client().await;
    only(
        &mut c,
        "a LOGOUT now",
        "a BAD unexpected characters at end of command",
    )
    .await;
    only(&mut c, "b NOOP", "b OK NOOP completed").await;
    logout(&mut c).await;
}
