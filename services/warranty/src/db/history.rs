//! A claim's context in this service's own records (repeat claims, the shop's
//! history, regional clusters) and what its analysis saw (`claim_records`).

use chrono::{Duration, NaiveDate};
use sqlx::types::Json;
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

use crate::domain::model::{Claim, ClaimHistory, PastClaim, VehicleRecord};

#[derive(FromRow)]
struct PastRow {
    id: Uuid,
    vin: String,
    component: String,
    failure_date: NaiveDate,
    shop_id: String,
    status: String,
    fraud: Option<bool>,
}

impl PastRow {
    fn into_past(self) -> Option<PastClaim> {
        Some(PastClaim {
            claim_id: self.id,
            vin: self.vin,
            component: serde_json::from_value(serde_json::Value::String(self.component)).ok()?,
            failure_date: self.failure_date,
            shop_id: self.shop_id,
            status: Some(self.status),
            fraud_confirmed: self.fraud.unwrap_or(false),
        })
    }
}

macro_rules! select_past {
    () => {
        "SELECT c.id, c.vin, c.component, c.failure_date, c.shop_id, c.status, l.fraud \
         FROM claims c LEFT JOIN claim_labels l ON l.claim_id = c.id"
    };
}

/// How many of a shop's earlier claims are read (its approval rate and fraud record).
const SHOP_HISTORY: i64 = 500;

/// Earlier claims of the VIN and of the shop, and the region's recent claims of the
/// component (30 days before the failure), the claim itself left out.
pub async fn of_claim(db: &PgPool, claim: &Claim) -> Result<ClaimHistory, sqlx::Error> {
    let same_vin: Vec<PastRow> = sqlx::query_as(concat!(
        select_past!(),
        " WHERE c.vin = $1 AND c.id <> $2 ORDER BY c.failure_date DESC LIMIT 100"
    ))
    .bind(&claim.vin)
    .bind(claim.id)
    .fetch_all(db)
    .await?;
    let same_shop: Vec<PastRow> = sqlx::query_as(concat!(
        select_past!(),
        " WHERE c.shop_id = $1 AND c.id <> $2 ORDER BY c.failure_date DESC LIMIT $3"
    ))
    .bind(&claim.shop.id)
    .bind(claim.id)
    .bind(SHOP_HISTORY)
    .fetch_all(db)
    .await?;
    let region_recent: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM claims WHERE shop_region = $1 AND component = $2 AND id <> $3 \
           AND failure_date BETWEEN $4 AND $5",
    )
    .bind(&claim.shop.region)
    .bind(claim.component.as_str())
    .bind(claim.id)
    .bind(claim.failure_date - Duration::days(30))
    .bind(claim.failure_date)
    .fetch_one(db)
    .await?;
    Ok(ClaimHistory {
        same_vin: same_vin
            .into_iter()
            .filter_map(PastRow::into_past)
            .collect(),
        same_shop: same_shop
            .into_iter()
            .filter_map(PastRow::into_past)
            .collect(),
        region_recent: u32::try_from(region_recent).unwrap_or(u32::MAX),
        similar: Vec::new(),
    })
}

/// Keeps what the analysis of `claim_id` saw.
pub async fn record(
    db: &PgPool,
    claim_id: Uuid,
    record: &VehicleRecord,
    history: &ClaimHistory,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO claim_records (claim_id, record, history) VALUES ($1, $2, $3) \
         ON CONFLICT (claim_id) DO UPDATE SET record = $2, history = $3, gathered_at = now()",
    )
    .bind(claim_id)
    .bind(Json(record))
    .bind(Json(history))
    .execute(db)
    .await?;
    Ok(())
}

/// What the analysis of `claim_id` saw, if it ran.
pub async fn seen(
    db: &PgPool,
    claim_id: Uuid,
) -> Result<Option<(VehicleRecord, ClaimHistory)>, sqlx::Error> {
    let row: Option<(Json<VehicleRecord>, Json<ClaimHistory>)> =
        sqlx::query_as("SELECT record, history FROM claim_records WHERE claim_id = $1")
            .bind(claim_id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(r, h)| (r.0, h.0)))
}
