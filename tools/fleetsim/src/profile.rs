//! Vehicle kinds and duty profiles: when, how long and how a vehicle drives.
//!
//! A day is planned as a list of engine-on [`Segment`]s (engine off in between);
//! within a segment a [`Drive`] state machine picks the speed the driver aims for at
//! each step (cruise, slow-downs, traffic lights, delivery stops). The physics model
//! follows that target with inertia.

use rand::Rng;
use rand::rngs::SmallRng;
use serde::Serialize;

/// What kind of vehicle it is: decides which systems it has (a petrol car has no DPF
/// or SCR) and its engine's constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VehicleKind {
    /// Class-8 diesel tractor or box truck with DPF and SCR aftertreatment.
    DieselTruck,
    /// Petrol passenger car.
    Car,
}

impl VehicleKind {
    /// Whether it has diesel aftertreatment (DPF, SCR/DEF) and a turbocharger.
    pub const fn is_diesel(self) -> bool {
        matches!(self, Self::DieselTruck)
    }
}

/// How a vehicle is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DutyProfile {
    /// Interstate trucking: long highway legs, 9–11 h a day, some weekends.
    LongHaul,
    /// Regional distribution: mixed roads, several legs, weekdays.
    Regional,
    /// City delivery: stop-and-go, many engine-off stops, hard on brakes.
    UrbanDelivery,
    /// A commuter's car: two short trips on weekdays, errands on weekends.
    CarCommuter,
}

impl DutyProfile {
    /// Every profile.
    pub const ALL: [Self; 4] = [
        Self::LongHaul,
        Self::Regional,
        Self::UrbanDelivery,
        Self::CarCommuter,
    ];

    /// Share of a generated fleet.
    pub const fn fleet_share(self) -> f64 {
        match self {
            Self::LongHaul => 0.25,
            Self::Regional => 0.2,
            Self::UrbanDelivery => 0.25,
            Self::CarCommuter => 0.3,
        }
    }

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::LongHaul => "long_haul",
            Self::Regional => "regional",
            Self::UrbanDelivery => "urban_delivery",
            Self::CarCommuter => "car_commuter",
        }
    }

    /// The kind of vehicle that runs this profile.
    pub const fn kind(self) -> VehicleKind {
        match self {
            Self::CarCommuter => VehicleKind::Car,
            _ => VehicleKind::DieselTruck,
        }
    }

    /// Rough km per calendar day (weekends included); sizes the brake pad budget.
    pub const fn km_per_day(self) -> f64 {
        match self {
            Self::LongHaul => 700.0,
            Self::Regional => 300.0,
            Self::UrbanDelivery => 110.0,
            Self::CarCommuter => 45.0,
        }
    }

    /// Healthy brake pad wear. Urban stop-and-go wears pads several times faster per
    /// km than highway driving.
    pub const fn pad_wear_mm_per_1000km(self) -> f64 {
        match self {
            Self::LongHaul => 0.05,
            Self::Regional => 0.09,
            Self::UrbanDelivery => 0.25,
            Self::CarCommuter => 0.15,
        }
    }

    /// How far from its home base the vehicle roams before heading back.
    pub const fn roam_radius_km(self) -> f64 {
        match self {
            Self::LongHaul => 1500.0,
            Self::Regional => 250.0,
            Self::UrbanDelivery => 25.0,
            Self::CarCommuter => 40.0,
        }
    }

    /// Probability of working on a weekday (0 = Monday).
    fn work_probability(self, weekday: u32) -> f64 {
        let weekend = weekday >= 5;
        match (self, weekend, weekday == 5) {
            (Self::LongHaul, false, _) => 0.96,
            (Self::LongHaul, true, true) => 0.5,
            (Self::LongHaul, true, false) => 0.3,
            (Self::Regional, false, _) => 0.95,
            (Self::Regional, true, true) => 0.3,
            (Self::Regional, true, false) => 0.05,
            (Self::UrbanDelivery, false, _) => 0.97,
            (Self::UrbanDelivery, true, true) => 0.5,
            (Self::UrbanDelivery, true, false) => 0.05,
            (Self::CarCommuter, false, _) => 0.92,
            (Self::CarCommuter, true, _) => 0.0,
        }
    }

    /// Plans one local day: engine-on segments in time order, none starting before
    /// `not_before` (the end of the previous day's last segment plus a pause).
    ///
    /// `midnight` is the day's local midnight as Unix seconds, `weekday` 0 = Monday.
    pub fn plan_day(
        self,
        rng: &mut SmallRng,
        midnight: i64,
        weekday: u32,
        not_before: i64,
    ) -> Vec<Segment> {
        let mut plan = DayPlan {
            midnight,
            segments: Vec::new(),
        };
        let works = rng.random_bool(self.work_probability(weekday));
        match self {
            Self::LongHaul if works => plan.long_haul_shift(rng),
            Self::Regional if works => plan.regional_shift(rng),
            Self::UrbanDelivery if works => plan.delivery_round(rng),
            Self::CarCommuter if works => plan.commute(rng),
            Self::CarCommuter => plan.car_day_off(rng),
            Self::LongHaul | Self::Regional | Self::UrbanDelivery => plan.truck_day_off(rng),
        }
        plan.finish(not_before)
    }
}

