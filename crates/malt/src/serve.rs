//! `malt serve`: wires the configuration, the storage, the listener layer and the protocol
//! handlers together, then runs until SIGTERM or SIGINT (graceful shutdown) and reloads the TLS
//! certificate on SIGHUP.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use malt_config::{Config, Protocol};
use malt_core::sieve_scripts::{ScriptPolicy, SieveScripts};
use malt_core::{AuthSettings, Authenticator, MailCore, MailSettings};
use malt_server::http::{HttpHandler, HttpState, router, store_health_check};
use malt_server::placeholder::placeholder;
use malt_server::{Handler, Server, TlsManager};
use tokio::signal::unix::{SignalKind, signal};

use crate::context::{self, GlobalOpts};
use crate::logging::{self, LogFormat};

pub async fn run(g: &GlobalOpts) -> anyhow::Result<()> {
    // Handlers first: a signal that arrives once the listeners are up must not find the default
    // action (which would kill the process instead of shutting down gracefully).
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let config = g.config()?;
    let format = g.log_format.unwrap_or(match config.log.format {
        malt_config::LogFormat::Json => LogFormat::Json,
        malt_config::LogFormat::Text => LogFormat::Text,
    });
    logging::init(format, &config.log.level);
    malt_server::metrics::install().context("cannot install the metrics recorder")?;
    let config = Arc::new(config);

    let storage = context::storage(&config).await?;
    tracing::info!(
        backend = storage.store.backend_name(),
        data_dir = %config.data_dir.display(),
        hostname = %config.hostname,
        "store opened"
    );
    // The change feed runs for the process' lifetime; protocol sessions subscribe to it.
    let feed = storage.change_feed().await?;

    let tls = Arc::new(TlsManager::from_config(&config).context("cannot set up TLS")?);
    let core = mail_core(&storage, &config)?;
    let server = Server::start(
        config.clone(),
        tls.clone(),
        handlers(&core, &storage, &config, feed),
    )
    .await
    .context("cannot start the listeners")?;
    tracing::info!(
        listeners = server.local_addrs().len() + server.local_paths().len(),
        "started"
    );

    let gc = tokio::spawn(periodic_gc(storage.clone(), config.clone()));
    let (queue_stop, queue) = start_queue(core, &config)?;

    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => match tls.reload() {
                Ok(()) => tracing::info!("TLS certificate reloaded"),
                Err(e) => tracing::error!(error = %e, "TLS reload failed; keeping the previous certificate"),
            },
        }
    }
    tracing::info!("shutting down: no new connections; waiting for sessions to end");
    gc.abort();
    // The queue runner stops claiming at once and gets the same grace as the sessions.
    let _ = queue_stop.send(true);
    server
        .shutdown(Duration::from_secs(config.timeouts.shutdown_grace_secs))
        .await;
    if let Err(e) = queue.await {
        tracing::error!(error = %e, "queue runner failed");
    }
    drop(storage);
    tracing::info!("stopped");
    Ok(())
}

/// The mail core every protocol handler and the queue runner share.
fn mail_core(storage: &malt_store::Storage, config: &Config) -> anyhow::Result<MailCore> {
    Ok(MailCore::new(
        storage.clone(),
        MailSettings {
            max_message_size: config.limits.max_message_size,
        },
    )
    .with_delivery_options(context::delivery_options(
        config,
        storage,
        context::SenderVerification::AsConfigured,
    )?))
}

/// Starts the outbound queue runner (`malt-queue`) with the SMTP client (`malt-outbound`);
/// it stops when `true` is sent on the returned channel.
fn start_queue(
    core: MailCore,
    config: &Config,
) -> anyhow::Result<(tokio::sync::watch::Sender<bool>, tokio::task::JoinHandle<()>)> {
    let settings = malt_queue::Settings::from_config(config).context("cannot set up the queue routes")?;
    let outbound = malt_outbound::Outbound::new(malt_outbound::Settings::from_config(config))
        .context("cannot set up outbound delivery")?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(malt_queue::run(core, Arc::new(outbound), settings, stopped));
    Ok((stop, task))
}

