//! PUTSCRIPT (RFC 5804 §2.6): checks the script (size, compile) and stores it, creating or
//! replacing it; an active script stays active with its new source. A script that does not
//! compile is refused with the engine's errors (`NO "line 3, column 5: error: ..."`) and nothing
//! is stored; warnings come back as `OK (WARNINGS) "..."`.

use std::io;

use malt_store::AccountId;

use crate::session::{Io, Next, Session};

use super::{checked_ok, reply, script_error};

pub(crate) async fn run(
    s: &mut Session,
    io: &mut Io,
    account: AccountId,
    name: &str,
    script: &str,
) -> io::Result<Next> {
    let now = malt_core::mail::now();
    match s.scripts.put(account, name, script, now).await {
        Ok((outcome, checked)) => {
            tracing::info!(script = name, ?outcome, "script stored");
            reply(io, &checked_ok(&checked, "Putscript completed.")).await
        }
        Err(e) => reply(io, &script_error(&e)).await,
    }
}
