//! The `proposals` table.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::appointment::SlotView;
use crate::domain::proposal::Proposal;

/// Records the options offered for `job_id`; earlier open proposals of the job are
/// superseded.
pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    job: &crate::domain::job::Job,
    options: &[SlotView],
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE proposals SET status = 'superseded' WHERE job_id = $1 AND status = 'open'")
        .bind(job.id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO proposals (id, job_id, org_id, vehicle_id, options) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(job.id)
    .bind(&job.org_id)
    .bind(&job.vehicle_id)
    .bind(Json(options))
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a proposal approved by `by`; `false` when it was not open any more.
pub async fn approve(conn: &mut PgConnection, id: Uuid, by: &str) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE proposals SET status = 'approved', decided_at = now(), decided_by = $2 \
         WHERE id = $1 AND status = 'open'",
    )
    .bind(id)
    .bind(by)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Replaces the options of an open proposal (one was taken meanwhile: the owner is
/// offered what is free now); `false` when it was not open any more.
pub async fn refresh_options(
    db: &PgPool,
    id: Uuid,
    options: &[SlotView],
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query("UPDATE proposals SET options = $2 WHERE id = $1 AND status = 'open'")
        .bind(id)
        .bind(Json(options))
        .execute(db)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Supersedes the open proposals of a job (it was booked another way).
pub async fn supersede(conn: &mut PgConnection, job_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE proposals SET status = 'superseded' WHERE job_id = $1 AND status = 'open'")
        .bind(job_id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(FromRow)]
struct Row {
    id: Uuid,
    job_id: Uuid,
    options: Json<Vec<SlotView>>,
    status: String,
    created_at: DateTime<Utc>,
    decided_at: Option<DateTime<Utc>>,
    decided_by: Option<String>,
    appointment_id: Option<Uuid>,
}

macro_rules! select_proposals {
    () => {
        "SELECT p.id, p.job_id, p.options, p.status, p.created_at, p.decided_at, \
    p.decided_by, (SELECT a.id FROM appointments a WHERE a.proposal_id = p.id LIMIT 1) \
    AS appointment_id FROM proposals p"
    };
}

async fn assemble(conn: &mut PgConnection, r: Row) -> Result<Proposal, sqlx::Error> {
    let job = super::jobs::get(conn, r.job_id)
        .await?
        .ok_or_else(|| sqlx::Error::RowNotFound)?;
    Ok(Proposal {
        id: r.id,
        job,
        options: r.options.0,
        status: r.status,
        created_at: r.created_at,
        decided_at: r.decided_at,
        decided_by: r.decided_by,
        appointment_id: r.appointment_id,
    })
}

/// One proposal.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<Proposal>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(concat!(select_proposals!(), " WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(r) => Ok(Some(assemble(conn, r).await?)),
        None => Ok(None),
    }
}

/// Proposals of an organization (or all), optionally of some vehicles and a status.
pub async fn list(
    db: &PgPool,
    org_id: Option<&str>,
    vehicle_ids: Option<&[String]>,
    status: Option<&str>,
) -> Result<Vec<Proposal>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(concat!(
        select_proposals!(),
        " WHERE ($1::text IS NULL OR p.org_id = $1) \
           AND ($2::text[] IS NULL OR p.vehicle_id = ANY($2)) \
           AND ($3::text IS NULL OR p.status = $3) ORDER BY p.created_at DESC LIMIT 500"
    ))
    .bind(org_id)
    .bind(vehicle_ids)
    .bind(status)
    .fetch_all(db)
    .await?;
    let mut conn = db.acquire().await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(assemble(&mut conn, r).await?);
    }
    Ok(out)
}
