//! `malt dkim generate|list|record|delete`: DKIM signing keys (RFC 6376), kept in the store and
//! shared by every node. Private keys are never printed; `generate` and `record` print the DNS TXT
//! record to publish.

use anyhow::{Context as _, bail};
use clap::Subcommand;
use malt_core::delivery::rfc5322_date;
use malt_core::dkim::{self, DEFAULT_SELECTOR, KeyAlgorithm};
use malt_store::DkimKey;

use crate::context::{Ctx, GlobalOpts};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Algorithm {
    /// RSA-2048 with SHA-256: verified by every receiver.
    Rsa,
    /// Ed25519 with SHA-256 (RFC 8463): small, but not every receiver verifies it yet.
    Ed25519,
}

#[derive(Debug, Subcommand)]
pub enum DkimCmd {
    /// Create a signing key for DOMAIN and print the DNS record to publish. Outgoing mail from
    /// DOMAIN is signed with its newest key.
    Generate {
        domain: String,
        /// The selector: the key's DNS name is SELECTOR._domainkey.DOMAIN.
        #[arg(long, default_value = DEFAULT_SELECTOR)]
        selector: String,
        #[arg(long, value_enum, default_value = "rsa")]
        algorithm: Algorithm,
        /// Replace an existing key with the same selector (mail signed with the old key in
        /// transit will then fail verification).
        #[arg(long)]
        replace: bool,
    },
    /// List the keys (the newest of each domain signs).
    List,
    /// Print the DNS record of a key again.
    Record {
        domain: String,
        /// Default: the key in use (the newest).
        #[arg(long)]
        selector: Option<String>,
    },
    /// Delete a key.
    Delete { domain: String, selector: String },
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn print_record(key: &DkimKey) -> anyhow::Result<()> {
    let alg = KeyAlgorithm::parse(&key.algorithm)
        .with_context(|| format!("unknown algorithm {:?}", key.algorithm))?;
    let public = dkim::public_key_base64(&key.algorithm, &key.private_key_pem)?;
    println!("{}", dkim::dns_record(&key.selector, &key.domain, alg, &public));
    println!("(value: {})", dkim::txt_value(alg, &public));
    Ok(())
}

pub async fn run(g: &GlobalOpts, cmd: DkimCmd) -> anyhow::Result<()> {
    let ctx = Ctx::open(g).await?;
    let store = &ctx.storage.store;
    match cmd {
        DkimCmd::Generate {
            domain,
            selector,
            algorithm,
            replace,
        } => {
            let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
            let selector = selector.trim().to_ascii_lowercase();
            dkim::validate_dns_name("domain", &domain)?;
            dkim::validate_dns_name("selector", &selector)?;
            if store.domain_get(&domain).await?.is_none() {
                bail!("domain {domain} not found: Malt signs only for its own domains (malt domain add)");
            }
            let exists = store
                .dkim_key_list()
                .await?
                .iter()
                .any(|k| k.domain == domain && k.selector == selector);
            if exists && !replace {
                bail!(
                    "{domain} already has a key with selector {selector}: choose another --selector \
                     (key rotation) or pass --replace"
                );
            }
            let alg = match algorithm {
                Algorithm::Rsa => KeyAlgorithm::Rsa2048,
                Algorithm::Ed25519 => KeyAlgorithm::Ed25519,
            };
            let generated = dkim::generate(alg)?;
            let key = DkimKey {
                domain,
                selector,
                algorithm: alg.signing_algorithm().to_owned(),
                private_key_pem: generated.private_key_pem,
                created_at: now(),
            };
            store.dkim_key_put(key.clone()).await?;
            println!(
                "DKIM key for {} (selector {}, {}) stored; it signs outgoing mail from now on.",
                key.domain, key.selector, key.algorithm
            );
            println!("Publish this DNS record:");
            println!(
                "{}",
                dkim::dns_record(&key.selector, &key.domain, alg, &generated.public_key_base64)
            );
            println!("(value: {})", dkim::txt_value(alg, &generated.public_key_base64));
        }
        DkimCmd::List => {
            let keys = store.dkim_key_list().await?;
            for k in &keys {
                let active = store
                    .dkim_key_get(&k.domain)
                    .await?
                    .is_some_and(|a| a.selector == k.selector);
                println!(
                    "{}\t{}\t{}\tcreated {}{}",
                    k.domain,
                    k.selector,
                    k.algorithm,
                    rfc5322_date(k.created_at),
                    if active { "\tin use" } else { "" }
                );
            }
        }
        DkimCmd::Record { domain, selector } => {
            let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
            let key = match selector {
                None => store.dkim_key_get(&domain).await?,
                Some(s) => {
                    let s = s.trim().to_ascii_lowercase();
                    store
                        .dkim_key_list()
                        .await?
                        .into_iter()
                        .find(|k| k.domain == domain && k.selector == s)
                }
            };
            let Some(key) = key else {
                bail!("no DKIM key for {domain}");
            };
            print_record(&key)?;
        }
        DkimCmd::Delete { domain, selector } => {
            store.dkim_key_delete(&domain, &selector).await?;
            println!(
                "deleted DKIM key {}._domainkey.{}",
                selector.to_ascii_lowercase(),
                domain.to_ascii_lowercase()
            );
        }
    }
    Ok(())
}
