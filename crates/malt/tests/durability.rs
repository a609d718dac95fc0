//! Nothing acknowledged is lost: `malt deliver` processes are SIGKILLed at random moments during
//! 1,000 deliveries (four at a time, so kills land inside group commits too). Afterwards every
//! delivery that exited 0 is present and readable, `malt check` finds no damage, and the server
//! starts again on the same data.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::HashSet;
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use common::*;
use rand::Rng;

const DELIVERIES: usize = 1000;
const WORKERS: usize = 4;

#[test]
fn sigkill_during_deliveries_loses_nothing_acknowledged() {
    let malt = Malt::new();
    malt.with_user("u@example.com");

    let acked = std::sync::Mutex::new(Vec::<String>::new());
    let killed = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for w in 0..WORKERS {
            let (malt, acked, killed) = (&malt, &acked, &killed);
            s.spawn(move || {
                let mut rng = rand::thread_rng();
                for i in (w..DELIVERIES).step_by(WORKERS) {
                    let id = format!("m{i}");
                    // Mostly small messages, now and then a big one that takes longer to write.
                    let size = if i % 50 == 0 {
                        2_000_000
                    } else {
                        rng.gen_range(500..20_000)
                    };
                    let msg = message(&id, size);
                    let mut child = malt
                        .cmd()
                        .args(["deliver", "--to", "u@example.com"])
                        .stdin(Stdio::piped())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()
                        .unwrap();
                    let mut stdin = child.stdin.take().unwrap();
                    let _ = stdin.write_all(&msg);
                    drop(stdin);
                    if rng.gen_bool(0.3) {
                        std::thread::sleep(Duration::from_micros(rng.gen_range(0..30_000)));
                        let _ = child.kill(); // SIGKILL
                    }
                    let status = child.wait().unwrap();
                    if status.success() {
                        acked.lock().unwrap().push(id);
                    } else {
                        killed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let acked = acked.into_inner().unwrap();
    let killed = killed.into_inner();
    eprintln!(
        "{} acknowledged, {killed} killed before acknowledging",
        acked.len()
    );
    assert!(
        killed > 50,
        "the test must actually kill deliveries mid-way (killed {killed})"
    );
    assert!(acked.len() > 500);

    // Every acknowledged message is present and its blob readable (export reads each blob).
    let mbox = malt.ok(&["export", "mbox", "u@example.com", "INBOX"], b"");
    let present: HashSet<String> = message_ids(&mbox).into_iter().collect();
    let missing: Vec<&String> = acked.iter().filter(|id| !present.contains(*id)).collect();
    assert!(missing.is_empty(), "acknowledged but missing: {missing:?}");

    // No damage: blobs match their hashes, counters agree.
    let report = malt.ok(&["check"], b"");
    assert!(report.contains("no problems found"), "{report}");

    // Unreferenced blobs of killed deliveries are collected once old enough.
    malt.ok(&["gc", "--grace", "0"], b"");
    assert!(malt.ok(&["check"], b"").contains("no problems found"));

    // The server starts again on the same data and answers.
    let config = malt.config("");
    let server = Server::start(&malt, &config, 1);
    let (status, body) = http_get(server.addr("http"), "/healthz");
    assert_eq!(status, 200, "{body}");
    assert!(server.terminate(Duration::from_secs(20)).success());
}
