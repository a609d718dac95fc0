//! RENAMESCRIPT (RFC 5804 §2.11): the script keeps its source and, if it is the active one, stays
//! active. `NO (NONEXISTENT)` for an unknown old name, `NO (ALREADYEXISTS)` for a taken new one.

use std::io;

use crate::proto;
use malt_store::AccountId;

use crate::session::{Io, Next, Session};

use super::{reply, script_error};

pub(crate) async fn run(
    s: &mut Session,
    io: &mut Io,
    account: AccountId,
    from: &str,
    to: &str,
) -> io::Result<Next> {
    match s.scripts.rename(account, from, to).await {
        Ok(()) => reply(io, &proto::ok(None, "Renamescript completed.")).await,
        Err(e) => reply(io, &script_error(&e)).await,
    }
}
