//! AUTH (RFC 4954) in the SMTP modes: SASL PLAIN and LOGIN through `malt_core::auth::sasl`, the
//! credentials checked by the shared [`malt_core::Authenticator`] (app passwords and rate limits
//! included). The password is never logged.
//!
//! - Only after EHLO and outside a transaction (the state table, `503 5.5.1`); once per session:
//!   after a success, `503 5.5.1 Already authenticated` (RFC 4954 §4).
//! - Where AUTH is not offered ([`Session::auth_offered`]: MX without TLS, submission with
//!   plaintext passwords refused), `538 5.7.11 Encryption required` (RFC 4954 §6).
//! - An unknown mechanism: `504 5.5.4`. An initial response may follow the mechanism (RFC 4954 §4;
//!   `=` is an empty one); challenges are `334 <base64>`; the client answers with one base64 line of
//!   at most [`MAX_AUTH_LINE`] octets (`500 5.5.6` beyond), or `*` to cancel (`501 5.0.0`); base64
//!   that does not decode gets `501 5.5.2`.
//! - Success `235 2.7.0`; bad credentials or a malformed SASL message `535 5.7.8`; rate-limited or
//!   the store unavailable `454 4.7.0` (RFC 4954 §6). Failures count as session errors.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use malt_core::AuthResult;
use malt_core::auth::sasl::{Mechanism, SaslError, SaslExchange, Step};
use malt_smtp_proto::command::sasl_mechanism;
use malt_smtp_proto::{MAX_AUTH_LINE, Reply};

use crate::session::{Fill, Input, Io, Next, Session, goodbye, read_line};

pub(crate) async fn run(s: &mut Session, io: &mut Io, mechanism: u64, initial: String) -> Next {
    if s.user.is_some() {
        return s.error(&Reply::new(503, (5, 5, 1), "Already authenticated"));
    }
    if !s.auth_offered() {
        return s.error(&Reply::new(
            538,
            (5, 7, 11),
            "Encryption required for requested authentication mechanism",
        ));
    }
    let Some(mechanism) = sasl_mechanism(mechanism).and_then(Mechanism::parse) else {
        return s.error(&Reply::new(504, (5, 5, 4), "Unrecognized authentication type"));
    };
    let initial = match initial.trim() {
        "" => None,
        "=" => Some(Vec::new()),
        b64 => match B64.decode(b64) {
            Ok(v) => Some(v),
            Err(_) => return bad_base64(s),
        },
    };
    let (mut exchange, mut step) = SaslExchange::start(mechanism, initial.as_deref());
    loop {
        match step {
            Step::Done(creds) => return login(s, &creds.username, &creds.password).await,
            Step::Failed(SaslError::Cancelled) => {
                return s.error(&Reply::new(501, (5, 0, 0), "Authentication cancelled"));
            }
            Step::Failed(e) => {
                tracing::debug!(error = %e, "SASL exchange failed");
                return failed(s);
            }
            Step::Challenge(challenge) => {
                s.reply(&Reply::plain(334, &B64.encode(challenge)));
                let line = match read_line(s, io, MAX_AUTH_LINE).await {
                    Input::Line(l) => l,
                    Input::TooLong => {
                        return s.error(&Reply::new(
                            500,
                            (5, 5, 6),
                            "Authentication exchange line is too long",
                        ));
                    }
                    Input::End(Fill::Closed) => return Next::Close,
                    Input::End(how) => {
                        goodbye(s, &how);
                        return Next::Close;
                    }
                };
                let line = line.strip_suffix(b"\n").unwrap_or(&line);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                step = if line == b"*" {
                    exchange.cancel()
                } else {
                    match B64.decode(line) {
                        Ok(decoded) => exchange.step(&decoded),
                        Err(_) => return bad_base64(s),
                    }
                };
            }
        }
    }
}

fn bad_base64(s: &mut Session) -> Next {
    s.error(&Reply::new(501, (5, 5, 2), "Cannot decode base64 response"))
}

fn failed(s: &mut Session) -> Next {
    s.error(&Reply::new(535, (5, 7, 8), "Authentication credentials invalid"))
}

/// Checks the credentials; on success the session is authenticated for the rest of its life (or
/// until STARTTLS, which cannot follow in practice: AUTH is offered over TLS or plaintext-allowed).
async fn login(s: &mut Session, username: &str, password: &str) -> Next {
    let Some(auth) = s.auth.clone() else {
        return failed(s);
    };
    match auth.authenticate(username, password, s.remote).await {
        AuthResult::Ok { account, .. } => {
            tracing::info!(user = %account.address, mode = ?s.mode, "SMTP AUTH");
            s.user = Some(account);
            s.reply(&Reply::new(235, (2, 7, 0), "Authentication successful"));
            Next::Continue
        }
        AuthResult::Failed => failed(s),
        AuthResult::TemporaryFailure => s.error(&Reply::new(
            454,
            (4, 7, 0),
            "Temporary authentication failure, try again later",
        )),
    }
}
