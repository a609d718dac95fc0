//! A real client: swaks submits with STARTTLS and AUTH (PLAIN and LOGIN) to a local and a remote
//! recipient; the local copy is in the mailbox with `with ESMTPSA`, the remote one in the queue; a
//! wrong password and a foreign From are refused. `.ci/run` installs swaks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;

/// Runs swaks against `port` with STARTTLS, AUTH `mech` as alice with `password`, from alice to
/// `to`, plus `extra` arguments; returns (success, its transcript).
async fn swaks(port: u16, mech: &str, password: &str, to: &str, extra: &[&str]) -> (bool, String) {
    let port = port.to_string();
    let mut cmd = tokio::process::Command::new("swaks");
    cmd.args([
        "--server",
        "127.0.0.1",
        "--port",
        &port,
        "--ehlo",
        "client.test",
        "--tls",
        "--auth",
        mech,
        "--auth-user",
        USER,
        "--auth-password",
        password,
        "--from",
        USER,
        "--to",
        to,
    ])
    .args(extra)
    .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("swaks timed out")
        .expect("swaks must be installed (apt-get install swaks)");
    let transcript = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), transcript)
}

#[tokio::test]
async fn swaks_submits_with_starttls_and_auth() {
    let env = start_sub(|_| {}).await;
    let bob = env.add_account("bob@example.org", None).await;
    let port = env.submission.port();
    for (mech, to) in [("PLAIN", "bob@example.org"), ("LOGIN", "friend@elsewhere.test")] {
        let subject = format!("Subject: swaks {mech}");
        let (ok, log) = swaks(
            port,
            mech,
            PASS,
            to,
            &["--header", &subject, "--body", "Sent by swaks"],
        )
        .await;
        assert!(ok, "{log}");
        assert!(log.contains("<-  220 2.0.0 Ready to start TLS"), "{log}");
        assert!(log.contains("<~  235 2.7.0 Authentication successful"), "{log}");
        assert!(log.contains(" Message accepted for delivery"), "{log}");
    }
    let stored = env.inbox_of(&bob).await;
    assert_eq!(stored.len(), 1);
    let text = String::from_utf8(stored[0].clone()).unwrap();
    assert!(text.contains("Subject: swaks PLAIN"), "{text}");
    assert!(
        received(&text).contains("\tby mail.test with ESMTPSA id "),
        "{text}"
    );
    let q = env.core.storage().store.queue_list().await.unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].recipients[0].address, "friend@elsewhere.test");
    assert_eq!(q[0].submitter, Some(env.account.id));

    // A wrong password.
    let (ok, log) = swaks(port, "PLAIN", "wrong", "bob@example.org", &[]).await;
    assert!(!ok, "{log}");
    assert!(
        log.contains("<~* 535 5.7.8 Authentication credentials invalid"),
        "{log}"
    );
    // Someone else's From.
    let (ok, log) = swaks(
        port,
        "PLAIN",
        PASS,
        "bob@example.org",
        &["--header", "From: bob@example.org"],
    )
    .await;
    assert!(!ok, "{log}");
    assert!(
        log.contains("<~* 550 5.7.1 From header address <bob@example.org> not owned by user"),
        "{log}"
    );
    assert_eq!(env.inbox_of(&bob).await.len(), 1);
}
