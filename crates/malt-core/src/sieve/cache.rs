//! Compiled scripts, kept so that a delivery does not parse the same script again: keyed by
//! whose script it is, its name and a BLAKE3 hash of its source, so an edited script (same name,
//! new source) is a new entry and the old one ages out.
//!
//! Invariants: at most `capacity` entries; when full, the least recently used entry is evicted
//! (a scan over the entries, only on insertion into a full cache); the lock is held only for
//! map operations, never while compiling.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use malt_sieve::CompileErrors;
use malt_sieve::ir::Script;
use malt_sieve::limits::Limits;
use malt_store::AccountId;

/// Whose script: an account's (`include :personal`, the active script) or the administrator's
/// (`include :global`, `before`/`after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Owner {
    Account(AccountId),
    Global,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    owner: Owner,
    name: String,
    source: [u8; 32],
}

/// A bounded map of compiled scripts (see the module docs).
#[derive(Debug)]
pub(super) struct ScriptCache {
    capacity: usize,
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    /// Increases on every use; an entry's stamp is its last use.
    clock: u64,
    map: HashMap<Key, (Arc<Script>, u64)>,
}

impl ScriptCache {
    pub(super) fn new(capacity: usize) -> Self {
        ScriptCache {
            capacity: capacity.max(1),
            inner: Mutex::new(Entries::default()),
        }
    }

    /// The compiled form of `source`, from the cache or compiled now (and kept).
    pub(super) fn get_or_compile(
        &self,
        owner: Owner,
        name: &str,
        source: &str,
        limits: &Limits,
    ) -> Result<Arc<Script>, CompileErrors> {
        let key = Key {
            owner,
            name: name.to_owned(),
            source: *blake3::hash(source.as_bytes()).as_bytes(),
        };
        {
            let mut entries = self
                .inner
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            entries.clock += 1;
            let now = entries.clock;
            if let Some((script, used)) = entries.map.get_mut(&key) {
                *used = now;
                return Ok(script.clone());
            }
        }
        let script = Arc::new(malt_sieve::compile(name, source, limits)?);
        let mut entries = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.map.len() >= self.capacity && !entries.map.contains_key(&key) {
            let oldest = entries
                .map
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                entries.map.remove(&k);
            }
        }
        let now = entries.clock;
        entries.map.insert(key, (script.clone(), now));
        Ok(script)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .map
            .len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_keyed_by_source() {
        let cache = ScriptCache::new(2);
        let limits = Limits::default();
        let a = cache
            .get_or_compile(Owner::Account(1), "a", "keep;", &limits)
            .unwrap();
        let again = cache
            .get_or_compile(Owner::Account(1), "a", "keep;", &limits)
            .unwrap();
        assert!(Arc::ptr_eq(&a, &again), "compiled once");
        // Another owner, or another source under the same name, is another entry.
        let other = cache
            .get_or_compile(Owner::Account(2), "a", "keep;", &limits)
            .unwrap();
        assert!(!Arc::ptr_eq(&a, &other));
        assert_eq!(cache.len(), 2);
        // Full: the least recently used (account 1's, used before account 2's) goes.
        let _ = cache
            .get_or_compile(Owner::Account(2), "a", "keep;", &limits)
            .unwrap();
        let edited = cache
            .get_or_compile(Owner::Account(1), "a", "discard;", &limits)
            .unwrap();
        assert_eq!(edited.commands.len(), 1);
        assert_eq!(cache.len(), 2);
        let fresh = cache
            .get_or_compile(Owner::Account(1), "a", "keep;", &limits)
            .unwrap();
        assert!(!Arc::ptr_eq(&a, &fresh), "evicted, compiled again");
        // Errors are not kept.
        assert!(
            cache
                .get_or_compile(Owner::Global, "bad", "fileinto;", &limits)
                .is_err()
        );
        assert_eq!(cache.len(), 2);
    }
}
