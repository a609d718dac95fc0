//! `malt user add|list|show|passwd|del|quota`.

use clap::Subcommand;
use malt_core::auth::password;
use malt_store::NewAccount;

use super::{human_size, parse_quota, password_input};
use crate::context::{Ctx, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Create an account (with INBOX, Sent, Drafts, Trash, Junk and Archive). Prompts for the
    /// password unless --password-stdin is given.
    Add {
        /// The account's address, which is also its login name.
        address: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Storage quota, e.g. 500M, 2G, or none.
        #[arg(long, value_name = "SIZE")]
        quota: Option<String>,
    },
    /// List accounts.
    List {
        /// Only this domain's accounts.
        #[arg(long)]
        domain: Option<String>,
    },
    /// Show one account: quota, usage, mailboxes, app passwords.
    Show { address: String },
    /// Change an account's password.
    Passwd {
        address: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Delete an account with all its mail.
    Del { address: String },
    /// Set an account's quota (e.g. 500M, 2G, none).
    Quota { address: String, size: String },
}

pub async fn run(g: &GlobalOpts, cmd: UserCmd) -> anyhow::Result<()> {
    let ctx = Ctx::open(g).await?;
    let store = &ctx.storage.store;
    match cmd {
        UserCmd::Add {
            address,
            password_stdin,
            quota,
        } => {
            let quota_bytes = match quota {
                Some(q) => parse_quota(&q)?,
                None => None,
            };
            let pw = password_input::read(password_stdin)?;
            let password_hash = hash(pw).await?;
            let a = store
                .account_create(NewAccount {
                    address,
                    password_hash,
                    quota_bytes,
                })
                .await?;
            println!("created account {}", a.address);
        }
        UserCmd::List { domain } => {
            for a in store.account_list(domain.as_deref()).await? {
                println!("{}\t{}\t{} messages", a.address, usage(&a), a.message_count);
            }
        }
        UserCmd::Show { address } => {
            let a = ctx.account(&address).await?;
            println!("address:   {}", a.address);
            println!("quota:     {}", usage(&a));
            println!("messages:  {}", a.message_count);
            println!("modseq:    {}", a.highest_modseq);
            println!("mailboxes:");
            for m in store.mailbox_list(a.id).await? {
                let role = m.role.map(|r| format!(" {}", r.attribute())).unwrap_or_default();
                println!(
                    "  {}{role}\t{} messages, {} unseen, {}",
                    m.name,
                    m.message_count,
                    m.unseen_count,
                    human_size(m.total_size)
                );
            }
            let apps = store.app_password_list(a.id).await?;
            if !apps.is_empty() {
                println!("app passwords:");
                for p in apps {
                    println!("  {}", p.name);
                }
            }
        }
        UserCmd::Passwd {
            address,
            password_stdin,
        } => {
            let a = ctx.account(&address).await?;
            let pw = password_input::read(password_stdin)?;
            store.account_set_password(a.id, &hash(pw).await?).await?;
            println!("password changed for {}", a.address);
        }
        UserCmd::Del { address } => {
            let a = ctx.account(&address).await?;
            store.account_delete(a.id).await?;
            println!("deleted account {}", a.address);
        }
        UserCmd::Quota { address, size } => {
            let a = ctx.account(&address).await?;
            store.account_set_quota(a.id, parse_quota(&size)?).await?;
            println!("quota of {} set to {size}", a.address);
        }
    }
    Ok(())
}

fn usage(a: &malt_store::Account) -> String {
    match a.quota_bytes {
        Some(q) => format!("{} of {}", human_size(a.used_bytes), human_size(q)),
        None => format!("{} (no quota)", human_size(a.used_bytes)),
    }
}

/// argon2id is deliberately slow: hash off the async threads.
async fn hash(pw: String) -> anyhow::Result<String> {
    Ok(tokio::task::spawn_blocking(move || password::hash(&pw)).await??)
}
