//! A service center's capacity as people describe it: opening hours per weekday,
//! technicians' skills and weekly shifts, part names. Clock times are `HH:MM` UTC on
//! the 30-minute grid of booking slots; they are stored as minutes since midnight.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The skills a job may need and a technician or center may have.
pub use super::catalog::SKILLS;

/// Length of a booking slot: every opening and shift boundary falls on this grid.
pub const SLOT_MINUTES: i64 = 30;

/// Minutes in a day (`24:00`).
pub const DAY_MINUTES: i64 = 24 * 60;

/// `HH:MM` (`00:00` to `24:00`) as minutes since midnight.
pub fn parse_clock(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not a time of day HH:MM (00:00 to 24:00)");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    let minutes = h * 60 + m;
    if m >= 60 || minutes > DAY_MINUTES {
        return Err(bad());
    }
    Ok(minutes)
}

/// Minutes since midnight as `HH:MM` (`24:00` for the end of the day).
pub fn clock(minutes: i64) -> String {
    format!(
        "{:02}:{:02}",
        minutes.div_euclid(60),
        minutes.rem_euclid(60)
    )
}

/// A clock time on the slot grid, in minutes.
fn grid_clock(text: &str) -> Result<i64, String> {
    let minutes = parse_clock(text)?;
    if minutes % SLOT_MINUTES != 0 {
        return Err(format!(
            "{text} is not on the {SLOT_MINUTES}-minute grid of booking slots (use :00 or :30)"
        ));
    }
    Ok(minutes)
}

/// `[start, end)` in minutes from two grid clock times, `start` before `end`.
fn span(start: &str, end: &str, names: (&str, &str)) -> Result<(i64, i64), String> {
    let from = grid_clock(start).map_err(|e| format!("`{}`: {e}", names.0))?;
    let to = grid_clock(end).map_err(|e| format!("`{}`: {e}", names.1))?;
    if from >= to {
        return Err(format!(
            "`{}` {start} must be before `{}` {end}",
            names.0, names.1
        ));
    }
    Ok((from, to))
}

/// One day's opening hours as clients write them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DayHours {
    /// Opening time, `HH:MM` UTC on the 30-minute grid.
    #[schema(example = "07:00")]
    pub open: String,
    /// Closing time, `HH:MM` UTC on the 30-minute grid (`24:00` allowed), after `open`.
    #[schema(example = "19:00")]
    pub close: String,
}

/// One open day, in minutes since midnight UTC; written and read as [`DayHours`]
/// (which is checked when read), stored as `[open_minute, close_minute]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DayHours", into = "DayHours")]
pub struct Opening {
    /// Opens at.
    pub open_minute: i64,
    /// Closes at (exclusive).
    pub close_minute: i64,
}

impl TryFrom<DayHours> for Opening {
    type Error = String;
    fn try_from(d: DayHours) -> Result<Self, String> {
        let (open_minute, close_minute) = span(&d.open, &d.close, ("open", "close"))?;
        Ok(Self {
            open_minute,
            close_minute,
        })
    }
}

impl From<Opening> for DayHours {
    fn from(o: Opening) -> Self {
        Self {
            open: clock(o.open_minute),
            close: clock(o.close_minute),
        }
    }
}

/// A week of opening hours, Monday first; `None` = closed.
pub type Week = Vec<Option<Opening>>;

/// Fails unless `hours` has one entry per weekday.
pub fn check_week(hours: &[Option<Opening>]) -> Result<(), String> {
    if hours.len() != 7 {
        return Err(format!(
            "`hours` must have 7 entries, Monday first (null = closed), not {}",
            hours.len()
        ));
    }
    Ok(())
}

/// The stored form of a week: 7 entries of null or `[open_minute, close_minute]`.
pub fn stored_week(hours: &[Option<Opening>]) -> Vec<Option<[i64; 2]>> {
    hours
        .iter()
        .map(|d| d.map(|o| [o.open_minute, o.close_minute]))
        .collect()
}

/// A week from its stored form.
pub fn week_from_stored(stored: &[Option<[i64; 2]>]) -> Week {
    stored
        .iter()
        .map(|d| {
            d.map(|[open_minute, close_minute]| Opening {
                open_minute,
                close_minute,
            })
        })
        .collect()
}

