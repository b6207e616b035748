//! Growth laws: how a failure part's damage grows from the fault's onset to its limit.
//!
//! A fault does not move its damage along a straight line: a clogging filter or an
//! overheating circuit accelerates (exponential), a leak or worn pad follows a power law
//! of the time since the fault began. Fitting the part's law to its whole damage
//! history — healthy days included, since they place the onset — gives the time the
//! damage reaches its limit, where a seven-day straight or log-linear extrapolation is
//! optimistic early on and noisy late. The law of each part, and the damage at which it
//! actually fails, are learned from simulated fleets with known failures
//! (`train-health`).

use serde::{Deserialize, Serialize};

use super::trend::Point;

/// The shape of damage against progress (0 at the onset, 1 at the limit).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "law", rename_all = "snake_case")]
pub enum Law {
    /// `progress^k`: wear, leaks, ageing (k > 1 accelerates).
    Power {
        /// The exponent.
        k: f64,
    },
    /// `(e^{rate·progress} − 1) / (e^{rate} − 1)`: self-accelerating faults.
    Exponential {
        /// How sharply it accelerates.
        rate: f64,
    },
}

impl Law {
    /// The share of the way to the limit at `progress`.
    pub fn at(&self, progress: f64) -> f64 {
        if progress <= 0.0 {
            return 0.0;
        }
        match *self {
            Self::Power { k } => progress.powf(k),
            Self::Exponential { rate } => (rate * progress).exp_m1() / rate.exp_m1(),
        }
    }
}

/// A part's learned growth: its law, whether its damage starts from a level of its own
/// (a pad's wear at the fault's onset), and the damage at which it fails.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Growth {
    /// The law.
    #[serde(flatten)]
    pub law: Law,
    /// Whether the fault starts from a damage level of its own rather than from the
    /// baseline.
    #[serde(default)]
    pub offset: bool,
    /// Damage at which the part is failed (1 = the workshop limit as measured; the
    /// daily damage of some parts runs ahead of or behind the physical criterion).
    #[serde(default = "unit")]
    pub limit: f64,
}

fn unit() -> f64 {
    1.0
}

/// A fitted growth curve; times in days relative to now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    /// Days until the damage reaches the limit (0 when past it).
    pub rul_days: f64,
    /// When the fault began.
    pub onset: f64,
}

/// Fewest points a fit needs.
const MIN_POINTS: usize = 3;
/// How far before the oldest point the onset may lie, days.
const ONSET_BEFORE_DAYS: f64 = 90.0;
/// Onset grid: a day apart among the points, spreading out before the oldest one
/// (where only the curve's shape places it), then refined around the best.
const COARSE_STEP: f64 = 1.0;
const BEFORE_GROWTH: f64 = 1.35;
const REFINE_STEPS: usize = 20;
/// The onset lies at least this far before the newest point, days.
const MIN_HISTORY_DAYS: f64 = 0.1;
/// Durations searched, days.
const MIN_DURATION: f64 = 0.25;
const MAX_DURATION: f64 = 1_000.0;
/// Durations on the exponential laws' coarse grid (log-spaced).
const DURATIONS: usize = 36;
/// A fault that started at a damage level of its own: the levels allowed.
const OFFSET_RANGE: (f64, f64) = (-0.5, 0.98);

/// A candidate curve: its residual sum of squares, onset and duration.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    sse: f64,
    onset: f64,
    duration: f64,
}

/// Coarse onset candidates, ascending: geometrically spaced before `first`, a day apart
/// from `first` to `latest`.
fn coarse_onsets(first: f64, latest: f64) -> Vec<f64> {
    let mut before = Vec::new();
    let mut gap = COARSE_STEP / 2.0;
    while gap < ONSET_BEFORE_DAYS {
        before.push(first - gap);
        gap *= BEFORE_GROWTH;
    }
    before.push(first - ONSET_BEFORE_DAYS);
    before.reverse();
    let mut onset = first;
    while onset <= latest {
        before.push(onset);
        onset += COARSE_STEP;
    }
    before
}

