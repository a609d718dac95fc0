//! QUOTA (RFC 9208): the per-account root `""`, GETQUOTAROOT/GETQUOTA with STORAGE in KiB,
//! SETQUOTA refused, `[OVERQUOTA]` on APPEND and COPY.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

async fn set_limit(env: &Env, bytes: Option<u64>) {
    env.core
        .storage()
        .store
        .account_set_quota(env.account.id, bytes)
        .await
        .unwrap();
}

async fn used(env: &Env) -> u64 {
    env.core
        .storage()
        .store
        .quota(env.account.id)
        .await
        .unwrap()
        .used_bytes
}

#[tokio::test]
async fn unlimited_account_has_no_root() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let r = c.cmd("a GETQUOTAROOT INBOX").await;
    assert_eq!(
        r,
        vec!["* QUOTAROOT INBOX\r\n", "a OK GETQUOTAROOT completed\r\n"]
    );
    let r = c.cmd("b GETQUOTA \"\"").await;
    assert_eq!(
        r,
        vec!["b NO [NONEXISTENT] No quota limit is set for this account\r\n"]
    );
}

#[tokio::test]
async fn root_and_storage_usage() {
    let env = start().await;
    env.append(&msg("a", &"x".repeat(3000))).await;
    set_limit(&env, Some(10 * 1024 + 512)).await;
    let used = used(&env).await;
    assert!(used > 3072 && used <= 4096, "{used}");
    let mut c = env.logged_in().await;
    // STORAGE in KiB: usage rounded up (4), limit rounded down (10).
    let r = c.cmd("a GETQUOTAROOT INBOX").await;
    assert_eq!(
        r,
        vec![
            "* QUOTAROOT INBOX \"\"\r\n",
            "* QUOTA \"\" (STORAGE 4 10)\r\n",
            "a OK GETQUOTAROOT completed\r\n"
        ]
    );
    let r = c.cmd("b GETQUOTAROOT Archive").await;
    assert_eq!(r[0], "* QUOTAROOT Archive \"\"\r\n");
    let r = c.cmd("c GETQUOTA \"\"").await;
    assert_eq!(
        r,
        vec!["* QUOTA \"\" (STORAGE 4 10)\r\n", "c OK GETQUOTA completed\r\n"]
    );
    let r = c.cmd("d GETQUOTA other").await;
    assert_eq!(r, vec!["d NO [NONEXISTENT] No such quota root\r\n"]);
    let r = c.cmd("e GETQUOTAROOT Nope").await;
    assert_eq!(r, vec!["e NO [NONEXISTENT] No such mailbox\r\n"]);
    let r = c.cmd("f SETQUOTA \"\" (STORAGE 100)").await;
    assert_eq!(
        r,
        vec!["f NO [NOPERM] Quota limits are set by the administrator with the malt command-line tool\r\n"]
    );
    // Usage follows the mailbox: a second message shows up.
    env.append(&msg("b", &"y".repeat(2000))).await;
    let r = c.cmd("g GETQUOTA \"\"").await;
    assert_eq!(r[0], "* QUOTA \"\" (STORAGE 6 10)\r\n");
    // Not before login.
    let mut anon = env.client().await;
    let r = anon.cmd("h GETQUOTA \"\"").await;
    assert_eq!(r, vec!["h BAD GETQUOTA is not allowed in this state\r\n"]);
}

#[tokio::test]
async fn overquota_on_append_and_copy() {
    let env = start().await;
    env.append(&msg("a", &"x".repeat(3000))).await;
    let before = used(&env).await;
    set_limit(&env, Some(before + 1000)).await;
    let mut c = env.logged_in().await;
    let big = msg("big", &"z".repeat(2000));
    c.send(format!("a APPEND INBOX {{{}+}}\r\n", big.len()).as_bytes())
        .await;
    c.send(&big).await;
    c.send(b"\r\n").await;
    let r = c.until("a").await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].starts_with("a NO [OVERQUOTA] "), "{r:?}");
    assert_eq!(used(&env).await, before, "nothing was added");
    let r = c.cmd("b SELECT INBOX").await;
    assert!(r.last().unwrap().starts_with("b OK"), "{r:?}");
    let r = c.cmd("c COPY 1 Archive").await;
    assert!(r[0].starts_with("c NO [OVERQUOTA] "), "{r:?}");
    assert_eq!(env.mailbox("Archive").await.message_count, 0);
    // A message that fits is still accepted.
    let small = msg("s", "small");
    c.send(format!("d APPEND Archive {{{}+}}\r\n", small.len()).as_bytes())
        .await;
    c.send(&small).await;
    c.send(b"\r\n").await;
    let r = c.until("d").await;
    assert!(r.last().unwrap().starts_with("d OK [APPENDUID "), "{r:?}");
}

#[tokio::test]
async fn status_deleted_storage() {
    let env = start().await;
    env.append(&msg("a", &"x".repeat(3000))).await;
    let b = env.append(&msg("b", &"y".repeat(1000))).await;
    let mut c = env.logged_in().await;
    let r = c.cmd("a STATUS INBOX (DELETED DELETED-STORAGE)").await;
    assert_eq!(r[0], "* STATUS INBOX (DELETED 0 DELETED-STORAGE 0)\r\n");
    env.add_flags(b, malt_store::Flags::new(malt_store::flag::DELETED, []))
        .await;
    let deleted = env
        .core
        .storage()
        .store
        .messages(env.inbox().await.id, &malt_store::UidSet::from_uids([b]))
        .await
        .unwrap()[0]
        .size;
    assert!(deleted > 1024 && deleted <= 2048, "{deleted}");
    // Only the \Deleted message counts, in KiB rounded up.
    let r = c.cmd("b STATUS INBOX (DELETED DELETED-STORAGE)").await;
    assert_eq!(
        r,
        vec![
            "* STATUS INBOX (DELETED 1 DELETED-STORAGE 2)\r\n",
            "b OK STATUS completed\r\n"
        ]
    );
}
