//! The dashboard's figures, each one query over the compact read models (ADR 0014).
//! `S` is the scope condition every query repeats: organization `$1` (NULL: all) and
//! vehicles `$2` (NULL: all).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

use super::Filter;

/// Current vehicles per overall band, with how many need attention and their scores.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BandRow {
    /// Band.
    pub band: String,
    /// Vehicles in it.
    pub vehicles: i64,
    /// Of which need attention.
    pub attention: i64,
    /// Sum of their overall scores.
    pub score_sum: f64,
}

/// The current state of the fleet, by band.
pub async fn bands(pool: &PgPool, f: Filter<'_>) -> Result<Vec<BandRow>, sqlx::Error> {
    f.scoped(
        "SELECT overall_band AS band, count(*) AS vehicles,
                count(*) FILTER (WHERE attention) AS attention,
                COALESCE(sum(overall_score), 0)::float8 AS score_sum
         FROM metric_vehicles
         WHERE ($1::text IS NULL OR org_id = $1) AND ($2::text[] IS NULL OR vehicle_id = ANY($2))
         GROUP BY overall_band",
    )
    .fetch_all(pool)
    .await
}

/// Vehicles per day and band (each vehicle's last band of the day).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct BandDay {
    /// The UTC day.
    pub day: NaiveDate,
    /// Band.
    pub band: String,
    /// Vehicles that ended the day in it.
    pub vehicles: i64,
}

/// The health distribution over the window's days: from the per-organization rollup,
/// or from the vehicle-days when the scope is some vehicles.
pub async fn band_days(pool: &PgPool, f: Filter<'_>) -> Result<Vec<BandDay>, sqlx::Error> {
    let sql = if f.scope.vehicles.is_some() {
        "SELECT day, band, count(*) AS vehicles FROM metric_vehicle_days
         WHERE ($1::text IS NULL OR org_id = $1) AND vehicle_id = ANY($2)
           AND day >= $3 AND day <= $4
         GROUP BY day, band ORDER BY day, band"
    } else {
        "SELECT day, band, sum(vehicles)::bigint AS vehicles FROM metric_band_days
         WHERE ($1::text IS NULL OR org_id = $1) AND $2::text[] IS NULL
           AND day >= $3 AND day <= $4
         GROUP BY day, band ORDER BY day, band"
    };
    f.daily(sql).fetch_all(pool).await
}

/// Vehicle-days observed in the window and those that ended critical (uptime's inputs).
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct UptimeRow {
    /// Vehicle-days with a report.
    pub observed: i64,
    /// Of which ended in the critical band.
    pub critical: i64,
}

/// Uptime's inputs over the window.
pub async fn uptime(pool: &PgPool, f: Filter<'_>) -> Result<UptimeRow, sqlx::Error> {
    let sql = if f.scope.vehicles.is_some() {
        "SELECT count(*) AS observed, count(*) FILTER (WHERE band = 'critical') AS critical
         FROM metric_vehicle_days
         WHERE ($1::text IS NULL OR org_id = $1) AND vehicle_id = ANY($2) AND day >= $3 AND day <= $4"
    } else {
        "SELECT COALESCE(sum(vehicles), 0)::bigint AS observed,
                COALESCE(sum(vehicles) FILTER (WHERE band = 'critical'), 0)::bigint AS critical
         FROM metric_band_days
         WHERE ($1::text IS NULL OR org_id = $1) AND $2::text[] IS NULL AND day >= $3 AND day <= $4"
    };
    f.daily(sql).fetch_one(pool).await
}

/// Alerts raised in the window.
#[derive(Debug, Clone, Copy, Default, Serialize, sqlx::FromRow, ToSchema)]
pub struct AlertFigures {
    /// Raised.
    pub created: i64,
    /// By severity: info.
    pub info: i64,
    /// Warning.
    pub warning: i64,
    /// Critical.
    pub critical: i64,
    /// Emergency.
    pub emergency: i64,
    /// Acknowledged (so far).
    pub acknowledged: i64,
    /// Escalated at least once.
    pub escalated: i64,
    /// Resolved (so far).
    pub resolved: i64,
    /// Neither acknowledged nor resolved.
    pub open: i64,
    /// Time from raising to the first acknowledgement, seconds: median.
    pub ack_p50_s: Option<f64>,
    /// 90th percentile.
    pub ack_p90_s: Option<f64>,
    /// Mean.
    pub ack_mean_s: Option<f64>,
}

