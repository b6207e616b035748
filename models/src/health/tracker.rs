//! What was last reported per component, and which transitions a new assessment makes:
//! band changes with hysteresis (so a score hovering on a boundary does not flap),
//! significant drops within a band (a drop into a more urgent urgency band is always
//! significant), and the degraded/critical crossings.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_schemas::events::{ChangeReason, Component, HealthBand, HealthChanged, Severity};

use super::score::rul_for;

/// A score must clear a band's lower bound by this much to move back up into it.
pub const HYSTERESIS: f64 = 0.04;
/// ... and stay there this long (reading time, seconds): a worn component's score
/// wobbles with each day's data, and each wobble across a floor would otherwise
/// announce the same degradation again.
pub const RECOVERY_S: i64 = 48 * 3600;
/// A drop this large within a band is a significant change.
pub const SIGNIFICANT_DROP: f64 = 0.15;

/// The last reported state of one component.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Last {
    /// Reported band.
    pub band: HealthBand,
    /// Score when the band (or a significant drop) was last reported.
    pub score: f64,
}

/// Last reported state per component.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reported {
    components: BTreeMap<Component, Last>,
    /// Since when (Unix seconds) a component has scored better than its reported
    /// band, while that lasts.
    improving_since: BTreeMap<Component, i64>,
}

/// A transition to announce.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Transition {
    /// A significant change (`vehicle.health.changed`).
    Changed {
        /// The component.
        component: Component,
        /// What was reported before.
        previous: Last,
        /// What is reported now.
        current: Last,
        /// Why it is significant.
        reason: ChangeReason,
    },
    /// Entered the poor band or worse from a better one (`component.degraded`).
    Degraded(Component),
    /// Entered the critical band (`component.critical`).
    Critical(Component),
}

impl Transition {
    /// The `vehicle.health.changed` event of a change of vehicle `vehicle_id` (of
    /// `org_id`) detected at `at`, whose RUL is now `rul_days`; none for a crossing.
    pub fn changed_event(
        &self,
        org_id: &str,
        vehicle_id: &str,
        rul_days: f64,
        at: DateTime<Utc>,
    ) -> Option<HealthChanged> {
        let Self::Changed {
            component,
            previous,
            current,
            reason,
        } = *self
        else {
            return None;
        };
        Some(HealthChanged {
            org_id: org_id.to_owned(),
            vehicle_id: vehicle_id.to_owned(),
            component,
            previous_score: previous.score,
            previous_band: previous.band,
            current_score: current.score,
            current_band: current.band,
            rul_days,
            reason,
            detected_at: at,
        })
    }
}

/// Whether `score` stands for a time to failure in a more urgent band of the urgency
/// guide (under 15, 8, 3 days) than `before`. The critical health band spans three
/// weeks; without this, a decision made at 18 days left ("low") would stand until the
/// part fails, and the alert with it.
fn more_urgent(score: f64, before: f64) -> bool {
    Severity::for_days_to_failure(rul_for(score)) > Severity::for_days_to_failure(rul_for(before))
}

/// Lower bound of a band's scores.
fn floor(band: HealthBand) -> f64 {
    match band {
        HealthBand::Excellent => 0.8,
        HealthBand::Good => 0.6,
        HealthBand::Fair => 0.4,
        HealthBand::Poor => 0.2,
        HealthBand::Critical => 0.0,
    }
}

/// The band to report for `score` when `previous` was reported: getting worse is
/// reported at once, getting better only past the hysteresis margin.
pub fn band_with_hysteresis(score: f64, previous: HealthBand) -> HealthBand {
    let raw = HealthBand::from_score(score);
    if raw >= previous {
        return raw;
    }
    // Better than before: climb only into bands whose floor is cleared with margin.
    let mut band = previous;
    while band > raw {
        let better = better_band(band);
        if score >= floor(better) + HYSTERESIS {
            band = better;
        } else {
            break;
        }
    }
    band
}

