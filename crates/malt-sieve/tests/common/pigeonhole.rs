//! What the two differential tests (`differential.rs`, the hand-written table, and
//! `differential_generated.rs`, generated scripts) share: the messages, Malt's and Pigeonhole's
//! (`sieve-test`, Debian `dovecot-sieve`) actions in one canonical form (sorted strings such as
//! `store Work [\seen]`, `redirect a@example.net`, `ERROR` for a run-time error).
//!
//! `sieve-test` runs without `-e`, so it only prints the actions it would take. When run as
//! root it drops privileges to `nobody` (Dovecot refuses root), so its files are made readable
//! to everyone. Using it fails when `sieve-test` is missing: `.ci/run` installs `dovecot-sieve`.
//!
//! Included by each test file with `#[path = "common/pigeonhole.rs"] mod pigeonhole;` next to
//! `mod common;` (the benchmark includes only `common/mod.rs`).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{EmptyWorld, FROM, TO, run_alice_to_bob};
use malt_sieve::compile;
use malt_sieve::limits::Limits;
use malt_sieve::outcome::Action;

const SIEVE_TEST: &str = "/usr/bin/sieve-test";
/// What [`Oracle::run`] answers when `sieve-test` aborts on a failed assertion.
pub const PIGEONHOLE_CRASHED: &str = "PIGEONHOLE CRASHED";

// ---------------------------------------------------------------------------------------------
// Messages

pub const PLAIN: &str = "Return-Path: <alice@example.com>\r\n\
Received: from mx.example.com by mail.example.org; Tue, 1 Jul 2003 10:52:40 +0200\r\n\
Received: from laptop by mx.example.com; Tue, 1 Jul 2003 10:52:38 +0200\r\n\
From: Alice Example <alice@example.com>\r\n\
To: Bob <bob@example.org>, carol@example.net\r\n\
Cc: \"Dave, D.\" <dave+sieve@example.org>, erin@Example.NET\r\n\
Subject: Hello world: make money fast\r\n\
Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n\
Message-ID: <plain-1@example.com>\r\n\
X-Priority: 3\r\n\
X-Spam-Score: 12\r\n\
X-Tag: a\r\n\
X-Tag: b\r\n\
X-Tag: c\r\n\
\r\n\
Hi Bob,\r\n\
the meeting is at 10. Bring the *slides* and 42 coffees.\r\n";

pub const ENCODED: &str = "From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>\r\n\
To: =?utf-8?q?Bob?= <bob@example.org>\r\n\
Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= aus\r\n\x20=?iso-8859-1?q?K=F6ln?=\r\n\
Date: Sun, 31 Dec 2017 23:59:59 -0800\r\n\
Message-ID: <enc@example.de>\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Sch=C3=B6ne Gr=C3=BC=C3=9Fe\r\n";

pub const LIST: &str = "From: Dev List <dev@lists.example.com>\r\n\
Sender: owner-dev@lists.example.com\r\n\
To: dev@lists.example.com\r\n\
List-Id: Developers <dev.lists.example.com>\r\n\
Precedence: list\r\n\
Subject: [dev] release 1.0 is out\r\n\
Message-ID: <list-7@lists.example.com>\r\n\
\r\n\
The release is out.\r\n";

pub const MULTIPART: &str = "From: Alice <alice@example.com>\r\n\
To: bob@example.org\r\n\
Subject: parts\r\n\
Message-ID: <mp@example.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
prologue text here\r\n\
--b1\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
plain part hello\r\n\
--b1\r\n\
Content-Type: multipart/alternative; boundary=\"b2\"\r\n\
\r\n\
--b2\r\n\
Content-Type: text/html\r\n\
\r\n\
<html><body><p>html part <b>bold</b></p></body></html>\r\n\
--b2--\r\n\
--b1\r\n\
Content-Type: application/octet-stream\r\n\
Content-Disposition: attachment; filename=\"report.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
aGVsbG8gYmluYXJ5\r\n\
--b1--\r\n\
epilogue text\r\n";

pub const AUTO: &str = "From: robot@example.com\r\n\
To: bob@example.org\r\n\
Auto-Submitted: auto-generated\r\n\
Subject: Your report\r\n\
Message-ID: <auto@example.com>\r\n\
\r\n\
Nightly report.\r\n";

pub const MESSAGES: [(&str, &str); 5] = [
    ("plain", PLAIN),
    ("encoded", ENCODED),
    ("list", LIST),
    ("multipart", MULTIPART),
    ("auto", AUTO),
];

// ---------------------------------------------------------------------------------------------
// Running both

/// No mailboxes, includes or duplicate memory: as `sieve-test` sees the world.
const NOTHING: EmptyWorld = EmptyWorld {
    mailboxes_exist: false,
    now: (1_700_000_000, 0),
};

