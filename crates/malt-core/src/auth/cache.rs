//! The authentication cache (like Dovecot's `auth_cache`): after a successful verification,
//! `(lower-case username, keyed BLAKE3 of the password)` maps to the account id until a TTL,
//! so repeated logins (IMAP clients reconnect often) skip argon2.
//!
//! Invariants:
//! - No plaintext is stored: the key is BLAKE3 keyed with a random per-process key over the
//!   username and password, useless outside this process.
//! - An entry also records a fingerprint of the stored hash it was verified against; the
//!   authenticator re-reads the account (or app password) on a hit and drops the entry if the
//!   stored hash changed, so a changed password or revoked app password stops working at once,
//!   and in any case no later than the TTL.
//! - The cache holds at most `max_entries`; when full, expired entries go first, then the entry
//!   closest to expiry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use malt_store::AccountId;
use rand::RngCore;

/// Default bound on cached logins.
pub const DEFAULT_MAX_ENTRIES: usize = 10_000;

/// What a cached login proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedLogin {
    pub account_id: AccountId,
    /// Name of the app password used, `None` for the main password.
    pub app_password: Option<String>,
    /// BLAKE3 of the stored hash the password was verified against.
    pub hash_fingerprint: [u8; 32],
}

#[derive(Debug)]
struct Entry {
    login: CachedLogin,
    expires: Instant,
}

/// Bounded TTL cache of successful logins.
#[derive(Debug)]
pub struct AuthCache {
    key: [u8; 32],
    ttl: Duration,
    max_entries: usize,
    map: Mutex<HashMap<(String, [u8; 32]), Entry>>,
}

/// Fingerprint of a stored hash string.
pub fn fingerprint(stored_hash: &str) -> [u8; 32] {
    *blake3::hash(stored_hash.as_bytes()).as_bytes()
}

impl AuthCache {
    /// A TTL of zero or `max_entries` of zero disables the cache.
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        AuthCache {
            key,
            ttl,
            max_entries,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn enabled(&self) -> bool {
        !self.ttl.is_zero() && self.max_entries > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, [u8; 32]), Entry>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn digest(&self, username: &str, password: &str) -> [u8; 32] {
        let mut h = blake3::Hasher::new_keyed(&self.key);
        h.update(&(username.len() as u64).to_le_bytes());
        h.update(username.as_bytes());
        h.update(password.as_bytes());
        *h.finalize().as_bytes()
    }

    /// A live entry for these credentials (`username` already lower-case).
    pub fn get(&self, username: &str, password: &str) -> Option<CachedLogin> {
        if !self.enabled() {
            return None;
        }
        let k = (username.to_owned(), self.digest(username, password));
        let mut map = self.lock();
        match map.get(&k) {
            Some(e) if e.expires > Instant::now() => Some(e.login.clone()),
            Some(_) => {
                map.remove(&k);
                None
            }
            None => None,
        }
    }

    /// Records a successful verification.
    pub fn insert(&self, username: &str, password: &str, login: CachedLogin) {
        if !self.enabled() {
            return;
        }
        let k = (username.to_owned(), self.digest(username, password));
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() >= self.max_entries && !map.contains_key(&k) {
            map.retain(|_, e| e.expires > now);
            while map.len() >= self.max_entries {
                let Some(oldest) = map.iter().min_by_key(|(_, e)| e.expires).map(|(k, _)| k.clone()) else {
                    break;
                };
                map.remove(&oldest);
            }
        }
        map.insert(
            k,
            Entry {
                login,
                expires: now + self.ttl,
            },
        );
    }

    /// Drops one entry (its stored hash changed).
    pub fn remove(&self, username: &str, password: &str) {
        let k = (username.to_owned(), self.digest(username, password));
        self.lock().remove(&k);
    }

    /// Drops every entry of a user (password changed, account deleted).
    pub fn invalidate_user(&self, username: &str) {
        let username = username.to_lowercase();
        self.lock().retain(|(u, _), _| *u != username);
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(id: AccountId) -> CachedLogin {
        CachedLogin {
            account_id: id,
            app_password: None,
            hash_fingerprint: fingerprint("h"),
        }
    }

    #[test]
    fn hit_miss_and_wrong_password() {
        let c = AuthCache::new(Duration::from_secs(60), 10);
        assert_eq!(c.get("a@x", "pw"), None);
        c.insert("a@x", "pw", login(1));
        assert_eq!(c.get("a@x", "pw"), Some(login(1)));
        assert_eq!(c.get("a@x", "pw2"), None);
        assert_eq!(c.get("b@x", "pw"), None);
        c.invalidate_user("A@X");
        assert_eq!(c.get("a@x", "pw"), None);
    }

    #[test]
    fn no_plaintext_stored() {
        let c = AuthCache::new(Duration::from_secs(60), 10);
        c.insert("a@x", "hunter2-secret", login(1));
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn ttl_expires() {
        let c = AuthCache::new(Duration::from_millis(20), 10);
        c.insert("a@x", "pw", login(1));
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(c.get("a@x", "pw"), None);
        assert!(c.is_empty());
    }

    #[test]
    fn bounded() {
        let c = AuthCache::new(Duration::from_secs(60), 3);
        for i in 0..10 {
            c.insert(&format!("u{i}@x"), "pw", login(i));
        }
        assert_eq!(c.len(), 3);
        assert!(c.get("u9@x", "pw").is_some());
    }

    #[test]
    fn disabled() {
        let c = AuthCache::new(Duration::ZERO, 10);
        c.insert("a@x", "pw", login(1));
        assert_eq!(c.get("a@x", "pw"), None);
    }
}
