//! One-time links: password reset (requested by anyone for an address, answered the
//! same whether or not the account exists) and invitation acceptance.

use chrono::Utc;

use super::Identity;
use super::accounts::hash_blocking;
use super::sessions::Session;
use crate::db;
use crate::db::links::Purpose;
use crate::domain::account::normalize_email;
use crate::domain::{mail, password, secret_token};
use crate::error::ApiError;

impl Identity {
    /// Queues a reset link for `email` if such an enabled account exists. The answer
    /// never says whether it does.
    pub async fn request_reset(&self, email: &str) -> Result<(), ApiError> {
        let Ok(email) = normalize_email(email) else {
            return Ok(());
        };
        let mut tx = self.db.begin().await?;
        let Some(account) = db::users::by_email(&mut *tx, &email).await? else {
            return Ok(());
        };
        if account.user.disabled {
            return Ok(());
        }
        let token = secret_token::generate();
        let ttl = chrono::Duration::from_std(self.settings.reset_ttl).unwrap_or_default();
        db::links::insert(
            &mut tx,
            &secret_token::digest(&token),
            Purpose::Reset,
            account.user.id,
            Utc::now() + ttl,
        )
        .await?;
        let link = format!("{}/reset-password?token={token}", self.public_url);
        db::mail::enqueue(
            &mut tx,
            &mail::reset(&email, &link, ttl.num_minutes().unsigned_abs()),
        )
        .await?;
        tx.commit().await?;
        self.mail_wake.notify_one();
        Ok(())
    }

    /// Sets a new password with a reset link; every session of the account ends.
    pub async fn complete_reset(&self, token: &str, new_password: &str) -> Result<(), ApiError> {
        self.set_password_by_link(token, new_password, Purpose::Reset)
            .await
            .map(|_| ())
    }

    /// Sets the first password of an invited account and logs it in.
    pub async fn accept_invitation(
        &self,
        token: &str,
        new_password: &str,
    ) -> Result<Session, ApiError> {
        let id = self
            .set_password_by_link(token, new_password, Purpose::Invite)
            .await?;
        let mut tx = self.db.begin().await?;
        let account = db::users::by_id(&mut *tx, id)
            .await?
            .ok_or_else(|| ApiError::NotFound("the account is gone".to_owned()))?;
        let session = self
            .start_session(&mut tx, &account, uuid::Uuid::now_v7())
            .await?;
        tx.commit().await?;
        Ok(session)
    }

    async fn set_password_by_link(
        &self,
        token: &str,
        new_password: &str,
        purpose: Purpose,
    ) -> Result<uuid::Uuid, ApiError> {
        let mut tx = self.db.begin().await?;
        let Some(id) = db::links::consume(&mut tx, &secret_token::digest(token), purpose).await?
        else {
            return Err(ApiError::NotFound(
                "this link is unknown, used or expired; ask for a new one".to_owned(),
            ));
        };
        let account = db::users::by_id(&mut *tx, id)
            .await?
            .ok_or_else(|| ApiError::NotFound("the account is gone".to_owned()))?;
        password::check_policy(new_password, &account.user.email)
            .map_err(|e| ApiError::BadRequest(format!("password: {e}")))?;
        let hash = hash_blocking(new_password.to_owned()).await?;
        db::users::set_password(&mut tx, id, &hash).await?;
        db::sessions::revoke_user(&mut tx, id).await?;
        db::failures::clear(&mut *tx, &account.user.email).await?;
        tx.commit().await?;
        Ok(id)
    }
}
