//! Tokens a service presents to another: taken from the analytics service with the
//! client-credentials grant (RFC 6749 §4.4) and cached until shortly before they
//! expire, or minted locally with the development secret (ADR 0012).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use serde::Deserialize;

use super::{Claims, Jwt, Role};
use crate::config::Secret;

/// A cached token is replaced when it has less than this left, seconds.
const RENEW_BEFORE_S: i64 = 60;

/// A service's client credentials (`AUTH_TOKEN_URL`, `SERVICE_CLIENT_ID`,
/// `SERVICE_CLIENT_SECRET`).
#[derive(Debug, Clone)]
pub struct ServiceCredentials {
    /// The token endpoint, e.g. `http://analytics:8007/v1/auth/token`.
    pub token_url: String,
    /// The client id (the service's name).
    pub client_id: String,
    /// The client secret.
    pub client_secret: Secret,
}

/// No service token could be had.
#[derive(Debug, thiserror::Error)]
#[error("service token: {0}")]
pub struct TokenError(String);

/// Hands out a valid service token, renewing it as it nears expiry.
#[derive(Debug)]
pub struct ServiceTokens {
    source: Source,
    cached: tokio::sync::Mutex<Option<(String, i64)>>,
}

#[derive(Debug)]
enum Source {
    Credentials {
        credentials: ServiceCredentials,
        http: reqwest::Client,
    },
    Development {
        jwt: Arc<Jwt>,
        name: String,
    },
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: i64,
}

impl ServiceTokens {
    /// Tokens from the token endpoint with `credentials`.
    pub fn client_credentials(credentials: ServiceCredentials) -> Result<Self, TokenError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| TokenError(e.to_string()))?;
        Ok(Self::from_source(Source::Credentials { credentials, http }))
    }

    /// Development tokens for the service `name`, signed with the development secret.
    pub fn development(jwt: Arc<Jwt>, name: impl Into<String>) -> Self {
        Self::from_source(Source::Development {
            jwt,
            name: name.into(),
        })
    }

    fn from_source(source: Source) -> Self {
        Self {
            source,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// A token valid for at least another minute.
    pub async fn token(&self) -> Result<String, TokenError> {
        let mut cached = self.cached.lock().await;
        let now = Utc::now().timestamp();
        if let Some((token, exp)) = cached.as_ref()
            && exp - now > RENEW_BEFORE_S
        {
            return Ok(token.clone());
        }
        let (token, exp) = self.fetch(now).await?;
        *cached = Some((token.clone(), exp));
        Ok(token)
    }

    async fn fetch(&self, now: i64) -> Result<(String, i64), TokenError> {
        match &self.source {
            Source::Development { jwt, name } => {
                let claims = Claims::new(
                    name.clone(),
                    Role::Service,
                    "platform",
                    chrono::Duration::minutes(15),
                );
                let token = jwt.issue(&claims).map_err(|e| TokenError(e.to_string()))?;
                Ok((token, claims.exp))
            }
            Source::Credentials { credentials, http } => {
                let basic = STANDARD.encode(format!(
                    "{}:{}",
                    credentials.client_id,
                    credentials.client_secret.expose()
                ));
                let response = http
                    .post(&credentials.token_url)
                    .header("authorization", format!("Basic {basic}"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("grant_type=client_credentials")
                    .send()
                    .await
                    .map_err(|e| TokenError(format!("{}: {e}", credentials.token_url)))?;
                let status = response.status();
                if !status.is_success() {
                    return Err(TokenError(format!(
                        "{} answered {status}",
                        credentials.token_url
                    )));
                }
                let body: TokenResponse = response
                    .json()
                    .await
                    .map_err(|e| TokenError(format!("{}: {e}", credentials.token_url)))?;
                Ok((body.access_token, now + body.expires_in))
            }
        }
    }
}