/// How a segment is driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// Highway cruise with occasional slow-downs.
    Highway,
    /// Arterial roads: changing speed limits and traffic lights.
    Mixed,
    /// City stop-and-go.
    Urban,
    /// Engine running, vehicle standing (breaks, waiting, parked regeneration).
    Idle,
}

/// One engine-on period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// Engine start, Unix seconds.
    pub start: i64,
    /// Engine stop, Unix seconds.
    pub end: i64,
    /// How it is driven.
    pub pattern: Pattern,
    /// Preferred cruise speed, km/h.
    pub cruise_kph: f64,
    /// Payload as a fraction of the maximum (cars: occupants and luggage).
    pub payload: f64,
}

/// One day's segments as they are planned, in hours after local midnight.
struct DayPlan {
    midnight: i64,
    segments: Vec<Segment>,
}

/// Shortest engine-off pause between two segments.
const MIN_GAP_S: i64 = 120;
/// Shortest segment worth simulating.
const MIN_SEGMENT_S: i64 = 120;

impl DayPlan {
    fn push(&mut self, start_h: f64, hours: f64, pattern: Pattern, cruise_kph: f64, payload: f64) {
        let start = self.midnight + (start_h * 3600.0) as i64;
        let len = (hours * 3600.0) as i64;
        self.segments.push(Segment {
            start,
            end: start + len,
            pattern,
            cruise_kph,
            payload,
        });
    }

    /// A long-haul working day: highway legs of a few hours with breaks, sometimes
    /// idling through a break or overnight.
    fn long_haul_shift(&mut self, rng: &mut SmallRng) {
        let payload = rng.random_range(0.3..1.0);
        let mut h = rng.random_range(4.0..8.0);
        let mut remaining = rng.random_range(8.5..11.0);
        while remaining > 0.2 {
            let leg = f64::min(remaining, rng.random_range(2.0..4.5));
            let cruise = rng.random_range(88.0..104.0);
            self.push(h, leg, Pattern::Highway, cruise, payload);
            remaining -= leg;
            h += leg;
            let pause = rng.random_range(0.25..0.75);
            if remaining > 0.2 && rng.random_bool(0.3) {
                // Idling through a break (cab heating or cooling).
                self.push(h, pause, Pattern::Idle, 0.0, payload);
            }
            h += pause;
        }
        if rng.random_bool(0.2) {
            let idle = rng.random_range(1.0..3.0);
            self.push(h + 1.0, idle, Pattern::Idle, 0.0, payload);
        }
    }

    /// A regional working day: three to five legs, some on the highway.
    fn regional_shift(&mut self, rng: &mut SmallRng) {
        let mut h = rng.random_range(5.0..8.0);
        for _ in 0..rng.random_range(3..=5) {
            let leg = rng.random_range(0.8..2.2);
            let payload = rng.random_range(0.3..1.0);
            let (pattern, cruise) = if rng.random_bool(0.3) {
                (Pattern::Highway, rng.random_range(85.0..100.0))
            } else {
                (Pattern::Mixed, rng.random_range(70.0..90.0))
            };
            self.push(h, leg, pattern, cruise, payload);
            h += leg + rng.random_range(0.3..1.2);
        }
    }

