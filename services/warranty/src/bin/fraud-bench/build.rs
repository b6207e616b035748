//! Building one claim: its contract, bill, shop, text and the vehicle record the
//! service would gather, by the pattern drawn for it.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use fleetsim::simulate::SimConfig;
use fleetsim::vehicle::{HOME_BASES, Vehicle};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use shared_schemas::events::{Component, Coverage};
use uuid::Uuid;
use warranty::domain::model::{
    AlertRecord, AppointmentRecord, Claim, ClaimCost, ClaimPart, Eligibility, HealthPoint,
    PastClaim, RepairShop, VehicleRecord,
};
use warranty::domain::standard_times::standard_job;

use crate::generate::{Label, Labelled, plus};
use crate::text;
use crate::timeline::Timeline;

/// How the owner treats warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// Acknowledges alerts, books the repair.
    Responsible,
    /// Ignores them.
    Negligent,
}

/// What a claim is built from.
#[derive(Debug)]
pub(crate) struct Draft<'a> {
    pub(crate) vehicle: &'a Vehicle,
    pub(crate) timeline: &'a Timeline,
    pub(crate) component: Component,
    pub(crate) day: NaiveDate,
    pub(crate) pattern: &'static str,
    pub(crate) owner: Owner,
}

/// A repair shop and its claim record before the simulated window.
#[derive(Debug, Clone)]
pub(crate) struct Shop {
    pub(crate) shop: RepairShop,
    pub(crate) past: Vec<PastClaim>,
}

/// Shops, the ring, and the random stream.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) rng: SmallRng,
    pub(crate) shops: Vec<Shop>,
    pub(crate) ring_day: NaiveDate,
}

const SHOPS_PER_REGION: usize = 4;
/// Bad shops (index in `shops`): the first shop of the first three regions; the third
/// is new (no record yet).
const BAD: [usize; 3] = [0, SHOPS_PER_REGION, 2 * SHOPS_PER_REGION];
/// The ring files through its own shop.
const RING: &str = "ring";

impl World {
    pub(crate) fn new(rng: &mut SmallRng, cfg: SimConfig) -> Self {
        let mut rng = SmallRng::seed_from_u64(rng.random());
        let start = Utc
            .timestamp_opt(cfg.start, 0)
            .single()
            .unwrap_or_default()
            .date_naive();
        let mut shops = Vec::new();
        for (r, base) in HOME_BASES.iter().enumerate() {
            for s in 0..SHOPS_PER_REGION {
                let i = r * SHOPS_PER_REGION + s;
                let (n, approve, fraud) = match BAD.iter().position(|b| *b == i) {
                    Some(2) => (0, 0.0, 0.0),
                    Some(_) => (rng.random_range(10..30), rng.random_range(0.45..0.7), 0.25),
                    None => (rng.random_range(5..30), rng.random_range(0.85..0.97), 0.01),
                };
                let shop = RepairShop {
                    id: format!("shop-{i}"),
                    name: format!("{} Truck Service {s}", base.name),
                    region: base.name.to_owned(),
                };
                let past = past_claims(&mut rng, &shop.id, start, n, approve, fraud);
                shops.push(Shop { shop, past });
            }
        }
        let ring = RepairShop {
            id: RING.to_owned(),
            name: "Quick Fix Fleet Repairs".to_owned(),
            region: HOME_BASES[3].name.to_owned(),
        };
        shops.push(Shop {
            shop: ring,
            past: Vec::new(),
        });
        let span = (cfg.end - cfg.start) / 86_400;
        // The ring's three weeks fall inside the run (after a month of baseline when the
        // run is long enough).
        let ring_from = if span >= 56 { 30 } else { span / 4 };
        let ring_to = (span - 25).max(ring_from + 1);
        let ring_day = plus(start, rng.random_range(ring_from..ring_to));
        Self {
            rng,
            shops,
            ring_day,
        }
    }

    /// The labelled claim for `d`.
    pub(crate) fn claim(&mut self, d: &Draft<'_>, label: Label) -> Labelled {
        let eligibility = self.eligibility(d);
        let record = self.record(d);
        let tele_km = record
            .telemetry_odometer_km
            .unwrap_or(d.vehicle.params.odometer_start_km);
        let km = self.claimed_km(d.pattern, tele_km);
        let shop = self.shop(d);
        let claim = Claim {
            id: Uuid::from_u128(self.rng.random()),
            org_id: "bench".to_owned(),
            vehicle_id: d.vehicle.id.clone(),
            vin: d.vehicle.vin.clone(),
            component: d.component,
            failure_date: d.day,
            odometer_km: km,
            description: text::describe(&mut self.rng, d.component, km, d.day),
            shop,
            cost: self.cost(d.component, d.pattern),
            submitted_by: format!("owner-{}", d.vehicle.index),
            submitted_at: Utc
                .from_utc_datetime(&plus(d.day, 2).and_hms_opt(9, 0, 0).unwrap_or_default()),
        };
        let prior = self.prior(&claim, d.pattern);
        Labelled {
            claim,
            eligibility,
            record,
            prior,
            label,
            pattern: d.pattern,
        }
    }

