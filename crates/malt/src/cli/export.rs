//! `malt export mbox USER MAILBOX [--output FILE]`.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use malt_store::UidSet;

use super::mbox;
use crate::context::{Ctx, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum ExportCmd {
    /// Write a mailbox as an mbox (mboxrd) file, or to standard output.
    Mbox {
        user: String,
        mailbox: String,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

/// Messages read from the store per query.
const CHUNK: u32 = 500;

pub async fn run(g: &GlobalOpts, cmd: ExportCmd) -> anyhow::Result<()> {
    let ExportCmd::Mbox {
        user,
        mailbox,
        output,
    } = cmd;
    let ctx = Ctx::open(g).await?;
    let account = ctx.account(&user).await?;
    let store = &ctx.storage.store;
    let mb = store
        .mailbox_get(account.id, &mailbox)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no mailbox {mailbox:?} for {}", account.address))?;
    let mut out: Box<dyn Write> = match &output {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let uids: Vec<u32> = store
        .message_summaries(mb.id)
        .await?
        .into_iter()
        .map(|s| s.uid)
        .collect();
    let mut count = 0u64;
    for chunk in uids.chunks(CHUNK as usize) {
        for m in store
            .messages(mb.id, &UidSet::from_uids(chunk.iter().copied()))
            .await?
        {
            let raw = ctx.core.read_message(&m).await?;
            mbox::write(&mut out, &raw, m.internal_date)?;
            count += 1;
        }
    }
    out.flush()?;
    drop(out);
    if output.is_some() {
        println!("exported {count} messages");
    }
    Ok(())
}
