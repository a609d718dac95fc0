//! DELE, RSET and QUIT (the UPDATE state): exactly the marked messages are expunged, only at QUIT;
//! UIDL is stable across sessions; messages expunged by "IMAP" during a session keep their number.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{PY_PRELUDE, py_env, python, start};

fn msg(i: usize) -> Vec<u8> {
    format!("Subject: m{i}\r\n\r\nbody {i}\r\n").into_bytes()
}

#[tokio::test]
async fn dele_rset() {
    let env = start().await;
    let uids = [env.append(&msg(1)).await, env.append(&msg(2)).await];
    let mut c = env.logged_in().await;
    assert_eq!(c.cmd("DELE 1").await, "+OK Message 1 deleted\r\n");
    assert_eq!(c.cmd("DELE 1").await, "-ERR Message 1 is deleted\r\n");
    assert_eq!(c.cmd("RETR 1").await, "-ERR Message 1 is deleted\r\n");
    assert_eq!(c.cmd("LIST 1").await, "-ERR Message 1 is deleted\r\n");
    assert!(c.cmd("DELE 3").await.starts_with("-ERR"));
    let size2 = msg(2).len();
    assert_eq!(c.cmd("STAT").await, format!("+OK 1 {size2}\r\n"));
    assert!(c.cmd("LIST").await.starts_with("+OK 1 messages"));
    assert_eq!(c.body().await, vec![format!("2 {size2}\r\n")]);
    assert!(c.cmd("UIDL").await.starts_with("+OK"));
    assert_eq!(c.body().await.len(), 1);
    assert_eq!(c.cmd("RSET").await, "+OK Maildrop has 2 messages\r\n");
    assert!(c.cmd("STAT").await.starts_with("+OK 2 "));
    assert!(c.cmd("RETR 1").await.starts_with("+OK"));
    c.body().await;
    assert!(c.cmd("DELE 2").await.starts_with("+OK"));
    // Nothing changes in the store before QUIT.
    assert_eq!(env.uids().await, uids.to_vec());
    assert_eq!(c.cmd("QUIT").await, "+OK Logging out, 1 messages deleted\r\n");
    c.expect_eof().await;
    assert_eq!(env.uids().await, vec![uids[0]]);
}

#[tokio::test]
async fn dele_quit_expunges_exactly_those() {
    let env = start().await;
    let mut uids = Vec::new();
    for i in 1..=5 {
        uids.push(env.append(&msg(i)).await);
    }
    let mut c = env.logged_in().await;
    for n in [2, 4, 5] {
        assert!(c.cmd(&format!("DELE {n}")).await.starts_with("+OK"));
    }
    assert_eq!(c.cmd("QUIT").await, "+OK Logging out, 3 messages deleted\r\n");
    c.expect_eof().await;
    assert_eq!(env.uids().await, vec![uids[0], uids[2]]);
    // The survivors have no flags set: POP3 touched nothing else.
    for (_, f) in env.flags().await {
        assert_eq!(f.system, 0);
    }
}

#[tokio::test]
async fn dropped_connection_deletes_nothing() {
    let env = start().await;
    let uids = [env.append(&msg(1)).await, env.append(&msg(2)).await];
    let mut c = env.logged_in().await;
    assert!(c.cmd("DELE 1").await.starts_with("+OK"));
    assert!(c.cmd("DELE 2").await.starts_with("+OK"));
    drop(c);
    // Let the server notice the EOF.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(env.uids().await, uids.to_vec());
    for (_, f) in env.flags().await {
        assert!(!f.has(malt_store::flag::DELETED));
    }
}

#[tokio::test]
async fn uidl_stable_across_sessions() {
    let env = start().await;
    for i in 1..=3 {
        env.append(&msg(i)).await;
    }
    let mut c = env.logged_in().await;
    assert!(c.cmd("UIDL").await.starts_with("+OK"));
    let first: Vec<String> = c.body().await;
    assert!(c.cmd("DELE 1").await.starts_with("+OK"));
    assert!(c.cmd("QUIT").await.starts_with("+OK"));
    env.append(&msg(4)).await;

    let mut c = env.logged_in().await;
    assert!(c.cmd("UIDL").await.starts_with("+OK"));
    let second: Vec<String> = c.body().await;
    let ids = |v: &[String]| -> Vec<String> {
        v.iter()
            .map(|l| l.split(' ').nth(1).unwrap().to_owned())
            .collect()
    };
    let (a, b) = (ids(&first), ids(&second));
    assert_eq!(b.len(), 3);
    // Messages 2 and 3 kept their unique ids although their numbers changed.
    assert_eq!(&b[..2], &a[1..]);
    assert!(!a.contains(&b[2]));
}

#[tokio::test]
async fn concurrent_imap_expunge() {
    let env = start().await;
    let uids = [
        env.append(&msg(1)).await,
        env.append(&msg(2)).await,
        env.append(&msg(3)).await,
    ];
    let mut c = env.logged_in().await;
    assert!(c.cmd("DELE 3").await.starts_with("+OK"));
    env.imap_expunge(uids[1]).await;
    // The numbering is fixed for the session: message 2 still exists as a number, its content is gone.
    assert_eq!(c.cmd("RETR 2").await, "-ERR message 2 no longer exists\r\n");
    assert_eq!(c.cmd("TOP 2 0").await, "-ERR message 2 no longer exists\r\n");
    assert!(c.cmd("LIST 2").await.starts_with("+OK 2 "));
    assert!(c.cmd("RETR 1").await.starts_with("+OK"));
    assert_eq!(c.body_bytes().await, msg(1));
    assert!(c.cmd("DELE 2").await.starts_with("+OK"));
    assert_eq!(c.cmd("QUIT").await, "+OK Logging out, 2 messages deleted\r\n");
    c.expect_eof().await;
    assert_eq!(env.uids().await, vec![uids[0]]);
}

#[tokio::test]
async fn poplib_dele_quit() {
    let env = start().await;
    let uids = [
        env.append(&msg(1)).await,
        env.append(&msg(2)).await,
        env.append(&msg(3)).await,
    ];
    let script = format!(
        "{PY_PRELUDE}
p = poplib.POP3('127.0.0.1', PORT)
p.user(USER); p.pass_(PASS)
p.dele(1)
p.rset()
p.dele(2)
print(p.stat())
print(p.quit().decode())
"
    );
    let out = python(&script, &py_env(&env)).await;
    assert!(out.contains("(2, "), "{out}");
    assert!(out.contains("+OK Logging out, 1 messages deleted"), "{out}");
    assert_eq!(env.uids().await, vec![uids[0], uids[2]]);
}
