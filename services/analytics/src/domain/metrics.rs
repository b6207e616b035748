//! Fleet metrics rules (ADR 0014): what a vehicle's health says about attention, the
//! reporting window, how a prediction episode ended, and the formulas of uptime, rates
//! and lead time. Plain functions the consumers, queries and reports share.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use shared_runtime::auth::Role;
use shared_schemas::events::{ComponentHealth, HealthBand, HealthComputed};

/// Most days a window may span.
pub const MAX_DAYS: u32 = 366;

/// The bands, best first (the order of every distribution).
pub const BANDS: [HealthBand; 5] = [
    HealthBand::Excellent,
    HealthBand::Good,
    HealthBand::Fair,
    HealthBand::Poor,
    HealthBand::Critical,
];

/// Whose data a figure counts: an organization (`None`: every one) and, for owners,
/// only their vehicles.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    /// Organization, or every one.
    pub org: Option<String>,
    /// Only these vehicles (owners), or every vehicle of the organization.
    pub vehicles: Option<Vec<String>>,
}

impl Scope {
    /// The scope of a caller with `role` in `org` (owners: of `vehicles`) asking for
    /// `requested` (an organization, admins and services only). Another organization
    /// than the caller's is refused like an unknown one (`Err`: not found).
    pub fn for_caller(
        role: Role,
        org: &str,
        vehicles: &[String],
        requested: Option<&str>,
    ) -> Result<Self, String> {
        match role {
            Role::Admin | Role::Service => Ok(Self {
                org: requested.map(str::to_owned),
                vehicles: None,
            }),
            Role::FleetManager | Role::Technician | Role::Support | Role::Owner => {
                if requested.is_some_and(|r| r != org) {
                    return Err(format!(
                        "organization {:?} not found",
                        requested.unwrap_or_default()
                    ));
                }
                Ok(Self {
                    org: Some(org.to_owned()),
                    vehicles: (role == Role::Owner).then(|| vehicles.to_vec()),
                })
            }
        }
    }
}

/// What the read model keeps of a `vehicle.health.computed`.
#[derive(Debug, Clone, PartialEq)]
pub struct VehicleState {
    /// The vehicle.
    pub vehicle_id: String,
    /// Its organization.
    pub org_id: String,
    /// Overall score, 0..1.
    pub overall_score: f64,
    /// Overall band.
    pub overall_band: HealthBand,
    /// The component with the lowest score, if any was assessed.
    pub worst: Option<(String, HealthBand)>,
    /// The lowest remaining useful life of any component, days.
    pub min_rul_days: Option<f64>,
    /// Its 80 % interval, days, when the engine gave one.
    pub min_rul_interval: Option<[f64; 2]>,
    /// Whether the vehicle needs attention (see [`needs_attention`]).
    pub attention: bool,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
}

impl VehicleState {
    /// The state an assessment describes.
    pub fn from_computed(h: &HealthComputed) -> Self {
        let worst = h
            .components
            .iter()
            .min_by(|a, b| a.score.total_cmp(&b.score))
            .map(|c| (c.component.as_str().to_owned(), c.band));
        let shortest = h
            .components
            .iter()
            .filter(|c| c.rul_days.is_finite())
            .min_by(|a, b| a.rul_days.total_cmp(&b.rul_days));
        Self {
            vehicle_id: h.vehicle_id.clone(),
            org_id: h.org_id.clone(),
            overall_score: h.overall_score,
            overall_band: h.overall_band,
            worst,
            min_rul_days: shortest.map(|c| c.rul_days),
            min_rul_interval: shortest.and_then(|c| c.rul_interval_days),
            attention: needs_attention(h.overall_band, &h.components),
            computed_at: h.computed_at,
        }
    }

    /// The UTC day it describes.
    pub fn day(&self) -> NaiveDate {
        self.computed_at.date_naive()
    }
}

/// A vehicle needs attention when its overall band is fair or worse, or any component
/// is poor or worse (the band where health announces `component.degraded`).
pub fn needs_attention(overall: HealthBand, components: &[ComponentHealth]) -> bool {
    overall >= HealthBand::Fair || components.iter().any(|c| c.band >= HealthBand::Poor)
}

/// Of several states, the newest per vehicle and the newest per vehicle and day (a
/// batch holds several of a vehicle when the consumer catches up).
pub fn newest(states: Vec<VehicleState>) -> (Vec<VehicleState>, Vec<VehicleState>) {
    let mut per_vehicle: BTreeMap<String, VehicleState> = BTreeMap::new();
    let mut per_day: BTreeMap<(String, NaiveDate), VehicleState> = BTreeMap::new();
    for s in states {
        let day_key = (s.vehicle_id.clone(), s.day());
        if per_day
            .get(&day_key)
            .is_none_or(|o| o.computed_at < s.computed_at)
        {
            per_day.insert(day_key, s.clone());
        }
        if per_vehicle
            .get(&s.vehicle_id)
            .is_none_or(|o| o.computed_at < s.computed_at)
        {
            per_vehicle.insert(s.vehicle_id.clone(), s);
        }
    }
    (
        per_vehicle.into_values().collect(),
        per_day.into_values().collect(),
    )
}