/// Alert volume and time to acknowledge.
pub async fn alerts(pool: &PgPool, f: Filter<'_>) -> Result<AlertFigures, sqlx::Error> {
    f.timed(
        "SELECT created, info, warning, critical, emergency, acknowledged, escalated, resolved, open,
            p[1] AS ack_p50_s, p[2] AS ack_p90_s, ack_mean_s
         FROM (SELECT count(*) AS created,
            count(*) FILTER (WHERE severity = 'info') AS info,
            count(*) FILTER (WHERE severity = 'warning') AS warning,
            count(*) FILTER (WHERE severity = 'critical') AS critical,
            count(*) FILTER (WHERE severity = 'emergency') AS emergency,
            count(acknowledged_at) AS acknowledged,
            count(*) FILTER (WHERE escalations > 0) AS escalated,
            count(resolved_at) AS resolved,
            count(*) FILTER (WHERE acknowledged_at IS NULL AND resolved_at IS NULL) AS open,
            -- One sort for both percentiles.
            percentile_cont(ARRAY[0.5, 0.9]::float8[]) WITHIN GROUP (ORDER BY ack_s) AS p,
            avg(ack_s) AS ack_mean_s
         FROM (SELECT *, EXTRACT(EPOCH FROM acknowledged_at - created_at)::float8 AS ack_s
               FROM metric_alerts
               WHERE ($1::text IS NULL OR org_id = $1) AND ($2::text[] IS NULL OR vehicle_id = ANY($2))
                 AND created_at >= $3 AND created_at < $4) a) f",
    )
    .fetch_one(pool)
    .await
}

/// Alerts raised per day and severity.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct AlertDay {
    /// The UTC day.
    pub day: NaiveDate,
    /// Severity.
    pub severity: String,
    /// Raised.
    pub alerts: i64,
}

/// Alert volume per day over the window.
pub async fn alert_days(pool: &PgPool, f: Filter<'_>) -> Result<Vec<AlertDay>, sqlx::Error> {
    f.timed(
        "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, severity, count(*) AS alerts
         FROM metric_alerts
         WHERE ($1::text IS NULL OR org_id = $1) AND ($2::text[] IS NULL OR vehicle_id = ANY($2))
           AND created_at >= $3 AND created_at < $4 AND severity IS NOT NULL
         GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
}

/// Agent decisions made in the window.
#[derive(Debug, Clone, Copy, Default, Serialize, sqlx::FromRow, ToSchema)]
pub struct DecisionFigures {
    /// Decisions.
    pub total: i64,
    /// By severity: low.
    pub low: i64,
    /// Medium.
    pub medium: i64,
    /// High.
    pub high: i64,
    /// Critical.
    pub critical: i64,
    /// By disposition: an alert to people.
    pub alert: i64,
    /// A maintenance-planning item.
    pub plan: i64,
    /// Recorded only.
    pub monitor: i64,
    /// Answered by the rule-based fallback.
    pub fallback_used: i64,
    /// Escalated to a human (agent.escalation in the window).
    pub escalations: i64,
    /// What the model providers cost, USD.
    pub provider_cost_usd: f64,
}

/// Decisions by severity and disposition, fallbacks, escalations.
pub async fn decisions(pool: &PgPool, f: Filter<'_>) -> Result<DecisionFigures, sqlx::Error> {
    f.timed(
        "SELECT count(*) AS total,
            count(*) FILTER (WHERE severity = 'low') AS low,
            count(*) FILTER (WHERE severity = 'medium') AS medium,
            count(*) FILTER (WHERE severity = 'high') AS high,
            count(*) FILTER (WHERE severity = 'critical') AS critical,
            count(*) FILTER (WHERE disposition = 'alert') AS alert,
            count(*) FILTER (WHERE disposition = 'plan') AS plan,
            count(*) FILTER (WHERE disposition = 'monitor') AS monitor,
            count(*) FILTER (WHERE fallback_used) AS fallback_used,
            (SELECT count(*) FROM metric_escalations
             WHERE ($1::text IS NULL OR org_id = $1) AND ($2::text[] IS NULL OR vehicle_id = ANY($2))
               AND escalated_at >= $3 AND escalated_at < $4) AS escalations,
            COALESCE(sum(provider_cost_usd), 0)::float8 AS provider_cost_usd
         FROM metric_decisions
         WHERE ($1::text IS NULL OR org_id = $1) AND ($2::text[] IS NULL OR vehicle_id = ANY($2))
           AND decided_at >= $3 AND decided_at < $4",
    )
    .fetch_one(pool)
    .await
}

/// Prediction episodes begun in the window (predicted, or failed unpredicted), by how
/// they ended so far (ADR 0014).
#[derive(Debug, Clone, Copy, Default, Serialize, sqlx::FromRow, ToSchema)]
pub struct PredictionFigures {
    /// Failures predicted (component.degraded).
    pub predicted: i64,
    /// Predicted, then happened (component.critical).
    pub failed_as_predicted: i64,
    /// Happened without a prediction.
    pub failed_unpredicted: i64,
    /// Predicted, then serviced before failing.
    pub avoided: i64,
    /// Predicted, then back to good without service.
    pub recovered: i64,
    /// Predicted, still open.
    pub open: i64,
    /// Lead time (prediction to failure) of predicted failures, days: median.
    pub lead_time_p50_days: Option<f64>,
    /// Mean.
    pub lead_time_mean_days: Option<f64>,
    /// Median absolute error of the predicted RUL against the actual time to failure,
    /// days.
    pub rul_abs_error_p50_days: Option<f64>,
}

/// Failures predicted vs happened, lead time.
pub async fn predictions(pool: &PgPool, f: Filter<'_>) -> Result<PredictionFigures, sqlx::Error> {
    f.timed(
        "SELECT count(*) FILTER (WHERE ahead) AS predicted,
            count(*) FILTER (WHERE ahead AND failed_at IS NOT NULL) AS failed_as_predicted,
            count(*) FILTER (WHERE failed_at IS NOT NULL AND NOT ahead) AS failed_unpredicted,
            count(*) FILTER (WHERE predicted_at IS NOT NULL AND failed_at IS NULL AND repaired_at IS NOT NULL) AS avoided,
            count(*) FILTER (WHERE predicted_at IS NOT NULL AND failed_at IS NULL AND repaired_at IS NULL
                             AND recovered_at IS NOT NULL) AS recovered,
            count(*) FILTER (WHERE predicted_at IS NOT NULL AND failed_at IS NULL AND repaired_at IS NULL
                             AND recovered_at IS NULL) AS open,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY lead_days) AS lead_time_p50_days,
            avg(lead_days) AS lead_time_mean_days,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(lead_days - predicted_rul_days)) AS rul_abs_error_p50_days
         FROM (SELECT *,
                  -- A prediction counts only when it came before the failure: health
                  -- announcing degraded and critical at once predicted nothing.
                  predicted_at IS NOT NULL AND (failed_at IS NULL OR predicted_at < failed_at) AS ahead,
                  CASE WHEN predicted_at < failed_at
                       THEN EXTRACT(EPOCH FROM failed_at - predicted_at)::float8 / 86400.0 END AS lead_days
               FROM metric_episodes
               WHERE ($1::text IS NULL OR org_id = $1) AND ($2::text[] IS NULL OR vehicle_id = ANY($2))
                 AND COALESCE(predicted_at, failed_at) >= $3 AND COALESCE(predicted_at, failed_at) < $4) e",
    )
    .fetch_one(pool)
    .await
}

