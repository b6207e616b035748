//! Vector time charts of the pack: the component's health score over the months before
//! the failure (band shading, the failure date, the predicted end of life) and small
//! charts of telemetry signals on a day axis ending at the failure.

use chrono::{Duration, NaiveDate};
use printpdf::Op;

use super::SignalTrend;
use super::canvas::{
    BLACK, BLUE, Canvas, GREY, LIGHT, MARGIN, ORANGE, PAGE_W, RED, dashed, polyline, rect, text,
};
use crate::domain::model::HealthPoint;

const HEALTH_H: f32 = 150.0;
const TREND_H: f32 = 64.0;
/// Room left of the plot for value labels.
const AXIS_W: f32 = 38.0;
/// A series is broken where readings are further apart than this (no line over a gap).
const GAP_DAYS: i64 = 3;

/// Health bands, low to high: (from, to, fill, name).
const BANDS: [(f64, f64, [f32; 3], &str); 5] = [
    (0.0, 0.2, [1.0, 0.85, 0.85], "critical"),
    (0.2, 0.4, [1.0, 0.91, 0.8], "poor"),
    (0.4, 0.6, [1.0, 0.97, 0.83], "fair"),
    (0.6, 0.8, [0.92, 0.97, 0.86], "good"),
    (0.8, 1.0, [0.86, 0.95, 0.87], "excellent"),
];

/// A plot area mapping days and values to page points.
struct Frame {
    x0: f32,
    y0: f32,
    w: f32,
    h: f32,
    from: NaiveDate,
    span: f32,
    lo: f64,
    hi: f64,
}

impl Frame {
    /// Top-left at (margin, `top`), the days `from..=to`, values `lo..=hi`.
    fn new(top: f32, h: f32, days: (NaiveDate, NaiveDate), lo: f64, hi: f64) -> Self {
        let x0 = MARGIN + AXIS_W;
        Self {
            x0,
            y0: top - h,
            w: PAGE_W - MARGIN - x0,
            h,
            from: days.0,
            span: (days.1 - days.0).num_days().max(1) as f32,
            lo,
            hi: if hi > lo { hi } else { lo + 1.0 },
        }
    }

    fn x(&self, d: NaiveDate) -> f32 {
        let t = ((d - self.from).num_days() as f32 / self.span).clamp(0.0, 1.0);
        self.w.mul_add(t, self.x0)
    }

    fn y(&self, v: f64) -> f32 {
        let t = ((v - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0);
        self.h.mul_add(t as f32, self.y0)
    }

    /// Grid lines at `ticks` with their labels, the axes, and up to six day labels.
    fn axes(&self, ops: &mut Vec<Op>, ticks: &[f64], label: impl Fn(f64) -> String) {
        let right = self.x0 + self.w;
        for v in ticks {
            let y = self.y(*v);
            polyline(ops, &[(self.x0, y), (right, y)], LIGHT, 0.4);
            text(ops, MARGIN, y - 2.5, 6.5, false, GREY, &label(*v));
        }
        polyline(
            ops,
            &[
                (self.x0, self.y0 + self.h),
                (self.x0, self.y0),
                (right, self.y0),
            ],
            BLACK,
            0.7,
        );
        let mut last = None;
        for k in 0..=5 {
            let day = self.from + Duration::days((self.span * k as f32 / 5.0).round() as i64);
            if last != Some(day) {
                let x = self.x(day);
                text(
                    ops,
                    x - 10.0,
                    self.y0 - 9.0,
                    6.5,
                    false,
                    GREY,
                    &day.format("%b %d").to_string(),
                );
                last = Some(day);
            }
        }
    }

    /// The points as a line, broken over gaps in the readings.
    fn series(&self, ops: &mut Vec<Op>, points: &[(NaiveDate, f64)], color: [f32; 3]) {
        let mut run: Vec<(f32, f32)> = Vec::new();
        let mut prev: Option<NaiveDate> = None;
        for (day, v) in points {
            if prev.is_some_and(|p| (*day - p).num_days() > GAP_DAYS) {
                draw_run(ops, &run, color);
                run.clear();
            }
            run.push((self.x(*day), self.y(*v)));
            prev = Some(*day);
        }
        draw_run(ops, &run, color);
    }

    /// A dashed vertical line at `day` labelled at its top.
    fn mark(&self, ops: &mut Vec<Op>, day: NaiveDate, color: [f32; 3], label: &str) {
        let x = self.x(day);
        dashed(ops, (x, self.y0), (x, self.y0 + self.h + 4.0), color);
        let lx = (x - 60.0).max(self.x0);
        text(ops, lx, self.y0 + self.h + 6.0, 6.5, true, color, label);
    }
}

/// A lone reading is drawn as a dot (a line needs two points).
fn draw_run(ops: &mut Vec<Op>, run: &[(f32, f32)], color: [f32; 3]) {
    match run {
        [] => {}
        [(x, y)] => rect(ops, (x - 1.2, y - 1.2), (2.4, 2.4), color),
        _ => polyline(ops, run, color, 1.2),
    }
}

/// The day range of a chart: from the first reading to the failure (or the last reading
/// when that is later).
fn days(points: &[(NaiveDate, f64)], failure: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = points.first().map_or(failure, |p| p.0).min(failure);
    let last = points.last().map_or(failure, |p| p.0).max(failure);
    (first, last)
}

/// The health chart under the current position, with an orange square on its top edge on
/// each day in `alerts`; the caller handles empty history.
pub(super) fn health(
    c: &mut Canvas,
    history: &[HealthPoint],
    failure: NaiveDate,
    alerts: &[NaiveDate],
) {
    let points: Vec<(NaiveDate, f64)> = history
        .iter()
        .filter(|p| p.score.is_finite())
        .map(|p| (p.day, p.score))
        .collect();
    c.reserve(HEALTH_H + 34.0);
    let f = Frame::new(c.y - 16.0, HEALTH_H, days(&points, failure), 0.0, 1.0);
    let ops = c.ops();
    for (lo, hi, fill, name) in BANDS {
        let (y_lo, y_hi) = (f.y(lo), f.y(hi));
        rect(ops, (f.x0, y_lo), (f.w, y_hi - y_lo), fill);
        text(ops, f.x0 + f.w - 34.0, y_lo + 2.5, 6.0, false, GREY, name);
    }
    f.axes(ops, &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0], |v| format!("{v:.1}"));
    f.series(ops, &points, BLUE);
    let shown = f.from..=f.from + Duration::days(f.span as i64);
    if let Some(eol) = predicted_end(history).filter(|d| *d != failure && shown.contains(d)) {
        f.mark(ops, eol, GREY, &format!("predicted end of life {eol}"));
    }
    for day in alerts.iter().filter(|d| shown.contains(d)) {
        rect(ops, (f.x(*day) - 2.5, f.y0 + f.h - 6.0), (5.0, 5.0), ORANGE);
    }
    f.mark(ops, failure, RED, &format!("failure {failure}"));
    c.y = f.y0 - 14.0;
}