impl Growth {
    /// Fits the law to `points` (damage, not yet divided by the limit); `None` with too
    /// few points or no growth.
    pub fn fit(&self, points: &[Point]) -> Option<Fit> {
        let pts: Vec<Point> = points
            .iter()
            .filter(|p| p.w > 0.0 && p.y.is_finite() && p.t.is_finite())
            .map(|p| Point {
                y: p.y / self.limit,
                ..*p
            })
            .collect();
        if pts.len() < MIN_POINTS {
            return None;
        }
        let first = pts.iter().map(|p| p.t).fold(f64::INFINITY, f64::min);
        let last = pts.iter().map(|p| p.t).fold(f64::NEG_INFINITY, f64::max);
        // The onset lies before the newest point (else there is nothing to fit).
        let latest_onset = last - MIN_HISTORY_DAYS;
        let onsets = coarse_onsets(first, latest_onset);
        let b = match self.law {
            Law::Power { k } => self.fit_power(&pts, &onsets, k)?,
            Law::Exponential { rate } => self.fit_exponential(&pts, &onsets, rate)?,
        };
        Some(Fit {
            rul_days: (b.onset + b.duration).max(0.0),
            onset: b.onset,
        })
    }

    /// Power law: the best duration of each onset in closed form, over the coarse
    /// onsets and then between the neighbours of the best.
    fn fit_power(&self, pts: &[Point], onsets: &[f64], k: f64) -> Option<Candidate> {
        let best_of = |onsets: &mut dyn Iterator<Item = f64>| {
            onsets
                .filter_map(|onset| self.power_for_onset(pts, onset, k))
                .reduce(|best, c| if c.sse < best.sse { c } else { best })
        };
        let coarse = best_of(&mut onsets.iter().copied())?;
        let (lo, hi) = neighbours(onsets, coarse.onset);
        let step = (hi - lo) / REFINE_STEPS as f64;
        let fine = best_of(&mut (0..=REFINE_STEPS).map(|i| lo + step * i as f64));
        Some(fine.filter(|f| f.sse < coarse.sse).unwrap_or(coarse))
    }

    /// Power law: `damage = b + a · (t − onset)^k` is linear in `a` (and `b`), so the
    /// duration follows in closed form.
    fn power_for_onset(&self, pts: &[Point], onset: f64, k: f64) -> Option<Candidate> {
        let u: Vec<f64> = pts.iter().map(|p| (p.t - onset).max(0.0).powf(k)).collect();
        let (a, b) = if self.offset {
            let (sw, su, sy, suu, suy) = pts.iter().zip(&u).fold(
                (0.0, 0.0, 0.0, 0.0, 0.0),
                |(sw, su, sy, suu, suy), (p, u)| {
                    (
                        sw + p.w,
                        su + p.w * u,
                        sy + p.w * p.y,
                        suu + p.w * u * u,
                        suy + p.w * u * p.y,
                    )
                },
            );
            let det = sw * suu - su * su;
            if suu <= 0.0 || det <= 1e-12 * sw * suu {
                return None;
            }
            let a = (sw * suy - su * sy) / det;
            let b = (sy - a * su) / sw;
            let clamped = b.clamp(OFFSET_RANGE.0, OFFSET_RANGE.1);
            if clamped == b {
                (a, b)
            } else {
                // The level at its bound, the rate refitted for it.
                ((suy - clamped * su) / suu, clamped)
            }
        } else {
            let (suu, suy) = pts.iter().zip(&u).fold((0.0, 0.0), |(suu, suy), (p, u)| {
                (suu + p.w * u * u, suy + p.w * u * p.y)
            });
            if suu <= 0.0 {
                return None;
            }
            (suy / suu, 0.0)
        };
        if a <= 0.0 || !a.is_finite() {
            return None;
        }
        let sse = pts
            .iter()
            .zip(&u)
            .map(|(p, u)| p.w * (p.y - b - a * u).powi(2))
            .sum();
        // b + a·T^k = 1 at the limit.
        let duration = ((1.0 - b) / a).powf(1.0 / k);
        duration.is_finite().then_some(Candidate {
            sse,
            onset,
            duration: duration.clamp(MIN_DURATION, MAX_DURATION),
        })
    }

