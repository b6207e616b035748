//! A case: what the agent decides on, whichever event (or request) brought it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_schemas::events::{
    ChangeReason, Component, ComponentCritical, ComponentDegraded, ComponentHealth, Factor,
    HealthBand, HealthChanged,
};
use shared_schemas::telemetry::Dtc;
use utoipa::ToSchema;
use uuid::Uuid;

/// What triggered a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// `component.degraded`.
    Degraded,
    /// `component.critical`.
    Critical,
    /// `vehicle.health.changed`.
    Changed,
    /// A person or service asked (`POST /v1/orchestrate`).
    Manual,
    /// A person's review overrode a decision (`POST /v1/reviews/{id}/override`).
    Review,
}

impl Trigger {
    /// The wire name (the event type for events).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Degraded => "component.degraded",
            Self::Critical => "component.critical",
            Self::Changed => "vehicle.health.changed",
            Self::Manual => "manual",
            Self::Review => "review",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Degraded,
            Self::Critical,
            Self::Changed,
            Self::Manual,
            Self::Review,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// Where the component's health in a case came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HealthSource {
    /// The triggering event carried it (score, RUL, factors).
    Event,
    /// Fetched from the health service (the event carried no factors).
    HealthService,
    /// Only what the event or request said: the health service could not be reached.
    Unavailable {
        /// Why.
        reason: String,
    },
}

/// Everything the diagnosers see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Case {
    /// The triggering event's id (or the manual request's id): one decision per id.
    pub trigger_event_id: Uuid,
    /// What triggered it.
    pub trigger: Trigger,
    /// Correlation id of the flow.
    pub correlation_id: Uuid,
    /// Organization of the vehicle.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// The component.
    pub component: Component,
    /// Health score now, 0..1, when known.
    pub score: Option<f64>,
    /// Health band now, when known.
    pub band: Option<HealthBand>,
    /// Band before a change (changed events).
    pub previous_band: Option<HealthBand>,
    /// Score before a change (changed events).
    pub previous_score: Option<f64>,
    /// Why a change was significant (changed events): `band_crossed`, `score_dropped`.
    #[schema(value_type = Option<String>)]
    pub change_reason: Option<ChangeReason>,
    /// Remaining useful life, days; `None` when unknown (manual request with the health
    /// service down).
    pub rul_days: Option<f64>,
    /// Remaining useful life, km.
    pub rul_km: Option<f64>,
    /// The 80 % interval of `rul_days`, days, when the health engine gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rul_interval_days: Option<[f64; 2]>,
    /// The health engine's confidence, 0..1.
    pub health_confidence: Option<f64>,
    /// Indicators behind the score, most influential first.
    pub factors: Vec<Factor>,
    /// Active trouble codes.
    pub dtcs: Vec<Dtc>,
    /// Odometer, km.
    pub odometer_km: Option<f64>,
    /// Recent distance per day, km.
    pub daily_km: Option<f64>,
    /// When the condition was detected.
    pub detected_at: DateTime<Utc>,
    /// Where the health data came from.
    pub health_source: HealthSource,
    /// Free text from a manual request.
    pub note: Option<String>,
}

impl Case {
    fn condition(
        trigger: Trigger,
        event_id: Uuid,
        correlation_id: Uuid,
        e: ComponentDegraded,
    ) -> Self {
        let daily_km = shared_schemas::urgency::implied_daily_km(e.rul_days, e.rul_km);
        Self {
            trigger_event_id: event_id,
            trigger,
            correlation_id,
            org_id: e.org_id,
            vehicle_id: e.vehicle_id,
            component: e.component,
            score: Some(e.score),
            band: Some(e.band),
            previous_band: None,
            previous_score: None,
            change_reason: None,
            rul_days: Some(e.rul_days),
            rul_km: e.rul_km,
            rul_interval_days: e.rul_interval_days,
            health_confidence: Some(e.confidence),
            factors: e.factors,
            dtcs: e.dtcs,
            odometer_km: e.odometer_km,
            daily_km,
            detected_at: e.detected_at,
            health_source: HealthSource::Event,
            note: None,
        }
    }

