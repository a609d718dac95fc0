//! `malt alias add|list|del`.

use clap::Subcommand;

use crate::context::{Ctx, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum AliasCmd {
    /// Send mail for ADDRESS (`local@domain`, or `@domain` for a catch-all) to TARGET.
    Add { address: String, target: String },
    /// List aliases.
    List {
        #[arg(long)]
        domain: Option<String>,
    },
    /// Remove an alias, or only one of its targets.
    Del { address: String, target: Option<String> },
}

pub async fn run(g: &GlobalOpts, cmd: AliasCmd) -> anyhow::Result<()> {
    let ctx = Ctx::open(g).await?;
    let store = &ctx.storage.store;
    match cmd {
        AliasCmd::Add { address, target } => {
            let a = store.alias_add(&address, &target).await?;
            println!("added alias {} -> {}", a.address, a.target);
        }
        AliasCmd::List { domain } => {
            for a in store.alias_list(domain.as_deref()).await? {
                println!("{}\t{}", a.address, a.target);
            }
        }
        AliasCmd::Del { address, target } => {
            store.alias_delete(&address, target.as_deref()).await?;
            println!("deleted alias {address}");
        }
    }
    Ok(())
}
