//! `vehicles` and `vehicle_transfers`: which organization each vehicle belongs to.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

/// A registered vehicle.
#[derive(Debug, Clone, Serialize, FromRow, utoipa::ToSchema)]
pub struct VehicleRow {
    /// Vehicle id (the one devices report under).
    pub vehicle_id: String,
    /// Organization it belongs to.
    pub org_id: String,
    /// VIN, when registered with one.
    pub vin: Option<String>,
    /// A name for people (fleet number, plate).
    pub label: Option<String>,
    /// `device-key:<key id>` when its first reading claimed it, else who registered it.
    pub registered_by: String,
    /// When it was registered or claimed.
    pub registered_at: DateTime<Utc>,
    /// When it last changed organization, if it did.
    pub transferred_at: Option<DateTime<Utc>>,
}

macro_rules! columns {
    () => {
        "vehicle_id, org_id, vin, label, registered_by, registered_at, transferred_at"
    };
}

/// The owners of `ids` that are registered, as `(vehicle_id, org_id)`; with
/// `claim_for = Some((org, by))` the unregistered ones are first registered to `org`.
pub async fn owners(
    pool: &PgPool,
    ids: &[&str],
    claim_for: Option<(&str, &str)>,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let mut found: Vec<(String, String)> = match claim_for {
        // One statement: the SELECT arm reads the snapshot before the insert, so each
        // vehicle comes back once, from one arm or the other.
        Some((org, by)) => {
            sqlx::query_as(
                "WITH claimed AS (
                   INSERT INTO vehicles (vehicle_id, org_id, registered_by)
                   SELECT DISTINCT id, $2, $3 FROM UNNEST($1::text[]) AS t(id)
                   ON CONFLICT (vehicle_id) DO NOTHING
                   RETURNING vehicle_id, org_id)
                 SELECT vehicle_id, org_id FROM claimed
                 UNION ALL
                 SELECT vehicle_id, org_id FROM vehicles WHERE vehicle_id = ANY($1)",
            )
            .bind(ids)
            .bind(org)
            .bind(by)
            .fetch_all(pool)
            .await?
        }
        None => select_owners(pool, ids).await?,
    };
    // A claim another transaction committed after our snapshot is neither inserted nor
    // seen above: read those again.
    if claim_for.is_some() && found.len() < ids.len() {
        let missing: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| !found.iter().any(|(v, _)| v == id))
            .collect();
        if !missing.is_empty() {
            found.extend(select_owners(pool, &missing).await?);
        }
    }
    Ok(found)
}

async fn select_owners(pool: &PgPool, ids: &[&str]) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT vehicle_id, org_id FROM vehicles WHERE vehicle_id = ANY($1)")
        .bind(ids)
        .fetch_all(pool)
        .await
}

/// What registering a vehicle needs.
#[derive(Debug)]
pub struct Register<'a> {
    /// Vehicle id.
    pub vehicle_id: &'a str,
    /// Its organization.
    pub org_id: &'a str,
    /// VIN.
    pub vin: Option<&'a str>,
    /// Label.
    pub label: Option<&'a str>,
    /// Who registers it.
    pub by: &'a str,
}

/// Registers a vehicle; `None` when the id is already registered (to anyone).
pub async fn register(pool: &PgPool, r: &Register<'_>) -> Result<Option<VehicleRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "INSERT INTO vehicles (vehicle_id, org_id, vin, label, registered_by)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (vehicle_id) DO NOTHING
         RETURNING ",
        columns!()
    ))
    .bind(r.vehicle_id)
    .bind(r.org_id)
    .bind(r.vin)
    .bind(r.label)
    .bind(r.by)
    .fetch_optional(pool)
    .await
}

/// One vehicle, whoever owns it.
pub async fn get(pool: &PgPool, vehicle_id: &str) -> Result<Option<VehicleRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM vehicles WHERE vehicle_id = $1"
    ))
    .bind(vehicle_id)
    .fetch_optional(pool)
    .await
}

/// A page of vehicles of `org` (`None` = all), limited to `only` when given, in id
/// order after `after`.
pub async fn list(
    pool: &PgPool,
    org: Option<&str>,
    only: Option<&[String]>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<VehicleRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM vehicles
         WHERE ($1::text IS NULL OR org_id = $1)
           AND ($2::text[] IS NULL OR vehicle_id = ANY($2))
           AND ($3::text IS NULL OR vehicle_id > $3)
         ORDER BY vehicle_id
         LIMIT $4"
    ))
    .bind(org)
    .bind(only)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// A recorded change of owner.
#[derive(Debug, Clone, Serialize, FromRow, utoipa::ToSchema)]
pub struct TransferRow {
    /// Transfer id.
    pub id: Uuid,
    /// Vehicle.
    pub vehicle_id: String,
    /// Previous organization.
    pub from_org_id: String,
    /// New organization.
    pub to_org_id: String,
    /// Why.
    pub reason: String,
    /// Who.
    pub transferred_by: String,
    /// When.
    pub transferred_at: DateTime<Utc>,
}

/// Moves a vehicle to `to_org` within the caller's transaction, recording the transfer.
/// `None` when the vehicle is not registered. Locks the vehicle's row.
pub async fn transfer(
    conn: &mut PgConnection,
    vehicle_id: &str,
    to_org: &str,
    reason: &str,
    by: &str,
) -> Result<Option<TransferRow>, sqlx::Error> {
    let from: Option<String> =
        sqlx::query_scalar("SELECT org_id FROM vehicles WHERE vehicle_id = $1 FOR UPDATE")
            .bind(vehicle_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(from) = from else {
        return Ok(None);
    };
    let row: TransferRow = sqlx::query_as(
        "INSERT INTO vehicle_transfers
           (id, vehicle_id, from_org_id, to_org_id, reason, transferred_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, vehicle_id, from_org_id, to_org_id, reason, transferred_by, transferred_at",
    )
    .bind(Uuid::now_v7())
    .bind(vehicle_id)
    .bind(&from)
    .bind(to_org)
    .bind(reason)
    .bind(by)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("UPDATE vehicles SET org_id = $2, transferred_at = $3 WHERE vehicle_id = $1")
        .bind(vehicle_id)
        .bind(to_org)
        .bind(row.transferred_at)
        .execute(&mut *conn)
        .await?;
    Ok(Some(row))
}

/// The transfers of a vehicle, oldest first.
pub async fn transfers_of(
    pool: &PgPool,
    vehicle_id: &str,
) -> Result<Vec<TransferRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, vehicle_id, from_org_id, to_org_id, reason, transferred_by, transferred_at
         FROM vehicle_transfers WHERE vehicle_id = $1 ORDER BY transferred_at, id",
    )
    .bind(vehicle_id)
    .fetch_all(pool)
    .await
}