    /// A city delivery round: short drives between stops, the load shrinking, a
    /// lunch break.
    fn delivery_round(&mut self, rng: &mut SmallRng) {
        let mut h = rng.random_range(6.0..9.0);
        let end = h + rng.random_range(7.0..9.5);
        let lunch_at = h + rng.random_range(3.5..5.0);
        let mut lunched = false;
        let mut payload: f64 = rng.random_range(0.7..1.0);
        while h < end {
            let drive = rng.random_range(8.0..35.0) / 60.0;
            self.push(h, drive, Pattern::Urban, 45.0, payload);
            h += drive;
            payload = (payload - rng.random_range(0.02..0.06)).max(0.3);
            if rng.random_bool(0.25) {
                // Engine left idling at a short stop.
                let idle = rng.random_range(2.0..8.0) / 60.0;
                self.push(h, idle, Pattern::Idle, 0.0, payload);
                h += idle;
            }
            h += rng.random_range(4.0..20.0) / 60.0;
            if !lunched && h > lunch_at {
                lunched = true;
                h += rng.random_range(0.5..1.0);
            }
        }
    }

    /// A commuter's working day: there and back, sometimes an evening errand.
    fn commute(&mut self, rng: &mut SmallRng) {
        let cruise = rng.random_range(60.0..110.0);
        let commute = rng.random_range(15.0..50.0) / 60.0;
        let pattern = if commute < 0.33 {
            Pattern::Urban
        } else {
            Pattern::Mixed
        };
        let jitter = rng.random_range(0.85..1.15);
        self.push(rng.random_range(6.5..8.75), commute, pattern, cruise, 0.2);
        self.push(
            rng.random_range(16.0..18.5),
            commute * jitter,
            pattern,
            cruise,
            0.2,
        );
        if rng.random_bool(0.3) {
            let d = rng.random_range(10.0..30.0) / 60.0;
            self.push(rng.random_range(18.75..20.5), d, Pattern::Urban, 50.0, 0.2);
        }
    }

    /// A car's day off: up to three errands, now and then a highway trip.
    fn car_day_off(&mut self, rng: &mut SmallRng) {
        let mut starts: Vec<f64> = (0..rng.random_range(0..=3))
            .map(|_| rng.random_range(9.0..20.0))
            .collect();
        starts.sort_by(f64::total_cmp);
        for h in starts {
            let d = rng.random_range(10.0..40.0) / 60.0;
            let (pattern, cruise) = if rng.random_bool(0.5) {
                (Pattern::Urban, 50.0)
            } else {
                (Pattern::Mixed, rng.random_range(60.0..100.0))
            };
            self.push(h, d, pattern, cruise, 0.25);
        }
        if rng.random_bool(0.1) {
            let h = rng.random_range(9.0..14.0);
            let d = rng.random_range(1.5..3.0);
            self.push(h, d, Pattern::Highway, rng.random_range(100.0..120.0), 0.3);
        }
    }

    /// A truck's day off; now and then it is moved around the yard or to a workshop.
    fn truck_day_off(&mut self, rng: &mut SmallRng) {
        if rng.random_bool(0.1) {
            let h = rng.random_range(8.0..16.0);
            let d = rng.random_range(0.2..0.6);
            self.push(h, d, Pattern::Urban, 40.0, 0.3);
        }
    }

    /// Sorts, pushes segments apart so they never overlap (or start before
    /// `not_before`), and drops slivers.
    fn finish(mut self, not_before: i64) -> Vec<Segment> {
        self.segments.sort_by_key(|s| s.start);
        let mut cursor = not_before;
        let mut out = Vec::with_capacity(self.segments.len());
        for mut s in self.segments {
            let len = s.end - s.start;
            if len < MIN_SEGMENT_S {
                continue;
            }
            if s.start < cursor {
                s.start = cursor;
                s.end = cursor + len;
            }
            cursor = s.end + MIN_GAP_S;
            out.push(s);
        }
        out
    }
}

/// What the driver is doing within a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Standing with the engine running.
    Stand,
    /// Driving towards a target speed.
    Move,
}

/// The per-segment driver model: picks a target speed every step.
#[derive(Debug, Clone)]
pub struct Drive {
    pattern: Pattern,
    cruise: f64,
    phase: Phase,
    phase_left_s: f64,
    base_target: f64,
    target: f64,
    elapsed_s: f64,
    total_s: f64,
}

/// Seconds before the end of a segment at which the vehicle is standing (parking,
/// cooling down the turbo).
const PULL_IN_S: f64 = 90.0;
/// Length of the low-speed stretch at either end of a highway leg.
const LOCAL_ROAD_S: f64 = 480.0;

