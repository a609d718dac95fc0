//! Malt's outbound queue runner: it takes messages from the durable queue in the store
//! (`Store::queue_*`), routes each recipient, delivers (locally, or over SMTP through
//! `malt-outbound`), and records the result, with retries, bounces and delay notices.
//!
//! - [`schedule`]: the retry schedule (RFC 5321 §4.5.4.1) — pure functions;
//! - [`dsn`]: delivery status notifications (RFC 3464, RFC 6522) and when they are due (RFC 3461);
//! - [`route`]: transport maps and relayhost;
//! - [`outbound`]: the [`Transport`] over `malt-outbound` (SMTP to MX hosts and relays);
//! - [`runner`]: the loop that claims, delivers and updates.
//!
//! Invariants: a recipient's state lives only in the store (a crash loses at most a lease's
//! worth of time, never a message); DSNs are enqueued before the result that causes them is
//! recorded (a crash in between may repeat a DSN, never lose one); message content never reaches
//! the logs.

pub mod dsn;
pub mod outbound;
pub mod route;
pub mod runner;
pub mod schedule;

pub use runner::{RemoteResult, ResultKind, Settings, Transport, run};
