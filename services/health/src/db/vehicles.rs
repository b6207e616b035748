//! `vehicles`: per-vehicle state head, newest reading facts and current assessment.

use chrono::{DateTime, Utc};
use shared_schemas::events::{ComponentHealth, ComponentUnknown};
use shared_schemas::telemetry::Dtc;
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::position::Position;

/// A vehicle row as the consumer sees it under the lock (the head is read only on a
/// cache miss).
#[derive(Debug, Clone, FromRow)]
pub struct Locked {
    /// Vehicle.
    pub vehicle_id: String,
    /// Organization.
    pub org_id: String,
    /// State version.
    pub version: i64,
    /// Newest reading.
    pub newest_at: Option<DateTime<Utc>>,
    /// Its odometer.
    pub odometer_km: Option<f64>,
    /// Its DTCs.
    pub dtcs: Json<Vec<Dtc>>,
    /// Its engine hours.
    pub engine_hours: Option<f64>,
    /// The newest GPS fix: latitude, longitude, and when.
    pub position_lat: Option<f64>,
    /// Its longitude.
    pub position_lon: Option<f64>,
    /// When it was taken.
    pub position_at: Option<DateTime<Utc>>,
    /// When `vehicle.health.computed` was last published.
    pub computed_published_at: Option<DateTime<Utc>>,
    /// Model of the current assessment.
    pub model_version: Option<String>,
}

