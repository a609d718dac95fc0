//! The Sender Rewriting Scheme (SRS, as libsrs2 and postsrsd implement it) for mail this server
//! forwards (Sieve `redirect`): the envelope sender `local@origdomain` becomes
//! `SRS0=HHHHHH=TT=origdomain=local@<srs domain>`, an address in a domain whose SPF names this
//! server, so the forwarded message still passes SPF at the next hop (RFC 7208 §1.1.1 explains
//! why forwarding breaks it). A bounce to that address comes back to the MX, which checks it and
//! forwards the bounce to `local@origdomain` ([`Srs::reverse`]).
//!
//! - `HHHHHH`: the first 30 bits of BLAKE3 keyed with the server's secret over `TT=origdomain=local`
//!   lower-cased, in base32 (RFC 4648 alphabet): without the secret nobody can mint an address
//!   that makes the MX forward to an address of their choosing (an open relay).
//! - `TT`: the day of issue (Unix days modulo 1024) in two base32 characters; an address older
//!   than `max_age_days` (default 21, as libsrs2) is refused, so a leaked address dies.
//!
//! Invariants: the null sender is never rewritten (a bounce must stay a bounce, RFC 5321 §4.5.5);
//! a sender already in the SRS domain is left as it is; the check is case-insensitive (hash and
//! timestamp are compared after folding case, because MTAs on the way may change the case of an
//! address); every malformed, forged or expired address is an [`SrsError`], never a panic.
//! Deviation from libsrs2: the hash is BLAKE3, 6 base32 characters (libsrs2: HMAC-SHA1, 4 base64
//! characters), and SRS1 (re-forwarding another forwarder's SRS0 address) is not used: such an
//! address is wrapped in SRS0 like any other sender.

use std::io::Write as _;
use std::path::Path;

use crate::mail::now;

/// RFC 4648 base32 alphabet, as libsrs2 uses for the timestamp.
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Characters of the hash.
const HASH_CHARS: usize = 6;
/// The timestamp's range: two base32 characters.
const TIMESTAMP_DAYS: i64 = 1024;
const SECONDS_PER_DAY: i64 = 86_400;

/// Why an address could not be reversed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SrsError {
    /// Not an SRS0 address in the SRS domain.
    #[error("not an SRS address of this server")]
    NotSrs,
    /// `SRS0=` but not the form `SRS0=hash=tt=domain=local`.
    #[error("malformed SRS address")]
    Malformed,
    /// The hash does not match: forged or damaged.
    #[error("invalid SRS address (hash mismatch)")]
    BadHash,
    /// Older than the maximum age, or dated in the future.
    #[error("expired SRS address")]
    Expired,
}

/// The server's SRS rewriter (see the module docs).
#[derive(Clone)]
pub struct Srs {
    key: [u8; 32],
    domain: String,
    max_age_days: u32,
}

impl std::fmt::Debug for Srs {
    /// Never prints the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Srs")
            .field("domain", &self.domain)
            .field("max_age_days", &self.max_age_days)
            .finish_non_exhaustive()
    }
}

impl Srs {
    /// A rewriter with this secret, for addresses in `domain`.
    pub fn new(key: [u8; 32], domain: &str, max_age_days: u32) -> Self {
        Srs {
            key,
            domain: domain.trim().to_ascii_lowercase(),
            max_age_days,
        }
    }

