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
