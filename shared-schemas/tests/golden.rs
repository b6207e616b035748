//! Golden-JSON tests: one hand-written, fully populated envelope per event type in
//! `tests/golden/<event_type>.v<version>.json`.
//!
//! Each fixture must deserialize into its typed envelope and serialize back to the same
//! JSON value, so renaming or removing a field, or changing an enum's spelling, fails
//! here. A deliberate breaking change bumps the payload's `VERSION` and adds a new
//! fixture; an added field is added to the fixture.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::fs;
use std::path::Path;

use serde_json::{Value, json};
use shared_schemas::events::{self, *};
use shared_schemas::telemetry::TelemetryReading;
use shared_schemas::{Event, EventEnvelope, RawEnvelope};

fn read_fixture(name: &str) -> (String, Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("fixture {name} is not valid JSON: {e}"));
    (text, value)
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("a Value serializes")
}

/// Property names of the payload type declared in the envelope schema of `T`.
fn payload_properties<T: Event>() -> BTreeSet<String> {
    let info = events::catalog()
        .into_iter()
        .find(|i| i.event_type == T::TYPE)
        .unwrap_or_else(|| panic!("{} is not in the catalog", T::TYPE));
    let reference = info
        .schema
        .pointer("/properties/payload/$ref")
        .and_then(Value::as_str)
        .expect("payload is a $ref")
        .to_owned();
    let pointer = reference.trim_start_matches('#').to_owned() + "/properties";
    info.schema
        .pointer(&pointer)
        .and_then(Value::as_object)
        .expect("payload schema has properties")
        .keys()
        .cloned()
        .collect()
}

fn check<T: Event + PartialEq + Debug>() {
    let name = format!("{}.v{}.json", T::TYPE, T::VERSION);
    let (text, fixture) = read_fixture(&name);

    assert_eq!(fixture["event_type"], json!(T::TYPE), "{name}: event_type");
    assert_eq!(
        fixture["schema_version"],
        json!(T::VERSION),
        "{name}: schema_version"
    );

    // The fixture is fully populated: every payload field of the schema is present.
    let present: BTreeSet<String> = fixture["payload"]
        .as_object()
        .expect("payload is an object")
        .keys()
        .cloned()
        .collect();
    let missing: Vec<_> = payload_properties::<T>()
        .difference(&present)
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "{name}: payload omits fields {missing:?}"
    );

    // (a) Typed round trip gives back exactly the fixture.
    let typed: EventEnvelope<T> = serde_json::from_value(fixture.clone())
        .unwrap_or_else(|e| panic!("{name} does not deserialize: {e}"));
    assert_eq!(
        typed.vehicle_id,
        typed.payload.vehicle_id(),
        "{name}: vehicle_id"
    );
    let back = serde_json::to_value(&typed).expect("the envelope serializes");
    assert!(
        back == fixture,
        "{name}: re-serialized JSON differs from the fixture\n--- fixture\n{}\n--- re-serialized\n{}",
        pretty(&fixture),
        pretty(&back)
    );

    // (b) A consumer reading the raw envelope first decodes the same value.
    let raw: RawEnvelope =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: not a RawEnvelope: {e}"));
    assert_eq!(raw.event_type, T::TYPE);
    assert_eq!(
        raw.decode::<T>()
            .unwrap_or_else(|e| panic!("{name}: decode failed: {e}")),
        typed,
        "{name}: RawEnvelope::decode"
    );

    // (c) Unknown fields in envelope and payload are ignored.
    let mut extended = fixture;
    extended["x_added_later"] = json!({ "nested": [1, 2, 3] });
    extended["payload"]["x_added_later"] = json!("ignored");
    let typed_ext: EventEnvelope<T> = serde_json::from_value(extended.clone())
        .unwrap_or_else(|e| panic!("{name}: unknown fields are not ignored: {e}"));
    assert_eq!(typed_ext, typed, "{name}: unknown fields changed the value");
    let raw_ext: RawEnvelope = serde_json::from_value(extended)
        .unwrap_or_else(|e| panic!("{name}: raw, unknown fields: {e}"));
    assert_eq!(
        raw_ext
            .decode::<T>()
            .unwrap_or_else(|e| panic!("{name}: raw decode, unknown fields: {e}")),
        typed,
        "{name}: raw, unknown fields"
    );
}

