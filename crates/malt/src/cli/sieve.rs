//! `malt sieve list|get|put|check|activate|deactivate|rename|delete`: a user's Sieve scripts
//! (RFC 5228), as ManageSieve (RFC 5804) manages them — the same checks through
//! `malt_core::sieve_scripts`: a script that does not compile is refused with its errors (line
//! and column), the `[sieve]` quota applies, the active script cannot be deleted.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;
use malt_core::sieve_scripts::{ScriptError, ScriptPolicy, SieveScripts};
use malt_store::SievePutOutcome;

use crate::context::{Ctx, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum SieveCmd {
    /// List a user's scripts: name, size in bytes, and which one is active.
    List { user: String },
    /// Print a script's source.
    Get { user: String, name: String },
    /// Check a script and store it (create or replace; an active script stays active).
    Put {
        user: String,
        name: String,
        /// The script file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
    },
    /// Check a script without storing it (as ManageSieve's CHECKSCRIPT).
    Check {
        /// The script file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
    },
    /// Make a script the active one (the one run at delivery), or none with --none.
    Activate {
        user: String,
        #[arg(required_unless_present = "none", conflicts_with = "none")]
        name: Option<String>,
        /// Deactivate every script instead.
        #[arg(long)]
        none: bool,
    },
    /// Deactivate the user's scripts: none runs at delivery.
    Deactivate { user: String },
    /// Rename a script (an active one stays active).
    Rename { user: String, from: String, to: String },
    /// Delete a script; the active one must be deactivated first.
    Delete { user: String, name: String },
}

/// The script in `file`, or standard input for `-` or none. UTF-8 only (RFC 5228 §2.2).
fn read_source(file: Option<&PathBuf>) -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    match file {
        Some(path) if path.as_os_str() != "-" => {
            bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        }
        _ => {
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("cannot read standard input")?;
        }
    }
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("the script is not UTF-8 text"))
}

/// A script error as the CLI reports it: `what` happened, then the compile errors one per line,
/// prefixed with the name as `sievec` does.
fn refusal(what: &str, name: &str, e: ScriptError) -> anyhow::Error {
    match e {
        ScriptError::Invalid { errors } => {
            let lines: Vec<String> = errors.iter().map(|l| format!("{name}: {l}")).collect();
            anyhow::anyhow!("{what}, it does not compile:\n{}", lines.join("\n"))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

pub async fn run(g: &GlobalOpts, cmd: SieveCmd) -> anyhow::Result<()> {
    let ctx = Ctx::open(g).await?;
    let scripts = SieveScripts::new(
        ctx.storage.store.clone(),
        ScriptPolicy::from_config(&ctx.config.sieve),
    );
    match cmd {
        SieveCmd::List { user } => {
            let account = ctx.account(&user).await?;
            for s in scripts.list(account.id).await? {
                let state = if s.active { "active" } else { "-" };
                println!("{}\t{}\t{state}", s.name, s.size);
            }
        }
        SieveCmd::Get { user, name } => {
            let account = ctx.account(&user).await?;
            let script = scripts.get(account.id, &name).await?;
            print!("{}", script.source);
        }
        SieveCmd::Put { user, name, file } => {
            let account = ctx.account(&user).await?;
            let source = read_source(file.as_ref())?;
            let now = malt_core::mail::now();
            let (outcome, checked) = scripts
                .put(account.id, &name, &source, now)
                .await
                .map_err(|e| refusal("script not stored", &name, e))?;
            for w in &checked.warnings {
                eprintln!("{name}: warning: {w}");
            }
            let done = match outcome {
                SievePutOutcome::Created => "stored",
                _ => "replaced",
            };
            println!("{name} {done} for {} ({} bytes)", account.address, source.len());
        }
        SieveCmd::Check { file } => {
            let source = read_source(file.as_ref())?;
            let name = file
                .as_ref()
                .filter(|p| p.as_os_str() != "-")
                .map_or_else(|| "stdin".to_owned(), |p| p.display().to_string());
            let checked = scripts
                .check(&name, &source)
                .await
                .map_err(|e| refusal("invalid script", &name, e))?;
            for w in &checked.warnings {
                eprintln!("{name}: warning: {w}");
            }
            println!("{name}: valid");
        }
        SieveCmd::Activate { user, name, none } => {
            let account = ctx.account(&user).await?;
            let name = name.filter(|_| !none);
            scripts.activate(account.id, name.as_deref()).await?;
            match name {
                Some(name) => println!("{name} is now the active script of {}", account.address),
                None => println!("no script of {} is active now", account.address),
            }
        }
        SieveCmd::Deactivate { user } => {
            let account = ctx.account(&user).await?;
            scripts.activate(account.id, None).await?;
            println!("no script of {} is active now", account.address);
        }
        SieveCmd::Rename { user, from, to } => {
            let account = ctx.account(&user).await?;
            scripts.rename(account.id, &from, &to).await?;
            println!("{from} renamed to {to}");
        }
        SieveCmd::Delete { user, name } => {
            let account = ctx.account(&user).await?;
            scripts.delete(account.id, &name).await?;
            println!("{name} deleted");
        }
    }
    Ok(())
}