/// A service center, as stored and served.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Center {
    /// Id (UUID v7).
    pub id: Uuid,
    /// Organization.
    pub org_id: String,
    /// Display name.
    pub name: String,
    /// Postal address.
    pub address: String,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Service bays (appointments at once).
    pub bays: i32,
    /// Seven entries, Monday first: `null` (closed) or `{open, close}` UTC.
    #[schema(value_type = Vec<Option<DayHours>>)]
    pub hours: Week,
    /// Skills the center is known for.
    pub specializations: Vec<String>,
    /// Takes emergency work.
    pub emergency: bool,
    /// Rating, 0 to 5.
    pub rating: f64,
    /// Retired centers take no new bookings.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A technician's weekly shift as clients write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftView {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    /// Start, `HH:MM` UTC on the 30-minute grid.
    #[schema(example = "07:00")]
    pub start: String,
    /// End, `HH:MM` UTC on the 30-minute grid (`24:00` allowed), after `start`. A
    /// shift crossing midnight is two entries.
    #[schema(example = "15:00")]
    pub end: String,
}

/// A weekly shift in minutes; also its stored form
/// (`{"weekday", "start_minute", "end_minute"}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    /// Starts at, minutes since midnight UTC.
    pub start_minute: i64,
    /// Ends at (exclusive).
    pub end_minute: i64,
}

impl From<Shift> for ShiftView {
    fn from(s: Shift) -> Self {
        Self {
            weekday: s.weekday,
            start: clock(s.start_minute),
            end: clock(s.end_minute),
        }
    }
}

/// Serializes stored shifts as clients write them (`serialize_with` of a served
/// technician).
pub fn serialize_shift_views<S: serde::Serializer>(
    shifts: &[Shift],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(shifts.iter().map(|s| ShiftView::from(*s)))
}

/// Most shifts one technician may have in a week (one per slot).
const MAX_SHIFTS: usize = 7 * (DAY_MINUTES / SLOT_MINUTES) as usize;

/// Shifts in minutes, sorted by weekday and start: weekdays 0 to 6, grid times, no
/// two overlapping on a weekday (touching is fine).
pub fn parse_shifts(shifts: &[ShiftView]) -> Result<Vec<Shift>, String> {
    if shifts.len() > MAX_SHIFTS {
        return Err(format!(
            "`shifts` has {} entries; at most {MAX_SHIFTS}",
            shifts.len()
        ));
    }
    let mut parsed = Vec::with_capacity(shifts.len());
    for (i, s) in shifts.iter().enumerate() {
        if s.weekday > 6 {
            return Err(format!(
                "`shifts[{i}].weekday` {} is not 0 (Monday) to 6 (Sunday)",
                s.weekday
            ));
        }
        let (start_minute, end_minute) =
            span(&s.start, &s.end, ("start", "end")).map_err(|e| format!("`shifts[{i}]`: {e}"))?;
        parsed.push(Shift {
            weekday: s.weekday,
            start_minute,
            end_minute,
        });
    }
    parsed.sort_by_key(|s| (s.weekday, s.start_minute));
    if let Some(w) = parsed
        .windows(2)
        .find(|w| w[0].weekday == w[1].weekday && w[1].start_minute < w[0].end_minute)
    {
        let view = |s: Shift| format!("{}-{}", clock(s.start_minute), clock(s.end_minute));
        return Err(format!(
            "`shifts`: on weekday {} the shifts {} and {} overlap",
            w[0].weekday,
            view(w[0]),
            view(w[1])
        ));
    }
    Ok(parsed)
}

/// Fails unless every entry of `field` is a known skill, listed once; and, when
/// `required`, unless there is one.
pub fn check_skills(field: &str, skills: &[String], required: bool) -> Result<(), String> {
    if required && skills.is_empty() {
        return Err(format!(
            "`{field}` must name at least one skill of {}",
            SKILLS.join(", ")
        ));
    }
    for (i, s) in skills.iter().enumerate() {
        if !SKILLS.contains(&s.as_str()) {
            return Err(format!(
                "`{field}[{i}]` {s:?} is not a skill; expected one of {}",
                SKILLS.join(", ")
            ));
        }
        if skills[..i].contains(s) {
            return Err(format!("`{field}[{i}]` {s:?} is listed twice"));
        }
    }
    Ok(())
}

