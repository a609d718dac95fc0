//! Malt's SMTP/LMTP codec: no sockets, no storage.
//!
//! Command syntax is parsed by the `smtp-proto` crate (Apache-2.0 OR MIT, Stalwart Labs), which knows
//! RFC 5321 paths (quoted local parts, the null path `<>`, address literals) and the MAIL/RCPT parameters
//! of the ESMTP extensions. This crate puts Malt's limits and policy around it:
//!
//! - [`command`]: [`parse_command`] on one complete line of at most [`MAX_COMMAND_LINE`] octets ([`MAX_AUTH_LINE`] for AUTH), errors
//!   mapped to replies with enhanced status codes; [`command::unsupported_mail_param`] /
//!   [`command::unsupported_rcpt_param`] refuse parameters of extensions the server did not announce.
//! - [`reply`]: [`Reply`], an SMTP reply with its RFC 3463 enhanced status code (RFC 2034), single or
//!   multi-line (RFC 5321 §4.2.1).
//! - [`data`]: [`DataReader`] (DATA, RFC 5321 §4.1.1.4 and §4.5.2: `CRLF.CRLF` detection across reads,
//!   dot-unstuffing, a size limit with bounded memory) and [`BdatReader`] (BDAT, RFC 3030 §2).
//!
//! Invariants: nothing here panics on any input; memory held is bounded by the limits passed in plus one
//! read; a reply's text never contains CR or LF.

pub mod command;
pub mod data;
pub mod reply;

pub use command::{Command, MAX_AUTH_LINE, MAX_COMMAND_LINE, ParseError, parse_command};
pub use data::{BdatReader, DataReader, DataStatus};
pub use reply::Reply;
pub use smtp_proto::{MailFrom, RcptTo, Request};
