//! `malt deliver --to ADDRESS [--mailbox NAME] < message.eml`: local delivery through the same
//! ingest path as SMTP and LMTP, as dovecot-lda does. It exits 0 only once the message is durable
//! for every recipient; otherwise it exits with a sysexits code an MTA understands (67 unknown
//! user, 65 bad data, 73 cannot create (quota), 75 temporary failure).

use std::io::Read;

use malt_store::StoreError;

use crate::context::{Ctx, GlobalOpts};

#[derive(Debug, clap::Args)]
pub struct DeliverArgs {
    /// Recipient address (account, alias, group, catch-all or user+tag).
    #[arg(long, value_name = "ADDRESS")]
    pub to: String,
    /// Mailbox to file into (default INBOX; INBOX too if the mailbox does not exist).
    #[arg(long, value_name = "NAME")]
    pub mailbox: Option<String>,
}

const EX_DATAERR: i32 = 65;
const EX_NOUSER: i32 = 67;
const EX_CANTCREAT: i32 = 73;
const EX_TEMPFAIL: i32 = 75;

pub async fn run(g: &GlobalOpts, args: DeliverArgs) -> anyhow::Result<()> {
    let ctx = Ctx::open(g).await?;
    let limit = ctx.config.limits.max_message_size;
    let mut raw = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit.saturating_add(1))
        .read_to_end(&mut raw)?;
    if raw.len() as u64 > limit {
        eprintln!("malt deliver: message exceeds the size limit of {limit} octets");
        std::process::exit(EX_DATAERR);
    }
    match ctx.core.deliver(&args.to, &raw, args.mailbox.as_deref()).await {
        Ok(done) => {
            for a in done {
                tracing::info!(mailbox = a.mailbox_id, uid = a.uid, "delivered");
            }
            Ok(())
        }
        Err(e) => {
            eprintln!("malt deliver: {e}");
            let code = match e {
                StoreError::NotFound(_) => EX_NOUSER,
                StoreError::Invalid { .. } => EX_DATAERR,
                StoreError::OverQuota { .. } => EX_CANTCREAT,
                _ => EX_TEMPFAIL,
            };
            std::process::exit(code);
        }
    }
}