/// Failures avoided in the window and their predicted repair cost, per currency (the
/// latest decision on the component before the repair; `None`: no decision seen).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct AvoidedCost {
    /// Currency of the estimates, or none for failures avoided without a decision.
    pub currency: Option<String>,
    /// Failures avoided.
    pub failures: i64,
    /// Sum of the predicted repair costs (midpoint of each estimated range).
    pub repair_estimate: Option<f64>,
}

/// The inputs of cost avoided that events carry.
pub async fn avoided_costs(pool: &PgPool, f: Filter<'_>) -> Result<Vec<AvoidedCost>, sqlx::Error> {
    f.timed(
        "SELECT d.currency, count(*) AS failures, sum((d.cost_min + d.cost_max) / 2.0)::float8 AS repair_estimate
         FROM metric_episodes e
         LEFT JOIN LATERAL (
             SELECT cost_min, cost_max, currency FROM metric_decisions m
             WHERE m.vehicle_id = e.vehicle_id AND m.component = e.component AND m.decided_at <= e.repaired_at
             ORDER BY m.decided_at DESC LIMIT 1) d ON true
         WHERE ($1::text IS NULL OR e.org_id = $1) AND ($2::text[] IS NULL OR e.vehicle_id = ANY($2))
           AND e.predicted_at >= $3 AND e.predicted_at < $4
           AND e.failed_at IS NULL AND e.repaired_at IS NOT NULL
         GROUP BY d.currency ORDER BY d.currency",
    )
    .fetch_all(pool)
    .await
}

