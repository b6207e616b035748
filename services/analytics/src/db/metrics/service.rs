//! Scheduling and warranty facts: proposals, appointments and claims, each folded into
//! its row whichever of its events comes first.

use shared_schemas::events::{AppointmentScheduled, ClaimSubmitted, ClaimValidated};
use sqlx::PgConnection;

use super::record::Key;

/// `appointment.scheduled`.
pub async fn scheduled(
    tx: &mut PgConnection,
    key: Key<'_>,
    a: &AppointmentScheduled,
) -> Result<(), sqlx::Error> {
    let kind = serde_json::to_value(a.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned));
    key.query(
        "INSERT INTO metric_appointments (appointment_id, org_id, vehicle_id, kind, auto_booked, starts_at, ends_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (appointment_id) DO UPDATE SET kind = $4, auto_booked = $5, starts_at = $6, ends_at = $7",
    )
    .bind(kind)
    .bind(a.auto_booked)
    .bind(a.starts_at)
    .bind(a.ends_at)
    .execute(tx)
    .await?;
    Ok(())
}

/// `warranty.claim.submitted`.
pub async fn claim_submitted(
    tx: &mut PgConnection,
    key: Key<'_>,
    c: &ClaimSubmitted,
) -> Result<(), sqlx::Error> {
    key.query(
        "INSERT INTO metric_claims (claim_id, org_id, vehicle_id, component, submitted_at, cost_estimate, currency)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (claim_id) DO UPDATE SET component = $4, submitted_at = $5, cost_estimate = $6, currency = $7",
    )
    .bind(c.component.as_str())
    .bind(c.submitted_at)
    .bind(c.cost_estimate.amount)
    .bind(&c.cost_estimate.currency)
    .execute(tx)
    .await?;
    Ok(())
}

/// `warranty.claim.validated` (approved).
pub async fn claim_validated(
    tx: &mut PgConnection,
    key: Key<'_>,
    c: &ClaimValidated,
) -> Result<(), sqlx::Error> {
    key.query(
        "INSERT INTO metric_claims (claim_id, org_id, vehicle_id, component, validated_at, approved_amount, auto_approved)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (claim_id) DO UPDATE SET validated_at = $5, approved_amount = $6, auto_approved = $7",
    )
    .bind(c.component.as_str())
    .bind(c.validated_at)
    .bind(c.approved_amount.as_ref().map(|m| m.amount))
    .bind(c.auto_approved)
    .execute(tx)
    .await?;
    Ok(())
}
