//! Helpers shared by the integration tests: a real SQLite store in a temporary directory.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use malt_core::auth::password::{PasswordHasherParams, hash_with};
use malt_core::storage::{BackendChoice, open_storage};
use malt_store::{Account, NewAccount, Storage, StoreError};

pub async fn storage(dir: &tempfile::TempDir) -> Storage {
    open_storage(
        BackendChoice::Sqlite {
            path: dir.path().join("malt.db"),
        },
        dir.path().join("blobs"),
    )
    .await
    .unwrap()
}

pub async fn domain(s: &Storage, name: &str) {
    match s.store.domain_add(name).await {
        Ok(_) | Err(StoreError::AlreadyExists(_)) => {}
        Err(e) => panic!("domain_add: {e}"),
    }
}

pub async fn account(s: &Storage, address: &str, password: &str) -> Account {
    let (_, d) = address.rsplit_once('@').unwrap();
    domain(s, d).await;
    s.store
        .account_create(NewAccount {
            address: address.to_owned(),
            password_hash: hash_with(password, &PasswordHasherParams::for_tests()).unwrap(),
            quota_bytes: None,
        })
        .await
        .unwrap()
}

/// The octets of an appended message as clients see them: its prefix, then its blob.
pub async fn stored_message(s: &Storage, a: &malt_store::Appended) -> String {
    let msgs = s
        .store
        .messages(a.mailbox_id, &malt_store::UidSet::from_uids([a.uid]))
        .await
        .unwrap();
    let mut raw = msgs[0].prefix.clone().unwrap_or_default();
    raw.extend_from_slice(&s.blobs.get(&msgs[0].blob_id).unwrap());
    String::from_utf8(raw).unwrap()
}
