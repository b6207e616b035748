//! The `vehicle_liveness` table: when each vehicle last reported, and its usual
//! longest gap between reports.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Half-life of the usual longest gap, seconds (a week).
const GAP_HALF_LIFE_S: f64 = 604_800.0;

/// One vehicle's liveness.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Seen {
    last_seen_at: DateTime<Utc>,
    expected_gap_s: f64,
    samples: i32,
}

impl Seen {
    /// Folds in a report at `at`. Only a report newer than the last one counts (a
    /// redelivered or late one changes nothing): the usual longest gap is the largest
    /// gap seen, decaying by half per week of reports, so a vehicle parked every night
    /// (heartbeats every few hours) is not stale overnight and one that changes its
    /// habits is re-learned.
    fn report(&mut self, at: DateTime<Utc>) {
        if at <= self.last_seen_at {
            return;
        }
        let gap_s = (at - self.last_seen_at)
            .to_std()
            .map_or(0.0, |d| d.as_secs_f64());
        self.expected_gap_s =
            gap_s.max(self.expected_gap_s * 0.5_f64.powf(gap_s / GAP_HALF_LIFE_S));
        self.samples = self.samples.saturating_add(1);
        self.last_seen_at = at;
    }
}

/// Folds reports in: `(vehicle_id, org_id, seen_at)`, any number per vehicle and in any
/// order. Every report of a batch counts, as if they had come one by one: a batch holds
/// several reports of a vehicle whenever the consumer catches up, and keeping only the
/// newest would lose its samples and its gaps.
///
/// One transaction: a vehicle seen for the first time is inserted at its oldest report
/// (one sample, no gap yet), then every vehicle of the batch is locked (in id order, as
/// the inserts are, so concurrent batches cannot deadlock), its reports are folded in
/// oldest first (see `Seen::report`) and the results written back.
pub async fn record(
    pool: &PgPool,
    seen: &[(String, String, DateTime<Utc>)],
) -> Result<(), sqlx::Error> {
    if seen.is_empty() {
        return Ok(());
    }
    // Per vehicle: its organization (of the newest report) and its reports, oldest first.
    let mut by_vehicle: BTreeMap<&str, (&str, Vec<DateTime<Utc>>)> = BTreeMap::new();
    for (vehicle_id, org_id, at) in seen {
        let e = by_vehicle
            .entry(vehicle_id.as_str())
            .or_insert((org_id.as_str(), Vec::new()));
        if e.1.last().is_none_or(|newest| at >= newest) {
            e.0 = org_id.as_str();
            e.1.push(*at);
        } else {
            e.1.push(*at);
            e.1.sort_unstable();
        }
    }
    let vehicles: Vec<&str> = by_vehicle.keys().copied().collect();
    let orgs: Vec<&str> = by_vehicle.values().map(|v| v.0).collect();
    let first: Vec<DateTime<Utc>> = by_vehicle.values().map(|v| v.1[0]).collect();

    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO vehicle_liveness (vehicle_id, org_id, last_seen_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
         ON CONFLICT (vehicle_id) DO NOTHING",
    )
    .bind(&vehicles[..])
    .bind(&orgs[..])
    .bind(&first[..])
    .execute(&mut *tx)
    .await?;
    let current: Vec<(String, DateTime<Utc>, f64, i32)> = sqlx::query_as(
        "SELECT vehicle_id, last_seen_at, expected_gap_s, samples FROM vehicle_liveness
         WHERE vehicle_id = ANY($1) ORDER BY vehicle_id FOR UPDATE",
    )
    .bind(&vehicles[..])
    .fetch_all(&mut *tx)
    .await?;
    let mut ids = Vec::with_capacity(current.len());
    let mut org_ids = Vec::with_capacity(current.len());
    let mut last = Vec::with_capacity(current.len());
    let mut gaps = Vec::with_capacity(current.len());
    let mut samples = Vec::with_capacity(current.len());
    for (vehicle_id, last_seen_at, expected_gap_s, n) in current {
        let Some((org_id, times)) = by_vehicle.get(vehicle_id.as_str()) else {
            continue;
        };
        let mut v = Seen {
            last_seen_at,
            expected_gap_s,
            samples: n,
        };
        for at in times {
            v.report(*at);
        }
        org_ids.push(*org_id);
        ids.push(vehicle_id);
        last.push(v.last_seen_at);
        gaps.push(v.expected_gap_s);
        samples.push(v.samples);
    }
    sqlx::query(
        "UPDATE vehicle_liveness v SET last_seen_at = u.last_seen_at,
             expected_gap_s = u.expected_gap_s, samples = u.samples, org_id = u.org_id,
             updated_at = now()
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[], $5::int4[])
             AS u(vehicle_id, org_id, last_seen_at, expected_gap_s, samples)
         WHERE v.vehicle_id = u.vehicle_id",
    )
    .bind(&ids[..])
    .bind(&org_ids[..])
    .bind(&last[..])
    .bind(&gaps[..])
    .bind(&samples[..])
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A vehicle that stopped reporting.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Stale {
    /// Vehicle.
    pub vehicle_id: String,
    /// Organization.
    pub org_id: String,
    /// Last report.
    pub last_seen_at: DateTime<Utc>,
    /// Its usual longest gap, seconds.
    pub expected_gap_s: f64,
    /// The silence after which it counts as stale, seconds.
    pub threshold_s: f64,
}

