//! The ground truth of the realistic extras, written beside the default fields (which
//! keep their meaning, so old readers still work).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::law::Law;
use super::params::RealismParams;
use super::sensor::SensorFault;
use super::state::{FaultState, RealState, ServiceEvent};
use super::vehicle::{Climate, Realism, RunsHot};
use crate::degradation::{Component, Criterion, Degradation, FailureMode, WHEELS};
use crate::profile::VehicleKind;

fn ts(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or_default()
}

/// The run's realism: the switches on and the parameters drawn from.
#[derive(Debug, Clone, Serialize)]
pub struct RealismRunTruth {
    /// The features on.
    pub features: Vec<&'static str>,
    /// The distributions.
    pub params: RealismParams,
}

/// One realistic fault, as it went.
#[derive(Debug, Clone, Serialize)]
pub struct FaultTruth {
    /// Component.
    pub component: Component,
    /// Mode.
    pub mode: FailureMode,
    /// Law family and parameters.
    pub law: Law,
    /// Onset (estimated from the entry wear when the fault predates the run).
    pub onset_at: DateTime<Utc>,
    /// Whether the fault started before the run (the vehicle entered degraded).
    pub degraded_at_entry: bool,
    /// Wear at entry (fraction of the wear to failure).
    pub wear_at_entry: f64,
    /// Onset→failure span at the profile's typical use, days.
    pub span_days_at_typical_use: f64,
    /// Whether wear followed use (else calendar time).
    pub usage_driven: bool,
    /// When the physical limit was crossed (wear 1), if inside the run.
    pub failure_at: Option<DateTime<Utc>>,
    /// Whether it failed inside the run.
    pub fails_within_run: bool,
    /// Wear at the end of the run (or at repair).
    pub final_wear: f64,
    /// When it was repaired (corrective or preventive), if it was.
    pub repaired_at: Option<DateTime<Utc>>,
    /// The physical failure definition.
    pub criterion: Criterion,
    /// Trouble codes near failure.
    pub dtcs: Vec<String>,
    /// The leaking wheel of a tire leak.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wheel: Option<&'static str>,
}

/// Everything realistic about one vehicle.
#[derive(Debug, Clone, Serialize)]
pub struct VehicleRealismTruth {
    /// Model variant (absent without `variants`).
    pub model: Option<&'static str>,
    /// Whether a healthy heavy-duty truck runs hot, and how much.
    pub runs_hot: Option<RunsHot>,
    /// Seasons, weather event and altitude.
    pub climate: Option<Climate>,
    /// Component faults.
    pub faults: Vec<FaultTruth>,
    /// Services and repairs, in time order.
    pub services: Vec<ServiceTruth>,
    /// Sensor faults (not component faults).
    pub sensor_faults: Vec<SensorFaultTruth>,
}

/// A service or repair.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceTruth {
    /// When.
    pub at: DateTime<Utc>,
    /// Component reset.
    pub component: Component,
    /// `corrective_repair`, `preventive_repair` or `routine_service`.
    pub kind: &'static str,
    /// The fault repaired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<FailureMode>,
}

/// A sensor fault.
#[derive(Debug, Clone, Serialize)]
pub struct SensorFaultTruth {
    /// The fault.
    #[serde(flatten)]
    pub fault: SensorFault,
    /// Start.
    pub from_at: DateTime<Utc>,
    /// End.
    pub to_at: DateTime<Utc>,
}

fn fault_truth(f: &FaultState, kind: VehicleKind, usage: bool, end: i64) -> FaultTruth {
    let fault = &f.fault;
    FaultTruth {
        component: fault.mode.component(),
        mode: fault.mode,
        law: fault.law,
        onset_at: ts(fault.onset),
        degraded_at_entry: fault.wear_at_start > 0.0,
        wear_at_entry: fault.wear_at_start,
        span_days_at_typical_use: fault.span_days,
        usage_driven: usage,
        failure_at: f.failed_at.filter(|t| *t < end).map(ts),
        fails_within_run: f.failed_at.is_some_and(|t| t < end),
        final_wear: f.wear,
        repaired_at: f.repaired_at.map(ts),
        criterion: fault.mode.criterion(),
        dtcs: fault.mode.dtc_names(kind),
        wheel: (fault.mode == FailureMode::TireSlowLeak).then(|| WHEELS[fault.wheel]),
    }
}

/// The truth of `r` after its vehicle (of `kind`) ran to `end` leaving `state`.
pub fn vehicle_truth(
    r: &Realism,
    state: Option<&RealState>,
    kind: VehicleKind,
    end: i64,
) -> VehicleRealismTruth {
    let faults = state.map_or_else(Vec::new, |s| {
        s.faults
            .iter()
            .map(|f| fault_truth(f, kind, r.usage, end))
            .collect()
    });
    let services = state.map_or_else(Vec::new, |s| {
        s.log
            .iter()
            .map(|e: &ServiceEvent| ServiceTruth {
                at: ts(e.at),
                component: e.component,
                kind: e.kind,
                mode: e.mode,
            })
            .collect()
    });
    VehicleRealismTruth {
        model: r.variant.map(|v| v.model),
        runs_hot: r.runs_hot,
        climate: r.climate,
        faults,
        services,
        sensor_faults: r
            .sensor_faults
            .iter()
            .map(|f| SensorFaultTruth {
                fault: *f,
                from_at: ts(f.from),
                to_at: ts(f.to),
            })
            .collect(),
    }
}

/// The default-profile view of a realistic vehicle's first fault (the first to fail,
/// else the first), for readers of the `degradation` field: its failure instant is
/// the real one, or, when it did not fail inside the run, extrapolated from the wear
/// rate seen in the run (or the typical-use span when no wear accrued).
pub fn legacy_degradation(state: &RealState, start: i64, end: i64) -> Option<Degradation> {
    let f = state
        .faults
        .iter()
        .filter(|f| f.failed_at.is_some_and(|t| t < end))
        .min_by_key(|f| f.failed_at)
        .or_else(|| state.faults.first())?;
    let failure = f.failed_at.unwrap_or_else(|| {
        let from = f.fault.onset.max(start);
        let rate = (f.wear - f.fault.wear_at_start) / (end - from).max(1) as f64;
        if rate > 0.0 && f.repaired_at.is_none() {
            end + ((1.0 - f.wear).max(0.0) / rate) as i64
        } else {
            f.fault.onset + (f.fault.span_days * 86_400.0) as i64
        }
    });
    Some(Degradation {
        mode: f.fault.mode,
        onset: f.fault.onset,
        failure: failure.max(f.fault.onset + 1),
        wheel: f.fault.wheel,
    })
}
