//! Sender authentication of incoming mail: SPF (RFC 7208), DKIM (RFC 6376), DMARC (RFC 7489) and
//! ARC (RFC 8617) verification through the `mail-auth` crate, summed up in ONE
//! `Authentication-Results` header (RFC 8601).
//!
//! Invariants:
//! - Verification never refuses, delays past its budget, or fails a delivery: a DNS failure is
//!   `temperror` (RFC 7208 §2.6.6, RFC 8601 §2.7), and every check not finished within the time
//!   budget (default 10 s for the whole message, all checks together) is `temperror` too.
//! - SPF checks the MAIL FROM identity; with the null reverse-path it checks the HELO identity
//!   (RFC 7208 §2.4), and a HELO that is not a domain name (an address literal) gives `none`
//!   (RFC 7208 §2.3). DKIM checks every signature (RFC 6376 §6); DMARC (RFC 7489 §4.2, §6.6) uses the
//!   `From:` domain and the SPF and DKIM results; ARC validates the chain (RFC 8617 §5.2).
//! - The header is `Authentication-Results: <authserv-id>; spf=...; dkim=...; dmarc=...; arc=...`
//!   (RFC 8601 §2.2), one method per line, folded to 78 columns where it has spaces (RFC 5322 §2.2.3),
//!   ending in CRLF. The authserv-id is our host name; [`strip_own_results`] removes the
//!   `Authentication-Results` fields of the incoming message that claim it (RFC 8601 §5: forged), so
//!   ours is the only one with that id and is at the top of the header.
//! - Every DNS lookup of one message goes through a per-message cache of bounded size
//!   ([`MAX_CACHED`] entries per record type); SPF's own limit of 10 DNS mechanisms (RFC 7208 §4.6.4)
//!   is enforced by `mail-auth`.
//!
//! - Parsing and body hashing run on the calling task: CPU proportional to the message size (a few
//!   tens of milliseconds at the 50 MiB default limit), bounded by `limits.max_message_size`.
//!
//! The results are also returned as owned values ([`AuthResults`]) for later consumers (Sieve tests).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use mail_auth::dmarc::Policy;
use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use mail_auth::hickory_resolver::system_conf::read_system_conf;
use mail_auth::spf::verify::SpfParameters;
use mail_auth::{
    ArcOutput, AuthenticatedMessage, AuthenticationResults, DkimOutput, DkimResult, DmarcOutput, DmarcResult,
    MX, MessageAuthenticator, Parameters, RecordSet, ResolverCache, SpfOutput, SpfResult, Txt,
};
use tokio::time::{Instant, timeout_at};

/// Most entries per record type in one message's lookup cache.
pub const MAX_CACHED: usize = 256;

/// The default time budget of one message's verification.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(10);

/// A result value of RFC 8601 §2.7 (the ones SPF, DKIM, DMARC and ARC use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
    TempError,
    PermError,
}

impl Verdict {
    /// The RFC 8601 keyword (`pass`, `fail`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::SoftFail => "softfail",
            Verdict::Neutral => "neutral",
            Verdict::None => "none",
            Verdict::TempError => "temperror",
            Verdict::PermError => "permerror",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one DKIM signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimVerdict {
    pub result: Verdict,
    /// The signing domain (`d=`); empty when the signature could not be parsed.
    pub domain: String,
    /// The selector (`s=`); empty when the signature could not be parsed.
    pub selector: String,
}

/// The policy the DMARC record of the `From:` domain asks for (RFC 7489 §6.3 `p=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmarcPolicy {
    None,
    Quarantine,
    Reject,
}

/// Everything one message's verification found, plus the header that records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResults {
    /// SPF result of the checked identity.
    pub spf: Verdict,
    /// The identity SPF checked: the MAIL FROM address, or `postmaster@<helo>` for the null path.
    pub spf_identity: String,
    /// One entry per DKIM signature, in header order (empty: the message has none).
    pub dkim: Vec<DkimVerdict>,
    /// DMARC result for the `From:` domain (`none` when it publishes no record or has no single domain).
    pub dmarc: Verdict,
    /// The `From:` domain DMARC evaluated (empty when none).
    pub dmarc_domain: String,
    /// The policy that domain publishes.
    pub dmarc_policy: DmarcPolicy,
    /// ARC chain validation result (`none` without an ARC set).
    pub arc: Verdict,
    /// The complete `Authentication-Results: ...` header, folded, ending in CRLF.
    pub header: String,
}

