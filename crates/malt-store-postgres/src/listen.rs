//! The LISTEN task: one dedicated connection (outside the pool) that runs
//! `LISTEN malt_changes` and wakes the commit signal on every notification, so that change
//! feeds on this node see other nodes' commits at once. PostgreSQL delivers a NOTIFY only when
//! its transaction commits, so a wake-up always finds the journal row readable.
//!
//! If the connection drops, it reconnects with exponential backoff (100 ms to 10 s) and wakes the
//! signal once connected again, since notifications sent in between are lost (the feed's poll
//! also covers that gap).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_postgres::{AsyncMessage, NoTls};

use crate::{NOTIFY_CHANNEL, wake};

const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// Aborts the LISTEN task when the store is dropped (its connection closes with it).
pub(crate) struct ListenerGuard(JoinHandle<()>);

impl Drop for ListenerGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `application_name` of the LISTEN connection (visible in `pg_stat_activity`).
pub const LISTEN_APPLICATION_NAME: &str = "malt-listen";

pub(crate) fn spawn(mut config: tokio_postgres::Config, signal: Arc<Notify>) -> ListenerGuard {
    config.application_name(LISTEN_APPLICATION_NAME);
    ListenerGuard(tokio::spawn(async move {
        let mut backoff = BACKOFF_MIN;
        loop {
            let mut established = false;
            if let Err(e) = listen_once(&config, &signal, &mut established).await {
                tracing::warn!(error = %e, "postgres LISTEN connection failed; reconnecting");
            }
            if established {
                // A session that worked for a while starts the backoff again.
                backoff = BACKOFF_MIN;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }))
}

/// One LISTEN session, until its connection ends; sets `established` once it listens.
async fn listen_once(
    config: &tokio_postgres::Config,
    signal: &Arc<Notify>,
    established: &mut bool,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let sig = signal.clone();
    // The connection must be polled for the LISTEN below to complete; this task does that and
    // turns every notification into a wake-up.
    let driver = tokio::spawn(async move {
        let mut stream = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(msg) = stream.next().await {
            match msg {
                Ok(AsyncMessage::Notification(_)) => wake(&sig),
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    });
    let listening = client.batch_execute(&format!("LISTEN {NOTIFY_CHANNEL}")).await;
    if let Err(e) = listening {
        driver.abort();
        return Err(e);
    }
    *established = true;
    // Commits made while we were not listening are only found by reading the journal.
    wake(signal);
    let ended = driver.await;
    drop(client);
    match ended {
        Ok(result) => result,
        // The driver task was cancelled (runtime shutting down).
        Err(_) => Ok(()),
    }
}
