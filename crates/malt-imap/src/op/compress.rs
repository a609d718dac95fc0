//! COMPRESS (RFC 4978 §3): `COMPRESS DEFLATE` turns on raw DEFLATE in both directions right after the
//! tagged OK (the switch itself happens in the session loop, [`Next::Compress`]).
//!
//! - Valid in the authenticated and selected states only (the state table; before login it is BAD).
//! - A second COMPRESS is `NO [COMPRESSIONACTIVE]` (RFC 4978 §3; RFC 5530 §3).
//! - Any mechanism but DEFLATE is an unknown argument: BAD (RFC 4978 §3).

use malt_imap_proto::ResponseCode;

use crate::session::{Next, Outcome, Session};

pub(crate) fn run(s: &mut Session, mechanism: &str) -> Outcome {
    if !mechanism.eq_ignore_ascii_case("DEFLATE") {
        return Outcome::bad(format!("Unknown compression mechanism {mechanism}"));
    }
    if s.compressed {
        return Outcome::no(
            Some(ResponseCode::CompressionActive),
            "DEFLATE is already active via COMPRESS",
        );
    }
    s.compressed = true;
    Outcome::ok("DEFLATE active").next(Next::Compress)
}