macro_rules! golden {
    ($($test:ident => $ty:ty,)*) => {
        $(
            #[test]
            fn $test() {
                check::<$ty>();
            }
        )*

        /// Event types with a golden test above.
        const COVERED: &[&str] = &[$(<$ty as Event>::TYPE,)*];
    };
}

golden! {
    telemetry_received => TelemetryReceived,
    telemetry_rejected => TelemetryRejected,
    ownership_transferred => OwnershipTransferred,
    health_computed => HealthComputed,
    health_changed => HealthChanged,
    component_degraded => ComponentDegraded,
    component_critical => ComponentCritical,
    odometer_anomaly => OdometerAnomaly,
    decision_made => DecisionMade,
    escalation => Escalation,
    alert_created => AlertCreated,
    alert_acknowledged => AlertAcknowledged,
    alert_escalated => AlertEscalated,
    alert_resolved => AlertResolved,
    appointment_proposed => AppointmentProposed,
    appointment_scheduled => AppointmentScheduled,
    appointment_cancelled => AppointmentCancelled,
    appointment_completed => AppointmentCompleted,
    technician_assigned => TechnicianAssigned,
    claim_submitted => ClaimSubmitted,
    claim_validated => ClaimValidated,
    claim_rejected => ClaimRejected,
    fraud_detected => FraudDetected,
    request_recorded => RequestRecorded,
}

#[test]
fn every_catalog_event_has_a_golden_test() {
    let covered: BTreeSet<&str> = COVERED.iter().copied().collect();
    let catalog: BTreeSet<&str> = events::catalog().iter().map(|i| i.event_type).collect();
    assert_eq!(covered, catalog);
}

#[test]
fn telemetry_reading_canonical_form() {
    let (_, fixture) = read_fixture("telemetry_reading.json");
    let reading: TelemetryReading = serde_json::from_value(fixture.clone()).unwrap();
    assert_eq!(reading.dtcs.len(), 3);
    assert!(reading.location.is_some());
    let back = serde_json::to_value(&reading).unwrap();
    assert!(
        back == fixture,
        "telemetry_reading.json: re-serialized JSON differs\n--- fixture\n{}\n--- re-serialized\n{}",
        pretty(&fixture),
        pretty(&back)
    );

    // The reading travels inside events: unknown fields are ignored, not refused
    // (ingestion warns the sender about them).
    let mut extended = fixture;
    extended["x_unknown"] = json!(1);
    extended["location"]["x_alt"] = json!(35);
    assert_eq!(
        serde_json::from_value::<TelemetryReading>(extended).unwrap(),
        reading
    );
}

/// v1 of `vehicle.telemetry.received` (signals by name) is still read, as the same event
/// v2 carries with codes: entries written before the upgrade stay in the streams.
#[test]
fn telemetry_received_v1_is_still_read() {
    let (_, v1) = read_fixture("vehicle.telemetry.received.v1.json");
    let (_, v2) = read_fixture("vehicle.telemetry.received.v2.json");
    let old: EventEnvelope<TelemetryReceived> = serde_json::from_value(v1).unwrap();
    let new: EventEnvelope<TelemetryReceived> = serde_json::from_value(v2).unwrap();
    assert_eq!(old.payload, new.payload);
    assert_eq!(old.payload.reading.signals["coolant_temp_c"], 92.5);
}

/// Stream signal codes are catalog positions (ADR 0027): the committed list is every
/// code given out, so reordering or removing a signal fails here, and a new one must be
/// appended to the list (and the catalog's end).
#[test]
fn signal_codes_only_grow() {
    let (_, file) = read_fixture("signal-codes.json");
    let committed: Vec<&str> = file["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let catalog: Vec<&str> = shared_schemas::signals::SIGNALS
        .iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(
        catalog, committed,
        "the catalog must be the committed codes, in order, with new signals appended to both"
    );
}
