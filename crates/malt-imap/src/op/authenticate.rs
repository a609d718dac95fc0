//! AUTHENTICATE (RFC 9051 §6.2.2) with SASL-IR (RFC 4959): PLAIN and LOGIN through
//! `malt_core::auth::sasl`. Challenges are `+ base64`; a `*` line cancels (BAD).

use std::io;

use malt_core::auth::sasl::{MAX_RESPONSE, Mechanism, SaslExchange, Step};
use malt_imap_proto::{ResponseCode, parse_sasl_continuation};

use crate::op::login::login;
use crate::session::{Input, Io, Outcome, Session};

pub(crate) async fn run(
    s: &mut Session,
    io: &mut Io,
    mechanism: &str,
    initial: Option<Vec<u8>>,
) -> io::Result<Outcome> {
    let Some(mechanism) = Mechanism::parse(mechanism) else {
        return Ok(Outcome::no(None, "Unsupported authentication mechanism"));
    };
    if !s.plaintext_ok {
        return Ok(Outcome::no(
            Some(ResponseCode::PrivacyRequired),
            "Plaintext authentication disallowed on non-secure connections",
        ));
    }
    let (mut exchange, mut step) = SaslExchange::start(mechanism, initial.as_deref());
    loop {
        match step {
            Step::Done(creds) => return Ok(login(s, &creds.username, &creds.password).await),
            Step::Failed(e) => {
                tracing::debug!(error = %e, "SASL exchange failed");
                return Ok(Outcome::no(
                    Some(ResponseCode::AuthenticationFailed),
                    "Authentication failed",
                ));
            }
            Step::Challenge(challenge) => {
                s.out.continuation_data(&challenge);
                io.send(&s.out.take()).await?;
                let line = match io.line(&s.ctx, MAX_RESPONSE * 2).await {
                    Ok(Some(l)) => l,
                    Ok(None) => return Ok(Outcome::bad("Authentication response too long")),
                    Err(Input::Data | Input::Closed) => return Ok(Outcome::drop_connection()),
                    Err(Input::Idle | Input::Shutdown) => {
                        return Ok(Outcome::drop_connection());
                    }
                };
                step = match parse_sasl_continuation(&line) {
                    Ok(Some(data)) => exchange.step(&data),
                    Ok(None) => return Ok(Outcome::bad("Authentication cancelled")),
                    Err(_) => return Ok(Outcome::bad("Invalid base64 data")),
                };
            }
        }
    }
}
