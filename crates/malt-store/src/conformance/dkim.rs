//! Conformance: DKIM signing keys (RFC 6376) — lower-cased domain and selector, replace by
//! domain+selector, the newest key of a domain (highest `created_at`, then stored last),
//! listing, deletion, invalid input, and a `Debug` that never shows the private key.

use super::*;

fn key(domain: &str, selector: &str, algorithm: &str, created_at: i64) -> DkimKey {
    DkimKey {
        domain: domain.to_owned(),
        selector: selector.to_owned(),
        algorithm: algorithm.to_owned(),
        private_key_pem: format!(
            "-----BEGIN PRIVATE KEY-----\n{selector}{created_at}\n-----END PRIVATE KEY-----\n"
        ),
        created_at,
    }
}

const RSA: &str = "rsa-sha256";
const ED: &str = "ed25519-sha256";

/// Keys of the given domain only (the listing is global).
async fn list_of(s: &dyn Store, domain: &str) -> Vec<DkimKey> {
    s.dkim_key_list()
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.domain == domain)
        .collect()
}

pub(super) async fn dkim_keys(storage: &Storage) {
    let s = &*storage.store;
    let dom = "dkim.test";
    assert_eq!(s.dkim_key_get(dom).await.unwrap(), None);

    s.dkim_key_put(key("DKIM.Test", "S1", RSA, 100)).await.unwrap();
    let got = s.dkim_key_get("Dkim.TEST").await.unwrap().unwrap();
    let mut want = key(dom, "s1", RSA, 100);
    want.private_key_pem = key("x", "S1", RSA, 100).private_key_pem;
    assert_eq!(got, want, "domain and selector lower-cased, key stored as given");

    // The newest key wins: highest created_at.
    s.dkim_key_put(key(dom, "s2", ED, 200)).await.unwrap();
    s.dkim_key_put(key(dom, "s3", RSA, 150)).await.unwrap();
    assert_eq!(s.dkim_key_get(dom).await.unwrap().unwrap().selector, "s2");
    // Replacing s1 (same domain+selector) with a newer key.
    s.dkim_key_put(key(dom, "s1", ED, 300)).await.unwrap();
    let got = s.dkim_key_get(dom).await.unwrap().unwrap();
    assert_eq!(
        got,
        key(dom, "s1", ED, 300),
        "put replaces the key of a domain+selector"
    );
    // Same created_at: the one stored last.
    s.dkim_key_put(key(dom, "s0", RSA, 300)).await.unwrap();
    assert_eq!(s.dkim_key_get(dom).await.unwrap().unwrap().selector, "s0");

    s.dkim_key_put(key("other.dkim.test", "s1", RSA, 999))
        .await
        .unwrap();
    assert_eq!(
        list_of(s, dom)
            .await
            .iter()
            .map(|k| (k.selector.as_str(), k.created_at))
            .collect::<Vec<_>>(),
        vec![("s0", 300), ("s1", 300), ("s2", 200), ("s3", 150)],
        "listed by domain then selector; s1 replaced, not added"
    );
    let all = s.dkim_key_list().await.unwrap();
    let pos = |d: &str| all.iter().position(|k| k.domain == d).unwrap();
    assert!(pos(dom) < pos("other.dkim.test"), "ordered by domain");
    assert_eq!(
        s.dkim_key_get("other.dkim.test")
            .await
            .unwrap()
            .unwrap()
            .created_at,
        999,
        "keys of other domains do not interfere"
    );

    // Delete: case-insensitive; the next newest takes over; twice is NotFound.
    s.dkim_key_delete("DKIM.test", "S0").await.unwrap();
    assert_eq!(s.dkim_key_get(dom).await.unwrap().unwrap().selector, "s1");
    assert!(is_not_found(&s.dkim_key_delete(dom, "s0").await));
    assert!(is_not_found(&s.dkim_key_delete("nowhere.test", "s1").await));

    // Invalid keys are refused and change nothing.
    for bad in [
        key(dom, "s9", "rsa-sha1", 1_000),
        key(dom, "", RSA, 1_000),
        key("", "s9", RSA, 1_000),
        DkimKey {
            private_key_pem: " ".into(),
            ..key(dom, "s9", RSA, 1_000)
        },
    ] {
        assert!(is_invalid(&s.dkim_key_put(bad).await));
    }
    assert_eq!(list_of(s, dom).await.len(), 3);

    // Secrets never reach logs through Debug.
    let shown = format!("{:?}", s.dkim_key_get(dom).await.unwrap().unwrap());
    assert!(
        !shown.contains("PRIVATE KEY") && shown.contains("s1"),
        "Debug of a DkimKey hides the private key: {shown}"
    );

    for k in s.dkim_key_list().await.unwrap() {
        if k.domain.ends_with("dkim.test") {
            s.dkim_key_delete(&k.domain, &k.selector).await.unwrap();
        }
    }
    assert_eq!(s.dkim_key_get(dom).await.unwrap(), None);
}
