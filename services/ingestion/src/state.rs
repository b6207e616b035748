//! What every handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use shared_runtime::auth::Jwt;
use sqlx::PgPool;
use tokio::sync::Notify;

use crate::backlog::Backlog;
use crate::device_auth::DeviceKeys;
use crate::domain::validate::Limits;
use crate::ownership::Owners;
use crate::pipeline::Intake;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// `ingestion_db`.
    pub db: PgPool,
    /// The hand-off to the streams.
    pub intake: Intake,
    /// Device key verification.
    pub device_keys: Arc<DeviceKeys>,
    /// User token verification.
    pub jwt: Arc<Jwt>,
    /// Validation limits.
    pub limits: Arc<Limits>,
    /// Largest batch.
    pub max_batch: usize,
    /// The backfill backlog, for back-pressure.
    pub backlog: Arc<Backlog>,
    /// Which organization each vehicle belongs to.
    pub owners: Arc<Owners>,
    /// Pokes the outbox relay after a commit that enqueued events.
    pub relay: Arc<Notify>,
    /// The telemetry counters, registered once (the hot path only increments).
    pub metrics: Arc<IntakeMetrics>,
}

/// What became of readings: `ingestion_readings_total{outcome}` (accepted, duplicate,
/// rejected, deferred), `ingestion_foreign_vehicle_refusals_total` and
/// `ingestion_full_refusals_total`.
#[derive(Debug)]
pub struct IntakeMetrics {
    /// Appended to the stream.
    pub accepted: metrics::Counter,
    /// Already accepted under the same key.
    pub duplicate: metrics::Counter,
    /// Refused.
    pub rejected: metrics::Counter,
    /// Backfill not taken because of the backlog (the device retries later).
    pub deferred: metrics::Counter,
    /// Refused because the vehicle belongs to another organization (counted in
    /// `rejected` too).
    pub foreign_vehicle: metrics::Counter,
    /// Requests refused whole while a group was too far behind
    /// (`ingestion_full_refusals_total`).
    pub full_refusals: metrics::Counter,
}

impl IntakeMetrics {
    /// Registers the counters with the process's recorder.
    pub fn register() -> Self {
        // A handle taken before the recorder exists would count into nothing.
        shared_runtime::http::metrics_handle();
        let outcome =
            |o: &'static str| metrics::counter!("ingestion_readings_total", "outcome" => o);
        Self {
            accepted: outcome("accepted"),
            duplicate: outcome("duplicate"),
            rejected: outcome("rejected"),
            deferred: outcome("deferred"),
            foreign_vehicle: metrics::counter!("ingestion_foreign_vehicle_refusals_total"),
            full_refusals: metrics::counter!("ingestion_full_refusals_total"),
        }
    }
}

impl FromRef<AppState> for Arc<Jwt> {
    fn from_ref(s: &AppState) -> Self {
        s.jwt.clone()
    }
}

impl FromRef<AppState> for Arc<DeviceKeys> {
    fn from_ref(s: &AppState) -> Self {
        s.device_keys.clone()
    }
}
