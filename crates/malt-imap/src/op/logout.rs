//! LOGOUT (RFC 9051 §6.1.3): `* BYE`, tagged OK, close.

use malt_imap_proto::Status;

use crate::session::{Next, Outcome, Session};
use crate::state::State;

pub(crate) fn run(s: &mut Session) -> Outcome {
    s.state = State::Logout;
    s.out.untagged(Status::Bye, None, "Logging out");
    Outcome::ok("LOGOUT completed").next(Next::Close)
}
