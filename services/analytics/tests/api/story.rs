//! A known fleet story published as events, for the metrics and reports tests: what
//! each figure must be is worked out in the comments.

use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use shared_schemas::events::{
    AckVia, AlertAcknowledged, AlertCreated, AlertEscalated, AlertKind, AlertSeverity,
    AppointmentCancelled, AppointmentCompleted, AppointmentKind, AppointmentProposed,
    AppointmentScheduled, ChangeReason, ClaimRejected, ClaimSubmitted, ClaimValidated, Component,
    ComponentCritical, ComponentDegraded, ComponentHealth, CostRange, Coverage, DecisionMade,
    Disposition, Escalation, EscalationTarget, FraudDetected, HealthBand, HealthChanged,
    HealthComputed, Money, Severity, UrgencyWindow, WorkerAgent,
};
use shared_schemas::{Event, EventEnvelope};
use uuid::Uuid;

use crate::helpers::TestApp;

pub(crate) const GROUP: &str = "analytics-metrics";

fn env<P: Event>(p: P) -> EventEnvelope<P> {
    EventEnvelope::new("test", Uuid::now_v7(), p)
}

/// The story's "now", one instant for all of it (so the durations are exact), whole
/// seconds (as the database keeps them to the microsecond).
static NOW: LazyLock<DateTime<Utc>> = LazyLock::new(|| {
    let now = Utc::now();
    now - chrono::Duration::nanoseconds(i64::from(now.timestamp_subsec_nanos()))
});

fn hours(h: i64) -> DateTime<Utc> {
    *NOW - chrono::Duration::hours(h)
}

fn part(component: Component, score: f64) -> ComponentHealth {
    ComponentHealth {
        component,
        score,
        band: HealthBand::from_score(score),
        rul_days: score * 100.0,
        rul_km: None,
        rul_interval_days: None,
        confidence: 0.9,
        factors: Vec::new(),
        model_version: "test".to_owned(),
    }
}

/// An assessment whose overall score is its worst component's.
pub(crate) fn computed(
    org: &str,
    vehicle: &str,
    at: DateTime<Utc>,
    parts: &[(Component, f64)],
) -> HealthComputed {
    let components: Vec<_> = parts.iter().map(|(c, s)| part(*c, *s)).collect();
    let overall = parts.iter().map(|p| p.1).fold(1.0, f64::min);
    HealthComputed {
        org_id: org.to_owned(),
        vehicle_id: vehicle.to_owned(),
        computed_at: at,
        components,
        unknown: Vec::new(),
        overall_score: overall,
        overall_band: HealthBand::from_score(overall),
    }
}

fn condition(
    vehicle: &str,
    component: Component,
    score: f64,
    rul_days: f64,
    at: DateTime<Utc>,
) -> ComponentDegraded {
    ComponentDegraded {
        org_id: "acme".to_owned(),
        vehicle_id: vehicle.to_owned(),
        component,
        score,
        band: HealthBand::from_score(score),
        rul_days,
        rul_km: None,
        rul_interval_days: None,
        confidence: 0.9,
        factors: Vec::new(),
        dtcs: Vec::new(),
        odometer_km: None,
        detected_at: at,
    }
}

pub(crate) fn alert(
    org: &str,
    vehicle: &str,
    severity: AlertSeverity,
    at: DateTime<Utc>,
) -> AlertCreated {
    AlertCreated {
        alert_id: Uuid::now_v7(),
        org_id: org.to_owned(),
        vehicle_id: vehicle.to_owned(),
        kind: AlertKind::Decision,
        component: Some(Component::Dpf),
        severity,
        title: "t".to_owned(),
        message: "m".to_owned(),
        channels: Vec::new(),
        decision_id: None,
        created_at: at,
    }
}

fn ack(a: &AlertCreated, at: DateTime<Utc>) -> AlertAcknowledged {
    AlertAcknowledged {
        alert_id: a.alert_id,
        org_id: a.org_id.clone(),
        vehicle_id: a.vehicle_id.clone(),
        acknowledged_by: "u".to_owned(),
        via: AckVia::Rest,
        acknowledged_at: at,
    }
}

fn decision(
    vehicle: &str,
    component: Component,
    severity: Severity,
    fallback: bool,
    cost: (f64, f64),
    at: DateTime<Utc>,
) -> DecisionMade {
    DecisionMade {
        decision_id: Uuid::now_v7(),
        org_id: "acme".to_owned(),
        vehicle_id: vehicle.to_owned(),
        component,
        diagnosis: "d".to_owned(),
        severity,
        disposition: Disposition::Alert,
        urgency: UrgencyWindow { within_days: 3 },
        recommended_actions: Vec::new(),
        estimated_cost: CostRange {
            min: cost.0,
            max: cost.1,
            currency: "USD".to_owned(),
        },
        confidence: 0.8,
        reasoning: "r".to_owned(),
        agent: WorkerAgent::Generic,
        provider: "rules".to_owned(),
        model: "rules-v1".to_owned(),
        fallback_used: fallback,
        latency_ms: 1,
        tokens_in: 0,
        tokens_out: 0,
        cost_usd: 0.01,
        decided_at: at,
        supersedes: None,
    }
}