    /// A rewriter whose secret is in the file at `path` (64 hex digits), created with a random
    /// secret (mode 0600) when missing. The file is created complete or not at all (written
    /// aside, then linked into place), so two processes starting together agree on one secret.
    pub fn load_or_create(path: &Path, domain: &str, max_age_days: u32) -> std::io::Result<Self> {
        let key = match std::fs::read_to_string(path) {
            Ok(text) => parse_key(&text).ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} does not hold 64 hex digits", path.display()),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key(path)?,
            Err(e) => return Err(e),
        };
        Ok(Srs::new(key, domain, max_age_days))
    }

    /// The domain of the rewritten addresses.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The envelope sender to use when forwarding a message from `sender` (see the module docs):
    /// unchanged when null, without a domain, or already in the SRS domain.
    pub fn forward(&self, sender: &str) -> String {
        self.forward_at(sender, now())
    }

    fn forward_at(&self, sender: &str, now: i64) -> String {
        let Some((local, domain)) = sender.rsplit_once('@') else {
            return sender.to_owned();
        };
        if local.is_empty() || domain.is_empty() || domain.eq_ignore_ascii_case(&self.domain) {
            return sender.to_owned();
        }
        let tt = timestamp(now);
        let hash = self.hash(&tt, domain, local);
        format!("SRS0={hash}={tt}={domain}={local}@{}", self.domain)
    }

    /// Whether `address` claims to be one of ours: `SRS0=…` (any case) in the SRS domain.
    pub fn is_ours(&self, address: &str) -> bool {
        address.rsplit_once('@').is_some_and(|(local, domain)| {
            domain.eq_ignore_ascii_case(&self.domain)
                && local.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("SRS0="))
        })
    }

    /// The original sender an SRS address of ours stands for, after checking its hash and age.
    pub fn reverse(&self, address: &str) -> Result<String, SrsError> {
        self.reverse_at(address, now())
    }

    fn reverse_at(&self, address: &str, now: i64) -> Result<String, SrsError> {
        if !self.is_ours(address) {
            return Err(SrsError::NotSrs);
        }
        let (local, _) = address.rsplit_once('@').ok_or(SrsError::NotSrs)?;
        let rest = local.get(5..).ok_or(SrsError::Malformed)?;
        let mut parts = rest.splitn(4, '=');
        let (Some(hash), Some(tt), Some(domain), Some(orig_local)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SrsError::Malformed);
        };
        if domain.is_empty() || orig_local.is_empty() || tt.len() != 2 {
            return Err(SrsError::Malformed);
        }
        if !self.hash(tt, domain, orig_local).eq_ignore_ascii_case(hash) {
            return Err(SrsError::BadHash);
        }
        let issued = decode_timestamp(tt).ok_or(SrsError::Malformed)?;
        let today = now.div_euclid(SECONDS_PER_DAY).rem_euclid(TIMESTAMP_DAYS);
        let age = (today - issued).rem_euclid(TIMESTAMP_DAYS);
        if age > i64::from(self.max_age_days) {
            return Err(SrsError::Expired);
        }
        Ok(format!("{orig_local}@{domain}"))
    }

    /// `HASH_CHARS` base32 characters of the keyed hash over the lower-cased fields.
    fn hash(&self, tt: &str, domain: &str, local: &str) -> String {
        let data = format!("{tt}={domain}={local}").to_ascii_lowercase();
        let digest = blake3::keyed_hash(&self.key, data.as_bytes());
        let bits = digest
            .as_bytes()
            .iter()
            .take(4)
            .fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
        (0..HASH_CHARS)
            .map(|i| base32_char(bits >> (27 - 5 * i)))
            .collect()
    }
}

fn base32_char(value: u32) -> char {
    let i = usize::try_from(value & 31).unwrap_or(0);
    BASE32.get(i).map_or('A', |&b| char::from(b))
}

/// Today (Unix days modulo 1024) in two base32 characters.
fn timestamp(now: i64) -> String {
    let day = now.div_euclid(SECONDS_PER_DAY).rem_euclid(TIMESTAMP_DAYS);
    let day = u32::try_from(day).unwrap_or(0);
    [base32_char(day >> 5), base32_char(day)].iter().collect()
}

fn decode_timestamp(tt: &str) -> Option<i64> {
    let value = |c: u8| {
        BASE32
            .iter()
            .position(|&b| b == c.to_ascii_uppercase())
            .and_then(|p| i64::try_from(p).ok())
    };
    let mut bytes = tt.bytes();
    let (hi, lo) = (bytes.next()?, bytes.next()?);
    Some(value(hi)? * 32 + value(lo)?)
}

fn parse_key(text: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(text.trim()).ok()?;
    bytes.try_into().ok()
}