    fn eligibility(&mut self, d: &Draft<'_>) -> Eligibility {
        let powertrain = matches!(
            d.component,
            Component::EngineOil | Component::Cooling | Component::Transmission
        );
        let (coverage, months, limit) = if powertrain {
            (Coverage::Powertrain, 60, 100_000.0)
        } else {
            (Coverage::Basic, 36, 36_000.0)
        };
        let term = (f64::from(months) * 30.44) as i64;
        let r = &mut self.rng;
        let by_km = r.random_bool(0.5);
        let (since, km_left) = match d.pattern {
            "fraud_near_start" => (r.random_range(3..45), limit * r.random_range(0.5..0.99)),
            "fraud_near_end" if by_km => {
                (r.random_range(60..term - 60), r.random_range(0.0..2_500.0))
            }
            "fraud_near_end" => (
                term - r.random_range(0..40),
                limit * r.random_range(0.05..0.6),
            ),
            "legit_near_expiry" if by_km => {
                (r.random_range(60..term - 60), r.random_range(0.0..4_000.0))
            }
            "legit_near_expiry" => (
                term - r.random_range(0..60),
                limit * r.random_range(0.05..0.6),
            ),
            "fraud_odometer_rollback" => {
                (r.random_range(200..term - 30), r.random_range(0.0..4_000.0))
            }
            _ if r.random_bool(0.08) => (r.random_range(10..80), limit * r.random_range(0.6..0.99)),
            _ => (
                r.random_range(20..term - 20),
                limit * r.random_range(0.02..0.95),
            ),
        };
        Eligibility {
            eligible: true,
            coverage: Some(coverage),
            reasons: vec![format!("{coverage:?} coverage in force")],
            days_since_start: Some(since),
            days_to_end: Some(term - since),
            km_to_limit: Some(km_left),
        }
    }

    fn claimed_km(&mut self, pattern: &str, tele: f64) -> f64 {
        let r = &mut self.rng;
        let noise = r.random_range(0.0..60.0);
        let off = match pattern {
            "fraud_odometer_rollback" if r.random_bool(0.3) => -r.random_range(1_000.0..5_000.0),
            p if p.starts_with("fraud") && r.random_bool(0.15) => r.random_range(-3_000.0..3_000.0),
            _ if r.random_bool(0.1) => r.random_range(100.0..400.0),
            _ => 0.0,
        };
        (tele + noise + off).max(0.0).round()
    }

    fn shop(&mut self, d: &Draft<'_>) -> RepairShop {
        let r = &mut self.rng;
        let i = match d.pattern {
            "fraud_regional_ring" => self.shops.len() - 1,
            "fraud_bad_shop" => BAD[r.random_range(0..BAD.len())],
            _ => {
                let region = HOME_BASES
                    .iter()
                    .position(|b| b.name == d.vehicle.home.name)
                    .unwrap_or(0);
                region * SHOPS_PER_REGION + r.random_range(0..SHOPS_PER_REGION)
            }
        };
        self.shops[i].shop.clone()
    }

    fn cost(&mut self, c: Component, pattern: &str) -> ClaimCost {
        let r = &mut self.rng;
        let job = standard_job(c);
        let spread = (r.random_range(-0.2..0.2_f64)).exp();
        let factor = match pattern {
            "fraud_inflated_labour" => r.random_range(1.8..4.0),
            "fraud_bad_shop" => r.random_range(1.2..1.7),
            _ if r.random_bool(0.12) => r.random_range(1.3..1.8),
            _ => 1.0,
        };
        let mut parts: Vec<ClaimPart> = job
            .parts
            .iter()
            .take(r.random_range(1..3))
            .map(|p| part(r, p, 80.0..2_500.0))
            .collect();
        let others: Vec<Component> = Component::ALL.into_iter().filter(|o| *o != c).collect();
        let other = standard_job(others[r.random_range(0..others.len())]);
        if pattern == "fraud_wrong_parts" {
            // Parts of another job billed on this one: one, sometimes a costly extra.
            parts.push(part(r, other.parts[0], 300.0..2_500.0));
            if r.random_bool(0.4) {
                parts.push(part(r, "turbocharger", 1_500.0..4_000.0));
            }
        } else if r.random_bool(0.05) {
            // A consumable of another system topped up during the visit.
            parts.push(part(r, other.parts[other.parts.len() - 1], 20.0..80.0));
        }
        ClaimCost {
            parts,
            labour_hours: (job.labour_hours * spread * factor * 10.0).round() / 10.0,
            labour_rate: r.random_range(90.0..160.0),
            currency: "USD".to_owned(),
        }
    }

