//! The queue runner: claims due messages from the store, routes and delivers their recipients,
//! records the results, and sends bounces and delay notices.
//!
//! The loop (one per node; several nodes may share a PostgreSQL queue):
//! 1. claim up to as many messages as there are free delivery slots (`concurrency`) with
//!    `queue_claim(now, now + lease)` — a lease, so a node that dies loses nothing;
//! 2. per message, in its own task: read the content, route every due Pending recipient
//!    ([`crate::route`]), group them by destination and deliver each group (locally through
//!    [`MailCore::deliver_message`], remotely through a [`Transport`]) under the
//!    per-destination limit (`per_destination`);
//! 3. per recipient: delivered → Delivered; `5xx` or refused → Failed (bounce); `4xx` or no
//!    connection → Pending at the next time of the schedule, or Failed with a "retry timeout"
//!    bounce once the message is older than `max_age` (RFC 5321 §4.5.4.1); after `delay_warning`
//!    one delay notice per recipient (`delay_notified`). NOTIFY and the null return path decide
//!    whether a DSN goes out at all ([`crate::dsn::wanted`]);
//! 4. DSNs are enqueued (null reverse-path, RFC 3461 §6.2) before `queue_update` records the
//!    results: a crash in between repeats a DSN rather than losing one;
//! 5. sleep until the next due time (`queue_next_due`), a wake-up (a message was queued), a
//!    delivery finished, or 30 s, whichever is first;
//! 6. on shutdown: claim nothing more, give deliveries in flight the grace period, then abort
//!    them and release their leases (`queue_release`) so they are retried at once on restart.
//!
//! Logs: one line per recipient attempt at info (queue id, recipient domain, route, result and
//! the reply) — never message content, never a relay password.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use malt_core::MailCore;
use malt_core::delivery::{Envelope, Outcome};
use malt_core::queue::QueueEnvelope;
use malt_store::{QueueId, QueueRecipient, QueuedMessage, RecipientStatus, RecipientUpdate, StoreError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

use crate::dsn::{self, Action, RecipientReport, Report};
use crate::route::{Route, Router};
use crate::schedule::{AfterTempFailure, RetryPolicy};

/// Longest sleep between two looks at the queue (a CLI flush or release is noticed within it).
pub const MAX_SLEEP: Duration = Duration::from_secs(30);

/// What one remote delivery attempt gave for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteResult {
    pub kind: ResultKind,
    /// The reply that says why (the server's, or a local one with an RFC 3463 code).
    pub reply: String,
    /// The server that answered, if one was reached.
    pub remote_mta: Option<String>,
}

/// The kind of a [`RemoteResult`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultKind {
    /// Accepted. `dsn_passed_on`: the next hop took the NOTIFY parameters (it offered DSN), so it
    /// reports success itself; else a `relayed` DSN is due when NOTIFY asked for success.
    Delivered {
        dsn_passed_on: bool,
    },
    TempFail,
    PermFail,
}

/// Delivery to other servers (implemented for `malt_outbound::Outbound`; tests may plug in
/// their own). `route` is [`Route::Mx`] or [`Route::Relay`]; one result per recipient, in order.
pub trait Transport: Send + Sync + 'static {
    fn deliver(
        &self,
        route: &Route,
        message: &QueuedMessage,
        recipients: &[QueueRecipient],
        body: &[u8],
    ) -> impl Future<Output = Vec<RemoteResult>> + Send;
}

/// The runner's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// This server's name (`Reporting-MTA`, `MAILER-DAEMON@…`, trace headers).
    pub hostname: String,
    pub policy: RetryPolicy,
    pub router: Router,
    /// Messages in delivery at once.
    pub concurrency: usize,
    /// Deliveries at once per destination ([`Route::key`]); local delivery is not limited.
    pub per_destination: usize,
    /// Seconds a claimed message stays leased.
    pub lease_secs: i64,
    /// On shutdown, how long deliveries in flight may take before they are aborted.
    pub shutdown_grace: Duration,
}