/// Creates missing rows for `vehicle_ids` (sorted, unique) with the matching `org_ids`.
pub async fn ensure(
    conn: &mut PgConnection,
    vehicle_ids: &[&str],
    org_ids: &[&str],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO vehicles (vehicle_id, org_id)
         SELECT * FROM UNNEST($1::text[], $2::text[])
         ON CONFLICT (vehicle_id) DO NOTHING",
    )
    .bind(vehicle_ids)
    .bind(org_ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a vehicle to `org_id` (a transfer); returns whether health knows the vehicle.
/// Takes the row lock, so it waits for a batch folding the vehicle's readings.
pub async fn set_org(pool: &PgPool, vehicle_id: &str, org_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE vehicles SET org_id = $2 WHERE vehicle_id = $1")
        .bind(vehicle_id)
        .bind(org_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Locks the rows of `vehicle_ids` (in id order, so concurrent batches cannot
/// deadlock) and returns them.
pub async fn lock(
    conn: &mut PgConnection,
    vehicle_ids: &[&str],
) -> Result<Vec<Locked>, sqlx::Error> {
    sqlx::query_as(
        "SELECT vehicle_id, org_id, version, newest_at, odometer_km, dtcs, engine_hours,
                position_lat, position_lon, position_at, computed_published_at, model_version
         FROM vehicles WHERE vehicle_id = ANY($1)
         ORDER BY vehicle_id FOR UPDATE",
    )
    .bind(vehicle_ids)
    .fetch_all(conn)
    .await
}

/// The stored heads of `vehicle_ids` (NULL before the first reading).
pub async fn heads(
    conn: &mut PgConnection,
    vehicle_ids: &[&str],
) -> Result<Vec<(String, Option<Vec<u8>>)>, sqlx::Error> {
    sqlx::query_as("SELECT vehicle_id, head FROM vehicles WHERE vehicle_id = ANY($1)")
        .bind(vehicle_ids)
        .fetch_all(conn)
        .await
}

/// What a batch writes back for one vehicle.
#[derive(Debug, Clone)]
pub struct Update {
    /// Vehicle.
    pub vehicle_id: String,
    /// Organization (of the newest reading).
    pub org_id: String,
    /// New state version.
    pub version: i64,
    /// Encoded state head.
    pub head: Vec<u8>,
    /// Newest reading.
    pub newest_at: Option<DateTime<Utc>>,
    /// Its odometer.
    pub odometer_km: Option<f64>,
    /// Its DTCs, as JSON.
    pub dtcs: String,
    /// Its engine hours.
    pub engine_hours: Option<f64>,
    /// The newest GPS fix.
    pub position: Option<Position>,
    /// The assessment, when there is one.
    pub assessment: Option<Assessed>,
    /// When `vehicle.health.computed` was last published.
    pub computed_published_at: Option<DateTime<Utc>>,
    /// Whether the assessment still waits for its `vehicle.health.computed`.
    pub computed_pending: bool,
    /// The event behind the assessment.
    pub cause_event_id: Option<Uuid>,
    /// Its correlation id.
    pub cause_correlation_id: Option<Uuid>,
}

/// The stored form of an assessment.
#[derive(Debug, Clone)]
pub struct Assessed {
    /// Worst component score.
    pub overall_score: f64,
    /// Its band (wire name).
    pub overall_band: &'static str,
    /// Recent distance per day.
    pub daily_km: Option<f64>,
    /// Components as JSON.
    pub components: String,
    /// Unknown components as JSON.
    pub unknown: String,
    /// `component:band` of each component, comma-separated.
    pub component_bands: String,
    /// Model version.
    pub model_version: String,
}

/// The columns of a batch of [`Update`]s, one array per statement parameter.
#[derive(Default)]
struct Columns<'a> {
    id: Vec<&'a str>,
    org: Vec<&'a str>,
    version: Vec<i64>,
    head: Vec<&'a [u8]>,
    newest: Vec<Option<DateTime<Utc>>>,
    odometer: Vec<Option<f64>>,
    dtcs: Vec<&'a str>,
    hours: Vec<Option<f64>>,
    lat: Vec<Option<f64>>,
    lon: Vec<Option<f64>>,
    fix_at: Vec<Option<DateTime<Utc>>>,
    assessed: Vec<bool>,
    score: Vec<Option<f64>>,
    band: Vec<Option<&'static str>>,
    daily: Vec<Option<f64>>,
    components: Vec<Option<&'a str>>,
    unknown: Vec<Option<&'a str>>,
    bands: Vec<Option<&'a str>>,
    model: Vec<Option<&'a str>>,
    published: Vec<Option<DateTime<Utc>>>,
    pending: Vec<bool>,
    cause: Vec<Option<Uuid>>,
    correlation: Vec<Option<Uuid>>,
}

impl<'a> Columns<'a> {
    fn of(rows: &'a [Update]) -> Self {
        let mut c = Self::default();
        for r in rows {
            c.id.push(r.vehicle_id.as_str());
            c.org.push(r.org_id.as_str());
            c.version.push(r.version);
            c.head.push(r.head.as_slice());
            c.newest.push(r.newest_at);
            c.odometer.push(r.odometer_km);
            c.dtcs.push(r.dtcs.as_str());
            c.hours.push(r.engine_hours);
            c.lat.push(r.position.map(|p| p.lat));
            c.lon.push(r.position.map(|p| p.lon));
            c.fix_at.push(r.position.map(|p| p.at));
            let a = r.assessment.as_ref();
            c.assessed.push(a.is_some());
            c.score.push(a.map(|a| a.overall_score));
            c.band.push(a.map(|a| a.overall_band));
            c.daily.push(a.and_then(|a| a.daily_km));
            c.components.push(a.map(|a| a.components.as_str()));
            c.unknown.push(a.map(|a| a.unknown.as_str()));
            c.bands.push(a.map(|a| a.component_bands.as_str()));
            c.model.push(a.map(|a| a.model_version.as_str()));
            c.published.push(r.computed_published_at);
            c.pending.push(r.computed_pending);
            c.cause.push(r.cause_event_id);
            c.correlation.push(r.cause_correlation_id);
        }
        c
    }
}

/// Writes back a batch of vehicles in one statement.
pub async fn update(conn: &mut PgConnection, rows: &[Update]) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let c = Columns::of(rows);
    sqlx::query(
        "UPDATE vehicles v SET
             org_id = t.org, version = t.version, head = t.head, newest_at = t.newest,
             odometer_km = t.odometer, dtcs = t.dtcs::jsonb, engine_hours = t.hours,
             position_lat = t.lat, position_lon = t.lon, position_at = t.fix_at,
             overall_score = CASE WHEN t.assessed THEN t.score ELSE v.overall_score END,
             overall_band = CASE WHEN t.assessed THEN t.band ELSE v.overall_band END,
             daily_km = CASE WHEN t.assessed THEN t.daily ELSE v.daily_km END,
             components = CASE WHEN t.assessed THEN t.components::json ELSE v.components END,
             unknown_components = CASE WHEN t.assessed THEN t.unknown::jsonb
                                       ELSE v.unknown_components END,
             component_bands = CASE WHEN t.assessed THEN string_to_array(t.bands, ',')
                                    ELSE v.component_bands END,
             model_version = CASE WHEN t.assessed THEN t.model ELSE v.model_version END,
             assessed_at = CASE WHEN t.assessed THEN now() ELSE v.assessed_at END,
             computed_published_at = t.published, computed_pending = t.pending,
             cause_event_id = t.cause, cause_correlation_id = t.correlation,
             updated_at = now()
         FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::bytea[], $5::timestamptz[],
                     $6::float8[], $7::text[], $8::bool[], $9::float8[], $10::text[],
                     $11::float8[], $12::text[], $13::text[], $14::timestamptz[],
                     $15::bool[], $16::uuid[], $17::uuid[], $18::text[], $19::float8[],
                     $20::float8[], $21::float8[], $22::timestamptz[], $23::text[])
              AS t(id, org, version, head, newest, odometer, dtcs, assessed, score, band,
                   daily, components, model, published, pending, cause, correlation, bands,
                   hours, lat, lon, fix_at, unknown)
         WHERE v.vehicle_id = t.id",
    )
    .bind(&c.id)
    .bind(&c.org)
    .bind(&c.version)
    .bind(&c.head)
    .bind(&c.newest)
    .bind(&c.odometer)
    .bind(&c.dtcs)
    .bind(&c.assessed)
    .bind(&c.score)
    .bind(&c.band)
    .bind(&c.daily)
    .bind(&c.components)
    .bind(&c.model)
    .bind(&c.published)
    .bind(&c.pending)
    .bind(&c.cause)
    .bind(&c.correlation)
    .bind(&c.bands)
    .bind(&c.hours)
    .bind(&c.lat)
    .bind(&c.lon)
    .bind(&c.fix_at)
    .bind(&c.unknown)
    .execute(conn)
    .await?;
    Ok(())
}

/// A vehicle's current health, as the API reads it.
#[derive(Debug, Clone, FromRow)]
pub struct HealthRow {
    /// Vehicle.
    pub vehicle_id: String,
    /// Organization.
    pub org_id: String,
    /// Newest reading (the instant assessed).
    pub newest_at: Option<DateTime<Utc>>,
    /// Its odometer.
    pub odometer_km: Option<f64>,
    /// Its engine hours.
    pub engine_hours: Option<f64>,
    /// The newest GPS fix: latitude.
    pub position_lat: Option<f64>,
    /// Its longitude.
    pub position_lon: Option<f64>,
    /// When it was taken.
    pub position_at: Option<DateTime<Utc>>,
    /// Worst component score.
    pub overall_score: Option<f64>,
    /// Its band.
    pub overall_band: Option<String>,
    /// Recent daily distance.
    pub daily_km: Option<f64>,
    /// Per component.
    pub components: Json<Vec<ComponentHealth>>,
    /// Components reported but not judged.
    pub unknown_components: Json<Vec<ComponentUnknown>>,
    /// Model version.
    pub model_version: Option<String>,
    /// When it was assessed (wall clock).
    pub assessed_at: Option<DateTime<Utc>>,
}

/// Columns of [`HealthRow`], as a literal so queries stay `&'static str`.
macro_rules! health_columns {
    () => {
        "vehicle_id, org_id, newest_at, odometer_km, engine_hours, position_lat, position_lon,
         position_at, overall_score, overall_band, daily_km, components, unknown_components,
         model_version, assessed_at"
    };
}

/// One vehicle's current health.
pub async fn get(pool: &PgPool, vehicle_id: &str) -> Result<Option<HealthRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        health_columns!(),
        " FROM vehicles WHERE vehicle_id = $1"
    ))
    .bind(vehicle_id)
    .fetch_optional(pool)
    .await
}

