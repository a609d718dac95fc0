//! GETSCRIPT (RFC 5804 §2.9): the script's source as a literal, a line end, then `OK`.
//! `NO (NONEXISTENT)` for an unknown name.

use std::io;

use crate::proto;
use malt_store::AccountId;

use crate::session::{Io, Next, Session};

use super::{reply, script_error};

pub(crate) async fn run(s: &mut Session, io: &mut Io, account: AccountId, name: &str) -> io::Result<Next> {
    let script = match s.scripts.get(account, name).await {
        Ok(script) => script,
        Err(e) => return reply(io, &script_error(&e)).await,
    };
    let mut out = Vec::with_capacity(script.source.len() + 64);
    proto::push_literal(&mut out, script.source.as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&proto::ok(None, "Getscript completed."));
    reply(io, &out).await
}