impl Settings {
    /// From `[queue]` (routes compiled, relay password files read).
    pub fn from_config(config: &malt_config::Config) -> Result<Settings, crate::route::RouteError> {
        let q = &config.queue;
        Ok(Settings {
            hostname: config.hostname.clone(),
            policy: RetryPolicy::from_config(q),
            router: Router::from_config(q)?,
            concurrency: q.concurrency.max(1),
            per_destination: q.per_destination.max(1),
            lease_secs: i64::try_from(q.lease_secs).unwrap_or(i64::MAX).max(1),
            shutdown_grace: Duration::from_secs(config.timeouts.shutdown_grace_secs),
        })
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Per-destination semaphores; an entry is dropped once nobody holds or waits for it, so the
/// map stays as small as the set of destinations in flight.
#[derive(Debug, Default)]
struct Limits {
    per_destination: usize,
    map: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Limits {
    async fn acquire(&self, key: &str) -> Option<OwnedSemaphorePermit> {
        let sem = {
            let mut map = self.map.lock().ok()?;
            map.retain(|_, s| Arc::strong_count(s) > 1);
            map.entry(key.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_destination)))
                .clone()
        };
        sem.acquire_owned().await.ok()
    }
}

struct Shared<T> {
    core: MailCore,
    transport: Arc<T>,
    settings: Settings,
    limits: Limits,
}

/// Runs the queue until `shutdown` becomes true. [`MailCore::enqueue`] wakes it through
/// [`MailCore::queue_notify`].
pub async fn run<T: Transport>(
    core: MailCore,
    transport: Arc<T>,
    settings: Settings,
    mut shutdown: watch::Receiver<bool>,
) {
    let wake = core.queue_notify();
    let slots = Arc::new(Semaphore::new(settings.concurrency));
    let shared = Arc::new(Shared {
        limits: Limits {
            per_destination: settings.per_destination,
            map: Mutex::default(),
        },
        core,
        transport,
        settings,
    });
    let store = shared.core.storage().store.clone();
    let mut tasks: JoinSet<QueueId> = JoinSet::new();
    let mut in_flight: HashMap<tokio::task::Id, QueueId> = HashMap::new();
    tracing::info!("queue runner started");
    while !*shutdown.borrow() {
        let free = slots.available_permits();
        if free > 0 {
            let now = now();
            let limit = u32::try_from(free).unwrap_or(u32::MAX);
            match store
                .queue_claim(now, now.saturating_add(shared.settings.lease_secs), limit)
                .await
            {
                Ok(messages) => {
                    for m in messages {
                        let Ok(permit) = slots.clone().try_acquire_owned() else {
                            // Cannot happen (we claimed at most `free`); give the lease back.
                            release(&shared, m.id).await;
                            continue;
                        };
                        let id = m.id;
                        let s = shared.clone();
                        let handle = tasks.spawn(async move {
                            process(&s, m).await;
                            drop(permit);
                            id
                        });
                        in_flight.insert(handle.id(), id);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "queue claim failed"),
            }
        }
        let sleep = match store.queue_next_due().await {
            Ok(Some(due)) => {
                let secs = due.saturating_sub(now()).clamp(0, MAX_SLEEP.as_secs() as i64);
                Duration::from_secs(secs.unsigned_abs())
            }
            Ok(None) => MAX_SLEEP,
            Err(e) => {
                tracing::warn!(error = %e, "queue_next_due failed");
                MAX_SLEEP
            }
        };
        // Due now: with every slot busy, a finishing delivery wakes us (no spin); with free
        // slots, another node took it first or it became due just now: look again shortly.
        let sleep = match (sleep.is_zero(), slots.available_permits()) {
            (true, 0) => MAX_SLEEP,
            (true, _) => Duration::from_millis(100),
            (false, _) => sleep,
        };
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = wake.notified() => {}
            _ = shutdown.changed() => {}
            Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                let task = match &done {
                    Ok((task, _)) => *task,
                    Err(e) => e.id(),
                };
                in_flight.remove(&task);
            }
        }
    }
    tracing::info!(in_flight = tasks.len(), "queue runner stopping");
    let grace = tokio::time::sleep(shared.settings.shutdown_grace);
    tokio::pin!(grace);
    while !tasks.is_empty() {
        tokio::select! {
            _ = &mut grace => break,
            done = tasks.join_next_with_id() => match done {
                Some(Ok((task, _))) => { in_flight.remove(&task); }
                Some(Err(e)) => { in_flight.remove(&e.id()); }
                None => break,
            },
        }
    }
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    for id in in_flight.into_values() {
        release(&shared, id).await;
    }
    tracing::info!("queue runner stopped");
}

