//! AUTH (RFC 4954): PLAIN and LOGIN with and without an initial response, `334` challenges, `*` to
//! cancel, bad credentials, an app password, plaintext refused without TLS (`538 5.7.11`), re-AUTH,
//! and AUTH's place in the command order; Python's smtplib logs in over STARTTLS on MX.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_core::auth::app_password;

#[tokio::test]
async fn plain_with_and_without_initial_response() {
    let env = start_sub(|_| {}).await;
    let mut c = env.greeted().await;
    assert_eq!(
        c.cmd1(&format!("AUTH PLAIN {}", plain(USER, PASS))).await,
        "235 2.7.0 Authentication successful"
    );
    // RFC 4954 §4: once per session.
    assert_eq!(
        c.cmd1(&format!("AUTH PLAIN {}", plain(USER, PASS))).await,
        "503 5.5.1 Already authenticated"
    );
    // Without an initial response: an empty challenge, then the response.
    let mut c = env.greeted().await;
    assert_eq!(c.cmd1("AUTH PLAIN").await, "334 ");
    assert_eq!(
        c.cmd1(&plain(USER, PASS)).await,
        "235 2.7.0 Authentication successful"
    );
    // `=` is an empty initial response (not a valid PLAIN message).
    let mut c = env.greeted().await;
    assert_eq!(
        c.cmd1("AUTH PLAIN =").await,
        "535 5.7.8 Authentication credentials invalid"
    );
}

#[tokio::test]
async fn login_mechanism_and_cancel() {
    let env = start_sub(|_| {}).await;
    let mut c = env.greeted().await;
    assert_eq!(c.cmd1("AUTH LOGIN").await, "334 VXNlcm5hbWU6");
    assert_eq!(c.cmd1(&b64(USER)).await, "334 UGFzc3dvcmQ6");
    assert_eq!(c.cmd1(&b64(PASS)).await, "235 2.7.0 Authentication successful");
    // Initial response = the user name.
    let mut c = env.greeted().await;
    assert_eq!(
        c.cmd1(&format!("auth login {}", b64(USER))).await,
        "334 UGFzc3dvcmQ6"
    );
    // `*` cancels (RFC 4954 §4).
    assert_eq!(c.cmd1("*").await, "501 5.0.0 Authentication cancelled");
    assert_eq!(
        c.cmd1("MAIL FROM:<alice@example.org>").await,
        "530 5.7.0 Authentication required"
    );
    // Not base64.
    assert_eq!(c.cmd1("AUTH LOGIN").await, "334 VXNlcm5hbWU6");
    assert_eq!(
        c.cmd1("not base64!").await,
        "501 5.5.2 Cannot decode base64 response"
    );
    assert_eq!(
        c.cmd1("AUTH PLAIN %%%").await,
        "501 5.5.2 Cannot decode base64 response"
    );
    assert_eq!(
        c.cmd1("AUTH CRAM-MD5").await,
        "504 5.5.4 Unrecognized authentication type"
    );
    // Still usable.
    assert_eq!(
        c.cmd1(&format!("AUTH PLAIN {}", plain(USER, PASS))).await,
        "235 2.7.0 Authentication successful"
    );
}

#[tokio::test]
async fn bad_credentials_and_app_passwords() {
    let env = start_sub(|_| {}).await;
    let mut c = env.greeted().await;
    assert_eq!(
        c.cmd1(&format!("AUTH PLAIN {}", plain(USER, "wrong"))).await,
        "535 5.7.8 Authentication credentials invalid"
    );
    assert_eq!(
        c.cmd1(&format!("AUTH PLAIN {}", plain("nobody@example.org", PASS)))
            .await,
        "535 5.7.8 Authentication credentials invalid"
    );
    // Authorisation identity of someone else (no proxy authorisation).
    let other = b64(&format!("bob@example.org\0{USER}\0{PASS}"));
    assert_eq!(
        c.cmd1(&format!("AUTH PLAIN {other}")).await,
        "535 5.7.8 Authentication credentials invalid"
    );
    // An app password works like the password.
    let secret = app_password::generate();
    env.core
        .storage()
        .store
        .app_password_add(env.account.id, "phone", &app_password::hash(&secret))
        .await
        .unwrap();
    assert_eq!(
        c.cmd1(&format!("AUTH PLAIN {}", plain(USER, &secret))).await,
        "235 2.7.0 Authentication successful"
    );
}

