//! `malt domain add|list|del`.

use clap::Subcommand;

use crate::context::{Ctx, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum DomainCmd {
    /// Serve mail for a domain.
    Add { name: String },
    /// List the domains.
    List,
    /// Stop serving a domain (refused while accounts, aliases or groups use it).
    Del { name: String },
}

pub async fn run(g: &GlobalOpts, cmd: DomainCmd) -> anyhow::Result<()> {
    let ctx = Ctx::open(g).await?;
    let store = &ctx.storage.store;
    match cmd {
        DomainCmd::Add { name } => {
            let d = store.domain_add(&name).await?;
            println!("added domain {}", d.name);
        }
        DomainCmd::List => {
            for d in store.domain_list().await? {
                println!("{}", d.name);
            }
        }
        DomainCmd::Del { name } => {
            store.domain_delete(&name).await?;
            println!("deleted domain {name}");
        }
    }
    Ok(())
}
