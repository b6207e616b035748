//! One vehicle through the engine and the agent's rules, and its truth.

use std::collections::{BTreeMap, BTreeSet};

use chrono::DateTime;
use fleetsim::degradation::FailureMode;
use fleetsim::profile::VehicleKind;
use fleetsim::realism::{Profile, RealismArgs, RealismConfig, vehicle_truth};
use fleetsim::sample::DTC_TABLE;
use fleetsim::simulate::{VehicleSim, build_realistic_fleet};
use fleetsim::vehicle::Vehicle;
use serde::{Deserialize, Serialize};
use shared_schemas::events::health::{change_is_covered, degraded_is_covered};
use shared_schemas::events::{Component, ComponentHealth, Factor, HealthBand, Severity};
use shared_schemas::telemetry::Dtc;
use shared_schemas::urgency::{implied_daily_km, rule_band, urgency_days};

use super::event::{DecidedEvent, HealthEvent};
use crate::fleet::FleetSpec;
use models::health::rul::RUL_CAP_DAYS;
use models::health::{Assessment, Engine, Transition, VehicleState};

const DAY: f64 = 86_400.0;
/// Simulated seconds between two RUL observations of one component.
const RUL_CHECK_EVERY_S: i64 = 6 * 3600;

/// A fleet to replay: the default fleet of `fleet`, given the realism of `realism`
/// (none: the default profile).
#[derive(Debug, Clone)]
pub struct RealisticSpec {
    /// Size, span, seed, cadence.
    pub fleet: FleetSpec,
    /// The realistic profile's switches and distributions.
    pub realism: RealismConfig,
}

impl RealisticSpec {
    /// The fleet `detection-bench --profile realistic` replays: every realism feature
    /// on, evaluation distributions, 30 % degraded, assessed every 15 minutes.
    pub fn realistic(seed: u64, vehicles: u32, days: u32) -> anyhow::Result<Self> {
        let fleet = FleetSpec {
            vehicles,
            days,
            seed,
            degrade_fraction: 0.3,
            assess_every_s: 15 * 60,
            interval_s: 60,
        };
        let realism = RealismArgs {
            profile: Profile::Realistic,
            ..RealismArgs::default()
        }
        .config()?;
        Ok(Self { fleet, realism })
    }

    /// The vehicles.
    pub fn vehicles(&self) -> Vec<Vehicle> {
        let f = &self.fleet;
        build_realistic_fleet(
            f.vehicles,
            &f.sim_config(),
            f.degrade_fraction,
            &self.realism,
        )
    }
}

/// A component fault as it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultEpisode {
    /// The component.
    pub component: Component,
    /// fleetsim's failure mode.
    pub mode: String,
    /// Onset, Unix seconds (estimated when the vehicle entered degraded).
    pub onset: i64,
    /// When the component crossed its failure limit, if inside the run.
    pub failure: Option<i64>,
    /// When it was repaired, if it was.
    pub repaired: Option<i64>,
}

impl FaultEpisode {
    /// Whether the fault is present at `t`: begun and not yet repaired.
    pub fn active_at(&self, t: i64) -> bool {
        self.onset <= t && self.repaired.is_none_or(|r| t < r)
    }

    /// Days from `t` to the failure (0 once failed), when it failed inside the run.
    pub fn days_left(&self, t: i64) -> Option<f64> {
        self.failure.map(|f| ((f - t) as f64 / DAY).max(0.0))
    }

    /// Days the part lasted at least after `t` when it did not fail inside the run
    /// (until its repair, or the run's `end`).
    pub fn days_left_at_least(&self, t: i64, end: i64) -> f64 {
        (self.repaired.unwrap_or(end).min(end) - t) as f64 / DAY
    }
}

/// The decision the agent's rules take on one health event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// When, Unix seconds.
    pub at: i64,
    /// The component the event names.
    pub component: Component,
    /// The rule severity: the urgency band of the RUL (critical past the limit).
    pub severity: Severity,
    /// The deadline to act, Unix seconds.
    pub act_by: i64,
    /// An alternative deadline, measured beside the rules': a day before the low end
    /// of the RUL's 80 % interval (the rules' deadline without an interval, or for a
    /// part past its limit).
    pub act_by_interval: i64,
    /// Whether it is a warning to people: a crossing into poor or critical, a severity
    /// of medium or more, or a trend the engine finds abnormal (else the agent only
    /// records it, ADR 0010).
    pub warns: bool,
    /// Whether a part past its limit made it critical, whatever the RUL.
    pub past_limit: bool,
}

