//! The end of a transaction, after DATA's final dot or `BDAT ... LAST`: delivery, queueing and the
//! reply or replies.
//!
//! LMTP (RFC 2033 §4.2): one reply per accepted recipient, in RCPT order; each `250` only once the
//! message is durable in that recipient's mailbox; `550 5.7.1 <reason>` for a recipient whose
//! Sieve script refused it (RFC 5429 §2.1.1).
//!
//! SMTP (RFC 5321 §4.1.1.4, §6.1): ONE reply for the transaction, sent only once the message is
//! durable for every accepted recipient:
//! 1. submission: the checks and fix-ups of `crate::submission` (the From check may refuse the
//!    message; nothing is delivered then);
//! 2. local recipients are delivered through `MailCore::deliver_message` (trace headers per
//!    recipient);
//! 3. remote recipients, local ones whose delivery failed temporarily, and — when others succeeded —
//!    local ones that failed permanently (the queue retries and reports them to the sender) are
//!    queued together, as one queue entry, with this server's `Received:` line on top;
//! 4. submission with `[smtp] save_sent`: a copy as sent in the user's Sent mailbox;
//!    A recipient whose Sieve script refused the message (RFC 5429) is not queued: when others
//!    took the message, the sender gets a reject notice (RFC 5429 §2.1) instead;
//! 5. the reply: `250 2.0.0` when every recipient was delivered or queued; when every recipient
//!    failed permanently, the first failure (e.g. `552 5.2.2`: the sender's MTA bounces, instead of
//!    this server accepting and bouncing); `451 4.3.0` when queueing failed (the client retries;
//!    local copies already delivered may then arrive twice, which is preferred to losing mail).
//!
//! A message over the size limit gets `552 5.3.4` (per recipient in LMTP, once in SMTP).

use malt_core::delivery::{Envelope, Outcome, received_header};
use malt_core::queue::{QueueEnvelope, QueueRcpt};
use malt_smtp_proto::Reply;
use malt_store::{DsnNotify, QueueId, StoreError};

use crate::session::Session;
use crate::state::{Mode, Recipient, Transaction};

/// Ends a transaction; `body` is `None` when the message exceeded the size limit (RFC 1870 §6.3).
pub(crate) async fn finish(s: &mut Session, tx: Transaction, body: Option<Vec<u8>>) {
    match s.mode {
        Mode::Lmtp => lmtp(s, tx, body).await,
        Mode::Mx | Mode::Submission => smtp(s, tx, body).await,
    }
}

/// The envelope of the trace headers, with a new transaction id.
fn envelope(s: &mut Session, tx: &Transaction) -> Envelope {
    s.transactions += 1;
    let received_at = malt_core::mail::now();
    Envelope {
        return_path: tx.from.clone(),
        helo: s.state.helo().unwrap_or_default().to_owned(),
        remote: s.remote,
        hostname: s.hostname().to_owned(),
        // RFC 3848 §2.
        protocol: s.protocol(),
        id: format!("{received_at:x}.{:x}.{}", s.ctx.id, s.transactions),
        received_at,
        // SPF/DKIM/DMARC/ARC for mail from the internet (RFC 8601); LMTP comes from an MTA inside
        // the trust boundary that did its checks, submission from an authenticated user.
        verify_sender: s.mode == Mode::Mx,
    }
}

/// The reply for a recipient whose delivery did not succeed (`None` for a success).
fn failure_reply(rcpt: &str, outcome: &Outcome) -> Option<Reply> {
    Some(match outcome {
        Outcome::Delivered(_) => return None,
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
        // RFC 5429 §2.1.1: 550, and 5.7.1 (RFC 3463: delivery not authorized, message refused).
        Outcome::Rejected(reason) => Reply::new(550, (5, 7, 1), &reply_text(reason)),
    })
}

/// A Sieve reject reason as one line of reply text (RFC 5321 §4.5.3.1.5: at most 512 octets per
/// reply line): ASCII only, line ends and controls as spaces, cut at 400 characters.
fn reply_text(reason: &str) -> String {
    let text: String = reason
        .chars()
        .map(|c| match c {
            c if c.is_control() => ' ',
            c if !c.is_ascii() => '?',
            c => c,
        })
        .take(400)
        .collect();
    let text = text.trim();
    if text.is_empty() {
        "Message rejected".to_owned()
    } else {
        text.to_owned()
    }
}

