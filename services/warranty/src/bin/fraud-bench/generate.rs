//! The labelled claim set: a simulated fleet, each vehicle's telemetry replayed through
//! the health engine, and one claim per vehicle, legitimate or fraudulent by a pattern
//! drawn up front. The claim and the records are all the scorer sees; the labels and
//! the patterns stay here.

use chrono::{DateTime, Days, NaiveDate};
use fleetsim::degradation::FailureMode;
use fleetsim::odometer::{OdometerFault, OdometerFaultKind};
use fleetsim::simulate::{SimConfig, build_fleet};
use fleetsim::vehicle::Vehicle;
use models::health::Engine;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use shared_schemas::events::Component;
use warranty::domain::model::{Claim, Eligibility, PastClaim, VehicleRecord};

use crate::build::{self, Draft, Owner};
use crate::timeline::{self, Timeline};

/// Ground truth of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Label {
    /// A genuine, covered failure.
    Legit,
    /// A genuine failure the owner was warned about and ignored.
    Negligent,
    /// Fraud.
    Fraud,
}

/// One generated claim with what the service would gather and the truth.
#[derive(Debug, Clone)]
pub(crate) struct Labelled {
    /// The claim.
    pub(crate) claim: Claim,
    /// Its coverage.
    pub(crate) eligibility: Eligibility,
    /// The vehicle's record.
    pub(crate) record: VehicleRecord,
    /// Earlier claims of the VIN from before the simulated window.
    pub(crate) prior: Vec<PastClaim>,
    /// Truth.
    pub(crate) label: Label,
    /// Pattern name.
    pub(crate) pattern: &'static str,
}

/// The fleet and claim-set settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    /// Seed.
    pub(crate) seed: u64,
    /// Claims wanted (one vehicle each; degraded vehicles that do not fail in the run
    /// give none).
    pub(crate) claims: usize,
    /// Simulated days.
    pub(crate) days: u32,
    /// Worker threads for the replay.
    pub(crate) threads: usize,
    /// Seconds between a vehicle's readings.
    pub(crate) interval_s: u32,
}

/// Patterns of claims on vehicles without a degradation.
const STAGED: [&str; 9] = [
    "legit_sudden",
    "fraud_repeat",
    "fraud_near_start",
    "fraud_near_end",
    "fraud_no_prior_degradation",
    "fraud_bad_shop",
    "fraud_regional_ring",
    "fraud_near_duplicate",
    "fraud_odometer_rollback",
];
/// Share of healthy vehicles given a genuine sudden failure (the rest stage fraud).
const SUDDEN_SHARE: f64 = 0.4;

/// Generates the labelled claims, oldest failure first, and the shops they went to.
pub(crate) fn generate(spec: &Spec, engine: &Engine) -> (build::World, Vec<Labelled>) {
    let vehicles = ((spec.claims as f64 / 0.9).ceil() as u32).max(4);
    let end = 1_767_225_600; // 2026-01-01T00:00:00Z, so a seed always gives one fleet
    let cfg = SimConfig {
        start: end - i64::from(spec.days) * 86_400,
        end,
        interval_s: spec.interval_s,
        seed: spec.seed,
    };
    let mut rng = SmallRng::seed_from_u64(spec.seed ^ 0x636c_6169_6d73);
    let mut fleet = build_fleet(vehicles, &cfg, 0.65);
    let patterns = assign_patterns(&mut rng, &mut fleet, &cfg);
    let mut world = build::World::new(&mut rng, cfg);
    let plans: Vec<Option<Plan>> = fleet
        .iter_mut()
        .zip(patterns)
        .map(|(v, pattern)| plan(&mut world, v, &cfg, pattern))
        .collect();
    let timelines = replay_all(engine, &fleet, cfg, spec.threads);
    let mut out = Vec::new();
    for ((v, t), plan) in fleet.iter().zip(&timelines).zip(plans) {
        if let Some(p) = plan {
            out.push(claim_for(&mut world, v, t, p));
        }
    }
    out.truncate(spec.claims);
    build::copy_claims(&mut world, &mut out);
    out.sort_by_key(|c| (c.claim.failure_date, c.claim.id));
    (world, out)
}

