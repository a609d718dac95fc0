//! The Prometheus recorder, installed once per process, and the names of the metrics this crate records.
//!
//! Invariants:
//! - [`install`] is idempotent: the first call installs the global `metrics` recorder and every later call
//!   returns the same handle (tests start many servers in one process). If some other recorder was
//!   installed first, it fails and `/metrics` answers 503.
//! - Metrics are described (`describe_*`) once, right after installation, so `/metrics` shows HELP lines.

use std::sync::Mutex;

use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

/// Gauge: sessions running, by `protocol`.
pub const SESSIONS_ACTIVE: &str = "malt_sessions_active";
/// Counter: sessions started (after limits, PROXY header and implicit TLS), by `protocol`.
pub const SESSIONS_TOTAL: &str = "malt_sessions_total";
/// Counter: connections closed before a session started, by `reason` (`max_connections`,
/// `max_connections_per_ip`, `untrusted_proxy`, `proxy_header`, `proxy_timeout`, `tls_handshake`).
pub const CONNECTIONS_REFUSED: &str = "malt_connections_refused_total";
/// Histogram: store call latency in seconds, by `op`.
pub const STORE_LATENCY: &str = "malt_store_latency_seconds";
/// Counter: login attempts, by `result` (recorded by the protocol and auth code).
pub const LOGINS_TOTAL: &str = "malt_logins_total";
/// Counter: messages delivered to a mailbox (recorded by the delivery code).
pub const DELIVERIES_TOTAL: &str = "malt_deliveries_total";

static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);

/// Installs the Prometheus recorder on the first call; returns its handle on every call.
pub fn install() -> Result<PrometheusHandle, BuildError> {
    let mut slot = HANDLE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(h) = slot.as_ref() {
        return Ok(h.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(STORE_LATENCY.to_string()),
            &[
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ],
        )?
        .install_recorder()?;
    describe();
    *slot = Some(handle.clone());
    Ok(handle)
}

/// The handle, if [`install`] succeeded before.
pub fn handle() -> Option<PrometheusHandle> {
    HANDLE.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_gauge!(SESSIONS_ACTIVE, "Sessions currently running, by protocol.");
    describe_counter!(SESSIONS_TOTAL, "Sessions started, by protocol.");
    describe_counter!(
        CONNECTIONS_REFUSED,
        "Connections closed before a session started, by reason."
    );
    describe_histogram!(
        STORE_LATENCY,
        Unit::Seconds,
        "Latency of store calls, by operation."
    );
    describe_counter!(LOGINS_TOTAL, "Login attempts, by result.");
    describe_counter!(DELIVERIES_TOTAL, "Messages delivered to mailboxes.");
}
