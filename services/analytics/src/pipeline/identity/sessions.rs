//! Login, refresh-token rotation, logout and the client-credentials grant.

use chrono::Utc;
use serde::Serialize;
use shared_runtime::auth::{AuthError, Claims, Role};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Identity, PLATFORM_ORG, unauthorized};
use crate::db;
use crate::db::users::Account;
use crate::domain::account::{User, normalize_email};
use crate::domain::{lockout, password, secret_token};
use crate::error::{ApiError, IdentityError};

/// What a login or a refresh hands out.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Session {
    /// The access token (EdDSA JWT).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds the access token is valid.
    pub expires_in: u64,
    /// The refresh token: use once, at `POST /v1/auth/refresh`.
    pub refresh_token: String,
    /// Seconds the refresh token is valid.
    pub refresh_expires_in: u64,
    /// Who logged in.
    pub user: User,
}

/// What the client-credentials grant hands out (RFC 6749 §5.1).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ServiceToken {
    /// The access token (EdDSA JWT, role `service`).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds the token is valid.
    pub expires_in: u64,
}

const BAD_LOGIN: &str = "wrong email or password";

impl Identity {
    /// Checks a password; on success starts a refresh-token family. Failures answer
    /// the same, in the same time, whether or not the account exists, and lock the
    /// address after repeated failures.
    pub async fn login(&self, email: &str, password_text: &str) -> Result<Session, ApiError> {
        // Not an address: no account can match, but the work is the same.
        let email = normalize_email(email).unwrap_or_else(|_| email.trim().to_lowercase());
        if let Some(until) = db::failures::locked_until(&self.db, &email).await? {
            let secs = (until - Utc::now()).num_seconds().max(1).unsigned_abs();
            return Err(ApiError::Service(IdentityError::Locked(secs)));
        }
        let account = db::users::by_email(&self.db, &email).await?;
        let hash = account
            .as_ref()
            .and_then(|a| a.password_hash.clone())
            .unwrap_or_else(|| self.decoy.to_string());
        let checked = tokio::task::spawn_blocking({
            let password_text = password_text.to_owned();
            move || password::verify(&password_text, &hash)
        })
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
        match account {
            Some(account)
                if checked && account.password_hash.is_some() && !account.user.disabled =>
            {
                db::failures::clear(&self.db, &email).await?;
                let mut tx = self.db.begin().await?;
                let session = self
                    .start_session(&mut tx, &account, Uuid::now_v7())
                    .await?;
                tx.commit().await?;
                Ok(session)
            }
            _ => {
                self.count_failure(&email).await?;
                Err(unauthorized(BAD_LOGIN))
            }
        }
    }

    async fn count_failure(&self, email: &str) -> Result<(), ApiError> {
        let failures = db::failures::record(&self.db, email).await?;
        metrics::counter!("analytics_login_failures_total").increment(1);
        if let Some(lock) =
            lockout::lock_for(failures, self.settings.lockout_after, self.settings.lockout)
        {
            let until = Utc::now() + chrono::Duration::from_std(lock).unwrap_or_default();
            db::failures::lock(&self.db, email, until).await?;
            tracing::warn!(
                failures,
                lock_s = lock.as_secs(),
                "login locked after repeated failures"
            );
        }
        Ok(())
    }

    /// A new access token and refresh token of `family` for `account`.
    pub(super) async fn start_session(
        &self,
        tx: &mut PgConnection,
        account: &Account,
        family: Uuid,
    ) -> Result<Session, ApiError> {
        let ttl = self.access_ttl();
        let access_token = self.access_token(&account.user.claims(ttl))?;
        let refresh_token = secret_token::generate();
        let refresh_ttl = chrono::Duration::days(i64::from(self.settings.refresh_ttl_days));
        db::sessions::insert(
            tx,
            &secret_token::digest(&refresh_token),
            family,
            account.user.id,
            account.token_epoch,
            Utc::now() + refresh_ttl,
        )
        .await?;
        Ok(Session {
            access_token,
            token_type: "Bearer",
            expires_in: ttl.num_seconds().unsigned_abs(),
            refresh_token,
            refresh_expires_in: refresh_ttl.num_seconds().unsigned_abs(),
            user: account.user.clone(),
        })
    }

    /// Rotates a refresh token. Presenting one already rotated revokes its whole family
    /// (someone holds a copy) and fails.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Session, ApiError> {
        let digest = secret_token::digest(refresh_token);
        let mut tx = self.db.begin().await?;
        let Some(stored) = db::sessions::lock(&mut tx, &digest).await? else {
            return Err(unauthorized("unknown refresh token"));
        };
        if stored.revoked_at.is_some() {
            return Err(unauthorized("refresh token revoked; log in again"));
        }
        if stored.used_at.is_some() {
            let revoked = db::sessions::revoke_family(&mut tx, stored.family_id).await?;
            tx.commit().await?;
            tracing::warn!(user = %stored.user_id, revoked, "refresh token replayed; its family is revoked");
            return Err(unauthorized(
                "refresh token already used; every session of that login is revoked",
            ));
        }
        if stored.expires_at <= Utc::now() {
            return Err(unauthorized("refresh token expired; log in again"));
        }
        let account = db::users::by_id(&mut *tx, stored.user_id).await?;
        let Some(account) =
            account.filter(|a| !a.user.disabled && a.token_epoch == stored.token_epoch)
        else {
            db::sessions::revoke_family(&mut tx, stored.family_id).await?;
            tx.commit().await?;
            return Err(unauthorized(
                "the account changed or was disabled; log in again",
            ));
        };
        db::sessions::mark_used(&mut tx, &digest).await?;
        let session = self
            .start_session(&mut tx, &account, stored.family_id)
            .await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Revokes the family of `refresh_token` (this login on every device that shares
    /// it). Unknown tokens are accepted silently: logging out twice is not an error.
    pub async fn logout(&self, refresh_token: &str) -> Result<(), ApiError> {
        let digest = secret_token::digest(refresh_token);
        let mut tx = self.db.begin().await?;
        if let Some(stored) = db::sessions::lock(&mut tx, &digest).await? {
            db::sessions::revoke_family(&mut tx, stored.family_id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of the caller: a user account (a service's token has no
    /// sessions and is refused).
    pub async fn logout_everywhere(&self, caller: &Claims) -> Result<u64, ApiError> {
        let id = caller.sub.parse::<Uuid>().map_err(|_| {
            ApiError::Auth(AuthError::Forbidden(
                "only user accounts have sessions; this token's subject is not one".to_owned(),
            ))
        })?;
        let mut tx = self.db.begin().await?;
        let n = db::sessions::revoke_user(&mut tx, id).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The client-credentials grant: a `service` token for a configured client.
    pub fn service_token(&self, client_id: &str, secret: &str) -> Result<ServiceToken, ApiError> {
        let known = self
            .clients
            .get(client_id)
            .is_some_and(|digest| *digest == secret_token::digest(secret));
        if !known {
            return Err(unauthorized("unknown client or wrong secret"));
        }
        let ttl = self.access_ttl();
        let claims = Claims::new(client_id, Role::Service, PLATFORM_ORG, ttl);
        Ok(ServiceToken {
            access_token: self.access_token(&claims)?,
            token_type: "Bearer",
            expires_in: ttl.num_seconds().unsigned_abs(),
        })
    }
}
