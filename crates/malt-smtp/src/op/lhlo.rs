//! LHLO (RFC 2033 §4.1), in LMTP only: greets and lists the service extensions, as EHLO does
//! (RFC 5321 §4.1.1.1 reply format; the list is in `ehlo.rs`). Like EHLO (RFC 5321 §4.1.4) it clears
//! any transaction.

use super::ehlo;
use crate::session::{Next, Session};

pub(crate) fn run(s: &mut Session, host: String) -> Next {
    ehlo::greet(s, host)
}
