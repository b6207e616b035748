//! History queries: the time range, the bucket and the number of points, validated
//! into a [`Plan`] the database layer runs (`date_bin` with avg/min per bucket).

use chrono::{DateTime, Duration, Utc};

/// Points per component when the caller does not say.
pub const DEFAULT_POINTS: u32 = 500;
/// Most points per component a caller may ask for.
pub const MAX_POINTS: u32 = 5_000;
/// Finest bucket, seconds: health is published at most about once a minute.
pub const MIN_BUCKET_S: i64 = 60;
/// Coarsest bucket, seconds (a year).
pub const MAX_BUCKET_S: i64 = 366 * 86_400;
/// Range when `from` is absent: this long before `to`.
pub const DEFAULT_RANGE_DAYS: i64 = 7;

/// Bucket sizes chosen automatically, seconds: the finest that keeps the points within
/// the limit.
const NICE_BUCKETS_S: [i64; 13] = [
    60, 300, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800, 2_592_000,
];

/// How rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// Every stored row.
    Raw,
    /// Chosen from the range and the number of points.
    Auto,
    /// Fixed buckets of this many seconds.
    Seconds(i64),
}

/// A validated history query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Start, inclusive.
    pub from: DateTime<Utc>,
    /// End, exclusive.
    pub to: DateTime<Utc>,
    /// Bucket width in seconds; `None` = raw rows.
    pub bucket_s: Option<i64>,
    /// Most points per component.
    pub points: u32,
}

impl Plan {
    /// The bucket as shown to the caller: `raw` or e.g. `1h`.
    pub fn bucket_label(&self) -> String {
        self.bucket_s.map_or_else(|| "raw".to_owned(), label)
    }
}

/// A duration in seconds as the shortest exact label (`90s`, `15m`, `6h`, `1d`, `1w`).
pub fn label(seconds: i64) -> String {
    for (unit, size) in [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)] {
        if seconds % size == 0 {
            return format!("{}{unit}", seconds / size);
        }
    }
    format!("{seconds}s")
}

const BUCKET_HELP: &str = "expected `raw`, `auto`, a duration such as `15m`, `1h`, `6h` or \
    `1d`, a number of seconds, or ISO 8601 such as `PT1H` or `P1D`";

/// Parses `bucket`: `raw`, `auto`, `<n>[s|m|h|d|w]`, plain seconds or an ISO 8601
/// duration of weeks, days, hours, minutes and seconds (`P1DT12H`).
pub fn parse_bucket(text: &str) -> Result<Bucket, String> {
    let t = text.trim();
    let seconds = match t.to_ascii_lowercase().as_str() {
        "raw" => return Ok(Bucket::Raw),
        "auto" | "" => return Ok(Bucket::Auto),
        s if s.starts_with('p') => iso8601_seconds(s),
        s => simple_seconds(s),
    }
    .ok_or_else(|| format!("`bucket` {text:?} is not valid: {BUCKET_HELP}"))?;
    if seconds < MIN_BUCKET_S {
        return Err(format!(
            "`bucket` {text:?} is too fine: buckets are at least {MIN_BUCKET_S} s"
        ));
    }
    if seconds > MAX_BUCKET_S {
        return Err(format!(
            "`bucket` {text:?} is too coarse: buckets are at most 366 days"
        ));
    }
    Ok(Bucket::Seconds(seconds))
}

fn unit_seconds(unit: char) -> Option<i64> {
    Some(match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    })
}

/// `90`, `90s`, `15m`, `6h`, `1d`, `2w`.
fn simple_seconds(s: &str) -> Option<i64> {
    let (digits, unit) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], unit_seconds(c)?),
        _ => (s, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok()?.checked_mul(unit)
}

/// `P1W`, `P1D`, `PT6H`, `P1DT12H30M`, `PT90S` (integers only; no years or months,
/// whose length varies).
fn iso8601_seconds(s: &str) -> Option<i64> {
    let body = s.strip_prefix('p')?;
    let (date, time) = match body.split_once('t') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (body, None),
    };
    let mut total: i64 = 0;
    let mut any = false;
    for (part, allowed) in [(date, "wd"), (time.unwrap_or(""), "hms")] {
        let mut digits = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if allowed.contains(c) && !digits.is_empty() {
                let n: i64 = digits.parse().ok()?;
                total = total.checked_add(n.checked_mul(unit_seconds(c)?)?)?;
                digits.clear();
                any = true;
            } else {
                return None;
            }
        }
        if !digits.is_empty() {
            return None;
        }
    }
    any.then_some(total)
}

