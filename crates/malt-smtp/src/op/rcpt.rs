//! RCPT TO (RFC 5321 §4.1.1.3): adds a recipient. At most `smtp.max_recipients` (`452 4.5.3`,
//! RFC 5321 §4.5.3.1.10). Parameters: NOTIFY and ORCPT in the SMTP modes (RFC 3461 §4.1-4.2, kept
//! with the recipient); not announced in LMTP, so `555 5.5.4` there.
//!
//! LMTP: the directory is checked at once (`550 5.1.1` when the address resolves to no local
//! account, RFC 3463 §3.2).
//!
//! SMTP modes:
//! - `<Postmaster>` without a domain (RFC 5321 §4.5.1) goes to the postmaster's address
//!   (`crate::policy::postmaster`);
//! - an address in a local domain (one the store knows) must reach an account (`550 5.1.1`) with
//!   room left: when every account it reaches is over quota, `452 4.2.2` (RFC 3463 §3.3);
//! - any other domain is relayed only for an authenticated client or one in
//!   `smtp.relay_networks`; otherwise `554 5.7.1 Relay access denied` (never an open relay);
//! - MX only: an SRS address of this server (`SRS0=…@<srs domain>`, a bounce to a message this
//!   server forwarded) is accepted for the original sender it stands for when valid, and refused
//!   `550 5.1.1` when forged or expired.
//!
//! Refused recipients count as session errors in SMTP (address harvesting, relay probing).

use malt_core::delivery::RecipientCheck;
use malt_smtp_proto::command::{notify, unsupported_rcpt_param};
use malt_smtp_proto::{RcptTo, Reply};

use super::{ascii_ok, ehlo};
use crate::policy;
use crate::session::{Next, Session};
use crate::state::{Mode, Recipient, State};

pub(crate) async fn run(s: &mut Session, to: RcptTo<String>) -> Next {
    if let Some(p) = unsupported_rcpt_param(&to, ehlo::params(s)) {
        return s.error(&Reply::new(555, (5, 5, 4), &format!("Unsupported parameter {p}")));
    }
    let (count, smtputf8) = match &s.state {
        State::Transaction { tx, .. } => (tx.rcpts.len(), tx.smtputf8),
        _ => return s.error(&Reply::new(503, (5, 5, 1), "Send MAIL first")),
    };
    if count >= s.max_recipients {
        s.reply(&Reply::new(452, (4, 5, 3), "Too many recipients"));
        return Next::Continue;
    }
    if !ascii_ok(&to.address, smtputf8) {
        return s.error(&Reply::new(553, (5, 6, 7), "Non-ASCII address requires SMTPUTF8"));
    }
    let rcpt = Recipient {
        target: to.address.clone(),
        local: true,
        notify: notify(&to),
        orcpt: to.orcpt.as_ref().map(|o| format!("rfc822;{o}")),
        address: to.address,
    };
    if s.is_smtp() {
        smtp(s, rcpt).await
    } else {
        lmtp(s, rcpt).await
    }
}

fn accept(s: &mut Session, rcpt: Recipient) -> Next {
    let reply = Reply::new(250, (2, 1, 5), &format!("<{}> Recipient OK", rcpt.address));
    if let State::Transaction { tx, .. } = &mut s.state {
        tx.rcpts.push(rcpt);
    }
    s.reply(&reply);
    Next::Continue
}

fn lookup_failed(s: &mut Session, e: &malt_store::StoreError) -> Next {
    tracing::warn!(error = %e, "recipient lookup failed");
    s.reply(&Reply::new(
        451,
        (4, 3, 0),
        "Temporary lookup failure, try again later",
    ));
    Next::Continue
}

async fn lmtp(s: &mut Session, rcpt: Recipient) -> Next {
    match s.core.recipient_exists(&rcpt.address).await {
        Ok(true) => accept(s, rcpt),
        Ok(false) => {
            let text = format!("<{}> No such user here", rcpt.address);
            s.reply(&Reply::new(550, (5, 1, 1), &text));
            Next::Continue
        }
        Err(e) => lookup_failed(s, &e),
    }
}

async fn smtp(s: &mut Session, mut rcpt: Recipient) -> Next {
    let domain = match rcpt.address.rsplit_once('@') {
        Some((_, d)) => d.to_owned(),
        // smtp-proto accepts a path without a domain only for Postmaster (RFC 5321 §4.5.1).
        None => match policy::postmaster(s).await {
            Ok(Some(p)) => {
                rcpt.target = p;
                return local(s, rcpt).await;
            }
            Ok(None) => {
                tracing::warn!("mail to <Postmaster>, but there is no local domain");
                let text = format!("<{}> No postmaster here", rcpt.address);
                return s.error(&Reply::new(550, (5, 1, 1), &text));
            }
            Err(e) => return lookup_failed(s, &e),
        },
    };
    if s.mode == Mode::Mx
        && let Some(srs) = s.core.delivery_options().srs.clone()
        && srs.is_ours(&rcpt.address)
    {
        return srs_bounce(s, rcpt, &srs).await;
    }
    match policy::is_local_domain(s, &domain).await {
        Ok(true) => local(s, rcpt).await,
        Ok(false) if policy::may_relay(s) => {
            rcpt.local = false;
            accept(s, rcpt)
        }
        Ok(false) => {
            tracing::info!(remote = %s.remote, rcpt = %rcpt.address, "relay denied");
            let text = format!("<{}> Relay access denied", rcpt.address);
            s.error(&Reply::new(554, (5, 7, 1), &text))
        }
        Err(e) => lookup_failed(s, &e),
    }
}

/// A recipient that is one of our SRS addresses (`malt_core::srs`): mail (a bounce, an
/// auto-reply) to the sender of a message this server forwarded. A valid one is forwarded to the
/// original sender it stands for, without relay permission (that is the point of SRS); a forged or
/// expired one is refused `550 5.1.1`, so the MX is no open relay.
async fn srs_bounce(s: &mut Session, mut rcpt: Recipient, srs: &malt_core::srs::Srs) -> Next {
    let original = match srs.reverse(&rcpt.address) {
        Ok(o) => o,
        Err(e) => {
            tracing::info!(remote = %s.remote, rcpt = %rcpt.address, error = %e, "SRS address refused");
            let text = format!("<{}> Invalid or expired SRS address", rcpt.address);
            return s.error(&Reply::new(550, (5, 1, 1), &text));
        }
    };
    let domain = original.rsplit_once('@').map_or("", |(_, d)| d);
    match policy::is_local_domain(s, domain).await {
        Ok(true) => {
            rcpt.target = original;
            local(s, rcpt).await
        }
        Ok(false) => {
            rcpt.target = original;
            rcpt.local = false;
            accept(s, rcpt)
        }
        Err(e) => lookup_failed(s, &e),
    }
}

async fn local(s: &mut Session, rcpt: Recipient) -> Next {
    match s.core.check_recipient(&rcpt.target).await {
        Ok(RecipientCheck::Accept) => accept(s, rcpt),
        Ok(RecipientCheck::NoSuchUser) => {
            let text = format!("<{}> No such user here", rcpt.address);
            s.error(&Reply::new(550, (5, 1, 1), &text))
        }
        Ok(RecipientCheck::OverQuota) => {
            let text = format!("<{}> Mailbox full, try again later", rcpt.address);
            s.reply(&Reply::new(452, (4, 2, 2), &text));
            Next::Continue
        }
        Err(e) => lookup_failed(s, &e),
    }
}
