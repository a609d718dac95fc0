//! NAMESPACE (RFC 2342) and LIST/LSUB across the personal, other users' and shared namespaces
//! (RFC 9051 §6.3.9, LIST-EXTENDED RFC 5258, LIST-STATUS RFC 5819), over the real server.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;
mod sharing;

use sharing::{add_user, create, grant, login, start_shared};

const ALICE: &str = "alice@example.org";
const BOB: &str = "bob@example.org";

#[tokio::test]
async fn namespace_without_shared_account() {
    let env = start_shared(None).await;
    let mut alice = login(&env, ALICE).await;
    let r = alice.cmd("a NAMESPACE").await;
    assert_eq!(
        r,
        [
            "* NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) NIL\r\n",
            "a OK NAMESPACE completed\r\n"
        ]
    );
    // Without a shared account, "Shared" is an ordinary personal name.
    let r = alice.cmd("b CREATE Shared/x").await;
    assert!(r[0].starts_with("b OK"), "{r:?}");
    // The other users' namespace root is not a personal name.
    let r = alice.cmd("c CREATE \"Other Users\"").await;
    assert_eq!(r, ["c NO [CANNOT] Other Users is a namespace prefix\r\n"]);
    let r = alice.cmd("d RENAME Shared/x \"Other Users\"").await;
    assert_eq!(r, ["d NO [CANNOT] Other Users is a namespace prefix\r\n"]);
    let r = alice
        .cmd("e RENAME Shared/x \"Other Users/bob@example.org/x\"")
        .await;
    assert_eq!(
        r,
        ["e NO [CANNOT] Cannot rename a mailbox into another account\r\n"]
    );
}

#[tokio::test]
async fn list_across_namespaces() {
    let env = start_shared(Some("shared@example.org")).await;
    add_user(&env, BOB).await;
    create(&env, ALICE, "Projects/2024").await;
    create(&env, "shared@example.org", "News").await;
    // Bob sees Projects/2024 but not its parent Projects: that level is \Noselect.
    grant(&env, ALICE, "Projects/2024", BOB, "lr").await;
    grant(&env, ALICE, "INBOX", BOB, "lrs").await;
    grant(&env, "shared@example.org", "News", "anyone", "lr").await;
    let mut bob = login(&env, BOB).await;
    let r = bob.cmd("a NAMESPACE").await;
    assert_eq!(
        r[0],
        "* NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) ((\"Shared/\" \"/\"))\r\n"
    );
    let r = bob.cmd("b LIST \"\" %").await;
    assert_eq!(
        r,
        [
            "* LIST (\\HasNoChildren) \"/\" INBOX\r\n",
            "* LIST (\\HasNoChildren \\Archive) \"/\" Archive\r\n",
            "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts\r\n",
            "* LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n",
            "* LIST (\\Noselect \\HasChildren) \"/\" \"Other Users\"\r\n",
            "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n",
            "* LIST (\\Noselect \\HasChildren) \"/\" Shared\r\n",
            "* LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n",
            "b OK LIST completed\r\n",
        ]
    );
    let r = bob.cmd("c LIST \"Other Users/\" *").await;
    assert_eq!(
        r,
        [
            "* LIST (\\Noselect \\HasChildren) \"/\" \"Other Users/alice@example.org\"\r\n",
            "* LIST (\\HasNoChildren) \"/\" \"Other Users/alice@example.org/INBOX\"\r\n",
            "* LIST (\\Noselect \\HasChildren) \"/\" \"Other Users/alice@example.org/Projects\"\r\n",
            "* LIST (\\HasNoChildren) \"/\" \"Other Users/alice@example.org/Projects/2024\"\r\n",
            "c OK LIST completed\r\n",
        ]
    );
    let r = bob.cmd("d LIST \"Other Users/\" %").await;
    assert_eq!(
        r,
        [
            "* LIST (\\Noselect \\HasChildren) \"/\" \"Other Users/alice@example.org\"\r\n",
            "d OK LIST completed\r\n",
        ]
    );
    let r = bob.cmd("e LIST \"\" \"*/2024\"").await;
    assert_eq!(
        r,
        [
            "* LIST (\\HasNoChildren) \"/\" \"Other Users/alice@example.org/Projects/2024\"\r\n",
            "e OK LIST completed\r\n",
        ]
    );
    // LIST-STATUS (RFC 5819) and LIST-EXTENDED's SUBSCRIBED on shared names; STATUS UNSEEN is bob's.
    let r = bob.cmd("f SUBSCRIBE Shared/News").await;
    assert_eq!(r, ["f OK SUBSCRIBE completed\r\n"]);
    let r = bob
        .cmd("g LIST (SUBSCRIBED) \"\" \"Shared/*\" RETURN (STATUS (MESSAGES UNSEEN))")
        .await;
    assert_eq!(
        r,
        [
            "* LIST (\\HasNoChildren \\Subscribed) \"/\" Shared/News\r\n",
            "* STATUS Shared/News (MESSAGES 0 UNSEEN 0)\r\n",
            "g OK LIST completed\r\n",
        ]
    );
    let r = bob.cmd("h LSUB \"\" *").await;
    assert!(r.contains(&"* LSUB () \"/\" Shared/News\r\n".to_owned()), "{r:?}");
    // GETQUOTAROOT on a shared mailbox names the owner's root (only while it has a limit).
    let store = &env.core.storage().store;
    let alice = store.account_by_address(ALICE).await.unwrap().unwrap();
    store
        .account_set_quota(alice.id, Some(10 * 1024 * 1024))
        .await
        .unwrap();
    let r = bob
        .cmd("i GETQUOTAROOT \"Other Users/alice@example.org/INBOX\"")
        .await;
    assert_eq!(
        r,
        [
            "* QUOTAROOT \"Other Users/alice@example.org/INBOX\" \"Other Users/alice@example.org\"\r\n",
            "* QUOTA \"Other Users/alice@example.org\" (STORAGE 0 10240)\r\n",
            "i OK GETQUOTAROOT completed\r\n",
        ]
    );
}
