//! `malt import mbox|maildir USER PATH`: bulk import through the mail core's ingest path, in
//! batches (one store transaction each), with a progress bar.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use malt_core::mail::AppendItem;
use malt_store::{Account, Flags, MailboxId, flag};

use super::mbox;
use crate::context::{Ctx, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// Import an mbox file into one mailbox (default INBOX).
    Mbox {
        user: String,
        path: PathBuf,
        /// Target mailbox, created if missing.
        #[arg(long, default_value = "INBOX")]
        mailbox: String,
    },
    /// Import a Maildir++ tree: its top level into INBOX, `.A.B` folders into `A/B`.
    Maildir { user: String, path: PathBuf },
}

/// Messages per store transaction.
const BATCH_MESSAGES: usize = 200;
/// Bytes per store transaction.
const BATCH_BYTES: usize = 16 << 20;

struct Batcher<'a> {
    ctx: &'a Ctx,
    account: &'a Account,
    mailbox: MailboxId,
    pending: Vec<AppendItem>,
    bytes: usize,
    imported: u64,
    bar: &'a ProgressBar,
}

impl<'a> Batcher<'a> {
    fn new(ctx: &'a Ctx, account: &'a Account, mailbox: MailboxId, bar: &'a ProgressBar) -> Self {
        Batcher {
            ctx,
            account,
            mailbox,
            pending: Vec::new(),
            bytes: 0,
            imported: 0,
            bar,
        }
    }

    async fn push(&mut self, raw: Vec<u8>, flags: Flags, date: Option<i64>) -> anyhow::Result<()> {
        self.bytes += raw.len();
        self.pending.push(AppendItem {
            mailbox_id: self.mailbox,
            raw,
            flags,
            internal_date: date,
        });
        if self.pending.len() >= BATCH_MESSAGES || self.bytes >= BATCH_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> anyhow::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.pending);
        let n = batch.len() as u64;
        self.bytes = 0;
        self.ctx.core.append_many(self.account.id, batch).await?;
        self.imported += n;
        self.bar.inc(n);
        Ok(())
    }
}

async fn mailbox_id(ctx: &Ctx, account: &Account, name: &str) -> anyhow::Result<MailboxId> {
    if let Some(m) = ctx.storage.store.mailbox_get(account.id, name).await? {
        return Ok(m.id);
    }
    Ok(ctx.core.create_mailbox(account.id, name, None).await?.id)
}

fn progress() -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {pos} messages imported ({per_sec}) {msg}") {
        bar.set_style(style);
    }
    bar
}

pub async fn run(g: &GlobalOpts, cmd: ImportCmd) -> anyhow::Result<()> {
    let ctx = Ctx::open(g).await?;
    let bar = progress();
    match cmd {
        ImportCmd::Mbox { user, path, mailbox } => {
            let account = ctx.account(&user).await?;
            let mid = mailbox_id(&ctx, &account, &mailbox).await?;
            let file = File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
            // The mbox reader is synchronous; collect a batch at a time and hand it to the store.
            let mut b = Batcher::new(&ctx, &account, mid, &bar);
            let (tx, mut rx) = tokio::sync::mpsc::channel::<(Vec<u8>, Option<i64>)>(BATCH_MESSAGES);
            let reader = tokio::task::spawn_blocking(move || {
                mbox::read(BufReader::new(file), |m, d| {
                    tx.blocking_send((m, d))
                        .map_err(|_| anyhow::anyhow!("import stopped"))
                })
            });
            while let Some((raw, date)) = rx.recv().await {
                b.push(raw, Flags::default(), date).await?;
            }
            reader.await??;
            b.flush().await?;
            bar.finish_and_clear();
            println!(
                "imported {} messages into {} of {}",
                b.imported, mailbox, account.address
            );
        }
        ImportCmd::Maildir { user, path } => {
            let account = ctx.account(&user).await?;
            let mut total = 0;
            for (folder, dir) in maildir_folders(&path)? {
                let mid = mailbox_id(&ctx, &account, &folder).await?;
                bar.set_message(folder.clone());
                let mut b = Batcher::new(&ctx, &account, mid, &bar);
                for (file, is_new) in maildir_messages(&dir)? {
                    let raw =
                        std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
                    let date = std::fs::metadata(&file)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .and_then(|d| i64::try_from(d.as_secs()).ok());
                    let flags = if is_new {
                        Flags::default()
                    } else {
                        maildir_flags(&file)
                    };
                    b.push(raw, flags, date).await?;
                }
                b.flush().await?;
                total += b.imported;
            }
            bar.finish_and_clear();
            println!("imported {total} messages for {}", account.address);
        }
    }
    Ok(())
}

/// (mailbox name, directory) of every folder of a Maildir++ tree.
fn maildir_folders(root: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    if !root.join("cur").is_dir() && !root.join("new").is_dir() {
        anyhow::bail!("{} is not a Maildir (no cur/ or new/)", root.display());
    }
    let mut out = vec![("INBOX".to_owned(), root.to_path_buf())];
    let mut subs = Vec::new();
    for e in std::fs::read_dir(root)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(folder) = name.strip_prefix('.')
            && !folder.is_empty()
            && e.path().join("cur").is_dir()
        {
            subs.push((folder.replace('.', "/"), e.path()));
        }
    }
    subs.sort();
    out.extend(subs);
    Ok(out)
}

/// Message files of one Maildir folder, in name order (`true` for `new/`).
fn maildir_messages(dir: &Path) -> anyhow::Result<Vec<(PathBuf, bool)>> {
    let mut out = Vec::new();
    for (sub, is_new) in [("cur", false), ("new", true)] {
        let d = dir.join(sub);
        if !d.is_dir() {
            continue;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&d)?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .collect();
        files.sort();
        out.extend(files.into_iter().map(|f| (f, is_new)));
    }
    Ok(out)
}

/// Flags from a Maildir file name's `:2,FLAGS` info (D draft, F flagged, R replied, S seen,
/// T trashed; lower-case letters are Dovecot keywords, not mapped).
fn maildir_flags(file: &Path) -> Flags {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some((_, info)) = name.rsplit_once(":2,") else {
        return Flags::default();
    };
    let mut bits = 0;
    for c in info.chars() {
        bits |= match c {
            'D' => flag::DRAFT,
            'F' => flag::FLAGGED,
            'R' => flag::ANSWERED,
            'S' => flag::SEEN,
            'T' => flag::DELETED,
            _ => 0,
        };
    }
    Flags::new(bits, [])
}
