//! `malt deliver --to ADDRESS [--from SENDER] [--mailbox NAME] < message.eml`: local delivery
//! through the same pipeline as SMTP and LMTP (the account's Sieve script included), without
//! trace headers, as dovecot-lda does. It exits 0 only once the message is durable for every
//! recipient; otherwise it exits with a sysexits code an MTA understands (67 unknown user, 65
//! bad data, 73 cannot create (quota), 75 temporary failure, 77 refused by the recipient's Sieve
//! script, with the reason on standard error, which Postfix's pipe puts in its bounce).

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr};

use malt_core::delivery::{Envelope, Outcome};
use malt_core::header;

use crate::context::{self, Ctx, GlobalOpts};

#[derive(Debug, clap::Args)]
pub struct DeliverArgs {
    /// Recipient address (account, alias, group, catch-all or user+tag).
    #[arg(long, value_name = "ADDRESS")]
    pub to: String,
    /// Envelope sender, for Sieve (`envelope`, vacation replies, redirects). Default: the
    /// message's Return-Path field, else the null sender.
    #[arg(long, value_name = "ADDRESS")]
    pub from: Option<String>,
    /// Mailbox a keep files into (default INBOX; INBOX too if the mailbox does not exist).
    #[arg(long, value_name = "NAME")]
    pub mailbox: Option<String>,
}

const EX_DATAERR: i32 = 65;
const EX_NOUSER: i32 = 67;
const EX_CANTCREAT: i32 = 73;
const EX_TEMPFAIL: i32 = 75;
const EX_NOPERM: i32 = 77;

pub async fn run(g: &GlobalOpts, args: DeliverArgs) -> anyhow::Result<()> {
    let ctx = Ctx::open(g).await?;
    let limit = ctx.config.limits.max_message_size;
    let mut raw = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit.saturating_add(1))
        .read_to_end(&mut raw)?;
    if raw.len() as u64 > limit {
        eprintln!("malt deliver: message exceeds the size limit of {limit} octets");
        std::process::exit(EX_DATAERR);
    }
    let core = ctx.core.clone().with_delivery_options(context::delivery_options(
        &ctx.config,
        &ctx.storage,
        context::SenderVerification::Never,
    )?);
    let received_at = malt_core::mail::now();
    let env = Envelope {
        return_path: args.from.unwrap_or_else(|| return_path(&raw)),
        helo: "localhost".to_owned(),
        remote: IpAddr::V4(Ipv4Addr::LOCALHOST),
        hostname: ctx.config.hostname.clone(),
        protocol: "LOCAL".to_owned(),
        id: format!("{received_at:x}.deliver.{}", std::process::id()),
        received_at,
        verify_sender: false,
    };
    let (code, why) = match core.deliver(&env, &args.to, &raw, args.mailbox.as_deref()).await {
        Outcome::Delivered(done) => {
            for a in done {
                tracing::info!(mailbox = a.mailbox_id, uid = a.uid, "delivered");
            }
            return Ok(());
        }
        Outcome::NoSuchUser => (EX_NOUSER, format!("no such recipient {}", args.to)),
        Outcome::TooBig => (EX_DATAERR, "the message is too big".to_owned()),
        Outcome::OverQuota { .. } => (EX_CANTCREAT, "mailbox full".to_owned()),
        Outcome::TempFail => (EX_TEMPFAIL, "temporary failure, try again later".to_owned()),
        Outcome::Rejected(reason) => (EX_NOPERM, reason),
    };
    eprintln!("malt deliver: {why}");
    std::process::exit(code);
}

/// The address of the message's first Return-Path field (`<>` and none: the null sender).
fn return_path(raw: &[u8]) -> String {
    header::field_values(raw, "Return-Path")
        .into_iter()
        .next()
        .map(|v| {
            v.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .trim()
                .to_owned()
        })
        .unwrap_or_default()
}
