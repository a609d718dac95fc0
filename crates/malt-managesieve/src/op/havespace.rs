//! HAVESPACE (RFC 5804 §2.5): whether a script of this name and size would be accepted —
//! `NO (QUOTA/MAXSIZE)` over `[sieve] max_script_size`, `NO (QUOTA/MAXSCRIPTS)` for a new name
//! when the account has `max_scripts`.

use std::io;

use crate::proto;
use malt_store::AccountId;

use crate::session::{Io, Next, Session};

use super::{reply, script_error};

pub(crate) async fn run(
    s: &mut Session,
    io: &mut Io,
    account: AccountId,
    name: &str,
    size: u64,
) -> io::Result<Next> {
    match s.scripts.have_space(account, name, size).await {
        Ok(()) => reply(io, &proto::ok(None, "Putscript would succeed.")).await,
        Err(e) => reply(io, &script_error(&e)).await,
    }
}
