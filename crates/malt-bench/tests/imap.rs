//! `malt-bench imap` and `malt-bench idle` against a real Malt IMAP listener (malt-testkit, port 0, a
//! SQLite store in a temporary directory): the load run counts commands of every kind without errors
//! and leaves the mailbox as it found it; the idle run holds sessions in IDLE while another client
//! delivers, then closes them cleanly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use malt_imap::Imap4Handler;
use malt_server::Handler;
use malt_testkit::{PASS, TestEnv, USER};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_malt-bench");

async fn start() -> TestEnv {
    malt_testkit::start(malt_config::Protocol::Imap, async |p| {
        let feed = p.core.storage().change_feed().await.unwrap();
        Arc::new(Imap4Handler::new(p.core.clone(), p.auth.clone(), feed)) as Arc<dyn Handler>
    })
    .await
}

fn message(i: usize) -> Vec<u8> {
    let body = "lorem ipsum dolor sit amet\r\n".repeat(1 + i % 40);
    format!(
        "From: Bob <bob@example.net>\r\nTo: {USER}\r\nSubject: message {i}\r\n\
         Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <m{i}@example.net>\r\n\r\n{body}"
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_run_counts_every_command_without_errors() {
    let env = start().await;
    for i in 0..60 {
        env.append(&message(i)).await;
    }
    let before = env.uids().await;
    let json = env.dir.path().join("report.json");
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        Command::new(BIN)
            .args(["imap", "--addr", &env.addr("imap").to_string()])
            .args(["--users", USER, "--password", PASS])
            .args(["--clients", "2", "--duration", "2s", "--seed", "1"])
            .arg("--json-out")
            .arg(&json)
            .output(),
    )
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("all commands"), "{stdout}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["errors"], 0, "{report:#}");
    assert_eq!(report["flagged"], false);
    assert_eq!(report["clients"], 2);
    let sessions = report["sessions"].as_u64().unwrap();
    assert!(sessions >= 2, "{report:#}");
    let commands = report["commands"].as_u64().unwrap();
    let per: Vec<(String, u64)> = report["per_command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["op"].as_str().unwrap().to_owned(), o["count"].as_u64().unwrap()))
        .collect();
    let names: Vec<&str> = per.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "connect+greeting",
            "LOGIN",
            "SELECT",
            "FETCH headers",
            "FETCH envelope+bodystructure",
            "FETCH BODY.PEEK[]",
            "STORE +FLAGS \\Seen",
            "APPEND",
            "UID STORE +FLAGS \\Deleted",
            "UID EXPUNGE",
            "NOOP",
            "LOGOUT",
        ]
    );
    // Every completed session ran each command once; a session cut short by nothing (no errors)
    // does not exist, so every count equals the session count.
    for (name, count) in &per {
        assert_eq!(*count, sessions, "{name}: {report:#}");
    }
    assert_eq!(commands, sessions * 11, "{report:#}");
    assert!(report["commands_per_s"].as_f64().unwrap() > 0.0);
    assert!(report["overall"]["p50_ms"].as_f64().unwrap() > 0.0);
    // The FETCHes carried data: 50 + 20 + 3 FETCH responses, the STORE's FETCH FLAGS, SELECT's
    // data and LOGOUT's BYE per session (a few fewer if another session's message went away).
    assert!(
        report["untagged_responses"].as_u64().unwrap() >= sessions * 70,
        "{report:#}"
    );
    // Every appended message was expunged again; the originals are all there, some now \Seen.
    assert_eq!(env.uids().await, before);
    let seen = env
        .flags()
        .await
        .iter()
        .filter(|(_, f)| f.has(malt_store::flag::SEEN))
        .count();
    assert!(seen > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sessions_are_held_then_closed_cleanly() {
    let env = start().await;
    env.append(&message(0)).await;
    let mut child = Command::new(BIN)
        .args(["idle", "--addr", &env.addr("imap").to_string()])
        .args(["--users", USER, "--password", PASS, "--sessions", "5"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(first.starts_with("idle: 5 sessions idling, 0 failed"), "{first}");
    // A delivery while they idle: each session gets `* 2 EXISTS`, read after DONE.
    env.append(&message(1)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\n").await.unwrap();
    let mut rest = Vec::new();
    while let Some(l) = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .unwrap()
        .unwrap()
    {
        rest.push(l);
    }
    let status = child.wait().await.unwrap();
    let rest = rest.join("\n");
    assert!(status.success(), "{status}\n{rest}");
    assert!(
        rest.contains("5 of 5 sessions idled") && rest.contains("5 closed cleanly, 0 errors"),
        "{rest}"
    );
    let report: serde_json::Value = serde_json::from_str(&rest[rest.find('{').unwrap()..]).unwrap();
    assert_eq!(report["closed_cleanly"], 5);
    let done = report["per_command"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["op"] == "DONE")
        .unwrap();
    assert_eq!(done["count"], 5);
}
