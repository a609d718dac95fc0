//! STAT, LIST, UIDL, RETR and TOP over a raw socket and with Python's poplib: sizes in CRLF octets,
//! byte-stuffing, bare-LF messages, and message-number errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{PY_PRELUDE, py_env, python, start};

const M1: &[u8] =
    b"From: a@example.org\r\nSubject: one\r\n\r\nline 1\r\n.dotted\r\n..two dots\r\n.\r\nend\r\n";
/// Bare LF line ends, no final line end.
const M2: &[u8] = b"From: b@example.org\nSubject: two\n\nbody a\nbody b\n.x\nlast";
const M2_CRLF: &[u8] = b"From: b@example.org\r\nSubject: two\r\n\r\nbody a\r\nbody b\r\n.x\r\nlast\r\n";
/// The POP3 size of M2: its CRLF form; the CRLF that RETR adds after the unterminated last line is
/// framing and not counted (as Dovecot does), so LIST/STAT come from the ingest metadata alone.
const M2_SIZE: usize = M2_CRLF.len() - 2;
const M3: &[u8] = b"Subject: three\r\n\r\nshort\r\n";

#[tokio::test]
async fn stat_list_uidl_retr_top_raw() {
    let env = start().await;
    let u1 = env.append(M1).await;
    let u2 = env.append(M2).await;
    let u3 = env.append(M3).await;
    let v = env.uidvalidity().await;
    let mut c = env.logged_in().await;
    let total = M1.len() + M2_SIZE + M3.len();

    assert_eq!(c.cmd("STAT").await, format!("+OK 3 {total}\r\n"));

    assert_eq!(
        c.cmd("LIST").await,
        format!("+OK 3 messages ({total} octets)\r\n")
    );
    assert_eq!(
        c.body().await,
        vec![
            format!("1 {}\r\n", M1.len()),
            format!("2 {M2_SIZE}\r\n"),
            format!("3 {}\r\n", M3.len()),
        ]
    );
    assert_eq!(c.cmd("LIST 2").await, format!("+OK 2 {M2_SIZE}\r\n"));
    assert_eq!(c.cmd("LIST 4").await, "-ERR There's no message 4\r\n");

    assert_eq!(c.cmd("UIDL").await, "+OK\r\n");
    assert_eq!(
        c.body().await,
        vec![
            format!("1 {u1:08X}{v:08X}\r\n"),
            format!("2 {u2:08X}{v:08X}\r\n"),
            format!("3 {u3:08X}{v:08X}\r\n"),
        ]
    );
    assert_eq!(c.cmd("UIDL 3").await, format!("+OK 3 {u3:08X}{v:08X}\r\n"));
    assert!(c.cmd("UIDL 9").await.starts_with("-ERR"));

    // RETR: byte-stuffed on the wire, the original after un-stuffing.
    assert_eq!(c.cmd("RETR 1").await, format!("+OK {} octets\r\n", M1.len()));
    let lines = c.body().await;
    assert_eq!(lines[4], "..dotted\r\n");
    assert_eq!(lines[5], "...two dots\r\n");
    assert_eq!(lines[6], "..\r\n");
    let unstuffed: Vec<u8> = lines
        .into_iter()
        .flat_map(|l| l.strip_prefix('.').map(str::to_owned).unwrap_or(l).into_bytes())
        .collect();
    assert_eq!(unstuffed, M1);

    // A bare-LF message is sent with CRLF, its size counting the CRLFs.
    assert_eq!(c.cmd("RETR 2").await, format!("+OK {M2_SIZE} octets\r\n"));
    assert_eq!(c.body_bytes().await, M2_CRLF);

    // TOP.
    assert!(c.cmd("TOP 1 0").await.starts_with("+OK"));
    assert_eq!(
        c.body().await,
        vec!["From: a@example.org\r\n", "Subject: one\r\n", "\r\n"]
    );
    assert!(c.cmd("TOP 2 2").await.starts_with("+OK"));
    assert_eq!(
        c.body_bytes().await,
        b"From: b@example.org\r\nSubject: two\r\n\r\nbody a\r\nbody b\r\n"
    );
    assert!(c.cmd("TOP 1 3").await.starts_with("+OK"));
    assert_eq!(c.body().await.last().unwrap(), "...two dots\r\n");
    assert!(c.cmd("TOP 3 100").await.starts_with("+OK"));
    assert_eq!(c.body_bytes().await, M3);

    // Errors.
    assert_eq!(c.cmd("RETR 4").await, "-ERR There's no message 4\r\n");
    assert!(c.cmd("RETR 0").await.starts_with("-ERR"));
    assert!(c.cmd("TOP 4 1").await.starts_with("-ERR"));
    assert!(c.cmd("TOP 1").await.starts_with("-ERR"));
    assert_eq!(c.cmd("NOOP").await, "+OK\r\n");

    // RETR and TOP leave flags alone (no \Seen).
    assert!(c.cmd("QUIT").await.starts_with("+OK"));
    c.expect_eof().await;
    for (_, flags) in env.flags().await {
        assert_eq!(flags.system, 0);
    }
}

