//! LISTSCRIPTS (RFC 5804 §2.7): one line per script, its name as a string, `ACTIVE` after the
//! active one; then `OK`.

use std::io;

use crate::proto;
use malt_store::AccountId;

use crate::session::{Io, Next, Session};

use super::{reply, script_error};

pub(crate) async fn run(s: &mut Session, io: &mut Io, account: AccountId) -> io::Result<Next> {
    let scripts = match s.scripts.list(account).await {
        Ok(list) => list,
        Err(e) => return reply(io, &script_error(&e)).await,
    };
    let mut out = Vec::new();
    for script in &scripts {
        proto::push_string(&mut out, script.name.as_bytes());
        if script.active {
            out.extend_from_slice(b" ACTIVE");
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(&proto::ok(None, "Listscripts completed."));
    reply(io, &out).await
}
