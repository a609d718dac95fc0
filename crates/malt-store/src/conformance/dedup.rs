//! Conformance: duplicate suppression by Message-ID per recipient account — the window
//! (inclusive at `now - window`), a duplicate does not refresh the record, an expired record is
//! refreshed, keys per account and without angle brackets, invalid input, purge, account
//! deletion, forgetting a failed delivery's record, and one winner among concurrent deliveries of
//! the same Message-ID.

use super::*;

pub(super) async fn dedup(storage: &Storage) {
    let s = storage.store.clone();
    let a = account(&*s, "dedup.test", "a").await;
    let b = account(&*s, "dedup.test", "b").await;
    let check = |acc: AccountId, id: &'static str, now: i64| {
        let s = s.clone();
        async move { s.dedup_check_and_record(acc, id, now, 100).await.unwrap() }
    };

    assert!(!check(a.id, "<m1@dedup.test>", 1_000).await, "first delivery");
    assert!(
        check(a.id, "<m1@dedup.test>", 1_050).await,
        "within the window: duplicate"
    );
    assert!(
        check(a.id, " m1@dedup.test ", 1_060).await,
        "the same key without angle brackets"
    );
    assert!(
        check(a.id, "<m1@dedup.test>", 1_100).await,
        "recorded at exactly now - window still counts"
    );
    assert!(
        !check(a.id, "<m1@dedup.test>", 1_101).await,
        "older than the window: recorded anew (the duplicates above did not refresh it)"
    );
    assert!(
        check(a.id, "<m1@dedup.test>", 1_201).await,
        "the refreshed record counts from 1101"
    );
    assert!(!check(a.id, "<m1@dedup.test>", 1_202).await);
    assert!(
        !check(b.id, "<m1@dedup.test>", 1_202).await,
        "records are per account"
    );
    assert!(
        !check(a.id, "<M1@dedup.test>", 1_202).await,
        "Message-IDs keep their case"
    );

    // Invalid keys and unknown accounts.
    for bad in ["", "<>", "  "] {
        assert!(is_invalid(&s.dedup_check_and_record(a.id, bad, 1, 100).await));
    }
    let long = format!("<{}@x>", "a".repeat(DEDUP_MESSAGE_ID_MAX));
    assert!(is_invalid(&s.dedup_check_and_record(a.id, &long, 1, 100).await));
    assert!(is_not_found(
        &s.dedup_check_and_record(a.id + 1_000_000, "<x@dedup.test>", 1, 100)
            .await
    ));

    // Concurrent deliveries of one Message-ID: exactly one records it.
    let tasks: Vec<_> = (0..8)
        .map(|_| tokio::spawn(check(a.id, "<race@dedup.test>", 5_000)))
        .collect();
    let mut fresh = 0;
    for t in tasks {
        if !t.await.unwrap() {
            fresh += 1;
        }
    }
    assert_eq!(
        fresh, 1,
        "one concurrent delivery records, the others are duplicates"
    );

    // Purge removes records older than `before` (and only those), whatever the window.
    let long_window = |acc: AccountId, id: &'static str, now: i64| {
        let s = s.clone();
        async move { s.dedup_check_and_record(acc, id, now, 1_000_000).await.unwrap() }
    };
    assert!(long_window(b.id, "<m1@dedup.test>", 1_300).await);
    // Records now: a/m1 1202, b/m1 1202, a/M1 1202, a/race 5000 (and none older from this
    // check); other checks write none.
    let removed = s.dedup_purge(1_203).await.unwrap();
    assert_eq!(removed, 3, "purge removes exactly the three records of 1202");
    assert!(
        !long_window(b.id, "<m1@dedup.test>", 1_300).await,
        "a purged record no longer suppresses"
    );
    assert!(
        long_window(a.id, "<race@dedup.test>", 5_001).await,
        "a newer record survives the purge"
    );
    assert_eq!(s.dedup_purge(1_203).await.unwrap(), 0, "nothing left to purge");

    // Forget: the record of a failed delivery is removed, for that account and key only.
    assert!(!long_window(a.id, "<fail@dedup.test>", 6_000).await);
    assert!(!long_window(b.id, "<fail@dedup.test>", 6_000).await);
    s.dedup_forget(a.id, "fail@dedup.test").await.unwrap();
    assert!(
        !long_window(a.id, "<fail@dedup.test>", 6_001).await,
        "a forgotten record no longer suppresses (and this records it again)"
    );
    assert!(
        long_window(b.id, "<fail@dedup.test>", 6_001).await,
        "another account's record stays"
    );
    s.dedup_forget(a.id, "<absent@dedup.test>").await.unwrap();
    assert!(is_invalid(&s.dedup_forget(a.id, "<>").await));

    // Records go with the account.
    s.account_delete(b.id).await.unwrap();
    s.account_delete(a.id).await.unwrap();
    let c = account(&*s, "dedup.test", "a").await;
    assert!(
        !s.dedup_check_and_record(c.id, "<race@dedup.test>", 5_002, 1_000_000)
            .await
            .unwrap(),
        "a new account under the same address starts with no records"
    );
}