/// Malt's actions, in the canonical form (sorted); `Err` with the errors when Malt does not
/// compile the script.
pub fn malt(script: &str, message: &str) -> Result<Vec<String>, String> {
    let limits = Limits {
        min_vacation_seconds: 0,
        ..Limits::default()
    };
    let script = compile("diff", script, &limits).map_err(|e| e.to_string())?;
    // sieve-test knows no location or phase: both leave them unavailable.
    let outcome = match run_alice_to_bob(&script, message, &NOTHING, &limits) {
        Ok(outcome) => outcome,
        Err(_) => return Ok(vec!["ERROR".into()]),
    };
    let mut out: Vec<String> = outcome
        .actions
        .iter()
        .map(|action| match action {
            Action::Keep { flags } => store("INBOX", flags, false),
            Action::FileInto {
                mailbox,
                flags,
                create,
                ..
            } => store(mailbox, flags, *create),
            Action::Redirect { address } => redirect(address),
            Action::Reject { reason, .. } => format!("reject {reason}"),
            Action::Vacation(v) => format!("vacation seconds={} handle={}", v.period_seconds, v.handle),
            Action::Notify(n) => format!(
                "notify importance={} to={}",
                n.importance,
                mailto_recipients(&n.method).join(",")
            ),
            Action::Discard => "discard".into(),
        })
        .collect();
    out.sort();
    Ok(out)
}

/// A store, as a set of flags (IMAP flags are case-insensitive, RFC 3501 §2.3.2; Pigeonhole
/// lists a flag given twice twice) into a mailbox (`INBOX` in any case is the inbox, RFC 3501
/// §5.1; Pigeonhole reports `fileinto "inbox"` as written).
fn store(mailbox: &str, flags: &[String], create: bool) -> String {
    let mut flags: Vec<String> = flags.iter().map(|f| f.to_ascii_lowercase()).collect();
    flags.sort();
    flags.dedup();
    let mailbox = if mailbox.eq_ignore_ascii_case("INBOX") {
        "INBOX"
    } else {
        mailbox
    };
    let mut text = format!("store {mailbox}");
    if !flags.is_empty() {
        text.push_str(&format!(" [{}]", flags.join(" ")));
    }
    if create {
        text.push_str(" create");
    }
    text
}

/// A redirect, its domain in lower case: Pigeonhole reports it so (domains are
/// case-insensitive, RFC 5321 §2.4), Malt as the script wrote it.
fn redirect(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => format!("redirect {local}@{}", domain.to_ascii_lowercase()),
        None => format!("redirect {address}"),
    }
}

/// The recipients of the simple `mailto:` URIs the cases use (path, `to`, `cc`).
fn mailto_recipients(uri: &str) -> Vec<String> {
    let rest = uri.strip_prefix("mailto:").unwrap_or(uri);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut out: Vec<String> = path
        .split(',')
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect();
    for field in query.split('&') {
        if let Some((name, value)) = field.split_once('=')
            && (name.eq_ignore_ascii_case("to") || name.eq_ignore_ascii_case("cc"))
        {
            out.extend(value.split(',').map(String::from));
        }
    }
    out.sort();
    out
}

