//! `malt check`: every referenced blob exists and matches its hash; counters agree.
//! Exits non-zero when anything is wrong.

use crate::context::{Ctx, GlobalOpts};

pub async fn run(g: &GlobalOpts) -> anyhow::Result<()> {
    let ctx = Ctx::open(g).await?;
    let r = malt_store::maintenance::check(&*ctx.storage.store, &ctx.storage.blobs).await?;
    println!(
        "{} accounts, {} mailboxes, {} messages checked",
        r.accounts, r.mailboxes, r.messages
    );
    if r.problems.is_empty() {
        println!("no problems found");
        return Ok(());
    }
    for p in &r.problems {
        println!("problem: {p}");
    }
    anyhow::bail!("{} problems found", r.problems.len())
}
