//! The ACL method (RFC 3744 §8.1) over HTTP: an ACL is another way to write the shares of a
//! calendar or address book (grants reach the sharees, a principal left out loses its share, a
//! group's grant reaches its members, free-busy grants), each refusal with its §8.1.1
//! precondition and nothing written, the ACL properties (`acl-restrictions`,
//! `supported-privilege-set`), and the `acl-principal-prop-set` report (§9.2).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_dav_proto::name::CALENDARSERVER;
use malt_dav_proto::{Element, Name};

const BOB: &str = "bob@example.org";
const CAROL: &str = "carol@example.org";
const TEAM: &str = "team@example.org";
const BOB_PRINCIPAL: &str = "/dav/principals/bob@example.org/";
const CAROL_PRINCIPAL: &str = "/dav/principals/carol@example.org/";
const TEAM_PRINCIPAL: &str = "/dav/principals/team@example.org/";

/// Alice with an event in her calendar, Bob and Carol.
async fn setup_with(settings: malt_dav::DavSettings) -> Env {
    start_sharing(settings, &[BOB, CAROL]).await
}

async fn setup() -> Env {
    setup_with(malt_dav::DavSettings::default()).await
}

/// One ACE granting `privileges` (`D:read`, `C:read-free-busy`...) to principal `who` (the
/// inner XML of `DAV:principal`).
fn ace(who: &str, privileges: &[&str]) -> String {
    let privileges: String = privileges
        .iter()
        .map(|p| format!("<D:privilege><{p}/></D:privilege>"))
        .collect();
    format!("<D:ace><D:principal>{who}</D:principal><D:grant>{privileges}</D:grant></D:ace>")
}

fn href(h: &str) -> String {
    format!("<D:href>{h}</D:href>")
}

fn acl_body(aces: &[String]) -> String {
    format!(
        r#"<D:acl xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">{}</D:acl>"#,
        aces.concat()
    )
}

/// The owner's protected ACE, as `DAV:acl` shows it.
fn owner_ace() -> String {
    ace(&href(PRINCIPAL), &["D:all"]).replace("</D:grant>", "</D:grant><D:protected/>")
}

async fn acl_as(env: &Env, user: &str, path: &str, aces: &[String]) -> Reply {
    env.dav_as(user, "ACL", path, &[], &acl_body(aces)).await
}