/// Staleness rule parameters.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Reports needed before judging.
    pub min_samples: i32,
    /// Never stale before this many seconds.
    pub min_s: f64,
    /// Stale after this many usual gaps.
    pub factor: f64,
    /// The usual gap counted is at most this, seconds.
    pub max_gap_s: f64,
}

/// Vehicles silent for longer than their threshold, without an unresolved staleness
/// alert.
pub async fn stale(pool: &PgPool, r: Rule, limit: i64) -> Result<Vec<Stale>, sqlx::Error> {
    sqlx::query_as(
        "SELECT vehicle_id, org_id, last_seen_at, expected_gap_s,
             GREATEST($2, $3 * LEAST(expected_gap_s, $4)) AS threshold_s
         FROM vehicle_liveness v
         WHERE samples >= $1
           AND last_seen_at < now() - make_interval(secs => GREATEST($2, $3 * LEAST(expected_gap_s, $4)))
           AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.vehicle_id = v.vehicle_id
                           AND a.subject = 'staleness' AND a.status <> 'resolved')
         ORDER BY last_seen_at LIMIT $5",
    )
    .bind(r.min_samples)
    .bind(r.min_s)
    .bind(r.factor)
    .bind(r.max_gap_s)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The newest report of any vehicle (`None`: none yet).
pub async fn newest(pool: &PgPool) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar("SELECT max(last_seen_at) FROM vehicle_liveness")
        .fetch_one(pool)
        .await
}

/// Vehicles stale now: unresolved staleness alerts (one per vehicle at most).
pub async fn open_stale(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM alerts WHERE subject = 'staleness' AND status <> 'resolved'",
    )
    .fetch_one(pool)
    .await
}

/// Unresolved staleness alerts whose vehicle reported again since.
pub async fn back_again(pool: &PgPool) -> Result<Vec<uuid::Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT a.alert_id FROM alerts a JOIN vehicle_liveness v USING (vehicle_id)
         WHERE a.subject = 'staleness' AND a.status <> 'resolved' AND v.last_seen_at > a.created_at",
    )
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn only_newer_reports_count_and_the_usual_gap_is_the_largest_decaying() {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
        let m = chrono::Duration::minutes;
        let mut v = Seen {
            last_seen_at: t0,
            expected_gap_s: 0.0,
            samples: 1,
        };
        for k in [5, 10, 10, 3, 25] {
            v.report(t0 + m(k));
        }
        // 10 again and 3 (late) change nothing; the gaps are 300, 300 and 900 s.
        assert_eq!(v.samples, 4);
        assert_eq!(v.last_seen_at, t0 + m(25));
        assert_eq!(v.expected_gap_s, 900.0);
        // A week-long gap is the new usual gap; it then decays by half a week.
        v.report(t0 + m(25) + chrono::Duration::days(7));
        assert_eq!(v.expected_gap_s, 604_800.0);
        v.report(t0 + m(25) + chrono::Duration::days(7) + chrono::Duration::hours(84));
        assert!(
            (v.expected_gap_s - 604_800.0 / 2.0_f64.sqrt()).abs() < 1e-6,
            "{v:?}"
        );
        assert_eq!(v.samples, 6);
    }
}