/// A window of whole UTC days ending today: what every figure is counted over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    /// First day.
    pub first_day: NaiveDate,
    /// Last day (today).
    pub last_day: NaiveDate,
}

impl Window {
    /// The last `days` days up to and including the day of `now`; `days` must be
    /// 1..=[`MAX_DAYS`] (the error says so).
    pub fn last_days(days: u32, now: DateTime<Utc>) -> Result<Self, String> {
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(format!("days must be between 1 and {MAX_DAYS}, got {days}"));
        }
        let last_day = now.date_naive();
        Ok(Self {
            first_day: last_day - Duration::days(i64::from(days) - 1),
            last_day,
        })
    }

    /// Start of the first day.
    pub fn from(&self) -> DateTime<Utc> {
        self.first_day.and_time(NaiveTime::MIN).and_utc()
    }

    /// End of the last day (exclusive).
    pub fn to(&self) -> DateTime<Utc> {
        (self.last_day + Duration::days(1))
            .and_time(NaiveTime::MIN)
            .and_utc()
    }

    /// Every day of the window, oldest first.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let first = self.first_day;
        let n = (self.last_day - self.first_day).num_days() + 1;
        (0..n).map(move |i| first + Duration::days(i))
    }
}

/// How a prediction episode ended (ADR 0014).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Still predicted: neither failed, repaired nor recovered.
    Open,
    /// Reached the critical band after a prediction: predicted and happened.
    FailedAsPredicted,
    /// Reached the critical band with no prediction before: an unpredicted failure.
    FailedUnpredicted,
    /// Serviced before it failed: a failure avoided.
    Avoided,
    /// Back to good or excellent without service.
    Recovered,
}

impl Outcome {
    /// The episode's outcome from its timestamps.
    pub fn of(
        predicted_at: Option<DateTime<Utc>>,
        failed_at: Option<DateTime<Utc>>,
        repaired_at: Option<DateTime<Utc>>,
        recovered_at: Option<DateTime<Utc>>,
    ) -> Self {
        match (predicted_at, failed_at) {
            // Only a prediction before the failure counts (not one announced with it).
            (Some(p), Some(f)) if p < f => Self::FailedAsPredicted,
            (_, Some(_)) => Self::FailedUnpredicted,
            _ if repaired_at.is_some() => Self::Avoided,
            _ if recovered_at.is_some() => Self::Recovered,
            _ => Self::Open,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::FailedAsPredicted => "failed_as_predicted",
            Self::FailedUnpredicted => "failed_unpredicted",
            Self::Avoided => "avoided",
            Self::Recovered => "recovered",
        }
    }
}

/// `part / whole`, or `None` when there is no whole (never a made-up 0 or 100 %).
pub fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Uptime: the share of observed vehicle-days on which the vehicle was operable, i.e.
/// reported and its day-end overall band was not critical. Days a vehicle did not report
/// are unknown, not counted either way.
pub fn uptime(observed_vehicle_days: i64, critical_vehicle_days: i64) -> Option<f64> {
    ratio(
        observed_vehicle_days - critical_vehicle_days,
        observed_vehicle_days,
    )
}

/// Days between two instants.
pub fn days_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 86_400.0
}

