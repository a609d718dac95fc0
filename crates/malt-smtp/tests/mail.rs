//! MAIL FROM (RFC 5321 §4.1.1.2) in the SMTP modes: DSN's RET and ENVID (RFC 3461) and AUTH=
//! (RFC 4954 §5) accepted, unknown parameters refused, SIZE, the null sender; on submission,
//! authentication first and the envelope sender rules (own address, plus address, alias; others
//! refused with `553 5.7.1`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[tokio::test]
async fn mx_parameters() {
    let env = start_mx(|c| c.limits.max_message_size = 5000).await;
    let mut c = env.greeted().await;
    assert_eq!(
        c.cmd1("MAIL FROM:<s@remote.test> RET=HDRS ENVID=QQ314159 AUTH=<> BODY=8BITMIME SIZE=100")
            .await,
        "250 2.1.0 Sender <s@remote.test> OK"
    );
    assert_eq!(
        c.cmd1("MAIL FROM:<s@remote.test>").await,
        "503 5.5.1 Nested MAIL command"
    );
    c.cmd1("RSET").await;
    assert_eq!(
        c.cmd1("MAIL FROM:<s@remote.test> RET=SOMETIMES").await,
        "501 5.5.4 Invalid value for RET"
    );
    assert_eq!(
        c.cmd1("MAIL FROM:<s@remote.test> FOO=BAR").await,
        "555 5.5.4 Unsupported parameter FOO=BAR"
    );
    assert_eq!(
        c.cmd1("MAIL FROM:<s@remote.test> REQUIRETLS").await,
        "555 5.5.4 Unsupported parameter REQUIRETLS"
    );
    assert_eq!(
        c.cmd1("MAIL FROM:<s@remote.test> SIZE=5001").await,
        "552 5.3.4 Message size exceeds fixed maximum message size of 5000"
    );
    assert_eq!(
        c.cmd1("MAIL FROM:<jürgen@remote.test>").await,
        "553 5.6.7 Non-ASCII address requires SMTPUTF8"
    );
    assert_eq!(
        c.cmd1("MAIL FROM:<jürgen@remote.test> SMTPUTF8").await,
        "250 2.1.0 Sender <jürgen@remote.test> OK"
    );
    c.cmd1("RSET").await;
    // The null reverse-path (bounces) is fine on MX.
    assert_eq!(c.cmd1("MAIL FROM:<>").await, "250 2.1.0 Sender <> OK");
}

#[tokio::test]
async fn submission_requires_authentication() {
    let env = start_sub(|_| {}).await;
    let mut c = env.greeted().await;
    assert_eq!(
        c.cmd1("MAIL FROM:<alice@example.org>").await,
        "530 5.7.0 Authentication required"
    );
    assert_eq!(
        c.cmd1("RCPT TO:<alice@example.org>").await,
        "503 5.5.1 Send MAIL first"
    );
}

#[tokio::test]
async fn submission_envelope_sender_rules() {
    let env = start_sub(|_| {}).await;
    env.add_account("bob@example.org", None).await;
    // An alias of alice alone, one shared with bob, and a catch-all to alice.
    env.add_alias("info@example.org", USER).await;
    env.add_alias("team@example.org", USER).await;
    env.add_alias("team@example.org", "bob@example.org").await;
    env.add_alias("@example.org", USER).await;
    let mut c = env.authed().await;
    let ok = |a: &str| format!("250 2.1.0 Sender <{a}> OK");
    let refused = "553 5.7.1 Sender address rejected: not owned by user";
    for own in [
        "alice@example.org",
        "Alice@Example.ORG",
        "alice+lists@example.org",
        "info@example.org",
        "info+x@example.org",
    ] {
        assert_eq!(c.cmd1(&format!("MAIL FROM:<{own}>")).await, ok(own));
        c.cmd1("RSET").await;
    }
    for other in [
        "bob@example.org",
        "team@example.org",
        "whatever@example.org",
        "alice@elsewhere.test",
    ] {
        assert_eq!(c.cmd1(&format!("MAIL FROM:<{other}>")).await, refused, "{other}");
    }
    // The null sender (smtp-proto also reads `<postmaster>` as it).
    for null in ["<>", "<postmaster>"] {
        assert_eq!(
            c.cmd1(&format!("MAIL FROM:{null}")).await,
            "553 5.7.1 Null sender not allowed on submission"
        );
    }
    // bob may use his own address.
    let mut c = env.authed_as("bob@example.org", OTHER_PASS).await;
    assert_eq!(c.cmd1("MAIL FROM:<bob@example.org>").await, ok("bob@example.org"));
}
