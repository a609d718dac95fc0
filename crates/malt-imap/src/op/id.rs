//! ID (RFC 2971): the server's name; the client's fields are ignored.

use crate::session::{Outcome, Session};

pub(crate) fn run(s: &mut Session) -> Outcome {
    s.out
        .id(Some(&[("name", Some("Malt")), ("vendor", Some("Malt"))]));
    Outcome::ok("ID completed")
}
