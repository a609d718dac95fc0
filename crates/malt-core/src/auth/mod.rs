//! Authentication: passwords, app passwords, SASL, rate limits, the auth cache, and the
//! [`Authenticator`] that protocols call with the credentials a SASL exchange (or a plain
//! `LOGIN`/`USER`+`PASS`) produced.
//!
//! Invariants of [`Authenticator::authenticate`]:
//! - Rate limits are checked first; over the limit the answer is `TemporaryFailure` and no
//!   password is checked.
//! - An unknown user and a wrong password get the same answer (`Failed`), and an unknown user
//!   still costs one argon2 verification, so timing does not reveal which accounts exist.
//! - argon2 runs on the blocking pool, never on the async workers, at most one verification per
//!   CPU at once ([`Authenticator`]'s gate: a burst of logins, or of wrong passwords, queues instead
//!   of multiplying CPU work and memory), each with a working-memory buffer taken from a pool of
//!   as many (19 MiB each with the default parameters): the memory argon2 uses is bounded and
//!   allocated once, instead of 19 MiB per login that the allocator then keeps per thread.
//! - Passwords are never logged, cached in clear, or kept beyond the call.

pub mod app_password;
pub mod cache;
pub mod password;
pub mod rate_limit;
pub mod sasl;

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use malt_store::{Account, Store};

pub use cache::AuthCache;
pub use password::PasswordHasherParams;
pub use rate_limit::RateLimiter;

/// Authentication settings (the binary maps its config onto these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// How long a successful login is cached; zero disables the cache.
    pub cache_ttl: Duration,
    /// Failed logins per remote address (IPv6: per /64) within `failure_window`; 0: no limit.
    pub max_failures_per_ip: u32,
    /// Failed logins per account within `failure_window`; 0: no limit.
    pub max_failures_per_account: u32,
    pub failure_window: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            cache_ttl: Duration::from_secs(300),
            max_failures_per_ip: 20,
            max_failures_per_account: 10,
            failure_window: Duration::from_secs(300),
        }
    }
}

/// Outcome of one authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthResult {
    Ok {
        account: Account,
        /// Name of the app password used, `None` for the main password.
        via_app_password: Option<String>,
    },
    /// Unknown user or wrong password: deliberately the same answer.
    Failed,
    /// Rate-limited, or the store is unavailable: try again later (IMAP `NO [UNAVAILABLE]`,
    /// SMTP 454 4.7.0).
    TemporaryFailure,
}

struct Inner {
    store: Arc<dyn Store>,
    limiter: RateLimiter,
    cache: AuthCache,
    /// argon2 verifications performed (for tests and metrics).
    argon2_runs: AtomicU64,
    /// At most this many argon2 verifications run at once (one per CPU).
    argon2_gate: tokio::sync::Semaphore,
    /// argon2 working memory, one buffer per verification running (never more than the gate's
    /// permits), reused.
    argon2_memory: Arc<Mutex<Vec<Vec<argon2::Block>>>>,
    /// Verifications running now, and the most seen at once (a test hook).
    argon2_running: Arc<AtomicUsize>,
    argon2_peak: Arc<AtomicUsize>,
}

/// Checks credentials against the store. Cheap to clone.
#[derive(Clone)]
pub struct Authenticator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("backend", &self.inner.store.backend_name())
            .finish()
    }
}

/// A hash of a random password, verified when the user does not exist so that the answer takes
/// as long as for a real account.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| password::hash(&app_password::generate()).unwrap_or_default())
}

fn count(result: &'static str) {
    metrics::counter!("malt_logins_total", "result" => result).increment(1);
}

