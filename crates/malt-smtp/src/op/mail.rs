//! MAIL FROM (RFC 5321 §4.1.1.2): opens a transaction. Parameters: SIZE (RFC 1870 §6: refused at once
//! with `552 5.3.4` when over the limit), BODY=7BIT/8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531 §3.4: needed
//! for a non-ASCII path, else `553 5.6.7`); anything not announced gets `555 5.5.4`.

use malt_smtp_proto::command::unsupported_mail_param;
use malt_smtp_proto::{MailFrom, Reply};

use super::{ascii_ok, lhlo};
use crate::session::{Next, Session};
use crate::state::{State, Transaction};

pub(crate) fn run(s: &mut Session, from: MailFrom<String>) -> Next {
    if let Some(p) = unsupported_mail_param(&from, lhlo::extensions()) {
        return s.error(&Reply::new(555, (5, 5, 4), &format!("Unsupported parameter {p}")));
    }
    if from.size > s.max_size {
        s.reply(&Reply::new(
            552,
            (5, 3, 4),
            &format!(
                "Message size exceeds fixed maximum message size of {}",
                s.max_size
            ),
        ));
        return Next::Continue;
    }
    let smtputf8 = malt_smtp_proto::command::smtputf8(&from);
    if !ascii_ok(&from.address, smtputf8) {
        return s.error(&Reply::new(553, (5, 6, 7), "Non-ASCII address requires SMTPUTF8"));
    }
    let helo = s.state.helo().unwrap_or_default().to_owned();
    let reply = Reply::new(250, (2, 1, 0), &format!("Sender <{}> OK", from.address));
    s.state = State::Transaction {
        helo,
        tx: Transaction {
            from: from.address,
            smtputf8,
            rcpts: Vec::new(),
            bdat: None,
        },
    };
    s.reply(&reply);
    Next::Continue
}
