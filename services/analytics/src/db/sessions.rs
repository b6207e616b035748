//! Refresh-token families (`refresh_tokens`): a login starts a family, each refresh
//! rotates within it, and a replayed (already rotated) token revokes the family.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A stored refresh token, locked for the rest of the transaction.
#[derive(Debug, sqlx::FromRow)]
pub struct StoredToken {
    /// Its family (one login).
    pub family_id: Uuid,
    /// The account.
    pub user_id: Uuid,
    /// The account's token epoch when it was issued.
    pub token_epoch: i32,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// When it was rotated (a second use is a replay).
    pub used_at: Option<DateTime<Utc>>,
    /// When its family was revoked (logout, replay).
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The token with this digest, locked.
pub async fn lock(
    tx: &mut PgConnection,
    digest: &[u8],
) -> Result<Option<StoredToken>, sqlx::Error> {
    sqlx::query_as(
        "SELECT family_id, user_id, token_epoch, expires_at, used_at, revoked_at \
         FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
    )
    .bind(digest)
    .fetch_optional(tx)
    .await
}

/// Stores a new token of `family`.
pub async fn insert(
    tx: &mut PgConnection,
    digest: &[u8],
    family: Uuid,
    user: Uuid,
    epoch: i32,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, token_epoch, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(digest)
    .bind(family)
    .bind(user)
    .bind(epoch)
    .bind(expires_at)
    .execute(tx)
    .await?;
    Ok(())
}

/// Marks a token rotated.
pub async fn mark_used(tx: &mut PgConnection, digest: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1")
        .bind(digest)
        .execute(tx)
        .await?;
    Ok(())
}

/// Revokes every live token of `family`.
pub async fn revoke_family(tx: &mut PgConnection, family: Uuid) -> Result<u64, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL",
    )
    .bind(family)
    .execute(tx)
    .await?
    .rows_affected();
    Ok(n)
}

/// Revokes every live token of `user` (password change, disable, role change).
pub async fn revoke_user(tx: &mut PgConnection, user: Uuid) -> Result<u64, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user)
    .execute(tx)
    .await?
    .rows_affected();
    Ok(n)
}

/// Deletes tokens expired for more than a day (their replays fail on "unknown" then).
pub async fn prune(tx: &mut PgConnection) -> Result<u64, sqlx::Error> {
    let n = sqlx::query("DELETE FROM refresh_tokens WHERE expires_at < now() - interval '1 day'")
        .execute(tx)
        .await?
        .rows_affected();
    Ok(n)
}
