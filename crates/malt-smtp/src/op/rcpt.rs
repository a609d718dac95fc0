//! RCPT TO (RFC 5321 §4.1.1.3): adds a recipient after checking the directory (`550 5.1.1` when it
//! resolves to no local account, RFC 3463 §3.2). At most [`crate::MAX_RECIPIENTS`] (`452 4.5.3`,
//! RFC 5321 §4.5.3.1.10). Parameters not announced (DSN's NOTIFY/ORCPT) get `555 5.5.4`.

use malt_smtp_proto::command::unsupported_rcpt_param;
use malt_smtp_proto::{RcptTo, Reply};

use super::{ascii_ok, lhlo};
use crate::MAX_RECIPIENTS;
use crate::session::{Next, Session};
use crate::state::State;

pub(crate) async fn run(s: &mut Session, to: RcptTo<String>) -> Next {
    if let Some(p) = unsupported_rcpt_param(&to, lhlo::extensions()) {
        return s.error(&Reply::new(555, (5, 5, 4), &format!("Unsupported parameter {p}")));
    }
    let (count, smtputf8) = match &s.state {
        State::Transaction { tx, .. } => (tx.rcpts.len(), tx.smtputf8),
        _ => return s.error(&Reply::new(503, (5, 5, 1), "Send MAIL first")),
    };
    if count >= MAX_RECIPIENTS {
        s.reply(&Reply::new(452, (4, 5, 3), "Too many recipients"));
        return Next::Continue;
    }
    if !ascii_ok(&to.address, smtputf8) {
        return s.error(&Reply::new(553, (5, 6, 7), "Non-ASCII address requires SMTPUTF8"));
    }
    let reply = match s.core.recipient_exists(&to.address).await {
        Ok(true) => {
            if let State::Transaction { tx, .. } = &mut s.state {
                tx.rcpts.push(to.address.clone());
            }
            Reply::new(250, (2, 1, 5), &format!("<{}> Recipient OK", to.address))
        }
        Ok(false) => Reply::new(550, (5, 1, 1), &format!("<{}> No such user here", to.address)),
        Err(e) => {
            tracing::warn!(error = %e, "recipient lookup failed");
            Reply::new(451, (4, 3, 0), "Temporary lookup failure, try again later")
        }
    };
    s.reply(&reply);
    Next::Continue
}
