//! Conformance: Sieve scripts — create and replace (source, size, `updated_at`, the active flag
//! kept), listing order, `max_scripts`, names checked, case-sensitive names, at most one active
//! (also under concurrent activation), deactivation, delete refusing the active script, rename
//! (keeps the active flag, refuses an existing target), account isolation and deletion; and the
//! vacation memory — the period, renewal after it, keys per account/handle/sender, case of the
//! sender, purge, one winner among concurrent checks, account deletion.

use super::*;
use crate::sieve::*;

fn info(name: &str, source: &str, active: bool, updated_at: i64) -> SieveScriptInfo {
    SieveScriptInfo {
        name: name.to_owned(),
        size: source.len() as u64,
        active,
        updated_at,
    }
}

pub(super) async fn scripts(storage: &Storage) {
    let s = storage.store.clone();
    let a = account(&*s, "sieve.test", "a").await;
    let b = account(&*s, "sieve.test", "b").await;
    assert!(s.sieve_list(a.id).await.unwrap().is_empty());
    assert_eq!(s.sieve_active(a.id).await.unwrap(), None);

    // Create, list (by name, byte-wise: upper case first), get.
    let keep = "keep;\r\n";
    let spam = "require \"fileinto\";\r\nif header :contains \"subject\" \"spam\" { fileinto \"Junk\"; }\r\n";
    let put = |acc: AccountId, name: &'static str, src: &'static str, now: i64| {
        let s = s.clone();
        async move { s.sieve_put(acc, name, src, 3, now).await.unwrap() }
    };
    assert_eq!(put(a.id, "spam", spam, 100).await, SievePutOutcome::Created);
    assert_eq!(put(a.id, "Keep", keep, 101).await, SievePutOutcome::Created);
    assert_eq!(
        s.sieve_list(a.id).await.unwrap(),
        vec![info("Keep", keep, false, 101), info("spam", spam, false, 100)]
    );
    let got = s.sieve_get(a.id, "spam").await.unwrap().unwrap();
    assert_eq!(
        (got.name.as_str(), got.source.as_str(), got.active, got.updated_at),
        ("spam", spam, false, 100)
    );
    assert_eq!(
        s.sieve_get(a.id, "SPAM").await.unwrap(),
        None,
        "names are case-sensitive"
    );
    assert_eq!(
        s.sieve_get(b.id, "spam").await.unwrap(),
        None,
        "scripts are per account"
    );

    // Non-ASCII names and sources round-trip; sizes count octets.
    let umlaut = "# Grüße\r\nkeep;\r\n";
    assert_eq!(put(a.id, "Ferien é", umlaut, 102).await, SievePutOutcome::Created);
    let got = s.sieve_get(a.id, "Ferien é").await.unwrap().unwrap();
    assert_eq!(got.source, umlaut);
    assert_eq!(
        s.sieve_list(a.id).await.unwrap()[0],
        info("Ferien é", umlaut, false, 102)
    );

    // max_scripts: a fourth new name is refused (nothing stored), replacing is allowed.
    assert_eq!(
        put(a.id, "fourth", keep, 103).await,
        SievePutOutcome::TooManyScripts
    );
    assert_eq!(s.sieve_get(a.id, "fourth").await.unwrap(), None);
    assert_eq!(s.sieve_list(a.id).await.unwrap().len(), 3);
    assert_eq!(put(a.id, "Keep", spam, 104).await, SievePutOutcome::Replaced);
    assert_eq!(s.sieve_get(a.id, "Keep").await.unwrap().unwrap().source, spam);
    assert_eq!(
        put(b.id, "fourth", keep, 103).await,
        SievePutOutcome::Created,
        "the limit is per account"
    );

    // Invalid names, unknown accounts.
    for bad in ["", "line\nbreak", "nul\0"] {
        assert!(is_invalid(&s.sieve_put(a.id, bad, keep, 10, 1).await), "{bad:?}");
        assert!(is_invalid(&s.sieve_get(a.id, bad).await), "{bad:?}");
    }
    let long = "n".repeat(SIEVE_NAME_MAX_CHARS + 1);
    assert!(is_invalid(&s.sieve_put(a.id, &long, keep, 10, 1).await));
    let longest = "ü".repeat(SIEVE_NAME_MAX_CHARS);
    assert_eq!(
        s.sieve_put(b.id, &longest, keep, 10, 1).await.unwrap(),
        SievePutOutcome::Created,
        "255 characters (510 octets) is a valid name"
    );
    s.sieve_delete(b.id, &longest).await.unwrap();
    let nobody = a.id + 1_000_000;
    assert!(is_not_found(&s.sieve_put(nobody, "x", keep, 10, 1).await));
    assert!(is_not_found(&s.sieve_list(nobody).await));
    assert!(is_not_found(&s.sieve_activate(nobody, None).await));

    // Activate: one at a time; replacing the source keeps it active; deactivate.
    s.sieve_activate(a.id, Some("spam")).await.unwrap();
    let active = s.sieve_active(a.id).await.unwrap().unwrap();
    assert_eq!(
        (active.name.as_str(), active.source.as_str(), active.active),
        ("spam", spam, true)
    );
    s.sieve_activate(a.id, Some("Keep")).await.unwrap();
    let flags: Vec<(String, bool)> = s
        .sieve_list(a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|i| (i.name, i.active))
        .collect();
    assert_eq!(
        flags,
        vec![
            ("Ferien é".into(), false),
            ("Keep".into(), true),
            ("spam".into(), false)
        ]
    );
    assert_eq!(put(a.id, "Keep", keep, 105).await, SievePutOutcome::Replaced);
    let active = s.sieve_active(a.id).await.unwrap().unwrap();
    assert_eq!(
        (active.name.as_str(), active.source.as_str(), active.updated_at),
        ("Keep", keep, 105)
    );
    assert!(is_not_found(&s.sieve_activate(a.id, Some("nonesuch")).await));
    assert_eq!(
        s.sieve_active(a.id).await.unwrap().unwrap().name,
        "Keep",
        "a failed activation changes nothing"
    );
    assert_eq!(
        s.sieve_active(b.id).await.unwrap(),
        None,
        "activation is per account"
    );
    s.sieve_activate(a.id, None).await.unwrap();
    assert_eq!(s.sieve_active(a.id).await.unwrap(), None);
    s.sieve_activate(a.id, None).await.unwrap();

    // Concurrent activations: exactly one script ends up active.
    let tasks: Vec<_> = ["spam", "Keep", "Ferien é", "spam", "Keep", "Ferien é"]
        .into_iter()
        .map(|name| {
            let s = s.clone();
            tokio::spawn(async move { s.sieve_activate(a.id, Some(name)).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let actives = s
        .sieve_list(a.id)
        .await
        .unwrap()
        .iter()
        .filter(|i| i.active)
        .count();
    assert_eq!(actives, 1, "concurrent activations leave one active script");

    // Delete: not the active one (Conflict), unknown is NotFound.
    s.sieve_activate(a.id, Some("spam")).await.unwrap();
    assert!(is_conflict(&s.sieve_delete(a.id, "spam").await));
    assert!(s.sieve_get(a.id, "spam").await.unwrap().is_some());
    assert!(is_not_found(&s.sieve_delete(a.id, "nonesuch").await));
    s.sieve_delete(a.id, "Ferien é").await.unwrap();
    assert!(is_not_found(&s.sieve_delete(a.id, "Ferien é").await));

    // Rename: keeps the source and the active flag; refuses an existing target.
    s.sieve_rename(a.id, "spam", "junk").await.unwrap();
    let active = s.sieve_active(a.id).await.unwrap().unwrap();
    assert_eq!((active.name.as_str(), active.source.as_str()), ("junk", spam));
    assert_eq!(s.sieve_get(a.id, "spam").await.unwrap(), None);
    assert!(is_exists(&s.sieve_rename(a.id, "junk", "Keep").await));
    assert!(is_not_found(&s.sieve_rename(a.id, "spam", "other").await));
    assert!(is_invalid(&s.sieve_rename(a.id, "junk", "").await));
    s.sieve_rename(a.id, "junk", "junk").await.unwrap();
    assert_eq!(
        s.sieve_list(a.id)
            .await
            .unwrap()
            .into_iter()
            .map(|i| (i.name, i.active))
            .collect::<Vec<_>>(),
        vec![("Keep".to_owned(), false), ("junk".to_owned(), true)]
    );

    // Scripts go with the account.
    s.account_delete(a.id).await.unwrap();
    let again = account(&*s, "sieve.test", "a").await;
    assert!(s.sieve_list(again.id).await.unwrap().is_empty());
    assert_eq!(s.sieve_active(again.id).await.unwrap(), None);
    assert!(
        s.sieve_get(b.id, "fourth").await.unwrap().is_some(),
        "another account's scripts stay"
    );
}

pub(super) async fn vacation(storage: &Storage) {
    let s = storage.store.clone();
    let a = account(&*s, "vacation.test", "a").await;
    let b = account(&*s, "vacation.test", "b").await;
    let check = |acc: AccountId, handle: &'static str, sender: &'static str, until: i64, now: i64| {
        let s = s.clone();
        async move {
            s.vacation_check_and_record(acc, handle, sender, until, now)
                .await
                .unwrap()
        }
    };

    assert!(
        check(a.id, "h", "bob@x.test", 1_100, 1_000).await,
        "first message: answer"
    );
    assert!(
        !check(a.id, "h", "bob@x.test", 1_200, 1_050).await,
        "within the period"
    );
    assert!(
        !check(a.id, "h", "BOB@X.test", 1_200, 1_099).await,
        "the sender compares case-insensitively"
    );
    assert!(
        check(a.id, "h", "bob@x.test", 1_300, 1_100).await,
        "the period ends at `until`: answered again, now until 1300"
    );
    assert!(!check(a.id, "h", "bob@x.test", 1_400, 1_299).await);
    assert!(
        check(a.id, "other", "bob@x.test", 1_400, 1_299).await,
        "per handle"
    );
    assert!(check(a.id, "h", "carol@x.test", 1_400, 1_299).await, "per sender");
    assert!(check(b.id, "h", "bob@x.test", 1_400, 1_299).await, "per account");
    assert!(
        check(a.id, "", "dave@x.test", 1_400, 1_299).await,
        "an empty handle"
    );

    // Invalid keys and unknown accounts.
    assert!(is_invalid(
        &s.vacation_check_and_record(a.id, "h", " ", 2, 1).await
    ));
    let long = "x".repeat(VACATION_KEY_MAX + 1);
    assert!(is_invalid(
        &s.vacation_check_and_record(a.id, &long, "e@x.test", 2, 1).await
    ));
    assert!(is_not_found(
        &s.vacation_check_and_record(a.id + 1_000_000, "h", "e@x.test", 2, 1)
            .await
    ));

    // Concurrent checks for one sender: exactly one answers.
    let tasks: Vec<_> = (0..8)
        .map(|_| tokio::spawn(check(a.id, "race", "eve@x.test", 5_000, 4_000)))
        .collect();
    let mut answered = 0;
    for t in tasks {
        if t.await.unwrap() {
            answered += 1;
        }
    }
    assert_eq!(answered, 1, "one of the concurrent checks answers");

    // Purge removes records whose period ended at or before `now`, whatever the account.
    // Records: a/h/bob 1300, a/other/bob 1400, a/h/carol 1400, b/h/bob 1400, a//dave 1400,
    // a/race/eve 5000.
    assert_eq!(s.vacation_purge(1_300).await.unwrap(), 1);
    assert_eq!(s.vacation_purge(1_400).await.unwrap(), 4);
    assert_eq!(s.vacation_purge(1_400).await.unwrap(), 0);
    assert!(
        !check(a.id, "race", "eve@x.test", 6_000, 4_999).await,
        "a record whose period has not ended survives the purge"
    );

    // Records go with the account.
    s.account_delete(a.id).await.unwrap();
    let again = account(&*s, "vacation.test", "a").await;
    assert!(check(again.id, "race", "eve@x.test", 6_000, 4_999).await);
}
