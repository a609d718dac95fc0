//! The filesystem blob store: message bodies, content-addressed by BLAKE3 of the raw bytes,
//! zstd-compressed, immutable.
//!
//! Invariants:
//! - A blob file exists under its final name only once its content is complete and fsynced: it is
//!   written to a temporary file in the same directory, fsynced, renamed, and the directory is
//!   fsynced before [`BlobStore::put`] returns. A crash leaves at most a stray temporary file,
//!   which [`BlobStore::sweep_temporaries`] removes.
//! - Blobs are never modified. Writing the same content twice stores it once (deduplication).
//! - Deletion happens only in garbage collection, for blobs no message references and older than
//!   a grace period, so a blob written for an append that has not committed yet is never removed.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{Result, StoreError};

/// zstd level: fast, still about 3x on typical mail.
const ZSTD_LEVEL: i32 = 3;
/// Largest blob accepted (uncompressed); bigger input is refused before it is written.
pub const MAX_BLOB_SIZE: u64 = 1 << 30;

/// Identifier of a blob: lower-case hex BLAKE3 of the uncompressed content.
pub fn blob_id(content: &[u8]) -> String {
    blake3::hash(content).to_hex().to_string()
}

fn valid_id(id: &str) -> bool {
    id.len() == 64
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Content-addressed blob store in a directory (`<data-dir>/blobs`).
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    /// Opens (creating if needed) a blob store rooted at `root`. The 256 fan-out directories are
    /// created (and made durable) here, once, so that a `put` needs to fsync only its own one.
    /// They are created in order and `ff` last, so its presence says the set is complete and an
    /// open (every `malt deliver` process does one) costs one `stat`, not 256; a directory
    /// removed later is recreated by `put`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        if root.join("ff").is_dir() {
            return Ok(BlobStore { root });
        }
        fs::create_dir_all(&root)?;
        let mut created = false;
        for i in 0..=255u8 {
            let dir = root.join(hex::encode([i]));
            if !dir.is_dir() {
                fs::create_dir_all(&dir)?;
                created = true;
            }
        }
        if created {
            sync_dir(&root)?;
        }
        Ok(BlobStore { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn dir_of(&self, id: &str) -> PathBuf {
        self.root.join(id.get(..2).unwrap_or("00"))
    }

    fn path_of(&self, id: &str) -> PathBuf {
        self.dir_of(id).join(id)
    }

    /// Stores `content` durably and returns its id. Blocking: call from a blocking context.
    pub fn put(&self, content: &[u8]) -> Result<String> {
        if content.len() as u64 > MAX_BLOB_SIZE {
            return Err(StoreError::Invalid {
                what: "message",
                reason: format!(
                    "{} octets exceeds the blob limit of {MAX_BLOB_SIZE}",
                    content.len()
                ),
            });
        }
        let id = blob_id(content);
        let dir = self.dir_of(&id);
        let path = dir.join(&id);
        if path.exists() {
            // Deduplicated. The writer that created it may not have fsynced the directory yet
            // if it is running right now; fsyncing it here too makes our answer durable.
            sync_dir(&dir)?;
            return Ok(id);
        }
        if !dir.is_dir() {
            // Removed behind our back since `open`: recreate it durably.
            fs::create_dir_all(&dir)?;
            sync_dir(&self.root)?;
        }
        let compressed = zstd::bulk::compress(content, ZSTD_LEVEL)?;
        let tmp = dir.join(format!(".tmp-{}-{}", std::process::id(), rand::random::<u64>()));
        let written = (|| -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(&compressed)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            Ok(())
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e.into());
        }
        sync_dir(&dir)?;
        Ok(id)
    }

    /// Reads a blob's content. Blocking.
    pub fn get(&self, id: &str) -> Result<Vec<u8>> {
        if !valid_id(id) {
            return Err(StoreError::BlobDamaged(id.to_owned()));
        }
        let mut f = match File::open(self.path_of(id)) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::BlobDamaged(id.to_owned()));
            }
            Err(e) => return Err(e.into()),
        };
        let mut compressed = Vec::new();
        f.read_to_end(&mut compressed)?;
        decompress(&compressed).map_err(|_| StoreError::BlobDamaged(id.to_owned()))
    }

    /// Reads a blob and checks it against its hash.
    pub fn verify(&self, id: &str) -> Result<()> {
        let content = self.get(id)?;
        if blob_id(&content) == id {
            Ok(())
        } else {
            Err(StoreError::BlobDamaged(id.to_owned()))
        }
    }

    pub fn exists(&self, id: &str) -> bool {
        valid_id(id) && self.path_of(id).exists()
    }

    /// Calls `each(name, entry)` for every file in the fan-out directories.
    fn for_each_file(&self, mut each: impl FnMut(String, fs::DirEntry) -> Result<()>) -> Result<()> {
        for dir in fs::read_dir(&self.root)? {
            let dir = dir?;
            if !dir.file_type()?.is_dir() {
                continue;
            }
            for f in fs::read_dir(dir.path())? {
                let f = f?;
                each(f.file_name().to_string_lossy().into_owned(), f)?;
            }
        }
        Ok(())
    }

    /// Every blob id present, with its modification time.
    pub fn list(&self) -> Result<Vec<(String, SystemTime)>> {
        let mut out = Vec::new();
        self.for_each_file(|name, f| {
            if valid_id(&name) {
                out.push((name, f.metadata()?.modified().unwrap_or(SystemTime::UNIX_EPOCH)));
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Removes a blob (garbage collection only).
    pub fn delete(&self, id: &str) -> Result<()> {
        if !valid_id(id) {
            return Ok(());
        }
        match fs::remove_file(self.path_of(id)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes temporary files left by a crash that are older than `grace`.
    pub fn sweep_temporaries(&self, grace: Duration) -> Result<u64> {
        let mut removed = 0;
        let now = SystemTime::now();
        self.for_each_file(|name, f| {
            let age = f
                .metadata()?
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok());
            if name.starts_with(".tmp-") && age.is_some_and(|a| a >= grace) {
                fs::remove_file(f.path())?;
                removed += 1;
            }
            Ok(())
        })?;
        Ok(removed)
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_dedup_verify() {
        let dir = tempfile::tempdir().unwrap();
        let bs = BlobStore::open(dir.path().join("blobs")).unwrap();
        let a = bs.put(b"hello world").unwrap();
        let b = bs.put(b"hello world").unwrap();
        assert_eq!(a, b);
        assert_eq!(bs.get(&a).unwrap(), b"hello world");
        bs.verify(&a).unwrap();
        assert_eq!(bs.list().unwrap().len(), 1);
        assert_eq!(std::fs::read_dir(bs.root()).unwrap().count(), 256);
        // Damage: overwrite with other compressed content.
        let other = zstd::bulk::compress(b"evil", 3).unwrap();
        std::fs::write(bs.path_of(&a), other).unwrap();
        assert!(matches!(bs.verify(&a), Err(StoreError::BlobDamaged(_))));
        bs.delete(&a).unwrap();
        assert!(!bs.exists(&a));
        assert!(matches!(bs.get(&a), Err(StoreError::BlobDamaged(_))));
        assert!(matches!(
            bs.get("../../etc/passwd"),
            Err(StoreError::BlobDamaged(_))
        ));
    }

    #[test]
    fn reopen_completes_an_interrupted_open_and_put_recreates_a_removed_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("blobs");
        BlobStore::open(&root).unwrap();
        // An open interrupted before `ff`: the next one creates the rest.
        for name in ["7f", "ff"] {
            std::fs::remove_dir(root.join(name)).unwrap();
        }
        let bs = BlobStore::open(&root).unwrap();
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 256);
        // A directory removed after a complete open: `put` puts it back.
        let id = blob_id(b"x");
        std::fs::remove_dir(bs.dir_of(&id)).unwrap();
        let bs = BlobStore::open(&root).unwrap();
        assert_eq!(bs.put(b"x").unwrap(), id);
        assert_eq!(bs.get(&id).unwrap(), b"x");
    }
}

thread_local! {
    /// One zstd decompression context per thread, reused: creating one per read (what
    /// `zstd::stream::copy_decode` does) allocates and initialises some 100 KiB each time, which
    /// was most of the cost of reading a small message (a FETCH of every message's headers).
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// Decompresses one blob. Blobs are written by `zstd::bulk::compress`, whose frame header records
/// the content size; a frame without one (or larger than a blob may be) is streamed instead.
fn decompress(compressed: &[u8]) -> std::io::Result<Vec<u8>> {
    let size = zstd::zstd_safe::get_frame_content_size(compressed)
        .ok()
        .flatten()
        .filter(|&n| n <= MAX_BLOB_SIZE)
        .and_then(|n| usize::try_from(n).ok());
    let Some(size) = size else {
        let mut out = Vec::new();
        zstd::stream::copy_decode(compressed, &mut out)?;
        return Ok(out);
    };
    DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let d = match slot.as_mut() {
            Some(d) => d,
            None => slot.insert(zstd::bulk::Decompressor::new()?),
        };
        d.decompress(compressed, size)
    })
}