async fn release<T>(shared: &Shared<T>, id: QueueId) {
    match shared.core.storage().store.queue_release(id).await {
        Ok(()) | Err(StoreError::NotFound(_)) => {}
        Err(e) => tracing::warn!(queue_id = id, error = %e, "queue release failed"),
    }
}

/// What became of one recipient in this attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub kind: ResultKind,
    pub reply: String,
    pub remote_mta: Option<String>,
    /// Delivered to a mailbox here (a `delivered` DSN), not handed on.
    pub local: bool,
}

/// The new state of a recipient after `attempt`, and the DSN block it causes (if the sender
/// wants one). Pure: see the module docs, step 3.
pub fn decide(
    policy: &RetryPolicy,
    msg: &QueuedMessage,
    r: &QueueRecipient,
    attempt: &Attempt,
    now: i64,
) -> (RecipientUpdate, Option<RecipientReport>) {
    let mut update = RecipientUpdate {
        id: r.id,
        status: RecipientStatus::Pending,
        next_attempt: now,
        last_error: None,
        delay_notified: r.delay_notified,
    };
    let report = |action: Action, status: String, until: Option<i64>| RecipientReport {
        address: r.address.clone(),
        orcpt: r.orcpt.clone(),
        action,
        status,
        remote_mta: attempt.remote_mta.clone(),
        diagnostic: Some(attempt.reply.clone()),
        last_attempt: now,
        will_retry_until: until,
    };
    let wanted = |action| dsn::wanted(&msg.return_path, r.notify, action);
    let dsn = match attempt.kind {
        ResultKind::Delivered { dsn_passed_on } => {
            update.status = RecipientStatus::Delivered;
            let action = if attempt.local {
                Action::Delivered
            } else {
                Action::Relayed
            };
            (!dsn_passed_on && wanted(action))
                .then(|| report(action, dsn::status_of(&attempt.reply, "2.0.0"), None))
        }
        ResultKind::PermFail => {
            update.status = RecipientStatus::Failed;
            update.last_error = Some(attempt.reply.clone());
            wanted(Action::Failed)
                .then(|| report(Action::Failed, dsn::status_of(&attempt.reply, "5.0.0"), None))
        }
        ResultKind::TempFail => match policy.after_temp_failure(msg.created_at, r.attempts, now) {
            AfterTempFailure::RetryAt(at) => {
                update.next_attempt = at;
                update.last_error = Some(attempt.reply.clone());
                let delay_due = policy.delay_warning_due(msg.created_at, now) && !r.delay_notified;
                if delay_due && wanted(Action::Delayed) {
                    update.delay_notified = true;
                    let until = policy.expires_at(msg.created_at);
                    Some(report(
                        Action::Delayed,
                        dsn::status_of(&attempt.reply, "4.0.0"),
                        Some(until),
                    ))
                } else {
                    None
                }
            }
            AfterTempFailure::GiveUp => {
                update.status = RecipientStatus::Failed;
                let reason = format!("retry timeout exceeded; last error: {}", attempt.reply);
                update.last_error = Some(reason);
                wanted(Action::Failed).then(|| report(Action::Failed, "4.4.7".to_owned(), None))
            }
        },
    };
    (update, dsn)
}

fn temp(reply: impl Into<String>) -> Attempt {
    Attempt {
        kind: ResultKind::TempFail,
        reply: reply.into(),
        remote_mta: None,
        local: false,
    }
}

fn perm(reply: impl Into<String>) -> Attempt {
    Attempt {
        kind: ResultKind::PermFail,
        reply: reply.into(),
        remote_mta: None,
        local: false,
    }
}

