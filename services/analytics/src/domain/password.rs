//! Passwords: the policy a new password must meet, and Argon2id hashing (PHC strings,
//! OWASP's parameters: 19 MiB, 2 passes, 1 lane).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Shortest password accepted.
pub const MIN_LEN: usize = 12;
/// Longest password accepted (hashing cost must not be the caller's to choose).
pub const MAX_LEN: usize = 128;

/// Why a new password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Too short.
    #[error("password must have at least {MIN_LEN} characters")]
    TooShort,
    /// Too long.
    #[error("password must have at most {MAX_LEN} characters")]
    TooLong,
    /// The same as the email address, or all one character.
    #[error("password is too easy to guess (the email address or one repeated character)")]
    Guessable,
}

/// Checks a new password against the policy (NIST SP 800-63B: length, not the
/// obvious; no composition rules).
pub fn check_policy(password: &str, email: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_LEN {
        return Err(PasswordError::TooLong);
    }
    let first = password.chars().next();
    if password.eq_ignore_ascii_case(email) || password.chars().all(|c| Some(c) == first) {
        return Err(PasswordError::Guessable);
    }
    Ok(())
}

fn argon2() -> Argon2<'static> {
    // Params::DEFAULT is OWASP's Argon2id recommendation (m=19456 KiB, t=2, p=1).
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT)
}

/// The Argon2id PHC string of `password` with a fresh salt.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        // Only fails on parameters out of range, which are constants here.
        .unwrap_or_default()
}

/// Whether `password` matches the PHC string `phc`. A malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    // Over-long input is refused before hashing (a login cannot buy unbounded work).
    if password.len() > 4 * MAX_LEN {
        return false;
    }
    PasswordHash::new(phc).is_ok_and(|parsed| {
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of no one's password, verified against when the account does not exist so
/// a failed login takes as long either way (no user enumeration by timing).
pub fn decoy_hash() -> String {
    hash("decoy password that no account has")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password_and_are_salted() {
        let h = hash("correct horse battery staple");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery staple", &h));
        assert!(!verify("correct horse battery stapl", &h));
        assert_ne!(h, hash("correct horse battery staple"));
        assert!(!verify("anything", "not a phc string"));
    }

    #[test]
    fn policy_names_the_problem() {
        assert_eq!(check_policy("short", "a@b.c"), Err(PasswordError::TooShort));
        assert_eq!(
            check_policy(&"x".repeat(129), "a@b.c"),
            Err(PasswordError::TooLong)
        );
        assert_eq!(
            check_policy("aaaaaaaaaaaaaa", "a@b.c"),
            Err(PasswordError::Guessable)
        );
        assert_eq!(
            check_policy("Ann@Example.org", "ann@example.org"),
            Err(PasswordError::Guessable)
        );
        assert_eq!(check_policy("correct horse battery", "a@b.c"), Ok(()));
        // Length counts characters, not bytes.
        assert_eq!(
            check_policy("ééééééééééé", "a@b.c"),
            Err(PasswordError::TooShort)
        );
    }
}
