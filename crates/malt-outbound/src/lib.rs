//! Malt's outbound SMTP delivery: finding where mail goes and handing it over (RFC 5321 as a client).
//!
//! This crate knows nothing of the store or the queue: the queue runner (in `malt-core` or above) picks
//! messages, groups their recipients by [`Destination`], calls [`Outbound::deliver`], and turns each
//! [`RecipientResult`] into "done", "retry later" or "bounce".
//!
//! Layers, bottom up:
//! - [`reply`]: reading server replies, bounded (no I/O; unit and property tested).
//! - [`command`]: EHLO extensions, MAIL/RCPT lines with their ESMTP parameters, DATA dot-stuffing (no I/O).
//! - [`resolve`]: MX lookup (RFC 5321 §5.1, RFC 7505 null MX) on hickory-resolver.
//! - [`tls`]: opportunistic (any certificate, RFC 7435) and verified client TLS configurations.
//! - [`client`]: one SMTP session to one address (EHLO, STARTTLS, AUTH, PIPELINING, CHUNKING, timeouts).
//! - [`pool`]: idle sessions kept per destination for reuse.
//! - [`deliver`]: the whole attempt for one message and one destination: routing, MX fallback, loop
//!   detection, per-recipient results.
//!
//! Invariants kept across the crate: nothing panics on what a server or DNS sends; every wait has a
//! timeout; every buffer has a limit; credentials never reach logs.

pub mod client;
pub mod command;
pub mod deliver;
pub mod pool;
pub mod reply;
pub mod resolve;
pub mod tls;

pub use client::{Connection, Credentials, Peer, SessionError, Stage, Timeouts, TlsPolicy};
pub use command::{DsnNotify, DsnRet, Extensions};
pub use deliver::{
    Destination, Outbound, OutboundError, OutboundMessage, OutboundRecipient, Outcome, RecipientResult,
    Remote, Settings,
};
pub use malt_smtp_proto::Reply;
pub use resolve::{MxHost, ResolveError, Resolver};
