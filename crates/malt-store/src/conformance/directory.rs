//! Conformance: domains, accounts (with their default mailboxes), aliases, groups, app passwords.

use super::*;

pub(super) async fn domains(storage: &Storage) {
    let s = &*storage.store;
    let d = s.domain_add("Domains.TEST").await.unwrap();
    assert_eq!(d.name, "domains.test", "domain names are stored lower-case");
    assert!(
        is_exists(&s.domain_add("domains.test").await),
        "duplicate domain must be AlreadyExists"
    );
    let got = s
        .domain_get("DOMAINS.test")
        .await
        .unwrap()
        .expect("domain lookup is case-insensitive");
    assert_eq!(got, d);
    assert!(s.domain_get("nope.test").await.unwrap().is_none());
    s.domain_add("domains2.test").await.unwrap();
    let list = s.domain_list().await.unwrap();
    let names: Vec<&str> = list.iter().map(|d| d.name.as_str()).collect();
    assert!(
        names.contains(&"domains.test") && names.contains(&"domains2.test"),
        "{names:?}"
    );
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "domain_list is ordered by name");

    // In use by an account, an alias or a group: Conflict.
    let a = account(s, "domains.test", "u").await;
    assert!(
        is_conflict(&s.domain_delete("domains.test").await),
        "domain with accounts must not be deleted"
    );
    s.account_delete(a.id).await.unwrap();
    s.alias_add("x@domains.test", "y@else.test").await.unwrap();
    assert!(
        is_conflict(&s.domain_delete("domains.test").await),
        "domain with aliases must not be deleted"
    );
    s.alias_delete("x@domains.test", None).await.unwrap();
    s.group_add("g@domains.test", "G").await.unwrap();
    assert!(
        is_conflict(&s.domain_delete("domains.test").await),
        "domain with groups must not be deleted"
    );
    s.group_delete("g@domains.test").await.unwrap();

    s.domain_delete("Domains.test").await.unwrap();
    assert!(s.domain_get("domains.test").await.unwrap().is_none());
    assert!(is_not_found(&s.domain_delete("domains.test").await));
    s.domain_delete("domains2.test").await.unwrap();
}