/// The result of local delivery as an SMTP-like reply (the codes LMTP gives, RFC 3463).
fn local_attempt(address: &str, outcome: &Outcome) -> Attempt {
    match outcome {
        Outcome::Delivered(_) => Attempt {
            kind: ResultKind::Delivered { dsn_passed_on: false },
            reply: "250 2.0.0 delivered to mailbox".to_owned(),
            remote_mta: None,
            local: true,
        },
        Outcome::NoSuchUser => perm(format!("550 5.1.1 <{address}>: no such user here")),
        Outcome::OverQuota { permanent: true } => perm("552 5.2.2 mailbox full: message exceeds the quota"),
        Outcome::OverQuota { permanent: false } => temp("452 4.2.2 mailbox full"),
        Outcome::TooBig => perm("552 5.3.4 message too big"),
        Outcome::TempFail => temp("451 4.3.0 local delivery failed, will retry"),
        // A Sieve refusal (RFC 5429): the bounce (RFC 3464 DSN) says why.
        Outcome::Rejected(reason) => perm(format!(
            "550 5.7.1 <{address}>: rejected by the recipient: {}",
            malt_core::compose::clean(reason)
        )),
    }
}

/// Delivers one message's due recipients and records the results (module docs, steps 2-4).
async fn process<T: Transport>(shared: &Shared<T>, msg: QueuedMessage) {
    let now = now();
    let due: Vec<QueueRecipient> = msg
        .recipients
        .iter()
        .filter(|r| r.status == RecipientStatus::Pending && r.next_attempt <= now)
        .cloned()
        .collect();
    if due.is_empty() {
        release(shared, msg.id).await;
        return;
    }
    let storage = shared.core.storage();
    let blobs = storage.blobs.clone();
    let blob_id = msg.blob_id.clone();
    let body = tokio::task::spawn_blocking(move || blobs.get(&blob_id))
        .await
        .map_err(StoreError::backend)
        .and_then(|r| r);
    let attempts: Vec<Attempt> = match body {
        Ok(body) => deliver_all(shared, &msg, &due, Arc::new(body)).await,
        Err(e) => {
            tracing::error!(queue_id = msg.id, error = %e, "cannot read queued message content");
            due.iter()
                .map(|_| temp("451 4.3.0 queued message content unreadable"))
                .collect()
        }
    };

    let now = self::now();
    let mut updates = Vec::with_capacity(due.len());
    let mut reports: Vec<RecipientReport> = Vec::new();
    for (r, attempt) in due.iter().zip(&attempts) {
        let (update, report) = decide(&shared.settings.policy, &msg, r, attempt, now);
        let result = match update.status {
            RecipientStatus::Delivered => "delivered",
            RecipientStatus::Failed => "bounced",
            RecipientStatus::Pending => "deferred",
        };
        tracing::info!(
            queue_id = msg.id,
            domain = %r.domain,
            attempt = r.attempts + 1,
            result,
            remote = attempt.remote_mta.as_deref().unwrap_or(""),
            reply = %attempt.reply.replace(['\r', '\n'], " "),
            "delivery attempt"
        );
        metrics::counter!("malt_queue_attempts_total", "result" => result).increment(1);
        updates.push(update);
        reports.extend(report);
    }
    send_reports(shared, &msg, reports, now).await;
    match storage.store.queue_update(msg.id, updates).await {
        Ok(()) => {}
        Err(StoreError::NotFound(_)) => {
            tracing::info!(
                queue_id = msg.id,
                "message left the queue during delivery (deleted)"
            );
        }
        Err(e) => {
            tracing::error!(queue_id = msg.id, error = %e, "cannot record delivery results");
            release(shared, msg.id).await;
        }
    }
}

