//! Latency of the dashboard summary (`GET /v1/metrics/summary`) for a large fleet, on
//! this machine, against the real Postgres and Redis (a fresh database and Redis
//! prefix, like the tests).
//!
//! ```text
//! cargo run --release -p analytics --example summary_bench -- 10000 30 2000
//! ```
//!
//! Arguments: vehicles (default 10,000, one organization), days of history (default
//! 30), requests (default 2,000). The read models are seeded through the real consumer
//! path: a `vehicle.health.computed` per vehicle and day (batched consumer), and alerts
//! (two thirds acknowledged), decisions, predictions with their outcome, appointments
//! and warranty claims as events (per-event consumer). Then, after 50 warm-up requests,
//! the summary is requested over HTTP (p50, p99, max): uncached, each of the 337
//! windows of 30 to 366 days once, for the fleet manager (one organization) and the
//! admin (every organization); then as dashboards poll it (the same summary, served
//! from memory for up to 5 s), by one client and by 8 at once. The client, the
//! service, Postgres and Redis share the machine.
//!
//! With `SAMPLE_REPORTS_DIR` set, the three PDF reports of the seeded fleet are written
//! there (how docs/reports/ was made, with `-- 200 14 100`). With `BENCH_KEEP` set, the
//! database is kept for inspection.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use analytics::Config;
use analytics::config::IdentityConfig;
use chrono::{DateTime, Utc};
use shared_runtime::auth::Role;
use shared_runtime::config::Secret;
use shared_runtime::testing::{self, app::TestService};
use shared_schemas::events::{
    AckVia, AlertAcknowledged, AlertCreated, AlertKind, AlertSeverity, AppointmentCompleted,
    Component, ComponentCritical, ComponentDegraded, ComponentHealth, CostRange, DecisionMade,
    Disposition, HealthBand, HealthComputed, Severity, UrgencyWindow, WorkerAgent,
};
use shared_schemas::{Event, EventEnvelope};
use uuid::Uuid;

const SECRET: &str = "summary-bench-secret-0123456789abcdef";
const ORG: &str = "bench";

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn config(database_url: &str, prefix: &str) -> Config {
    let mut common = testing::common_config(database_url, prefix, SECRET);
    common.db_max_connections = 16;
    Config {
        common,
        identity: IdentityConfig::with_signing_key(Secret::new(
            "qjTBwOVZJXzpO6ZD3wLJwyg9vlf2V7v3KsW2Q3I0ZZ4=",
        )),
        smtp_url: None,
        mail_from: "bench@localhost".to_owned(),
        public_url: "http://localhost:8007".to_owned(),
        audit_yields_to: vec!["health".to_owned()],
        dashboard: analytics::config::DashboardConfig::default(),
    }
}

fn env<P: Event>(p: P, at: DateTime<Utc>) -> EventEnvelope<P> {
    EventEnvelope::new("bench", Uuid::now_v7(), p).at(at)
}

fn vehicle(i: u32) -> String {
    format!("veh-{i:05}")
}

/// One assessment per vehicle and day, scores drifting per vehicle.
async fn seed_health(app: &TestService, vehicles: u32, days: i64, rng: &mut Rng) -> usize {
    let now = Utc::now();
    let mut n = 0;
    for day in (0..days).rev() {
        let at = now - chrono::Duration::days(day) - chrono::Duration::minutes(5);
        let batch: Vec<_> = (0..vehicles)
            .map(|i| {
                let score = 0.95f64.mul_add(rng.next(), 0.05).min(1.0);
                let part = ComponentHealth {
                    component: Component::ALL[i as usize % 8],
                    score,
                    band: HealthBand::from_score(score),
                    rul_days: score * 200.0,
                    rul_km: None,
                    rul_interval_days: None,
                    confidence: 0.9,
                    factors: Vec::new(),
                    model_version: "bench".to_owned(),
                };
                env(
                    HealthComputed {
                        org_id: ORG.to_owned(),
                        vehicle_id: vehicle(i),
                        computed_at: at,
                        components: vec![part],
                        unknown: Vec::new(),
                        overall_score: score,
                        overall_band: HealthBand::from_score(score),
                    },
                    at,
                )
            })
            .collect();
        n += batch.len();
        app.publish(&batch).await;
    }
    n
}

fn decision(i: u32, at: DateTime<Utc>, rng: &mut Rng) -> DecisionMade {
    let severity = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ][i as usize % 4];
    DecisionMade {
        decision_id: Uuid::now_v7(),
        org_id: ORG.to_owned(),
        vehicle_id: vehicle(i),
        component: Component::ALL[i as usize % 8],
        diagnosis: "bench".to_owned(),
        severity,
        disposition: [Disposition::Alert, Disposition::Plan, Disposition::Monitor][i as usize % 3],
        urgency: UrgencyWindow { within_days: 7 },
        recommended_actions: Vec::new(),
        estimated_cost: CostRange {
            min: 100.0,
            max: 900.0f64.mul_add(rng.next(), 100.0),
            currency: "USD".to_owned(),
        },
        confidence: 0.8,
        reasoning: "bench".to_owned(),
        agent: WorkerAgent::Generic,
        provider: "rules".to_owned(),
        model: "rules-v1".to_owned(),
        fallback_used: rng.next() < 0.1,
        latency_ms: 5,
        tokens_in: 0,
        tokens_out: 0,
        cost_usd: 0.0,
        decided_at: at,
        supersedes: None,
    }
}

