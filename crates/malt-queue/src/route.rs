//! Routing: where a queued recipient goes (Postfix's transport maps plus `relayhost`).
//!
//! Rules, in order:
//! 1. The first `[[queue.route]]` whose `match` fits the recipient decides: `user@domain` (that
//!    address), `domain` (that domain), `.domain` (its subdomains), `*` (anything). Matching is
//!    case-insensitive.
//! 2. For a recipient of a local domain (one the store serves), only a `refuse` or `local` route
//!    counts and `*` never matches: mail between local users never leaves the server.
//! 3. Otherwise: local domains → [`Route::Local`]; others → the `relayhost` when set, else
//!    [`Route::Mx`] of the recipient's domain (RFC 5321 §5.1).
//!
//! Invariants: routing is a pure function of the configuration, the address and whether its
//! domain is local; relay passwords are read once from their files at start and never printed
//! (the `Debug` of [`RelayTarget`] redacts them).

use std::sync::Arc;

use malt_config::{QueueConfig, RouteAction, RouteConfig, split_host_port};

/// Credentials for SMTP AUTH at a relay (RFC 4954).
#[derive(Clone, PartialEq, Eq)]
pub struct RelayAuth {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for RelayAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayAuth")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A smarthost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayTarget {
    pub host: String,
    pub port: u16,
    pub auth: Option<RelayAuth>,
    pub require_tls: bool,
}

/// Where one recipient goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// A local mailbox ([`malt_core::MailCore::deliver_message`]).
    Local,
    /// The MX hosts of `domain`.
    Mx { domain: String },
    /// A smarthost.
    Relay(Arc<RelayTarget>),
    /// Refused by policy: fails with `5.7.1`.
    Refuse,
}

impl Route {
    /// A name for the destination: recipients with the same key go in one delivery, and the
    /// per-destination concurrency limit counts per key. Never contains a password.
    pub fn key(&self) -> String {
        match self {
            Route::Local => "local".to_owned(),
            Route::Mx { domain } => format!("mx:{domain}"),
            Route::Relay(t) => format!("relay:{}:{}", t.host, t.port),
            Route::Refuse => "refuse".to_owned(),
        }
    }
}

/// Why the routes could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error("queue.route[{index}].auth_password_file {path}: {source}")]
    PasswordFile {
        index: usize,
        path: String,
        source: std::io::Error,
    },
    #[error("queue.route[{index}].auth_password_file {path}: empty")]
    EmptyPassword { index: usize, path: String },
    #[error("queue.relayhost {0:?} is not host or host:port")]
    Relayhost(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Any,
    Address(String),
    Domain(String),
    Subdomains(String),
}

impl Pattern {
    fn parse(s: &str) -> Pattern {
        let s = s.trim().to_lowercase();
        if s == "*" {
            Pattern::Any
        } else if s.contains('@') {
            Pattern::Address(s)
        } else if let Some(d) = s.strip_prefix('.') {
            Pattern::Subdomains(format!(".{d}"))
        } else {
            Pattern::Domain(s)
        }
    }

    fn matches(&self, address: &str, domain: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Address(a) => address.eq_ignore_ascii_case(a),
            Pattern::Domain(d) => domain == d,
            Pattern::Subdomains(suffix) => domain.ends_with(suffix.as_str()),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    pattern: Pattern,
    route: EntryRoute,
}

#[derive(Debug, Clone)]
enum EntryRoute {
    Local,
    Mx(Option<String>),
    Relay(Arc<RelayTarget>),
    Refuse,
}

/// The compiled routing table.
#[derive(Debug, Clone, Default)]
pub struct Router {
    entries: Vec<Entry>,
    relayhost: Option<Arc<RelayTarget>>,
}

fn read_password(index: usize, r: &RouteConfig) -> Result<Option<RelayAuth>, RouteError> {
    let (Some(user), Some(path)) = (&r.auth_user, &r.auth_password_file) else {
        return Ok(None);
    };
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| RouteError::PasswordFile {
        index,
        path: shown.clone(),
        source,
    })?;
    let password = text.lines().next().unwrap_or("").to_owned();
    if password.is_empty() {
        return Err(RouteError::EmptyPassword { index, path: shown });
    }
    Ok(Some(RelayAuth {
        user: user.clone(),
        password,
    }))
}

impl Router {
    /// Compiles `[queue]`'s routes and relayhost (already validated by `malt-config`); reads
    /// the relay password files.
    pub fn from_config(q: &QueueConfig) -> Result<Router, RouteError> {
        let mut entries = Vec::with_capacity(q.routes.len());
        for (index, r) in q.routes.iter().enumerate() {
            let route = match r.action {
                RouteAction::Local => EntryRoute::Local,
                RouteAction::Refuse => EntryRoute::Refuse,
                RouteAction::Mx => EntryRoute::Mx(r.host.as_ref().map(|h| h.trim().to_lowercase())),
                RouteAction::Relay => EntryRoute::Relay(Arc::new(RelayTarget {
                    host: r.host.clone().unwrap_or_default().trim().to_owned(),
                    port: r.port.unwrap_or(25),
                    auth: read_password(index, r)?,
                    require_tls: r.require_tls,
                })),
            };
            entries.push(Entry {
                pattern: Pattern::parse(&r.pattern),
                route,
            });
        }
        let relayhost = match &q.relayhost {
            Some(h) => {
                let (host, port) = split_host_port(h).ok_or_else(|| RouteError::Relayhost(h.clone()))?;
                Some(Arc::new(RelayTarget {
                    host,
                    port,
                    auth: None,
                    require_tls: false,
                }))
            }
            None => None,
        };
        Ok(Router { entries, relayhost })
    }

