//! Verifying platform tokens: EdDSA/RS256 tokens against the issuer's published keys
//! (a JWKS fetched and cached, refetched when a token names an unknown key), and HS256
//! development tokens when a development secret is configured (ADR 0012).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

use super::{AuthError, Claims, ISSUER};
use crate::config::Secret;

/// A remote key set is not refetched more often than this, however many tokens name
/// unknown keys (forged tokens must not turn into a request flood on the issuer).
const MIN_REFETCH: Duration = Duration::from_secs(10);
/// Keys are refetched after this long even when every token's key is known, so a
/// retired key stops verifying.
const MAX_AGE: Duration = Duration::from_secs(3600);

/// Verifies platform tokens (and issues development ones). Cheap to share in an `Arc`.
#[derive(Clone, Default)]
pub struct Jwt {
    development: Option<Development>,
    keys: Option<JwksSource>,
}

#[derive(Clone)]
struct Development {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwt")
            .field("development", &self.development.is_some())
            .field("keys", &self.keys)
            .finish()
    }
}

impl Jwt {
    /// Development tokens only: HS256 with `secret` (`JWT_SECRET`), for `make up` and
    /// tests. Never configure a development secret in production.
    pub fn new(secret: &Secret) -> Self {
        Self::default().with_development_secret(secret)
    }

    /// Tokens signed with the keys of `source`.
    pub fn with_keys(source: JwksSource) -> Self {
        Self {
            development: None,
            keys: Some(source),
        }
    }

    /// Also accepts (and can issue) HS256 development tokens signed with `secret`.
    #[must_use]
    pub fn with_development_secret(mut self, secret: &Secret) -> Self {
        let bytes = secret.expose().as_bytes();
        self.development = Some(Development {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
        });
        self
    }

    /// Signs `claims` as a development token (HS256); fails without a development secret.
    pub fn issue(&self, claims: &Claims) -> Result<String, AuthError> {
        let dev = self.development.as_ref().ok_or_else(|| {
            AuthError::Invalid(
                "no development secret: tokens come from the analytics service".to_owned(),
            )
        })?;
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &dev.encoding)
            .map_err(|e| AuthError::Invalid(e.to_string()))
    }

    /// Verifies a token and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| AuthError::Invalid(e.to_string()))?;
        let key = match header.alg {
            Algorithm::HS256 => self
                .development
                .as_ref()
                .map(|d| d.decoding.clone())
                .ok_or_else(|| {
                    AuthError::Invalid("HS256 development tokens are not accepted here".to_owned())
                })?,
            Algorithm::EdDSA | Algorithm::RS256 => {
                let kid = header
                    .kid
                    .ok_or_else(|| AuthError::Invalid("the token names no key (kid)".to_owned()))?;
                let source = self.keys.as_ref().ok_or_else(|| {
                    AuthError::Invalid("no key set configured to verify signed tokens".to_owned())
                })?;
                let (key, alg) = source.key(&kid).await?;
                if alg != header.alg {
                    return Err(AuthError::Invalid(format!(
                        "key {kid} is for {alg:?}, the token says {:?}",
                        header.alg
                    )));
                }
                key
            }
            other => {
                return Err(AuthError::Invalid(format!(
                    "algorithm {other:?} is not accepted"
                )));
            }
        };
        jsonwebtoken::decode::<Claims>(token, &key, &validation(header.alg))
            .map(|data| data.claims)
            .map_err(|e| AuthError::Invalid(e.to_string()))
    }
}

fn validation(alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    validation.leeway = 30;
    validation
}

/// Public keys by key id.
#[derive(Clone, Default)]
struct KeyRing(HashMap<String, (DecodingKey, Algorithm)>);

impl KeyRing {
    /// The EdDSA and RS256 keys of `set` that carry a key id; others are skipped.
    fn from_set(set: &JwkSet) -> Self {
        let keys = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                let alg = match (&jwk.algorithm, jwk.common.key_algorithm) {
                    (AlgorithmParameters::OctetKeyPair(_), None | Some(KeyAlgorithm::EdDSA)) => {
                        Algorithm::EdDSA
                    }
                    (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => {
                        Algorithm::RS256
                    }
                    _ => return None,
                };
                let key = DecodingKey::from_jwk(jwk).ok()?;
                Some((kid, (key, alg)))
            })
            .collect();
        Self(keys)
    }

    fn get(&self, kid: &str) -> Option<(DecodingKey, Algorithm)> {
        self.0.get(kid).cloned()
    }
}

