//! One-time links (`one_time_links`): password resets and invitations, stored hashed.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Set a new password.
    Reset,
    /// Accept an invitation (set the first password).
    Invite,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Reset => "reset",
            Self::Invite => "invite",
        }
    }
}

/// Stores a link; earlier unused links of the same purpose for the user stop working.
pub async fn insert(
    tx: &mut PgConnection,
    digest: &[u8],
    purpose: Purpose,
    user: Uuid,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE one_time_links SET used_at = now() \
         WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
    )
    .bind(user)
    .bind(purpose.as_str())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO one_time_links (token_hash, purpose, user_id, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(digest)
    .bind(purpose.as_str())
    .bind(user)
    .bind(expires_at)
    .execute(tx)
    .await?;
    Ok(())
}

/// Uses the live link with this digest and purpose: its user, or `None` when the link
/// is unknown, used or expired.
pub async fn consume(
    tx: &mut PgConnection,
    digest: &[u8],
    purpose: Purpose,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE one_time_links SET used_at = now() \
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now() \
         RETURNING user_id",
    )
    .bind(digest)
    .bind(purpose.as_str())
    .fetch_optional(tx)
    .await
}
