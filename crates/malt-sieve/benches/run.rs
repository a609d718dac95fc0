//! Runs per second of a typical 20-rule script on a 10 KB message (the benchmark).
//! `cargo bench -p malt-sieve --bench run` prints the figure; no criterion, a timed loop.
//!
//! Each run parses the message view and executes the script, as a delivery does (the script
//! is compiled once, as Malt caches compiled scripts).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::EmptyWorld;
use malt_sieve::input::{Envelope, EnvironmentInfo, RunInput, Scores};
use malt_sieve::limits::Limits;
use malt_sieve::{compile, run};

/// Twenty rules of the kinds people write: list sorting with captures, sender and subject
/// filters, spam score, flags, a body search, size, date, a vacation. The same file is the
/// script of `bench/sieve_vs_pigeonhole.py`, which runs it in Dovecot's delivery too.
const SCRIPT: &str = include_str!("twenty_rules.sieve");

/// A 10 KB message: a realistic header and a multipart/alternative body.
fn message() -> Vec<u8> {
    let mut m = String::from(
        "Return-Path: <carol@example.net>\r\n\
         Received: from mx.example.net (mx.example.net [192.0.2.10]) by mail.example.org with ESMTPS; Tue, 1 Jul 2025 10:52:40 +0200\r\n\
         Received: from laptop by mx.example.net with ESMTPSA; Tue, 1 Jul 2025 10:52:38 +0200\r\n\
         DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.net; s=s1; h=from:to:subject:date;\r\n\
         \tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ==\r\n\
         From: Carol Example <carol@example.net>\r\n\
         To: Bob <bob@example.org>, team@example.org\r\n\
         Cc: dave@example.org\r\n\
         Subject: Re: quarterly planning notes\r\n\
         Date: Tue, 1 Jul 2025 10:52:37 +0200\r\n\
         Message-ID: <planning-42@example.net>\r\n\
         X-Spam-Score: 2\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"alt\"\r\n\
         \r\n\
         --alt\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n",
    );
    let paragraph = "We went through the plan for the next quarter: hiring, the release \
        schedule, and the budget. Please read the notes before Thursday and reply with comments.\r\n";
    while m.len() < 5_500 {
        m.push_str(paragraph);
    }
    m.push_str("--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>");
    while m.len() < 10_200 {
        m.push_str("<p>");
        m.push_str(paragraph);
        m.push_str("</p>");
    }
    m.push_str("</body></html>\r\n--alt--\r\n");
    m.into_bytes()
}

#[path = "../tests/common/mod.rs"]
mod common;

/// Every mailbox exists (the script files with `:create` anyway).
const WORLD: EmptyWorld = EmptyWorld {
    mailboxes_exist: true,
    now: (1_750_000_000, 0),
};

fn main() {
    let limits = Limits::default();
    let compile_start = Instant::now();
    let script = compile("bench", SCRIPT, &limits).unwrap();
    let compile_time = compile_start.elapsed();
    let message = message();
    let envelope = Envelope {
        from: "carol@example.net".into(),
        to: "bob+work@example.org".into(),
        user_addresses: vec!["bob@example.org".into()],
    };
    let environment = EnvironmentInfo::default();
    let input = RunInput {
        message: &message,
        envelope: &envelope,
        environment: &environment,
        scores: Scores::default(),
    };
    let outcome = run(&script, &input, &WORLD, &limits).unwrap();
    assert!(!outcome.actions.is_empty());

    // Warm up, then time whole batches for about two seconds. The figure is per second of
    // this thread's CPU time (other work on a shared machine does not count), or of wall
    // time where Linux's schedstat is not available.
    for _ in 0..200 {
        black_box(run(&script, black_box(&input), &WORLD, &limits).unwrap());
    }
    let mut runs: u64 = 0;
    let start = Instant::now();
    let cpu_start = thread_cpu_ns();
    while start.elapsed() < Duration::from_secs(2) {
        for _ in 0..100 {
            black_box(run(&script, black_box(&input), &WORLD, &limits).unwrap());
        }
        runs += 100;
    }
    let (seconds, clock) = match (cpu_start, thread_cpu_ns()) {
        (Some(a), Some(b)) if b > a => ((b - a) as f64 / 1e9, "CPU"),
        _ => (start.elapsed().as_secs_f64(), "wall"),
    };
    println!(
        "malt-sieve: 20-rule script on a {}-byte message: {:.0} runs per {clock} second ({:.1} µs per run, one thread); compile {:.1} µs",
        message.len(),
        runs as f64 / seconds,
        seconds * 1e6 / runs as f64,
        compile_time.as_secs_f64() * 1e6
    );
}

/// Nanoseconds this thread has run on a CPU (Linux `/proc/thread-self/schedstat`).
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