/// Routes and delivers `due`; one [`Attempt`] per recipient, in order.
async fn deliver_all<T: Transport>(
    shared: &Shared<T>,
    msg: &QueuedMessage,
    due: &[QueueRecipient],
    body: Arc<Vec<u8>>,
) -> Vec<Attempt> {
    let store = &shared.core.storage().store;
    let mut local_domains: HashMap<String, bool> = HashMap::new();
    let mut groups: Vec<(Route, Vec<usize>)> = Vec::new();
    let mut out: Vec<Option<Attempt>> = vec![None; due.len()];
    for (i, r) in due.iter().enumerate() {
        let local = match local_domains.get(&r.domain) {
            Some(&l) => l,
            None => match store.domain_get(&r.domain).await {
                Ok(d) => *local_domains.entry(r.domain.clone()).or_insert(d.is_some()),
                Err(e) => {
                    tracing::warn!(queue_id = msg.id, error = %e, "domain lookup failed");
                    if let Some(slot) = out.get_mut(i) {
                        *slot = Some(temp("451 4.3.0 temporary lookup failure"));
                    }
                    continue;
                }
            },
        };
        let route = shared.settings.router.route(&r.address, local);
        if route == Route::Refuse {
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(perm(format!(
                    "550 5.7.1 <{}>: delivery refused by policy",
                    r.address
                )));
            }
            continue;
        }
        match groups.iter_mut().find(|(g, _)| *g == route) {
            Some((_, members)) => members.push(i),
            None => groups.push((route, vec![i])),
        }
    }

    let msg = Arc::new(msg.clone());
    let mut set = JoinSet::new();
    for (route, members) in groups {
        let rcpts: Vec<QueueRecipient> = members.iter().filter_map(|&i| due.get(i).cloned()).collect();
        let (core, transport, msg, body) = (
            shared.core.clone(),
            shared.transport.clone(),
            msg.clone(),
            body.clone(),
        );
        let permit = match route {
            Route::Local => None,
            _ => shared.limits.acquire(&route.key()).await,
        };
        let hostname = shared.settings.hostname.clone();
        set.spawn(async move {
            let attempts = match &route {
                Route::Local => deliver_local(&core, &hostname, &msg, &rcpts, &body).await,
                _ => transport
                    .deliver(&route, &msg, &rcpts, &body)
                    .await
                    .into_iter()
                    .map(|r| Attempt {
                        kind: r.kind,
                        reply: r.reply,
                        remote_mta: r.remote_mta,
                        local: false,
                    })
                    .collect(),
            };
            drop(permit);
            (members, attempts)
        });
    }
    while let Some(done) = set.join_next().await {
        match done {
            Ok((members, attempts)) => {
                for (i, a) in members.into_iter().zip(attempts) {
                    if let Some(slot) = out.get_mut(i) {
                        *slot = Some(a);
                    }
                }
            }
            Err(e) => tracing::error!(queue_id = msg.id, error = %e, "delivery task failed"),
        }
    }
    out.into_iter()
        .map(|a| a.unwrap_or_else(|| temp("451 4.3.0 delivery was not completed, will retry")))
        .collect()
}

async fn deliver_local(
    core: &MailCore,
    hostname: &str,
    msg: &QueuedMessage,
    rcpts: &[QueueRecipient],
    body: &[u8],
) -> Vec<Attempt> {
    let env = Envelope {
        return_path: msg.return_path.clone(),
        helo: hostname.to_owned(),
        remote: IpAddr::V4(Ipv4Addr::LOCALHOST),
        hostname: hostname.to_owned(),
        protocol: "ESMTP".to_owned(),
        id: format!("Q{}", msg.id),
        received_at: now(),
        // Checked, if at all, when the message was received, not at each retry from the queue.
        verify_sender: false,
    };
    let addresses: Vec<String> = rcpts.iter().map(|r| r.address.clone()).collect();
    let outcomes = core.deliver_message(&env, &addresses, body).await;
    rcpts
        .iter()
        .zip(&outcomes)
        .map(|(r, o)| local_attempt(&r.address, o))
        .collect()
}

