//! When each vehicle last reported, and staleness alerts.
//!
//! The consumer (group `alert-liveness`) reads `vehicle.health.computed`, which the
//! health service publishes for every vehicle with new readings (at most once a minute
//! each): far lighter than the raw telemetry stream, at the price of depending on the
//! health service. A batch is recorded in one transaction; every report in it counts
//! (a batch holds several of a vehicle when the consumer catches up, and each is a
//! sample of its usual gap).
//!
//! The checker raises a staleness alert (warning) for a vehicle silent for longer than
//! `ALERT_STALE_FACTOR` times its usual longest gap (at least `ALERT_STALE_MIN_S`), once
//! it has `ALERT_STALE_MIN_SAMPLES` reports, and resolves it when the vehicle reports
//! again. When no vehicle at all reported within `ALERT_STALE_MIN_S`, the feed itself is
//! down (ingestion or health), not every vehicle: it raises nothing and says so.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared_runtime::consumer::{BatchHandler, Delivery, HandlerError};
use shared_schemas::Event;
use shared_schemas::events::{AlertKind, HealthComputed};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::db::liveness::{self, Rule};
use crate::domain::policy;
use crate::pipeline::{Alerting, Incoming, STALENESS};

/// Consumer group of the liveness tracker.
pub const GROUP: &str = "alert-liveness";

/// The event type it reads.
pub const EVENT_TYPE: &str = HealthComputed::TYPE;

/// Only what liveness needs of `vehicle.health.computed`.
#[derive(Debug, Deserialize)]
struct Seen {
    org_id: String,
    vehicle_id: String,
    computed_at: DateTime<Utc>,
}

/// Records reports.
#[derive(Debug, Clone)]
pub struct LivenessConsumer {
    db: PgPool,
}

impl LivenessConsumer {
    /// A consumer writing to `db`.
    pub fn new(db: PgPool) -> Self {
        Self { db }
    }
}

#[async_trait::async_trait]
impl BatchHandler for LivenessConsumer {
    async fn handle_batch(&self, batch: &[Delivery]) -> Vec<Result<(), HandlerError>> {
        let mut rows: Vec<(String, String, DateTime<Utc>)> = Vec::with_capacity(batch.len());
        let mut results = Vec::with_capacity(batch.len());
        for d in batch {
            match serde_json::from_str::<Seen>(d.envelope.payload.get()) {
                Ok(s) => {
                    rows.push((s.vehicle_id, s.org_id, s.computed_at));
                    results.push(Ok(()));
                }
                Err(e) => results.push(Err(HandlerError::permanent(anyhow::anyhow!(
                    "vehicle.health.computed payload: {e}"
                )))),
            }
        }
        if let Err(e) = liveness::record(&self.db, &rows).await {
            let msg = format!("{e}");
            return batch
                .iter()
                .map(|_| {
                    Err(HandlerError::transient(anyhow::anyhow!(
                        "recording liveness: {msg}"
                    )))
                })
                .collect();
        }
        results
    }

    fn handles(&self, event_type: &str) -> bool {
        event_type == EVENT_TYPE
    }
}

/// The periodic staleness check.
#[derive(Debug)]
pub struct Staleness {
    alerting: Alerting,
    rule: Rule,
    every: Duration,
}

impl Staleness {
    /// Checks every `every` with `rule`.
    pub fn new(alerting: Alerting, rule: Rule, every: Duration) -> Self {
        Self {
            alerting,
            rule,
            every,
        }
    }

    /// Runs until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut feed_down = false;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(self.every) => {}
            }
            match self.once().await {
                Ok(Check::FeedDown(newest)) => {
                    if !feed_down {
                        tracing::warn!(newest = ?newest, "no vehicle reported recently: the health feed looks down; no staleness alerts until it is back");
                        feed_down = true;
                    }
                    self.export(feed_down).await;
                }
                Ok(Check::Done { raised, resolved }) => {
                    feed_down = false;
                    if raised + resolved > 0 {
                        tracing::info!(raised, resolved, "staleness check");
                    }
                    self.export(feed_down).await;
                }
                Err(e) => tracing::warn!(
                    error = format!("{e:#}"),
                    "staleness check failed; retrying later"
                ),
            }
        }
    }

    /// Exports `alert_stale_vehicles` (vehicles with an unresolved staleness alert) and
    /// `alert_liveness_feed_down` (1 while no vehicle at all reports); a failed count
    /// only skips one sample.
    async fn export(&self, feed_down: bool) {
        metrics::gauge!("alert_liveness_feed_down").set(if feed_down { 1.0 } else { 0.0 });
        match liveness::open_stale(self.alerting.db()).await {
            Ok(n) => metrics::gauge!("alert_stale_vehicles").set(n as f64),
            Err(e) => tracing::debug!(error = %e, "counting stale vehicles failed"),
        }
    }

    /// One check.
    pub async fn once(&self) -> anyhow::Result<Check> {
        let db = self.alerting.db();
        let mut resolved = 0;
        for alert_id in liveness::back_again(db).await? {
            self.alerting
                .resolve(alert_id, None, "vehicle reporting again", None)
                .await?;
            resolved += 1;
        }
        let newest = liveness::newest(db).await?;
        let floor = chrono::Duration::milliseconds((self.rule.min_s * 1000.0) as i64);
        if newest.is_none_or(|t| t < Utc::now() - floor) {
            return Ok(Check::FeedDown(newest));
        }
        let mut raised = 0;
        for s in liveness::stale(db, self.rule, 500).await? {
            let silent_h = (Utc::now() - s.last_seen_at).num_minutes() as f64 / 60.0;
            let incoming = Incoming {
                event_id: Uuid::now_v7(),
                correlation_id: Uuid::now_v7(),
                org_id: s.org_id.clone(),
                vehicle_id: s.vehicle_id.clone(),
                subject: STALENESS.to_owned(),
                component: None,
                kind: AlertKind::Staleness,
                severity: policy::STALENESS,
                title: format!("{}: not reporting for {silent_h:.1} h", s.vehicle_id),
                message: format!(
                    "{} last reported at {} ({silent_h:.1} h ago); it usually reports at least every {:.1} h, so it is considered stale after {:.1} h. Check the vehicle and its telematics unit.",
                    s.vehicle_id,
                    s.last_seen_at.format("%Y-%m-%d %H:%M UTC"),
                    s.expected_gap_s / 3600.0,
                    s.threshold_s / 3600.0
                ),
                diagnosis: None,
                review: None,
                review_overdue: false,
                supersedes: None,
                wait_for_diagnosis: false,
                may_open: true,
                planning: None,
            };
            self.alerting.fold(&incoming, None).await?;
            raised += 1;
        }
        Ok(Check::Done { raised, resolved })
    }
}

/// What a check did.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// Nobody reported recently: nothing raised.
    FeedDown(Option<DateTime<Utc>>),
    /// Alerts raised and resolved.
    Done {
        /// Raised.
        raised: usize,
        /// Resolved.
        resolved: usize,
    },
}
