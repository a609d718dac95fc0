//! LOGIN (RFC 9051 §6.2.3) and the login step shared with AUTHENTICATE. The password is never logged.
//! Refused with `[PRIVACYREQUIRED]` when plaintext passwords are not allowed on this connection.

use malt_core::AuthResult;
use malt_imap_proto::ResponseCode;

use crate::op::capability;
use crate::session::{Outcome, Session};
use crate::state::State;

pub(crate) async fn run(s: &mut Session, username: &str, password: &str) -> Outcome {
    if !s.plaintext_ok {
        return Outcome::no(
            Some(ResponseCode::PrivacyRequired),
            "Plaintext authentication disallowed on non-secure connections",
        );
    }
    login(s, username, password).await
}

/// Checks the credentials and enters the authenticated state; the tagged OK carries the new
/// capabilities (RFC 9051 §6.2.3).
pub(crate) async fn login(s: &mut Session, username: &str, password: &str) -> Outcome {
    match s.auth.authenticate(username, password, s.remote).await {
        AuthResult::Ok { account, .. } => {
            tracing::info!(user = %account.address, "IMAP login");
            s.state = State::Authenticated {
                account: Box::new(account),
            };
            let caps = capability::list(s).iter().map(|c| c.to_string()).collect();
            Outcome::ok("Logged in").code(ResponseCode::Capability(caps))
        }
        AuthResult::Failed => {
            tracing::info!(user = username, "IMAP login failed");
            Outcome::no(Some(ResponseCode::AuthenticationFailed), "Authentication failed")
        }
        AuthResult::TemporaryFailure => Outcome::no(
            Some(ResponseCode::Unavailable),
            "Temporary authentication failure, try again later",
        ),
    }
}
