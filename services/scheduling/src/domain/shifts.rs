//! A technician's weekly shift pattern made concrete: the intervals of the days ahead,
//! days off left out.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One weekly shift as stored: weekday (0 = Monday) and minutes after midnight UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyShift {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u32,
    /// Start, minutes after midnight UTC.
    pub start_minute: i64,
    /// End, minutes after midnight UTC (up to 1440).
    pub end_minute: i64,
}

/// The concrete shifts of `pattern` on the days from `from` (inclusive) for `days`
/// days, leaving out `days_off`.
pub fn concrete(
    pattern: &[WeeklyShift],
    days_off: &[NaiveDate],
    from: NaiveDate,
    days: u32,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    for d in 0..days {
        let date = from + Duration::days(i64::from(d));
        if days_off.contains(&date) {
            continue;
        }
        let midnight = date.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let Some(midnight) = midnight else { continue };
        let weekday = date.weekday().num_days_from_monday();
        for s in pattern.iter().filter(|s| s.weekday == weekday) {
            out.push((
                midnight + Duration::minutes(s.start_minute),
                midnight + Duration::minutes(s.end_minute),
            ));
        }
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weekday_pattern_skips_weekends_and_days_off() {
        let pattern: Vec<WeeklyShift> = (0..5)
            .map(|weekday| WeeklyShift {
                weekday,
                start_minute: 420,
                end_minute: 900,
            })
            .collect();
        // 2026-12-07 is a Monday.
        let monday = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let off = [NaiveDate::from_ymd_opt(2026, 12, 9).unwrap()];
        let shifts = concrete(&pattern, &off, monday, 14);
        assert_eq!(shifts.len(), 9, "10 weekdays minus one day off");
        assert_eq!(shifts[0].0.to_rfc3339(), "2026-12-07T07:00:00+00:00");
        assert_eq!(shifts[0].1.to_rfc3339(), "2026-12-07T15:00:00+00:00");
        assert!(shifts.iter().all(|(s, _)| s.date_naive() != off[0]));
        assert!(
            shifts
                .iter()
                .all(|(s, _)| s.weekday().num_days_from_monday() < 5)
        );
    }
}
