//! What every command needs: the configuration (from `--config`, or zero-config on
//! `--data-dir`), and the opened storage.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use malt_config::{Config, StoreBackend};
use malt_core::filter::DeliveryFilter;
use malt_core::mail::{DeliveryOptions, MailCore, MailSettings};
use malt_core::sender_auth::SenderAuthenticator;
use malt_core::sieve::{GlobalScript, SieveFilter, SieveSettings};
use malt_core::sieve_scripts::engine_limits;
use malt_core::srs::Srs;
use malt_core::storage::{BackendChoice, open_storage};
use malt_store::Storage;

/// Options shared by every command.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalOpts {
    /// TOML configuration file (see docs/config.md). Without it Malt runs with zero-config defaults.
    #[arg(long, global = true, env = "MALT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory (database, blobs, certificates). Overrides the config's `data_dir`.
    #[arg(long, global = true, env = "MALT_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Log format (default: the config's `log.format`, else text).
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<crate::logging::LogFormat>,
}

/// Default data directory when neither `--data-dir` nor a config names one.
const DEFAULT_DATA_DIR: &str = "./malt-data";

impl GlobalOpts {
    /// Loads and validates the configuration.
    pub fn config(&self) -> anyhow::Result<Config> {
        let mut config = match &self.config {
            Some(path) => Config::load(path)?,
            None => Config::zero_config(PathBuf::from(DEFAULT_DATA_DIR)),
        };
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        config.validate()?;
        Ok(config)
    }
}

/// Opens the storage that `config` names (creating the data directory on first use).
pub async fn storage(config: &Config) -> anyhow::Result<Storage> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
    let backend = match config.store.backend {
        StoreBackend::Sqlite => BackendChoice::Sqlite {
            path: config
                .store
                .sqlite_file
                .clone()
                .unwrap_or_else(|| config.data_dir.join("malt.db")),
        },
        StoreBackend::Postgres => BackendChoice::Postgres {
            url: config.store.url.clone().unwrap_or_default(),
            pool_size: config.store.pool_size,
        },
    };
    let blob_dir = config
        .store
        .blob_dir
        .clone()
        .unwrap_or_else(|| config.data_dir.join("blobs"));
    open_storage(backend, blob_dir)
        .await
        .context("cannot open the store")
}

/// Who verifies senders in a delivery pipeline: the SMTP MX of `malt serve`; never `malt
/// deliver`, whose MTA has done it (its envelopes do not ask for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderVerification {
    AsConfigured,
    Never,
}

/// `[mail_auth]`, `[delivery]` and `[sieve]` for the delivery pipelines (`malt serve`, `malt
/// deliver`). A resolver that cannot be set up (no `/etc/resolv.conf` and no `[dns] servers`)
/// turns verification off, with an error in the log; an SRS secret that cannot be read or
/// created, or a global Sieve script that cannot be read or does not compile, is an error.
/// With [`SenderVerification::Never`] no resolver is built: setting one up reads the system's
/// CA certificates, a few milliseconds that would be most of a `malt deliver` process's life.
pub fn delivery_options(
    config: &Config,
    storage: &Storage,
    verification: SenderVerification,
) -> anyhow::Result<DeliveryOptions> {
    let sender_auth = if config.mail_auth.verify && verification == SenderVerification::AsConfigured {
        match SenderAuthenticator::new(
            &config.dns.servers,
            Duration::from_secs(config.mail_auth.verify_timeout_secs),
        ) {
            Ok(v) => Some(Arc::new(v)),
            Err(e) => {
                tracing::error!(error = %e, "sender authentication disabled");
                None
            }
        }
    } else {
        None
    };
    Ok(DeliveryOptions {
        sender_auth,
        dedup_window_secs: config.delivery.dedup_window_secs,
        dkim_sign: config.mail_auth.dkim_sign,
        filter: sieve_filter(config, storage)?.map(|f| Arc::new(f) as Arc<dyn DeliveryFilter>),
        srs: srs(config)?.map(Arc::new),
    })
}

/// The Sieve delivery filter of `[sieve]`, when `enabled`: the global scripts read and compiled.
fn sieve_filter(config: &Config, storage: &Storage) -> anyhow::Result<Option<SieveFilter>> {
    let c = &config.sieve;
    if !c.enabled {
        return Ok(None);
    }
    let read = |paths: &[PathBuf]| {
        paths
            .iter()
            .map(|path| {
                let source = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read the global Sieve script {}", path.display()))?;
                Ok(GlobalScript {
                    name: path.display().to_string(),
                    source,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()
    };
    let settings = SieveSettings {
        limits: engine_limits(c),
        before: read(&c.before)?,
        after: read(&c.after)?,
        global_dir: c.global_dir.clone(),
        hostname: config.hostname.clone(),
    };
    let filter = SieveFilter::new(storage.store.clone(), settings)
        .map_err(|e| anyhow::anyhow!("a global Sieve script does not compile:\n{e}"))?;
    Ok(Some(filter))
}

/// The SRS rewriter of `[delivery]`, when `srs` is on.
fn srs(config: &Config) -> anyhow::Result<Option<Srs>> {
    let d = &config.delivery;
    if !d.srs {
        return Ok(None);
    }
    let path = d
        .srs_secret_file
        .clone()
        .unwrap_or_else(|| config.data_dir.join("srs.key"));
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the directory of {}", path.display()))?;
    }
    let domain = d.srs_domain.as_deref().unwrap_or(&config.hostname);
    let srs = Srs::load_or_create(&path, domain, d.srs_max_age_days)
        .with_context(|| format!("cannot read or create the SRS secret {}", path.display()))?;
    Ok(Some(srs))
}

/// Everything a CLI command needs.
pub struct Ctx {
    pub config: Arc<Config>,
    pub storage: Storage,
    pub core: MailCore,
}

impl Ctx {
    pub async fn open(opts: &GlobalOpts) -> anyhow::Result<Ctx> {
        let config = opts.config()?;
        let storage = storage(&config).await?;
        let core = MailCore::new(
            storage.clone(),
            MailSettings {
                max_message_size: config.limits.max_message_size,
            },
        );
        Ok(Ctx {
            config: Arc::new(config),
            storage,
            core,
        })
    }

    /// The account with this address, or an error naming it.
    pub async fn account(&self, address: &str) -> anyhow::Result<malt_store::Account> {
        self.storage
            .store
            .account_by_address(address)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no account {address}"))
    }
}