    fn prior(&mut self, claim: &Claim, pattern: &str) -> Vec<PastClaim> {
        let r = &mut self.rng;
        let component = match pattern {
            "fraud_repeat" => Some(claim.component),
            _ if r.random_bool(0.04) => Some(claim.component),
            _ if r.random_bool(0.15) => {
                Some(Component::ALL[r.random_range(0..Component::ALL.len())])
            }
            _ => None,
        };
        component
            .map(|c| PastClaim {
                claim_id: Uuid::from_u128(r.random()),
                vin: claim.vin.clone(),
                component: c,
                failure_date: plus(claim.failure_date, -r.random_range(30..300)),
                shop_id: claim.shop.id.clone(),
                status: Some("approved".to_owned()),
                fraud_confirmed: false,
            })
            .into_iter()
            .collect()
    }

    /// The record the service would gather from the health, alert and scheduling
    /// services for the claim.
    fn record(&mut self, d: &Draft<'_>) -> VehicleRecord {
        let t = d.timeline;
        let end = d.day.and_hms_opt(23, 59, 59).unwrap_or_default().and_utc();
        let component_history = t
            .health
            .range(..=d.day)
            .filter_map(|(day, h)| {
                h.get(&d.component).map(|h| HealthPoint {
                    day: *day,
                    score: h.score,
                    band: h.band.to_owned(),
                    rul_days: Some(h.rul_days),
                })
            })
            .collect();
        let mut alerts = Vec::new();
        let mut appointments = Vec::new();
        for (at, c, severity) in t.alerts.iter().filter(|(at, ..)| *at <= end) {
            let ignored = d.owner == Owner::Negligent && *c == d.component;
            let ack = (!ignored).then(|| *at + Duration::hours(self.rng.random_range(1..18)));
            alerts.push(AlertRecord {
                alert_id: Uuid::from_u128(self.rng.random()),
                component: Some(*c),
                severity: (*severity).to_owned(),
                created_at: *at,
                acknowledged_at: ack,
            });
            if *severity == "critical" && !ignored {
                appointments.push(AppointmentRecord {
                    appointment_id: Uuid::from_u128(self.rng.random()),
                    component: Some(*c),
                    starts_at: *at + Duration::days(2),
                    status: "scheduled".to_owned(),
                });
            }
        }
        VehicleRecord {
            // Every vehicle of the fleet reports; a lookup that fails is retried by the
            // service, not decided blind.
            telemetry_available: true,
            first_reading_at: t.span.map(|s| s.0),
            last_reading_at: t.span.map(|s| s.1),
            reporting_at_failure: Some(t.reporting(d.day)),
            component_history,
            telemetry_odometer_km: t.odometer_at(d.day),
            odometer_anomalies: t.anomalies.clone(),
            alerts,
            appointments,
            usage: t.usage(plus(d.day, -14), plus(d.day, 1)),
        }
    }
}

fn part(r: &mut SmallRng, name: &str, price: std::ops::Range<f64>) -> ClaimPart {
    ClaimPart {
        part: name.to_owned(),
        quantity: r.random_range(1..3),
        unit_price: r.random_range(price).round(),
    }
}

fn past_claims(
    r: &mut SmallRng,
    shop: &str,
    start: NaiveDate,
    n: usize,
    approve: f64,
    fraud: f64,
) -> Vec<PastClaim> {
    (0..n)
        .map(|_| {
            let approved = r.random_bool(approve);
            PastClaim {
                claim_id: Uuid::from_u128(r.random()),
                vin: format!("PAST{:013}", r.random_range(0..1_000_000_u64)),
                component: Component::ALL[r.random_range(0..Component::ALL.len())],
                failure_date: plus(start, -r.random_range(10..700)),
                shop_id: shop.to_owned(),
                status: Some(if approved { "approved" } else { "rejected" }.to_owned()),
                fraud_confirmed: !approved
                    && r.random_bool((fraud / (1.0 - approve).max(0.01)).min(1.0)),
            }
        })
        .collect()
}

/// Near-duplicate fraud resubmits an earlier claim of another vehicle (of the same
/// component when there is one): its story reworded, the same shop and nearly the same bill.
pub(crate) fn copy_claims(world: &mut World, claims: &mut [Labelled]) {
    claims.sort_by_key(|c| c.claim.failure_date);
    for i in 1..claims.len() {
        if claims[i].pattern != "fraud_near_duplicate" {
            continue;
        }
        let same: Vec<usize> = (0..i)
            .filter(|j| claims[*j].claim.component == claims[i].claim.component)
            .collect();
        let j = if same.is_empty() {
            world.rng.random_range(0..i)
        } else {
            same[world.rng.random_range(0..same.len())]
        };
        let source = claims[j].claim.clone();
        let c = &mut claims[i].claim;
        c.description = text::near_copy(&mut world.rng, &source.description, c.odometer_km);
        c.shop = source.shop;
        c.cost = source.cost;
        for p in &mut c.cost.parts {
            p.unit_price = (p.unit_price * world.rng.random_range(0.97..1.03)).round();
        }
    }
}
