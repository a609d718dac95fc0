//! Shared mailboxes against a real SQLite store: identities with nested groups, the list of
//! mailboxes shared with a user (RFC 4314, the "Other Users" namespace data), SETACL `+`/`-`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use malt_core::acl::{Identity, Rights, mailbox_rights, set_rights, shared_with};
use malt_store::StoreError;

fn listing(folders: &[malt_core::acl::SharedFolder]) -> Vec<(String, String, String)> {
    folders
        .iter()
        .map(|f| (f.owner.clone(), f.mailbox.name.clone(), f.rights.to_string()))
        .collect()
}

fn row(owner: &str, name: &str, rights: &str) -> (String, String, String) {
    (owner.to_owned(), name.to_owned(), rights.to_owned())
}

#[tokio::test]
async fn shared_folders_follow_acls_groups_and_negative_rights() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::storage(&dir).await;
    let st = s.store.as_ref();
    let alice = common::account(&s, "alice@example.org", "pw").await;
    let bob = common::account(&s, "bob@example.org", "pw").await;
    let carol = common::account(&s, "carol@example.org", "pw").await;
    let dave = common::account(&s, "dave@example.org", "pw").await;
    // bob is in team, team is in dept (nested); carol is in dept directly.
    st.group_add("team@example.org", "Team").await.unwrap();
    st.group_add("dept@example.org", "Dept").await.unwrap();
    st.group_member_add("team@example.org", "Bob@Example.org")
        .await
        .unwrap();
    st.group_member_add("dept@example.org", "team@example.org")
        .await
        .unwrap();
    st.group_member_add("dept@example.org", "carol@example.org")
        .await
        .unwrap();

    let projects = st.mailbox_create(alice.id, "Projects", None).await.unwrap();
    let private = st.mailbox_create(alice.id, "Private", None).await.unwrap();
    let reports = st.mailbox_create(carol.id, "Reports", None).await.unwrap();
    let hidden = st.mailbox_create(carol.id, "Hidden", None).await.unwrap();
    let inbox_alice = st.mailbox_get(alice.id, "INBOX").await.unwrap().unwrap();

    assert_eq!(
        set_rights(st, alice.id, projects.id, "dept@example.org", "lr")
            .await
            .unwrap()
            .to_string(),
        "lr"
    );
    assert_eq!(
        set_rights(st, alice.id, projects.id, "bob@example.org", "+swi")
            .await
            .unwrap()
            .to_string(),
        "swi"
    );
    set_rights(st, alice.id, private.id, "bob@example.org", "lrs")
        .await
        .unwrap();
    set_rights(st, alice.id, private.id, "-team@example.org", "l")
        .await
        .unwrap();
    set_rights(st, carol.id, reports.id, "anyone", "lr")
        .await
        .unwrap();
    // `r` without `l`: shared but not visible in LIST (RFC 4314 §4).
    set_rights(st, carol.id, hidden.id, "authenticated", "r")
        .await
        .unwrap();
    // The owner's own entry does not list its own mailbox as shared.
    set_rights(st, alice.id, inbox_alice.id, "alice@example.org", "lr")
        .await
        .unwrap();

    let bob_id = Identity::load(st, bob.id).await.unwrap();
    assert_eq!(bob_id.address, "bob@example.org");
    assert_eq!(bob_id.groups, ["dept@example.org", "team@example.org"]);
    let folders = shared_with(st, &bob_id).await.unwrap();
    assert_eq!(
        listing(&folders),
        [
            row("alice@example.org", "Projects", "lrswi"),
            row("carol@example.org", "Reports", "lr"),
        ],
        "Private is hidden from bob by the negative entry on his team"
    );
    assert_eq!(
        mailbox_rights(st, &bob_id, &private).await.unwrap().to_string(),
        "rs"
    );
    assert_eq!(
        mailbox_rights(st, &bob_id, &hidden).await.unwrap().to_string(),
        "r"
    );

    let carol_id = Identity::load(st, carol.id).await.unwrap();
    assert_eq!(carol_id.groups, ["dept@example.org"]);
    assert_eq!(
        listing(&shared_with(st, &carol_id).await.unwrap()),
        [row("alice@example.org", "Projects", "lr")],
        "carol's own mailboxes are not 'other users' mailboxes"
    );
    assert_eq!(
        mailbox_rights(st, &carol_id, &reports).await.unwrap(),
        Rights::ALL,
        "owner"
    );

    let dave_id = Identity::load(st, dave.id).await.unwrap();
    assert!(dave_id.groups.is_empty());
    assert_eq!(
        listing(&shared_with(st, &dave_id).await.unwrap()),
        [row("carol@example.org", "Reports", "lr")]
    );

    // SETACL `-` down to nothing removes the entry; the mailbox leaves bob's list.
    assert_eq!(
        set_rights(st, alice.id, projects.id, "bob@example.org", "-swi")
            .await
            .unwrap(),
        Rights::NONE
    );
    assert!(
        st.acl_list(projects.id)
            .await
            .unwrap()
            .iter()
            .all(|e| e.identifier != "bob@example.org")
    );
    set_rights(st, alice.id, projects.id, "dept@example.org", "-l")
        .await
        .unwrap();
    assert_eq!(
        listing(&shared_with(st, &bob_id).await.unwrap()),
        [row("carol@example.org", "Reports", "lr")]
    );
    // Leaving a group changes what the identity matches.
    st.group_member_remove("dept@example.org", "team@example.org")
        .await
        .unwrap();
    assert_eq!(
        Identity::load(st, bob.id).await.unwrap().groups,
        ["team@example.org"]
    );

    // Bad rights are refused before anything is stored.
    let err = set_rights(st, alice.id, projects.id, "bob@example.org", "lrZ")
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid { what: "rights", .. }),
        "{err:?}"
    );
    assert!(Identity::load(st, 999_999).await.is_err());
}
