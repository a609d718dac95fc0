//! Sieve at final delivery: [`SieveFilter`], the [`DeliveryFilter`] that runs each account's
//! active script (RFC 5228) with the `malt-sieve` engine, between the administrator's global
//! scripts, and answers the pipeline's [`FilterDecision`] (`sieve/actions.rs`).
//!
//! One run per account copy:
//! 1. the account's active script is read from the store (one indexed read) and compiled, or taken
//!    from a bounded cache keyed by (account, name, hash of the source) (`sieve/cache.rs`);
//! 2. the global `before` scripts, the user's script and the `after` scripts run as ONE run, as
//!    Pigeonhole's `sieve_before`/`sieve_after` do: a wrapper script includes them in order
//!    (RFC 6609), so `stop` in any of them ends all, variables stay each script's own, and the
//!    implicit keep (RFC 5228 §2.10.2) is decided once at the end. The globals are compiled at
//!    start (a bad one stops the server from starting);
//! 3. what the run may ask is fetched first (`sieve/context.rs`): the mailbox list, the scripts
//!    the `include` commands name (`:personal` from the user's scripts, `:global` from
//!    `<global_dir>/<name>.sieve`), and the duplicate-tracking answers (RFC 7352), looked up after
//!    a run that asked for unknown ones, then run again;
//! 4. the run sees the message as received, the envelope (the recipient as given, the account's
//!    address as the user's), the environment (RFC 5183: `domain` the host name without its
//!    first label, `host`, `location` "MDA", `phase` "during", `remote-ip`, `name` "Malt") and
//!    the spam scores (below).
//!
//! spamtest (RFC 5235): for mail handed over by LMTP (a front MTA and its filter) or to `malt
//! deliver` (an MTA's pipe), a front filter's `X-Spam-Score: S` (SpamAssassin/rspamd points)
//! counts: `spamtest` is `1 + round(0.9 × S)` and `:percent` `round(10 × S)`, S taken within
//! 0..=10. Mail the MX verified (where the header would be the sender's own) is scored from the
//! MX's verdicts instead: DMARC fail with policy reject 9 (`:percent` 89), quarantine 7 (67), none
//! 5 (44); SPF fail without a passing DKIM signature 5 (44); otherwise 1 (0: tested, not spam).
//! Anything else (submission, the queue, the MX without verification) is untested (`0`).
//!
//! virustest (RFC 5235 §3.3): Malt has no scanner of its own, so only a front filter's verdict
//! counts, from the same trusted paths (LMTP, `malt deliver`), as Pigeonhole's
//! `sieve_virustest_status_header` does: `X-Virus-Status: Infected …` (clamav-milter), an
//! `X-Amavis-Alert: INFECTED …` (amavisd-new) or a non-empty `X-Virus:` (rspamd) is 5, "definitely
//! contains a known virus"; otherwise `X-Virus-Status: Clean` or an `X-Virus-Scanned:` field is 1,
//! "tested, no known virus". Without any of them, or on other paths, it is untested (`0`).
//!
//! Invariants: a run-time error (RFC 5228 §2.10.6), a user script that no longer compiles, or a
//! store error while preparing the run keeps the message in INBOX and logs why: the filter never
//! loses a message and never fails a delivery. A run never waits for I/O: it runs on the
//! delivering task, bounded by the engine's limits.

mod actions;
mod cache;
mod context;

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use malt_sieve::CompileErrors;
use malt_sieve::input::{Envelope as SieveEnvelope, EnvironmentInfo, RunInput, Scores};
use malt_sieve::ir::{Command, CommandKind, Extension, Position, Script, ScriptLocation, Str};
use malt_sieve::limits::Limits;
use malt_sieve::outcome::Outcome;
use malt_store::{Account, Store, StoreError};

use crate::filter::{DeliveryFilter, FilterDecision, FilterInput};
use crate::header;
use crate::mail::now;
use crate::sender_auth::{DmarcPolicy, Verdict};

use cache::{Owner, ScriptCache};
use context::{Included, RunContext, include_refs};

