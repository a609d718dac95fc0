//! `malt delegate add|list|remove`: who may send as, or on behalf of, which address (the
//! submission service checks these; RFC 5322 §3.6.2: on behalf of adds a `Sender:` header).

use std::collections::HashMap;

use clap::Subcommand;
use malt_store::DelegationKind;

use crate::context::{Ctx, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum DelegateCmd {
    /// Let USER send as (or on behalf of) an address: another account, an alias or a group.
    Add {
        /// The account that gets the right.
        #[arg(long, value_name = "ADDRESS")]
        user: String,
        #[command(flatten)]
        right: Right,
    },
    /// List delegations (of one user, or all).
    List {
        #[arg(long, value_name = "ADDRESS")]
        user: Option<String>,
    },
    /// Take a right away.
    Remove {
        #[arg(long, value_name = "ADDRESS")]
        user: String,
        /// The delegated address.
        address: String,
    },
}

#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct Right {
    /// Mail from ADDRESS, as if ADDRESS sent it.
    #[arg(long, value_name = "ADDRESS")]
    send_as: Option<String>,
    /// Mail from ADDRESS with a `Sender:` header naming the user.
    #[arg(long, value_name = "ADDRESS")]
    on_behalf: Option<String>,
}

fn kind_name(kind: DelegationKind) -> &'static str {
    match kind {
        DelegationKind::SendAs => "send-as",
        DelegationKind::SendOnBehalf => "on-behalf",
    }
}

pub async fn run(g: &GlobalOpts, cmd: DelegateCmd) -> anyhow::Result<()> {
    let ctx = Ctx::open(g).await?;
    let store = &ctx.storage.store;
    match cmd {
        DelegateCmd::Add { user, right } => {
            let a = ctx.account(&user).await?;
            let (address, kind) = match (right.send_as, right.on_behalf) {
                (Some(addr), _) => (addr, DelegationKind::SendAs),
                (None, Some(addr)) => (addr, DelegationKind::SendOnBehalf),
                (None, None) => anyhow::bail!("give --send-as or --on-behalf"),
            };
            store.delegation_add(a.id, &address, kind).await?;
            println!(
                "{} may now send {} {}",
                a.address,
                match kind {
                    DelegationKind::SendAs => "as",
                    DelegationKind::SendOnBehalf => "on behalf of",
                },
                address.trim().to_lowercase()
            );
        }
        DelegateCmd::List { user } => {
            let account = match &user {
                Some(u) => Some(ctx.account(u).await?.id),
                None => None,
            };
            let names: HashMap<_, _> = store
                .account_list(None)
                .await?
                .into_iter()
                .map(|a| (a.id, a.address))
                .collect();
            for d in store.delegation_list(account).await? {
                let who = names
                    .get(&d.account)
                    .map_or_else(|| format!("#{}", d.account), Clone::clone);
                println!("{who}\t{}\t{}", kind_name(d.kind), d.address);
            }
        }
        DelegateCmd::Remove { user, address } => {
            let a = ctx.account(&user).await?;
            store.delegation_remove(a.id, &address).await?;
            println!(
                "{} may no longer send as {}",
                a.address,
                address.trim().to_lowercase()
            );
        }
    }
    Ok(())
}