impl Authenticator {
    pub fn new(store: Arc<dyn Store>, settings: AuthSettings) -> Self {
        Authenticator {
            inner: Arc::new(Inner {
                store,
                limiter: RateLimiter::new(
                    settings.max_failures_per_ip,
                    settings.max_failures_per_account,
                    settings.failure_window,
                ),
                cache: AuthCache::new(settings.cache_ttl, cache::DEFAULT_MAX_ENTRIES),
                argon2_runs: AtomicU64::new(0),
                argon2_gate: tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(1, usize::from),
                ),
                argon2_memory: Arc::new(Mutex::new(Vec::new())),
                argon2_running: Arc::new(AtomicUsize::new(0)),
                argon2_peak: Arc::new(AtomicUsize::new(0)),
            }),
        }
    }

    /// Number of argon2 verifications run so far (a test hook: cache hits run none).
    pub fn argon2_verifications(&self) -> u64 {
        self.inner.argon2_runs.load(Ordering::Relaxed)
    }

    /// Forgets cached logins of a user; call after changing their password or app passwords
    /// in this process (other processes see the change within the cache TTL at most, and at
    /// once on their next login since hits re-check the stored hash).
    pub fn invalidate(&self, username: &str) {
        self.inner.cache.invalidate_user(username);
    }

    /// The most argon2 verifications that ran at once so far (a test hook).
    pub fn argon2_peak_concurrency(&self) -> usize {
        self.inner.argon2_peak.load(Ordering::Relaxed)
    }

    /// Runs one argon2 verification `f` on the blocking pool through the gate, with a pooled
    /// working-memory buffer (see the module docs). `None` when the task failed.
    async fn argon2<F>(&self, f: F) -> Option<bool>
    where
        F: FnOnce(&mut Vec<argon2::Block>) -> bool + Send + 'static,
    {
        let _permit = self.inner.argon2_gate.acquire().await.ok()?;
        self.inner.argon2_runs.fetch_add(1, Ordering::Relaxed);
        let pool = self.inner.argon2_memory.clone();
        let (running, peak) = (self.inner.argon2_running.clone(), self.inner.argon2_peak.clone());
        tokio::task::spawn_blocking(move || {
            let now = running.fetch_add(1, Ordering::Relaxed) + 1;
            peak.fetch_max(now, Ordering::Relaxed);
            let mut memory = pool.lock().ok().and_then(|mut p| p.pop()).unwrap_or_default();
            let ok = f(&mut memory);
            if let Ok(mut p) = pool.lock() {
                p.push(memory);
            }
            running.fetch_sub(1, Ordering::Relaxed);
            ok
        })
        .await
        .ok()
    }

    async fn verify_blocking(&self, plain: &str, phc: &str) -> Option<bool> {
        let (plain, phc) = (plain.to_owned(), phc.to_owned());
        self.argon2(move |memory| password::verify_with(&plain, &phc, memory))
            .await
    }

    /// Checks `username` (a full address, any case) and `password` for a login from `remote`.
    pub async fn authenticate(&self, username: &str, password: &str, remote: IpAddr) -> AuthResult {
        let result = self.authenticate_inner(username, password, remote).await;
        let label = match &result {
            AuthResult::Ok { .. } => "ok",
            AuthResult::Failed => "failed",
            AuthResult::TemporaryFailure => "tempfail",
        };
        count(label);
        let user = username.trim().to_lowercase();
        match &result {
            AuthResult::Ok { via_app_password, .. } => {
                tracing::info!(user = %user, %remote, app_password = ?via_app_password, "login ok")
            }
            AuthResult::Failed => tracing::info!(user = %user, %remote, "login failed"),
            AuthResult::TemporaryFailure => tracing::warn!(user = %user, %remote, "login refused for now"),
        }
        result
    }

    async fn authenticate_inner(&self, username: &str, password: &str, remote: IpAddr) -> AuthResult {
        let inner = &self.inner;
        let user = username.trim().to_lowercase();
        if inner.limiter.is_limited(remote, &user) {
            return AuthResult::TemporaryFailure;
        }
        if user.is_empty() || password.is_empty() {
            inner.limiter.record_failure(remote, &user);
            return AuthResult::Failed;
        }

        // Cache hit: re-read the account, and make sure the hash verified back then is still
        // the stored one (a changed password or revoked app password ends the entry).
        if let Some(hit) = inner.cache.get(&user, password) {
            match self.check_cached(&hit).await {
                Ok(Some(account)) => {
                    inner.limiter.record_success(&user);
                    return AuthResult::Ok {
                        account,
                        via_app_password: hit.app_password,
                    };
                }
                Ok(None) => inner.cache.remove(&user, password),
                Err(e) => {
                    tracing::error!(error = %e, "auth: store unavailable");
                    return AuthResult::TemporaryFailure;
                }
            }
        }

        let account = match inner.store.account_by_address(&user).await {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(error = %e, "auth: store unavailable");
                return AuthResult::TemporaryFailure;
            }
        };
        let Some(account) = account else {
            // Same cost as a real account (the dummy hash itself is made on the blocking pool).
            let p = password.to_owned();
            let _ = self
                .argon2(move |memory| password::verify_with(&p, dummy_hash(), memory))
                .await;
            inner.limiter.record_failure(remote, &user);
            return AuthResult::Failed;
        };

        // Main password first.
        match self.verify_blocking(password, &account.password_hash).await {
            Some(true) => {
                inner.cache.insert(
                    &user,
                    password,
                    cache::CachedLogin {
                        account_id: account.id,
                        app_password: None,
                        hash_fingerprint: cache::fingerprint(&account.password_hash),
                    },
                );
                inner.limiter.record_success(&user);
                return AuthResult::Ok {
                    account,
                    via_app_password: None,
                };
            }
            Some(false) => {}
            None => return AuthResult::TemporaryFailure,
        }

        // Then the app passwords.
        let apps = match inner.store.app_password_list(account.id).await {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(error = %e, "auth: store unavailable");
                return AuthResult::TemporaryFailure;
            }
        };
        for app in apps {
            let ok = if app_password::is_fast(&app.hash) {
                app_password::verify(password, &app.hash)
            } else {
                let (p, h) = (password.to_owned(), app.hash.clone());
                self.argon2(move |memory| app_password::verify_with(&p, &h, memory))
                    .await
                    .unwrap_or(false)
            };
            if ok {
                inner.cache.insert(
                    &user,
                    password,
                    cache::CachedLogin {
                        account_id: account.id,
                        app_password: Some(app.name.clone()),
                        hash_fingerprint: cache::fingerprint(&app.hash),
                    },
                );
                inner.limiter.record_success(&user);
                return AuthResult::Ok {
                    account,
                    via_app_password: Some(app.name),
                };
            }
        }
        inner.limiter.record_failure(remote, &user);
        AuthResult::Failed
    }

    /// The account of a cache hit if the stored hash it was verified against is unchanged.
    async fn check_cached(&self, hit: &cache::CachedLogin) -> malt_store::Result<Option<Account>> {
        let store = &self.inner.store;
        let Some(account) = store.account_get(hit.account_id).await? else {
            return Ok(None);
        };
        let stored = match &hit.app_password {
            None => Some(account.password_hash.clone()),
            Some(name) => store
                .app_password_list(account.id)
                .await?
                .into_iter()
                .find(|a| &a.name == name)
                .map(|a| a.hash),
        };
        Ok(stored
            .filter(|h| cache::fingerprint(h) == hit.hash_fingerprint)
            .map(|_| account))
    }
}