/// Compiled scripts kept (all accounts together).
pub const SCRIPT_CACHE_CAPACITY: usize = 4096;
/// Most runs of one delivery while duplicate answers are being looked up.
const MAX_RUNS: usize = 4;

/// A global script: a name for logs and errors (its file), and its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalScript {
    pub name: String,
    pub source: String,
}

/// What [`SieveFilter::new`] needs (the binary maps `[sieve]` onto it).
#[derive(Debug, Clone)]
pub struct SieveSettings {
    pub limits: Limits,
    /// Run before the user's script, in order (Pigeonhole's `sieve_before`).
    pub before: Vec<GlobalScript>,
    /// Run after it, in order (`sieve_after`).
    pub after: Vec<GlobalScript>,
    /// Where `include :global "name"` finds `name.sieve`; `None`: such includes find nothing.
    pub global_dir: Option<PathBuf>,
    /// This server's host name (environment `host`, Message-IDs of the messages it writes).
    pub hostname: String,
}

/// The Sieve delivery filter (see the module docs).
pub struct SieveFilter {
    store: Arc<dyn Store>,
    limits: Limits,
    before: Vec<Arc<Script>>,
    after: Vec<Arc<Script>>,
    global_dir: Option<PathBuf>,
    hostname: String,
    cache: ScriptCache,
}

impl std::fmt::Debug for SieveFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SieveFilter")
            .field("before", &self.before.len())
            .field("after", &self.after.len())
            .field("global_dir", &self.global_dir)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Why a run could not be made or did not complete.
#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("run-time error: {0}")]
    Runtime(#[from] malt_sieve::outcome::RuntimeError),
    #[error("duplicate answers still unknown after {MAX_RUNS} runs")]
    Unsettled,
}

