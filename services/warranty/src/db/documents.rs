//! The `claim_documents` table: what was attached to a claim, by checksum.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{FromRow, PgConnection};
use utoipa::ToSchema;
use uuid::Uuid;

/// A document attached to a claim (its bytes are in the service's storage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow, ToSchema)]
pub struct Document {
    /// SHA-256 of the content, hex: its name in storage and in the download URL.
    pub sha256: String,
    /// The type sniffed from the content (`application/pdf`, `image/jpeg`, `image/png`).
    pub content_type: String,
    /// Size, bytes.
    pub size_bytes: i64,
    /// The file name the client gave, if any.
    pub filename: Option<String>,
    /// When stored.
    pub stored_at: DateTime<Utc>,
}

/// Records a document of claim `claim_id` (the same content twice is one document).
pub async fn insert(
    conn: &mut PgConnection,
    claim_id: Uuid,
    sha256: &str,
    content_type: &str,
    size_bytes: usize,
    filename: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO claim_documents (claim_id, sha256, content_type, size_bytes, filename) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(claim_id)
    .bind(sha256)
    .bind(content_type)
    .bind(i64::try_from(size_bytes).unwrap_or(i64::MAX))
    .bind(filename)
    .execute(conn)
    .await?;
    Ok(())
}

/// The documents of claim `claim_id`, oldest first.
pub async fn of_claim(conn: &mut PgConnection, claim_id: Uuid) -> sqlx::Result<Vec<Document>> {
    sqlx::query_as(
        "SELECT sha256, content_type, size_bytes, filename, stored_at FROM claim_documents \
         WHERE claim_id = $1 ORDER BY stored_at, sha256",
    )
    .bind(claim_id)
    .fetch_all(conn)
    .await
}