/// Validates a history query against `now` (the default end).
pub fn plan(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    bucket: Option<&str>,
    points: Option<u32>,
    now: DateTime<Utc>,
) -> Result<Plan, String> {
    let to = to.unwrap_or(now);
    let from = from.unwrap_or(to - Duration::days(DEFAULT_RANGE_DAYS));
    if from >= to {
        return Err(format!("`from` ({from}) must be before `to` ({to})"));
    }
    let points = points.unwrap_or(DEFAULT_POINTS);
    if !(1..=MAX_POINTS).contains(&points) {
        return Err(format!("`points` must be 1..={MAX_POINTS}, got {points}"));
    }
    let range_s = (to - from).num_seconds().max(1);
    let needed = |bucket_s: i64| (range_s + bucket_s - 1) / bucket_s;
    let bucket_s = match bucket
        .map(parse_bucket)
        .transpose()?
        .unwrap_or(Bucket::Auto)
    {
        Bucket::Raw => None,
        Bucket::Seconds(s) => {
            let n = needed(s);
            if n > i64::from(points) {
                return Err(format!(
                    "`bucket` {} over {} gives up to {n} points per component, more than \
                     `points` = {points}; choose a coarser bucket, a shorter range or more \
                     points (at most {MAX_POINTS})",
                    label(s),
                    label(range_s)
                ));
            }
            Some(s)
        }
        Bucket::Auto => {
            let finest = (range_s + i64::from(points) - 1) / i64::from(points);
            Some(
                NICE_BUCKETS_S
                    .into_iter()
                    .find(|b| *b >= finest)
                    .unwrap_or_else(|| (finest + 86_399) / 86_400 * 86_400),
            )
        }
    };
    Ok(Plan {
        from,
        to,
        bucket_s,
        points,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, day, 0, 0, 0).unwrap()
    }

    #[test]
    fn bucket_forms() {
        assert_eq!(parse_bucket("raw"), Ok(Bucket::Raw));
        assert_eq!(parse_bucket("auto"), Ok(Bucket::Auto));
        assert_eq!(parse_bucket("1h"), Ok(Bucket::Seconds(3_600)));
        assert_eq!(parse_bucket("6h"), Ok(Bucket::Seconds(21_600)));
        assert_eq!(parse_bucket("1d"), Ok(Bucket::Seconds(86_400)));
        assert_eq!(parse_bucket("900"), Ok(Bucket::Seconds(900)));
        assert_eq!(parse_bucket("PT1H"), Ok(Bucket::Seconds(3_600)));
        assert_eq!(parse_bucket("P1DT12H"), Ok(Bucket::Seconds(129_600)));
        assert_eq!(parse_bucket("P2W"), Ok(Bucket::Seconds(1_209_600)));
        for bad in ["7x", "h", "1.5h", "P", "PT", "P1H", "PT1D", "-1h", "P1M2"] {
            let err = parse_bucket(bad).unwrap_err();
            assert!(err.contains("`bucket`"), "{bad}: {err}");
        }
        assert!(parse_bucket("30s").unwrap_err().contains("too fine"));
        assert!(parse_bucket("400d").unwrap_err().contains("too coarse"));
    }

    #[test]
    fn labels() {
        assert_eq!(label(3_600), "1h");
        assert_eq!(label(86_400), "1d");
        assert_eq!(label(90), "90s");
        assert_eq!(label(604_800), "1w");
    }

    #[test]
    fn plans_validate_range_points_and_bucket() {
        let now = at(20);
        let p = plan(None, None, None, None, now).unwrap();
        assert_eq!(p.to, now);
        assert_eq!(p.from, at(13));
        // 7 days in 500 points: 1210 s at least, so 30 min buckets.
        assert_eq!(p.bucket_s, Some(1_800));
        assert!(
            plan(Some(at(5)), Some(at(5)), None, None, now)
                .unwrap_err()
                .contains("`from`")
        );
        assert!(
            plan(None, None, None, Some(0), now)
                .unwrap_err()
                .contains("`points`")
        );
        let err = plan(Some(at(1)), Some(at(20)), Some("1h"), Some(100), now).unwrap_err();
        assert!(err.contains("456 points"), "{err}");
        let ok = plan(Some(at(1)), Some(at(20)), Some("6h"), Some(100), now).unwrap();
        assert_eq!(ok.bucket_s, Some(21_600));
        assert_eq!(ok.bucket_label(), "6h");
        let raw = plan(Some(at(1)), Some(at(2)), Some("raw"), Some(10), now).unwrap();
        assert_eq!(raw.bucket_s, None);
        let auto = plan(Some(at(1)), Some(at(20)), None, Some(10), now).unwrap();
        assert!(auto.bucket_s.unwrap() * 10 >= 19 * 86_400);
    }
}