/// Which vehicles a fleet query covers: an organization (`None` = all) and, for
/// owners, a list of vehicles.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// Organization.
    pub org_id: Option<&'a str>,
    /// Vehicles.
    pub vehicle_ids: Option<&'a [String]>,
}

/// Assessed vehicles per overall band: `(band, count)`.
pub async fn overall_bands(
    pool: &PgPool,
    scope: Scope<'_>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT overall_band, count(*) FROM vehicles
         WHERE overall_band IS NOT NULL
           AND ($1::text IS NULL OR org_id = $1)
           AND ($2::text[] IS NULL OR vehicle_id = ANY($2))
         GROUP BY overall_band",
    )
    .bind(scope.org_id)
    .bind(scope.vehicle_ids)
    .fetch_all(pool)
    .await
}

/// Assessed vehicles per component and band: `(component, band, count)`.
pub async fn component_bands(
    pool: &PgPool,
    scope: Scope<'_>,
) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT split_part(b, ':', 1), split_part(b, ':', 2), count(*)
         FROM vehicles, unnest(component_bands) AS b
         WHERE overall_band IS NOT NULL
           AND ($1::text IS NULL OR org_id = $1)
           AND ($2::text[] IS NULL OR vehicle_id = ANY($2))
         GROUP BY 1, 2",
    )
    .bind(scope.org_id)
    .bind(scope.vehicle_ids)
    .fetch_all(pool)
    .await
}

