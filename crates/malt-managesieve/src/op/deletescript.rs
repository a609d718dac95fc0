//! DELETESCRIPT (RFC 5804 §2.10): `NO (ACTIVE)` for the active script, `NO (NONEXISTENT)` for an
//! unknown one.

use std::io;

use crate::proto;
use malt_store::AccountId;

use crate::session::{Io, Next, Session};

use super::{reply, script_error};

pub(crate) async fn run(s: &mut Session, io: &mut Io, account: AccountId, name: &str) -> io::Result<Next> {
    match s.scripts.delete(account, name).await {
        Ok(()) => reply(io, &proto::ok(None, "Deletescript completed.")).await,
        Err(e) => reply(io, &script_error(&e)).await,
    }
}
