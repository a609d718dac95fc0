//! HTTP: `/healthz` and `/metrics`, served over a [`Connection`] from the shared accept loop.
//!
//! Invariants:
//! - `/healthz` answers `200 ok` only if the store answered a cheap query (`journal_head`) within
//!   [`HEALTH_TIMEOUT`]; otherwise `503`. The error goes to the log, not to the client. Its latency is
//!   recorded in `malt_store_latency_seconds{op="journal_head"}`.
//! - `/metrics` renders the process-wide Prometheus recorder ([`crate::metrics::install`]); `503` if none.
//! - One HTTP/1.1 connection per session, served by hyper; on shutdown the connection finishes its
//!   in-flight request and closes (hyper's graceful shutdown). Request headers must arrive within
//!   `timeouts.handshake_secs`.
//! - Every request carries the [`Peer`] of its connection as an extension (`Extension<Peer>`), so
//!   routes that authenticate know the client's address and whether a plaintext password may be
//!   accepted on this connection (the rule IMAP and POP3 follow).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use malt_store::Store;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::listener::{Connection, Handler, SessionContext};

/// How long `/healthz` waits for the store.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);

/// A boxed health-check future: `Err` carries a message for the log.
pub type HealthFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
/// A health check, called once per `/healthz` request.
pub type HealthCheck = Arc<dyn Fn() -> HealthFuture + Send + Sync>;

/// A health check that asks the store for its journal head.
pub fn store_health_check(store: Arc<dyn Store>) -> HealthCheck {
    Arc::new(move || {
        let store = store.clone();
        Box::pin(async move { store.journal_head().await.map(|_| ()).map_err(|e| e.to_string()) })
    })
}

/// What the HTTP routes need.
#[derive(Clone)]
pub struct HttpState {
    health: HealthCheck,
    metrics: Option<PrometheusHandle>,
}

impl HttpState {
    /// State with `health` and the process's Prometheus recorder (installed if not yet).
    pub fn new(health: HealthCheck) -> Self {
        let metrics = match crate::metrics::install() {
            Ok(h) => Some(h),
            Err(e) => {
                tracing::warn!("metrics recorder not installed, /metrics will answer 503: {e}");
                None
            }
        };
        HttpState { health, metrics }
    }
}

/// The router with `/healthz` and `/metrics`. Other routes can be merged in by the caller.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .with_state(state)
}

async fn healthz(State(state): State<HttpState>) -> Response {
    let start = Instant::now();
    let result = tokio::time::timeout(HEALTH_TIMEOUT, (state.health)()).await;
    metrics::histogram!(crate::metrics::STORE_LATENCY, "op" => "journal_head")
        .record(start.elapsed().as_secs_f64());
    match result {
        Ok(Ok(())) => (StatusCode::OK, "ok\n").into_response(),
        Ok(Err(e)) => {
            tracing::warn!("health check failed: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response()
        }
        Err(_) => {
            tracing::warn!("health check timed out after {}s", HEALTH_TIMEOUT.as_secs());
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response()
        }
    }
}

async fn metrics_text(State(state): State<HttpState>) -> Response {
    match &state.metrics {
        Some(h) => {
            h.run_upkeep();
            (
                [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
                h.render(),
            )
                .into_response()
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder not installed\n",
        )
            .into_response(),
    }
}

/// The connection a request came on, inserted into every request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// The client (the PROXY header's source when there was one).
    pub remote: SocketAddr,
    /// The connection is TLS.
    pub tls: bool,
    /// A plaintext password (HTTP Basic) may be accepted: TLS, loopback, or
    /// `auth.allow_plaintext_without_tls` ([`SessionContext::plaintext_auth_allowed`]).
    pub plaintext_auth_allowed: bool,
}

/// Serves a [`Router`] on each HTTP connection.
#[derive(Clone)]
pub struct HttpHandler {
    router: Router,
}

impl HttpHandler {
    /// A handler serving `router`.
    pub fn new(router: Router) -> Self {
        HttpHandler { router }
    }
}

#[async_trait]
impl Handler for HttpHandler {
    async fn handle(&self, conn: Connection, ctx: SessionContext) {
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(ctx.handshake_timeout());
        let peer = Peer {
            remote: conn.remote,
            tls: conn.is_tls(),
            plaintext_auth_allowed: ctx.plaintext_auth_allowed(&conn),
        };
        let service = TowerToHyperService::new(self.router.clone().layer(Extension(peer)));
        let serving = builder.serve_connection(TokioIo::new(conn), service);
        tokio::pin!(serving);
        let result = tokio::select! {
            r = serving.as_mut() => r,
            () = ctx.shutdown_signal() => {
                serving.as_mut().graceful_shutdown();
                serving.await
            }
        };
        if let Err(e) = result {
            tracing::debug!("HTTP connection ended: {e}");
        }
    }
}
