//! App passwords: random high-entropy tokens, named and revocable, accepted in place of the
//! main password. Because they are random (~82 bits), a fast hash is as sound as argon2 for
//! them: stored as `"b3$" + hex(BLAKE3(normalised secret))`.
//!
//! The secret is shown once as four groups of four characters (`abcd-efgh-jkmn-pqrs`); dashes,
//! blanks and case are ignored when it is typed back.

use rand::Rng;

/// Lower-case letters and digits: 36 symbols, 16 of them give 82.7 bits of entropy.
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const PREFIX: &str = "b3$";

/// A new secret, e.g. `k3x9-a0qz-77mb-wp2e`. Show it once; store only [`hash`] of it.
pub fn generate() -> String {
    let mut rng = rand::thread_rng();
    let mut out = String::with_capacity(19);
    for group in 0..4 {
        if group > 0 {
            out.push('-');
        }
        for _ in 0..4 {
            let i = rng.gen_range(0..ALPHABET.len());
            out.push(char::from(ALPHABET.get(i).copied().unwrap_or(b'a')));
        }
    }
    out
}

/// The secret as compared: without dashes and blanks, lower-case.
fn normalise(secret: &str) -> String {
    secret
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The stored form of a secret.
pub fn hash(secret: &str) -> String {
    format!("{PREFIX}{}", blake3::hash(normalise(secret).as_bytes()).to_hex())
}

/// Whether `secret` matches `stored` (our `b3$` form, or an argon2 PHC string for app passwords
/// imported from elsewhere). The comparison of BLAKE3 hashes is constant-time.
pub fn verify(secret: &str, stored: &str) -> bool {
    verify_with(secret, stored, &mut Vec::new())
}

/// [`verify`] with argon2's working memory in `memory` (see [`super::password::verify_with`]).
pub fn verify_with(secret: &str, stored: &str, memory: &mut Vec<argon2::Block>) -> bool {
    if let Some(hex) = stored.strip_prefix(PREFIX) {
        match blake3::Hash::from_hex(hex) {
            Ok(expected) => blake3::hash(normalise(secret).as_bytes()) == expected,
            Err(_) => false,
        }
    } else if stored.starts_with("$argon2") {
        super::password::verify_with(secret, stored, memory)
    } else {
        false
    }
}

/// Whether `stored` is a fast (`b3$`) hash, which needs no blocking thread to verify.
pub fn is_fast(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_shape_and_uniqueness() {
        let a = generate();
        assert_eq!(a.len(), 19);
        let groups: Vec<&str> = a.split('-').collect();
        assert_eq!(groups.len(), 4);
        assert!(
            groups
                .iter()
                .all(|g| g.len() == 4 && g.bytes().all(|b| ALPHABET.contains(&b)))
        );
        assert_ne!(a, generate());
    }

    #[test]
    fn hash_verify_normalised() {
        let s = generate();
        let h = hash(&s);
        assert!(h.starts_with("b3$") && h.len() == 3 + 64);
        assert!(verify(&s, &h));
        assert!(verify(&s.replace('-', ""), &h));
        assert!(verify(&s.to_uppercase().replace('-', " "), &h));
        assert!(!verify("wrong-wrong-wrong-wron", &h));
        assert!(!verify(&s, "b3$zz"));
        assert!(!verify(&s, ""));
    }
}
