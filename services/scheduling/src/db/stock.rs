//! The `stock` table: parts on hand per center and what bookings hold of them.

use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

/// One part at one center.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct StockItem {
    /// Part name.
    pub part: String,
    /// Units at the center.
    pub on_hand: i32,
    /// Units held by active bookings.
    pub reserved: i32,
    /// `on_hand - reserved`: what a new booking may take.
    pub available: i32,
    /// Hours from ordering until the part is here; `null` = cannot be ordered here.
    pub lead_time_hours: Option<f64>,
}

/// What a `PUT` of one part sets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StockLevel {
    /// Units at the center.
    pub on_hand: i32,
    /// Hours to order more; `None` = cannot be ordered.
    pub lead_time_hours: Option<f64>,
}

/// What became of a [`set`].
#[derive(Debug, Clone, PartialEq)]
pub enum SetOutcome {
    /// Stored.
    Set(StockItem),
    /// Refused: bookings hold this many, more than the new `on_hand`.
    BelowReserved(i32),
}

/// A center's parts, by name.
pub async fn list(pool: &PgPool, center_id: Uuid) -> Result<Vec<StockItem>, sqlx::Error> {
    sqlx::query_as(
        "SELECT part, on_hand, reserved, on_hand - reserved AS available, lead_time_hours
         FROM stock WHERE center_id = $1 ORDER BY part",
    )
    .bind(center_id)
    .fetch_all(pool)
    .await
}

/// Sets a part's level at a center, unless bookings hold more than the new `on_hand`
/// (the row is locked while checking, so a booking cannot reserve in between).
pub async fn set(
    pool: &PgPool,
    center_id: Uuid,
    part: &str,
    level: StockLevel,
) -> Result<SetOutcome, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let reserved: Option<i32> = sqlx::query_scalar(
        "SELECT reserved FROM stock WHERE center_id = $1 AND part = $2 FOR UPDATE",
    )
    .bind(center_id)
    .bind(part)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(reserved) = reserved.filter(|r| *r > level.on_hand) {
        return Ok(SetOutcome::BelowReserved(reserved));
    }
    let item = sqlx::query_as(
        "INSERT INTO stock (center_id, part, on_hand, lead_time_hours)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (center_id, part) DO UPDATE SET
             on_hand = EXCLUDED.on_hand, lead_time_hours = EXCLUDED.lead_time_hours,
             updated_at = now()
         RETURNING part, on_hand, reserved, on_hand - reserved AS available, lead_time_hours",
    )
    .bind(center_id)
    .bind(part)
    .bind(level.on_hand)
    .bind(level.lead_time_hours)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(SetOutcome::Set(item))
}
