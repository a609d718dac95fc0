//! `malt gc`: remove blobs no message references.

use std::time::Duration;

use crate::context::{Ctx, GlobalOpts};

#[derive(Debug, clap::Args)]
pub struct GcArgs {
    /// Keep unreferenced blobs younger than this many seconds (an append may be in flight).
    #[arg(long, default_value_t = 3600)]
    pub grace: u64,
}

pub async fn run(g: &GlobalOpts, args: GcArgs) -> anyhow::Result<()> {
    let ctx = Ctx::open(g).await?;
    let r = malt_store::maintenance::gc(
        &*ctx.storage.store,
        &ctx.storage.blobs,
        Duration::from_secs(args.grace),
    )
    .await?;
    println!(
        "{} blobs seen, {} unreferenced removed, {} stale temporary files removed",
        r.blobs_seen, r.blobs_removed, r.temporaries_removed
    );
    Ok(())
}