    /// Exponential law: a grid of durations by onsets, refined around the best. For one
    /// duration, `e^{λ(t − onset)} = e^{λt} · e^{−λ·onset}` needs one exponential per
    /// point and one per onset.
    fn fit_exponential(&self, pts: &[Point], onsets: &[f64], rate: f64) -> Option<Candidate> {
        let ratio = (MAX_DURATION / MIN_DURATION).powf(1.0 / (DURATIONS - 1) as f64);
        let durations: Vec<f64> = (0..DURATIONS)
            .map(|i| MIN_DURATION * ratio.powi(i as i32))
            .collect();
        let mut scratch = Scratch::default();
        let coarse = self.exponential_grid(pts, onsets, &durations, rate, &mut scratch)?;
        let (lo, hi) = neighbours(onsets, coarse.onset);
        let step = (hi - lo) / REFINE_STEPS as f64;
        let fine_onsets: Vec<f64> = (0..=REFINE_STEPS).map(|i| lo + step * i as f64).collect();
        let fine_durations: Vec<f64> = (0..=REFINE_STEPS)
            .map(|i| coarse.duration / ratio * ratio.powf(2.0 * i as f64 / REFINE_STEPS as f64))
            .collect();
        let fine = self.exponential_grid(pts, &fine_onsets, &fine_durations, rate, &mut scratch);
        Some(fine.filter(|f| f.sse < coarse.sse).unwrap_or(coarse))
    }

    fn exponential_grid(
        &self,
        pts: &[Point],
        onsets: &[f64],
        durations: &[f64],
        rate: f64,
        scratch: &mut Scratch,
    ) -> Option<Candidate> {
        let inv_scale = 1.0 / rate.exp_m1();
        let mut best: Option<Candidate> = None;
        for &duration in durations {
            let lambda = rate / duration;
            scratch.q.clear();
            scratch.q.extend(pts.iter().map(|p| (lambda * p.t).exp()));
            for &onset in onsets {
                let g = (-lambda * onset).exp();
                scratch.s.clear();
                scratch
                    .s
                    .extend(scratch.q.iter().map(|q| (q * g - 1.0).max(0.0) * inv_scale));
                let sse = self.sse(pts, &scratch.s);
                if sse.is_finite() && best.is_none_or(|b| sse < b.sse) {
                    best = Some(Candidate {
                        sse,
                        onset,
                        duration,
                    });
                }
            }
        }
        best
    }

    /// Residual sum of squares of the curve values `s` at the points (the offset, if
    /// any, in closed form).
    fn sse(&self, pts: &[Point], s: &[f64]) -> f64 {
        let b = if self.offset {
            // damage = b + (1 − b)·s  ⇔  damage − s = b·(1 − s)
            let (num, den) = pts.iter().zip(s).fold((0.0, 0.0), |(num, den), (p, s)| {
                (
                    num + p.w * (1.0 - s) * (p.y - s),
                    den + p.w * (1.0 - s).powi(2),
                )
            });
            if den > 0.0 {
                (num / den).clamp(OFFSET_RANGE.0, OFFSET_RANGE.1)
            } else {
                0.0
            }
        } else {
            0.0
        };
        pts.iter()
            .zip(s)
            .map(|(p, s)| p.w * (p.y - b - (1.0 - b) * s).powi(2))
            .sum()
    }
}

/// Buffers reused across the grid.
#[derive(Debug, Default)]
struct Scratch {
    q: Vec<f64>,
    s: Vec<f64>,
}

