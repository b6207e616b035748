//! Which events an assessment makes: one `vehicle.health.changed` per significant
//! change, `component.degraded` / `component.critical` per crossing (quoting the
//! component's health and the newest reading's DTCs and odometer), and the
//! `vehicle.health.computed` snapshot.

use chrono::{DateTime, Utc};
use models::health::rul::RUL_CAP_DAYS;
use models::health::{Assessment, Transition};
use serde::Serialize;
use shared_schemas::events::{
    ChangeReason, Component, ComponentCritical, ComponentDegraded, ComponentHealth,
    ComponentUnknown, HealthBand, HealthChanged, HealthComputed, OdometerAnomaly,
};
use shared_schemas::telemetry::Dtc;
use utoipa::ToSchema;

use crate::domain::position::Position;

/// The newest reading's facts that condition events quote (and the REST view shows).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Latest {
    /// Active DTCs.
    pub dtcs: Vec<Dtc>,
    /// Odometer, km.
    pub odometer_km: Option<f64>,
    /// Engine hours, h.
    pub engine_hours: Option<f64>,
    /// The newest GPS fix (of the newest reading that had one).
    pub position: Option<Position>,
}

/// An event to publish.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// `vehicle.health.changed`.
    Changed(HealthChanged),
    /// `component.degraded`.
    Degraded(ComponentDegraded),
    /// `component.critical`.
    Critical(ComponentCritical),
    /// `vehicle.health.computed`.
    Computed(HealthComputed),
    /// `vehicle.odometer.anomaly`.
    Odometer(OdometerAnomaly),
}

/// The events of `transitions`, made by `assessment` of `vehicle_id`.
pub fn transition_events(
    org_id: &str,
    vehicle_id: &str,
    assessment: &Assessment,
    transitions: &[Transition],
    latest: &Latest,
) -> Vec<Outgoing> {
    transitions
        .iter()
        .filter_map(|t| match *t {
            Transition::Changed { component, .. } => t
                .changed_event(
                    org_id,
                    vehicle_id,
                    assessment
                        .component(component)
                        .map_or(RUL_CAP_DAYS, |h| h.rul_days),
                    assessment.at,
                )
                .map(Outgoing::Changed),
            Transition::Degraded(c) => assessment.component(c).map(|h| {
                let e = condition(org_id, vehicle_id, h, latest, assessment.at);
                Outgoing::Degraded(e)
            }),
            Transition::Critical(c) => assessment.component(c).map(|h| {
                let e: ComponentDegraded = condition(org_id, vehicle_id, h, latest, assessment.at);
                Outgoing::Critical(ComponentCritical::from(e))
            }),
        })
        .collect()
}

fn condition(
    org_id: &str,
    vehicle_id: &str,
    h: &ComponentHealth,
    latest: &Latest,
    at: DateTime<Utc>,
) -> ComponentDegraded {
    ComponentDegraded::of(
        org_id,
        vehicle_id,
        h,
        latest.dtcs.clone(),
        latest.odometer_km,
        at,
    )
}

/// The `vehicle.health.computed` snapshot of an assessment.
pub fn computed(
    org_id: &str,
    vehicle_id: &str,
    computed_at: DateTime<Utc>,
    components: Vec<ComponentHealth>,
    unknown: Vec<ComponentUnknown>,
    overall_score: f64,
    overall_band: HealthBand,
) -> HealthComputed {
    HealthComputed {
        org_id: org_id.to_owned(),
        vehicle_id: vehicle_id.to_owned(),
        computed_at,
        components,
        unknown,
        overall_score,
        overall_band,
    }
}

/// What kind of transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    /// A significant change (`vehicle.health.changed`).
    Changed,
    /// Crossed into the poor band or worse (`component.degraded`).
    Degraded,
    /// Crossed into the critical band (`component.critical`).
    Critical,
}

/// A transition as the API reports it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TransitionView {
    /// Kind.
    pub kind: TransitionKind,
    /// Component.
    pub component: Component,
    /// Band reported before (changes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_band: Option<HealthBand>,
    /// Score reported before (changes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_score: Option<f64>,
    /// Band reported now (changes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_band: Option<HealthBand>,
    /// Score now (changes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_score: Option<f64>,
    /// Why the change is significant: `band_crossed` or `score_dropped` (changes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub reason: Option<ChangeReason>,
}

impl From<&Transition> for TransitionView {
    fn from(t: &Transition) -> Self {
        let bare = |kind, component| Self {
            kind,
            component,
            previous_band: None,
            previous_score: None,
            current_band: None,
            current_score: None,
            reason: None,
        };
        match *t {
            Transition::Changed {
                component,
                previous,
                current,
                reason,
            } => Self {
                previous_band: Some(previous.band),
                previous_score: Some(previous.score),
                current_band: Some(current.band),
                current_score: Some(current.score),
                reason: Some(reason),
                ..bare(TransitionKind::Changed, component)
            },
            Transition::Degraded(c) => bare(TransitionKind::Degraded, c),
            Transition::Critical(c) => bare(TransitionKind::Critical, c),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use models::health::tracker::Reported;
    use shared_schemas::events::Factor;

    use super::*;

    fn health(component: Component, score: f64) -> ComponentHealth {
        ComponentHealth {
            component,
            score,
            band: HealthBand::from_score(score),
            rul_days: 9.5,
            rul_km: Some(950.0),
            rul_interval_days: None,
            confidence: 0.8,
            factors: vec![Factor {
                name: "soot".to_owned(),
                value: 1.0,
                impact: -0.5,
                detail: "d".to_owned(),
                ..Factor::default()
            }],
            model_version: "m1".to_owned(),
        }
    }

    #[test]
    fn a_jump_to_critical_makes_changed_degraded_and_critical() {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let a = Assessment {
            at,
            components: vec![health(Component::Dpf, 0.1)],
            overall_score: 0.1,
            overall_band: HealthBand::Critical,
            unknown: Vec::new(),
            daily_km: Some(100.0),
            anomalies: Vec::new(),
            erratic: Vec::new(),
        };
        let mut reported = Reported::default();
        let transitions = a.transitions(&mut reported);
        let latest = Latest {
            dtcs: vec![Dtc::Obd {
                code: "P2463".to_owned(),
            }],
            odometer_km: Some(1234.5),
            ..Latest::default()
        };
        let events = transition_events("acme", "V1", &a, &transitions, &latest);
        assert_eq!(events.len(), 3, "{events:?}");
        let Outgoing::Changed(c) = &events[0] else {
            panic!("{events:?}")
        };
        assert_eq!(
            (c.previous_band, c.current_band),
            (HealthBand::Excellent, HealthBand::Critical)
        );
        assert_eq!(c.rul_days, 9.5);
        assert_eq!(c.detected_at, at);
        let Outgoing::Degraded(d) = &events[1] else {
            panic!("{events:?}")
        };
        assert_eq!(d.odometer_km, Some(1234.5));
        assert_eq!(d.dtcs.len(), 1);
        assert_eq!(d.factors[0].name, "soot");
        assert!(matches!(&events[2], Outgoing::Critical(c) if c.rul_km == Some(950.0)));
        let views: Vec<TransitionView> = transitions.iter().map(Into::into).collect();
        assert_eq!(views[0].kind, TransitionKind::Changed);
        assert_eq!(views[2].kind, TransitionKind::Critical);
    }
}
