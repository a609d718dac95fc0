//! One file per command; [`dispatch`] routes a parsed command to its file. [`finish`], the end of a
//! transaction shared by DATA and BDAT LAST, lives here.

mod bdat;
mod data;
mod help;
mod lhlo;
mod mail;
mod noop;
mod quit;
mod rcpt;
mod rset;
mod starttls;
mod vrfy;

use std::io;

use malt_core::delivery::{Envelope, Outcome};
use malt_smtp_proto::{Reply, Request};

use crate::session::{Io, Next, Session};
use crate::state::{State, Transaction};

/// Runs one command that the state table allows (BDAT checks the table itself, after its chunk).
pub(crate) async fn dispatch(s: &mut Session, io: &mut Io, cmd: Request<String>) -> io::Result<Next> {
    Ok(match cmd {
        Request::Lhlo { host } => lhlo::run(s, host),
        Request::Mail { from } => mail::run(s, from),
        Request::Rcpt { to } => rcpt::run(s, to).await,
        Request::Data => data::run(s, io).await,
        Request::Bdat { chunk_size, is_last } => bdat::run(s, io, chunk_size, is_last).await,
        Request::Rset => rset::run(s),
        Request::Noop { .. } => noop::run(s),
        Request::Quit => quit::run(s),
        Request::Vrfy { .. } => vrfy::run(s),
        Request::Help { .. } => help::run(s),
        Request::StartTls => starttls::run(s),
        // Refused in the session before dispatch.
        Request::Ehlo { .. }
        | Request::Helo { .. }
        | Request::Auth { .. }
        | Request::Expn { .. }
        | Request::Etrn { .. }
        | Request::Atrn { .. }
        | Request::Burl { .. } => s.error(&Reply::new(502, (5, 5, 1), "Command not implemented")),
    })
}

/// Leaves the transaction (back to `Ready`), returning it.
pub(crate) fn take_transaction(s: &mut Session) -> Option<Transaction> {
    match std::mem::replace(&mut s.state, State::Connected) {
        State::Transaction { helo, tx } => {
            s.state = State::Ready { helo };
            Some(tx)
        }
        other => {
            s.state = other;
            None
        }
    }
}

/// Whether `address` is plain ASCII, as required without SMTPUTF8 (RFC 6531 §3.4).
pub(crate) fn ascii_ok(address: &str, smtputf8: bool) -> bool {
    smtputf8 || address.is_ascii()
}

/// Ends a transaction after the message content: RFC 2033 §4.2, one reply per accepted recipient, in
/// RCPT order; each 250 only once the message is durable for that recipient. `body` is `None` when the
/// message exceeded the size limit (`552 5.3.4` for each, RFC 1870 §6.3).
pub(crate) async fn finish(s: &mut Session, tx: Transaction, body: Option<Vec<u8>>) {
    let Some(body) = body else {
        for rcpt in &tx.rcpts {
            s.reply(&Reply::new(
                552,
                (5, 3, 4),
                &format!("<{rcpt}> Message size exceeds fixed maximum message size"),
            ));
        }
        return;
    };
    s.transactions += 1;
    let received_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let env = Envelope {
        return_path: tx.from.clone(),
        helo: s.state.helo().unwrap_or_default().to_owned(),
        remote: s.remote,
        hostname: s.hostname().to_owned(),
        // RFC 3848 §2.
        protocol: if s.tls { "LMTPS" } else { "LMTP" }.to_owned(),
        id: format!("{received_at:x}.{:x}.{}", s.ctx.id, s.transactions),
        received_at,
        // LMTP comes from an MTA inside our trust boundary, which did the checks.
        verify_sender: false,
    };
    let outcomes = s.core.deliver_message(&env, &tx.rcpts, &body).await;
    for (rcpt, outcome) in tx.rcpts.iter().zip(outcomes) {
        let reply = match outcome {
            Outcome::Delivered(_) => Reply::new(250, (2, 0, 0), &format!("<{rcpt}> {} Saved", env.id)),
            Outcome::NoSuchUser => Reply::new(550, (5, 1, 1), &format!("<{rcpt}> No such user")),
            Outcome::OverQuota { permanent: false } => {
                Reply::new(452, (4, 2, 2), &format!("<{rcpt}> Mailbox full, try again later"))
            }
            Outcome::OverQuota { permanent: true } => Reply::new(
                552,
                (5, 2, 2),
                &format!("<{rcpt}> Message exceeds the mailbox quota"),
            ),
            Outcome::TooBig => Reply::new(
                552,
                (5, 3, 4),
                &format!("<{rcpt}> Message size exceeds fixed maximum message size"),
            ),
            Outcome::TempFail => Reply::new(
                451,
                (4, 3, 0),
                &format!("<{rcpt}> Temporary failure, try again later"),
            ),
        };
        s.reply(&reply);
    }
}
