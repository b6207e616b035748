//! Every event payload, grouped by producing domain, and the [`catalog`] of all event
//! types with their JSON Schemas.

pub mod agent;
pub mod alert;
pub mod audit;
pub mod health;
pub mod odometer;
pub mod scheduling;
pub mod stream_reading;
pub mod telemetry;
pub mod warranty;

pub use agent::{
    CostRange, DecisionMade, Disposition, Escalation, Severity, UrgencyWindow, WorkerAgent,
};
pub use alert::{
    AckVia, AlertAcknowledged, AlertCreated, AlertEscalated, AlertKind, AlertResolved,
    AlertSeverity, Channel, EscalationTarget,
};
pub use audit::{RequestActor, RequestOutcome, RequestRecorded};
pub use health::{
    ChangeReason, Component, ComponentCritical, ComponentDegraded, ComponentHealth,
    ComponentUnknown, Factor, HealthBand, HealthChanged, HealthComputed,
};
pub use odometer::{Counter, CounterAnomalyKind, CounterReading, OdometerAnomaly};
pub use scheduling::{
    AppointmentCancelled, AppointmentCompleted, AppointmentKind, AppointmentProposed,
    AppointmentScheduled, OptionLabel, PartUsed, SlotOption, TechnicianAssigned,
};
pub use telemetry::{OwnershipTransferred, Problem, TelemetryReceived, TelemetryRejected};
pub use warranty::{
    ClaimRejected, ClaimSubmitted, ClaimValidated, Coverage, FraudDetected, FraudSignal,
    FraudSignalKind, Money,
};

use crate::envelope::{Event, EventEnvelope};

/// One event type: its wire name, payload version and the JSON Schema of its envelope.
#[derive(Debug, Clone)]
pub struct EventInfo {
    /// Wire name, e.g. `vehicle.telemetry.received`.
    pub event_type: &'static str,
    /// Payload schema version.
    pub version: u32,
    /// JSON Schema of `EventEnvelope<payload>`, with `event_type` and `schema_version`
    /// pinned to this type's values.
    pub schema: schemars::Schema,
}

impl EventInfo {
    /// Describes the event type `E`.
    pub fn of<E: Event>() -> Self {
        let mut schema = schemars::schema_for!(EventEnvelope<E>);
        schema.insert(
            "title".to_owned(),
            format!("{} v{}", E::TYPE, E::VERSION).into(),
        );
        if let Some(prop) = schema.pointer_mut("/properties/event_type") {
            prop["const"] = E::TYPE.into();
        }
        if let Some(prop) = schema.pointer_mut("/properties/schema_version") {
            prop["const"] = E::VERSION.into();
        }
        Self {
            event_type: E::TYPE,
            version: E::VERSION,
            schema,
        }
    }

    /// File name of the exported schema: `<event_type>.v<version>.schema.json`.
    pub fn schema_file_name(&self) -> String {
        format!("{}.v{}.schema.json", self.event_type, self.version)
    }
}

