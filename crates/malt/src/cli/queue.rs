//! `malt queue list|show|flush|retry|hold|release|delete`: the outbound queue, as Postfix's
//! `mailq` and `postqueue`/`postsuper` show and change it.
//!
//! These work on the store while the server runs; the running queue runner picks up a change
//! (a flush, a release) at its next wake-up, within 30 seconds.

use clap::Subcommand;
use malt_store::{QueueId, QueuedMessage, RecipientStatus};

use super::human_size;
use crate::context::{Ctx, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum QueueCmd {
    /// List queued messages: id, age, size, sender, each recipient with its status.
    List,
    /// Show one message: every field, each recipient's attempts and last error.
    Show { id: QueueId },
    /// Make every pending recipient due now.
    Flush,
    /// Make one message's pending recipients due now.
    Retry { id: QueueId },
    /// Hold a message: it is not delivered until released.
    Hold { id: QueueId },
    /// Release a held message.
    Release { id: QueueId },
    /// Delete a message from the queue (no bounce is sent).
    Delete { id: QueueId },
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `45s`, `12m`, `2h13m`, `3d4h` (negative durations count as 0).
pub fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h{}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{}h", s / 86_400, s % 86_400 / 3600),
    }
}

fn sender(m: &QueuedMessage) -> String {
    format!("<{}>", m.return_path)
}

fn recipient_line(r: &malt_store::QueueRecipient, now: i64) -> String {
    match r.status {
        RecipientStatus::Pending if r.next_attempt <= now => {
            format!("{}\tpending, {} attempts, due now", r.address, r.attempts)
        }
        RecipientStatus::Pending => format!(
            "{}\tpending, {} attempts, next in {}",
            r.address,
            r.attempts,
            human_duration(r.next_attempt - now)
        ),
        s => format!("{}\t{}", r.address, s.as_str()),
    }
}

async fn get(ctx: &Ctx, id: QueueId) -> anyhow::Result<QueuedMessage> {
    ctx.storage
        .store
        .queue_get(id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no queued message {id}"))
}

/// A store `NotFound` for `id` as the same message `show` gives.
fn not_found(id: QueueId, e: malt_store::StoreError) -> anyhow::Error {
    match e {
        malt_store::StoreError::NotFound(_) => anyhow::anyhow!("no queued message {id}"),
        e => e.into(),
    }
}

pub async fn run(g: &GlobalOpts, cmd: QueueCmd) -> anyhow::Result<()> {
    let ctx = Ctx::open(g).await?;
    let store = &ctx.storage.store;
    let now = now();
    match cmd {
        QueueCmd::List => {
            let messages = store.queue_list().await?;
            if messages.is_empty() {
                println!("queue is empty");
            }
            for m in &messages {
                println!(
                    "{}\t{}\t{}\t{}{}",
                    m.id,
                    human_duration(now - m.created_at),
                    human_size(m.size),
                    sender(m),
                    if m.held { "\theld" } else { "" }
                );
                for r in &m.recipients {
                    println!("\t{}", recipient_line(r, now));
                }
            }
        }
        QueueCmd::Show { id } => {
            let m = get(&ctx, id).await?;
            println!("id:         {}", m.id);
            println!("sender:     {}", sender(&m));
            println!(
                "queued:     {} ({} ago)",
                malt_core::delivery::rfc5322_date(m.created_at),
                human_duration(now - m.created_at)
            );
            println!("size:       {} ({} octets)", human_size(m.size), m.size);
            println!("held:       {}", if m.held { "yes" } else { "no" });
            println!("envid:      {}", m.envid.as_deref().unwrap_or("-"));
            println!("ret:        {}", if m.ret_full { "FULL" } else { "HDRS" });
            println!("blob:       {}", m.blob_id);
            match m.submitter {
                Some(a) => match store.account_get(a).await? {
                    Some(acc) => println!("submitter:  {}", acc.address),
                    None => println!("submitter:  account {a}"),
                },
                None => println!("submitter:  -"),
            }
            println!("recipients:");
            for r in &m.recipients {
                println!("  {}", recipient_line(r, now));
                if let Some(o) = &r.orcpt {
                    println!("    orcpt:      {o}");
                }
                if let Some(n) = r.notify {
                    let kinds: Vec<&str> = [
                        (n.never, "NEVER"),
                        (n.success, "SUCCESS"),
                        (n.failure, "FAILURE"),
                        (n.delay, "DELAY"),
                    ]
                    .into_iter()
                    .filter_map(|(on, k)| on.then_some(k))
                    .collect();
                    println!("    notify:     {}", kinds.join(","));
                }
                if r.delay_notified {
                    println!("    delay notice sent");
                }
                if let Some(e) = &r.last_error {
                    println!("    last error: {}", e.replace(['\r', '\n'], " "));
                }
            }
        }
        QueueCmd::Flush => {
            let n = store.queue_retry_now(None, now).await?;
            println!("{n} messages due now");
        }
        QueueCmd::Retry { id } => {
            get(&ctx, id).await?;
            let n = store.queue_retry_now(Some(id), now).await?;
            if n == 0 {
                anyhow::bail!("queued message {id} has no pending recipient");
            }
            println!("message {id} due now");
        }
        QueueCmd::Hold { id } => {
            store.queue_hold(id, true).await.map_err(|e| not_found(id, e))?;
            println!("message {id} held");
        }
        QueueCmd::Release { id } => {
            store.queue_hold(id, false).await.map_err(|e| not_found(id, e))?;
            println!("message {id} released");
        }
        QueueCmd::Delete { id } => {
            store.queue_delete(id).await.map_err(|e| not_found(id, e))?;
            println!("message {id} deleted");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(human_duration(-5), "0s");
        assert_eq!(human_duration(45), "45s");
        assert_eq!(human_duration(720), "12m");
        assert_eq!(human_duration(2 * 3600 + 13 * 60), "2h13m");
        assert_eq!(human_duration(3 * 86_400 + 4 * 3600 + 5), "3d4h");
    }
}