/// Fails unless `part` is 1 to 64 characters of `a-z`, `0-9`, `_` and `-`.
pub fn check_part(part: &str) -> Result<(), String> {
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-');
    if part.is_empty() || part.len() > 64 || !part.bytes().all(allowed) {
        return Err(format!(
            "part {part:?} must be 1 to 64 characters of a-z, 0-9, `_` and `-`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_round_trip_and_refuse_nonsense() {
        assert_eq!(parse_clock("07:30"), Ok(450));
        assert_eq!(parse_clock("24:00"), Ok(DAY_MINUTES));
        assert_eq!(parse_clock("00:00"), Ok(0));
        for bad in [
            "24:30", "7:00", "07:60", "07-00", "0a:00", "", "+7:00", "07:00:00",
        ] {
            assert!(parse_clock(bad).is_err(), "{bad}");
        }
        for m in [0, 30, 450, 1410, DAY_MINUTES] {
            assert_eq!(parse_clock(&clock(m)), Ok(m));
        }
    }

    fn day(open: &str, close: &str) -> Result<Opening, String> {
        Opening::try_from(DayHours {
            open: open.into(),
            close: close.into(),
        })
    }

    #[test]
    fn openings_are_on_the_grid_and_open_before_closing() {
        assert_eq!(
            day("07:00", "24:00"),
            Ok(Opening {
                open_minute: 420,
                close_minute: 1440
            })
        );
        assert!(day("19:00", "07:00").unwrap_err().contains("before"));
        assert!(day("07:00", "07:00").is_err());
        assert!(day("07:15", "19:00").unwrap_err().contains("grid"));
        let json = serde_json::to_value(day("07:00", "19:30").unwrap()).unwrap();
        assert_eq!(json, serde_json::json!({"open": "07:00", "close": "19:30"}));
    }

    #[test]
    fn weeks_have_seven_days_and_store_as_minute_pairs() {
        let open = day("08:00", "17:00").ok();
        let mut week = vec![open; 5];
        week.extend([None, None]);
        assert!(check_week(&week).is_ok());
        assert!(check_week(&week[..6]).unwrap_err().contains("7 entries"));
        let stored = stored_week(&week);
        assert_eq!(stored[0], Some([480, 1020]));
        assert_eq!(stored[6], None);
        assert_eq!(week_from_stored(&stored), week);
    }

    fn shift(weekday: u8, start: &str, end: &str) -> ShiftView {
        ShiftView {
            weekday,
            start: start.into(),
            end: end.into(),
        }
    }

    #[test]
    fn shifts_are_checked_sorted_and_may_touch_but_not_overlap() {
        let ok = parse_shifts(&[
            shift(1, "15:00", "24:00"),
            shift(1, "07:00", "15:00"),
            shift(2, "00:00", "06:00"),
        ])
        .unwrap();
        assert_eq!(ok[0].start_minute, 420);
        assert_eq!(ok[1].end_minute, DAY_MINUTES);
        let overlap = parse_shifts(&[shift(0, "07:00", "15:00"), shift(0, "14:30", "20:00")]);
        assert!(overlap.unwrap_err().contains("overlap"));
        assert!(parse_shifts(&[shift(7, "07:00", "15:00")]).is_err());
        assert!(
            parse_shifts(&[shift(0, "07:10", "15:00")])
                .unwrap_err()
                .contains("grid")
        );
        assert!(parse_shifts(&[shift(0, "22:00", "06:00")]).is_err());
        let stored = serde_json::to_value(ok[0]).unwrap();
        assert_eq!(
            stored,
            serde_json::json!({"weekday": 1, "start_minute": 420, "end_minute": 900})
        );
        assert_eq!(ShiftView::from(ok[0]), shift(1, "07:00", "15:00"));
    }

    #[test]
    fn skills_and_parts() {
        let skills = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(check_skills("skills", &skills(&["engine", "brakes"]), true).is_ok());
        assert!(check_skills("skills", &[], true).is_err());
        assert!(check_skills("specializations", &[], false).is_ok());
        assert!(
            check_skills("skills", &skills(&["welding"]), true)
                .unwrap_err()
                .contains("`skills[0]`")
        );
        assert!(check_skills("skills", &skills(&["tires", "tires"]), true).is_err());
        assert!(check_part("dpf_filter-2").is_ok());
        for bad in ["", "DPF", "dpf filter", &"x".repeat(65), "ölfilter"] {
            assert!(check_part(bad).is_err(), "{bad}");
        }
    }
}
