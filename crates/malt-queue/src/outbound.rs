//! The [`Transport`] over `malt-outbound`: remote recipients go out over SMTP.
//!
//! Mapping: [`Route::Mx`] → `Destination::Mx` (the domain's MX hosts, RFC 5321 §5.1),
//! [`Route::Relay`] → `Destination::Relay` (with AUTH credentials and required TLS as the route
//! says); the queued DSN parameters are passed on (the client sends them only to a server that
//! offers DSN, RFC 3461 §4); a reply is recorded as one line (`550 5.1.1 text`).
//!
//! `malt-outbound` does not tell whether the next hop offered DSN, so a successful remote
//! delivery counts as not passed on: a sender who asked `NOTIFY=SUCCESS` gets a `relayed` DSN
//! (RFC 3461 §6.2.2.1), possibly besides a `delivered` one from the final server.

use malt_outbound::{
    Credentials, Destination, DsnRet, Outbound, OutboundMessage, OutboundRecipient, Outcome, Reply,
};
use malt_store::{QueueRecipient, QueuedMessage};

use crate::dsn::xtext_decode;
use crate::route::Route;
use crate::runner::{RemoteResult, ResultKind, Transport};

/// One line for logs, `last_error` and `Diagnostic-Code`: `550 5.1.1 first line second line`.
pub fn reply_line(reply: &Reply) -> String {
    let mut s = reply.code.to_string();
    if let Some((class, subject, detail)) = reply.esc {
        s.push_str(&format!(" {class}.{subject}.{detail}"));
    }
    for line in &reply.lines {
        let line = line.trim();
        if !line.is_empty() {
            s.push(' ');
            s.push_str(line);
        }
    }
    s
}

/// The ORCPT address without its type (`rfc822;a+2Bb@x` → `a+b@x`), as `malt-outbound` wants it.
fn orcpt_address(orcpt: &str) -> String {
    let decoded = xtext_decode(orcpt);
    match decoded.split_once(';') {
        Some((_, addr)) => addr.trim().to_owned(),
        None => decoded.trim().to_owned(),
    }
}

fn destination(route: &Route) -> Option<Destination> {
    match route {
        Route::Mx { domain } => Some(Destination::Mx {
            domain: domain.clone(),
        }),
        Route::Relay(t) => Some(Destination::Relay {
            host: t.host.clone(),
            port: t.port,
            auth: t.auth.as_ref().map(|a| Credentials {
                username: a.user.clone(),
                password: a.password.clone(),
                allow_plaintext: false,
            }),
            require_tls: t.require_tls,
        }),
        Route::Local | Route::Refuse => None,
    }
}

impl Transport for Outbound {
    async fn deliver(
        &self,
        route: &Route,
        message: &QueuedMessage,
        recipients: &[QueueRecipient],
        body: &[u8],
    ) -> Vec<RemoteResult> {
        let Some(dest) = destination(route) else {
            return recipients
                .iter()
                .map(|_| RemoteResult {
                    kind: ResultKind::TempFail,
                    reply: "451 4.3.0 not a remote route".to_owned(),
                    remote_mta: None,
                })
                .collect();
        };
        let orcpts: Vec<Option<String>> = recipients
            .iter()
            .map(|r| r.orcpt.as_deref().map(orcpt_address))
            .collect();
        let envid = message.envid.as_deref().map(xtext_decode);
        let msg = OutboundMessage {
            return_path: &message.return_path,
            envid: envid.as_deref(),
            ret: message.ret_full.then_some(DsnRet::Full),
            recipients: recipients
                .iter()
                .zip(&orcpts)
                .map(|(r, orcpt)| OutboundRecipient {
                    address: &r.address,
                    notify: r.notify.map(|n| malt_outbound::DsnNotify {
                        success: n.success && !n.never,
                        failure: n.failure && !n.never,
                        delay: n.delay && !n.never,
                    }),
                    orcpt: orcpt.as_deref(),
                })
                .collect(),
            body,
        };
        let results = self.deliver(&dest, &msg).await;
        results
            .into_iter()
            .map(|r| {
                let kind = match &r.outcome {
                    Outcome::Delivered { .. } => ResultKind::Delivered {
                        dsn_passed_on: r.remote.as_ref().is_some_and(|m| m.dsn),
                    },
                    Outcome::TempFail { .. } => ResultKind::TempFail,
                    Outcome::PermFail { .. } => ResultKind::PermFail,
                };
                RemoteResult {
                    kind,
                    reply: reply_line(r.outcome.reply()),
                    remote_mta: r.remote.map(|m| m.host),
                }
            })
            .collect()
    }
}
