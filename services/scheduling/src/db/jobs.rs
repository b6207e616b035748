//! The `jobs` table.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

use super::wire;
use crate::domain::job::{Job, JobStatus};

/// Inserts `job`; `false` when a job of its decision exists already.
pub async fn insert(conn: &mut PgConnection, job: &Job) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO jobs (id, org_id, vehicle_id, decision_id, plan_id, component, kind, severity, \
           skill, duration_minutes, parts, title, release_at, due_at, lat, lon, status, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
         ON CONFLICT (decision_id) DO NOTHING",
    )
    .bind(job.id)
    .bind(&job.org_id)
    .bind(&job.vehicle_id)
    .bind(job.decision_id)
    .bind(job.plan_id)
    .bind(job.component.map(|c| c.as_str()))
    .bind(super::wire_name(&job.kind))
    .bind(job.severity.as_str())
    .bind(&job.skill)
    .bind(i32::try_from(job.duration_minutes).unwrap_or(i32::MAX))
    .bind(Json(&job.parts))
    .bind(&job.title)
    .bind(job.release_at)
    .bind(job.due_at)
    .bind(job.location.map(|l| l[0]))
    .bind(job.location.map(|l| l[1]))
    .bind(job.status.as_str())
    .bind(&job.note)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Sets a job's status (and note).
pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: JobStatus,
    note: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE jobs SET status = $2, note = $3, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .bind(note)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(FromRow)]
struct JobRow {
    id: Uuid,
    org_id: String,
    vehicle_id: String,
    decision_id: Option<Uuid>,
    plan_id: Option<Uuid>,
    component: Option<String>,
    kind: String,
    severity: String,
    skill: String,
    duration_minutes: i32,
    parts: Json<BTreeMap<String, u32>>,
    title: String,
    release_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    lat: Option<f64>,
    lon: Option<f64>,
    status: String,
    note: Option<String>,
}

macro_rules! job_columns {
    () => {
        "id, org_id, vehicle_id, decision_id, plan_id, component, kind, severity, \
    skill, duration_minutes, parts, title, release_at, due_at, lat, lon, status, note"
    };
}

impl TryFrom<JobRow> for Job {
    type Error = sqlx::Error;
    fn try_from(r: JobRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.id,
            org_id: r.org_id,
            vehicle_id: r.vehicle_id,
            decision_id: r.decision_id,
            plan_id: r.plan_id,
            component: r.component.as_deref().map(wire).transpose()?,
            kind: wire(&r.kind)?,
            severity: wire(&r.severity)?,
            skill: r.skill,
            duration_minutes: i64::from(r.duration_minutes),
            parts: r.parts.0,
            title: r.title,
            release_at: r.release_at,
            due_at: r.due_at,
            location: r.lat.zip(r.lon).map(|(a, b)| [a, b]),
            status: JobStatus::parse(&r.status)
                .ok_or_else(|| sqlx::Error::Decode(format!("job status {}", r.status).into()))?,
            note: r.note,
        })
    }
}

/// One job.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<Job>, sqlx::Error> {
    let row: Option<JobRow> = sqlx::query_as(concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(Job::try_from).transpose()
}

/// The job of a decision.
pub async fn by_decision<'e>(
    db: impl sqlx::PgExecutor<'e>,
    decision_id: Uuid,
) -> Result<Option<Job>, sqlx::Error> {
    let row: Option<JobRow> = sqlx::query_as(concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs WHERE decision_id = $1"
    ))
    .bind(decision_id)
    .fetch_optional(db)
    .await?;
    row.map(Job::try_from).transpose()
}

/// An organization's jobs without an appointment (pending or proposed), oldest first.
pub async fn open(db: &PgPool, org_id: &str) -> Result<Vec<Job>, sqlx::Error> {
    let rows: Vec<JobRow> = sqlx::query_as(concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs WHERE org_id = $1 AND status IN ('pending', 'proposed') \
         ORDER BY release_at, id LIMIT 5000"
    ))
    .bind(org_id)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(Job::try_from).collect()
}

/// The open job (pending, proposed or booked) of a vehicle's component, if any.
pub async fn open_for_component(
    conn: &mut PgConnection,
    org_id: &str,
    vehicle_id: &str,
    component: &str,
) -> Result<Option<Job>, sqlx::Error> {
    let row: Option<JobRow> = sqlx::query_as(concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs WHERE org_id = $1 AND vehicle_id = $2 AND component = $3 \
           AND status IN ('pending', 'proposed', 'booked') ORDER BY created_at DESC LIMIT 1"
    ))
    .bind(org_id)
    .bind(vehicle_id)
    .bind(component)
    .fetch_optional(conn)
    .await?;
    row.map(Job::try_from).transpose()
}

/// Jobs of an organization (or all), of some vehicles and statuses, newest first.
pub async fn list(
    db: &PgPool,
    org_id: Option<&str>,
    vehicle_ids: Option<&[String]>,
    statuses: &[&str],
    limit: i64,
) -> Result<Vec<Job>, sqlx::Error> {
    let rows: Vec<JobRow> = sqlx::query_as(concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs WHERE ($1::text IS NULL OR org_id = $1) \
           AND ($2::text[] IS NULL OR vehicle_id = ANY($2)) AND status = ANY($3) \
         ORDER BY created_at DESC, id DESC LIMIT $4"
    ))
    .bind(org_id)
    .bind(vehicle_ids)
    .bind(statuses)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(Job::try_from).collect()
}