/// The scratch directory `sieve-test` works in, readable by the user it drops to.
pub struct Oracle {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Oracle {
    pub fn new() -> Oracle {
        assert!(
            Path::new(SIEVE_TEST).exists(),
            "{SIEVE_TEST} is missing: install Debian's dovecot-sieve (.ci/run does)"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let probe = dir.path().join("probe");
        std::fs::write(&probe, b"").unwrap();
        let meta = std::fs::metadata(&probe).unwrap();
        // Dovecot never runs mail processes as root.
        let (uid, gid) = if meta.uid() == 0 {
            ("nobody".to_string(), "nogroup".to_string())
        } else {
            (meta.uid().to_string(), meta.gid().to_string())
        };
        let config = dir.path().join("dovecot.conf");
        let mail = dir.path().join("mail");
        std::fs::write(
            &config,
            format!(
                "mail_uid = {uid}\nmail_gid = {gid}\nfirst_valid_uid = 0\n\
                 mail_location = maildir:{}\nlog_path = /dev/stderr\n\
                 sendmail_path = /bin/true\nlda_mailbox_autocreate = yes\n\
                 plugin {{\n  sieve_vacation_min_period = 0\n  \
                 sieve_extensions = +vacation-seconds +editheader +mime +foreverypart +extracttext \
                 +spamtest +spamtestplus +virustest\n}}\n",
                mail.display()
            ),
        )
        .unwrap();
        make_readable(&config);
        Oracle { dir, config }
    }

    /// Pigeonhole's actions, in the canonical form (sorted); `Err` with its report when it does
    /// not compile the script. `index` names the scratch files: concurrent calls need distinct
    /// ones.
    pub fn run(&self, index: usize, script: &str, message: &str) -> Result<Vec<String>, String> {
        let script_path = self.dir.path().join(format!("case{index}.sieve"));
        let message_path = self.dir.path().join(format!("case{index}.eml"));
        std::fs::write(&script_path, script).unwrap();
        std::fs::write(&message_path, message).unwrap();
        make_readable(&script_path);
        make_readable(&message_path);
        let output = Command::new(SIEVE_TEST)
            .arg("-C")
            .arg("-c")
            .arg(&self.config)
            .args(["-f", FROM, "-a", TO, "-r", TO])
            .arg(&script_path)
            .arg(&message_path)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("failed to compile") {
            return Err(stderr.into_owned());
        }
        if stderr.contains("final result: failed") {
            return Ok(vec!["ERROR".into()]);
        }
        // An assertion failed inside sieve-test (it aborts): no result to compare.
        if stderr.contains("Panic:") {
            return Ok(vec![PIGEONHOLE_CRASHED.into()]);
        }
        let mut actions = parse_sieve_test(&stdout);
        // Without `-e`, sieve-test lists a vacation action before the checks it makes when
        // sending (lists, Auto-Submitted, recipients); `-e` runs them.
        if actions.iter().any(|a| a.starts_with("vacation"))
            && !self.vacation_is_sent(&script_path, &message_path)
        {
            actions.retain(|a| !a.starts_with("vacation"));
        }
        Ok(actions)
    }

    /// Run with `-e` (mail goes to `sendmail_path = /bin/true`): is the vacation reply sent?
    fn vacation_is_sent(&self, script: &Path, message: &Path) -> bool {
        let output = Command::new(SIEVE_TEST)
            .arg("-C")
            .arg("-e")
            .arg("-c")
            .arg(&self.config)
            .args(["-f", FROM, "-a", TO, "-r", TO])
            .arg(script)
            .arg(message)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        !stderr.contains("discarding vacation response")
    }
}

fn make_readable(path: &Path) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
}

/// One action of `sieve-test`'s report, with its `+` modifiers and `=>` parameters.
#[derive(Default)]
struct Reported {
    what: String,
    modifiers: Vec<String>,
    params: Vec<(String, String)>,
}

/// Parse the "Performed actions:" and "Implicit keep:" sections of `sieve-test`'s output.
fn parse_sieve_test(stdout: &str) -> Vec<String> {
    let mut reported: Vec<Reported> = Vec::new();
    let mut in_message = false;
    for line in stdout.lines() {
        let trimmed = line.trim();
        if trimmed == "START MESSAGE" {
            in_message = true;
            continue;
        }
        if trimmed == "END MESSAGE" {
            in_message = false;
            continue;
        }
        if in_message {
            continue;
        }
        if let Some(what) = line.strip_prefix(" * ") {
            reported.push(Reported {
                what: what.to_string(),
                ..Reported::default()
            });
        } else if let Some(last) = reported.last_mut() {
            if let Some(modifier) = trimmed.strip_prefix("+ ") {
                last.modifiers.push(modifier.to_string());
            } else if let Some(param) = trimmed.strip_prefix("=> ") {
                let (key, value) = param.split_once(':').unwrap_or((param, ""));
                last.params
                    .push((key.trim().to_string(), value.trim().to_string()));
            }
        }
    }
    let mut out: Vec<String> = reported.iter().filter_map(canonical).collect();
    let stored = out.iter().any(|a| a.starts_with("store "));
    // Pigeonhole lists `discard` even when something else stores the message; Malt does not.
    out.retain(|a| !(stored && a == "discard"));
    out.sort();
    // It lists `fileinto :copy "inbox"` and the implicit keep as two stores into INBOX, and
    // delivers one copy (`-e`); Malt reports that one store.
    out.dedup();
    out
}

fn canonical(action: &Reported) -> Option<String> {
    let param = |key: &str| {
        action
            .params
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    };
    if let Some(folder) = action.what.strip_prefix("store message in folder: ") {
        let flags: Vec<String> = action
            .modifiers
            .iter()
            .filter_map(|m| m.strip_prefix("add IMAP flags: "))
            .flat_map(|f| f.split_whitespace().map(String::from))
            .collect();
        let create = action.modifiers.iter().any(|m| m.starts_with("create mailbox"));
        return Some(store(folder, &flags, create));
    }
    if let Some(address) = action.what.strip_prefix("redirect message to: ") {
        return Some(redirect(address.trim_start_matches('<').trim_end_matches('>')));
    }
    if let Some(reason) = action.what.strip_prefix("reject message with reason: ") {
        return Some(format!("reject {reason}"));
    }
    if action.what == "discard" {
        return Some("discard".into());
    }
    if action.what.starts_with("send vacation message") {
        return Some(format!(
            "vacation seconds={} handle={}",
            param("seconds"),
            param("handle")
        ));
    }
    if action.what.starts_with("send notification with method 'mailto:'") {
        let mut to: Vec<String> = action
            .modifiers
            .iter()
            .filter_map(|m| m.split_once(": ").map(|(_, a)| a.to_string()))
            .collect();
        to.sort();
        return Some(format!(
            "notify importance={} to={}",
            param("importance"),
            to.join(",")
        ));
    }
    (action.what != "(none)").then(|| format!("unknown: {}", action.what))
}