/// Publishes the story (organization `acme`: vehicles v1, v2, v3; `globex`: g1) and
/// waits until the metrics consumers caught up.
pub(crate) async fn publish(app: &TestApp) {
    health(app).await;
    alerts(app).await;
    decisions_and_episodes(app).await;
    service(app).await;
    let mut types: Vec<&str> = analytics::events::metrics::EVENT_TYPES.to_vec();
    types.push(analytics::events::metrics::HEALTH_TYPE);
    app.wait_caught_up(GROUP, &types, Duration::from_secs(30))
        .await;
}

/// Now: v1 excellent (0.9), v2 fair (0.5), v3 critical (0.1), g1 good (0.7); v1 was
/// poor (0.3) a day ago. acme over 7 days: 4 vehicle-days observed, 1 critical.
async fn health(app: &TestApp) {
    app.publish(&[
        env(computed(
            "acme",
            "v1",
            hours(24),
            &[(Component::Battery, 0.3)],
        )),
        env(computed(
            "acme",
            "v1",
            hours(0),
            &[(Component::Battery, 0.9), (Component::Cooling, 0.95)],
        )),
        env(computed(
            "acme",
            "v2",
            hours(0),
            &[(Component::Dpf, 0.5), (Component::Tires, 0.8)],
        )),
        env(computed(
            "acme",
            "v3",
            hours(0),
            &[(Component::Brakes, 0.1)],
        )),
        env(computed(
            "globex",
            "g1",
            hours(0),
            &[(Component::Brakes, 0.7)],
        )),
    ])
    .await;
}

/// acme: a critical alert acknowledged after 1 h, a warning after 2 h, an info one
/// open and escalated once (on v1); globex: one warning.
async fn alerts(app: &TestApp) {
    let a1 = alert("acme", "v2", AlertSeverity::Critical, hours(2));
    let a2 = alert("acme", "v3", AlertSeverity::Warning, hours(3));
    let a3 = alert("acme", "v1", AlertSeverity::Info, hours(1));
    let g = alert("globex", "g1", AlertSeverity::Warning, hours(1));
    // The acknowledgements first: each stream is ordered, not the streams together.
    app.publish(&[env(ack(&a1, hours(1))), env(ack(&a2, hours(1)))])
        .await;
    app.publish(&[env(a1), env(a2), env(a3.clone()), env(g)])
        .await;
    app.publish(&[env(AlertEscalated {
        alert_id: a3.alert_id,
        org_id: "acme".to_owned(),
        vehicle_id: "v1".to_owned(),
        level: 1,
        target: EscalationTarget::FleetManager,
        escalated_to: "fm".to_owned(),
        channels: Vec::new(),
        escalated_at: hours(0),
    })])
    .await;
}

/// Decisions: 3, one by the fallback (rate 1/3), one escalated. Episodes begun in the
/// window: v3 brakes predicted with 4 days of RUL, failed 4 days later (lead 4 d, RUL
/// error 0), v2 dpf predicted then repaired (avoided; its decision estimated 200-400
/// USD: 300), v1 battery failed unpredicted, v1 cooling recovered, v2 tires open.
async fn decisions_and_episodes(app: &TestApp) {
    let d1 = decision(
        "v2",
        Component::Dpf,
        Severity::High,
        true,
        (200.0, 400.0),
        hours(48),
    );
    let d2 = decision(
        "v3",
        Component::Brakes,
        Severity::Critical,
        false,
        (100.0, 300.0),
        hours(20),
    );
    let d3 = decision(
        "v1",
        Component::Battery,
        Severity::Low,
        false,
        (0.0, 0.0),
        hours(10),
    );
    app.publish(&[env(Escalation {
        decision_id: d1.decision_id,
        org_id: "acme".to_owned(),
        vehicle_id: "v2".to_owned(),
        component: Component::Dpf,
        severity: Severity::High,
        reason: "confidence".to_owned(),
        confidence: 0.6,
        escalated_at: hours(48),
        overdue: false,
    })])
    .await;
    app.publish(&[env(d1), env(d2), env(d3)]).await;
    app.publish(&[
        env(condition("v3", Component::Brakes, 0.3, 4.0, hours(24 * 5))),
        env(condition("v2", Component::Dpf, 0.35, 20.0, hours(24 * 3))),
        env(condition(
            "v1",
            Component::Cooling,
            0.38,
            30.0,
            hours(24 * 4),
        )),
        env(condition("v2", Component::Tires, 0.39, 40.0, hours(24))),
    ])
    .await;
    app.publish(&[
        env(ComponentCritical::from(condition(
            "v3",
            Component::Brakes,
            0.1,
            0.0,
            hours(24),
        ))),
        env(ComponentCritical::from(condition(
            "v1",
            Component::Battery,
            0.1,
            0.0,
            hours(48),
        ))),
    ])
    .await;
    app.publish(&[env(HealthChanged {
        org_id: "acme".to_owned(),
        vehicle_id: "v1".to_owned(),
        component: Component::Cooling,
        previous_score: 0.38,
        previous_band: HealthBand::Poor,
        current_score: 0.7,
        current_band: HealthBand::Good,
        rul_days: 90.0,
        reason: ChangeReason::BandCrossed,
        detected_at: hours(48),
    })])
    .await;
}