/// Every event type on the bus, in the order of the design's event table.
pub fn catalog() -> Vec<EventInfo> {
    vec![
        EventInfo::of::<TelemetryReceived>(),
        EventInfo::of::<TelemetryRejected>(),
        EventInfo::of::<OwnershipTransferred>(),
        EventInfo::of::<HealthComputed>(),
        EventInfo::of::<HealthChanged>(),
        EventInfo::of::<ComponentDegraded>(),
        EventInfo::of::<ComponentCritical>(),
        EventInfo::of::<OdometerAnomaly>(),
        EventInfo::of::<DecisionMade>(),
        EventInfo::of::<Escalation>(),
        EventInfo::of::<AlertCreated>(),
        EventInfo::of::<AlertAcknowledged>(),
        EventInfo::of::<AlertEscalated>(),
        EventInfo::of::<AlertResolved>(),
        EventInfo::of::<AppointmentProposed>(),
        EventInfo::of::<AppointmentScheduled>(),
        EventInfo::of::<AppointmentCancelled>(),
        EventInfo::of::<AppointmentCompleted>(),
        EventInfo::of::<TechnicianAssigned>(),
        EventInfo::of::<ClaimSubmitted>(),
        EventInfo::of::<ClaimValidated>(),
        EventInfo::of::<ClaimRejected>(),
        EventInfo::of::<FraudDetected>(),
        EventInfo::of::<RequestRecorded>(),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::{TimeZone, Utc};
    use serde_json::json;
    use uuid::Uuid;

    use super::*;
    use crate::envelope::{DecodeError, RawEnvelope};

    fn escalation_envelope() -> EventEnvelope<Escalation> {
        let at = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
        EventEnvelope::new(
            "agent",
            Uuid::now_v7(),
            Escalation {
                decision_id: Uuid::now_v7(),
                org_id: "org-midwest-freight".to_owned(),
                vehicle_id: "truck-042".to_owned(),
                component: Component::Dpf,
                severity: Severity::High,
                reason: "confidence 0.55 below 0.70".to_owned(),
                confidence: 0.55,
                escalated_at: at,
                overdue: false,
            },
        )
        .at(at)
    }

    fn raw(value: &serde_json::Value) -> RawEnvelope {
        serde_json::from_str(&value.to_string()).unwrap()
    }

    #[test]
    fn decode_round_trips() {
        let env = escalation_envelope();
        let raw = raw(&serde_json::to_value(&env).unwrap());
        assert_eq!(raw.decode::<Escalation>().unwrap(), env);
    }

    #[test]
    fn decode_rejects_another_type() {
        let raw = raw(&serde_json::to_value(escalation_envelope()).unwrap());
        let err = raw.decode::<DecisionMade>().unwrap_err();
        match &err {
            DecodeError::WrongType { expected, actual } => {
                assert_eq!(*expected, "agent.decision.made");
                assert_eq!(actual, "agent.escalation");
            }
            DecodeError::Payload { .. } => panic!("expected WrongType, got {err:?}"),
        }
        assert_eq!(
            err.to_string(),
            "event type is agent.escalation, expected agent.decision.made"
        );
    }

    #[test]
    fn decode_rejects_a_mismatched_payload() {
        let mut value = serde_json::to_value(escalation_envelope()).unwrap();
        // A required field missing, and one with the wrong type.
        value["payload"]
            .as_object_mut()
            .unwrap()
            .remove("decision_id");
        let missing = raw(&value).decode::<Escalation>().unwrap_err();
        value["payload"]["decision_id"] = json!(Uuid::nil());
        value["payload"]["confidence"] = json!("high");
        let wrong_type = raw(&value).decode::<Escalation>().unwrap_err();
        value["payload"]["confidence"] = json!(0.55);
        value["payload"]["component"] = json!("flux_capacitor");
        let bad_variant = raw(&value).decode::<Escalation>().unwrap_err();

        for (err, needle) in [
            (missing, "decision_id"),
            (wrong_type, "invalid type"),
            (bad_variant, "flux_capacitor"),
        ] {
            match &err {
                DecodeError::Payload { event_type, source } => {
                    assert_eq!(event_type, "agent.escalation");
                    assert!(source.to_string().contains(needle), "{source}");
                }
                DecodeError::WrongType { .. } => panic!("expected Payload, got {err:?}"),
            }
            assert!(err.to_string().starts_with("payload of agent.escalation"));
        }
    }

    #[test]
    fn catalog_is_complete_and_unique() {
        let catalog = catalog();
        let names: BTreeSet<_> = catalog.iter().map(|e| e.event_type).collect();
        assert_eq!(names.len(), catalog.len(), "duplicate event type");
        assert_eq!(catalog.len(), 24);
        for info in &catalog {
            assert_eq!(
                info.schema.pointer("/properties/event_type/const"),
                Some(&json!(info.event_type))
            );
            assert_eq!(
                info.schema.pointer("/properties/schema_version/const"),
                Some(&json!(info.version))
            );
        }
    }
}
