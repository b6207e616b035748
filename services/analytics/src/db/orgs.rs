//! The `orgs` table.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;

/// An organization (tenant).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Org {
    /// Id, as in tokens' `org` claim and the events' `org_id`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Inserts an organization; `false` when the id is taken.
pub async fn insert(db: impl PgExecutor<'_>, id: &str, name: &str) -> Result<bool, sqlx::Error> {
    let n = sqlx::query("INSERT INTO orgs (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
        .bind(id)
        .bind(name)
        .execute(db)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// The organization `id`.
pub async fn get(db: impl PgExecutor<'_>, id: &str) -> Result<Option<Org>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, created_at FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Every organization, by id.
pub async fn list(db: impl PgExecutor<'_>) -> Result<Vec<Org>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, created_at FROM orgs ORDER BY id")
        .fetch_all(db)
        .await
}
