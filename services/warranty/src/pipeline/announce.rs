//! The events a claim's life announces, written to the outbox in the caller's
//! transaction: `warranty.claim.submitted`, `.validated`, `.rejected` and
//! `warranty.fraud.detected`.

use chrono::Utc;
use shared_runtime::outbox;
use shared_schemas::events::{
    ClaimRejected, ClaimSubmitted, ClaimValidated, FraudDetected, FraudSignal, Money,
};
use shared_schemas::{Event, EventEnvelope};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::model::{Assessment, Claim};

/// Producer name on the service's events.
pub const PRODUCER: &str = "warranty";

async fn enqueue<P: Event>(conn: &mut PgConnection, flow: Uuid, payload: P) -> anyhow::Result<()> {
    let envelope = EventEnvelope::new(PRODUCER, flow, payload);
    outbox::enqueue(conn, &envelope).await?;
    metrics::counter!("warranty_events_published_total", "event_type" => P::TYPE).increment(1);
    Ok(())
}

/// `warranty.claim.submitted`.
pub async fn submitted(
    conn: &mut PgConnection,
    flow: Uuid,
    c: &Claim,
    document_count: usize,
) -> anyhow::Result<()> {
    let payload = ClaimSubmitted {
        claim_id: c.id,
        org_id: c.org_id.clone(),
        vehicle_id: c.vehicle_id.clone(),
        vin: c.vin.clone(),
        component: c.component,
        failure_date: c.failure_date,
        odometer_km: c.odometer_km,
        description: c.description.clone(),
        cost_estimate: Money {
            amount: c.cost.total(),
            currency: c.cost.currency.clone(),
        },
        document_count: u32::try_from(document_count).unwrap_or(u32::MAX),
        submitted_by: c.submitted_by.clone(),
        submitted_at: c.submitted_at,
    };
    enqueue(conn, flow, payload).await
}

/// `warranty.claim.validated`: approved, automatically or by `reviewed_by`.
pub async fn validated(
    conn: &mut PgConnection,
    flow: Uuid,
    c: &Claim,
    a: &Assessment,
    approved_amount: Option<f64>,
    reviewed_by: Option<&str>,
) -> anyhow::Result<()> {
    let Some(coverage) = a.eligibility.coverage else {
        anyhow::bail!("claim {} approved without a coverage", c.id);
    };
    let payload = ClaimValidated {
        claim_id: c.id,
        org_id: c.org_id.clone(),
        vehicle_id: c.vehicle_id.clone(),
        component: c.component,
        coverage,
        approved_amount: approved_amount.map(|amount| Money {
            amount,
            currency: c.cost.currency.clone(),
        }),
        fraud_score: a.score,
        confidence: a.confidence,
        auto_approved: reviewed_by.is_none(),
        reviewed_by: reviewed_by.map(str::to_owned),
        validated_at: Utc::now(),
    };
    enqueue(conn, flow, payload).await
}

/// `warranty.claim.rejected` with its reasons.
pub async fn rejected(
    conn: &mut PgConnection,
    flow: Uuid,
    c: &Claim,
    reasons: Vec<String>,
    fraud_score: Option<f64>,
    reviewed_by: Option<&str>,
) -> anyhow::Result<()> {
    let payload = ClaimRejected {
        claim_id: c.id,
        org_id: c.org_id.clone(),
        vehicle_id: c.vehicle_id.clone(),
        component: c.component,
        reasons,
        fraud_score,
        reviewed_by: reviewed_by.map(str::to_owned),
        rejected_at: Utc::now(),
    };
    enqueue(conn, flow, payload).await
}

/// `warranty.fraud.detected`: the score calls for a person to look.
pub async fn fraud_detected(
    conn: &mut PgConnection,
    flow: Uuid,
    c: &Claim,
    a: &Assessment,
) -> anyhow::Result<()> {
    let payload = FraudDetected {
        claim_id: c.id,
        org_id: c.org_id.clone(),
        vehicle_id: c.vehicle_id.clone(),
        fraud_score: a.score,
        confidence: a.confidence,
        signals: a
            .signals
            .iter()
            .map(|s| FraudSignal {
                kind: s.kind,
                weight: s.weight,
                detail: s.explanation.clone(),
            })
            .collect(),
        detected_at: Utc::now(),
    };
    enqueue(conn, flow, payload).await
}