/// Sends the DSNs of one message: one report for failures, one for delays, one for successes.
async fn send_reports<T>(shared: &Shared<T>, msg: &QueuedMessage, reports: Vec<RecipientReport>, now: i64) {
    if reports.is_empty() || msg.return_path.is_empty() {
        return;
    }
    let (failed, rest): (Vec<_>, Vec<_>) = reports.into_iter().partition(|r| r.action == Action::Failed);
    let (delayed, success): (Vec<_>, Vec<_>) = rest.into_iter().partition(|r| r.action == Action::Delayed);
    let blobs = shared.core.storage().blobs.clone();
    let blob_id = msg.blob_id.clone();
    let original = tokio::task::spawn_blocking(move || blobs.get(&blob_id))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    for recipients in [failed, delayed, success] {
        if recipients.is_empty() {
            continue;
        }
        let kind = recipients.first().map(|r| r.action.as_str()).unwrap_or("");
        let report = Report {
            hostname: &shared.settings.hostname,
            to: &msg.return_path,
            envid: msg.envid.as_deref(),
            arrival_date: msg.created_at,
            date: now,
            recipients,
            original: &original,
            ret_full: msg.ret_full,
        };
        let raw = dsn::build(&report);
        match enqueue_dsn(&shared.core, &msg.return_path, &raw).await {
            Ok(id) => tracing::info!(queue_id = msg.id, dsn_queue_id = id, kind, "DSN queued"),
            Err(e) => tracing::error!(queue_id = msg.id, error = %e, kind, "cannot queue DSN"),
        }
    }
}

/// Queues a DSN for `to` with the null reverse-path (RFC 3461 §6.2: never a DSN about a DSN).
async fn enqueue_dsn(core: &MailCore, to: &str, raw: &[u8]) -> Result<QueueId, StoreError> {
    let env = QueueEnvelope {
        return_path: String::new(),
        envid: None,
        ret_full: false,
        submitter: None,
    };
    core.enqueue(&env, &[(to.to_owned(), None, None)], raw).await
}

#[cfg(test)]
mod tests {
    use malt_store::DsnNotify;

    use super::*;

    fn msg(return_path: &str) -> QueuedMessage {
        QueuedMessage {
            id: 7,
            blob_id: "b".into(),
            size: 10,
            return_path: return_path.into(),
            envid: None,
            ret_full: false,
            created_at: 1000,
            submitter: None,
            held: false,
            recipients: vec![],
        }
    }

    fn rcpt(attempts: u32, notify: Option<DsnNotify>, delay_notified: bool) -> QueueRecipient {
        QueueRecipient {
            id: 3,
            address: "bob@remote.test".into(),
            domain: "remote.test".into(),
            orcpt: None,
            notify,
            status: RecipientStatus::Pending,
            attempts,
            next_attempt: 0,
            last_error: None,
            delay_notified,
        }
    }

    fn attempt(kind: ResultKind, reply: &str, local: bool) -> Attempt {
        Attempt {
            kind,
            reply: reply.into(),
            remote_mta: Some("mx.remote.test".into()),
            local,
        }
    }

    fn policy() -> RetryPolicy {
        RetryPolicy::new(&[60, 120], 10_000, 500)
    }

    const SUCCESS: Option<DsnNotify> = Some(DsnNotify {
        success: true,
        failure: false,
        delay: false,
        never: false,
    });

    #[test]
    fn delivered() {
        let (u, d) = decide(
            &policy(),
            &msg("a@x"),
            &rcpt(0, None, false),
            &attempt(ResultKind::Delivered { dsn_passed_on: false }, "250 ok", false),
            1100,
        );
        assert_eq!(u.status, RecipientStatus::Delivered);
        assert!(d.is_none(), "no success DSN unless asked");
        // NOTIFY=SUCCESS: the success DSN's action, if one is due.
        let success = |dsn_passed_on, local| {
            decide(
                &policy(),
                &msg("a@x"),
                &rcpt(0, SUCCESS, false),
                &attempt(ResultKind::Delivered { dsn_passed_on }, "250 2.0.0 ok", local),
                1100,
            )
            .1
            .map(|d| d.action)
        };
        assert_eq!(success(false, false), Some(Action::Relayed));
        assert_eq!(success(false, true), Some(Action::Delivered));
        assert!(
            success(true, false).is_none(),
            "the next hop reports success itself"
        );
    }

