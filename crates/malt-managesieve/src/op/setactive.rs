//! SETACTIVE (RFC 5804 §2.8): makes the named script the active one, deactivating the other in
//! the same transaction; the empty name deactivates every script. `NO (NONEXISTENT)` for an
//! unknown name (nothing changes).

use std::io;

use crate::proto;
use malt_store::AccountId;

use crate::session::{Io, Next, Session};

use super::{reply, script_error};

pub(crate) async fn run(s: &mut Session, io: &mut Io, account: AccountId, name: &str) -> io::Result<Next> {
    let target = Some(name).filter(|n| !n.is_empty());
    match s.scripts.activate(account, target).await {
        Ok(()) if target.is_some() => reply(io, &proto::ok(None, "Setactive completed.")).await,
        Ok(()) => reply(io, &proto::ok(None, "No script is active now.")).await,
        Err(e) => reply(io, &script_error(&e)).await,
    }
}