/// What verification needs to know about one received message.
#[derive(Debug, Clone, Copy)]
pub struct AuthInput<'a> {
    /// The message as received (before any trace header of ours).
    pub raw: &'a [u8],
    /// The SMTP client's address.
    pub remote: IpAddr,
    /// The client's EHLO/HELO argument.
    pub helo: &'a str,
    /// The MAIL FROM reverse-path without brackets; empty for the null path.
    pub mail_from: &'a str,
    /// This server's host name: the authserv-id of the header, and the SPF receiver.
    pub hostname: &'a str,
}

/// Why a [`SenderAuthenticator`] could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the DNS resolver for sender authentication: {0}")]
pub struct ResolverError(String);

/// Verifies incoming mail. Cheap to share (`Arc`); one per server.
#[derive(Clone)]
pub struct SenderAuthenticator {
    resolver: MessageAuthenticator,
    budget: Duration,
}

impl std::fmt::Debug for SenderAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SenderAuthenticator")
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl SenderAuthenticator {
    /// A verifier asking `dns_servers` (UDP, TCP on truncation), or the system's resolvers from
    /// `/etc/resolv.conf` when the list is empty (`[dns] servers`). `budget` bounds one message's
    /// verification.
    pub fn new(dns_servers: &[SocketAddr], budget: Duration) -> Result<Self, ResolverError> {
        let (config, mut opts) = if dns_servers.is_empty() {
            read_system_conf().map_err(|e| ResolverError(e.to_string()))?
        } else {
            let servers = dns_servers
                .iter()
                .map(|addr| {
                    let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
                    for c in &mut ns.connections {
                        c.port = addr.port();
                    }
                    ns
                })
                .collect();
            (
                ResolverConfig::from_parts(None, vec![], servers),
                ResolverOpts::default(),
            )
        };
        // A query may not use the whole budget: leave room for the next one (SPF chains lookups).
        opts.timeout = opts.timeout.min(budget / 2).max(Duration::from_millis(100));
        let resolver = MessageAuthenticator::new(config, opts).map_err(|e| ResolverError(e.to_string()))?;
        Ok(SenderAuthenticator { resolver, budget })
    }

    /// The time budget of one message.
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// Runs SPF, DKIM, ARC (concurrently), then DMARC, within the budget. Never fails.
    pub async fn verify(&self, input: &AuthInput<'_>) -> AuthResults {
        let cache = LookupCache::new();
        self.verify_with(input, &cache).await
    }

    async fn verify_with(&self, input: &AuthInput<'_>, cache: &LookupCache) -> AuthResults {
        let deadline = Instant::now() + self.budget;
        let message = AuthenticatedMessage::parse(input.raw);
        let helo = input.helo.trim();
        let helo_is_domain = is_domain(helo);
        let spf_identity = if input.mail_from.is_empty() {
            format!("postmaster@{helo}")
        } else {
            input.mail_from.to_owned()
        };
        // RFC 7208 §2.4: the null reverse-path is checked as postmaster@HELO. §2.3: a HELO that
        // is not a domain is not checked.
        let spf_domain = if input.mail_from.is_empty() {
            helo.to_owned()
        } else {
            input
                .mail_from
                .rsplit_once('@')
                .map_or(helo, |(_, d)| d)
                .to_owned()
        };
        let spf_fut = async {
            if input.mail_from.is_empty() && !helo_is_domain {
                return SpfOutput::new(helo.to_owned()).with_result(SpfResult::None);
            }
            let params = if input.mail_from.is_empty() {
                SpfParameters::verify_ehlo(input.remote, helo, input.hostname)
            } else {
                SpfParameters::verify_mail_from(input.remote, helo, input.hostname, input.mail_from)
            };
            match timeout_at(deadline, self.resolver.verify_spf(cache.parameters(params))).await {
                Ok(out) => out,
                Err(_) => SpfOutput::new(spf_domain.clone()).with_result(SpfResult::TempError),
            }
        };
        let dkim_fut = async {
            let Some(m) = &message else {
                return Ok(Vec::new());
            };
            timeout_at(deadline, self.resolver.verify_dkim(cache.parameters(m)))
                .await
                .map_err(|_| ())
        };
        let arc_fut = async {
            let Some(m) = &message else {
                return ArcOutput::default();
            };
            match timeout_at(deadline, self.resolver.verify_arc(cache.parameters(m))).await {
                Ok(out) => out,
                Err(_) => ArcOutput::default().with_result(DkimResult::TempError(timeout_error())),
            }
        };
        let (spf, dkim, arc) = tokio::join!(spf_fut, dkim_fut, arc_fut);
        let dkim_complete = dkim.is_ok();
        let dkim: Vec<DkimOutput<'_>> = match (dkim, &message) {
            (Ok(d), _) => d,
            (Err(()), Some(m)) => m
                .dkim_headers
                .iter()
                .map(|h| DkimOutput::temp_err(timeout_error()).with_signature(&h.header))
                .collect(),
            (Err(()), None) => Vec::new(),
        };
        let dmarc = match &message {
            None => DmarcOutput::default(),
            Some(m) if !dkim_complete || Instant::now() >= deadline => {
                let t = DmarcResult::TempError(timeout_error());
                DmarcOutput::default()
                    .with_domain(m.from().rsplit_once('@').map_or("", |(_, d)| d))
                    .with_spf_result(t.clone())
                    .with_dkim_result(t)
            }
            Some(m) => {
                let params = DmarcParameters::new(m, &dkim, &spf_domain, &spf);
                match timeout_at(deadline, self.resolver.verify_dmarc(cache.parameters(params))).await {
                    Ok(out) => out,
                    Err(_) => {
                        let t = DmarcResult::TempError(timeout_error());
                        DmarcOutput::default()
                            .with_domain(m.from().rsplit_once('@').map_or("", |(_, d)| d))
                            .with_spf_result(t.clone())
                            .with_dkim_result(t)
                    }
                }
            }
        };
        let header_from = message.as_ref().map_or("", |m| m.from());
        let header = results_header(input, helo, &spf, &dkim, header_from, &dmarc, &arc);
        AuthResults {
            spf: spf_verdict(spf.result()),
            spf_identity,
            dkim: dkim
                .iter()
                .map(|d| DkimVerdict {
                    result: dkim_verdict(d.result()),
                    domain: d.signature().map(|s| s.d.clone()).unwrap_or_default(),
                    selector: d.signature().map(|s| s.s.clone()).unwrap_or_default(),
                })
                .collect(),
            dmarc: dmarc_verdict(&dmarc),
            dmarc_domain: dmarc.domain().to_owned(),
            dmarc_policy: match dmarc.policy() {
                Policy::Quarantine => DmarcPolicy::Quarantine,
                Policy::Reject => DmarcPolicy::Reject,
                Policy::None | Policy::Unspecified => DmarcPolicy::None,
            },
            arc: dkim_verdict(arc.result()),
            header,
        }
    }
}

