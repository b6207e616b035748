//! The `technicians` table.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgPool;
use sqlx::types::Json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::center::{Shift, ShiftView, serialize_shift_views};

/// A technician, as stored and served.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct Technician {
    /// Id (UUID v7).
    pub id: Uuid,
    /// Organization (the center's).
    pub org_id: String,
    /// The center they work at.
    pub center_id: Uuid,
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: Option<String>,
    /// The platform user (JWT `sub`) they log in as.
    pub user_id: Option<String>,
    /// What they can work on.
    pub skills: Vec<String>,
    /// Weekly shifts UTC, by weekday and start.
    #[serde(serialize_with = "serialize_shift_views")]
    #[schema(value_type = Vec<ShiftView>)]
    #[sqlx(json)]
    pub shifts: Vec<Shift>,
    /// Days they do not work, whatever the shifts say.
    #[schema(value_type = Vec<String>, example = json!(["2026-12-24"]))]
    pub days_off: Vec<NaiveDate>,
    /// Inactive technicians get no new work.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

macro_rules! columns {
    () => {
        "id, org_id, center_id, name, email, user_id, skills, shifts, days_off, active, \
         created_at, updated_at"
    };
}

/// One technician.
pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<Technician>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM technicians WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Which technicians a listing returns.
#[derive(Debug, Clone, Copy, Default)]
pub struct TechnicianFilter<'a> {
    /// One organization's (`None` = every organization's).
    pub org_id: Option<&'a str>,
    /// One center's.
    pub center_id: Option<Uuid>,
    /// Only those of these centers (a technician's; `None` = no limit).
    pub center_ids: Option<&'a [Uuid]>,
}

/// Technicians matching `filter`, by center and name.
pub async fn list(
    pool: &PgPool,
    filter: TechnicianFilter<'_>,
) -> Result<Vec<Technician>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM technicians
         WHERE ($1::text IS NULL OR org_id = $1)
           AND ($2::uuid IS NULL OR center_id = $2)
           AND ($3::uuid[] IS NULL OR center_id = ANY($3))
         ORDER BY org_id, center_id, name, id"
    ))
    .bind(filter.org_id)
    .bind(filter.center_id)
    .bind(filter.center_ids)
    .fetch_all(pool)
    .await
}

/// Inserts `t`, or replaces the editable fields of the technician with its id (the
/// organization and creation time stay). Returns what is stored.
pub async fn upsert(pool: &PgPool, t: &Technician) -> Result<Technician, sqlx::Error> {
    sqlx::query_as(concat!(
        "INSERT INTO technicians (id, org_id, center_id, name, email, user_id, skills,
             shifts, days_off, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (id) DO UPDATE SET
             center_id = EXCLUDED.center_id, name = EXCLUDED.name, email = EXCLUDED.email,
             user_id = EXCLUDED.user_id, skills = EXCLUDED.skills, shifts = EXCLUDED.shifts,
             days_off = EXCLUDED.days_off, active = EXCLUDED.active, updated_at = now()
         RETURNING ",
        columns!()
    ))
    .bind(t.id)
    .bind(&t.org_id)
    .bind(t.center_id)
    .bind(&t.name)
    .bind(&t.email)
    .bind(&t.user_id)
    .bind(&t.skills)
    .bind(Json(&t.shifts))
    .bind(&t.days_off)
    .bind(t.active)
    .fetch_one(pool)
    .await
}
