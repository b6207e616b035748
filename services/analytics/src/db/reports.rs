//! Reports' detail rows (from the metrics read models) and the schedules of emailed
//! reports with their sent-markers.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::domain::mail::Mail;

use crate::db::metrics::Filter;

/// A vehicle's current health, for the fleet health report.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VehicleRow {
    /// The vehicle.
    pub vehicle_id: String,
    /// Its organization.
    pub org_id: String,
    /// Overall band.
    pub overall_band: String,
    /// Overall score.
    pub overall_score: f64,
    /// Lowest-scoring component.
    pub worst_component: Option<String>,
    /// Its band.
    pub worst_band: Option<String>,
    /// Lowest RUL, days.
    pub min_rul_days: Option<f64>,
    /// Needs attention.
    pub attention: bool,
    /// Last assessment.
    pub computed_at: DateTime<Utc>,
}

/// Every vehicle of the scope, lowest score first.
pub async fn vehicles(pool: &PgPool, f: Filter<'_>) -> Result<Vec<VehicleRow>, sqlx::Error> {
    f.scoped(
        "SELECT vehicle_id, org_id, overall_band, overall_score, worst_component, worst_band,
                min_rul_days, attention, computed_at
         FROM metric_vehicles
         WHERE ($1::text IS NULL OR org_id = $1) AND ($2::text[] IS NULL OR vehicle_id = ANY($2))
         ORDER BY overall_score, vehicle_id",
    )
    .fetch_all(pool)
    .await
}

/// An alert of the period.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AlertRow {
    /// The alert.
    pub alert_id: Uuid,
    /// Its vehicle.
    pub vehicle_id: String,
    /// Severity.
    pub severity: Option<String>,
    /// What raised it.
    pub kind: Option<String>,
    /// Component.
    pub component: Option<String>,
    /// Raised.
    pub created_at: Option<DateTime<Utc>>,
    /// First acknowledged.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Escalations.
    pub escalations: i32,
    /// Resolved.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// The alerts raised in the window, oldest first.
pub async fn alerts(pool: &PgPool, f: Filter<'_>) -> Result<Vec<AlertRow>, sqlx::Error> {
    f.timed(
        "SELECT alert_id, vehicle_id, severity, kind, component, created_at, acknowledged_at,
                escalations, resolved_at
         FROM metric_alerts
         WHERE ($1::text IS NULL OR org_id = $1) AND ($2::text[] IS NULL OR vehicle_id = ANY($2))
           AND created_at >= $3 AND created_at < $4
         ORDER BY created_at, alert_id",
    )
    .fetch_all(pool)
    .await
}

/// A prediction episode begun in the period.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EpisodeRow {
    /// The vehicle.
    pub vehicle_id: String,
    /// The component.
    pub component: String,
    /// Predicted (component.degraded).
    pub predicted_at: Option<DateTime<Utc>>,
    /// RUL predicted then, days.
    pub predicted_rul_days: Option<f64>,
    /// Failed (component.critical).
    pub failed_at: Option<DateTime<Utc>>,
    /// Serviced.
    pub repaired_at: Option<DateTime<Utc>>,
    /// Back to good without service.
    pub recovered_at: Option<DateTime<Utc>>,
}

/// The episodes begun in the window, oldest first.
pub async fn episodes(pool: &PgPool, f: Filter<'_>) -> Result<Vec<EpisodeRow>, sqlx::Error> {
    f.timed(
        "SELECT vehicle_id, component, predicted_at, predicted_rul_days, failed_at, repaired_at,
                recovered_at
         FROM metric_episodes
         WHERE ($1::text IS NULL OR org_id = $1) AND ($2::text[] IS NULL OR vehicle_id = ANY($2))
           AND COALESCE(predicted_at, failed_at) >= $3 AND COALESCE(predicted_at, failed_at) < $4
         ORDER BY COALESCE(predicted_at, failed_at), id",
    )
    .fetch_all(pool)
    .await
}

/// A scheduled report.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScheduleRow {
    /// Its id.
    pub id: Uuid,
    /// Whose.
    pub user_id: Uuid,
    /// `fleet_health`, `alerts` or `maintenance`.
    pub kind: String,
    /// `daily` or `weekly`.
    pub frequency: String,
    /// An admin's chosen organization.
    pub org_id: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// When it is next due.
    pub next_run_at: DateTime<Utc>,
    /// Failed sends of the current occurrence.
    pub attempts: i32,
    /// The last failure, if the current occurrence failed.
    pub last_error: Option<String>,
}

const SCHEDULE_COLUMNS: &str =
    "id, user_id, kind, frequency, org_id, created_at, next_run_at, attempts, last_error";