fn timeout_error() -> mail_auth::Error {
    mail_auth::Error::Dns(mail_auth::DnsError::Resolver(
        "sender authentication time budget exhausted".to_owned(),
    ))
}

/// Whether `s` looks like a domain name (not an address literal, at least one dot, only LDH and
/// dots, or non-ASCII for IDNs).
fn is_domain(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.contains('.')
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || !c.is_ascii())
        })
}

/// The authserv-id: the host name with anything that is not a token character dropped
/// (RFC 8601 §2.2 `authserv-id = value`, RFC 2045 token).
fn authserv_id(hostname: &str) -> String {
    let id: String = hostname
        .chars()
        .filter(|c| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?=".contains(*c))
        .collect();
    if id.is_empty() { "localhost".to_owned() } else { id }
}

/// Builds the folded header from mail-auth's writers: one method per line.
fn results_header(
    input: &AuthInput<'_>,
    helo: &str,
    spf: &SpfOutput,
    dkim: &[DkimOutput<'_>],
    header_from: &str,
    dmarc: &DmarcOutput,
    arc: &ArcOutput<'_>,
) -> String {
    let id = authserv_id(input.hostname);
    // Each writer call renders "<id>;\r\n\t<method>=..."; keep the part after the id.
    let clause = |ar: AuthenticationResults<'_>| -> String {
        let text = ar.to_string();
        text.strip_prefix(id.as_str()).unwrap_or(&text).to_owned()
    };
    let mut header = String::with_capacity(512);
    header.push_str("Authentication-Results: ");
    header.push_str(&id);
    let base = || AuthenticationResults::new(&id);
    header.push_str(&clause(if input.mail_from.is_empty() {
        base().with_spf_ehlo_result(spf, input.remote, helo)
    } else {
        base().with_spf_mailfrom_result(spf, input.remote, input.mail_from, helo)
    }));
    if dkim.is_empty() {
        header.push_str(";\r\n\tdkim=none");
    } else {
        header.push_str(&clause(base().with_dkim_results(dkim, header_from)));
    }
    header.push_str(&clause(base().with_dmarc_result(dmarc)));
    header.push_str(&clause(base().with_arc_result(arc, input.remote)));
    header.push_str("\r\n");
    // Anything mail-auth copied from the message that could break the header is neutralised.
    let header: String = header
        .chars()
        .map(|c| {
            if c.is_control() && c != '\r' && c != '\n' && c != '\t' {
                '?'
            } else {
                c
            }
        })
        .collect();
    fold(&header)
}

/// Folds every line longer than 78 characters by inserting CRLF before a space (RFC 5322 §2.2.3:
/// unfolding gives back the same text). Lines without a usable space stay long (they stay far
/// below 998: every part is bounded by SMTP's path and domain limits).
pub fn fold(header: &str) -> String {
    const WIDTH: usize = 78;
    let mut out = String::with_capacity(header.len() + 16);
    for (i, line) in header.split("\r\n").enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        let mut rest = line;
        while rest.chars().count() > WIDTH {
            // The last space within the width, not at the start (a continuation needs text).
            let limit = rest.char_indices().nth(WIDTH).map_or(rest.len(), |(b, _)| b);
            let cut = rest
                .get(..limit)
                .and_then(|head| head.rfind(' '))
                .filter(|&p| rest.get(..p).is_some_and(|h| !h.trim().is_empty()));
            let Some(p) = cut else { break };
            let (head, tail) = rest.split_at(p);
            out.push_str(head);
            out.push_str("\r\n");
            rest = tail;
        }
        out.push_str(rest);
    }
    out
}