#[tokio::test]
async fn auth_rate_limit_is_a_temporary_failure() {
    // The shared authenticator's default: 10 failures per account in the window.
    let env = start_sub(|_| {}).await;
    let mut c = env.greeted().await;
    for _ in 0..10 {
        assert_eq!(
            c.cmd1(&format!("AUTH PLAIN {}", plain(USER, "wrong"))).await,
            "535 5.7.8 Authentication credentials invalid"
        );
    }
    // Then even the right password is refused for now, without being checked.
    assert_eq!(
        c.cmd1(&format!("AUTH PLAIN {}", plain(USER, PASS))).await,
        "454 4.7.0 Temporary authentication failure, try again later"
    );
}

#[tokio::test]
async fn plaintext_refused_without_tls() {
    // A remote client (PROXY header) on a plain listener: AUTH is not offered and is refused.
    let env = start_sub(|_| {}).await;
    let mut c = Client::connect_proxied(env.proxied, "192.0.2.7").await;
    let ehlo = c.cmd("EHLO client.test").await;
    assert!(!ehlo.iter().any(|l| l.contains("AUTH")), "{ehlo:?}");
    assert_eq!(
        c.cmd1(&format!("AUTH PLAIN {}", plain(USER, PASS))).await,
        "538 5.7.11 Encryption required for requested authentication mechanism"
    );
    assert_eq!(
        c.cmd1("MAIL FROM:<alice@example.org>").await,
        "530 5.7.0 Authentication required"
    );
    // MX: AUTH only over TLS, not even from loopback.
    let env = start_mx(|_| {}).await;
    let mut c = env.greeted().await;
    assert_eq!(
        c.cmd1("AUTH LOGIN").await,
        "538 5.7.11 Encryption required for requested authentication mechanism"
    );
}

#[tokio::test]
async fn auth_in_the_command_order() {
    let env = start_sub(|_| {}).await;
    let mut c = env.client().await;
    assert_eq!(
        c.cmd1(&format!("AUTH PLAIN {}", plain(USER, PASS))).await,
        "503 5.5.1 Send EHLO/HELO first"
    );
    let mut c = env.authed().await;
    c.cmd1("MAIL FROM:<alice@example.org>").await;
    c.cmd1("RSET").await;
    // A second AUTH is refused whatever the state.
    c.cmd1("MAIL FROM:<alice@example.org>").await;
    assert_eq!(
        c.cmd1("AUTH LOGIN").await,
        "503 5.5.1 AUTH not allowed during a mail transaction"
    );
    // LMTP has no AUTH.
    let env = start().await;
    let mut c = env.greeted().await;
    assert_eq!(c.cmd1("AUTH LOGIN").await, "502 5.5.1 AUTH not implemented");
}

#[tokio::test]
async fn smtplib_login_over_starttls_on_mx_and_implicit_tls_on_submission() {
    let mx = start_mx(|_| {}).await;
    let sub = start_sub(|_| {}).await;
    let mx_script = r#"
s = smtplib.SMTP("127.0.0.1", PORT, timeout=10)
s.starttls(context=ctx)
try:
    s.login(USER, "wrong")
    raise SystemExit("accepted a wrong password")
except smtplib.SMTPAuthenticationError as e:
    assert e.smtp_code == 535, e
print(s.login(USER, PASS))
s.quit()
"#;
    let sub_script = r#"
for mech in ["PLAIN", "LOGIN"]:
    s = smtplib.SMTP_SSL("127.0.0.1", TLSPORT, context=ctx, timeout=10)
    s.ehlo("client.test")
    s.user, s.password = USER, PASS
    print(mech, s.auth(mech, getattr(s, "auth_" + mech.lower())))
    s.quit()
"#;
    let mut out = smtplib(&mx, mx.smtp.port(), mx.smtps.port(), mx_script).await;
    out.extend(smtplib(&sub, sub.submission.port(), sub.submissions.port(), sub_script).await);
    assert_eq!(
        out,
        [
            "(235, b'2.7.0 Authentication successful')",
            "PLAIN (235, b'2.7.0 Authentication successful')",
            "LOGIN (235, b'2.7.0 Authentication successful')",
        ]
    );
}