    /// Where `address` goes; `local_domain` says whether its domain is served here.
    pub fn route(&self, address: &str, local_domain: bool) -> Route {
        let domain = address
            .rsplit_once('@')
            .map(|(_, d)| d.to_lowercase())
            .unwrap_or_default();
        for e in &self.entries {
            if local_domain && e.pattern == Pattern::Any {
                continue;
            }
            if !e.pattern.matches(address, &domain) {
                continue;
            }
            match (&e.route, local_domain) {
                (EntryRoute::Refuse, _) => return Route::Refuse,
                (EntryRoute::Local, _) => return Route::Local,
                // Mail between local users never leaves the server.
                (_, true) => continue,
                (EntryRoute::Mx(host), false) => {
                    return Route::Mx {
                        domain: host.clone().unwrap_or(domain),
                    };
                }
                (EntryRoute::Relay(t), false) => return Route::Relay(t.clone()),
            }
        }
        if local_domain {
            Route::Local
        } else if let Some(t) = &self.relayhost {
            Route::Relay(t.clone())
        } else {
            Route::Mx { domain }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(pattern: &str, action: RouteAction) -> RouteConfig {
        RouteConfig {
            pattern: pattern.into(),
            action,
            host: None,
            port: None,
            auth_user: None,
            auth_password_file: None,
            require_tls: false,
        }
    }

    fn relay(pattern: &str, host: &str) -> RouteConfig {
        RouteConfig {
            host: Some(host.into()),
            port: Some(587),
            ..route(pattern, RouteAction::Relay)
        }
    }

    fn router(routes: Vec<RouteConfig>, relayhost: Option<&str>) -> Router {
        Router::from_config(&QueueConfig {
            routes,
            relayhost: relayhost.map(str::to_owned),
            ..QueueConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn defaults_local_then_mx() {
        let r = router(vec![], None);
        assert_eq!(r.route("a@Example.COM", true), Route::Local);
        assert_eq!(
            r.route("a@Remote.Test", false),
            Route::Mx {
                domain: "remote.test".into()
            }
        );
    }

    #[test]
    fn relayhost_for_non_local_only() {
        let r = router(vec![], Some("smart.example.net:2525"));
        assert_eq!(r.route("a@local.test", true), Route::Local);
        match r.route("a@remote.test", false) {
            Route::Relay(t) => assert_eq!((t.host.as_str(), t.port), ("smart.example.net", 2525)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn first_match_wins_and_patterns() {
        let r = router(
            vec![
                route("Spam@Remote.test", RouteAction::Refuse),
                relay("remote.test", "relay1"),
                route(".sub.test", RouteAction::Refuse),
                RouteConfig {
                    host: Some("Other.Test".into()),
                    ..route("mx.test", RouteAction::Mx)
                },
                relay("*", "relay-all"),
            ],
            None,
        );
        assert_eq!(r.route("spam@remote.test", false), Route::Refuse);
        assert!(matches!(r.route("ok@remote.test", false), Route::Relay(t) if t.host == "relay1"));
        assert_eq!(r.route("x@a.sub.test", false), Route::Refuse);
        assert!(matches!(r.route("x@sub.test", false), Route::Relay(t) if t.host == "relay-all"));
        assert_eq!(
            r.route("x@mx.test", false),
            Route::Mx {
                domain: "other.test".into()
            }
        );
        assert!(matches!(r.route("x@elsewhere.test", false), Route::Relay(t) if t.host == "relay-all"));
    }

    #[test]
    fn local_mail_never_leaves() {
        let r = router(
            vec![
                relay("*", "relay-all"),
                relay("local.test", "relay1"),
                route("blocked@local.test", RouteAction::Refuse),
            ],
            Some("smart:25"),
        );
        assert_eq!(r.route("a@local.test", true), Route::Local);
        assert_eq!(r.route("blocked@local.test", true), Route::Refuse);
        let r = router(vec![route("*", RouteAction::Refuse)], None);
        assert_eq!(r.route("a@local.test", true), Route::Local);
        assert_eq!(r.route("a@remote.test", false), Route::Refuse);
    }

    #[test]
    fn local_action_for_a_remote_domain() {
        let r = router(vec![route("legacy.test", RouteAction::Local)], None);
        assert_eq!(r.route("a@legacy.test", false), Route::Local);
    }

    #[test]
    fn passwords_are_read_and_never_shown() {
        let dir = std::env::temp_dir().join(format!("malt-route-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("pw");
        std::fs::write(&file, "s3cret-pass\nignored\n").unwrap();
        let mut c = relay("*", "relay");
        c.auth_user = Some("u".into());
        c.auth_password_file = Some(file.clone());
        let r = router(vec![c.clone()], None);
        let Route::Relay(t) = r.route("a@b.test", false) else {
            panic!()
        };
        let auth = t.auth.clone().unwrap();
        assert_eq!((auth.user.as_str(), auth.password.as_str()), ("u", "s3cret-pass"));
        assert!(!format!("{r:?} {t:?}").contains("s3cret"));
        assert!(!Route::Relay(t).key().contains("s3cret"));

        std::fs::write(&file, "\n").unwrap();
        let e = Router::from_config(&QueueConfig {
            routes: vec![c.clone()],
            ..QueueConfig::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
        c.auth_password_file = Some(dir.join("missing"));
        let e = Router::from_config(&QueueConfig {
            routes: vec![c],
            ..QueueConfig::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("queue.route[0].auth_password_file"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn keys() {
        assert_eq!(Route::Local.key(), "local");
        assert_eq!(
            Route::Mx {
                domain: "x.test".into()
            }
            .key(),
            "mx:x.test"
        );
    }
}