/// Removes the `Authentication-Results` fields of `raw`'s header whose authserv-id is `hostname`
/// (case-insensitive): RFC 8601 §5, results claiming to be ours that we did not write are forged.
/// Returns `None` when there is none (the message is used as is).
pub fn strip_own_results(raw: &[u8], hostname: &str) -> Option<Vec<u8>> {
    let id = authserv_id(hostname);
    let mut drop = Vec::new();
    for (start, end, name, value) in header_fields(raw) {
        if name.eq_ignore_ascii_case(b"Authentication-Results")
            && results_authserv_id(value).is_some_and(|v| v.eq_ignore_ascii_case(&id))
        {
            drop.push((start, end));
        }
    }
    if drop.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut at = 0;
    for (start, end) in drop {
        out.extend_from_slice(raw.get(at..start)?);
        at = end;
    }
    out.extend_from_slice(raw.get(at..)?);
    Some(out)
}

/// The header fields of a message: (start, end, name, value) with `end` after the field's last line
/// break, stopping at the empty line that ends the header. Lines without a colon end the scan.
fn header_fields(raw: &[u8]) -> Vec<(usize, usize, &[u8], &[u8])> {
    let mut fields = Vec::new();
    let mut pos = 0;
    while pos < raw.len() {
        let Some(rest) = raw.get(pos..) else { break };
        if rest.starts_with(b"\r\n") || rest.starts_with(b"\n") {
            break;
        }
        // The field runs until a line break not followed by WSP (RFC 5322 §2.2.3).
        let mut end = pos;
        loop {
            let Some(nl) = raw.get(end..).and_then(|r| r.iter().position(|&b| b == b'\n')) else {
                end = raw.len();
                break;
            };
            end += nl + 1;
            match raw.get(end) {
                Some(b' ' | b'\t') => continue,
                _ => break,
            }
        }
        let field = raw.get(pos..end).unwrap_or_default();
        let Some(colon) = field.iter().position(|&b| b == b':') else {
            break;
        };
        let name = field.get(..colon).unwrap_or_default();
        if name.is_empty() || name.iter().any(|b| !b.is_ascii_graphic()) {
            break;
        }
        fields.push((pos, end, name, field.get(colon + 1..).unwrap_or_default()));
        pos = end;
    }
    fields
}