/// Alerts (2/3 acknowledged), decisions, predictions (1/3 fail, 1/3 repaired).
async fn seed_events(app: &TestService, vehicles: u32, days: i64, rng: &mut Rng) -> usize {
    let now = Utc::now();
    let minutes = days * 1440;
    let mut at =
        |rng: &mut Rng| now - chrono::Duration::minutes((rng.next() * minutes as f64) as i64 + 1);
    let (mut alerts, mut acks, mut decisions) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..vehicles * 2 {
        let i = k % vehicles;
        let t = at(rng);
        let a = AlertCreated {
            alert_id: Uuid::now_v7(),
            org_id: ORG.to_owned(),
            vehicle_id: vehicle(i),
            kind: AlertKind::Decision,
            component: Some(Component::ALL[i as usize % 8]),
            severity: [
                AlertSeverity::Info,
                AlertSeverity::Warning,
                AlertSeverity::Critical,
                AlertSeverity::Emergency,
            ][k as usize % 4],
            title: "bench".to_owned(),
            message: "bench".to_owned(),
            channels: Vec::new(),
            decision_id: None,
            created_at: t,
        };
        if k % 3 != 0 {
            let ack_at = t + chrono::Duration::seconds((rng.next() * 7200.0) as i64);
            acks.push(env(
                AlertAcknowledged {
                    alert_id: a.alert_id,
                    org_id: ORG.to_owned(),
                    vehicle_id: vehicle(i),
                    acknowledged_by: "u".to_owned(),
                    via: AckVia::Rest,
                    acknowledged_at: ack_at,
                },
                ack_at,
            ));
        }
        alerts.push(env(a, t));
        let t = at(rng);
        decisions.push(env(decision(i, t, rng), t));
    }
    let n = alerts.len() + acks.len() + decisions.len();
    app.publish(&alerts).await;
    app.publish(&acks).await;
    app.publish(&decisions).await;
    n + seed_episodes(app, vehicles, &mut at, rng).await
}

async fn seed_episodes(
    app: &TestService,
    vehicles: u32,
    at: &mut impl FnMut(&mut Rng) -> DateTime<Utc>,
    rng: &mut Rng,
) -> usize {
    let (mut degraded, mut critical, mut completed) = (Vec::new(), Vec::new(), Vec::new());
    for i in (0..vehicles).step_by(3) {
        let t = at(rng);
        let c = ComponentDegraded {
            org_id: ORG.to_owned(),
            vehicle_id: vehicle(i),
            component: Component::ALL[i as usize % 8],
            score: 0.35,
            band: HealthBand::Poor,
            rul_days: 10.0,
            rul_km: None,
            rul_interval_days: None,
            confidence: 0.9,
            factors: Vec::new(),
            dtcs: Vec::new(),
            odometer_km: None,
            detected_at: t,
        };
        let later = (t + chrono::Duration::hours(48)).min(Utc::now());
        match i % 9 {
            0 => critical.push(env(
                ComponentCritical::from(ComponentDegraded {
                    detected_at: later,
                    ..c.clone()
                }),
                later,
            )),
            3 => completed.push(env(
                AppointmentCompleted {
                    appointment_id: Uuid::now_v7(),
                    org_id: ORG.to_owned(),
                    vehicle_id: vehicle(i),
                    center_id: Uuid::nil(),
                    technician_id: None,
                    components_serviced: vec![c.component],
                    parts_replaced: Vec::new(),
                    work_summary: "bench".to_owned(),
                    odometer_km: None,
                    completed_at: later,
                },
                later,
            )),
            _ => {}
        }
        degraded.push(env(c, t));
    }
    let n = degraded.len() + critical.len() + completed.len();
    app.publish(&degraded).await;
    app.publish(&critical).await;
    app.publish(&completed).await;
    n
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// The `paths` requested by `clients` concurrent clients (each its share, in order);
/// prints p50, p99, max.
async fn measure(app: &TestService, label: &str, paths: &[String], token: &str, clients: usize) {
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, token) = (app.client.clone(), token.to_owned());
        let urls: Vec<String> = paths
            .iter()
            .skip(c)
            .step_by(clients)
            .map(|p| app.url(p))
            .collect();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(urls.len());
            for url in urls {
                let start = Instant::now();
                let r = client.get(&url).bearer_auth(&token).send().await.unwrap();
                assert_eq!(r.status(), 200);
                let _ = r.bytes().await.unwrap();
                times.push(start.elapsed());
            }
            times
        }));
    }
    let mut times: Vec<Duration> = Vec::new();
    for t in tasks {
        times.extend(t.await.unwrap());
    }
    times.sort();
    println!(
        "{label}: {} requests, {clients} client(s): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        times.len(),
        percentile(&times, 0.5).as_secs_f64() * 1000.0,
        percentile(&times, 0.99).as_secs_f64() * 1000.0,
        times.last().unwrap().as_secs_f64() * 1000.0
    );
}