/// The day the newest remaining-life estimate pointed at.
pub(super) fn predicted_end(history: &[HealthPoint]) -> Option<NaiveDate> {
    let (day, rul) = history.iter().rev().find_map(|p| {
        p.rul_days
            .filter(|r| r.is_finite() && *r >= 0.0)
            .map(|r| (p.day, r))
    })?;
    let days = Duration::try_days(rul.min(36_500.0).round() as i64)?;
    day.checked_add_signed(days)
}

/// A small chart of one signal; a line saying so when it has no readings.
pub(super) fn trend(c: &mut Canvas, t: &SignalTrend, failure: NaiveDate) {
    let points: Vec<(NaiveDate, f64)> = t
        .points
        .iter()
        .copied()
        .filter(|p| p.1.is_finite())
        .collect();
    let title = format!("{} ({})", t.name, t.unit);
    let (Some(lo), Some(hi)) = (
        points.iter().map(|p| p.1).reduce(f64::min),
        points.iter().map(|p| p.1).reduce(f64::max),
    ) else {
        c.paragraph(
            &format!("{title}: no readings before the failure."),
            8.0,
            GREY,
        );
        return;
    };
    let pad = ((hi - lo) * 0.08).max(hi.abs().max(1.0) * 0.01);
    let (lo, hi) = (lo - pad, hi + pad);
    c.reserve(TREND_H + 36.0);
    let f = Frame::new(c.y - 26.0, TREND_H, days(&points, failure), lo, hi);
    let ops = c.ops();
    text(ops, MARGIN, f.y0 + f.h + 14.0, 8.0, true, BLACK, &title);
    let mid = lo.midpoint(hi);
    f.axes(ops, &[lo, mid, hi], short);
    f.series(ops, &points, BLUE);
    f.mark(ops, failure, RED, "failure");
    c.y = f.y0 - 14.0;
}

/// A value label of at most about five characters.
fn short(v: f64) -> String {
    match v.abs() {
        a if a >= 10_000.0 => format!("{:.0}k", v / 1000.0),
        a if a >= 100.0 => format!("{v:.0}"),
        a if a >= 1.0 => format!("{v:.1}"),
        _ => format!("{v:.2}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, d).unwrap_or_default()
    }

    #[test]
    fn the_newest_rul_estimate_gives_the_predicted_end() {
        let point = |d, rul| HealthPoint {
            day: day(d),
            score: 0.5,
            band: "fair".to_owned(),
            rul_days: rul,
        };
        let h = [point(1, Some(30.0)), point(2, Some(5.0)), point(3, None)];
        assert_eq!(predicted_end(&h), Some(day(7)));
        assert_eq!(predicted_end(&[point(1, Some(f64::NAN))]), None);
        assert!(predicted_end(&[point(1, Some(f64::MAX))]).is_some());
    }

    #[test]
    fn the_frame_maps_the_failure_to_the_right_edge_and_clamps_values() {
        let f = Frame::new(500.0, 100.0, (day(1), day(11)), 0.0, 1.0);
        assert!((f.x(day(11)) - (f.x0 + f.w)).abs() < 1e-3);
        assert!((f.x(day(6)) - (f.x0 + f.w / 2.0)).abs() < 1e-3);
        assert!((f.y(2.0) - 500.0).abs() < 1e-3 && (f.y(-1.0) - 400.0).abs() < 1e-3);
        let flat = Frame::new(500.0, 100.0, (day(1), day(1)), 3.0, 3.0);
        assert!(flat.x(day(1)).is_finite() && flat.y(3.0).is_finite());
        assert_eq!(short(12_345.0), "12k");
        assert_eq!(short(0.126), "0.13");
    }
}