/// Where the public keys come from: a fixed set (the issuer verifying its own tokens)
/// or the issuer's JWKS URL.
#[derive(Clone)]
pub struct JwksSource(Arc<Inner>);

enum Inner {
    Fixed(KeyRing),
    Remote(Remote),
}

struct Remote {
    url: String,
    http: reqwest::Client,
    /// The keys and when they were fetched.
    ring: RwLock<(KeyRing, Option<Instant>)>,
    /// When a fetch was last attempted; held while fetching (one at a time).
    last_attempt: tokio::sync::Mutex<Option<Instant>>,
}

impl std::fmt::Debug for JwksSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.0 {
            Inner::Fixed(ring) => write!(f, "JwksSource::Fixed({} keys)", ring.0.len()),
            Inner::Remote(r) => write!(f, "JwksSource::Remote({})", r.url),
        }
    }
}

impl JwksSource {
    /// The keys of `set`.
    pub fn fixed(set: &JwkSet) -> Self {
        Self(Arc::new(Inner::Fixed(KeyRing::from_set(set))))
    }

    /// The key set published at `url` (`AUTH_JWKS_URL`), fetched on first use.
    pub fn remote(url: impl Into<String>) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        Ok(Self(Arc::new(Inner::Remote(Remote {
            url: url.into(),
            http,
            ring: RwLock::new((KeyRing::default(), None)),
            last_attempt: tokio::sync::Mutex::new(None),
        }))))
    }

    async fn key(&self, kid: &str) -> Result<(DecodingKey, Algorithm), AuthError> {
        let remote = match &*self.0 {
            Inner::Fixed(ring) => return ring.get(kid).ok_or_else(|| unknown(kid)),
            Inner::Remote(remote) => remote,
        };
        let (known, age) = remote.lookup(kid);
        match known {
            Some(key) if age.is_some_and(|a| a < MAX_AGE) => Ok(key),
            known => {
                remote.refetch().await;
                remote.lookup(kid).0.or(known).ok_or_else(|| unknown(kid))
            }
        }
    }
}

fn unknown(kid: &str) -> AuthError {
    AuthError::Invalid(format!("unknown signing key {kid:?}"))
}

impl Remote {
    /// The key and how long ago the set was fetched.
    fn lookup(&self, kid: &str) -> (Option<(DecodingKey, Algorithm)>, Option<Duration>) {
        let guard = self
            .ring
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (guard.0.get(kid), guard.1.map(|at| at.elapsed()))
    }