/// The caller's account as scheduled reports need it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Recipient {
    /// Address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role now.
    pub role: String,
    /// Organization now.
    pub org_id: String,
    /// Disabled accounts get nothing.
    pub disabled: bool,
    /// An owner's vehicles now.
    pub vehicles: Vec<String>,
}

/// The user `id` (identity's tables), with an owner's vehicles.
pub async fn recipient(pool: &PgPool, id: Uuid) -> Result<Option<Recipient>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.email, u.name, u.role, u.org_id, u.disabled,
                COALESCE(array_agg(v.vehicle_id ORDER BY v.vehicle_id)
                         FILTER (WHERE v.vehicle_id IS NOT NULL), '{}') AS vehicles
         FROM users u LEFT JOIN user_vehicles v ON v.user_id = u.id
         WHERE u.id = $1 GROUP BY u.id",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// A new schedule, due at once.
pub async fn create(
    pool: &PgPool,
    user_id: Uuid,
    kind: &str,
    frequency: &str,
    org_id: Option<&str>,
) -> Result<ScheduleRow, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO report_schedules (id, user_id, kind, frequency, org_id, next_run_at)
         VALUES ($1, $2, $3, $4, $5, now()) RETURNING {SCHEDULE_COLUMNS}"
    )))
    .bind(Uuid::now_v7())
    .bind(user_id)
    .bind(kind)
    .bind(frequency)
    .bind(org_id)
    .fetch_one(pool)
    .await
}

/// How many schedules `user_id` has.
pub async fn count_for(pool: &PgPool, user_id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM report_schedules WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(pool)
        .await
}

/// `user_id`'s schedules, oldest first.
pub async fn list_for(pool: &PgPool, user_id: Uuid) -> Result<Vec<ScheduleRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SCHEDULE_COLUMNS} FROM report_schedules WHERE user_id = $1 ORDER BY created_at, id"
    )))
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// Deletes `user_id`'s schedule `id`; `false` when there is none of theirs.
pub async fn delete(pool: &PgPool, user_id: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    let n = sqlx::query("DELETE FROM report_schedules WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Leases up to `limit` due schedules for `lease` (another replica skips them until
/// then; a crashed one lets go when it expires).
pub async fn claim_due(
    pool: &PgPool,
    limit: i64,
    lease: std::time::Duration,
) -> Result<Vec<ScheduleRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE report_schedules SET leased_until = now() + make_interval(secs => $2)
         WHERE id IN (SELECT id FROM report_schedules
                      WHERE next_run_at <= now() AND (leased_until IS NULL OR leased_until < now())
                      ORDER BY next_run_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING {SCHEDULE_COLUMNS}"
    )))
    .bind(limit)
    .bind(lease.as_secs_f64())
    .fetch_all(pool)
    .await
}

/// Whether the occurrence `due_at` of `schedule_id` was already sent.
pub async fn was_sent(
    pool: &PgPool,
    schedule_id: Uuid,
    due_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM report_deliveries WHERE schedule_id = $1 AND due_at = $2)",
    )
    .bind(schedule_id)
    .bind(due_at)
    .fetch_one(pool)
    .await
}

/// Moves a schedule to its next occurrence `next` and lets go of it; with `mail`, the
/// occurrence's sent-marker is written and the mail queued in the same transaction,
/// unless another replica marked it first. Whether the mail was queued.
pub async fn advance(
    pool: &PgPool,
    schedule: &ScheduleRow,
    next: DateTime<Utc>,
    mail: Option<&Mail>,
) -> Result<bool, sqlx::Error> {
    let mut tx: Transaction<'_, Postgres> = pool.begin().await?;
    let mut queued = false;
    if let Some(mail) = mail {
        let marked = sqlx::query(
            "INSERT INTO report_deliveries (schedule_id, due_at, recipient) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(schedule.id)
        .bind(schedule.next_run_at)
        .bind(&mail.to)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if marked == 1 {
            super::mail::enqueue(&mut tx, mail).await?;
            queued = true;
        }
    }
    sqlx::query(
        "UPDATE report_schedules SET next_run_at = $2, leased_until = NULL, attempts = 0,
             last_error = NULL WHERE id = $1",
    )
    .bind(schedule.id)
    .bind(next)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(queued)
}

/// Records a failed send; the schedule is retried after `retry_in`.
pub async fn failed(
    pool: &PgPool,
    id: Uuid,
    error: &str,
    retry_in: std::time::Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE report_schedules SET attempts = attempts + 1, last_error = $2,
             leased_until = now() + make_interval(secs => $3) WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(retry_in.as_secs_f64())
    .execute(pool)
    .await?;
    Ok(())
}
