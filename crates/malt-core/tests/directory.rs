//! Recipient resolution against a real SQLite store.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use malt_core::directory::resolve;

async fn names(s: &malt_store::Storage, address: &str) -> Vec<(String, Option<String>)> {
    resolve(s.store.as_ref(), address)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.account.address, r.tag))
        .collect()
}

fn plain(list: &[&str]) -> Vec<(String, Option<String>)> {
    list.iter().map(|a| (a.to_string(), None)).collect()
}

#[tokio::test]
async fn resolution_rules() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::storage(&dir).await;
    for a in ["alice@example.org", "bob@example.org", "carol@other.org"] {
        common::account(&s, a, "pw").await;
    }
    let st = &s.store;
    // Alias chain: info -> team -> bob.
    st.alias_add("info@example.org", "team@example.org")
        .await
        .unwrap();
    st.alias_add("team@example.org", "bob@example.org").await.unwrap();
    // Alias loop with an exit: loop1 -> loop2 -> loop1, loop2 -> carol.
    st.alias_add("loop1@example.org", "loop2@example.org")
        .await
        .unwrap();
    st.alias_add("loop2@example.org", "loop1@example.org")
        .await
        .unwrap();
    st.alias_add("loop2@example.org", "carol@other.org")
        .await
        .unwrap();
    // Group with an account, an alias to an account already listed, and a nested group.
    st.group_add("staff@example.org", "Staff").await.unwrap();
    st.group_add("admins@example.org", "Admins").await.unwrap();
    st.group_member_add("admins@example.org", "carol@other.org")
        .await
        .unwrap();
    st.group_member_add("admins@example.org", "staff@example.org")
        .await
        .unwrap();
    for m in [
        "alice@example.org",
        "info@example.org",
        "bob@example.org",
        "admins@example.org",
        "x@elsewhere.net",
    ] {
        st.group_member_add("staff@example.org", m).await.unwrap();
    }
    // Catch-all for other.org.
    st.alias_add("@other.org", "carol@other.org").await.unwrap();

    assert_eq!(
        names(&s, "alice@example.org").await,
        plain(&["alice@example.org"])
    );
    assert_eq!(
        names(&s, "<ALICE@Example.ORG>").await,
        plain(&["alice@example.org"])
    );
    assert_eq!(
        names(&s, "alice+news@example.org").await,
        vec![("alice@example.org".to_owned(), Some("news".to_owned()))]
    );
    assert_eq!(names(&s, "info@example.org").await, plain(&["bob@example.org"]));
    assert_eq!(
        names(&s, "info+x@example.org").await,
        vec![("bob@example.org".to_owned(), Some("x".to_owned()))]
    );
    assert_eq!(names(&s, "loop1@example.org").await, plain(&["carol@other.org"]));
    // Group member order is the store's; compare sorted. Each account once.
    for g in ["staff@example.org", "admins@example.org"] {
        let mut got = names(&s, g).await;
        got.sort();
        assert_eq!(
            got,
            plain(&["alice@example.org", "bob@example.org", "carol@other.org"]),
            "{g}"
        );
    }
    // Catch-all only for unknown addresses of its domain.
    assert_eq!(names(&s, "whoever@other.org").await, plain(&["carol@other.org"]));
    assert_eq!(names(&s, "whoever@OTHER.org").await, plain(&["carol@other.org"]));
    assert!(names(&s, "whoever@example.org").await.is_empty());
    assert!(names(&s, "nobody@unknown.test").await.is_empty());
    assert!(names(&s, "not an address").await.is_empty());
    assert!(names(&s, "").await.is_empty());

    // Depth limit: a chain of 12 aliases ends nowhere.
    for i in 0..12 {
        st.alias_add(&format!("c{i}@example.org"), &format!("c{}@example.org", i + 1))
            .await
            .unwrap();
    }
    st.alias_add("c12@example.org", "alice@example.org")
        .await
        .unwrap();
    assert!(names(&s, "c0@example.org").await.is_empty());
    assert_eq!(names(&s, "c6@example.org").await, plain(&["alice@example.org"]));
}
