//! The keys access tokens are signed with: Ed25519 (EdDSA), the current key from
//! `ANALYTICS_SIGNING_KEY` and, after a rotation, the retired one, whose public half
//! stays published until the tokens it signed have expired.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// A signing key that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error(
    "{0}: expected a 32-byte Ed25519 seed (64 hex digits or base64) or a PKCS#8 PEM private key"
)]
pub struct KeyError(&'static str);

/// One Ed25519 key pair and its key id.
pub struct SigningPair {
    kid: String,
    public: [u8; 32],
    encoding: EncodingKey,
}

impl std::fmt::Debug for SigningPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningPair(kid={})", self.kid)
    }
}

impl SigningPair {
    /// The key written as the base64 of its 32-byte seed or as a PKCS#8 PEM; `name` is
    /// the variable it came from, for the error.
    pub fn parse(text: &str, name: &'static str) -> Result<Self, KeyError> {
        let text = text.trim();
        let key = if text.starts_with("-----BEGIN") {
            SigningKey::from_pkcs8_pem(text).map_err(|_| KeyError(name))?
        } else {
            let bytes = if text.len() == 64 {
                hex::decode(text).ok()
            } else {
                STANDARD.decode(text).ok()
            };
            let seed: [u8; 32] = bytes
                .and_then(|b| b.try_into().ok())
                .ok_or(KeyError(name))?;
            SigningKey::from_bytes(&seed)
        };
        let der = key.to_pkcs8_der().map_err(|_| KeyError(name))?;
        let public = key.verifying_key().to_bytes();
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(public)[..12]);
        Ok(Self {
            kid,
            public,
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
        })
    }

    /// The key id written into tokens' headers and the JWKS.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public half as a JWK.
    fn jwk(&self) -> serde_json::Value {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(self.public),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        })
    }

    /// Signs `claims` (EdDSA, with this key's id in the header).
    pub fn sign<C: Serialize>(&self, claims: &C) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }
}

/// The current key and the retired one.
#[derive(Debug)]
pub struct KeySet {
    /// Signs new tokens.
    pub current: SigningPair,
    /// Verifies tokens signed before the last rotation.
    pub retired: Option<SigningPair>,
}

impl KeySet {
    /// The published key set (JWKS): the current key first.
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<_> = std::iter::once(&self.current)
            .chain(self.retired.as_ref())
            .map(SigningPair::jwk)
            .collect();
        json!({ "keys": keys })
    }

    /// The same, typed, for a verifier.
    pub fn jwk_set(&self) -> JwkSet {
        // The JSON above is a valid JWKS by construction.
        serde_json::from_value(self.jwks()).unwrap_or(JwkSet { keys: Vec::new() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "qjTBwOVZJXzpO6ZD3wLJwyg9vlf2V7v3KsW2Q3I0ZZ4=";

    #[test]
    fn seed_and_pem_give_the_same_key_and_bad_text_names_the_variable() {
        let a = SigningPair::parse(SEED, "K").unwrap();
        let seed: [u8; 32] = STANDARD.decode(SEED).unwrap().try_into().unwrap();
        let pem = SigningKey::from_bytes(&seed)
            .to_pkcs8_pem(Default::default())
            .unwrap();
        let b = SigningPair::parse(&pem, "K").unwrap();
        assert_eq!(a.kid(), b.kid());
        let c = SigningPair::parse(&hex::encode(seed), "K").unwrap();
        assert_eq!(a.kid(), c.kid());
        let err = SigningPair::parse("c2hvcnQ=", "ANALYTICS_SIGNING_KEY").unwrap_err();
        assert!(err.to_string().starts_with("ANALYTICS_SIGNING_KEY"));
    }

    #[test]
    fn jwks_lists_the_current_then_the_retired_key() {
        let set = KeySet {
            current: SigningPair::parse(SEED, "K").unwrap(),
            retired: Some(SigningPair::parse(&STANDARD.encode([7u8; 32]), "R").unwrap()),
        };
        let jwks = set.jwks();
        assert_eq!(jwks["keys"][0]["kid"], set.current.kid());
        assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
        assert_eq!(set.jwk_set().keys.len(), 2);
    }
}
