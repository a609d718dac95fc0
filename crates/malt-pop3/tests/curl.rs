//! curl's POP3 client (pop3://): listing and retrieval, with SASL or USER/PASS as curl chooses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{PASS, USER, start};

async fn curl(args: &[String]) -> Option<String> {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("curl not installed, skipping");
        return None;
    }
    let out = tokio::process::Command::new("curl")
        .args(args)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "curl failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

#[tokio::test]
async fn curl_list_and_retrieve() {
    let env = start().await;
    env.append(b"Subject: first\r\n\r\nhello curl\r\n.dot line\r\n")
        .await;
    env.append(b"Subject: second\n\nbare lf\n").await;
    let base = format!("pop3://127.0.0.1:{}/", env.pop3.port());
    let user = format!("{USER}:{PASS}");
    let Some(list) = curl(&[
        "-s".into(),
        "--max-time".into(),
        "20".into(),
        base.clone(),
        "-u".into(),
        user.clone(),
        "--list-only".into(),
    ])
    .await
    else {
        return;
    };
    let n1 = b"Subject: first\r\n\r\nhello curl\r\n.dot line\r\n".len();
    let n2 = b"Subject: second\r\n\r\nbare lf\r\n".len();
    assert_eq!(list, format!("1 {n1}\r\n2 {n2}\r\n"));
    let one = curl(&[
        "-s".into(),
        "--max-time".into(),
        "20".into(),
        format!("{base}1"),
        "-u".into(),
        user.clone(),
    ])
    .await
    .unwrap();
    assert_eq!(one, "Subject: first\r\n\r\nhello curl\r\n.dot line\r\n");
    let two = curl(&[
        "-s".into(),
        "--max-time".into(),
        "20".into(),
        format!("{base}2"),
        "-u".into(),
        user,
    ])
    .await
    .unwrap();
    assert_eq!(two, "Subject: second\r\n\r\nbare lf\r\n");
    // curl's retrievals did not delete anything.
    assert_eq!(env.uids().await.len(), 2);
}
