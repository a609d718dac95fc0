//! AUTHENTICATE (RFC 5804 §2.1): SASL PLAIN and LOGIN through `malt_core::auth::sasl`, checked by
//! the shared [`malt_core::Authenticator`] (argon2id, app passwords, rate limits).
//!
//! - The initial response may follow the mechanism as a string (RFC 5804 §2.1).
//! - Challenges are sent as strings of base64; the client answers each with a string (quoted or
//!   literal) of base64, or `"*"` to give up (answered `NO`).
//! - Refused with `NO (ENCRYPT-NEEDED)` when passwords may not travel in the clear on this
//!   connection (no TLS, not loopback, `auth.allow_plaintext_without_tls` off): both mechanisms
//!   carry the password as is.
//! - No security layer is negotiated, so success is a plain `OK` (no new capability listing).

use std::io;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use malt_core::AuthResult;
use malt_core::auth::sasl::{Credentials, Mechanism, SaslError, SaslExchange, Step};

use crate::proto::{self, Code, SaslResponse, parse_sasl_response};
use crate::session::{Input, Io, Next, Session, farewell};
use crate::state::State;

use super::reply;

pub(crate) async fn run(
    s: &mut Session,
    io: &mut Io,
    mechanism: &str,
    initial_response: Option<String>,
) -> io::Result<Next> {
    let Some(mechanism) = Mechanism::parse(mechanism) else {
        return reply(io, &proto::no(None, "Unsupported authentication mechanism.")).await;
    };
    if !s.plaintext_ok {
        let text = "Plaintext authentication disallowed on non-secure connections; use STARTTLS.";
        return reply(io, &proto::no(Some(&Code::EncryptNeeded), text)).await;
    }
    let initial = match initial_response.as_deref().map(|b64| B64.decode(b64)) {
        None => None,
        Some(Ok(decoded)) => Some(decoded),
        Some(Err(_)) => return reply(io, &proto::no(None, "Invalid base64 data.")).await,
    };
    let (mut exchange, mut step) = SaslExchange::start(mechanism, initial.as_deref());
    loop {
        let challenge = match step {
            Step::Done(credentials) => {
                let answer = login(s, &credentials).await;
                return reply(io, &answer).await;
            }
            Step::Failed(SaslError::Cancelled) => {
                return reply(io, &proto::no(None, "Authentication cancelled.")).await;
            }
            Step::Failed(e) => {
                tracing::debug!(error = %e, "SASL exchange failed");
                return reply(io, &proto::no(None, "Authentication failed.")).await;
            }
            Step::Challenge(challenge) => challenge,
        };
        let mut line = Vec::new();
        proto::push_string(&mut line, B64.encode(challenge).as_bytes());
        line.extend_from_slice(b"\r\n");
        io.send(&line).await?;
        let response = match io.next_frame(&s.ctx, &s.limits).await {
            Input::Frame(frame) => parse_sasl_response(&frame),
            Input::LiteralTooBig => {
                return reply(io, &proto::no(None, "Authentication response too long.")).await;
            }
            Input::Closed => return Ok(Next::Close),
            ended => {
                if let Some(bye) = farewell(&ended) {
                    io.send(&bye).await?;
                }
                return Ok(Next::Close);
            }
        };
        step = match response {
            Ok(SaslResponse::Cancel) => exchange.cancel(),
            Ok(SaslResponse::Data(b64)) => match B64.decode(b64) {
                Ok(decoded) => exchange.step(&decoded),
                Err(_) => return reply(io, &proto::no(None, "Invalid base64 data.")).await,
            },
            Err(e) => {
                let text = format!("Error in the authentication response: {e}.");
                return reply(io, &proto::no(None, &text)).await;
            }
        };
    }
}

/// Checks the credentials; on success the session is authenticated. Returns the answer.
async fn login(s: &mut Session, credentials: &Credentials) -> Vec<u8> {
    let user = credentials.username.as_str();
    match s.auth.authenticate(user, &credentials.password, s.remote).await {
        AuthResult::Ok { account, .. } => {
            tracing::info!(user = %account.address, "ManageSieve login");
            s.state = State::Authenticated {
                account: Box::new(account),
            };
            proto::ok(None, "Logged in.")
        }
        AuthResult::Failed => {
            tracing::info!(user, "ManageSieve login failed");
            proto::no(None, "Authentication failed.")
        }
        AuthResult::TemporaryFailure => proto::no(
            Some(&Code::TryLater),
            "Temporary authentication failure, try again later.",
        ),
    }
}