/// The coarse onsets either side of `onset` (itself at the ends).
fn neighbours(onsets: &[f64], onset: f64) -> (f64, f64) {
    let i = onsets.iter().position(|o| *o == onset).unwrap_or_default();
    (
        onsets[i.saturating_sub(1)],
        onsets[(i + 1).min(onsets.len() - 1)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Daily points of a fault that began `onset_ago` days ago and reaches the limit
    /// `ttf` days from now, over the last `days` days, with a small alternating error.
    fn history(law: Law, start: f64, onset_ago: f64, ttf: f64, days: usize) -> Vec<Point> {
        let duration = onset_ago + ttf;
        (0..days)
            .map(|k| {
                let t = -((days - 1 - k) as f64) - 0.5;
                let wobble = if k % 2 == 0 { 0.004 } else { -0.004 };
                let s = law.at((t + onset_ago) / duration);
                Point {
                    t,
                    y: start + (1.0 - start) * s + wobble,
                    w: 20.0,
                }
            })
            .collect()
    }

    fn growth(law: Law, offset: bool) -> Growth {
        Growth {
            law,
            offset,
            limit: 1.0,
        }
    }

    #[test]
    fn power_law_faults_are_extrapolated_to_their_limit() {
        let law = Law::Power { k: 1.7 };
        // Ten days into a 22-day leak: the damage is only 0.27, a straight line through
        // the last week would say about twice the time left.
        let pts = history(law, 0.0, 10.0, 12.0, 20);
        let fit = growth(law, false).fit(&pts).expect("fit");
        assert!((fit.rul_days - 12.0).abs() < 1.0, "{fit:?}");
        assert!((fit.onset + 10.0).abs() < 1.0, "{fit:?}");
    }

    #[test]
    fn exponential_faults_are_extrapolated_to_their_limit() {
        let law = Law::Exponential { rate: 3.0 };
        let pts = history(law, 0.0, 20.0, 8.0, 28);
        let fit = growth(law, false).fit(&pts).expect("fit");
        assert!((fit.rul_days - 8.0).abs() < 1.0, "{fit:?}");
    }

    #[test]
    fn an_offset_fault_starts_from_its_own_level() {
        // Pads already 45 % worn when a caliper starts sticking.
        let law = Law::Power { k: 1.3 };
        let pts = history(law, 0.45, 6.0, 20.0, 14);
        let fit = growth(law, true).fit(&pts).expect("fit");
        assert!((fit.rul_days - 20.0).abs() < 2.0, "{fit:?}");
        let without = growth(law, false).fit(&pts).expect("fit");
        assert!(
            (without.rul_days - 20.0).abs() > (fit.rul_days - 20.0).abs(),
            "{without:?}"
        );
    }

    #[test]
    fn the_limit_scales_the_damage() {
        let law = Law::Power { k: 2.0 };
        // Damage of a part that fails when its measured damage reaches 1.25.
        let pts: Vec<Point> = history(law, 0.0, 15.0, 5.0, 20)
            .into_iter()
            .map(|p| Point { y: p.y * 1.25, ..p })
            .collect();
        let scaled = Growth {
            limit: 1.25,
            ..growth(law, false)
        };
        let fit = scaled.fit(&pts).expect("fit");
        assert!((fit.rul_days - 5.0).abs() < 0.5, "{fit:?}");
        let unscaled = growth(law, false).fit(&pts).expect("fit");
        assert!(unscaled.rul_days < 4.0, "{unscaled:?}");
    }

    #[test]
    fn no_growth_no_fit() {
        let flat: Vec<Point> = (0..10)
            .map(|k| Point {
                t: -f64::from(k),
                y: -0.01,
                w: 1.0,
            })
            .collect();
        assert!(growth(Law::Power { k: 1.5 }, false).fit(&flat).is_none());
        assert!(
            growth(Law::Power { k: 1.5 }, false)
                .fit(&flat[..2])
                .is_none()
        );
    }
}
