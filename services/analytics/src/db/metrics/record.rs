//! Writes of the metrics read models, one function per fact an event carries. Each runs
//! inside the consumer's transaction (with the inbox mark), except the batched health
//! states.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use shared_schemas::events::DecisionMade;

use crate::domain::metrics::VehicleState;

/// Records the newest state per vehicle and per vehicle-day (see
/// [`crate::domain::metrics::newest`]) and recounts the band rollup of the
/// (organization, day) pairs touched, in one transaction. Idempotent: an older or equal
/// `computed_at` changes nothing, and the rollup is a recount, not an increment.
pub async fn states(
    pool: &PgPool,
    latest: &[VehicleState],
    days: &[VehicleState],
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    upsert_vehicles(&mut tx, latest).await?;
    let col = |f: fn(&VehicleState) -> String| days.iter().map(f).collect::<Vec<_>>();
    let day: Vec<NaiveDate> = days.iter().map(VehicleState::day).collect();
    sqlx::query(
        "INSERT INTO metric_vehicle_days (vehicle_id, day, org_id, band, score, computed_at)
         SELECT * FROM UNNEST($1::text[], $2::date[], $3::text[], $4::text[], $5::float8[], $6::timestamptz[])
         ON CONFLICT (vehicle_id, day) DO UPDATE SET org_id = EXCLUDED.org_id,
             band = EXCLUDED.band, score = EXCLUDED.score, computed_at = EXCLUDED.computed_at
         WHERE metric_vehicle_days.computed_at < EXCLUDED.computed_at",
    )
    .bind(col(|s| s.vehicle_id.clone()))
    .bind(&day)
    .bind(col(|s| s.org_id.clone()))
    .bind(col(|s| s.overall_band.as_str().to_owned()))
    .bind(days.iter().map(|s| s.overall_score).collect::<Vec<_>>())
    .bind(days.iter().map(|s| s.computed_at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    // Delete then recount (two statements: one statement's CTEs share its snapshot, so
    // an insert would still see the rows its DELETE removes).
    let orgs = col(|s| s.org_id.clone());
    sqlx::query(
        "DELETE FROM metric_band_days b USING UNNEST($1::text[], $2::date[]) AS t(org_id, day)
         WHERE b.org_id = t.org_id AND b.day = t.day",
    )
    .bind(&orgs)
    .bind(&day)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO metric_band_days (org_id, day, band, vehicles)
         SELECT d.org_id, d.day, d.band, count(*)::int FROM metric_vehicle_days d
         JOIN (SELECT DISTINCT * FROM UNNEST($1::text[], $2::date[]) AS u(org_id, day)) t
           ON d.org_id = t.org_id AND d.day = t.day
         GROUP BY d.org_id, d.day, d.band
         ON CONFLICT (org_id, day, band) DO UPDATE SET vehicles = EXCLUDED.vehicles",
    )
    .bind(&orgs)
    .bind(&day)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

async fn upsert_vehicles(
    tx: &mut PgConnection,
    latest: &[VehicleState],
) -> Result<(), sqlx::Error> {
    let col = |f: fn(&VehicleState) -> Option<String>| latest.iter().map(f).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO metric_vehicles (vehicle_id, org_id, overall_score, overall_band,
             worst_component, worst_band, min_rul_days, attention, computed_at, first_seen_at,
             min_rul_low_days, min_rul_high_days)
         SELECT v, o, s, b, wc, wb, r, a, t, t, rl, rh FROM UNNEST($1::text[], $2::text[],
             $3::float8[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::bool[],
             $9::timestamptz[], $10::float8[], $11::float8[])
             AS u(v, o, s, b, wc, wb, r, a, t, rl, rh)
         ON CONFLICT (vehicle_id) DO UPDATE SET org_id = EXCLUDED.org_id,
             overall_score = EXCLUDED.overall_score, overall_band = EXCLUDED.overall_band,
             worst_component = EXCLUDED.worst_component, worst_band = EXCLUDED.worst_band,
             min_rul_days = EXCLUDED.min_rul_days, attention = EXCLUDED.attention,
             min_rul_low_days = EXCLUDED.min_rul_low_days,
             min_rul_high_days = EXCLUDED.min_rul_high_days,
             computed_at = EXCLUDED.computed_at
         WHERE metric_vehicles.computed_at < EXCLUDED.computed_at",
    )
    .bind(col(|s| Some(s.vehicle_id.clone())))
    .bind(col(|s| Some(s.org_id.clone())))
    .bind(latest.iter().map(|s| s.overall_score).collect::<Vec<_>>())
    .bind(col(|s| Some(s.overall_band.as_str().to_owned())))
    .bind(col(|s| s.worst.as_ref().map(|w| w.0.clone())))
    .bind(col(|s| s.worst.as_ref().map(|w| w.1.as_str().to_owned())))
    .bind(latest.iter().map(|s| s.min_rul_days).collect::<Vec<_>>())
    .bind(latest.iter().map(|s| s.attention).collect::<Vec<_>>())
    .bind(latest.iter().map(|s| s.computed_at).collect::<Vec<_>>())
    .bind(
        latest
            .iter()
            .map(|s| s.min_rul_interval.map(|i| i[0]))
            .collect::<Vec<_>>(),
    )
    .bind(
        latest
            .iter()
            .map(|s| s.min_rul_interval.map(|i| i[1]))
            .collect::<Vec<_>>(),
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// A vehicle moved to another organization: its current state moves with it (what was
/// recorded per day stays with the organization it was recorded for, ADR 0008).
pub async fn transfer(
    tx: &mut PgConnection,
    vehicle_id: &str,
    to_org: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE metric_vehicles SET org_id = $2 WHERE vehicle_id = $1")
        .bind(vehicle_id)
        .bind(to_org)
        .execute(tx)
        .await?;
    Ok(())
}

/// The keys every event about one entity (alert, claim, appointment…) carries.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    /// The entity's id.
    pub id: Uuid,
    /// Its organization.
    pub org_id: &'a str,
    /// Its vehicle.
    pub vehicle_id: &'a str,
}

impl<'a> Key<'a> {
    /// `sql` with `$1..$3` bound to the id, organization and vehicle.
    pub(super) fn query(
        self,
        sql: &'static str,
    ) -> sqlx::query::Query<'a, sqlx::Postgres, sqlx::postgres::PgArguments> {
        sqlx::query(sql)
            .bind(self.id)
            .bind(self.org_id)
            .bind(self.vehicle_id)
    }
}

/// `alert.created`: severity, kind, component and creation time.
pub async fn alert_created(
    tx: &mut PgConnection,
    key: Key<'_>,
    severity: &str,
    kind: &str,
    component: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    key.query(
        "INSERT INTO metric_alerts (alert_id, org_id, vehicle_id, severity, kind, component, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (alert_id) DO UPDATE SET severity = $4, kind = $5, component = $6, created_at = $7",
    )
    .bind(severity)
    .bind(kind)
    .bind(component)
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

/// `alert.escalated`: one more escalation (each event once: the inbox dedupes).
pub async fn alert_escalated(tx: &mut PgConnection, key: Key<'_>) -> Result<(), sqlx::Error> {
    key.query(
        "INSERT INTO metric_alerts (alert_id, org_id, vehicle_id, escalations) VALUES ($1, $2, $3, 1)
         ON CONFLICT (alert_id) DO UPDATE SET escalations = metric_alerts.escalations + 1",
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// `agent.decision.made`, as the metrics keep it.
pub async fn decision(tx: &mut PgConnection, d: &DecisionMade) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO metric_decisions (decision_id, org_id, vehicle_id, component, severity,
             disposition, fallback_used, cost_min, cost_max, currency, provider_cost_usd, decided_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (decision_id) DO NOTHING",
    )
    .bind(d.decision_id)
    .bind(&d.org_id)
    .bind(&d.vehicle_id)
    .bind(d.component.as_str())
    .bind(d.severity.as_str())
    .bind(d.disposition.as_str())
    .bind(d.fallback_used)
    .bind(d.estimated_cost.min)
    .bind(d.estimated_cost.max)
    .bind(&d.estimated_cost.currency)
    .bind(d.cost_usd)
    .bind(d.decided_at)
    .execute(tx)
    .await?;
    Ok(())
}

/// A time one event sets on its entity's row (creating the row when it comes first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// `alert.acknowledged`: the first acknowledgement counts.
    AlertAcknowledged,
    /// `alert.resolved`.
    AlertResolved,
    /// `agent.escalation`.
    Escalated,
    /// `appointment.proposed`.
    Proposed,
    /// `appointment.cancelled`.
    Cancelled,
    /// `appointment.completed`.
    Completed,
    /// `warranty.claim.rejected`.
    ClaimRejected,
    /// `warranty.fraud.detected`.
    ClaimFlagged,
}

impl Stamp {
    fn sql(self) -> &'static str {
        match self {
            Self::AlertAcknowledged => {
                "INSERT INTO metric_alerts (alert_id, org_id, vehicle_id, acknowledged_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (alert_id) DO UPDATE SET
                     acknowledged_at = LEAST(COALESCE(metric_alerts.acknowledged_at, $4), $4)"
            }
            Self::AlertResolved => {
                "INSERT INTO metric_alerts (alert_id, org_id, vehicle_id, resolved_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (alert_id) DO UPDATE SET resolved_at = $4"
            }
            Self::Escalated => {
                "INSERT INTO metric_escalations (decision_id, org_id, vehicle_id, escalated_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (decision_id) DO NOTHING"
            }
            Self::Proposed => {
                "INSERT INTO metric_proposals (proposal_id, org_id, vehicle_id, proposed_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (proposal_id) DO NOTHING"
            }
            Self::Cancelled => {
                "INSERT INTO metric_appointments (appointment_id, org_id, vehicle_id, cancelled_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (appointment_id) DO UPDATE SET cancelled_at = $4"
            }
            Self::Completed => {
                "INSERT INTO metric_appointments (appointment_id, org_id, vehicle_id, completed_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (appointment_id) DO UPDATE SET completed_at = $4"
            }
            Self::ClaimRejected => {
                "INSERT INTO metric_claims (claim_id, org_id, vehicle_id, rejected_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (claim_id) DO UPDATE SET rejected_at = $4"
            }
            Self::ClaimFlagged => {
                "INSERT INTO metric_claims (claim_id, org_id, vehicle_id, fraud_flagged_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (claim_id) DO UPDATE SET fraud_flagged_at = $4"
            }
        }
    }
}

/// Sets `stamp` to `at` on `key`'s row.
pub async fn stamp(
    tx: &mut PgConnection,
    key: Key<'_>,
    stamp: Stamp,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    key.query(stamp.sql()).bind(at).execute(tx).await?;
    Ok(())
}

/// Deletes per-day rows (vehicle-days, band rollup) of days before `before`; returns how
/// many. No window reaches further back than [`crate::domain::metrics::MAX_DAYS`].
pub async fn prune_days(pool: &PgPool, before: NaiveDate) -> Result<u64, sqlx::Error> {
    let days = sqlx::query("DELETE FROM metric_vehicle_days WHERE day < $1")
        .bind(before)
        .execute(pool)
        .await?
        .rows_affected();
    let rollup = sqlx::query("DELETE FROM metric_band_days WHERE day < $1")
        .bind(before)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(days + rollup)
}