/// The `top` vehicles with the lowest overall score.
pub async fn most_at_risk(
    pool: &PgPool,
    scope: Scope<'_>,
    top: i64,
) -> Result<Vec<HealthRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        health_columns!(),
        " FROM vehicles
         WHERE overall_score IS NOT NULL
           AND ($1::text IS NULL OR org_id = $1)
           AND ($2::text[] IS NULL OR vehicle_id = ANY($2))
         ORDER BY overall_score, vehicle_id LIMIT $3"
    ))
    .bind(scope.org_id)
    .bind(scope.vehicle_ids)
    .bind(top)
    .fetch_all(pool)
    .await
}

/// A vehicle's newest GPS fix and overall band.
#[derive(Debug, Clone, FromRow)]
pub struct PositionRow {
    /// Vehicle.
    pub vehicle_id: String,
    /// Organization.
    pub org_id: String,
    /// Overall band, once assessed.
    pub overall_band: Option<String>,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// When the fix was taken.
    pub at: DateTime<Utc>,
}

/// The newest GPS fix of up to `limit` vehicles in `scope` that have one, by id.
pub async fn positions(
    pool: &PgPool,
    scope: Scope<'_>,
    limit: i64,
) -> Result<Vec<PositionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT vehicle_id, org_id, overall_band, position_lat AS lat, position_lon AS lon,
                position_at AS at
         FROM vehicles
         WHERE position_lat IS NOT NULL AND position_lon IS NOT NULL AND position_at IS NOT NULL
           AND ($1::text IS NULL OR org_id = $1)
           AND ($2::text[] IS NULL OR vehicle_id = ANY($2))
         ORDER BY vehicle_id LIMIT $3",
    )
    .bind(scope.org_id)
    .bind(scope.vehicle_ids)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Up to `limit` vehicle ids after `after`, in order (paging through every vehicle).
pub async fn ids_after(pool: &PgPool, after: &str, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT vehicle_id FROM vehicles WHERE vehicle_id > $1 ORDER BY vehicle_id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// An assessment whose `vehicle.health.computed` was deferred by the throttle.
#[derive(Debug, Clone, FromRow)]
pub struct Pending {
    /// Vehicle.
    pub vehicle_id: String,
    /// Organization.
    pub org_id: String,
    /// The instant assessed.
    pub newest_at: Option<DateTime<Utc>>,
    /// Worst component score.
    pub overall_score: Option<f64>,
    /// Its band.
    pub overall_band: Option<String>,
    /// Per component.
    pub components: Json<Vec<ComponentHealth>>,
    /// Components reported but not judged.
    pub unknown_components: Json<Vec<ComponentUnknown>>,
    /// Model version.
    pub model_version: Option<String>,
    /// The event behind it.
    pub cause_event_id: Option<Uuid>,
    /// Its correlation id.
    pub cause_correlation_id: Option<Uuid>,
}

/// Locks up to `limit` vehicles whose deferred `vehicle.health.computed` was last
/// published at or before `cutoff` (rows locked by a batch are skipped).
pub async fn lock_pending_computed(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Pending>, sqlx::Error> {
    sqlx::query_as(
        "SELECT vehicle_id, org_id, newest_at, overall_score, overall_band, components,
                unknown_components, model_version, cause_event_id, cause_correlation_id
         FROM vehicles WHERE computed_pending AND computed_published_at <= $1
         ORDER BY computed_published_at LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind(cutoff)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Records that `vehicle_ids` had their `vehicle.health.computed` published at `at`.
pub async fn mark_published(
    conn: &mut PgConnection,
    vehicle_ids: &[&str],
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE vehicles SET computed_published_at = $2, computed_pending = false
         WHERE vehicle_id = ANY($1)",
    )
    .bind(vehicle_ids)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}
