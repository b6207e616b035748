//! The `contracts` table: one contract per vehicle.

use chrono::NaiveDate;
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection};

use crate::domain::model::{Contract, CoverageTerm};

#[derive(FromRow)]
struct Row {
    vehicle_id: String,
    org_id: String,
    vin: String,
    start_date: NaiveDate,
    start_odometer_km: f64,
    terms: Json<Vec<CoverageTerm>>,
    deductible: f64,
    currency: String,
}

impl From<Row> for Contract {
    fn from(r: Row) -> Self {
        Self {
            vehicle_id: r.vehicle_id,
            org_id: r.org_id,
            vin: r.vin,
            start_date: r.start_date,
            start_odometer_km: r.start_odometer_km,
            terms: r.terms.0,
            deductible: r.deductible,
            currency: r.currency,
        }
    }
}

macro_rules! select_contracts {
    () => {
        "SELECT vehicle_id, org_id, vin, start_date, start_odometer_km, terms, deductible, \
         currency FROM contracts"
    };
}

/// Stores `c` (replacing the vehicle's contract); `false` when the vehicle's contract
/// belongs to another organization (left alone).
pub async fn put(conn: &mut PgConnection, c: &Contract, by: &str) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO contracts (vehicle_id, org_id, vin, start_date, start_odometer_km, terms, \
           deductible, currency, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (vehicle_id) DO UPDATE SET vin = EXCLUDED.vin, \
           start_date = EXCLUDED.start_date, start_odometer_km = EXCLUDED.start_odometer_km, \
           terms = EXCLUDED.terms, deductible = EXCLUDED.deductible, \
           currency = EXCLUDED.currency, updated_by = EXCLUDED.updated_by, updated_at = now() \
         WHERE contracts.org_id = EXCLUDED.org_id",
    )
    .bind(&c.vehicle_id)
    .bind(&c.org_id)
    .bind(&c.vin)
    .bind(c.start_date)
    .bind(c.start_odometer_km)
    .bind(Json(&c.terms))
    .bind(c.deductible)
    .bind(&c.currency)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The contract of `vehicle_id`, if any.
pub async fn get(conn: &mut PgConnection, vehicle_id: &str) -> sqlx::Result<Option<Contract>> {
    let row: Option<Row> = sqlx::query_as(concat!(select_contracts!(), " WHERE vehicle_id = $1"))
        .bind(vehicle_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Contract::from))
}

/// Contracts of `org` (all with `None`), limited to `vehicles` when given, by vehicle.
pub async fn list(
    conn: &mut PgConnection,
    org: Option<&str>,
    vehicles: Option<&[String]>,
    limit: i64,
) -> sqlx::Result<Vec<Contract>> {
    let rows: Vec<Row> = sqlx::query_as(concat!(
        select_contracts!(),
        " WHERE ($1::text IS NULL OR org_id = $1) \
         AND ($2::text[] IS NULL OR vehicle_id = ANY($2)) ORDER BY vehicle_id LIMIT $3"
    ))
    .bind(org)
    .bind(vehicles)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Contract::from).collect())
}