pub(super) async fn accounts(storage: &Storage) {
    let s = &*storage.store;
    let missing = s
        .account_create(NewAccount {
            address: "u@no-such-domain.test".into(),
            password_hash: "h".into(),
            quota_bytes: None,
        })
        .await;
    assert!(
        is_not_found(&missing),
        "account in a missing domain must be NotFound: {missing:?}"
    );

    s.domain_add("accounts.test").await.unwrap();
    let a = s
        .account_create(NewAccount {
            address: "Alice@Accounts.TEST".into(),
            password_hash: "hash1".into(),
            quota_bytes: Some(1_000_000),
        })
        .await
        .unwrap();
    assert_eq!(
        a.address, "alice@accounts.test",
        "addresses are stored lower-case"
    );
    assert_eq!(a.password_hash, "hash1");
    assert_eq!(a.quota_bytes, Some(1_000_000));
    assert_eq!((a.used_bytes, a.message_count), (0, 0));
    assert!(a.created_at > 1_600_000_000, "created_at is unix seconds");
    let dup = s
        .account_create(NewAccount {
            address: "alice@accounts.test".into(),
            password_hash: "h".into(),
            quota_bytes: None,
        })
        .await;
    assert!(
        is_exists(&dup),
        "duplicate account must be AlreadyExists: {dup:?}"
    );

    // Default mailboxes with roles, all subscribed.
    let boxes = s.mailbox_list(a.id).await.unwrap();
    let mut expect = vec![
        ("Archive", Some(SpecialUse::Archive)),
        ("Drafts", Some(SpecialUse::Drafts)),
        ("INBOX", None),
        ("Junk", Some(SpecialUse::Junk)),
        ("Sent", Some(SpecialUse::Sent)),
        ("Trash", Some(SpecialUse::Trash)),
    ];
    expect.sort_by_key(|e| e.0);
    let got: Vec<(&str, Option<SpecialUse>)> = boxes.iter().map(|m| (m.name.as_str(), m.role)).collect();
    assert_eq!(got, expect, "default mailboxes, ordered by name");
    for m in &boxes {
        assert_eq!(m.account_id, a.id);
        assert_eq!(m.uidnext, 1);
        assert_eq!((m.message_count, m.unseen_count, m.total_size), (0, 0, 0));
        assert!(m.uidvalidity > 0);
    }
    let mut validities: Vec<u32> = boxes.iter().map(|m| m.uidvalidity).collect();
    validities.sort_unstable();
    validities.dedup();
    assert_eq!(validities.len(), 6, "every mailbox gets its own UIDVALIDITY");
    let mut subs = s.subscription_list(a.id).await.unwrap();
    subs.sort();
    let mut names: Vec<String> = boxes.iter().map(|m| m.name.clone()).collect();
    names.sort();
    assert_eq!(subs, names, "default mailboxes are subscribed");

    // Lookups.
    assert_eq!(s.account_get(a.id).await.unwrap().unwrap().address, a.address);
    assert_eq!(
        s.account_by_address("ALICE@accounts.test")
            .await
            .unwrap()
            .unwrap()
            .id,
        a.id
    );
    assert!(
        s.account_by_address("nobody@accounts.test")
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.account_get(a.id + 1_000_000).await.unwrap().is_none());
    let b = account(s, "accounts.test", "bob").await;
    let c = account(s, "accounts.test", "aaron").await;
    let other = account(s, "accounts2.test", "zed").await;
    let list: Vec<String> = s
        .account_list(Some("accounts.test"))
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.address)
        .collect();
    assert_eq!(
        list,
        vec!["aaron@accounts.test", "alice@accounts.test", "bob@accounts.test"]
    );
    let all: Vec<String> = s
        .account_list(None)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.address)
        .collect();
    assert!(all.contains(&other.address) && all.contains(&b.address));
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "account_list is ordered by address");

    // Password and quota changes are account changes: new modseq.
    let m0 = modseq_of(s, a.id).await;
    s.account_set_password(a.id, "hash2").await.unwrap();
    let a2 = s.account_get(a.id).await.unwrap().unwrap();
    assert_eq!(a2.password_hash, "hash2");
    assert!(a2.highest_modseq > m0, "password change increments the modseq");
    s.account_set_quota(a.id, None).await.unwrap();
    let a3 = s.account_get(a.id).await.unwrap().unwrap();
    assert_eq!(a3.quota_bytes, None);
    assert!(
        a3.highest_modseq > a2.highest_modseq,
        "quota change increments the modseq"
    );
    s.account_set_quota(a.id, Some(42)).await.unwrap();
    let q = s.quota(a.id).await.unwrap();
    assert_eq!(
        q,
        QuotaUsage {
            used_bytes: 0,
            limit_bytes: Some(42),
            message_count: 0
        }
    );
    assert!(is_not_found(&s.account_set_password(a.id + 1_000_000, "x").await));
    assert!(is_not_found(&s.account_set_quota(a.id + 1_000_000, None).await));

    // Delete.
    s.account_delete(c.id).await.unwrap();
    assert!(s.account_get(c.id).await.unwrap().is_none());
    assert!(
        s.account_by_address("aaron@accounts.test")
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.mailbox_list(c.id).await.unwrap().is_empty());
    assert!(is_not_found(&s.account_delete(c.id).await));
    // The address can be used again.
    let c2 = account(s, "accounts.test", "aaron").await;
    assert_ne!(c2.id, c.id);
}

pub(super) async fn aliases(storage: &Storage) {
    let s = &*storage.store;
    s.domain_add("aliases.test").await.unwrap();
    s.domain_add("aliases2.test").await.unwrap();
    let al = s
        .alias_add("Info@Aliases.test", "Alice@aliases.test")
        .await
        .unwrap();
    assert_eq!(
        al,
        Alias {
            address: "info@aliases.test".into(),
            target: "alice@aliases.test".into()
        }
    );
    s.alias_add("info@aliases.test", "bob@elsewhere.test")
        .await
        .unwrap();
    assert!(is_exists(
        &s.alias_add("info@aliases.test", "bob@elsewhere.test").await
    ));
    s.alias_add("@aliases.test", "catchall@aliases.test")
        .await
        .unwrap();
    s.alias_add("a@aliases2.test", "x@aliases.test").await.unwrap();
    let missing = s.alias_add("x@no-such-domain.test", "y@aliases.test").await;
    assert!(is_not_found(&missing), "alias in a missing domain: {missing:?}");

    let mut t = s.alias_targets("INFO@aliases.test").await.unwrap();
    t.sort();
    assert_eq!(t, vec!["alice@aliases.test", "bob@elsewhere.test"]);
    assert_eq!(
        s.alias_targets("@aliases.test").await.unwrap(),
        vec!["catchall@aliases.test"]
    );
    assert!(
        s.alias_targets("other@aliases.test").await.unwrap().is_empty(),
        "no catch-all expansion"
    );

    let list = s.alias_list(Some("aliases.test")).await.unwrap();
    let pairs: Vec<(&str, &str)> = list
        .iter()
        .map(|a| (a.address.as_str(), a.target.as_str()))
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("@aliases.test", "catchall@aliases.test"),
            ("info@aliases.test", "alice@aliases.test"),
            ("info@aliases.test", "bob@elsewhere.test"),
        ]
    );
    let all = s.alias_list(None).await.unwrap();
    assert!(all.iter().any(|a| a.address == "a@aliases2.test"));

    s.alias_delete("info@aliases.test", Some("bob@elsewhere.test"))
        .await
        .unwrap();
    assert_eq!(
        s.alias_targets("info@aliases.test").await.unwrap(),
        vec!["alice@aliases.test"]
    );
    assert!(is_not_found(
        &s.alias_delete("info@aliases.test", Some("bob@elsewhere.test"))
            .await
    ));
    s.alias_delete("info@aliases.test", None).await.unwrap();
    assert!(s.alias_targets("info@aliases.test").await.unwrap().is_empty());
    assert!(is_not_found(&s.alias_delete("info@aliases.test", None).await));
    s.alias_delete("@aliases.test", None).await.unwrap();
    s.alias_delete("a@aliases2.test", None).await.unwrap();
    s.domain_delete("aliases.test").await.unwrap();
    s.domain_delete("aliases2.test").await.unwrap();
}

