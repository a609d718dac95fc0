//! RSET (RFC 5321 §4.1.1.5): aborts the transaction; the LHLO greeting is kept.

use malt_smtp_proto::Reply;

use super::take_transaction;
use crate::session::{Next, Session};

pub(crate) fn run(s: &mut Session) -> Next {
    let _ = take_transaction(s);
    s.reply(&Reply::new(250, (2, 0, 0), "OK"));
    Next::Continue
}
