//! `device_keys` table.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

use crate::device_auth::Device;

/// A stored key, without its secret.
#[derive(Debug, Clone, Serialize, FromRow, utoipa::ToSchema)]
pub struct DeviceKeyRow {
    /// Key id.
    pub id: Uuid,
    /// Organization.
    pub org_id: String,
    /// Human name, e.g. the gateway's serial number.
    pub name: String,
    /// First characters of the key, to recognise it.
    pub key_prefix: String,
    /// Vehicles the key may report for; empty = any in the organization.
    pub vehicle_ids: Vec<String>,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What a new key row holds.
#[derive(Debug)]
pub struct Insert<'a> {
    /// Organization.
    pub org_id: &'a str,
    /// Name.
    pub name: &'a str,
    /// Display prefix.
    pub key_prefix: &'a str,
    /// SHA-256 of the key.
    pub key_hash: &'a [u8; 32],
    /// Allowed vehicles.
    pub vehicle_ids: &'a [String],
    /// Creator.
    pub created_by: &'a str,
}

/// Columns of [`DeviceKeyRow`], as a literal so queries stay `&'static str`.
macro_rules! columns {
    () => {
        "id, org_id, name, key_prefix, vehicle_ids, created_by, created_at, revoked_at"
    };
}

/// Inserts a key; an existing key with the same hash is left as it is (bootstrap).
pub async fn insert(pool: &PgPool, new: &Insert<'_>) -> Result<Option<DeviceKeyRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "INSERT INTO device_keys (id, org_id, name, key_prefix, key_hash, vehicle_ids, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (key_hash) DO NOTHING
         RETURNING ",
        columns!()
    ))
    .bind(Uuid::now_v7())
    .bind(new.org_id)
    .bind(new.name)
    .bind(new.key_prefix)
    .bind(new.key_hash.as_slice())
    .bind(new.vehicle_ids)
    .bind(new.created_by)
    .fetch_optional(pool)
    .await
}

/// Keys of one organization (`None` = all), newest first.
pub async fn list(pool: &PgPool, org: Option<&str>) -> Result<Vec<DeviceKeyRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM device_keys
         WHERE $1::text IS NULL OR org_id = $1
         ORDER BY created_at DESC"
    ))
    .bind(org)
    .fetch_all(pool)
    .await
}

/// Revokes a key visible in `org` (`None` = any); returns it, or `None` if not found.
pub async fn revoke(
    pool: &PgPool,
    id: Uuid,
    org: Option<&str>,
) -> Result<Option<DeviceKeyRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "UPDATE device_keys SET revoked_at = COALESCE(revoked_at, now())
         WHERE id = $1 AND ($2::text IS NULL OR org_id = $2)
         RETURNING ",
        columns!()
    ))
    .bind(id)
    .bind(org)
    .fetch_optional(pool)
    .await
}

/// The active key with this hash.
pub async fn find_active(pool: &PgPool, hash: &[u8; 32]) -> Result<Option<Device>, sqlx::Error> {
    let row: Option<(Uuid, String, Vec<String>)> = sqlx::query_as(
        "SELECT id, org_id, vehicle_ids FROM device_keys WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(hash.as_slice())
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(key_id, org_id, vehicle_ids)| Device {
        key_id,
        org_id,
        vehicle_ids,
    }))
}

/// Makes the key with this hash usable again if it was revoked; returns whether it was.
/// Only for the bootstrap key the operator configured in the environment: a restart
/// must not leave `make up`'s development key revoked (e.g. by an API fuzzer).
pub async fn reinstate(pool: &PgPool, hash: &[u8; 32]) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE device_keys SET revoked_at = NULL WHERE key_hash = $1 AND revoked_at IS NOT NULL",
    )
    .bind(hash.as_slice())
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}
