//! Main passwords: argon2id in PHC string form (RFC 9106; the parameters travel in the string,
//! so raising them later still verifies old hashes).

use argon2::password_hash::{self, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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
    verify_with(plain, phc, &mut Vec::new())
}

/// [`verify`] with argon2's working memory (`m_cost` KiB, 19 MiB for the default parameters) in
/// `memory`, grown when the hash's parameters need more and kept for the next call, so that a
/// caller reusing buffers allocates none per login. The comparison with the stored hash is
/// constant-time (`password_hash::Output`).
pub fn verify_with(plain: &str, phc: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(h) = PasswordHash::new(phc) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(h.algorithm) else {
        return false;
    };
    let version = match h.version {
        Some(v) => match Version::try_from(v) {
            Ok(v) => v,
            Err(_) => return false,
        },
        None => Version::default(),
    };
    let Ok(params) = Params::try_from(&h) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (h.salt, h.hash) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let Some(work) = memory.get_mut(..blocks) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params);
    if argon
        .hash_password_into_with_memory(plain.as_bytes(), salt, &mut out, work)
        .is_err()
    {
        return false;
    }
    password_hash::Output::new(&out).is_ok_and(|o| o == expected)
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
        // One buffer across hashes of different costs: grown once, results unchanged.
        let small = hash_with(
            "other",
            &PasswordHasherParams {
                m_cost_kib: 1024,
                t_cost: 1,
                p_cost: 1,
            },
        )
        .unwrap();
        let mut memory = Vec::new();
        assert!(verify_with("other", &small, &mut memory));
        assert!(verify_with("correct horse", &h, &mut memory));
        assert!(!verify_with("correct horse!", &h, &mut memory));
        assert!(verify_with("other", &small, &mut memory));
        assert!(!verify_with("Other", &small, &mut memory));
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