/// One handler per protocol. Protocols whose issues have not landed answer with their
/// "service not available" greeting.
fn handlers(
    core: &MailCore,
    storage: &malt_store::Storage,
    config: &Config,
    feed: malt_store::ChangeFeed,
) -> HashMap<Protocol, Arc<dyn Handler>> {
    let core = core.clone();
    let auth = Authenticator::new(
        storage.store.clone(),
        AuthSettings {
            cache_ttl: Duration::from_secs(config.auth.cache_ttl_secs),
            max_failures_per_ip: config.auth.max_failures_per_ip,
            max_failures_per_account: config.auth.max_failures_per_account,
            failure_window: Duration::from_secs(config.auth.failure_window_secs),
        },
    );
    let mut map: HashMap<Protocol, Arc<dyn Handler>> =
        Protocol::ALL.iter().map(|&p| (p, placeholder(p))).collect();
    map.insert(
        Protocol::Imap,
        Arc::new(
            malt_imap::Imap4Handler::new(core.clone(), auth.clone(), feed)
                .with_shared_account(config.imap.shared_account.clone()),
        ),
    );
    map.insert(
        Protocol::Lmtp,
        Arc::new(malt_smtp::LmtpHandler::new(core.clone())),
    );
    map.insert(
        Protocol::Smtp,
        Arc::new(malt_smtp::SmtpHandler::new(core.clone(), auth.clone())),
    );
    map.insert(
        Protocol::Submission,
        Arc::new(malt_smtp::SubmissionHandler::new(core.clone(), auth.clone())),
    );
    let scripts = SieveScripts::new(storage.store.clone(), ScriptPolicy::from_config(&config.sieve));
    map.insert(
        Protocol::ManageSieve,
        Arc::new(malt_managesieve::ManageSieveHandler::new(scripts, auth.clone())),
    );
    map.insert(
        Protocol::Pop3,
        Arc::new(malt_pop3::Pop3Handler::new(core.clone(), auth.clone())),
    );
    // `/healthz` and `/metrics`, and CalDAV/CardDAV on every other path.
    let dav_settings = malt_dav::DavSettings {
        max_resource_size: config.dav.max_resource_size,
        max_body: usize::try_from(config.dav.max_request_size).unwrap_or(usize::MAX),
        public_free_busy: config.dav.public_free_busy,
        ..malt_dav::DavSettings::default()
    };
    let dav = malt_dav::Dav::new(core, auth, dav_settings);
    let http = router(HttpState::new(store_health_check(storage.store.clone()))).merge(malt_dav::router(dav));
    map.insert(Protocol::Http, Arc::new(HttpHandler::new(http)));
    map
}

/// Removes unreferenced blobs, expired duplicate-suppression records, vacation records and Sieve
/// duplicate-tracking records whose period ended, every `maintenance.gc_interval_secs`.
async fn periodic_gc(storage: malt_store::Storage, config: Arc<Config>) {
    let interval = Duration::from_secs(config.maintenance.gc_interval_secs.max(60));
    let grace = Duration::from_secs(config.maintenance.gc_grace_secs);
    loop {
        tokio::time::sleep(interval).await;
        match malt_store::maintenance::gc(&*storage.store, &storage.blobs, grace).await {
            Ok(r) => tracing::info!(removed = r.blobs_removed, seen = r.blobs_seen, "blob gc"),
            Err(e) => tracing::warn!(error = %e, "blob gc failed"),
        }
        // Duplicate-suppression records past the window (all of them when it is 0).
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        match malt_core::dedup::purge(&*storage.store, now, config.delivery.dedup_window_secs).await {
            Ok(n) => tracing::info!(removed = n, "dedup purge"),
            Err(e) => tracing::warn!(error = %e, "dedup purge failed"),
        }
        // Vacation responses whose period has ended (RFC 5230 §4.2).
        match storage.store.vacation_purge(now).await {
            Ok(n) => tracing::info!(removed = n, "vacation purge"),
            Err(e) => tracing::warn!(error = %e, "vacation purge failed"),
        }
        // Sieve duplicate-tracking records whose period has ended (RFC 7352).
        match storage.store.sieve_duplicate_purge(now).await {
            Ok(n) => tracing::info!(removed = n, "Sieve duplicate-tracking purge"),
            Err(e) => tracing::warn!(error = %e, "Sieve duplicate-tracking purge failed"),
        }
    }
}
