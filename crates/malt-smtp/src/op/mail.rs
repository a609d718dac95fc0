//! MAIL FROM (RFC 5321 §4.1.1.2): opens a transaction. Checks, in order:
//!
//! 1. submission: the client has authenticated (`530 5.7.0`, RFC 6409 §4.3 / RFC 4954 §6);
//! 2. parameters: SIZE (RFC 1870 §6: over the limit, `552 5.3.4` at once), BODY=7BIT/8BITMIME
//!    (RFC 6152), SMTPUTF8 (RFC 6531 §3.4: needed for a non-ASCII path, else `553 5.6.7`), and in the
//!    SMTP modes RET/ENVID (RFC 3461 §4.3-4.4, kept in the transaction) and AUTH= (RFC 4954 §5,
//!    accepted and not trusted); anything not announced gets `555 5.5.4`;
//! 3. MX: the client's message rate (`smtp.max_messages_per_ip_per_minute`, `451 4.7.1`);
//! 4. submission: the null sender is refused, and the address must belong to the authenticated
//!    account (`malt_core::sending`): `553 5.7.1 Sender address rejected: not owned by user`.

use malt_core::sending::SenderRight;
use malt_smtp_proto::command::{ret_full, unsupported_mail_param};
use malt_smtp_proto::{MailFrom, Reply};

use super::{ascii_ok, ehlo};
use crate::session::{Next, Session};
use crate::state::{Mode, State, Transaction};

pub(crate) async fn run(s: &mut Session, from: MailFrom<String>) -> Next {
    if s.mode == Mode::Submission && s.user.is_none() {
        return s.error(&Reply::new(530, (5, 7, 0), "Authentication required"));
    }
    if let Some(p) = unsupported_mail_param(&from, ehlo::params(s)) {
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
    if let Some(rate) = &s.rate
        && !rate.try_take(
            s.remote,
            s.ctx.config.smtp.max_messages_per_ip_per_minute,
            std::time::Instant::now(),
        )
    {
        tracing::info!(remote = %s.remote, "message rate exceeded");
        s.reply(&Reply::new(
            451,
            (4, 7, 1),
            "Too many messages from your address, try again later",
        ));
        return Next::Continue;
    }
    if s.mode == Mode::Submission
        && let Some(refusal) = sender_refusal(s, &from.address).await
    {
        if refusal.code == 451 {
            s.reply(&refusal);
            return Next::Continue;
        }
        return s.error(&refusal);
    }
    let helo = s.state.helo().unwrap_or_default().to_owned();
    let reply = Reply::new(250, (2, 1, 0), &format!("Sender <{}> OK", from.address));
    s.state = State::Transaction {
        helo,
        tx: Transaction {
            ret_full: ret_full(&from),
            envid: from.env_id,
            from: from.address,
            smtputf8,
            rcpts: Vec::new(),
            bdat: None,
        },
    };
    s.reply(&reply);
    Next::Continue
}

/// Submission's envelope sender rule: why `address` may not be used, if it may not.
async fn sender_refusal(s: &Session, address: &str) -> Option<Reply> {
    let user = s.user.as_ref()?;
    if address.is_empty() {
        return Some(Reply::new(
            553,
            (5, 7, 1),
            "Null sender not allowed on submission",
        ));
    }
    match s.core.sender_right(user, address).await {
        Ok(SenderRight::Own | SenderRight::SendAs | SenderRight::OnBehalf) => None,
        Ok(SenderRight::Denied) => {
            tracing::info!(user = %user.address, from = address, "sender refused");
            Some(Reply::new(
                553,
                (5, 7, 1),
                "Sender address rejected: not owned by user",
            ))
        }
        Err(e) => {
            tracing::warn!(error = %e, "sender lookup failed");
            Some(Reply::new(
                451,
                (4, 3, 0),
                "Temporary lookup failure, try again later",
            ))
        }
    }
}
