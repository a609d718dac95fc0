//! Malt's listener layer, shared by every protocol, and its HTTP endpoints.
//!
//! - [`tls`]: the certificate (configured or self-signed), hot-reloadable on SIGHUP.
//! - [`listener`]: [`Server`] (accept loops, limits, PROXY protocol, implicit TLS, graceful shutdown),
//!   [`Connection`] (with STARTTLS), the [`Handler`] trait each protocol implements, and [`SessionContext`].
//! - [`proxy`]: the PROXY protocol v1/v2 header reader.
//! - [`unix`]: Unix domain socket listeners (the socket file: stale-file replacement, mode, removal).
//! - [`http`]: `/healthz` and `/metrics` as an axum router, served by [`http::HttpHandler`].
//! - [`metrics`]: the process-wide Prometheus recorder and metric names.
//! - [`placeholder`]: "not available yet" handlers for protocols not implemented yet.

pub mod http;
pub mod listener;
pub mod metrics;
pub mod placeholder;
pub mod proxy;
pub mod tls;
pub mod unix;

pub use listener::{
    Connection, Handler, Server, ServerError, SessionContext, Transport, Wait, plaintext_auth_allowed,
    take_for_starttls, with_idle_timeout,
};
pub use tls::{TlsError, TlsManager};
pub use unix::{UNIX_PEER_ADDR, UnixPeer};
