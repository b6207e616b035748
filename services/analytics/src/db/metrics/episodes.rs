//! Prediction episodes of a vehicle component (ADR 0014): opened by a prediction
//! (`component.degraded`), ended by a failure (`component.critical`), a repair
//! (`appointment.completed`) or a recovery (`vehicle.health.changed` back to good).
//! Streams are ordered per event type only, so each write also accepts its event
//! arriving after a later one of another type (a failure recorded before the prediction
//! that preceded it).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// One component of one vehicle of one organization.
#[derive(Debug, Clone, Copy)]
pub struct Part<'a> {
    /// Organization the event was recorded for.
    pub org_id: &'a str,
    /// The vehicle.
    pub vehicle_id: &'a str,
    /// The component's wire name.
    pub component: &'a str,
}

impl<'a> Part<'a> {
    /// `sql` with `$1` bound to the vehicle and `$2` to the component.
    fn query(
        self,
        sql: &'static str,
    ) -> sqlx::query::Query<'a, sqlx::Postgres, sqlx::postgres::PgArguments> {
        sqlx::query(sql).bind(self.vehicle_id).bind(self.component)
    }
}

/// Serializes writes of one vehicle component across consumers and replicas.
async fn lock(tx: &mut PgConnection, p: Part<'_>) -> Result<(), sqlx::Error> {
    p.query("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 14))")
        .execute(tx)
        .await?;
    Ok(())
}

/// A failure was predicted at `at` with `rul_days` left: attaches to an unpredicted
/// failure recorded later than `at` (its prediction came late), keeps the earliest
/// prediction of an open episode, does nothing for a failed component not yet repaired,
/// or opens an episode.
pub async fn predicted(
    tx: &mut PgConnection,
    p: Part<'_>,
    at: DateTime<Utc>,
    rul_days: f64,
) -> Result<(), sqlx::Error> {
    lock(tx, p).await?;
    let attached = p
        .query(
            "UPDATE metric_episodes SET predicted_at = $3, predicted_rul_days = $4
         WHERE id = (SELECT id FROM metric_episodes WHERE vehicle_id = $1 AND component = $2
                     AND predicted_at IS NULL AND failed_at >= $3 AND repaired_at IS NULL
                     ORDER BY failed_at LIMIT 1)",
        )
        .bind(at)
        .bind(rul_days)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if attached > 0 {
        return Ok(());
    }
    let open = p
        .query(
            "UPDATE metric_episodes SET
             predicted_rul_days = CASE WHEN failed_at IS NULL AND $3 < predicted_at
                                  THEN $4 ELSE predicted_rul_days END,
             predicted_at = CASE WHEN failed_at IS NULL THEN LEAST(predicted_at, $3)
                            ELSE predicted_at END
         WHERE vehicle_id = $1 AND component = $2 AND repaired_at IS NULL AND recovered_at IS NULL",
        )
        .bind(at)
        .bind(rul_days)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if open == 0 {
        open_episode(tx, p, at, rul_days).await?;
    }
    Ok(())
}

/// Opens an episode predicted at `at`, ended at once by the first repair or recovery
/// already recorded after `at` (their events were handled before this one).
async fn open_episode(
    tx: &mut PgConnection,
    p: Part<'_>,
    at: DateTime<Utc>,
    rul_days: f64,
) -> Result<(), sqlx::Error> {
    p.query(
        "WITH m AS (
             SELECT min(at) FILTER (WHERE kind = 'repaired') AS repaired,
                    min(at) FILTER (WHERE kind = 'recovered') AS recovered
             FROM metric_component_marks WHERE vehicle_id = $1 AND component = $2 AND at >= $3)
         INSERT INTO metric_episodes (org_id, vehicle_id, component, predicted_at, predicted_rul_days,
                                      repaired_at, recovered_at)
         SELECT $5, $1, $2, $3, $4,
                CASE WHEN m.repaired <= COALESCE(m.recovered, m.repaired) THEN m.repaired END,
                CASE WHEN m.recovered < COALESCE(m.repaired, 'infinity') THEN m.recovered END
         FROM m",
    )
    .bind(at)
    .bind(rul_days)
    .bind(p.org_id)
    .execute(tx)
    .await?;
    Ok(())
}

/// Records a repair or recovery of the component.
async fn mark(
    tx: &mut PgConnection,
    p: Part<'_>,
    kind: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    p.query(
        "INSERT INTO metric_component_marks (vehicle_id, component, kind, at) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
    )
    .bind(kind)
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

/// The component reached the critical band at `at`: ends its open episode as failed,
/// or records an unpredicted failure (a repeated critical of a failed component not
/// yet repaired changes nothing).
pub async fn failed(
    tx: &mut PgConnection,
    p: Part<'_>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    lock(tx, p).await?;
    let ended = p
        .query(
            "UPDATE metric_episodes SET failed_at = $3
         WHERE id = (SELECT id FROM metric_episodes WHERE vehicle_id = $1 AND component = $2
                     AND failed_at IS NULL AND repaired_at IS NULL AND recovered_at IS NULL
                     AND predicted_at <= $3 ORDER BY id DESC LIMIT 1)",
        )
        .bind(at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if ended > 0 {
        return Ok(());
    }
    p.query(
        "INSERT INTO metric_episodes (org_id, vehicle_id, component, failed_at)
         SELECT $4, $1, $2, $3 WHERE NOT EXISTS (
             SELECT 1 FROM metric_episodes WHERE vehicle_id = $1 AND component = $2
             AND failed_at IS NOT NULL AND repaired_at IS NULL)",
    )
    .bind(at)
    .bind(p.org_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// How an episode ended without a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The component was serviced (`appointment.completed`): every episode of it begun
    /// before ends repaired, an open one as a failure avoided.
    Repaired,
    /// Its health came back to good or excellent without service: its open episode ends
    /// recovered.
    Recovered,
}

impl End {
    fn mark(self) -> &'static str {
        match self {
            Self::Repaired => "repaired",
            Self::Recovered => "recovered",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Self::Repaired => {
                "UPDATE metric_episodes SET repaired_at = $3
                 WHERE vehicle_id = $1 AND component = $2 AND repaired_at IS NULL
                   AND recovered_at IS NULL AND COALESCE(predicted_at, failed_at) <= $3"
            }
            Self::Recovered => {
                "UPDATE metric_episodes SET recovered_at = $3
                 WHERE vehicle_id = $1 AND component = $2 AND failed_at IS NULL
                   AND repaired_at IS NULL AND recovered_at IS NULL AND predicted_at <= $3"
            }
        }
    }
}

/// The component's episodes end as `end` at `at`; the mark stays for predictions
/// handled later.
pub async fn ended(
    tx: &mut PgConnection,
    p: Part<'_>,
    end: End,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    lock(tx, p).await?;
    mark(tx, p, end.mark(), at).await?;
    p.query(end.sql()).bind(at).execute(tx).await?;
    Ok(())
}