/// Draws each vehicle's pattern; rollback fraudsters get their odometer wound back and
/// a few honest vehicles a replaced cluster (a reset), so an anomaly alone proves
/// nothing.
fn assign_patterns(
    rng: &mut SmallRng,
    fleet: &mut [Vehicle],
    cfg: &SimConfig,
) -> Vec<&'static str> {
    fleet
        .iter_mut()
        .map(|v| {
            if v.degradation.is_some() {
                return degraded_pattern(rng);
            }
            let p = if rng.random_bool(SUDDEN_SHARE) {
                STAGED[0]
            } else {
                STAGED[rng.random_range(1..STAGED.len())]
            };
            let kind = match p {
                "fraud_odometer_rollback" => Some(OdometerFaultKind::Rollback),
                _ if rng.random_bool(0.06) => Some(OdometerFaultKind::Reset),
                _ => None,
            };
            v.odometer_fault =
                kind.map(|k| OdometerFault::draw(rng, k, cfg.start, cfg.end - 20 * 86_400));
            p
        })
        .collect()
}

fn degraded_pattern(rng: &mut SmallRng) -> &'static str {
    match rng.random_range(0..100) {
        0..60 => "legit_degraded",
        60..73 => "legit_near_expiry",
        73..83 => "negligent",
        83..92 => "fraud_inflated_labour",
        _ => "fraud_wrong_parts",
    }
}

/// A vehicle's claim before its telemetry exists: the component, the failure day and
/// the pattern.
#[derive(Debug, Clone, Copy)]
struct Plan {
    component: Component,
    day: NaiveDate,
    pattern: &'static str,
}

/// Plans the claim of `v` under `pattern` (none when the failure falls after the run)
/// and takes the vehicle off the road for the repair: genuine failures mostly stop it
/// (a few are fixed on the spot), staged ones rarely (a careful fraudster parks it).
fn plan(
    world: &mut build::World,
    v: &mut Vehicle,
    cfg: &SimConfig,
    pattern: &'static str,
) -> Option<Plan> {
    let start = DateTime::from_timestamp(cfg.start, 0)?.date_naive();
    let last = DateTime::from_timestamp(cfg.end, 0)?.date_naive() - Days::new(3);
    let r = &mut world.rng;
    let (component, day) = match v.degradation {
        Some(d) => {
            let failed = DateTime::from_timestamp(d.failure, 0)?.date_naive();
            (d.mode.component(), failed + Days::new(r.random_range(0..3)))
        }
        None => {
            let from = start + Days::new(20);
            let span = (last - from).num_days();
            let day = if pattern == "fraud_regional_ring" {
                world.ring_day + Days::new(r.random_range(0..21))
            } else {
                from + Days::new(r.random_range(0..span.max(1)) as u64)
            };
            (staged_component(r, v, pattern), day)
        }
    };
    if day >= last {
        return None; // fails after the run: no claim yet
    }
    let genuine = v.degradation.is_some() || pattern == "legit_sudden";
    if r.random_bool(if genuine { 0.8 } else { 0.15 }) {
        let at = day.and_hms_opt(0, 0, 0)?.and_utc().timestamp() + r.random_range(6..20) * 3600;
        v.off_road = Some((at, at + r.random_range(86_400..4 * 86_400)));
    }
    Some(Plan {
        component,
        day,
        pattern,
    })
}

fn replay_all(engine: &Engine, fleet: &[Vehicle], cfg: SimConfig, threads: usize) -> Vec<Timeline> {
    let chunk = fleet.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = fleet
            .chunks(chunk)
            .map(|vs| {
                s.spawn(move || {
                    vs.iter()
                        .map(|v| timeline::replay(engine, v, cfg, 3600))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// The labelled claim of one vehicle as planned.
fn claim_for(world: &mut build::World, v: &Vehicle, t: &Timeline, p: Plan) -> Labelled {
    let label = match p.pattern {
        "negligent" => Label::Negligent,
        x if x.starts_with("fraud") => Label::Fraud,
        _ => Label::Legit,
    };
    let owner = if label == Label::Negligent {
        Owner::Negligent
    } else {
        Owner::Responsible
    };
    let draft = Draft {
        vehicle: v,
        timeline: t,
        component: p.component,
        day: p.day,
        pattern: p.pattern,
        owner,
    };
    world.claim(&draft, label)
}

/// Genuine sudden failures are of cooling parts; fraudsters claim whatever pays.
fn staged_component(rng: &mut SmallRng, v: &Vehicle, pattern: &str) -> Component {
    match pattern {
        "legit_sudden" => return Component::Cooling,
        "fraud_regional_ring" => return Component::Brakes,
        _ => {}
    }
    let modes: Vec<FailureMode> = FailureMode::ALL
        .into_iter()
        .filter(|m| m.applies_to(v.kind))
        .collect();
    modes[rng.random_range(0..modes.len())].component()
}

/// A day `n` days after `day`.
pub(crate) fn plus(day: NaiveDate, n: i64) -> NaiveDate {
    day + chrono::Duration::days(n)
}