/// Scheduling and warranty activity in the window.
#[derive(Debug, Clone, Copy, Default, Serialize, sqlx::FromRow, ToSchema)]
pub struct ServiceFigures {
    /// Appointment proposals made.
    pub proposed: i64,
    /// Appointments starting in the window.
    pub scheduled: i64,
    /// Of which booked automatically (critical work).
    pub auto_booked: i64,
    /// Appointments cancelled.
    pub cancelled: i64,
    /// Appointments completed.
    pub completed: i64,
    /// Hours in the shop of the completed appointments (booked duration).
    pub shop_hours: Option<f64>,
    /// Warranty claims submitted.
    pub claims_submitted: i64,
    /// Claims approved.
    pub claims_approved: i64,
    /// Of which without human review.
    pub claims_auto_approved: i64,
    /// Claims rejected.
    pub claims_rejected: i64,
    /// Claims flagged for fraud review.
    pub claims_flagged: i64,
    /// Approved amounts, in the claims' currency.
    pub approved_amount: Option<f64>,
}

/// Scheduling and warranty figures.
pub async fn service(pool: &PgPool, f: Filter<'_>) -> Result<ServiceFigures, sqlx::Error> {
    f.timed(
        "WITH a AS (SELECT * FROM metric_appointments
                    WHERE ($1::text IS NULL OR org_id = $1) AND ($2::text[] IS NULL OR vehicle_id = ANY($2))),
              c AS (SELECT * FROM metric_claims
                    WHERE ($1::text IS NULL OR org_id = $1) AND ($2::text[] IS NULL OR vehicle_id = ANY($2)))
         SELECT
            (SELECT count(*) FROM metric_proposals
             WHERE ($1::text IS NULL OR org_id = $1) AND ($2::text[] IS NULL OR vehicle_id = ANY($2))
               AND proposed_at >= $3 AND proposed_at < $4) AS proposed,
            (SELECT count(*) FROM a WHERE starts_at >= $3 AND starts_at < $4) AS scheduled,
            (SELECT count(*) FROM a WHERE starts_at >= $3 AND starts_at < $4 AND auto_booked) AS auto_booked,
            (SELECT count(*) FROM a WHERE cancelled_at >= $3 AND cancelled_at < $4) AS cancelled,
            (SELECT count(*) FROM a WHERE completed_at >= $3 AND completed_at < $4) AS completed,
            (SELECT sum(EXTRACT(EPOCH FROM ends_at - starts_at))::float8 / 3600.0 FROM a
             WHERE completed_at >= $3 AND completed_at < $4) AS shop_hours,
            (SELECT count(*) FROM c WHERE submitted_at >= $3 AND submitted_at < $4) AS claims_submitted,
            (SELECT count(*) FROM c WHERE validated_at >= $3 AND validated_at < $4) AS claims_approved,
            (SELECT count(*) FROM c WHERE validated_at >= $3 AND validated_at < $4 AND auto_approved) AS claims_auto_approved,
            (SELECT count(*) FROM c WHERE rejected_at >= $3 AND rejected_at < $4) AS claims_rejected,
            (SELECT count(*) FROM c WHERE fraud_flagged_at >= $3 AND fraud_flagged_at < $4) AS claims_flagged,
            (SELECT sum(approved_amount)::float8 FROM c WHERE validated_at >= $3 AND validated_at < $4) AS approved_amount",
    )
    .fetch_one(pool)
    .await
}

/// A vehicle needing attention.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct AttentionVehicle {
    /// The vehicle.
    pub vehicle_id: String,
    /// Its organization.
    pub org_id: String,
    /// Overall score, 0..1.
    pub overall_score: f64,
    /// Overall band.
    pub overall_band: String,
    /// The component with the lowest score.
    pub worst_component: Option<String>,
    /// Its band.
    pub worst_band: Option<String>,
    /// Lowest remaining useful life of any component, days.
    pub min_rul_days: Option<f64>,
    /// Its 80 % interval, low end, days (when the health engine gave one).
    pub min_rul_low_days: Option<f64>,
    /// Its 80 % interval, high end, days.
    pub min_rul_high_days: Option<f64>,
    /// When its health was last computed.
    pub computed_at: DateTime<Utc>,
}

/// Vehicles needing attention, lowest score first.
pub async fn attention(
    pool: &PgPool,
    f: Filter<'_>,
    limit: i64,
) -> Result<Vec<AttentionVehicle>, sqlx::Error> {
    f.scoped(
        "SELECT vehicle_id, org_id, overall_score, overall_band, worst_component, worst_band,
                min_rul_days, min_rul_low_days, min_rul_high_days, computed_at
         FROM metric_vehicles
         WHERE attention AND ($1::text IS NULL OR org_id = $1) AND ($2::text[] IS NULL OR vehicle_id = ANY($2))
         ORDER BY overall_score, vehicle_id LIMIT $3",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}