/// Writes a new random secret to `path` (see [`Srs::load_or_create`]); when another process
/// created it first, reads that one.
fn create_key(path: &Path) -> std::io::Result<[u8; 32]> {
    let key: [u8; 32] = rand::random();
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(hex::encode(key).as_bytes())?;
        file.sync_all()?;
    }
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => parse_key(&std::fs::read_to_string(path)?)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "SRS key file is damaged")),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DAY: i64 = SECONDS_PER_DAY;
    const NOW: i64 = 1_795_931_412;

    fn srs() -> Srs {
        Srs::new([7; 32], "Forward.Example", 21)
    }

    #[test]
    fn forward_and_reverse() {
        let s = srs();
        let a = s.forward_at("Alice.Smith@Origin.example", NOW);
        assert!(a.starts_with("SRS0="), "{a}");
        assert!(a.ends_with("=Origin.example=Alice.Smith@forward.example"), "{a}");
        assert!(s.is_ours(&a));
        assert_eq!(s.reverse_at(&a, NOW).unwrap(), "Alice.Smith@Origin.example");
        // Case changed on the way (hash, timestamp, prefix and domain): still ours.
        let lower = a.to_lowercase();
        assert_eq!(s.reverse_at(&lower, NOW).unwrap(), "alice.smith@origin.example");
        let upper = a.to_uppercase();
        assert!(s.reverse_at(&upper, NOW).is_ok());
        // A local part with '=' and '@' survives: the last '@' ends the SRS local part.
        let odd = s.forward_at("a=b@c.example", NOW);
        assert_eq!(s.reverse_at(&odd, NOW).unwrap(), "a=b@c.example");
    }

    #[test]
    fn never_rewritten() {
        let s = srs();
        assert_eq!(s.forward_at("", NOW), "");
        assert_eq!(s.forward_at("postmaster", NOW), "postmaster");
        assert_eq!(s.forward_at("x@FORWARD.example", NOW), "x@FORWARD.example");
    }

    #[test]
    fn forged_and_malformed_are_refused() {
        let s = srs();
        let a = s.forward_at("alice@origin.example", NOW);
        // Another target with the same hash: a forgery.
        let forged = a.replace("=alice@", "=mallory@");
        assert_eq!(s.reverse_at(&forged, NOW), Err(SrsError::BadHash));
        // Another secret did not make it.
        let other = Srs::new([8; 32], "forward.example", 21);
        assert_eq!(other.reverse_at(&a, NOW), Err(SrsError::BadHash));
        for bad in [
            "SRS0=@forward.example",
            "SRS0=abc@forward.example",
            "SRS0=abcdef=AB=@forward.example",
            "SRS0=abcdef=ABC=d.example=x@forward.example",
            "SRS0=abcdef=A=d.example=x@forward.example",
        ] {
            assert!(
                matches!(
                    s.reverse_at(bad, NOW),
                    Err(SrsError::Malformed | SrsError::BadHash)
                ),
                "{bad}"
            );
        }
        assert_eq!(s.reverse_at("alice@forward.example", NOW), Err(SrsError::NotSrs));
        assert_eq!(
            s.reverse_at(&a.replace("forward.example", "x.example"), NOW),
            Err(SrsError::NotSrs)
        );
    }

    #[test]
    fn addresses_expire() {
        let s = srs();
        let a = s.forward_at("alice@origin.example", NOW);
        assert!(s.reverse_at(&a, NOW + 21 * DAY).is_ok());
        assert_eq!(s.reverse_at(&a, NOW + 22 * DAY), Err(SrsError::Expired));
        // Dated tomorrow (a clock far behind, or a forgery of the timestamp): refused.
        assert_eq!(s.reverse_at(&a, NOW - DAY), Err(SrsError::Expired));
        // The timestamp wraps after 1024 days: an address issued just before the wrap is valid
        // just after it.
        let wrap = (NOW.div_euclid(1024 * DAY) + 1) * 1024 * DAY;
        let late = s.forward_at("alice@origin.example", wrap - DAY);
        assert!(s.reverse_at(&late, wrap + DAY).is_ok());
    }

    #[test]
    fn key_file_is_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("srs.key");
        let a = Srs::load_or_create(&path, "f.example", 21).unwrap();
        let b = Srs::load_or_create(&path, "f.example", 21).unwrap();
        assert_eq!(a.key, b.key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not hex").unwrap();
        assert!(Srs::load_or_create(&path, "f.example", 21).is_err());
        assert!(!format!("{a:?}").contains(&hex::encode(a.key)));
    }
}
