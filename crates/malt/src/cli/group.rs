//! `malt group add|del|members`.

use clap::Subcommand;

use crate::context::{Ctx, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum GroupCmd {
    /// Create a group (distribution list) with an address.
    Add {
        address: String,
        /// Display name (defaults to the address).
        #[arg(long)]
        name: Option<String>,
    },
    /// Delete a group.
    Del { address: String },
    /// List groups.
    List,
    /// Show a group's members, or change them with --add / --remove.
    Members {
        address: String,
        #[arg(long, value_name = "ADDRESS")]
        add: Vec<String>,
        #[arg(long, value_name = "ADDRESS")]
        remove: Vec<String>,
    },
}

pub async fn run(g: &GlobalOpts, cmd: GroupCmd) -> anyhow::Result<()> {
    let ctx = Ctx::open(g).await?;
    let store = &ctx.storage.store;
    match cmd {
        GroupCmd::Add { address, name } => {
            let name = name.unwrap_or_else(|| address.clone());
            let gr = store.group_add(&address, &name).await?;
            println!("created group {}", gr.address);
        }
        GroupCmd::Del { address } => {
            store.group_delete(&address).await?;
            println!("deleted group {address}");
        }
        GroupCmd::List => {
            for gr in store.group_list().await? {
                println!("{}\t{}\t{} members", gr.address, gr.name, gr.members.len());
            }
        }
        GroupCmd::Members { address, add, remove } => {
            for m in &add {
                store.group_member_add(&address, m).await?;
            }
            for m in &remove {
                store.group_member_remove(&address, m).await?;
            }
            let gr = store
                .group_get(&address)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no group {address}"))?;
            for m in gr.members {
                println!("{m}");
            }
        }
    }
    Ok(())
}
