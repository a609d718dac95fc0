//! Conformance: Sieve duplicate tracking (RFC 7352) — a key is seen until the end of its period
//! (exclusive), recording again replaces the period (`:last`), records are per account, invalid
//! keys and unknown accounts are refused, purge removes exactly the ended records, and records
//! go with their account.

use super::*;

pub(super) async fn sieve_duplicates(storage: &Storage) {
    let s = storage.store.clone();
    let a = account(&*s, "dup.test", "a").await;
    let b = account(&*s, "dup.test", "b").await;

    assert!(
        !s.sieve_duplicate_seen(a.id, "k1", 100).await.unwrap(),
        "never recorded"
    );
    s.sieve_duplicate_record(a.id, "k1", 200).await.unwrap();
    assert!(s.sieve_duplicate_seen(a.id, "k1", 100).await.unwrap());
    assert!(s.sieve_duplicate_seen(a.id, "k1", 199).await.unwrap());
    assert!(
        !s.sieve_duplicate_seen(a.id, "k1", 200).await.unwrap(),
        "the period ends at until"
    );
    assert!(
        !s.sieve_duplicate_seen(b.id, "k1", 100).await.unwrap(),
        "per account"
    );
    assert!(
        !s.sieve_duplicate_seen(a.id, "K1", 100).await.unwrap(),
        "keys keep their case"
    );

    // Recording again replaces the period, shorter or longer.
    s.sieve_duplicate_record(a.id, "k1", 150).await.unwrap();
    assert!(!s.sieve_duplicate_seen(a.id, "k1", 160).await.unwrap());
    s.sieve_duplicate_record(a.id, "k1", 400).await.unwrap();
    assert!(s.sieve_duplicate_seen(a.id, "k1", 300).await.unwrap());

    // Invalid keys and unknown accounts.
    let long = "k".repeat(SIEVE_DUPLICATE_KEY_MAX + 1);
    for bad in ["", long.as_str()] {
        assert!(is_invalid(&s.sieve_duplicate_seen(a.id, bad, 1).await));
        assert!(is_invalid(&s.sieve_duplicate_record(a.id, bad, 1).await));
    }
    assert!(
        s.sieve_duplicate_record(a.id, &long[1..], 1).await.is_ok(),
        "at the limit"
    );
    assert!(is_not_found(
        &s.sieve_duplicate_record(a.id + 1_000_000, "k", 10).await
    ));

    // Purge: records whose period ended at or before now (a/long 1, a/k2 300, b/k2 301 stays).
    s.sieve_duplicate_record(a.id, "k2", 300).await.unwrap();
    s.sieve_duplicate_record(b.id, "k2", 301).await.unwrap();
    assert_eq!(s.sieve_duplicate_purge(300).await.unwrap(), 2);
    assert!(
        s.sieve_duplicate_seen(b.id, "k2", 300).await.unwrap(),
        "not ended: kept"
    );
    assert!(s.sieve_duplicate_seen(a.id, "k1", 300).await.unwrap());
    assert_eq!(s.sieve_duplicate_purge(300).await.unwrap(), 0);

    // Records go with the account.
    s.account_delete(a.id).await.unwrap();
    let again = account(&*s, "dup.test", "a").await;
    assert!(!s.sieve_duplicate_seen(again.id, "k1", 300).await.unwrap());
    s.account_delete(again.id).await.unwrap();
    s.account_delete(b.id).await.unwrap();
    assert_eq!(
        s.sieve_duplicate_purge(i64::MAX).await.unwrap(),
        0,
        "nothing left behind"
    );
}
