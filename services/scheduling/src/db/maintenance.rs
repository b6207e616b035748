//! The `maintenance_plans` table.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

use super::appointments::Completion;

/// A stored plan.
#[derive(Debug, Clone, FromRow)]
pub struct PlanRow {
    pub id: Uuid,
    pub org_id: String,
    pub vehicle_id: String,
    pub title: String,
    pub skill: String,
    pub duration_minutes: i32,
    pub parts: Json<BTreeMap<String, u32>>,
    pub every_km: Option<f64>,
    pub every_engine_hours: Option<f64>,
    pub every_days: Option<i32>,
    pub last_done_at: DateTime<Utc>,
    pub last_odometer_km: Option<f64>,
    pub last_engine_hours: Option<f64>,
    pub open_job_id: Option<Uuid>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

macro_rules! plan_columns {
    () => {
        "id, org_id, vehicle_id, title, skill, duration_minutes, parts, every_km, \
    every_engine_hours, every_days, last_done_at, last_odometer_km, last_engine_hours, \
    open_job_id, active, created_at"
    };
}

/// Inserts a plan.
pub async fn insert(db: &PgPool, p: &PlanRow) -> Result<(), sqlx::Error> {
    sqlx::query(concat!(
        "INSERT INTO maintenance_plans (",
        plan_columns!(),
        ") \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    ))
    .bind(p.id)
    .bind(&p.org_id)
    .bind(&p.vehicle_id)
    .bind(&p.title)
    .bind(&p.skill)
    .bind(p.duration_minutes)
    .bind(&p.parts)
    .bind(p.every_km)
    .bind(p.every_engine_hours)
    .bind(p.every_days)
    .bind(p.last_done_at)
    .bind(p.last_odometer_km)
    .bind(p.last_engine_hours)
    .bind(p.open_job_id)
    .bind(p.active)
    .bind(p.created_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Plans of an organization (or all), optionally of one vehicle.
pub async fn list(
    db: &PgPool,
    org_id: Option<&str>,
    vehicle_id: Option<&str>,
) -> Result<Vec<PlanRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        plan_columns!(),
        " FROM maintenance_plans WHERE ($1::text IS NULL OR org_id = $1) \
           AND ($2::text IS NULL OR vehicle_id = $2) ORDER BY vehicle_id, created_at LIMIT 5000"
    ))
    .bind(org_id)
    .bind(vehicle_id)
    .fetch_all(db)
    .await
}

/// Active plans with no open job: the ones to check against the counters.
pub async fn to_check(db: &PgPool, org_id: Option<&str>) -> Result<Vec<PlanRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        plan_columns!(),
        " FROM maintenance_plans WHERE active AND open_job_id IS NULL \
           AND ($1::text IS NULL OR org_id = $1) ORDER BY id LIMIT 10000"
    ))
    .bind(org_id)
    .fetch_all(db)
    .await
}

/// Records the job a plan proposed; `false` if another checker did meanwhile.
pub async fn set_open_job(
    conn: &mut PgConnection,
    plan_id: Uuid,
    job_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE maintenance_plans SET open_job_id = $2 WHERE id = $1 AND open_job_id IS NULL",
    )
    .bind(plan_id)
    .bind(job_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// The plan whose job was just done starts counting again from this service.
pub async fn serviced(
    conn: &mut PgConnection,
    job_id: Uuid,
    c: &Completion<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE maintenance_plans SET last_done_at = $2, \
           last_odometer_km = COALESCE($3, last_odometer_km), \
           last_engine_hours = COALESCE($4, last_engine_hours), open_job_id = NULL \
         WHERE open_job_id = $1",
    )
    .bind(job_id)
    .bind(c.at)
    .bind(c.odometer_km)
    .bind(c.engine_hours)
    .execute(conn)
    .await?;
    Ok(())
}
