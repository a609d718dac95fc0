//! AUTH (RFC 5034): SASL PLAIN and LOGIN through `malt_core::auth::sasl`.
//!
//! - An initial response may follow the mechanism (RFC 5034 §4); `=` is an empty one.
//! - Challenges are `+ <base64>` lines; the client answers with one base64 line, or `*` to cancel
//!   (answered `-ERR`).
//! - Without a mechanism, the offered mechanisms are listed (a common extension of RFC 1734).
//! - Refused with `[AUTH]` when plaintext passwords are not allowed on this connection: both mechanisms
//!   carry the password in the clear.

use std::io;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use malt_core::auth::sasl::{Mechanism, SaslError, SaslExchange, Step};

use crate::proto::{self, MAX_SASL_LINE, RespCode};
use crate::session::{Input, Io, Next, Session, next_line, send};
use crate::state::State;

use super::{login, reply};

pub(crate) async fn run(
    s: &mut Session,
    io: &mut Io,
    mechanism: Option<String>,
    initial_response: Option<String>,
) -> io::Result<Next> {
    s.state = State::Authorization { user: None };
    let Some(mechanism) = mechanism else {
        let mut out = proto::ok("Supported mechanisms follow");
        if s.plaintext_ok {
            for m in Mechanism::ALL {
                proto::push_line(&mut out, m.name().as_bytes());
            }
        }
        out.extend_from_slice(proto::END);
        return reply(io, &out).await;
    };
    if !s.plaintext_ok {
        let text = "Plaintext authentication disallowed on non-secure connections";
        return reply(io, &proto::err(Some(RespCode::Auth), text)).await;
    }
    let Some(mechanism) = Mechanism::parse(&mechanism) else {
        return reply(io, &proto::err(None, "Unsupported authentication mechanism")).await;
    };
    let initial = match initial_response.as_deref() {
        None => None,
        Some("=") => Some(Vec::new()),
        Some(b64) => match B64.decode(b64) {
            Ok(v) => Some(v),
            Err(_) => return reply(io, &proto::err(None, "Invalid base64 data")).await,
        },
    };
    let (mut exchange, mut step) = SaslExchange::start(mechanism, initial.as_deref());
    loop {
        match step {
            Step::Done(creds) => {
                let answer = login(s, &creds.username, &creds.password).await;
                return reply(io, &answer).await;
            }
            Step::Failed(SaslError::Cancelled) => {
                return reply(io, &proto::err(None, "Authentication cancelled")).await;
            }
            Step::Failed(e) => {
                tracing::debug!(error = %e, "SASL exchange failed");
                return reply(io, &proto::err(Some(RespCode::Auth), "Authentication failed")).await;
            }
            Step::Challenge(challenge) => {
                let line = format!("+ {}\r\n", B64.encode(challenge));
                send(io, line.as_bytes()).await?;
                let response = match next_line(&s.ctx, io, MAX_SASL_LINE).await {
                    Input::Line(l) => l,
                    Input::TooLong => {
                        return reply(io, &proto::err(None, "Authentication response too long")).await;
                    }
                    Input::Closed => return Ok(Next::Close),
                    Input::Idle => {
                        send(io, &proto::err(None, "Autologout; idle for too long")).await?;
                        return Ok(Next::Close);
                    }
                    Input::Shutdown => {
                        let answer = proto::err(Some(RespCode::SysTemp), "server shutting down");
                        send(io, &answer).await?;
                        return Ok(Next::Close);
                    }
                };
                let response = response.strip_suffix(b"\n").unwrap_or(&response);
                let response = response.strip_suffix(b"\r").unwrap_or(response);
                step = if response == b"*" {
                    exchange.cancel()
                } else {
                    match B64.decode(response) {
                        Ok(decoded) => exchange.step(&decoded),
                        Err(_) => {
                            return reply(io, &proto::err(None, "Invalid base64 data")).await;
                        }
                    }
                };
            }
        }
    }
}