/// Scheduling: a proposal, an appointment of 3 h completed on v2's DPF, one cancelled.
/// Warranty: 3 claims submitted, 1 approved (500), 1 rejected, 1 flagged.
async fn service(app: &TestApp) {
    let center = Uuid::now_v7();
    let (ap1, ap2) = (Uuid::now_v7(), Uuid::now_v7());
    app.publish(&[env(AppointmentProposed {
        proposal_id: Uuid::now_v7(),
        org_id: "acme".to_owned(),
        vehicle_id: "v2".to_owned(),
        decision_id: None,
        component: Some(Component::Dpf),
        kind: AppointmentKind::ComponentRepair,
        options: Vec::new(),
        proposed_at: hours(60),
    })])
    .await;
    let scheduled = |id, vehicle: &str, starts: i64, ends: i64| AppointmentScheduled {
        appointment_id: id,
        org_id: "acme".to_owned(),
        vehicle_id: vehicle.to_owned(),
        proposal_id: None,
        decision_id: None,
        component: Some(Component::Dpf),
        kind: AppointmentKind::ComponentRepair,
        center_id: center,
        center_name: "Main".to_owned(),
        starts_at: hours(starts),
        ends_at: hours(ends),
        auto_booked: false,
        technician_id: None,
        center_address: None,
        sequence: 0,
    };
    app.publish(&[
        env(scheduled(ap1, "v2", 27, 24)),
        env(scheduled(ap2, "v3", 2, 1)),
    ])
    .await;
    app.publish(&[env(AppointmentCompleted {
        appointment_id: ap1,
        org_id: "acme".to_owned(),
        vehicle_id: "v2".to_owned(),
        center_id: center,
        technician_id: None,
        components_serviced: vec![Component::Dpf],
        parts_replaced: Vec::new(),
        work_summary: "DPF cleaned".to_owned(),
        odometer_km: None,
        completed_at: hours(24),
    })])
    .await;
    app.publish(&[env(AppointmentCancelled {
        appointment_id: ap2,
        org_id: "acme".to_owned(),
        vehicle_id: "v3".to_owned(),
        cancelled_by: None,
        reason: "r".to_owned(),
        no_show: false,
        cancelled_at: hours(1),
    })])
    .await;
    claims(app).await;
}

async fn claims(app: &TestApp) {
    let submitted = |vehicle: &str| ClaimSubmitted {
        claim_id: Uuid::now_v7(),
        org_id: "acme".to_owned(),
        vehicle_id: vehicle.to_owned(),
        vin: "VIN".to_owned(),
        component: Component::Transmission,
        failure_date: hours(72).date_naive(),
        odometer_km: 1000.0,
        description: "d".to_owned(),
        cost_estimate: Money {
            amount: 900.0,
            currency: "USD".to_owned(),
        },
        document_count: 1,
        submitted_by: "u".to_owned(),
        submitted_at: hours(48),
    };
    let (c1, c2, c3) = (submitted("v1"), submitted("v2"), submitted("v3"));
    app.publish(&[env(c1.clone()), env(c2.clone()), env(c3.clone())])
        .await;
    app.publish(&[env(ClaimValidated {
        claim_id: c1.claim_id,
        org_id: "acme".to_owned(),
        vehicle_id: "v1".to_owned(),
        component: Component::Transmission,
        coverage: Coverage::Powertrain,
        approved_amount: Some(Money {
            amount: 500.0,
            currency: "USD".to_owned(),
        }),
        fraud_score: 0.1,
        confidence: 0.95,
        auto_approved: true,
        reviewed_by: None,
        validated_at: hours(24),
    })])
    .await;
    app.publish(&[env(ClaimRejected {
        claim_id: c2.claim_id,
        org_id: "acme".to_owned(),
        vehicle_id: "v2".to_owned(),
        component: Component::Transmission,
        reasons: vec!["expired".to_owned()],
        fraud_score: None,
        reviewed_by: None,
        rejected_at: hours(24),
    })])
    .await;
    app.publish(&[env(FraudDetected {
        claim_id: c3.claim_id,
        org_id: "acme".to_owned(),
        vehicle_id: "v3".to_owned(),
        fraud_score: 0.8,
        confidence: 0.9,
        signals: Vec::new(),
        detected_at: hours(24),
    })])
    .await;
}

/// Publishes the health assessments again (a redelivery) and waits.
pub(crate) async fn republish_health(app: &TestApp) {
    health(app).await;
    app.wait_caught_up(
        GROUP,
        &[analytics::events::metrics::HEALTH_TYPE],
        Duration::from_secs(30),
    )
    .await;
}
