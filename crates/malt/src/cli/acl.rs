//! `malt acl set|delete|list USER MAILBOX [IDENTIFIER [RIGHTS]]`: a mailbox's access control
//! list (RFC 4314), for sharing a mailbox with another user, a group, `anyone` or
//! `authenticated`, also while the server runs.
//!
//! RIGHTS follow SETACL (RFC 4314 §3.1): letters of `lrswipkxtea` (obsolete `c` and `d`
//! expand, §2.1.1) replace the identifier's rights, `+letters` add, `-letters` remove; rights
//! that end up empty remove the entry. An identifier `-name` holds negative rights (§2).

use clap::Subcommand;
use malt_core::acl::set_rights;

use crate::context::{Ctx, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum AclCmd {
    /// Set an identifier's rights on a mailbox (RIGHTS: e.g. lrs, +w, -s).
    Set {
        /// The owner of the mailbox.
        user: String,
        mailbox: String,
        /// An address (user or group), anyone, authenticated, or -IDENTIFIER (negative rights).
        #[arg(allow_hyphen_values = true)]
        identifier: String,
        /// Rights letters (lrswipkxtea), +letters to add, -letters to remove.
        #[arg(allow_hyphen_values = true)]
        rights: String,
    },
    /// Remove an identifier's entry from a mailbox's ACL.
    Delete {
        user: String,
        mailbox: String,
        #[arg(allow_hyphen_values = true)]
        identifier: String,
    },
    /// Show a mailbox's ACL (identifier and rights, one per line).
    List { user: String, mailbox: String },
}

pub async fn run(g: &GlobalOpts, cmd: AclCmd) -> anyhow::Result<()> {
    let ctx = Ctx::open(g).await?;
    let store = ctx.storage.store.as_ref();
    let (user, mailbox) = match &cmd {
        AclCmd::Set { user, mailbox, .. }
        | AclCmd::Delete { user, mailbox, .. }
        | AclCmd::List { user, mailbox } => (user, mailbox),
    };
    let account = ctx.account(user).await?;
    let mb = store
        .mailbox_get(account.id, mailbox)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no mailbox {mailbox:?} for {}", account.address))?;
    match cmd {
        AclCmd::Set {
            identifier, rights, ..
        } => {
            let identifier = malt_store::AclEntry::normalise_identifier(&identifier);
            warn_if_unknown(&ctx, &identifier).await?;
            let new = set_rights(store, account.id, mb.id, &identifier, &rights).await?;
            if new.is_empty() {
                println!("removed {identifier} from {} of {}", mb.name, account.address);
            } else {
                println!("{identifier}\t{new}");
            }
        }
        AclCmd::Delete { identifier, .. } => {
            if store.acl_delete(account.id, mb.id, &identifier).await? == 0 {
                anyhow::bail!("{identifier} has no entry on {} of {}", mb.name, account.address);
            }
            println!("removed {identifier} from {} of {}", mb.name, account.address);
        }
        AclCmd::List { .. } => {
            for e in store.acl_list(mb.id).await? {
                println!("{}\t{}", e.identifier, e.rights);
            }
        }
    }
    Ok(())
}

/// Warns (on standard error) when an address identifier names no account and no group: the
/// entry is still stored (the account or group may be created later), but a typo is likely.
async fn warn_if_unknown(ctx: &Ctx, identifier: &str) -> anyhow::Result<()> {
    let address = identifier.trim_start_matches('-');
    if !address.contains('@') {
        return Ok(());
    }
    let store = &ctx.storage.store;
    if store.account_by_address(address).await?.is_none() && store.group_get(address).await?.is_none() {
        eprintln!("warning: {address} is neither an account nor a group");
    }
    Ok(())
}