    #[test]
    fn permanent_failure() {
        let (u, d) = decide(
            &policy(),
            &msg("a@x"),
            &rcpt(0, None, false),
            &attempt(ResultKind::PermFail, "550 5.1.1 no such user", false),
            1100,
        );
        assert_eq!(u.status, RecipientStatus::Failed);
        assert_eq!(u.last_error.as_deref(), Some("550 5.1.1 no such user"));
        let d = d.unwrap();
        assert_eq!((d.action, d.status.as_str()), (Action::Failed, "5.1.1"));
        assert_eq!(d.remote_mta.as_deref(), Some("mx.remote.test"));
        let (_, d) = decide(
            &policy(),
            &msg(""),
            &rcpt(0, None, false),
            &attempt(ResultKind::PermFail, "550 5.1.1 x", false),
            1100,
        );
        assert!(d.is_none(), "never a DSN to the null sender");
        let (_, d) = decide(
            &policy(),
            &msg("a@x"),
            &rcpt(0, SUCCESS, false),
            &attempt(ResultKind::PermFail, "550 5.1.1 x", false),
            1100,
        );
        assert!(d.is_none(), "NOTIFY=SUCCESS only");
    }

    #[test]
    fn temporary_failure_retries_then_warns_once_then_gives_up() {
        let p = policy();
        let m = msg("a@x");
        let t = attempt(ResultKind::TempFail, "451 4.3.0 later", false);
        let (u, d) = decide(&p, &m, &rcpt(0, None, false), &t, 1100);
        assert_eq!((u.status, u.next_attempt), (RecipientStatus::Pending, 1160));
        assert!(d.is_none() && !u.delay_notified, "too early for a delay notice");
        let (u, d) = decide(&p, &m, &rcpt(1, None, false), &t, 1500);
        assert_eq!(u.next_attempt, 1620);
        assert!(u.delay_notified);
        let d = d.unwrap();
        assert_eq!(
            (d.action, d.status.as_str(), d.will_retry_until),
            (Action::Delayed, "4.3.0", Some(11_000))
        );
        let (u, d) = decide(&p, &m, &rcpt(2, None, true), &t, 1700);
        assert!(d.is_none() && u.delay_notified, "one delay notice per recipient");
        let never_delay = Some(DsnNotify {
            failure: true,
            ..DsnNotify::default()
        });
        let (u, d) = decide(&p, &m, &rcpt(1, never_delay, false), &t, 1500);
        assert!(d.is_none() && !u.delay_notified);
        let (u, d) = decide(&p, &m, &rcpt(9, None, true), &t, 11_000);
        assert_eq!(u.status, RecipientStatus::Failed);
        assert!(
            u.last_error
                .unwrap()
                .starts_with("retry timeout exceeded; last error: 451 4.3.0")
        );
        let d = d.unwrap();
        assert_eq!((d.action, d.status.as_str()), (Action::Failed, "4.4.7"));
    }

    #[test]
    fn local_outcomes() {
        assert_eq!(
            local_attempt("a@b", &Outcome::NoSuchUser).kind,
            ResultKind::PermFail
        );
        assert!(
            local_attempt("a@b", &Outcome::NoSuchUser)
                .reply
                .starts_with("550 5.1.1")
        );
        assert_eq!(
            local_attempt("a@b", &Outcome::OverQuota { permanent: false }).kind,
            ResultKind::TempFail
        );
        assert_eq!(
            local_attempt("a@b", &Outcome::OverQuota { permanent: true }).kind,
            ResultKind::PermFail
        );
        assert_eq!(
            local_attempt("a@b", &Outcome::TempFail).kind,
            ResultKind::TempFail
        );
        assert!(local_attempt("a@b", &Outcome::Delivered(vec![])).local);
        let rejected = local_attempt("a@b", &Outcome::Rejected("not\r\nwanted".into()));
        assert_eq!(rejected.kind, ResultKind::PermFail);
        assert_eq!(
            rejected.reply,
            "550 5.7.1 <a@b>: rejected by the recipient: not  wanted"
        );
    }
}
