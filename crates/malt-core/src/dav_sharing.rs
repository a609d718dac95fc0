//! Sharing of calendars and address books over the store's grants (`malt_store::dav_share`):
//! the directory decides who a sharee is and who a user is.
//!
//! - A sharee is an account's or a group's address; anything else is refused (`NotFound`), so a
//!   share never names nobody. The accounts a share concerns — the account, or every local
//!   account the group reaches, through nested groups and aliases as mail to it would go
//!   ([`crate::directory::resolve`]) — are journaled with it, so their homes change.
//! - A user is their [`Identity`]: their address and the groups that contain them, resolved at
//!   each request ([`Identity::load`]), so joining or leaving a group takes effect at once for
//!   access, without rewriting shares.
//!
//! Invariant: every function here is one store write or read after the directory lookups; the
//! owner's rights are never stored (the store answers `Owner` for their own collections).

use malt_store::{
    AccountId, DavAccess, DavCollectionId, DavShare, DavShareNote, DavShareStatus, DavSharedCollection,
    ModSeq, Result, Store, StoreError,
};

use crate::acl::Identity;
use crate::directory::{normalise, resolve};

/// The accounts `sharee` reaches: the account with that address, or the accounts a group
/// reaches. `NotFound` when it is neither an account nor a group.
pub async fn sharee_accounts(store: &dyn Store, sharee: &str) -> Result<Vec<AccountId>> {
    let sharee = normalise(sharee);
    if let Some(account) = store.account_by_address(&sharee).await? {
        return Ok(vec![account.id]);
    }
    if store.group_get(&sharee).await?.is_none() {
        return Err(StoreError::NotFound(format!("account or group {sharee}")));
    }
    Ok(resolve(store, &sharee)
        .await?
        .into_iter()
        .map(|r| r.account.id)
        .collect())
}

/// `owner` shares `collection` with `sharee` (an account or a group) at `access`, with the
/// owner's `note` (what it does not give is kept).
pub async fn share(
    store: &dyn Store,
    owner: AccountId,
    collection: DavCollectionId,
    sharee: &str,
    access: DavAccess,
    note: &DavShareNote,
) -> Result<DavShare> {
    let accounts = sharee_accounts(store, sharee).await?;
    store
        .dav_share_set(owner, collection, &normalise(sharee), access, note, &accounts)
        .await
}

/// `owner` stops sharing `collection` with `sharee`. A sharee that is no longer an account or
/// a group (deleted since) can still be removed; nobody else is journaled then.
pub async fn unshare(
    store: &dyn Store,
    owner: AccountId,
    collection: DavCollectionId,
    sharee: &str,
) -> Result<ModSeq> {
    let accounts = match sharee_accounts(store, sharee).await {
        Ok(accounts) => accounts,
        Err(StoreError::NotFound(_)) => Vec::new(),
        Err(e) => return Err(e),
    };
    store
        .dav_share_remove(owner, collection, &normalise(sharee), &accounts)
        .await
}

/// The user answers the shares of `collection` that reach them.
pub async fn answer(
    store: &dyn Store,
    who: &Identity,
    collection: DavCollectionId,
    status: DavShareStatus,
    display_name: Option<&str>,
) -> Result<ModSeq> {
    store
        .dav_share_answer(
            who.account_id,
            &who.identifiers(),
            collection,
            status,
            display_name,
        )
        .await
}

/// The user dismisses their invite notification of `collection`: it stays unanswered.
pub async fn dismiss_invite(
    store: &dyn Store,
    who: &Identity,
    collection: DavCollectionId,
) -> Result<ModSeq> {
    store
        .dav_share_invite_dismiss(who.account_id, &who.identifiers(), collection)
        .await
}

/// The collections of others shared with the user (their home lists the accepted ones).
pub async fn shared_with(store: &dyn Store, who: &Identity) -> Result<Vec<DavSharedCollection>> {
    store.dav_shared_with(who.account_id, &who.identifiers()).await
}

/// What the user may do with `collection`: `None` for nothing (answer 404, as if it did not
/// exist), `Owner` for their own.
pub async fn access(
    store: &dyn Store,
    who: &Identity,
    collection: DavCollectionId,
) -> Result<Option<DavAccess>> {
    store
        .dav_access(who.account_id, &who.identifiers(), collection)
        .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::test_support::{account, core};
    use malt_store::{DavCollectionKind, DavCollectionProps, DavComponent, NewDavCollection};

    #[tokio::test]
    async fn groups_reach_their_members_through_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let core = core(&dir, Default::default()).await;
        let store = &*core.storage().store;
        store.domain_add("x.org").await.unwrap();
        let alice = account(store, "alice@x.org").await;
        let bob = account(store, "bob@x.org").await;
        let carol = account(store, "carol@x.org").await;
        // team contains bob and the nested group ops, which contains carol.
        store.group_add("team@x.org", "Team").await.unwrap();
        store.group_add("ops@x.org", "Ops").await.unwrap();
        store.group_member_add("team@x.org", "bob@x.org").await.unwrap();
        store.group_member_add("team@x.org", "ops@x.org").await.unwrap();
        store.group_member_add("ops@x.org", "carol@x.org").await.unwrap();
        let mut accounts = sharee_accounts(store, "Team@X.org").await.unwrap();
        accounts.sort_unstable();
        assert_eq!(accounts, vec![bob, carol]);
        assert!(matches!(
            sharee_accounts(store, "nobody@x.org").await,
            Err(StoreError::NotFound(_))
        ));

        let cal = store
            .dav_collection_create(
                alice,
                NewDavCollection {
                    kind: DavCollectionKind::Calendar,
                    name: "cal".into(),
                    props: DavCollectionProps {
                        components: vec![DavComponent::Event],
                        ..Default::default()
                    },
                },
            )
            .await
            .unwrap();
        let carol_before = store.account_get(carol).await.unwrap().unwrap().highest_modseq;
        share(
            store,
            alice,
            cal.id,
            "team@x.org",
            DavAccess::Read,
            &DavShareNote::default(),
        )
        .await
        .unwrap();
        assert!(
            store.account_get(carol).await.unwrap().unwrap().highest_modseq > carol_before,
            "a nested member's home changes"
        );
        let carol_id = Identity::load(store, carol).await.unwrap();
        assert_eq!(
            access(store, &carol_id, cal.id).await.unwrap(),
            Some(DavAccess::Read)
        );
        let shared = shared_with(store, &carol_id).await.unwrap();
        assert_eq!(shared.len(), 1);
        assert_eq!(shared[0].owner, "alice@x.org");
        answer(store, &carol_id, cal.id, DavShareStatus::Accepted, Some("Alice"))
            .await
            .unwrap();
        assert_eq!(
            shared_with(store, &carol_id).await.unwrap()[0].status,
            DavShareStatus::Accepted
        );

        // Leaving the group takes the access away at once.
        store
            .group_member_remove("ops@x.org", "carol@x.org")
            .await
            .unwrap();
        let carol_id = Identity::load(store, carol).await.unwrap();
        assert_eq!(access(store, &carol_id, cal.id).await.unwrap(), None);
        let alice_id = Identity::load(store, alice).await.unwrap();
        assert_eq!(
            access(store, &alice_id, cal.id).await.unwrap(),
            Some(DavAccess::Owner)
        );

        // A deleted group can still be unshared.
        store.group_delete("team@x.org").await.unwrap();
        unshare(store, alice, cal.id, "team@x.org").await.unwrap();
        assert!(store.dav_share_list(cal.id).await.unwrap().is_empty());
    }
}