#[tokio::test]
async fn poplib_reads_everything() {
    let env = start().await;
    env.append(M1).await;
    env.append(M2).await;
    env.append(M3).await;
    let script = format!(
        "{PY_PRELUDE}
p = poplib.POP3('127.0.0.1', PORT)
p.user(USER); p.pass_(PASS)
count, size = p.stat()
print('stat', count, size)
resp, listing, _ = p.list()
print('list', [l.decode() for l in listing])
resp, uidls, _ = p.uidl()
print('uidl', len(uidls))
for i in range(1, count + 1):
    resp, lines, octets = p.retr(i)
    sys.stdout.write('retr %d %d ' % (i, octets))
    print(repr(b'|'.join(lines)))
resp, lines, _ = p.top(1, 1)
print('top', repr(b'|'.join(lines)))
p.quit()
"
    );
    let out = python(&script, &py_env(&env)).await;
    let total = M1.len() + M2_SIZE + M3.len();
    assert!(out.contains(&format!("stat 3 {total}")), "{out}");
    assert!(out.contains(&format!("'1 {}'", M1.len())), "{out}");
    assert!(out.contains("uidl 3"), "{out}");
    // poplib un-stuffs: ".dotted" comes back as sent.
    assert!(
        out.contains("b'From: a@example.org|Subject: one||line 1|.dotted|..two dots|.|end'"),
        "{out}"
    );
    assert!(
        out.contains("b'From: b@example.org|Subject: two||body a|body b|.x|last'"),
        "{out}"
    );
    assert!(
        out.contains("top b'From: a@example.org|Subject: one||line 1'"),
        "{out}"
    );
}

/// Bare LF line ends, terminated: 4 lines, so its CRLF form is 4 octets longer.
const LF_ONLY: &[u8] = b"Subject: lf\n\nline 1\nline 2\n";

/// Every blob file under the test's data dir, removed (the store layout is `blobs/<2 hex>/<id>`).
fn delete_all_blobs(dir: &std::path::Path) -> usize {
    let mut n = 0;
    for sub in std::fs::read_dir(dir.join("blobs")).unwrap() {
        let sub = sub.unwrap().path();
        if !sub.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&sub).unwrap() {
            let f = f.unwrap().path();
            if f.is_file() {
                std::fs::remove_file(&f).unwrap();
                n += 1;
            }
        }
    }
    n
}

#[tokio::test]
async fn stat_list_use_ingest_sizes_without_reading_blobs() {
    let env = start().await;
    let uid = env.append(LF_ONLY).await;
    let v = env.uidvalidity().await;
    assert_eq!(delete_all_blobs(env.dir.path()), 1);
    let size = LF_ONLY.len() + 4;

    let mut c = env.logged_in().await;
    assert_eq!(c.cmd("STAT").await, format!("+OK 1 {size}\r\n"));
    assert_eq!(c.cmd("LIST").await, format!("+OK 1 messages ({size} octets)\r\n"));
    assert_eq!(c.body().await, vec![format!("1 {size}\r\n")]);
    assert_eq!(c.cmd("LIST 1").await, format!("+OK 1 {size}\r\n"));
    assert_eq!(c.cmd("UIDL 1").await, format!("+OK 1 {uid:08X}{v:08X}\r\n"));
    // The blob is really gone: only RETR/TOP read it, and they fail.
    assert!(
        c.cmd("RETR 1").await.starts_with("-ERR"),
        "RETR read a deleted blob"
    );
    assert!(c.cmd("TOP 1 0").await.starts_with("-ERR"));
    assert!(c.cmd("QUIT").await.starts_with("+OK"));
}

#[tokio::test]
async fn old_rows_without_wire_size_fall_back_to_the_blob() {
    let env = start().await;
    let inbox = env.inbox().await;
    let storage = env.core.storage();
    let blob_id = storage.blobs.put(LF_ONLY).unwrap();
    let meta = malt_store::MessageMeta::default();
    assert_eq!(
        meta.wire_size, 0,
        "unknown, as for rows stored before the field existed"
    );
    storage
        .store
        .append(
            env.account.id,
            vec![malt_store::NewMessage {
                mailbox_id: inbox.id,
                blob_id,
                size: LF_ONLY.len() as u64,
                flags: malt_store::Flags::default(),
                internal_date: 1_700_000_000,
                meta,
                header: None,
                prefix: None,
            }],
        )
        .await
        .unwrap();
    let size = LF_ONLY.len() + 4;
    let mut c = env.logged_in().await;
    assert_eq!(c.cmd("STAT").await, format!("+OK 1 {size}\r\n"));
    assert_eq!(c.cmd("LIST 1").await, format!("+OK 1 {size}\r\n"));
    assert_eq!(c.cmd("RETR 1").await, format!("+OK {size} octets\r\n"));
    assert_eq!(c.body_bytes().await, b"Subject: lf\r\n\r\nline 1\r\nline 2\r\n");
}