/// A RUL the engine gave for a component while it found it degrading or poor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RulCheck {
    /// When.
    pub at: i64,
    /// The component.
    pub component: Component,
    /// Predicted days to failure.
    pub predicted: f64,
    /// The 80 % interval, if the engine gave one.
    pub interval: Option<[f64; 2]>,
    /// Degrading: an abnormal trend and a RUL short of the horizon.
    pub degrading: bool,
    /// Reported poor or critical.
    pub poor: bool,
}

/// What the pipeline made of one vehicle, and its truth.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VehicleReplay {
    /// The vehicle.
    pub vehicle_id: String,
    /// Readings applied.
    pub readings: u64,
    /// Its component faults (empty: a healthy vehicle).
    pub faults: Vec<FaultEpisode>,
    /// Every `component.degraded`.
    pub degraded: Vec<(i64, Component)>,
    /// Every decision, in time order.
    pub decisions: Vec<Decision>,
    /// The event each decision was taken on (same order), as the agent receives it.
    pub events: Vec<DecidedEvent>,
    /// The first trouble code of each component since its last service: the alarm a
    /// fleet without prognosis gets.
    pub codes: Vec<(i64, Component)>,
    /// RULs while degrading or poor, every 6 simulated hours per component at most.
    pub rul_checks: Vec<RulCheck>,
}

impl VehicleReplay {
    /// The fault of `c` present at `t`, if any.
    pub fn fault_at(&self, c: Component, t: i64) -> Option<&FaultEpisode> {
        self.faults
            .iter()
            .find(|f| f.component == c && f.active_at(t))
    }

    /// The RULs given while a part that fails inside the run degraded, each with the
    /// true days to its failure: what intervals are calibrated and scored on.
    pub fn degrading_ruls(&self) -> impl Iterator<Item = (&RulCheck, f64)> {
        self.rul_checks
            .iter()
            .filter(|c| c.degrading)
            .filter_map(|c| {
                let f = self.fault_at(c.component, c.at)?;
                f.failure.filter(|t| *t > c.at)?;
                Some((c, f.days_left(c.at)?))
            })
    }
}

/// Replays every vehicle of `spec` on `threads` threads; results in vehicle order.
pub fn replay_fleet(engine: &Engine, spec: &RealisticSpec, threads: usize) -> Vec<VehicleReplay> {
    let fleet = spec.vehicles();
    crate::parallel::map_in_order(&fleet, threads, |v| replay_vehicle(engine, v.clone(), spec))
}

/// Replays one vehicle.
pub fn replay_vehicle(engine: &Engine, vehicle: Vehicle, spec: &RealisticSpec) -> VehicleReplay {
    let cfg = spec.fleet.sim_config();
    let code_components = code_components(vehicle.kind);
    let mut sim = VehicleSim::new(vehicle.clone(), cfg);
    let mut state = VehicleState::new();
    let mut out = VehicleReplay {
        vehicle_id: vehicle.id.clone(),
        readings: 0,
        faults: Vec::new(),
        degraded: Vec::new(),
        decisions: Vec::new(),
        events: Vec::new(),
        codes: Vec::new(),
        rul_checks: Vec::new(),
    };
    let mut coded = BTreeSet::new();
    let mut next_check: BTreeMap<Component, i64> = BTreeMap::new();
    let (mut serviced, mut next_assessment) = (0, i64::MIN);
    while let Some(sample) = sim.next() {
        // Services the simulator performed up to this reading (it plans a day ahead).
        let log = sim.real_state().map_or(&[][..], |s| &s.log[..]);
        for e in log[serviced..].iter().take_while(|e| e.at <= sample.t) {
            let at = DateTime::from_timestamp(e.at, 0).unwrap_or_default();
            state.service(e.component, at, &format!("service-{serviced}"));
            coded.remove(&e.component);
            serviced += 1;
        }
        for (bit, c) in code_components.iter().enumerate() {
            if let Some(c) = c
                && sample.dtcs & (1 << bit) != 0
                && coded.insert(*c)
            {
                out.codes.push((sample.t, *c));
            }
        }
        state.apply(&sample.to_reading(&vehicle, cfg.seed));
        out.readings += 1;
        if sample.t < next_assessment {
            continue;
        }
        next_assessment = sample.t + spec.fleet.assess_every_s;
        let Some(a) = engine.assess(&state) else {
            continue;
        };
        observe_ruls(&a, sample.t, &mut next_check, &mut out.rul_checks);
        for t in a.transitions(&mut state.head.reported) {
            if let Transition::Degraded(c) = t {
                out.degraded.push((sample.t, c));
            }
            if let Some((h, raised)) = decided_on(&a, &t) {
                out.decisions.push(decide(sample.t, h, raised));
                let dtcs = active_codes(sample.dtcs);
                let event = HealthEvent::of(&t, &vehicle.id, h, dtcs, sample.t);
                out.events.push(DecidedEvent {
                    event,
                    health: h.clone(),
                    daily_km: a.daily_km,
                });
            }
        }
    }
    out.faults = faults_of(&vehicle, &sim, spec);
    out
}