pub(super) async fn groups(storage: &Storage) {
    let s = &*storage.store;
    s.domain_add("groups.test").await.unwrap();
    let g = s.group_add("Team@groups.test", "The Team").await.unwrap();
    assert_eq!(g.address, "team@groups.test");
    assert_eq!(g.name, "The Team");
    assert!(g.members.is_empty());
    assert!(is_exists(&s.group_add("team@groups.test", "again").await));
    assert!(is_not_found(&s.group_add("t@no-such-domain.test", "x").await));
    s.group_member_add("team@groups.test", "Alice@groups.test")
        .await
        .unwrap();
    s.group_member_add("team@groups.test", "bob@other.test")
        .await
        .unwrap();
    assert!(is_exists(
        &s.group_member_add("team@groups.test", "alice@groups.test").await
    ));
    assert!(is_not_found(
        &s.group_member_add("nope@groups.test", "a@groups.test").await
    ));
    let got = s.group_get("TEAM@groups.test").await.unwrap().unwrap();
    let mut members = got.members.clone();
    members.sort();
    assert_eq!(members, vec!["alice@groups.test", "bob@other.test"]);
    assert_eq!(got.id, g.id);
    s.group_add("all@groups.test", "All").await.unwrap();
    let list = s.group_list().await.unwrap();
    let addrs: Vec<&str> = list.iter().map(|g| g.address.as_str()).collect();
    let pos_all = addrs.iter().position(|a| *a == "all@groups.test").unwrap();
    let pos_team = addrs.iter().position(|a| *a == "team@groups.test").unwrap();
    assert!(pos_all < pos_team, "group_list is ordered by address");
    assert_eq!(list[pos_team].members.len(), 2, "group_list carries members");

    s.group_member_remove("team@groups.test", "alice@groups.test")
        .await
        .unwrap();
    assert_eq!(
        s.group_get("team@groups.test").await.unwrap().unwrap().members,
        vec!["bob@other.test"]
    );
    assert!(is_not_found(
        &s.group_member_remove("team@groups.test", "alice@groups.test")
            .await
    ));
    s.group_delete("team@groups.test").await.unwrap();
    assert!(s.group_get("team@groups.test").await.unwrap().is_none());
    assert!(is_not_found(&s.group_delete("team@groups.test").await));
    s.group_delete("all@groups.test").await.unwrap();
    s.domain_delete("groups.test").await.unwrap();
}

pub(super) async fn app_passwords(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "apppw.test", "a").await;
    let b = account(s, "apppw.test", "b").await;
    let p = s.app_password_add(a.id, "phone", "h1").await.unwrap();
    assert_eq!(
        (p.account_id, p.name.as_str(), p.hash.as_str()),
        (a.id, "phone", "h1")
    );
    assert!(p.created_at > 1_600_000_000);
    assert!(
        is_exists(&s.app_password_add(a.id, "phone", "h2").await),
        "names are unique per account"
    );
    s.app_password_add(a.id, "laptop", "h3").await.unwrap();
    s.app_password_add(b.id, "phone", "h4").await.unwrap();
    let list = s.app_password_list(a.id).await.unwrap();
    let mut names: Vec<&str> = list.iter().map(|p| p.name.as_str()).collect();
    names.sort();
    assert_eq!(names, vec!["laptop", "phone"]);
    assert!(list.iter().any(|p| p.name == "phone" && p.hash == "h1"));
    s.app_password_revoke(a.id, "phone").await.unwrap();
    assert!(is_not_found(&s.app_password_revoke(a.id, "phone").await));
    let list = s.app_password_list(a.id).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        s.app_password_list(b.id).await.unwrap().len(),
        1,
        "other account untouched"
    );
    s.account_delete(a.id).await.unwrap();
    assert!(
        s.app_password_list(a.id).await.unwrap().is_empty(),
        "deleted with the account"
    );
}