/// The midpoint of an estimated cost range: the predicted repair cost we count.
pub fn repair_estimate(min: f64, max: f64) -> f64 {
    (min + max) / 2.0
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use shared_schemas::events::Component;

    use super::*;

    fn component(c: Component, score: f64, rul_days: f64) -> ComponentHealth {
        ComponentHealth {
            component: c,
            score,
            band: HealthBand::from_score(score),
            rul_days,
            rul_km: None,
            rul_interval_days: None,
            confidence: 0.9,
            factors: Vec::new(),
            model_version: "t".to_owned(),
        }
    }

    fn computed(vehicle: &str, at: DateTime<Utc>, comps: Vec<ComponentHealth>) -> HealthComputed {
        let overall = comps.iter().map(|c| c.score).fold(1.0, f64::min);
        HealthComputed {
            org_id: "acme".to_owned(),
            vehicle_id: vehicle.to_owned(),
            computed_at: at,
            components: comps,
            unknown: Vec::new(),
            overall_score: overall,
            overall_band: HealthBand::from_score(overall),
        }
    }

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, d, h, 0, 0).unwrap()
    }

    #[test]
    fn the_worst_component_and_attention_come_from_the_assessment() {
        let mut battery = component(Component::Battery, 0.35, 30.0);
        battery.rul_interval_days = Some([21.0, 36.0]);
        let h = computed(
            "v1",
            at(1, 8),
            vec![component(Component::Brakes, 0.9, 400.0), battery],
        );
        let s = VehicleState::from_computed(&h);
        assert_eq!(s.worst, Some(("battery".to_owned(), HealthBand::Poor)));
        assert_eq!(s.min_rul_days, Some(30.0));
        assert_eq!(
            s.min_rul_interval,
            Some([21.0, 36.0]),
            "the shortest RUL's interval"
        );
        assert!(s.attention);
        let fine = computed(
            "v2",
            at(1, 8),
            vec![component(Component::Brakes, 0.7, 90.0)],
        );
        assert!(!VehicleState::from_computed(&fine).attention);
        assert!(needs_attention(HealthBand::Fair, &[]));
    }

    #[test]
    fn newest_keeps_the_latest_per_vehicle_and_per_day() {
        let s = |v: &str, t| {
            VehicleState::from_computed(&computed(v, t, vec![component(Component::Dpf, 0.5, 9.0)]))
        };
        let (vehicles, days) = newest(vec![
            s("v1", at(1, 9)),
            s("v1", at(1, 8)),
            s("v1", at(2, 7)),
            s("v2", at(1, 1)),
        ]);
        let latest: Vec<_> = vehicles
            .iter()
            .map(|s| (s.vehicle_id.as_str(), s.computed_at))
            .collect();
        assert_eq!(latest, vec![("v1", at(2, 7)), ("v2", at(1, 1))]);
        let per_day: Vec<_> = days
            .iter()
            .map(|s| (s.vehicle_id.as_str(), s.computed_at))
            .collect();
        assert_eq!(
            per_day,
            vec![("v1", at(1, 9)), ("v1", at(2, 7)), ("v2", at(1, 1))]
        );
    }

    #[test]
    fn a_window_is_whole_days_ending_today() {
        let w = Window::last_days(7, at(10, 15)).unwrap();
        assert_eq!(w.first_day, at(4, 0).date_naive());
        assert_eq!(w.from(), at(4, 0));
        assert_eq!(w.to(), at(11, 0));
        assert_eq!(w.days().count(), 7);
        assert!(
            Window::last_days(0, at(10, 0))
                .unwrap_err()
                .contains("between 1 and 366")
        );
        assert!(Window::last_days(367, at(10, 0)).is_err());
    }

    #[test]
    fn outcomes_follow_the_episode_timestamps() {
        let t = Some(at(1, 0));
        let later = Some(at(3, 0));
        assert_eq!(
            Outcome::of(t, later, None, None),
            Outcome::FailedAsPredicted
        );
        assert_eq!(Outcome::of(None, t, t, None), Outcome::FailedUnpredicted);
        // Degraded and critical announced at the same instant predicted nothing.
        assert_eq!(Outcome::of(t, t, None, None), Outcome::FailedUnpredicted);
        assert_eq!(Outcome::of(t, None, t, None), Outcome::Avoided);
        assert_eq!(Outcome::of(t, None, None, t), Outcome::Recovered);
        assert_eq!(Outcome::of(t, None, None, None), Outcome::Open);
    }

    #[test]
    fn scopes_follow_the_role() {
        let v = vec!["v1".to_owned()];
        let admin = Scope::for_caller(Role::Admin, "acme", &[], Some("globex")).unwrap();
        assert_eq!(admin.org.as_deref(), Some("globex"));
        assert_eq!(
            Scope::for_caller(Role::Service, "x", &[], None)
                .unwrap()
                .org,
            None
        );
        let fm = Scope::for_caller(Role::FleetManager, "acme", &v, None).unwrap();
        assert_eq!((fm.org.as_deref(), fm.vehicles), (Some("acme"), None));
        let owner = Scope::for_caller(Role::Owner, "acme", &v, Some("acme")).unwrap();
        assert_eq!(owner.vehicles, Some(v.clone()));
        for role in [
            Role::FleetManager,
            Role::Technician,
            Role::Support,
            Role::Owner,
        ] {
            let err = Scope::for_caller(role, "acme", &v, Some("globex")).unwrap_err();
            assert_eq!(err, "organization \"globex\" not found");
        }
    }

    #[test]
    fn rates_are_absent_without_a_base() {
        assert_eq!(ratio(1, 4), Some(0.25));
        assert_eq!(ratio(0, 0), None);
        assert_eq!(uptime(10, 1), Some(0.9));
        assert_eq!(uptime(0, 0), None);
        assert!((days_between(at(1, 0), at(2, 12)) - 1.5).abs() < 1e-9);
        assert!((repair_estimate(100.0, 300.0) - 200.0).abs() < 1e-9);
    }
}
