//! One file per command; [`dispatch`] routes a parsed command to its file (EHLO and HELO share
//! `ehlo.rs`, which also lists the extensions that LHLO announces). The end of a transaction, shared
//! by DATA and BDAT LAST, is `crate::finish`.

mod auth;
mod bdat;
mod data;
mod ehlo;
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

use malt_smtp_proto::{Reply, Request};

use crate::session::{Io, Next, Session};
use crate::state::{State, Transaction};

/// Runs one command that the state table allows (BDAT checks the table itself, after its chunk).
pub(crate) async fn dispatch(s: &mut Session, io: &mut Io, cmd: Request<String>) -> io::Result<Next> {
    Ok(match cmd {
        Request::Lhlo { host } => lhlo::run(s, host),
        Request::Ehlo { host } => ehlo::run(s, host, true),
        Request::Helo { host } => ehlo::run(s, host, false),
        Request::Auth {
            mechanism,
            initial_response,
        } => auth::run(s, io, mechanism, initial_response).await,
        Request::Mail { from } => mail::run(s, from).await,
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
        Request::Expn { .. } | Request::Etrn { .. } | Request::Atrn { .. } | Request::Burl { .. } => {
            s.error(&Reply::new(502, (5, 5, 1), "Command not implemented"))
        }
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
