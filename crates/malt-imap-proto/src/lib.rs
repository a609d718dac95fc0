//! Malt's IMAP codec: parse client commands, serialise server responses. No sockets, no tokio, no
//! storage (CONVENTIONS §1).
//!
//! Serves IMAP4rev2 (RFC 9051) and IMAP4rev1 (RFC 3501) with the extensions the server announces
//! (IDLE, NAMESPACE, UIDPLUS, MOVE, UNSELECT, ENABLE, ID, SASL-IR, LITERAL+/-, SPECIAL-USE,
//! CREATE-SPECIAL-USE, LIST-EXTENDED, LIST-STATUS, STATUS=SIZE, CHILDREN, CONDSTORE/QRESYNC,
//! MULTIAPPEND, BINARY, APPENDLIMIT, QUOTA, ACL, METADATA, NOTIFY, COMPRESS=DEFLATE, OBJECTID,
//! PREVIEW, SAVEDATE, ESEARCH, SEARCHRES, SORT/ESORT, THREAD, UTF8=ACCEPT).
//!
//! - [`parser`]: incremental framing ([`parse_command`]) and the per-command grammars.
//! - [`command`]: the typed [`Command`]; [`Command::to_bytes`] is the client-side serialiser.
//! - [`response`]: [`ResponseWriter`] and the FETCH/ENVELOPE/BODYSTRUCTURE writers.
//! - [`utf7`]: modified UTF-7 mailbox names.

pub mod command;
mod encode;
pub mod parser;
pub mod response;
mod serialize;
pub mod utf7;

pub use command::{Command, CommandKind};
pub use encode::{date_string, date_time_string, flag_str};
pub use parser::{Limits, ParseError, Parsed, is_idle_done, parse_command, parse_sasl_continuation};
pub use response::{FetchItem, ResponseCode, ResponseWriter, Status};
pub use serialize::flag_to_string;
