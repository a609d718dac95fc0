//! Authenticator against a real SQLite store.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::net::IpAddr;
use std::time::Duration;

use malt_core::auth::password::{PasswordHasherParams, hash_with};
use malt_core::auth::{AuthResult, AuthSettings, Authenticator, app_password};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn settings() -> AuthSettings {
    AuthSettings {
        cache_ttl: Duration::from_secs(60),
        max_failures_per_ip: 50,
        max_failures_per_account: 50,
        failure_window: Duration::from_secs(60),
    }
}

fn ok_account(r: &AuthResult) -> (&str, Option<&str>) {
    match r {
        AuthResult::Ok {
            account,
            via_app_password,
        } => (account.address.as_str(), via_app_password.as_deref()),
        other => panic!("expected Ok, got {other:?}"),
    }
}

#[tokio::test]
async fn main_password_app_password_and_failures() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::storage(&dir).await;
    let alice = common::account(&s, "alice@example.org", "main secret").await;
    let auth = Authenticator::new(s.store.clone(), settings());
    let from = ip("192.0.2.10");

    let r = auth.authenticate("Alice@Example.ORG", "main secret", from).await;
    assert_eq!(ok_account(&r), ("alice@example.org", None));
    assert_eq!(
        auth.authenticate("alice@example.org", "wrong", from).await,
        AuthResult::Failed
    );
    assert_eq!(
        auth.authenticate("nobody@example.org", "main secret", from).await,
        AuthResult::Failed
    );
    assert_eq!(auth.authenticate("", "x", from).await, AuthResult::Failed);
    assert_eq!(
        auth.authenticate("alice@example.org", "", from).await,
        AuthResult::Failed
    );

    // App password.
    let secret = app_password::generate();
    s.store
        .app_password_add(alice.id, "phone", &app_password::hash(&secret))
        .await
        .unwrap();
    let r = auth.authenticate("alice@example.org", &secret, from).await;
    assert_eq!(ok_account(&r), ("alice@example.org", Some("phone")));
    // Typed without dashes, upper-case.
    let r = auth
        .authenticate("alice@example.org", &secret.replace('-', "").to_uppercase(), from)
        .await;
    assert_eq!(ok_account(&r), ("alice@example.org", Some("phone")));

    // Revoked: refused at once, although the login is cached.
    s.store.app_password_revoke(alice.id, "phone").await.unwrap();
    assert_eq!(
        auth.authenticate("alice@example.org", &secret, from).await,
        AuthResult::Failed
    );

    // Main password changed: the cached old password stops working at once.
    let new_hash = hash_with("new secret", &PasswordHasherParams::for_tests()).unwrap();
    s.store.account_set_password(alice.id, &new_hash).await.unwrap();
    assert_eq!(
        auth.authenticate("alice@example.org", "main secret", from).await,
        AuthResult::Failed
    );
    let r = auth.authenticate("alice@example.org", "new secret", from).await;
    assert_eq!(ok_account(&r), ("alice@example.org", None));
}

#[tokio::test]
async fn rate_limit_gives_temporary_failure_without_checking() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::storage(&dir).await;
    common::account(&s, "bob@example.org", "pw").await;
    let auth = Authenticator::new(
        s.store.clone(),
        AuthSettings {
            max_failures_per_ip: 3,
            max_failures_per_account: 100,
            ..settings()
        },
    );
    let attacker = ip("198.51.100.7");
    for _ in 0..3 {
        assert_eq!(
            auth.authenticate("bob@example.org", "guess", attacker).await,
            AuthResult::Failed
        );
    }
    let before = auth.argon2_verifications();
    // Even the right password is refused from that address, and no argon2 work is done.
    assert_eq!(
        auth.authenticate("bob@example.org", "pw", attacker).await,
        AuthResult::TemporaryFailure
    );
    assert_eq!(auth.argon2_verifications(), before);
    // Another address is fine.
    let r = auth.authenticate("bob@example.org", "pw", ip("192.0.2.1")).await;
    assert_eq!(ok_account(&r).0, "bob@example.org");

    // Per account, across addresses.
    let auth = Authenticator::new(
        s.store.clone(),
        AuthSettings {
            max_failures_per_ip: 100,
            max_failures_per_account: 2,
            ..settings()
        },
    );
    auth.authenticate("bob@example.org", "x", ip("192.0.2.2")).await;
    auth.authenticate("bob@example.org", "y", ip("192.0.2.3")).await;
    assert_eq!(
        auth.authenticate("BOB@example.org", "pw", ip("192.0.2.4")).await,
        AuthResult::TemporaryFailure
    );
}

#[tokio::test]
async fn cache_hit_avoids_argon2() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::storage(&dir).await;
    let carol = common::account(&s, "carol@example.org", "unused").await;
    // A realistic (default-cost) hash. That a hit runs no argon2 is shown by the verification
    // counter, not by timing (timings depend on the machine's load).
    let real = malt_core::auth::password::hash("expensive").unwrap();
    s.store.account_set_password(carol.id, &real).await.unwrap();
    let auth = Authenticator::new(s.store.clone(), settings());
    let from = ip("192.0.2.5");

    assert!(matches!(
        auth.authenticate("carol@example.org", "expensive", from).await,
        AuthResult::Ok { .. }
    ));
    assert_eq!(auth.argon2_verifications(), 1);

    assert!(matches!(
        auth.authenticate("Carol@example.org", "expensive", from).await,
        AuthResult::Ok { .. }
    ));
    assert_eq!(
        auth.argon2_verifications(),
        1,
        "the second login must be a cache hit"
    );

    // A wrong password is not a cache hit.
    assert_eq!(
        auth.authenticate("carol@example.org", "expensive!", from).await,
        AuthResult::Failed
    );
    assert_eq!(auth.argon2_verifications(), 2);

    // Cache disabled: every login verifies.
    let auth = Authenticator::new(
        s.store.clone(),
        AuthSettings {
            cache_ttl: Duration::ZERO,
            ..settings()
        },
    );
    auth.authenticate("carol@example.org", "expensive", from).await;
    auth.authenticate("carol@example.org", "expensive", from).await;
    assert_eq!(auth.argon2_verifications(), 2);
}

/// A burst of logins (here wrong passwords from many addresses, as a guessing attack would send)
/// runs at most one argon2 verification per CPU at once; every one of them is still checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_logins_runs_argon2_at_most_once_per_cpu() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::storage(&dir).await;
    common::account(&s, "carol@example.org", "pw").await;
    let auth = Authenticator::new(
        s.store.clone(),
        AuthSettings {
            max_failures_per_ip: 100,
            max_failures_per_account: 100,
            ..settings()
        },
    );
    let tries: Vec<_> = (0..24u8)
        .map(|i| {
            let auth = auth.clone();
            tokio::spawn(async move {
                let who = if i % 2 == 0 {
                    "carol@example.org"
                } else {
                    "nobody@example.org"
                };
                auth.authenticate(who, &format!("guess {i}"), ip(&format!("203.0.113.{i}")))
                    .await
            })
        })
        .collect();
    for t in tries {
        assert_eq!(t.await.unwrap(), AuthResult::Failed);
    }
    assert_eq!(auth.argon2_verifications(), 24, "known and unknown users alike");
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let peak = auth.argon2_peak_concurrency();
    assert!(peak >= 1 && peak <= cpus, "peak {peak} with {cpus} CPUs");
    let r = auth
        .authenticate("carol@example.org", "pw", ip("203.0.113.200"))
        .await;
    assert_eq!(ok_account(&r), ("carol@example.org", None));
}
