//! `malt app-password create|list|revoke`.

use clap::Subcommand;
use malt_core::auth::app_password;

use crate::context::{Ctx, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum AppPasswordCmd {
    /// Create an app password; it is printed once and cannot be shown again.
    Create { address: String, name: String },
    /// List an account's app passwords (names only).
    List { address: String },
    /// Revoke an app password.
    Revoke { address: String, name: String },
}

pub async fn run(g: &GlobalOpts, cmd: AppPasswordCmd) -> anyhow::Result<()> {
    let ctx = Ctx::open(g).await?;
    let store = &ctx.storage.store;
    match cmd {
        AppPasswordCmd::Create { address, name } => {
            let a = ctx.account(&address).await?;
            let secret = app_password::generate();
            store
                .app_password_add(a.id, &name, &app_password::hash(&secret))
                .await?;
            println!("app password {name:?} for {}: {secret}", a.address);
            println!("(shown once: it cannot be displayed again)");
        }
        AppPasswordCmd::List { address } => {
            let a = ctx.account(&address).await?;
            for p in store.app_password_list(a.id).await? {
                println!("{}\tcreated {}", p.name, p.created_at);
            }
        }
        AppPasswordCmd::Revoke { address, name } => {
            let a = ctx.account(&address).await?;
            store.app_password_revoke(a.id, &name).await?;
            println!("revoked app password {name:?} of {}", a.address);
        }
    }
    Ok(())
}