async fn lmtp(s: &mut Session, tx: Transaction, body: Option<Vec<u8>>) {
    let Some(body) = body else {
        for rcpt in &tx.rcpts {
            s.reply(&Reply::new(
                552,
                (5, 3, 4),
                &format!(
                    "<{}> Message size exceeds fixed maximum message size",
                    rcpt.address
                ),
            ));
        }
        return;
    };
    let env = envelope(s, &tx);
    let targets: Vec<String> = tx.rcpts.iter().map(|r| r.target.clone()).collect();
    let outcomes = s.core.deliver_message(&env, &targets, &body).await;
    for (rcpt, outcome) in tx.rcpts.iter().zip(outcomes) {
        let reply = failure_reply(&rcpt.address, &outcome)
            .unwrap_or_else(|| Reply::new(250, (2, 0, 0), &format!("<{}> {} Saved", rcpt.address, env.id)));
        s.reply(&reply);
    }
}

async fn smtp(s: &mut Session, tx: Transaction, body: Option<Vec<u8>>) {
    let Some(body) = body else {
        s.reply(&Reply::new(
            552,
            (5, 3, 4),
            "Message size exceeds fixed maximum message size",
        ));
        return;
    };
    let env = envelope(s, &tx);
    let body = if s.mode == Mode::Submission {
        match crate::submission::prepare(s, body).await {
            Ok(b) => b,
            Err(reply) => {
                s.reply(&reply);
                return;
            }
        }
    } else {
        body
    };
    let (local, mut queued): (Vec<&Recipient>, Vec<&Recipient>) = tx.rcpts.iter().partition(|r| r.local);
    let targets: Vec<String> = local.iter().map(|r| r.target.clone()).collect();
    let outcomes = s.core.deliver_message(&env, &targets, &body).await;
    let mut delivered = 0usize;
    let mut permanent: Vec<(&Recipient, Reply)> = Vec::new();
    let mut rejected: Vec<(&Recipient, String)> = Vec::new();
    for (rcpt, outcome) in local.into_iter().zip(outcomes) {
        match (&outcome, failure_reply(&rcpt.address, &outcome)) {
            (_, None) => delivered += 1,
            (Outcome::TempFail | Outcome::OverQuota { permanent: false }, Some(_)) => queued.push(rcpt),
            (Outcome::Rejected(reason), Some(reply)) => {
                rejected.push((rcpt, reason.clone()));
                permanent.push((rcpt, reply));
            }
            (_, Some(reply)) => permanent.push((rcpt, reply)),
        }
    }
    if delivered == 0
        && queued.is_empty()
        && let Some((_, reply)) = permanent.first()
    {
        let reply = reply.clone();
        s.reply(&reply);
        return;
    }
    // Others took the message: a Sieve refusal is told by a notice (RFC 5429 §2.1), not queued.
    for (rcpt, reason) in &rejected {
        if let Err(e) = s.core.send_reject_notice(&env, &rcpt.target, reason, &body).await {
            tracing::error!(id = %env.id, error = %e, "cannot queue a reject notice");
            s.reply(&Reply::new(451, (4, 3, 0), "Temporary failure, try again later"));
            return;
        }
    }
    permanent.retain(|(r, _)| !rejected.iter().any(|(x, _)| std::ptr::eq(*x, *r)));
    queued.extend(permanent.into_iter().map(|(r, _)| r));
    if !queued.is_empty() {
        let mut message = received_header(&env, None).into_bytes();
        message.extend_from_slice(&body);
        if let Err(e) = queue(s, &tx, &queued, &message).await {
            tracing::error!(id = %env.id, error = %e, "queueing failed");
            s.reply(&Reply::new(451, (4, 3, 0), "Temporary failure, try again later"));
            return;
        }
    }
    if s.mode == Mode::Submission && s.ctx.config.smtp.save_sent {
        crate::submission::save_sent(s, &body).await;
    }
    s.reply(&Reply::new(
        250,
        (2, 0, 0),
        &format!("{} Message accepted for delivery", env.id),
    ));
}

/// Puts `message` for `recipients` into the durable outbound queue, with the transaction's DSN
/// parameters (RFC 3461) and the authenticated submitter.
async fn queue(
    s: &Session,
    tx: &Transaction,
    recipients: &[&Recipient],
    message: &[u8],
) -> Result<QueueId, StoreError> {
    let env = QueueEnvelope {
        return_path: tx.from.clone(),
        envid: tx.envid.clone(),
        ret_full: tx.ret_full,
        submitter: s.user.as_ref().map(|u| u.id),
    };
    let rcpts: Vec<QueueRcpt> = recipients
        .iter()
        .map(|r| {
            let notify = r.notify.map(|n| DsnNotify {
                success: n.success,
                failure: n.failure,
                delay: n.delay,
                never: n.never,
            });
            (r.target.clone(), notify, r.orcpt.clone())
        })
        .collect();
    s.core.enqueue(&env, &rcpts, message).await
}
