//! Conformance: sending delegations (send as / send on behalf) — lower-cased addresses,
//! idempotent grants, the other kind replaces, removal, ordering, and account deletion (the
//! account's own delegations and those of its address go).

use super::*;

fn d(account: AccountId, address: &str, kind: DelegationKind) -> Delegation {
    Delegation {
        account,
        address: address.to_owned(),
        kind,
    }
}

/// Delegations of the given accounts only (the listing is global).
async fn of(s: &dyn Store, accounts: &[AccountId]) -> Vec<Delegation> {
    s.delegation_list(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| accounts.contains(&d.account))
        .collect()
}

pub(super) async fn delegations(storage: &Storage) {
    let s = &*storage.store;
    let a = account(s, "deleg.test", "a").await;
    let b = account(s, "deleg.test", "b").await;
    let boss = account(s, "deleg.test", "boss").await;
    assert!(s.delegation_list(Some(a.id)).await.unwrap().is_empty());

    // Lower-cased; granting twice is idempotent; the other kind replaces.
    s.delegation_add(a.id, " Boss@Deleg.TEST ", DelegationKind::SendAs)
        .await
        .unwrap();
    s.delegation_add(a.id, "boss@deleg.test", DelegationKind::SendAs)
        .await
        .unwrap();
    assert_eq!(
        s.delegation_list(Some(a.id)).await.unwrap(),
        vec![d(a.id, "boss@deleg.test", DelegationKind::SendAs)],
        "one entry, lower-case"
    );
    s.delegation_add(a.id, "BOSS@deleg.test", DelegationKind::SendOnBehalf)
        .await
        .unwrap();
    assert_eq!(
        s.delegation_list(Some(a.id)).await.unwrap(),
        vec![d(a.id, "boss@deleg.test", DelegationKind::SendOnBehalf)],
        "granting the other kind replaces the previous one"
    );

    // Ordered by account, then address.
    s.delegation_add(a.id, "team@deleg.test", DelegationKind::SendAs)
        .await
        .unwrap();
    s.delegation_add(a.id, "alpha@other.example", DelegationKind::SendAs)
        .await
        .unwrap();
    s.delegation_add(b.id, "boss@deleg.test", DelegationKind::SendAs)
        .await
        .unwrap();
    let want_a = vec![
        d(a.id, "alpha@other.example", DelegationKind::SendAs),
        d(a.id, "boss@deleg.test", DelegationKind::SendOnBehalf),
        d(a.id, "team@deleg.test", DelegationKind::SendAs),
    ];
    assert_eq!(s.delegation_list(Some(a.id)).await.unwrap(), want_a);
    let mut want_all = want_a.clone();
    want_all.push(d(b.id, "boss@deleg.test", DelegationKind::SendAs));
    assert_eq!(
        of(s, &[a.id, b.id]).await,
        want_all,
        "all, by account then address"
    );
    assert_eq!(
        s.delegation_list(Some(b.id)).await.unwrap(),
        vec![d(b.id, "boss@deleg.test", DelegationKind::SendAs)]
    );

    // Invalid input and unknown accounts.
    assert!(is_invalid(
        &s.delegation_add(a.id, "nobody", DelegationKind::SendAs).await
    ));
    assert!(is_invalid(
        &s.delegation_add(a.id, "", DelegationKind::SendAs).await
    ));
    assert!(is_not_found(
        &s.delegation_add(a.id + 1_000_000, "x@deleg.test", DelegationKind::SendAs)
            .await
    ));

    // Remove: case-insensitive; twice is NotFound; the other account's grant stays.
    s.delegation_remove(a.id, "Team@Deleg.Test").await.unwrap();
    assert!(is_not_found(&s.delegation_remove(a.id, "team@deleg.test").await));
    assert_eq!(s.delegation_list(Some(a.id)).await.unwrap().len(), 2);

    // Deleting the account of an address removes the delegations OF it (a re-created address
    // must not inherit them); deleting an account removes its own.
    s.account_delete(boss.id).await.unwrap();
    assert_eq!(
        of(s, &[a.id, b.id]).await,
        vec![d(a.id, "alpha@other.example", DelegationKind::SendAs)],
        "delegations of a deleted account's address are gone"
    );
    s.account_delete(a.id).await.unwrap();
    assert!(s.delegation_list(Some(a.id)).await.unwrap().is_empty());
    assert!(of(s, &[a.id, b.id]).await.is_empty());
}
