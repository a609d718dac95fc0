//! Submission (RFC 6409) after the message content, before delivery and queueing:
//!
//! 1. the `From:` addresses must each be the authenticated account's own, an alias of it, or one it
//!    holds a delegation for (`malt_core::sending::SenderRight`); otherwise `550 5.7.1` and nothing
//!    is delivered. A `From:` field without a readable address is refused the same way; a message
//!    without `From:` claims nobody and passes.
//! 2. `Sender:` (RFC 6409 §8.1, RFC 5322 §3.6.2): when a `From:` address is held as a
//!    send-on-behalf delegation, or there are several `From:` addresses, every `Sender:` the client
//!    put is replaced by `Sender: <account address>`. Otherwise a client's `Sender:` must pass the
//!    same check as `From:`.
//! 3. `Date:` and `Message-ID:` are added when missing (RFC 6409 §8.2-8.3,
//!    `malt_core::submission`).
//! 4. the message is DKIM-signed with the `From:` domain's key (RFC 6376, `MailCore::dkim_signed`;
//!    unsigned when the domain has no key or `[mail_auth] dkim_sign` is off).

use malt_core::sending::SenderRight;
use malt_core::submission::{add_missing_fields, header_addresses, replace_sender};
use malt_smtp_proto::Reply;
use malt_store::Account;

use crate::session::Session;

/// The message as it is delivered and queued, or the reply that refuses it.
pub(crate) async fn prepare(s: &Session, body: Vec<u8>) -> Result<Vec<u8>, Reply> {
    let Some(user) = &s.user else {
        return Err(Reply::new(530, (5, 7, 0), "Authentication required"));
    };
    let froms = match header_addresses(&body, false) {
        Some(f) if f.is_empty() => {
            return Err(Reply::new(550, (5, 7, 1), "From header has no valid address"));
        }
        Some(f) => f,
        None => Vec::new(),
    };
    let mut on_behalf = false;
    for from in &froms {
        match right(s, user, from).await? {
            SenderRight::Own | SenderRight::SendAs => {}
            SenderRight::OnBehalf => on_behalf = true,
            SenderRight::Denied => {
                tracing::info!(user = %user.address, from = %from, "From header refused");
                return Err(Reply::new(
                    550,
                    (5, 7, 1),
                    &format!("From header address <{from}> not owned by user"),
                ));
            }
        }
    }
    let body = if on_behalf || froms.len() > 1 {
        replace_sender(&body, &user.address)
    } else {
        for sender in header_addresses(&body, true).unwrap_or_default() {
            if right(s, user, &sender).await? == SenderRight::Denied {
                return Err(Reply::new(
                    550,
                    (5, 7, 1),
                    &format!("Sender header address <{sender}> not owned by user"),
                ));
            }
        }
        body
    };
    let now = malt_core::mail::now();
    let body = add_missing_fields(&body, s.hostname(), now);
    Ok(s.core.dkim_signed(&body).await)
}

async fn right(s: &Session, user: &Account, address: &str) -> Result<SenderRight, Reply> {
    s.core.sender_right(user, address).await.map_err(|e| {
        tracing::warn!(error = %e, "sender lookup failed");
        Reply::new(451, (4, 3, 0), "Temporary lookup failure, try again later")
    })
}

/// `[smtp] save_sent`: a copy of the message as sent (fixed up and signed) goes to the user's
/// `\Sent` mailbox (RFC 6154), flagged `\Seen`. A failure is logged, not answered: the message is
/// already delivered or queued, and a refusal now would make the client send it again.
pub(crate) async fn save_sent(s: &Session, body: &[u8]) {
    let Some(user) = &s.user else {
        return;
    };
    let sent = match s.core.storage().store.mailbox_list(user.id).await {
        Ok(list) => list
            .into_iter()
            .find(|m| m.role == Some(malt_store::SpecialUse::Sent)),
        Err(e) => {
            tracing::warn!(user = %user.address, error = %e, "Sent mailbox lookup failed");
            return;
        }
    };
    let Some(sent) = sent else {
        tracing::info!(user = %user.address, "no Sent mailbox: copy not saved");
        return;
    };
    let seen = malt_store::Flags::new(malt_store::flag::SEEN, []);
    if let Err(e) = s.core.append(user.id, sent.id, body, seen, None).await {
        tracing::warn!(user = %user.address, error = %e, "saving the copy in Sent failed");
    }
}