impl SieveFilter {
    /// A filter over `store`; compiles the global scripts (their errors name the script).
    pub fn new(store: Arc<dyn Store>, settings: SieveSettings) -> Result<Self, CompileErrors> {
        let compile = |scripts: &[GlobalScript]| {
            scripts
                .iter()
                .map(|g| malt_sieve::compile(&g.name, &g.source, &settings.limits).map(Arc::new))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(SieveFilter {
            before: compile(&settings.before)?,
            after: compile(&settings.after)?,
            store,
            limits: settings.limits,
            global_dir: settings.global_dir,
            hostname: settings.hostname,
            cache: ScriptCache::new(SCRIPT_CACHE_CAPACITY),
        })
    }

    async fn decide_for(&self, input: FilterInput<'_>) -> FilterDecision {
        let now = now();
        match self.evaluate(&input, now).await {
            Ok(None) => FilterDecision::keep(),
            Ok(Some(outcome)) => actions::Writer {
                hostname: &self.hostname,
                input: &input,
                now,
            }
            .decision(outcome),
            Err(e) => {
                // RFC 5228 §2.10.6: the implicit keep.
                tracing::warn!(account = %input.account.address, id = %input.envelope.id, error = %e,
                    "Sieve failed; the message is kept in INBOX");
                metrics::counter!("malt_sieve_errors_total").increment(1);
                FilterDecision::keep()
            }
        }
    }

    /// The outcome of this copy's run; `None` when there is nothing to run.
    async fn evaluate(&self, input: &FilterInput<'_>, now: i64) -> Result<Option<Outcome>, RunError> {
        let account = input.account;
        let user = self.user_script(account).await?;
        if user.is_none() && self.before.is_empty() && self.after.is_empty() {
            return Ok(None);
        }
        let mut includes = self.globals();
        if let Some((name, script)) = &user {
            includes.push(Included {
                location: ScriptLocation::Personal,
                name: name.clone(),
                script: script.clone(),
            });
        }
        self.fetch_includes(account, &mut includes).await?;
        let wrapper = wrapper(
            self.before.len(),
            user.as_ref().map(|(name, _)| name.as_str()),
            self.after.len(),
        );
        let mailboxes = self.store.mailbox_list(account.id).await?;
        let envelope = SieveEnvelope {
            from: input.envelope.return_path.clone(),
            to: input.recipient.to_owned(),
            user_addresses: vec![account.address.clone(), input.recipient.to_owned()],
        };
        let environment = self.environment(input);
        let run_input = RunInput {
            message: input.message,
            envelope: &envelope,
            environment: &environment,
            scores: scores(input),
        };
        let mut duplicates: HashMap<String, bool> = HashMap::new();
        for _ in 0..MAX_RUNS {
            let ctx = RunContext {
                mailboxes: &mailboxes,
                includes: &includes,
                duplicates: &duplicates,
                unknown: RefCell::new(Vec::new()),
                now,
            };
            let outcome = malt_sieve::run(&wrapper, &run_input, &ctx, &self.limits);
            let unknown = ctx.unknown.into_inner();
            if unknown.is_empty() {
                return Ok(Some(outcome?));
            }
            for key in unknown {
                let seen = self.store.sieve_duplicate_seen(account.id, &key, now).await?;
                duplicates.insert(key, seen);
            }
        }
        Err(RunError::Unsettled)
    }

    /// The account's active script, compiled; `None` when there is none or it no longer compiles
    /// (logged: the limits may have changed since it was stored).
    async fn user_script(&self, account: &Account) -> Result<Option<(String, Arc<Script>)>, StoreError> {
        let Some(active) = self.store.sieve_active(account.id).await? else {
            return Ok(None);
        };
        match self.cache.get_or_compile(
            Owner::Account(account.id),
            &active.name,
            &active.source,
            &self.limits,
        ) {
            Ok(script) => Ok(Some((active.name, script))),
            Err(e) => {
                tracing::warn!(account = %account.address, script = %active.name, error = %e,
                    "the active Sieve script does not compile; it is not run");
                Ok(None)
            }
        }
    }

    /// The global `before` and `after` scripts under the names the wrapper includes them by.
    fn globals(&self) -> Vec<Included> {
        let named = |prefix: &str, scripts: &[Arc<Script>]| {
            scripts
                .iter()
                .enumerate()
                .map(|(i, s)| Included {
                    location: ScriptLocation::Global,
                    name: global_name(prefix, i),
                    script: s.clone(),
                })
                .collect::<Vec<_>>()
        };
        let mut out = named(BEFORE, &self.before);
        out.extend(named(AFTER, &self.after));
        out
    }

    /// Adds every script the scripts in `found` include, transitively, at most
    /// `max_includes` more. One that is missing or does not compile is left out (the run then
    /// fails, unless the include is `:optional`).
    async fn fetch_includes(&self, account: &Account, found: &mut Vec<Included>) -> Result<(), StoreError> {
        let mut pending: Vec<(ScriptLocation, String)> =
            found.iter().flat_map(|i| include_refs(&i.script)).collect();
        let mut fetched = 0usize;
        while let Some((location, name)) = pending.pop() {
            if fetched >= self.limits.max_includes {
                break;
            }
            if found.iter().any(|i| i.location == location && i.name == name) {
                continue;
            }
            fetched += 1;
            let source = match location {
                ScriptLocation::Personal => self.store.sieve_get(account.id, &name).await?.map(|s| s.source),
                ScriptLocation::Global => self.global_source(&name).await,
            };
            let Some(source) = source else { continue };
            let owner = match location {
                ScriptLocation::Personal => Owner::Account(account.id),
                ScriptLocation::Global => Owner::Global,
            };
            match self.cache.get_or_compile(owner, &name, &source, &self.limits) {
                Ok(script) => {
                    pending.extend(include_refs(&script));
                    found.push(Included {
                        location,
                        name,
                        script,
                    });
                }
                Err(e) => tracing::warn!(account = %account.address, script = %name, error = %e,
                    "an included Sieve script does not compile"),
            }
        }
        Ok(())
    }

    /// The source of `<global_dir>/<name>.sieve`; `None` without a global directory, for a name
    /// that could leave it, or when the file cannot be read (logged).
    async fn global_source(&self, name: &str) -> Option<String> {
        let dir = self.global_dir.as_ref()?;
        if name.starts_with('.') || name.contains(['/', '\\', '\0']) {
            return None;
        }
        let path = dir.join(format!("{name}.sieve"));
        match tokio::fs::read_to_string(&path).await {
            Ok(source) => Some(source),
            Err(e) => {
                tracing::info!(path = %path.display(), error = %e, "global Sieve script not readable");
                None
            }
        }
    }

    /// RFC 5183 environment items (see the module docs).
    fn environment(&self, input: &FilterInput<'_>) -> EnvironmentInfo {
        let domain = self
            .hostname
            .split_once('.')
            .filter(|(_, rest)| rest.contains('.'))
            .map_or(self.hostname.as_str(), |(_, rest)| rest);
        EnvironmentInfo {
            domain: domain.to_owned(),
            host: self.hostname.clone(),
            location: "MDA".to_owned(),
            phase: "during".to_owned(),
            remote_host: String::new(),
            remote_ip: input.envelope.remote.to_string(),
            name: "Malt".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

impl DeliveryFilter for SieveFilter {
    fn decide<'a>(
        &'a self,
        input: FilterInput<'a>,
    ) -> Pin<Box<dyn Future<Output = FilterDecision> + Send + 'a>> {
        Box::pin(self.decide_for(input))
    }
}

/// Name prefixes of the global scripts inside the wrapper. A control character cannot occur in a
/// name `include` compiles (RFC 5804 §1.6), so these never meet a user's `include :global`.
const BEFORE: &str = "\u{1}before";
const AFTER: &str = "\u{1}after";

fn global_name(prefix: &str, i: usize) -> String {
    format!("{prefix}:{i}")
}

/// The script that runs `before` global scripts, the user's script and `after` global scripts
/// in order, as includes (see the module docs).
fn wrapper(before: usize, user: Option<&str>, after: usize) -> Script {
    let include = |location, name: String| Command {
        kind: CommandKind::Include {
            location,
            once: false,
            optional: false,
            name: Str::Literal(name),
        },
        pos: Position::default(),
    };
    let mut commands: Vec<Command> = (0..before)
        .map(|i| include(ScriptLocation::Global, global_name(BEFORE, i)))
        .collect();
    commands.extend(user.map(|name| include(ScriptLocation::Personal, name.to_owned())));
    commands.extend((0..after).map(|i| include(ScriptLocation::Global, global_name(AFTER, i))));
    Script {
        commands,
        extensions: vec![Extension::Include],
        name: "(global and user scripts)".to_owned(),
    }
}

/// The spamtest and virustest input (see the module docs).
fn scores(input: &FilterInput<'_>) -> Scores {
    // Only a front MTA (LMTP) or the MTA piping into `malt deliver` vouches for the headers.
    let front_filter = matches!(input.envelope.protocol.as_str(), "LMTP" | "LOCAL");
    let (spam, spam_percent) = match input.auth {
        Some(auth) => {
            let value: u8 = if auth.dmarc == Verdict::Fail {
                match auth.dmarc_policy {
                    DmarcPolicy::Reject => 9,
                    DmarcPolicy::Quarantine => 7,
                    DmarcPolicy::None => 5,
                }
            } else if auth.spf == Verdict::Fail && !auth.dkim.iter().any(|d| d.result == Verdict::Pass) {
                5
            } else {
                1
            };
            // 1..=10 onto 0..=100, rounded.
            let percent = (u16::from(value - 1) * 100 + 4) / 9;
            (Some(value), u8::try_from(percent).ok())
        }
        None if front_filter => match spam_score_header(input.message) {
            Some(points) => (
                Some(1 + round_to_u8(points * 0.9)),
                Some(round_to_u8(points * 10.0)),
            ),
            None => (None, None),
        },
        None => (None, None),
    };
    Scores {
        spam,
        spam_percent,
        virus: if front_filter {
            virus_status_headers(input.message)
        } else {
            None
        },
    }
}

/// A front filter's virus verdict (see the module docs): 5 infected, 1 scanned and clean,
/// `None` no verdict. The topmost field of each kind is the nearest filter's.
fn virus_status_headers(message: &[u8]) -> Option<u8> {
    let first = |name: &str| header::field_values(message, name).into_iter().next();
    let starts_with = |value: &str, prefix: &str| {
        value
            .get(..prefix.len())
            .is_some_and(|v| v.eq_ignore_ascii_case(prefix))
    };
    let status = first("X-Virus-Status");
    let infected = status.as_deref().is_some_and(|v| starts_with(v, "Infected"))
        || first("X-Amavis-Alert").is_some_and(|v| starts_with(&v, "INFECTED"))
        || first("X-Virus").is_some_and(|v| !v.is_empty());
    if infected {
        Some(5)
    } else if status.as_deref().is_some_and(|v| starts_with(v, "Clean")) || first("X-Virus-Scanned").is_some()
    {
        Some(1)
    } else {
        None
    }
}

/// The points of the first `X-Spam-Score` field, within 0..=10.
fn spam_score_header(message: &[u8]) -> Option<f64> {
    let value = header::field_values(message, "X-Spam-Score").into_iter().next()?;
    let points = value.split_whitespace().next()?.parse::<f64>().ok()?;
    points.is_finite().then(|| points.clamp(0.0, 10.0))
}

/// `x` rounded, within 0..=255 (a float-to-int `as` saturates).
fn round_to_u8(x: f64) -> u8 {
    x.round().clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use malt_store::Account;

    use super::*;
    use crate::delivery::Envelope;
    use crate::sender_auth::{AuthResults, DkimVerdict};

    fn account() -> Account {
        Account {
            id: 1,
            address: "bob@mail.test".into(),
            password_hash: String::new(),
            quota_bytes: None,
            used_bytes: 0,
            message_count: 0,
            highest_modseq: 0,
            created_at: 0,
        }
    }

    fn envelope() -> Envelope {
        Envelope {
            return_path: "a@b.example".into(),
            helo: "mx.b.example".into(),
            remote: IpAddr::from([192, 0, 2, 1]),
            hostname: "mail.test".into(),
            protocol: "LMTP".into(),
            id: "T".into(),
            received_at: 0,
            verify_sender: true,
        }
    }

    fn auth(spf: Verdict, dkim: Verdict, dmarc: Verdict, policy: DmarcPolicy) -> AuthResults {
        AuthResults {
            spf,
            spf_identity: "a@b.example".into(),
            dkim: vec![DkimVerdict {
                result: dkim,
                domain: "b.example".into(),
                selector: "s".into(),
            }],
            dmarc,
            dmarc_domain: "b.example".into(),
            dmarc_policy: policy,
            arc: Verdict::None,
            header: String::new(),
        }
    }

    fn scored(message: &[u8], auth: Option<&AuthResults>) -> (Option<u8>, Option<u8>) {
        scored_via(message, auth, "LMTP")
    }

    fn scored_via(message: &[u8], auth: Option<&AuthResults>, protocol: &str) -> (Option<u8>, Option<u8>) {
        let account = account();
        let envelope = Envelope {
            protocol: protocol.into(),
            ..envelope()
        };
        let s = scores(&FilterInput {
            account: &account,
            envelope: &envelope,
            recipient: "bob@mail.test",
            tag: None,
            message,
            auth,
        });
        (s.spam, s.spam_percent)
    }

    fn virus_scored(message: &str, protocol: &str) -> Option<u8> {
        let account = account();
        let envelope = Envelope {
            protocol: protocol.into(),
            ..envelope()
        };
        scores(&FilterInput {
            account: &account,
            envelope: &envelope,
            recipient: "bob@mail.test",
            tag: None,
            message: message.as_bytes(),
            auth: None,
        })
        .virus
    }

    #[test]
    fn virus_verdicts_from_a_front_filter() {
        let with = |fields: &str| format!("{fields}Subject: x\r\n\r\nbody");
        for (fields, expected) in [
            ("X-Virus-Status: Clean\r\n", Some(1)),
            ("X-Virus-Status: Infected (Eicar-Signature)\r\n", Some(5)),
            ("X-Virus-Scanned: clamav-milter 1.0.7 at mx\r\n", Some(1)),
            (
                "X-Virus-Scanned: amavisd-new\r\nX-Amavis-Alert: INFECTED, message contains virus: Eicar\r\n",
                Some(5),
            ),
            ("X-Virus: Eicar-Test-Signature\r\n", Some(5)),
            ("X-Virus:\r\nX-Virus-Scanned: rspamd\r\n", Some(1)),
            ("X-Virus-Status: unknown\r\n", None),
            ("", None),
        ] {
            assert_eq!(virus_scored(&with(fields), "LMTP"), expected, "{fields}");
            assert_eq!(virus_scored(&with(fields), "LOCAL"), expected, "{fields}");
        }
        // A field in the body is not a verdict; nor is one a sender wrote on any other path.
        assert_eq!(
            virus_scored("Subject: x\r\n\r\nX-Virus-Status: Clean\r\n", "LMTP"),
            None
        );
        for protocol in ["ESMTP", "ESMTPS", "ESMTPSA"] {
            assert_eq!(virus_scored(&with("X-Virus-Status: Clean\r\n"), protocol), None);
        }
    }

    #[test]
    fn spam_scores_from_a_front_filter() {
        let msg = |points: &str| format!("X-Spam-Score: {points}\r\nSubject: x\r\n\r\nbody");
        assert_eq!(scored(msg("0").as_bytes(), None), (Some(1), Some(0)));
        assert_eq!(scored(msg("5.0").as_bytes(), None), (Some(6), Some(50)));
        assert_eq!(
            scored(msg("8.5 (threshold 5)").as_bytes(), None),
            (Some(9), Some(85))
        );
        assert_eq!(scored(msg("42").as_bytes(), None), (Some(10), Some(100)));
        assert_eq!(scored(msg("-3").as_bytes(), None), (Some(1), Some(0)));
        assert_eq!(scored(msg("NaN").as_bytes(), None), (None, None));
        assert_eq!(scored(msg("spammy").as_bytes(), None), (None, None));
        assert_eq!(
            scored(b"Subject: x\r\n\r\nX-Spam-Score: 9\r\n", None),
            (None, None)
        );
    }

    #[test]
    fn spam_scores_from_the_mx_verdicts_ignore_the_senders_header() {
        let msg = b"X-Spam-Score: 0\r\n\r\nbody";
        let pass = auth(Verdict::Pass, Verdict::Pass, Verdict::Pass, DmarcPolicy::Reject);
        assert_eq!(scored(msg, Some(&pass)), (Some(1), Some(0)));
        let reject = auth(Verdict::Fail, Verdict::Fail, Verdict::Fail, DmarcPolicy::Reject);
        assert_eq!(scored(msg, Some(&reject)), (Some(9), Some(89)));
        let quarantine = auth(
            Verdict::Pass,
            Verdict::Fail,
            Verdict::Fail,
            DmarcPolicy::Quarantine,
        );
        assert_eq!(scored(msg, Some(&quarantine)), (Some(7), Some(67)));
        let spf_only = auth(Verdict::Fail, Verdict::None, Verdict::None, DmarcPolicy::None);
        assert_eq!(scored(msg, Some(&spf_only)), (Some(5), Some(44)));
        let dkim_saves = auth(Verdict::Fail, Verdict::Pass, Verdict::None, DmarcPolicy::None);
        assert_eq!(scored(msg, Some(&dkim_saves)), (Some(1), Some(0)));
    }

    #[test]
    fn the_wrapper_includes_globals_around_the_user_script() {
        let w = wrapper(2, Some("main"), 1);
        let names: Vec<(ScriptLocation, String)> = context::include_refs(&w);
        assert_eq!(
            names,
            [
                (ScriptLocation::Global, global_name(BEFORE, 0)),
                (ScriptLocation::Global, global_name(BEFORE, 1)),
                (ScriptLocation::Personal, "main".to_owned()),
                (ScriptLocation::Global, global_name(AFTER, 0)),
            ]
        );
        assert!(wrapper(0, None, 0).commands.is_empty());
        // A global name can never be written in a script's include.
        let limits = Limits::default();
        let source = format!(
            "require \"include\"; include :global \"{}\";",
            global_name(BEFORE, 0)
        );
        assert!(malt_sieve::compile("x", &source, &limits).is_err());
    }
}