    /// The case of a `component.degraded` event.
    pub fn degraded(event_id: Uuid, correlation_id: Uuid, e: ComponentDegraded) -> Self {
        Self::condition(Trigger::Degraded, event_id, correlation_id, e)
    }

    /// The case of a `component.critical` event.
    pub fn critical(event_id: Uuid, correlation_id: Uuid, e: ComponentCritical) -> Self {
        Self::condition(
            Trigger::Critical,
            event_id,
            correlation_id,
            ComponentDegraded::from(e),
        )
    }

    /// The case of a `vehicle.health.changed` event (no factors yet: the worker fetches
    /// them from the health service).
    pub fn changed(event_id: Uuid, correlation_id: Uuid, e: HealthChanged) -> Self {
        Self {
            trigger_event_id: event_id,
            trigger: Trigger::Changed,
            correlation_id,
            org_id: e.org_id,
            vehicle_id: e.vehicle_id,
            component: e.component,
            score: Some(e.current_score),
            band: Some(e.current_band),
            previous_band: Some(e.previous_band),
            previous_score: Some(e.previous_score),
            change_reason: Some(e.reason),
            rul_days: Some(e.rul_days),
            rul_km: None,
            rul_interval_days: None,
            health_confidence: None,
            factors: Vec::new(),
            dtcs: Vec::new(),
            odometer_km: None,
            daily_km: None,
            detected_at: e.detected_at,
            health_source: HealthSource::Unavailable {
                reason: "not fetched yet".to_owned(),
            },
            note: None,
        }
    }

    /// Whether the change is an improvement (the band went up).
    pub fn improved(&self) -> bool {
        matches!((self.previous_band, self.band), (Some(p), Some(b)) if b < p)
    }

    /// Whether health data beyond the event is needed (changed events, manual requests)
    /// and not fetched yet.
    pub fn needs_health(&self) -> bool {
        matches!(self.trigger, Trigger::Changed | Trigger::Manual)
            && self.health_source != HealthSource::HealthService
    }

    /// Completes the case with the component's current health from the health service.
    pub fn enrich(&mut self, h: &ComponentHealth, daily_km: Option<f64>, odometer_km: Option<f64>) {
        // The event's score and band describe the change that triggered it; keep them and
        // take what the event lacks.
        if self.score.is_none() {
            self.score = Some(h.score);
            self.band = Some(h.band);
        }
        if self.trigger == Trigger::Manual || self.rul_days.is_none() {
            self.rul_days = Some(h.rul_days);
        }
        // The interval belongs to the health service's RUL: kept only when that is the
        // case's RUL too.
        if self.rul_days == Some(h.rul_days) {
            self.rul_interval_days = h.rul_interval_days;
        }
        self.rul_km = h.rul_km;
        self.health_confidence = Some(h.confidence);
        self.factors.clone_from(&h.factors);
        self.daily_km = daily_km.or(self.daily_km);
        self.odometer_km = odometer_km.or(self.odometer_km);
        self.health_source = HealthSource::HealthService;
    }
}

pub use shared_schemas::events::health::{change_is_covered, degraded_is_covered};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_follows_the_health_trackers_rules() {
        use HealthBand::{Critical, Excellent, Fair, Good, Poor};
        assert!(change_is_covered(Fair, Poor));
        assert!(change_is_covered(Good, Critical));
        assert!(change_is_covered(Poor, Critical));
        assert!(!change_is_covered(Excellent, Good));
        assert!(!change_is_covered(Good, Fair));
        assert!(!change_is_covered(Poor, Poor), "a drop within poor");
        assert!(!change_is_covered(Critical, Poor), "an improvement");
        assert!(degraded_is_covered(Critical));
        assert!(!degraded_is_covered(Poor));
    }
}