/// The component health the agent decides on for transition `t`, and whether it is a
/// crossing into poor or critical; none for an event another event of the same
/// transition covers (the agent decides once per transition).
fn decided_on<'a>(a: &'a Assessment, t: &Transition) -> Option<(&'a ComponentHealth, bool)> {
    match *t {
        Transition::Degraded(c) => a
            .component(c)
            .filter(|h| !degraded_is_covered(h.band))
            .map(|h| (h, true)),
        Transition::Critical(c) => a.component(c).map(|h| (h, true)),
        Transition::Changed {
            component,
            previous,
            current,
            ..
        } => {
            if change_is_covered(previous.band, current.band) {
                None
            } else {
                a.component(component).map(|h| (h, false))
            }
        }
    }
}

/// The agent's rule decision on an event about `h` at `t` (`raised`: a crossing into
/// poor or critical rather than a change within a band).
fn decide(t: i64, h: &ComponentHealth, raised: bool) -> Decision {
    let band = rule_band(
        h.rul_days,
        implied_daily_km(h.rul_days, h.rul_km),
        max_damage(h),
    );
    let within = urgency_days(band.severity, band.effective_days);
    let abnormal = h.factors.iter().any(|f| f.abnormal == Some(true));
    let act_by = t + i64::from(within) * 86_400;
    Decision {
        at: t,
        component: h.component,
        severity: band.severity,
        act_by,
        act_by_interval: match h.rul_interval_days {
            Some([low, _]) if !band.past_limit => t + ((low - 1.0).max(0.0) * 86_400.0) as i64,
            _ => act_by,
        },
        warns: raised || band.severity >= Severity::Medium || abnormal,
        past_limit: band.past_limit,
    }
}

/// The worst damage of a part the event reports, as the agent reads its evidence.
fn max_damage(h: &ComponentHealth) -> Option<f64> {
    h.factors
        .iter()
        .filter_map(Factor::part_damage)
        .max_by(f64::total_cmp)
}

/// Records the RUL of each component the engine finds degrading or poor.
fn observe_ruls(
    a: &Assessment,
    t: i64,
    next: &mut BTreeMap<Component, i64>,
    out: &mut Vec<RulCheck>,
) {
    for h in &a.components {
        let degrading =
            h.rul_days < RUL_CAP_DAYS && h.factors.iter().any(|f| f.abnormal == Some(true));
        let poor = h.band >= HealthBand::Poor;
        let due = next.get(&h.component).is_none_or(|n| t >= *n);
        if (degrading || poor) && due {
            next.insert(h.component, t + RUL_CHECK_EVERY_S);
            out.push(RulCheck {
                at: t,
                component: h.component,
                predicted: h.rul_days,
                interval: h.rul_interval_days,
                degrading,
                poor,
            });
        }
    }
}

/// The trouble codes of the bits set in `mask`.
fn active_codes(mask: u16) -> Vec<Dtc> {
    (0..DTC_TABLE.len())
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| DTC_TABLE[i].to_dtc())
        .collect()
}

/// The component of each trouble-code bit a vehicle of `kind` can raise.
fn code_components(kind: VehicleKind) -> [Option<Component>; 16] {
    let mut out = [None; 16];
    for mode in FailureMode::ALL {
        let mask = mode.dtc_mask_at(f64::INFINITY, kind);
        for (bit, slot) in out.iter_mut().enumerate() {
            if mask & (1 << bit) != 0 {
                slot.get_or_insert(mode.component());
            }
        }
    }
    out
}

/// The truth of a vehicle the replay ran to the end.
fn faults_of(vehicle: &Vehicle, sim: &VehicleSim, spec: &RealisticSpec) -> Vec<FaultEpisode> {
    let end = spec.fleet.sim_config().end;
    let Some(r) = vehicle.realism.as_deref() else {
        return vehicle
            .degradation
            .iter()
            .map(|d| FaultEpisode {
                component: d.mode.component(),
                mode: d.mode.as_str().to_owned(),
                onset: d.onset,
                failure: (d.failure < end).then_some(d.failure),
                repaired: None,
            })
            .collect();
    };
    vehicle_truth(r, sim.real_state(), vehicle.kind, end)
        .faults
        .iter()
        .map(|f| FaultEpisode {
            component: f.component,
            mode: f.mode.as_str().to_owned(),
            onset: f.onset_at.timestamp(),
            failure: f.failure_at.map(|t| t.timestamp()),
            repaired: f.repaired_at.map(|t| t.timestamp()),
        })
        .collect()
}