/// Publishes the fleet's history, waits until the consumers applied it, and vacuums.
async fn seed(app: &TestService, vehicles: u32, days: i64) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let start = Instant::now();
    let events = seed_health(app, vehicles, days, &mut rng).await
        + seed_events(app, vehicles, days, &mut rng).await;
    let mut types: Vec<&str> = analytics::events::metrics::EVENT_TYPES.to_vec();
    types.push(analytics::events::metrics::HEALTH_TYPE);
    app.wait_caught_up("analytics-metrics", &types, Duration::from_secs(1800))
        .await;
    let took = start.elapsed().as_secs_f64();
    // The seeding rewrote every vehicle's row 30 times within seconds; in service
    // autovacuum keeps up with one assessment per vehicle and minute (ADR 0014). Measure
    // that state.
    let vacuum = Instant::now();
    sqlx::raw_sql(
        "VACUUM ANALYZE metric_vehicles, metric_vehicle_days, metric_band_days, metric_alerts,
             metric_decisions, metric_episodes",
    )
    .execute(&app.db)
    .await
    .unwrap();
    println!("vacuumed in {:.1} s", vacuum.elapsed().as_secs_f64());
    println!(
        "seeded {vehicles} vehicles x {days} days: {events} events through the consumers in {took:.1} s ({:.0} events/s)",
        events as f64 / took
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: u64| args.get(i).map_or(d, |a| a.parse().expect("a number"));
    let (vehicles, days, requests) = (
        arg(0, 10_000) as u32,
        arg(1, 30) as i64,
        arg(2, 2_000) as usize,
    );
    let database_url = testing::fresh_database("analytics_bench").await;
    let prefix = testing::unique_prefix("analytics_bench");
    let config = config(&database_url, &prefix);
    let common = config.common.clone();
    let app = TestService::start(&common, |s| analytics::build(config, s)).await;
    seed(&app, vehicles, days).await;
    let fm = testing::token(SECRET, "bench-fm", Role::FleetManager, ORG, &[]);
    let admin = testing::token(SECRET, "bench-admin", Role::Admin, "platform", &[]);
    let path = "/v1/metrics/summary";
    let same = |n: usize| vec![path.to_owned(); n];
    // Each window once: every request computes its summary (nothing served from memory).
    let cold: Vec<String> = (30..=366).map(|d| format!("{path}?days={d}")).collect();
    measure(&app, "warm-up", &same(50), &fm, 1).await;
    measure(
        &app,
        "fleet manager, uncached (each window once)",
        &cold,
        &fm,
        1,
    )
    .await;
    measure(&app, "admin, uncached (each window once)", &cold, &admin, 1).await;
    measure(
        &app,
        "fleet manager, dashboard polling (5 s cache)",
        &same(requests),
        &fm,
        1,
    )
    .await;
    measure(
        &app,
        "fleet manager, 8 clients polling",
        &same(requests),
        &fm,
        8,
    )
    .await;
    let summary: serde_json::Value = app.get_as(path, &fm).await.json().await.unwrap();
    println!("fleet: {}", summary["fleet"]);
    if let Ok(dir) = std::env::var("SAMPLE_REPORTS_DIR") {
        for kind in ["fleet_health", "alerts", "maintenance"] {
            let r = app
                .get_as(&format!("/v1/reports/{kind}?days={days}"), &fm)
                .await;
            let file = format!("{dir}/{kind}.pdf");
            std::fs::write(&file, r.bytes().await.unwrap()).unwrap();
            println!("wrote {file}");
        }
    }
    app.shutdown.cancel();
    if std::env::var_os("BENCH_KEEP").is_some() {
        println!("kept {database_url}");
    } else {
        clean_up(&app, &prefix, &database_url).await;
    }
}

/// Drops the run's database and Redis keys (a run leaves hundreds of MB otherwise).
async fn clean_up(app: &TestService, prefix: &str, database_url: &str) {
    let mut redis = app.redis.clone();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut redis)
        .await
        .unwrap_or_default();
    for k in keys {
        let _: Result<(), _> = redis::cmd("DEL").arg(k).query_async(&mut redis).await;
    }
    app.db.close().await;
    let name = database_url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let admin = sqlx::PgPool::connect(&testing::database_admin_url())
        .await
        .unwrap();
    let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    let _ = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&admin).await;
}
