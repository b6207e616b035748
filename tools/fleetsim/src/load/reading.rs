//! The readings the load generator sends: per-vehicle templates pre-serialized
//! around the few fields that change, filled in per reading with integer formatting.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::DateTime;
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::Ctx;
use crate::physics::Physics;
use crate::profile::{Drive, Pattern, Segment};
use crate::sample::{Sample, Sig};
use crate::vehicle::Vehicle;

/// A vehicle's reading, pre-serialized around the few fields that change.
#[derive(Debug, Clone)]
pub(super) struct Template {
    /// The vehicle's id (MQTT topics name it).
    pub(super) vehicle_id: String,
    /// `","vehicle_id":"…","vin":"…","recorded_at":"` (follows the reading id).
    head: Vec<u8>,
    /// `,"coolant_temp_c":…}}` — every other signal, closing `signals` and the reading.
    tail: Vec<u8>,
    odometer_cm10: u64,
    hours_milli: u64,
    rpm: u32,
    speed_dkph: u32,
}

impl Template {
    pub(super) fn new(v: &Vehicle, s: &Sample) -> Self {
        let mut head = Vec::new();
        head.extend_from_slice(b"\",\"vehicle_id\":");
        serde_json::to_writer(&mut head, &v.id).unwrap_or_default();
        head.extend_from_slice(b",\"vin\":");
        serde_json::to_writer(&mut head, &v.vin).unwrap_or_default();
        head.extend_from_slice(b",\"recorded_at\":\"");
        let mut tail = Vec::new();
        for &sig in Sig::ALL {
            if matches!(sig, Sig::EngineRpm | Sig::Speed) {
                continue;
            }
            if let Some(value) = s.get(sig) {
                tail.push(b',');
                serde_json::to_writer(&mut tail, sig.name()).unwrap_or_default();
                tail.push(b':');
                serde_json::to_writer(&mut tail, &value).unwrap_or_default();
            }
        }
        tail.extend_from_slice(b"}}");
        Self {
            vehicle_id: v.id.clone(),
            head,
            tail,
            odometer_cm10: (s.odometer_km * 100.0) as u64,
            hours_milli: (s.engine_hours * 1000.0) as u64,
            rpm: s.get(Sig::EngineRpm).unwrap_or(1200.0) as u32,
            speed_dkph: (s.get(Sig::Speed).unwrap_or(60.0) * 10.0) as u32,
        }
    }
}

/// A running reading of `v` from a short warm-up drive of its physics model.
pub(super) fn running_sample(v: &Vehicle, now: i64) -> Sample {
    let mut rng = SmallRng::seed_from_u64(u64::from(v.index));
    let mut phys = Physics::new(v, now - 7200, &mut rng);
    let pattern = if v.profile.kind().is_diesel() {
        Pattern::Highway
    } else {
        Pattern::Mixed
    };
    let seg = Segment {
        start: now - 3600,
        end: now,
        pattern,
        cruise_kph: 90.0,
        payload: 0.6,
    };
    phys.engine_start(seg.start, &mut rng);
    let mut drive = Drive::new(&seg, &mut rng);
    let mut last = None;
    for k in 1..=40 {
        let target = drive.step(60.0, &mut rng);
        last = Some(phys.running(seg.start + 60 * k, 60.0, target, &seg, &mut rng));
    }
    last.unwrap_or_else(|| Sample::new(v.index, now, true))
}

/// Formats `recorded_at` with millisecond precision, re-rendering the date part only
/// when the second changes.
#[derive(Debug, Default)]
pub(super) struct Clock {
    second: i64,
    prefix: Vec<u8>,
}

impl Clock {
    /// Writes now minus `backdate`.
    fn write(&mut self, out: &mut Vec<u8>, backdate: std::time::Duration) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_sub(backdate);
        let secs = now.as_secs() as i64;
        if secs != self.second || self.prefix.is_empty() {
            self.second = secs;
            self.prefix.clear();
            let t = DateTime::from_timestamp(secs, 0).unwrap_or_default();
            let _ = write!(self.prefix, "{}", t.format("%Y-%m-%dT%H:%M:%S"));
        }
        out.extend_from_slice(&self.prefix);
        let _ = write!(out, ".{:03}Z", now.subsec_millis());
    }
}

/// Appends one reading of vehicle `vi` to `out`.
pub(super) fn write_reading(
    out: &mut Vec<u8>,
    ctx: &Ctx,
    clock: &mut Clock,
    w: usize,
    seq: u64,
    vi: usize,
    jitter: u32,
) {
    let t = &ctx.templates[vi];
    let elapsed_ms = ctx.started.elapsed().as_millis() as u64;
    // Time-based odometer and hours keep them monotonic per vehicle whichever worker
    // sends it: 25 m/s and 1 h per hour.
    let odometer = t.odometer_cm10 + elapsed_ms / 400;
    let hours = t.hours_milli + elapsed_ms / 3600;
    let rpm = t.rpm + jitter % 61;
    let speed = t.speed_dkph + (jitter >> 8) % 31;
    out.extend_from_slice(b"{\"reading_id\":\"load-");
    out.extend_from_slice(ctx.run_id.as_bytes());
    let _ = write!(out, "-{w}-{seq}");
    out.extend_from_slice(&t.head);
    clock.write(out, ctx.backdate);
    let _ = write!(
        out,
        "\",\"odometer_km\":{}.{:02},\"engine_hours\":{}.{:03},\"signals\":{{\"engine_rpm\":{rpm},\"vehicle_speed_kph\":{}.{}",
        odometer / 100,
        odometer % 100,
        hours / 1000,
        hours % 1000,
        speed / 10,
        speed % 10
    );
    out.extend_from_slice(&t.tail);
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use shared_schemas::telemetry::TelemetryReading;

    use super::*;

    #[test]
    fn template_readings_are_canonical_and_unique() {
        let now = chrono::Utc::now().timestamp();
        let v = Vehicle::generate(1, 0, crate::profile::DutyProfile::LongHaul, 1.0);
        let ctx = Ctx {
            http: reqwest::Client::new(),
            url: reqwest::Url::parse("http://localhost/").expect("url"),
            api_key: None,
            templates: vec![Template::new(&v, &running_sample(&v, now))],
            batch: 2,
            batch_ids: false,
            workers: 1,
            rate: None,
            backdate: Duration::ZERO,
            mqtt: None,
            duration: Duration::from_secs(1),
            run_id: "abcd1234".to_owned(),
            started: Instant::now(),
        };
        let mut clock = Clock::default();
        let mut a = Vec::new();
        write_reading(&mut a, &ctx, &mut clock, 3, 7, 0, 12345);
        let mut b = Vec::new();
        write_reading(&mut b, &ctx, &mut clock, 3, 8, 0, 999);
        let ra: TelemetryReading = serde_json::from_slice(&a).expect("canonical reading");
        let rb: TelemetryReading = serde_json::from_slice(&b).expect("canonical reading");
        assert_eq!(ra.reading_id.as_deref(), Some("load-abcd1234-3-7"));
        assert_ne!(ra.reading_id, rb.reading_id);
        assert_eq!(ra.vin.as_deref(), Some(v.vin.as_str()));
        assert!((chrono::Utc::now() - ra.recorded_at).num_seconds().abs() < 5);
        assert!(
            ra.signals.len() > 25,
            "a diesel truck reports its aftertreatment too"
        );
        for (name, value) in &ra.signals {
            let spec = shared_schemas::signals::spec(name).expect("catalog signal");
            assert!(*value >= spec.min && *value <= spec.max, "{name}={value}");
        }
    }
}