impl Drive {
    /// Starts a segment: every engine start begins with a short idle.
    pub fn new(seg: &Segment, rng: &mut SmallRng) -> Self {
        Self {
            pattern: seg.pattern,
            cruise: seg.cruise_kph,
            phase: Phase::Stand,
            phase_left_s: rng.random_range(20.0..120.0),
            base_target: 0.0,
            target: 0.0,
            elapsed_s: 0.0,
            total_s: (seg.end - seg.start) as f64,
        }
    }

    /// Advances by `dt` seconds and returns the target speed, km/h, and whether the
    /// driver is braking to a stop (a stop phase just began).
    pub fn step(&mut self, dt: f64, rng: &mut SmallRng) -> (f64, bool) {
        self.elapsed_s += dt;
        if self.pattern == Pattern::Idle {
            return (0.0, false);
        }
        let remaining = self.total_s - self.elapsed_s;
        if remaining < PULL_IN_S {
            let braking = self.phase == Phase::Move;
            self.phase = Phase::Stand;
            return (0.0, braking);
        }
        self.phase_left_s -= dt;
        let mut braking = false;
        if self.phase_left_s <= 0.0 {
            braking = self.next_phase(remaining, rng);
        } else if self.phase == Phase::Move {
            // Drivers do not hold a speed exactly: a bounded random walk.
            let drift = rng.random_range(-3.0..3.0);
            self.target =
                (self.target + drift).clamp(self.base_target - 8.0, self.base_target + 8.0);
        }
        let target = if self.phase == Phase::Move {
            self.target.max(5.0)
        } else {
            0.0
        };
        (target, braking)
    }

    /// Chooses the next phase; returns whether it is a stop.
    fn next_phase(&mut self, remaining: f64, rng: &mut SmallRng) -> bool {
        let stop_probability = match self.pattern {
            Pattern::Highway => 0.04,
            Pattern::Mixed => 0.35,
            Pattern::Urban => 0.6,
            Pattern::Idle => 1.0,
        };
        if self.phase == Phase::Move && rng.random_bool(stop_probability) {
            self.phase = Phase::Stand;
            self.phase_left_s = rng.random_range(20.0..150.0);
            return true;
        }
        self.phase = Phase::Move;
        let (base, len) = match self.pattern {
            Pattern::Highway => {
                let local = self.elapsed_s < LOCAL_ROAD_S || remaining < LOCAL_ROAD_S;
                if local {
                    (rng.random_range(30.0..60.0), rng.random_range(120.0..300.0))
                } else if rng.random_bool(0.12) {
                    // Road works, a grade, traffic.
                    (rng.random_range(35.0..70.0), rng.random_range(120.0..360.0))
                } else {
                    (self.cruise, rng.random_range(600.0..2400.0))
                }
            }
            Pattern::Mixed => {
                let choices = [self.cruise, self.cruise * 0.75, 50.0, 35.0];
                let base = choices[rng.random_range(0..choices.len())];
                (base, rng.random_range(120.0..600.0))
            }
            Pattern::Urban => (rng.random_range(20.0..55.0), rng.random_range(60.0..300.0)),
            Pattern::Idle => (0.0, 600.0),
        };
        self.base_target = base;
        self.target = base;
        self.phase_left_s = len;
        false
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn plans_do_not_overlap_and_respect_not_before() {
        let mut rng = SmallRng::seed_from_u64(7);
        for profile in DutyProfile::ALL {
            let mut not_before = 0;
            for day in 0..60 {
                let midnight = day * 86_400;
                let plan = profile.plan_day(&mut rng, midnight, (day % 7) as u32, not_before);
                for s in &plan {
                    assert!(s.start >= not_before, "{profile:?} day {day}");
                    assert!(s.end - s.start >= MIN_SEGMENT_S);
                    not_before = s.end + MIN_GAP_S;
                }
            }
        }
    }

    #[test]
    fn trucks_drive_more_than_cars() {
        let mut rng = SmallRng::seed_from_u64(3);
        let hours = |p: DutyProfile, rng: &mut SmallRng| -> f64 {
            (0..28)
                .flat_map(|d| p.plan_day(rng, d * 86_400, (d % 7) as u32, 0))
                .map(|s| (s.end - s.start) as f64 / 3600.0)
                .sum::<f64>()
                / 28.0
        };
        let long_haul = hours(DutyProfile::LongHaul, &mut rng);
        let car = hours(DutyProfile::CarCommuter, &mut rng);
        assert!(
            long_haul > 5.0 && long_haul < 12.0,
            "long haul {long_haul} h/day"
        );
        assert!(car > 0.3 && car < 2.5, "car {car} h/day");
    }
}
