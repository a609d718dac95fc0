//! Authentication (RFC 7617 Basic through the shared authenticator), the well-known redirects
//! (RFC 6764) and OPTIONS, over a real listener.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

/// PROPFIND of the root with `authorization`, through `addr` (after a PROXY header claiming
/// `proxy_from`, when given).
async fn root_as(addr: std::net::SocketAddr, proxy_from: Option<&str>, authorization: &str) -> Reply {
    send(
        addr,
        proxy_from,
        "PROPFIND",
        "/dav/",
        &[("depth", "0"), ("authorization", authorization)],
        b"",
    )
    .await
}

#[tokio::test]
async fn options_and_well_known_need_no_login() {
    let env = start().await;
    let r = send(env.http, None, "OPTIONS", "/dav/calendars/x/", &[], b"").await;
    assert_eq!(r.status, 200);
    let dav = r.header("dav").unwrap();
    for class in [
        "1",
        "3",
        "access-control",
        "calendar-access",
        "addressbook",
        "extended-mkcol",
        "calendarserver-sharing",
    ] {
        assert!(dav.split(", ").any(|c| c == class), "{dav}");
    }
    let allow = r.header("allow").unwrap();
    for m in [
        "PROPFIND",
        "PROPPATCH",
        "MKCOL",
        "MKCALENDAR",
        "REPORT",
        "COPY",
        "MOVE",
        "PUT",
        "DELETE",
        "GET",
    ] {
        assert!(allow.contains(m), "{allow}");
    }
    for wk in [
        "/.well-known/caldav",
        "/.well-known/carddav",
        "/.well-known/caldav/",
    ] {
        let r = send(env.http, None, "PROPFIND", wk, &[], b"").await;
        assert_eq!(r.status, 307, "{wk}");
        assert_eq!(r.header("location").as_deref(), Some("/dav/"));
    }
    let r = send(env.http, None, "GET", "/nothing/here", &[], b"").await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn basic_login_main_and_app_password() {
    let env = start().await;
    let r = send(env.http, None, "PROPFIND", "/dav/", &[("depth", "0")], b"").await;
    assert_eq!(r.status, 401);
    let challenge = r.header("www-authenticate").unwrap();
    assert!(challenge.starts_with("Basic realm=\"Malt\""), "{challenge}");

    let wrong = basic(USER, "wrong");
    let r = root_as(env.http, None, &wrong).await;
    assert_eq!(r.status, 401);

    let r = env.dav("PROPFIND", "/dav/", &[("depth", "0")], "").await;
    assert_eq!(r.status, 207);

    // An app password works as the main one does (the shared authenticator).
    let secret = malt_core::auth::app_password::generate();
    let hash = malt_core::auth::app_password::hash(&secret);
    env.core
        .storage()
        .store
        .app_password_add(env.account.id, "phone", &hash)
        .await
        .unwrap();
    let app = basic(USER, &secret);
    let r = root_as(env.http, None, &app).await;
    assert_eq!(r.status, 207, "{}", r.text());

    let bearer = root_as(env.http, None, "Bearer abc").await;
    assert_eq!(bearer.status, 401);
    let garbage = send(
        env.http,
        None,
        "PROPFIND",
        "/dav/",
        &[("authorization", "Basic !!")],
        b"",
    )
    .await;
    assert_eq!(garbage.status, 400);
}

#[tokio::test]
async fn plaintext_from_a_remote_client_is_refused_without_tls() {
    let env = start().await;
    let good = basic(USER, PASS);
    let r = root_as(env.proxied, Some("192.0.2.7"), &good).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("TLS"));
    // No password was checked: no failure counted, no verification run.
    assert_eq!(env.auth.argon2_verifications(), 0);
}

#[tokio::test]
async fn plaintext_without_tls_when_configured() {
    let env = start_configured(malt_dav::DavSettings::default(), |c| {
        c.auth.allow_plaintext_without_tls = true;
    })
    .await;
    let good = basic(USER, PASS);
    let r = root_as(env.proxied, Some("192.0.2.7"), &good).await;
    assert_eq!(r.status, 207, "{}", r.text());
}

#[tokio::test]
async fn failures_are_rate_limited() {
    let env = start().await;
    let wrong = basic(USER, "nope");
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let r = root_as(env.http, None, &wrong).await;
        statuses.push(r.status);
    }
    // AuthSettings::default(): 10 failures per account in the window, then 503 with Retry-After.
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 10, "{statuses:?}");
    let r = env.dav("PROPFIND", "/dav/", &[("depth", "0")], "").await;
    assert_eq!(r.status, 503, "even the right password waits: {}", r.text());
    assert!(r.header("retry-after").is_some());
}

#[tokio::test]
async fn another_users_space_is_hidden() {
    let env = start().await;
    // Nothing of a user that does not exist, and of one that does only the principal (sharing
    // opens the rest: tests/sharing.rs).
    let paths = [
        "/dav/principals/bob@example.org/",
        "/dav/calendars/bob@example.org/",
        "/dav/calendars/bob@example.org/calendar/",
        "/dav/addressbooks/bob@example.org/contacts/x.vcf",
    ];
    for path in paths {
        let r = env.dav("PROPFIND", path, &[("depth", "0")], "").await;
        assert_eq!(r.status, 404, "{path}");
    }
    env.add_user("bob@example.org").await;
    for path in paths {
        let r = env.dav("PROPFIND", path, &[("depth", "0")], "").await;
        let expected = if path.starts_with("/dav/principals/") {
            207
        } else {
            404
        };
        assert_eq!(r.status, expected, "{path}");
    }
}
