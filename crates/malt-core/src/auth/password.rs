//! Main passwords: argon2id in PHC string form (RFC 9106; the parameters travel in the string,
//! so raising them later still verifies old hashes).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use malt_store::{Result, StoreError};
use rand::RngCore;

/// argon2id cost parameters for new hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordHasherParams {
    /// Memory in KiB.
    pub m_cost_kib: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl Default for PasswordHasherParams {
    /// The argon2 crate's defaults (OWASP: 19 MiB, 2 iterations, 1 lane).
    fn default() -> Self {
        PasswordHasherParams {
            m_cost_kib: Params::DEFAULT_M_COST,
            t_cost: Params::DEFAULT_T_COST,
            p_cost: Params::DEFAULT_P_COST,
        }
    }
}

impl PasswordHasherParams {
    /// Cheap parameters for tests only (8 KiB, 1 iteration): never use in production.
    pub fn for_tests() -> Self {
        PasswordHasherParams {
            m_cost_kib: 8,
            t_cost: 1,
            p_cost: 1,
        }
    }
}

/// Hashes with the default parameters.
pub fn hash(plain: &str) -> Result<String> {
    hash_with(plain, &PasswordHasherParams::default())
}

/// Hashes with the given parameters, a fresh 128-bit random salt, argon2id v1.3.
pub fn hash_with(plain: &str, params: &PasswordHasherParams) -> Result<String> {
    let p = Params::new(params.m_cost_kib, params.t_cost, params.p_cost, None).map_err(|e| {
        StoreError::Invalid {
            what: "argon2 parameters",
            reason: e.to_string(),
        }
    })?;
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(StoreError::backend)?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, p)
        .hash_password(plain.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(StoreError::backend)
}

/// Whether `plain` matches the PHC string `phc` (argon2id, argon2i or argon2d). A malformed or
/// empty hash matches nothing. CPU-heavy: call from a blocking context.
pub fn verify(plain: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default().verify_password(plain.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash_with("correct horse", &PasswordHasherParams::for_tests()).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=8,t=1,p=1$"));
        assert!(verify("correct horse", &h));
        assert!(!verify("correct horse!", &h));
        assert!(!verify("", &h));
        assert!(!verify("x", ""));
        assert!(!verify("x", "not a hash"));
        // Salted: two hashes of one password differ.
        assert_ne!(
            h,
            hash_with("correct horse", &PasswordHasherParams::for_tests()).unwrap()
        );
    }

    #[test]
    fn default_params_are_argon2_defaults() {
        let p = PasswordHasherParams::default();
        assert_eq!((p.m_cost_kib, p.t_cost, p.p_cost), (19 * 1024, 2, 1));
    }
}
