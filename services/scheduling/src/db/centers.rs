//! The `centers` table.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use sqlx::types::Json;
use uuid::Uuid;

use crate::domain::center::{Center, stored_week, week_from_stored};

macro_rules! columns {
    () => {
        "id, org_id, name, address, lat, lon, bays, hours, specializations, emergency, \
         rating, active, created_at, updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    org_id: String,
    name: String,
    address: String,
    lat: f64,
    lon: f64,
    bays: i32,
    hours: Json<Vec<Option<[i64; 2]>>>,
    specializations: Vec<String>,
    emergency: bool,
    rating: f64,
    active: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Center {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            org_id: r.org_id,
            name: r.name,
            address: r.address,
            lat: r.lat,
            lon: r.lon,
            bays: r.bays,
            hours: week_from_stored(&r.hours.0),
            specializations: r.specializations,
            emergency: r.emergency,
            rating: r.rating,
            active: r.active,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Which centers a listing returns.
#[derive(Debug, Clone, Copy, Default)]
pub struct CenterFilter<'a> {
    /// One organization's (`None` = every organization's).
    pub org_id: Option<&'a str>,
    /// Only these (a technician's centers; `None` = no limit).
    pub ids: Option<&'a [Uuid]>,
    /// Only those that take emergencies (`Some(true)`) or do not.
    pub emergency: Option<bool>,
}

/// One center.
pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<Center>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM centers WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Center::from))
}

/// Centers matching `filter`, by organization and name.
pub async fn list(pool: &PgPool, filter: CenterFilter<'_>) -> Result<Vec<Center>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM centers
         WHERE ($1::text IS NULL OR org_id = $1)
           AND ($2::uuid[] IS NULL OR id = ANY($2))
           AND ($3::boolean IS NULL OR emergency = $3)
         ORDER BY org_id, name, id"
    ))
    .bind(filter.org_id)
    .bind(filter.ids)
    .bind(filter.emergency)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Center::from).collect())
}

/// Inserts `c`, or replaces the editable fields of the center with its id (the
/// organization and creation time stay). Returns what is stored.
pub async fn upsert(pool: &PgPool, c: &Center) -> Result<Center, sqlx::Error> {
    let row: Row = sqlx::query_as(concat!(
        "INSERT INTO centers (id, org_id, name, address, lat, lon, bays, hours,
             specializations, emergency, rating, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (id) DO UPDATE SET
             name = EXCLUDED.name, address = EXCLUDED.address, lat = EXCLUDED.lat,
             lon = EXCLUDED.lon, bays = EXCLUDED.bays, hours = EXCLUDED.hours,
             specializations = EXCLUDED.specializations, emergency = EXCLUDED.emergency,
             rating = EXCLUDED.rating, active = EXCLUDED.active, updated_at = now()
         RETURNING ",
        columns!()
    ))
    .bind(c.id)
    .bind(&c.org_id)
    .bind(&c.name)
    .bind(&c.address)
    .bind(c.lat)
    .bind(c.lon)
    .bind(c.bays)
    .bind(Json(stored_week(&c.hours)))
    .bind(&c.specializations)
    .bind(c.emergency)
    .bind(c.rating)
    .bind(c.active)
    .fetch_one(pool)
    .await?;
    Ok(row.into())
}