fn better_band(b: HealthBand) -> HealthBand {
    match b {
        HealthBand::Excellent | HealthBand::Good => HealthBand::Excellent,
        HealthBand::Fair => HealthBand::Good,
        HealthBand::Poor => HealthBand::Fair,
        HealthBand::Critical => HealthBand::Poor,
    }
}

impl Reported {
    /// What was last reported for `c` (as new and excellent when nothing was).
    pub fn last(&self, c: Component) -> Last {
        self.components.get(&c).copied().unwrap_or(Last {
            band: HealthBand::Excellent,
            score: 1.0,
        })
    }

    /// Forgets what was reported for `c` (its part was replaced: as new again) and
    /// returns the band change to announce at once, without the recovery delay that
    /// guards against a wobbling score: a repair is a fact, not a wobble.
    pub fn reset(&mut self, c: Component) -> Option<Transition> {
        let previous = self.last(c);
        self.components.remove(&c);
        self.improving_since.remove(&c);
        let current = self.last(c);
        (current.band != previous.band).then_some(Transition::Changed {
            component: c,
            previous,
            current,
            reason: ChangeReason::BandCrossed,
        })
    }

    /// Records the new `score` of `c`, assessed at `at` (Unix seconds, reading time),
    /// and returns the transitions it makes. Getting worse is reported at once; getting
    /// better once it has lasted [`RECOVERY_S`].
    pub fn update(&mut self, c: Component, score: f64, at: i64) -> Vec<Transition> {
        let previous = self.last(c);
        let mut band = band_with_hysteresis(score, previous.band);
        if band < previous.band {
            let since = *self.improving_since.entry(c).or_insert(at);
            if at - since < RECOVERY_S {
                band = previous.band;
            } else {
                self.improving_since.remove(&c);
            }
        } else {
            self.improving_since.remove(&c);
        }
        let mut out = Vec::new();
        let reason = if band != previous.band {
            Some(ChangeReason::BandCrossed)
        } else if score <= previous.score - SIGNIFICANT_DROP || more_urgent(score, previous.score) {
            Some(ChangeReason::ScoreDropped)
        } else {
            None
        };
        let current = Last { band, score };
        if let Some(reason) = reason {
            out.push(Transition::Changed {
                component: c,
                previous,
                current,
                reason,
            });
            if previous.band < HealthBand::Poor && band >= HealthBand::Poor {
                out.push(Transition::Degraded(c));
            }
            if previous.band < HealthBand::Critical && band == HealthBand::Critical {
                out.push(Transition::Critical(c));
            }
            self.components.insert(c, current);
        } else if score > previous.score
            && HealthBand::from_score(score) == previous.band
            && !more_urgent(previous.score, score)
        {
            // Recovering within the band: later drops are measured from here (a score
            // above the band, not yet lasting, is not a reference; nor is one in a less
            // urgent urgency band, or each bounce across its boundary would be
            // announced again).
            self.components.insert(c, current);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3600;

    #[test]
    fn hovering_on_a_boundary_does_not_flap() {
        let mut r = Reported::default();
        let mut events = 0;
        for (i, score) in [0.79, 0.81, 0.79, 0.82, 0.78, 0.83, 0.80]
            .into_iter()
            .enumerate()
        {
            events += r.update(Component::Dpf, score, i as i64 * HOUR).len();
        }
        // Only the first drop below 0.8 is announced; 0.83 < 0.84 never climbs back.
        assert_eq!(events, 1);
        assert_eq!(r.last(Component::Dpf).band, HealthBand::Good);
    }

    #[test]
    fn recovery_is_announced_once_it_has_lasted() {
        let mut r = Reported::default();
        r.update(Component::Dpf, 0.3, 0);
        assert_eq!(r.last(Component::Dpf).band, HealthBand::Poor);
        // A wobble above the floor, then below again: no change, no second alarm.
        assert!(r.update(Component::Dpf, 0.5, HOUR).is_empty());
        assert!(r.update(Component::Dpf, 0.35, 2 * HOUR).is_empty());
        // A repair: better for two days, then announced.
        assert!(r.update(Component::Dpf, 0.9, 3 * HOUR).is_empty());
        assert!(r.update(Component::Dpf, 0.9, 40 * HOUR).is_empty());
        let t = r.update(Component::Dpf, 0.9, 3 * HOUR + RECOVERY_S);
        assert!(
            matches!(t.as_slice(), [Transition::Changed { .. }]),
            "{t:?}"
        );
        assert_eq!(r.last(Component::Dpf).band, HealthBand::Excellent);
    }

    #[test]
    fn degraded_and_critical_are_raised_once_each() {
        let mut r = Reported::default();
        let mut all = Vec::new();
        for (i, score) in [0.9, 0.7, 0.5, 0.35, 0.36, 0.34, 0.15, 0.1, 0.22, 0.18]
            .into_iter()
            .enumerate()
        {
            all.extend(r.update(Component::Brakes, score, i as i64 * HOUR));
        }
        let degraded = all
            .iter()
            .filter(|t| matches!(t, Transition::Degraded(_)))
            .count();
        let critical = all
            .iter()
            .filter(|t| matches!(t, Transition::Critical(_)))
            .count();
        assert_eq!((degraded, critical), (1, 1));
    }

    #[test]
    fn a_jump_to_critical_is_both_degraded_and_critical() {
        let mut r = Reported::default();
        let t = r.update(Component::Cooling, 0.1, 0);
        assert!(t.contains(&Transition::Degraded(Component::Cooling)));
        assert!(t.contains(&Transition::Critical(Component::Cooling)));
    }

    #[test]
    fn a_reset_announces_the_recovery_at_once() {
        let mut r = Reported::default();
        r.update(Component::Dpf, 0.1, 0);
        r.update(Component::Dpf, 0.9, HOUR);
        let t = r.reset(Component::Dpf);
        assert!(
            matches!(
                t,
                Some(Transition::Changed {
                    previous: Last {
                        band: HealthBand::Critical,
                        ..
                    },
                    current: Last {
                        band: HealthBand::Excellent,
                        ..
                    },
                    reason: ChangeReason::BandCrossed,
                    ..
                })
            ),
            "{t:?}"
        );
        // As new: nothing more to say, and a later fault is raised again.
        assert!(r.update(Component::Dpf, 1.0, 2 * HOUR).is_empty());
        assert!(r.reset(Component::Dpf).is_none());
        let t = r.update(Component::Dpf, 0.3, 3 * HOUR);
        assert!(t.contains(&Transition::Degraded(Component::Dpf)), "{t:?}");
    }

    #[test]
    fn each_more_urgent_band_is_announced_once() {
        use super::super::score::from_rul;
        let mut r = Reported::default();
        r.update(Component::Brakes, from_rul(19.0), 0);
        let mut announced = Vec::new();
        // A day at a time down to failure, each day's score bouncing back up a day and
        // a half an hour later (across the urgency boundary just crossed).
        for day in 1..=19 {
            let at = i64::from(day) * 24 * HOUR;
            let left = 19.0 - f64::from(day);
            let mut out = r.update(Component::Brakes, from_rul(left), at);
            out.extend(r.update(Component::Brakes, from_rul(left + 1.5), at + HOUR));
            for t in out {
                if let Transition::Changed {
                    reason: ChangeReason::ScoreDropped,
                    ..
                } = t
                {
                    announced.push(left);
                }
            }
        }
        assert_eq!(announced, vec![14.0, 7.0, 2.0]);
    }

    #[test]
    fn significant_drop_within_a_band() {
        let mut r = Reported::default();
        assert!(r.update(Component::Tires, 1.0, 0).is_empty());
        let t = r.update(Component::Tires, 0.84, HOUR);
        assert!(matches!(
            t.as_slice(),
            [Transition::Changed {
                reason: ChangeReason::ScoreDropped,
                ..
            }]
        ));
    }
}
