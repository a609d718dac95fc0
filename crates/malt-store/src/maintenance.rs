//! Garbage collection of unreferenced blobs and the whole-store check (`malt gc`, `malt check`).

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use crate::blob::BlobStore;
use crate::error::Result;
use crate::store::Store;
use crate::types::CheckReport;

/// What one garbage collection did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    pub blobs_seen: u64,
    pub blobs_removed: u64,
    pub temporaries_removed: u64,
}

/// Removes blobs that no message references and that are older than `grace` (so that a blob
/// written for an append that has not committed yet survives), and stale temporary files.
pub async fn gc(store: &dyn Store, blobs: &BlobStore, grace: Duration) -> Result<GcReport> {
    // Read the blob list first, then the references: a blob written and referenced between the
    // two reads is younger than `grace` and so is kept anyway.
    let b = blobs.clone();
    let present = tokio::task::spawn_blocking(move || b.list())
        .await
        .map_err(crate::StoreError::backend)??;
    let referenced: HashSet<String> = store.referenced_blobs().await?.into_iter().collect();
    let now = SystemTime::now();
    let mut report = GcReport {
        blobs_seen: present.len() as u64,
        ..Default::default()
    };
    let doomed: Vec<String> = present
        .into_iter()
        .filter(|(id, mtime)| {
            !referenced.contains(id) && now.duration_since(*mtime).is_ok_and(|age| age >= grace)
        })
        .map(|(id, _)| id)
        .collect();
    let b = blobs.clone();
    let (removed, temps) = tokio::task::spawn_blocking(move || -> Result<(u64, u64)> {
        let mut n = 0;
        for id in doomed {
            b.delete(&id)?;
            n += 1;
        }
        Ok((n, b.sweep_temporaries(grace)?))
    })
    .await
    .map_err(crate::StoreError::backend)??;
    report.blobs_removed = removed;
    report.temporaries_removed = temps;
    Ok(report)
}

/// Checks counters in the metadata store and that every referenced blob exists and matches its
/// hash.
pub async fn check(store: &dyn Store, blobs: &BlobStore) -> Result<CheckReport> {
    let mut report = store.check_consistency().await?;
    let referenced = store.referenced_blobs().await?;
    let b = blobs.clone();
    let problems = tokio::task::spawn_blocking(move || {
        let mut problems = Vec::new();
        for id in referenced {
            if let Err(e) = b.verify(&id) {
                problems.push(format!("{e}"));
            }
        }
        problems
    })
    .await
    .map_err(crate::StoreError::backend)?;
    report.problems.extend(problems);
    Ok(report)
}