    /// Fetches the set unless a fetch was attempted less than [`MIN_REFETCH`] ago (one
    /// at a time; waiters then see its result). A failed fetch keeps the known keys.
    async fn refetch(&self) {
        let mut last_attempt = self.last_attempt.lock().await;
        if last_attempt.is_some_and(|at| at.elapsed() < MIN_REFETCH) {
            return;
        }
        *last_attempt = Some(Instant::now());
        match self.fetch().await {
            Ok(set) => {
                let ring = KeyRing::from_set(&set);
                tracing::info!(url = %self.url, keys = ring.0.len(), "signing keys fetched");
                *self
                    .ring
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) =
                    (ring, Some(Instant::now()));
            }
            Err(e) => tracing::warn!(url = %self.url, error = %e, "fetching signing keys failed"),
        }
    }

    async fn fetch(&self) -> Result<JwkSet, reqwest::Error> {
        self.http
            .get(&self.url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use chrono::Duration as Ttl;
    use ed25519_dalek::SigningKey;
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::auth::Role;

    /// An Ed25519 key: its JWK set (key id `kid`) and a signer.
    fn ed25519(seed: u8, kid: &str) -> (JwkSet, EncodingKey) {
        let key = SigningKey::from_bytes(&[seed; 32]);
        let der = key.to_pkcs8_der().unwrap();
        let x = URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes());
        let set = serde_json::from_value(serde_json::json!({
            "keys": [{ "kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig" }]
        }))
        .unwrap();
        (set, EncodingKey::from_ed_der(der.as_bytes()))
    }

    fn sign(key: &EncodingKey, kid: &str, claims: &Claims) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, key).unwrap()
    }

    /// The same claims every call (a fixed issue time, so comparisons hold across a
    /// second boundary).
    fn claims() -> Claims {
        let mut c = Claims::new("u1", Role::Owner, "acme", Ttl::hours(1));
        c.iat = 1_900_000_000;
        c.exp = 4_000_000_000;
        c
    }

    #[tokio::test]
    async fn development_tokens_verify_only_with_their_secret_and_only_where_allowed() {
        let dev = Jwt::new(&Secret::new("test-secret-test-secret-test-secret"));
        let token = dev.issue(&claims()).unwrap();
        assert_eq!(dev.verify(&token).await.unwrap(), claims());
        let other = Jwt::new(&Secret::new("another-secret-another-secret-xx"));
        assert!(other.verify(&token).await.is_err());
        let expired = Claims::new("u1", Role::Owner, "acme", Ttl::hours(-2));
        assert!(dev.verify(&dev.issue(&expired).unwrap()).await.is_err());
        // A production verifier (keys only) refuses development tokens.
        let (set, _) = ed25519(1, "k1");
        let production = Jwt::with_keys(JwksSource::fixed(&set));
        let err = production.verify(&token).await.unwrap_err().to_string();
        assert!(err.contains("HS256"), "{err}");
        assert!(production.issue(&claims()).is_err());
    }

    #[tokio::test]
    async fn signed_tokens_verify_against_their_key_id_and_algorithm() {
        let (set, key) = ed25519(1, "k1");
        let jwt = Jwt::with_keys(JwksSource::fixed(&set));
        assert_eq!(
            jwt.verify(&sign(&key, "k1", &claims())).await.unwrap(),
            claims()
        );
        assert!(
            jwt.verify(&sign(&key, "k2", &claims())).await.is_err(),
            "unknown kid"
        );
        let (_, stranger) = ed25519(2, "k1");
        assert!(
            jwt.verify(&sign(&stranger, "k1", &claims())).await.is_err(),
            "wrong key"
        );
        // Algorithm confusion: HS256 with the public key's kid is not accepted.
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("k1".to_owned());
        let x = set.keys[0].clone();
        let hs = jsonwebtoken::encode(
            &header,
            &claims(),
            &EncodingKey::from_secret(serde_json::to_string(&x).unwrap().as_bytes()),
        )
        .unwrap();
        assert!(jwt.verify(&hs).await.is_err());
        assert!(jwt.verify("not.a.token").await.is_err());
    }

    /// Serves `body` as JSON to every request, counting them.
    async fn serve_json(body: String) -> (String, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            }
        });
        (url, hits)
    }

    #[tokio::test]
    async fn a_remote_key_set_is_fetched_once_and_unknown_key_ids_cannot_flood_the_issuer() {
        let (set, key) = ed25519(3, "k3");
        let (url, hits) = serve_json(serde_json::to_string(&set).unwrap()).await;
        let jwt = Jwt::with_keys(JwksSource::remote(url).unwrap());
        for _ in 0..5 {
            assert_eq!(
                jwt.verify(&sign(&key, "k3", &claims())).await.unwrap(),
                claims()
            );
        }
        assert_eq!(
            hits.load(Ordering::SeqCst),
            1,
            "cached after the first fetch"
        );
        for _ in 0..20 {
            assert!(jwt.verify(&sign(&key, "forged", &claims())).await.is_err());
        }
        assert_eq!(
            hits.load(Ordering::SeqCst),
            1,
            "refetched at most every 10 s"
        );
        // An issuer never reached: nothing verifies (there is no key to trust).
        let down = Jwt::with_keys(JwksSource::remote("http://127.0.0.1:9/jwks").unwrap());
        assert!(down.verify(&sign(&key, "k3", &claims())).await.is_err());
    }
}
