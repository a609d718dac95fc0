//! Shared by the ACL tests (acl.rs, namespace.rs, shared.rs): more accounts besides alice, ACL
//! grants as the `malt acl` CLI makes them, and a server with a shared account.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::Arc;

use malt_core::auth::password::{PasswordHasherParams, hash_with};
use malt_imap::Imap4Handler;
use malt_server::Handler;
use malt_store::{Account, NewAccount};

use super::common::{Client, Env, PASS};

/// The server with `shared` as the shared namespace's account (created when given).
pub async fn start_shared(shared: Option<&str>) -> Env {
    let owned = shared.map(str::to_owned);
    let env: Env = malt_testkit::start(malt_config::Protocol::Imap, async |p| {
        let feed = p.core.storage().change_feed().await.unwrap();
        Arc::new(Imap4Handler::new(p.core.clone(), p.auth.clone(), feed).with_shared_account(owned))
            as Arc<dyn Handler>
    })
    .await
    .into();
    if let Some(a) = shared {
        add_user(&env, a).await;
    }
    env
}

/// Creates an account with the test password (and the default mailboxes).
pub async fn add_user(env: &Env, address: &str) -> Account {
    env.core
        .storage()
        .store
        .account_create(NewAccount {
            address: address.to_owned(),
            password_hash: hash_with(PASS, &PasswordHasherParams::for_tests()).unwrap(),
            quota_bytes: None,
        })
        .await
        .unwrap()
}

/// A client logged in as `address`.
pub async fn login(env: &Env, address: &str) -> Client {
    let mut c = env.client().await;
    let r = c.cmd(&format!("l0 LOGIN {address} \"{PASS}\"")).await;
    assert!(r.last().unwrap().starts_with("l0 OK"), "{r:?}");
    c
}

/// Sets `identifier`'s rights on mailbox `name` of `owner` (as `malt acl set` does).
pub async fn grant(env: &Env, owner: &str, name: &str, identifier: &str, rights: &str) {
    let store = &env.core.storage().store;
    let account = store.account_by_address(owner).await.unwrap().unwrap();
    let mb = env.core.mailbox_required(account.id, name).await.unwrap();
    malt_core::acl::set_rights(store.as_ref(), account.id, mb.id, identifier, rights)
        .await
        .unwrap();
}

/// Creates mailbox `name` in `owner`'s account.
pub async fn create(env: &Env, owner: &str, name: &str) {
    let account = env
        .core
        .storage()
        .store
        .account_by_address(owner)
        .await
        .unwrap()
        .unwrap();
    env.core.create_mailbox(account.id, name, None).await.unwrap();
}

/// Appends `raw` to mailbox `name` of `owner`; returns the UID.
pub async fn append_as(env: &Env, owner: &str, name: &str, raw: &[u8]) -> u32 {
    let account = env
        .core
        .storage()
        .store
        .account_by_address(owner)
        .await
        .unwrap()
        .unwrap();
    let mb = env.core.mailbox_required(account.id, name).await.unwrap();
    env.core
        .append(account.id, mb.id, raw, malt_store::Flags::default(), None)
        .await
        .unwrap()
        .uid
}