async fn set_acl(env: &Env, path: &str, aces: &[String]) {
    let r = acl_as(env, USER, path, aces).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// The principal hrefs and granted privileges of `path`'s `DAV:acl`, and the element itself.
async fn read_acl(env: &Env, path: &str) -> (Vec<(String, Vec<Name>)>, Element) {
    let ms = env.propfind(path, "0", "<D:acl/>").await;
    let acl = prop(&ms, path, &dav("acl")).unwrap();
    let aces = acl
        .children_named("DAV:", "ace")
        .map(|a| {
            let who = a
                .child("DAV:", "principal")
                .and_then(|p| p.child("DAV:", "href"))
                .unwrap()
                .text();
            let privileges = a
                .child("DAV:", "grant")
                .unwrap()
                .children_named("DAV:", "privilege")
                .flat_map(|p| p.elements().map(|e| e.name.clone()).collect::<Vec<_>>())
                .collect();
            (who, privileges)
        })
        .collect();
    (aces, acl)
}

/// `CS:invite`: each sharee's `mailto:` and `CS:access` child.
async fn invite(env: &Env, path: &str) -> Vec<(String, Name)> {
    let ms = env.propfind(path, "0", "<CS:invite/>").await;
    prop(&ms, path, &Name::new(CALENDARSERVER, "invite"))
        .unwrap()
        .children_named(CALENDARSERVER, "user")
        .map(|u| {
            let access = u.child(CALENDARSERVER, "access").unwrap();
            (
                u.child("DAV:", "href").unwrap().text(),
                access.elements().next().unwrap().name.clone(),
            )
        })
        .collect()
}

async fn put_as(env: &Env, user: &str, path: &str, uid: &str) -> Reply {
    env.dav_as(
        user,
        "PUT",
        path,
        &[("content-type", "text/calendar")],
        &event(uid, "SUMMARY:Theirs\r\n"),
    )
    .await
}

#[tokio::test]
async fn an_acl_sets_the_shares_and_a_later_one_removes_them() {
    let env = setup().await;
    set_acl(
        &env,
        CAL,
        &[
            owner_ace(),
            ace(&href(BOB_PRINCIPAL), &["D:read"]),
            ace(&href("mailto:Carol@example.org"), &["D:read", "D:write"]),
        ],
    )
    .await;

    // Bob reads at the owner's URL, may not write.
    assert_eq!(env.dav_as(BOB, "GET", ALICE_EVENT, &[], "").await.status, 200);
    let r = env.dav_as(BOB, "PROPFIND", CAL, &[("depth", "1")], "").await;
    assert!(hrefs(&r.multistatus()).contains(&ALICE_EVENT.to_owned()));
    assert_need_privileges(
        &put_as(&env, BOB, &format!("{CAL}bob.ics"), "bob").await,
        &dav("write-content"),
    );
    // Carol writes.
    let r = put_as(&env, CAROL, &format!("{CAL}carol.ics"), "carol").await;
    assert_eq!(r.status, 201, "{}", r.text());

    // DAV:acl and CS:invite show both.
    let (aces, acl) = read_acl(&env, CAL).await;
    let who: Vec<&str> = aces.iter().map(|(w, _)| w.as_str()).collect();
    assert_eq!(who, [PRINCIPAL, BOB_PRINCIPAL, CAROL_PRINCIPAL]);
    assert!(aces[1].1.contains(&dav("read")) && !aces[1].1.contains(&dav("write")));
    assert!(aces[2].1.contains(&dav("write")));
    assert_eq!(
        invite(&env, CAL).await,
        [
            (format!("mailto:{BOB}"), Name::new(CALENDARSERVER, "read")),
            (format!("mailto:{CAROL}"), Name::new(CALENDARSERVER, "read-write")),
        ]
    );

    // What DAV:acl shows, sent back unchanged, changes nothing.
    let body = String::from_utf8(malt_dav_proto::document(&acl)).unwrap();
    let r = env.dav("ACL", CAL, &[], &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(read_acl(&env, CAL).await.0, aces);

    // Carol accepts; an ACL without Bob (and without the owner's ACE) removes Bob's share and
    // leaves Carol's, with her answer.
    let reply = format!(
        r#"<CS:invite-reply xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><CS:invite-accepted/><CS:hosturl><D:href>{CAL}</D:href></CS:hosturl></CS:invite-reply>"#
    );
    let r = env
        .dav_as(
            CAROL,
            "POST",
            "/dav/calendars/carol@example.org/",
            &[("content-type", "application/xml")],
            &reply,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    set_acl(&env, CAL, &[ace(&href(CAROL_PRINCIPAL), &["D:all"])]).await;
    assert_eq!(env.dav_as(BOB, "GET", ALICE_EVENT, &[], "").await.status, 404);
    assert_eq!(
        env.dav_as(BOB, "PROPFIND", CAL, &[("depth", "0")], "")
            .await
            .status,
        404
    );
    assert_eq!(
        env.dav_as(CAROL, "DELETE", &format!("{CAL}carol.ics"), &[], "")
            .await
            .status,
        204
    );
    let ms = env.propfind(CAL, "0", "<CS:invite/>").await;
    let users: Vec<Element> = prop(&ms, CAL, &Name::new(CALENDARSERVER, "invite"))
        .unwrap()
        .children_named(CALENDARSERVER, "user")
        .cloned()
        .collect();
    assert_eq!(users.len(), 1);
    assert!(users[0].child(CALENDARSERVER, "invite-accepted").is_some());

    // An empty ACL removes every share.
    set_acl(&env, CAL, &[]).await;
    assert_eq!(env.dav_as(CAROL, "GET", ALICE_EVENT, &[], "").await.status, 404);
    assert_eq!(read_acl(&env, CAL).await.0.len(), 1);
}

#[tokio::test]
async fn free_busy_and_group_grants() {
    let env = setup_with(malt_dav::DavSettings {
        public_free_busy: false,
        ..malt_dav::DavSettings::default()
    })
    .await;
    let store = &env.core.storage().store;
    store.group_add(TEAM, "Team").await.unwrap();
    store.group_member_add(TEAM, CAROL).await.unwrap();
    set_acl(
        &env,
        CAL,
        &[
            ace(&href(BOB_PRINCIPAL), &["C:read-free-busy"]),
            ace(&href(TEAM_PRINCIPAL), &["D:read"]),
        ],
    )
    .await;

    // Bob sees busy time, not events.
    let query = r#"<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20260310T000000Z" end="20260311T000000Z"/></C:free-busy-query>"#;
    let r = env.dav_as(BOB, "REPORT", CAL, &[("depth", "1")], query).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.text().contains("20260310T100000Z/20260310T110000Z"),
        "{}",
        r.text()
    );
    assert_need_privileges(&env.dav_as(BOB, "GET", ALICE_EVENT, &[], "").await, &dav("read"));
    // Carol reads through the team.
    let r = env.dav_as(CAROL, "GET", ALICE_EVENT, &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let (aces, _) = read_acl(&env, CAL).await;
    assert_eq!(aces[1].0, BOB_PRINCIPAL);
    assert_eq!(aces[1].1, [caldav("read-free-busy")]);
    assert_eq!(aces[2].0, TEAM_PRINCIPAL);
    assert_eq!(
        invite(&env, CAL).await,
        [
            (format!("mailto:{BOB}"), caldav("read-free-busy")),
            (format!("mailto:{TEAM}"), Name::new(CALENDARSERVER, "read")),
        ]
    );

    // Address books have no free-busy; read-write there by write-content, bind and unbind.
    let r = acl_as(
        &env,
        USER,
        BOOK,
        &[ace(&href(BOB_PRINCIPAL), &["C:read-free-busy"])],
    )
    .await;
    r.assert_condition(403, dav("not-supported-privilege"));
    set_acl(
        &env,
        BOOK,
        &[ace(
            &href(&format!("mailto:{TEAM}")),
            &["D:read", "D:write-content", "D:bind", "D:unbind"],
        )],
    )
    .await;
    let r = env
        .dav_as(
            CAROL,
            "PUT",
            &format!("{BOOK}c1.vcf"),
            &[("content-type", "text/vcard")],
            &vcard("c1", "Carl"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
}

#[tokio::test]
async fn refusals_name_their_precondition_and_write_nothing() {
    let env = setup().await;
    let bob_reads = ace(&href(BOB_PRINCIPAL), &["D:read"]);
    let deny = format!(
        "<D:ace><D:principal>{}</D:principal><D:deny><D:privilege><D:read/></D:privilege></D:deny></D:ace>",
        href(CAROL_PRINCIPAL)
    );
    let invert = format!(
        "<D:ace><D:invert><D:principal>{}</D:principal></D:invert><D:grant><D:privilege><D:read/></D:privilege></D:grant></D:ace>",
        href(CAROL_PRINCIPAL)
    );
    let inherited = bob_reads.replace(
        "</D:ace>",
        "<D:inherited><D:href>/dav/calendars/alice@example.org/</D:href></D:inherited></D:ace>",
    );
    for (aces, condition) in [
        (vec![bob_reads.clone(), deny], "grant-only"),
        (vec![bob_reads.clone(), invert], "no-invert"),
        (vec![inherited], "no-inherited-ace-conflict"),
        (
            vec![
                bob_reads.clone(),
                ace(&href("mailto:nobody@example.org"), &["D:read"]),
            ],
            "recognized-principal",
        ),
        (
            vec![ace(&href("/dav/principals/nobody@example.org/"), &["D:read"])],
            "recognized-principal",
        ),
        (vec![ace(&href(CAL), &["D:read"])], "recognized-principal"),
        (vec![ace("<D:all/>", &["D:read"])], "allowed-principal"),
        (vec![ace("<D:authenticated/>", &["D:read"])], "allowed-principal"),
        (
            vec![ace("<D:unauthenticated/>", &["D:read"])],
            "allowed-principal",
        ),
        (vec![ace("<D:self/>", &["D:read"])], "allowed-principal"),
        (
            vec![ace("<D:property><D:owner/></D:property>", &["D:read"])],
            "allowed-principal",
        ),
        (
            vec![
                bob_reads.clone(),
                ace(&href(CAROL_PRINCIPAL), &["D:read", "D:write-acl"]),
            ],
            "not-supported-privilege",
        ),
        (
            vec![ace(&href(CAROL_PRINCIPAL), &["D:write"])],
            "not-supported-privilege",
        ),
        (
            vec![ace(&href(CAROL_PRINCIPAL), &["D:read", "D:bind"])],
            "not-supported-privilege",
        ),
        (
            vec![ace(&href(CAROL_PRINCIPAL), &["X:unknown xmlns:X=\"urn:x\""])],
            "not-supported-privilege",
        ),
        (
            vec![bob_reads.clone(), ace(&href(PRINCIPAL), &["D:read"])],
            "no-protected-ace-conflict",
        ),
        (
            vec![ace(&href("mailto:alice@example.org"), &["D:all", "D:read"])],
            "no-protected-ace-conflict",
        ),
    ] {
        let r = acl_as(&env, USER, CAL, &aces).await;
        r.assert_condition(403, dav(condition));
        assert!(r.text().contains("responsedescription"), "{}", r.text());
        // Nothing was written: Bob (granted in most of these bodies) still has no access.
        assert_eq!(
            env.dav_as(BOB, "GET", ALICE_EVENT, &[], "").await.status,
            404,
            "{condition}"
        );
    }
    assert_eq!(read_acl(&env, CAL).await.0.len(), 1);

    // Only the owner sets the ACL: a sharee is refused, a stranger finds nothing.
    set_acl(&env, CAL, std::slice::from_ref(&bob_reads)).await;
    let r = acl_as(&env, BOB, CAL, &[ace(&href(CAROL_PRINCIPAL), &["D:read"])]).await;
    assert_need_privileges(&r, &dav("write-acl"));
    let r = acl_as(&env, CAROL, CAL, &[ace(&href(CAROL_PRINCIPAL), &["D:read"])]).await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(env.dav_as(CAROL, "GET", ALICE_EVENT, &[], "").await.status, 404);
    // The scheduling boxes, homes and objects have no ACL to set; the global address book is
    // read-only.
    for path in [INBOX, CAL_HOME, ALICE_EVENT] {
        let r = acl_as(&env, USER, path, std::slice::from_ref(&bob_reads)).await;
        assert_eq!(r.status, 403, "{path}: {}", r.text());
    }
    let r = acl_as(
        &env,
        USER,
        "/dav/addressbooks/alice@example.org/directory/",
        std::slice::from_ref(&bob_reads),
    )
    .await;
    assert_need_privileges(&r, &dav("write-acl"));
    // A body that is no ACL is the client's mistake.
    for body in [
        "",
        "<D:propfind xmlns:D=\"DAV:\"/>",
        "<D:acl xmlns:D=\"DAV:\"><D:ace/></D:acl>",
    ] {
        let r = env.dav("ACL", CAL, &[], body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
    }
}

#[tokio::test]
async fn the_acl_is_advertised() {
    let env = setup().await;
    let r = env.dav("OPTIONS", CAL, &[], "").await;
    assert!(
        r.header("allow").unwrap().contains("ACL"),
        "{:?}",
        r.header("allow")
    );
    let ms = env
        .propfind(
            CAL,
            "0",
            "<D:acl-restrictions/><D:supported-privilege-set/><D:supported-report-set/>",
        )
        .await;
    let restrictions = prop(&ms, CAL, &dav("acl-restrictions")).unwrap();
    assert!(restrictions.child("DAV:", "grant-only").is_some());
    assert!(restrictions.child("DAV:", "no-invert").is_some());
    // all > read > read-free-busy, all > write > write-content.
    let set = prop(&ms, CAL, &dav("supported-privilege-set")).unwrap();
    let all = set.child("DAV:", "supported-privilege").unwrap();
    let name = |sp: &Element| {
        sp.child("DAV:", "privilege")
            .and_then(|p| p.elements().next())
            .map(|e| e.name.clone())
            .unwrap()
    };
    assert_eq!(name(all), dav("all"));
    let below: Vec<&Element> = all.children_named("DAV:", "supported-privilege").collect();
    let read = below.iter().find(|s| name(s) == dav("read")).unwrap();
    assert!(
        read.children_named("DAV:", "supported-privilege")
            .any(|s| name(s) == caldav("read-free-busy"))
    );
    let write = below.iter().find(|s| name(s) == dav("write")).unwrap();
    assert!(
        write
            .children_named("DAV:", "supported-privilege")
            .any(|s| name(s) == dav("write-content"))
    );
    assert!(all.child("DAV:", "description").is_some());
    let reports = prop(&ms, CAL, &dav("supported-report-set")).unwrap();
    assert!(
        reports.children_named("DAV:", "supported-report").any(|r| r
            .child("DAV:", "report")
            .unwrap()
            .child("DAV:", "acl-principal-prop-set")
            .is_some()),
        "{reports:?}"
    );
}

#[tokio::test]
async fn acl_principal_prop_set_answers_for_each_principal() {
    let env = setup().await;
    env.core.storage().store.group_add(TEAM, "Team").await.unwrap();
    set_acl(
        &env,
        CAL,
        &[
            ace(&href(BOB_PRINCIPAL), &["D:read"]),
            ace(&href(&format!("mailto:{BOB}")), &["D:write"]),
            ace(&href(CAROL_PRINCIPAL), &["C:read-free-busy"]),
            ace(&href(TEAM_PRINCIPAL), &["D:read"]),
        ],
    )
    .await;
    // Bob's two ACEs added up.
    assert_eq!(put_as(&env, BOB, &format!("{CAL}b.ics"), "b").await.status, 201);
    let report = r#"<D:acl-principal-prop-set xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:acl-principal-prop-set>"#;
    let r = env.report(CAL, "0", report).await;
    let ms = r.multistatus();
    assert_eq!(
        hrefs(&ms),
        [PRINCIPAL, BOB_PRINCIPAL, CAROL_PRINCIPAL, TEAM_PRINCIPAL]
    );
    for (h, name) in [(PRINCIPAL, USER), (BOB_PRINCIPAL, BOB), (CAROL_PRINCIPAL, CAROL)] {
        assert_eq!(prop(&ms, h, &dav("displayname")).unwrap().text(), name, "{h}");
    }
    // A group is a group principal, with its name.
    assert_eq!(
        prop(&ms, TEAM_PRINCIPAL, &dav("displayname")).unwrap().text(),
        "Team"
    );
    // A sharee deleted since the grant names no principal any more.
    let store = &env.core.storage().store;
    store.group_delete(TEAM).await.unwrap();
    let ms = env.report(CAL, "0", report).await.multistatus();
    assert_eq!(status_of(&ms, TEAM_PRINCIPAL), Some(404));

    // Depth 0 only; the owner only (a sharee may not read the ACL).
    let r = env.report(CAL, "1", report).await;
    assert_eq!(r.status, 400, "{}", r.text());
    let r = env.dav_as(BOB, "REPORT", CAL, &[("depth", "0")], report).await;
    assert_need_privileges(&r, &dav("read-acl"));
    // Collections only.
    let r = env.report(PRINCIPAL, "0", report).await;
    r.assert_condition(403, dav("supported-report"));
}
