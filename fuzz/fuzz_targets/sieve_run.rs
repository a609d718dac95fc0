//! A compiled Sieve script run on any message (`malt_sieve::run`): the message parser (header
//! fields, RFC 2047 words, addresses, dates, the MIME tree, transfer decodings, HTML to text) and
//! every test and action against hostile input. Input: a script, a NUL byte, then the message.
//! A script that does not compile is replaced by one of `SCRIPTS` (chosen by the input's length),
//! which together reach every extension, so the fuzzer mostly explores messages. Never a panic;
//! a successful run stays within the limits (RFC 5228 §2.10.6 leaves the bounds to the
//! implementation; `malt_sieve::limits::Limits` sets them).
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use malt_sieve::input::{Context, Envelope, EnvironmentInfo, RunInput, Scores};
use malt_sieve::ir::{Script, ScriptLocation};
use malt_sieve::limits::Limits;
use malt_sieve::outcome::Action;

const SCRIPTS: &[&str] = &[
    r#"require ["fileinto", "variables", "relational", "comparator-i;ascii-numeric", "subaddress", "envelope", "index"];
       if address :detail :matches ["to", "cc", "bcc"] "*" { fileinto "d-${1}"; }
       if header :count "ge" :comparator "i;ascii-numeric" "received" "3" { fileinto "hops"; }
       if header :index 2 :last :matches "subject" "*[*]*" { fileinto "${2}"; }
       if envelope :all :matches "from" "*@*" { fileinto "from-${2}"; }
       if address :domain :value "gt" "from" "m" { keep; }"#,
    r#"require ["body", "fileinto", "regex", "variables"];
       if body :text :contains "unsubscribe" { fileinto "lists"; }
       if body :raw :regex "(a+)+b" { fileinto "raw"; }
       if body :content ["text/html", "multipart", "message/rfc822"] :matches "*<*>*" { fileinto "html"; }
       if header :regex "subject" "^(re|fwd?): (.*)$" { fileinto "thread-${2}"; }"#,
    r#"require ["foreverypart", "mime", "extracttext", "variables", "fileinto", "enotify"];
       foreverypart { if header :mime :anychild :param "filename" :matches "content-disposition" "*.exe" {
         extracttext :first 40 "t"; notify :message "${t}" "mailto:ops@example.org?subject=virus"; break; }
         if exists :mime :anychild "content-transfer-encoding" { extracttext "x"; }
         if header :mime :contenttype :matches "content-type" "*" { set "ct" "${0}"; } }
       if header :mime :subtype :is "content-type" "plain" { fileinto "text-${ct}"; }"#,
    r#"require ["date", "relational", "variables", "fileinto", "index"];
       if date :value "ge" :originalzone "date" "date" "2020-01-01" { fileinto "recent"; }
       if date :zone "-0330" :matches "received" "iso8601" "*" { fileinto "r-${0}"; }
       if date :index 1 :last :matches "resent-date" "weekday" "*" { fileinto "w-${0}"; }
       if currentdate :matches "julian" "*" { fileinto "j-${0}"; }"#,
    r#"require ["editheader", "vacation", "vacation-seconds", "imap4flags", "duplicate", "copy", "variables"];
       deleteheader :index 1 :last :matches "x-*" "*";
       addheader :last "X-Filtered" "yes ☃";
       if duplicate :seconds 60 { discard; stop; }
       addflag ["\\Seen", "$Label1"]; removeflag "\\seen";
       vacation :seconds 3600 :subject "Away: ${1}" :mime "Content-Type: text/plain\r\n\r\naway";
       redirect :copy "carol@example.net"; redirect "dave@example.org";"#,
    r#"require ["spamtest", "spamtestplus", "virustest", "environment", "mailbox", "special-use",
                "fileinto", "relational", "comparator-i;ascii-numeric", "ihave"];
       if spamtest :percent :value "gt" :comparator "i;ascii-numeric" "50" { fileinto :specialuse "\\Junk" :create "Junk"; }
       if virustest :value "eq" :comparator "i;ascii-numeric" "0" { keep; }
       if environment :matches "remote-ip" "192.0.2.*" { fileinto :create "doc"; }
       if ihave "x-none" { error "no"; }
       if allof (exists ["from", "to"], not size :over 10K, anyof (true, false)) { stop; }"#,
];

struct World;

impl Context for World {
    fn mailbox_exists(&self, name: &str) -> bool {
        name.len() % 2 == 0
    }
    fn special_use_mailbox(&self, special_use: &str) -> Option<String> {
        special_use
            .eq_ignore_ascii_case("\\Junk")
            .then(|| "Spam".to_owned())
    }
    fn duplicate_seen(&self, _: &str, id: &str) -> bool {
        id.len() % 3 == 0
    }
    fn include(&self, _: ScriptLocation, _: &str) -> Option<Arc<Script>> {
        None
    }
    fn now(&self) -> (i64, i32) {
        (1_780_000_000, 60)
    }
}

fuzz_target!(|data: &[u8]| {
    let (script, message) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (
            data.get(..nul).unwrap_or_default(),
            data.get(nul + 1..).unwrap_or_default(),
        ),
        None => (&[][..], data),
    };
    let tight = Limits {
        max_instructions: 500,
        max_actions: 4,
        max_redirects: 1,
        max_notifications: 1,
        max_mime_depth: 3,
        max_body_scan: 4096,
        max_header_edits: 2,
        ..Limits::default()
    };
    let envelope = Envelope {
        from: "alice@example.com".into(),
        to: "bob+lists@example.org".into(),
        user_addresses: vec!["bob@example.org".into()],
    };
    let environment = EnvironmentInfo {
        domain: "example.org".into(),
        host: "mx.example.org".into(),
        location: "MDA".into(),
        phase: "during".into(),
        remote_host: "mx.example.com".into(),
        remote_ip: "192.0.2.7".into(),
        name: "Malt".into(),
        version: "fuzz".into(),
    };
    let input = RunInput {
        message,
        envelope: &envelope,
        environment: &environment,
        scores: Scores {
            spam: Some(7),
            spam_percent: Some(67),
            virus: None,
        },
    };
    for limits in [Limits::default(), tight] {
        let compiled = malt_sieve::compile("fuzz", &String::from_utf8_lossy(script), &limits).or_else(|_| {
            let fallback = SCRIPTS
                .get(data.len() % SCRIPTS.len())
                .copied()
                .unwrap_or_default();
            malt_sieve::compile("fallback", fallback, &limits)
        });
        let Ok(compiled) = compiled else {
            panic!("a fallback script does not compile");
        };
        if let Ok(outcome) = malt_sieve::run(&compiled, &input, &World, &limits) {
            let count = |f: fn(&Action) -> bool| outcome.actions.iter().filter(|a| f(a)).count();
            assert!(outcome.actions.len() <= limits.max_actions + 1);
            assert!(count(|a| matches!(a, Action::Redirect { .. })) <= limits.max_redirects);
            assert!(count(|a| matches!(a, Action::Vacation(_))) <= limits.max_vacation_responses);
            assert!(count(|a| matches!(a, Action::Notify(_))) <= limits.max_notifications);
        }
    }
});