/// The authserv-id of an `Authentication-Results` value: the first token after optional CFWS
/// (comments may nest, RFC 5322 §3.2.2), up to `;`, whitespace or `(`. Quoted ids are unquoted.
fn results_authserv_id(value: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(value);
    let mut chars = text.chars().peekable();
    let mut depth = 0u32;
    // Skip CFWS.
    while let Some(&c) = chars.peek() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            '\\' if depth > 0 => {
                chars.next();
            }
            c if depth > 0 || c.is_whitespace() => {}
            _ => break,
        }
        chars.next();
    }
    let mut id = String::new();
    if chars.peek() == Some(&'"') {
        chars.next();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => id.extend(chars.next()),
                c => id.push(c),
            }
        }
    } else {
        for c in chars {
            if c == ';' || c == '(' || c.is_whitespace() {
                break;
            }
            id.push(c);
        }
    }
    (!id.is_empty()).then_some(id)
}

fn spf_verdict(r: SpfResult) -> Verdict {
    match r {
        SpfResult::Pass => Verdict::Pass,
        SpfResult::Fail => Verdict::Fail,
        SpfResult::SoftFail => Verdict::SoftFail,
        SpfResult::Neutral => Verdict::Neutral,
        SpfResult::TempError => Verdict::TempError,
        SpfResult::PermError => Verdict::PermError,
        SpfResult::None => Verdict::None,
    }
}

fn dkim_verdict(r: &DkimResult) -> Verdict {
    match r {
        DkimResult::Pass => Verdict::Pass,
        DkimResult::Neutral(_) => Verdict::Neutral,
        DkimResult::Fail(_) => Verdict::Fail,
        DkimResult::PermError(_) => Verdict::PermError,
        DkimResult::TempError(_) => Verdict::TempError,
        DkimResult::None => Verdict::None,
    }
}

fn dmarc_verdict(d: &DmarcOutput) -> Verdict {
    match d.result() {
        DmarcResult::Pass => Verdict::Pass,
        DmarcResult::Fail(_) => Verdict::Fail,
        DmarcResult::TempError(_) => Verdict::TempError,
        DmarcResult::PermError(_) => Verdict::PermError,
        DmarcResult::None => Verdict::None,
    }
}

/// One record type's cache: at most [`MAX_CACHED`] entries, alive for one message. `on_miss` makes
/// it authoritative (tests: a name not inserted does not exist, no query is sent).
struct Cache<K, V> {
    map: Mutex<HashMap<K, V>>,
    on_miss: Option<V>,
}

impl<K: Hash + Eq, V: Clone> Cache<K, V> {
    fn new(on_miss: Option<V>) -> Self {
        Cache {
            map: Mutex::new(HashMap::new()),
            on_miss,
        }
    }
}

impl<K: Hash + Eq, V: Clone> ResolverCache<K, V> for Cache<K, V> {
    fn get<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let map = self.map.lock().ok()?;
        map.get(name).cloned().or_else(|| self.on_miss.clone())
    }

    fn remove<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.lock().ok()?.remove(name)
    }

    fn insert(&self, key: K, value: V, _valid_until: std::time::Instant) {
        if let Ok(mut map) = self.map.lock()
            && (map.len() < MAX_CACHED || map.contains_key(&key))
        {
            map.insert(key, value);
        }
    }
}

/// The lookups of one message.
struct LookupCache {
    txt: Cache<Box<str>, Txt>,
    mx: Cache<Box<str>, RecordSet<MX>>,
    ipv4: Cache<Box<str>, RecordSet<Ipv4Addr>>,
    ipv6: Cache<Box<str>, RecordSet<Ipv6Addr>>,
    ptr: Cache<IpAddr, RecordSet<Box<str>>>,
}

impl LookupCache {
    fn new() -> Self {
        LookupCache {
            txt: Cache::new(None),
            mx: Cache::new(None),
            ipv4: Cache::new(None),
            ipv6: Cache::new(None),
            ptr: Cache::new(None),
        }
    }

    #[allow(clippy::type_complexity)]
    fn parameters<P>(
        &self,
        params: P,
    ) -> Parameters<
        '_,
        P,
        Cache<Box<str>, Txt>,
        Cache<Box<str>, RecordSet<MX>>,
        Cache<Box<str>, RecordSet<Ipv4Addr>>,
        Cache<Box<str>, RecordSet<Ipv6Addr>>,
        Cache<IpAddr, RecordSet<Box<str>>>,
    > {
        Parameters::new(params)
            .with_txt_cache(&self.txt)
            .with_mx_cache(&self.mx)
            .with_ipv4_cache(&self.ipv4)
            .with_ipv6_cache(&self.ipv6)
            .with_ptr_cache(&self.ptr)
    }
}

#[cfg(test)]
mod tests;
