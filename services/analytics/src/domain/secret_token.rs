//! Opaque one-time secrets (refresh tokens, reset and invitation links): 256 random
//! bits, handed out once, stored only as their SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh secret, URL-safe.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored of a secret.
pub fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_distinct_and_their_digests_stable() {
        let a = generate();
        assert_eq!(a.len(), 43);
        assert_ne!(a, generate());
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&generate()));
    }
}
