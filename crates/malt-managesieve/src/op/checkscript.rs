//! CHECKSCRIPT (RFC 5804 §2.12): the checks of PUTSCRIPT without storing anything (the script
//! count is not checked: nothing is added).

use std::io;

use crate::session::{Io, Next, Session};

use super::{checked_ok, reply, script_error};

pub(crate) async fn run(s: &mut Session, io: &mut Io, script: &str) -> io::Result<Next> {
    match s.scripts.check("script", script).await {
        Ok(checked) => reply(io, &checked_ok(&checked, "Script is valid.")).await,
        Err(e) => reply(io, &script_error(&e)).await,
    }
}
