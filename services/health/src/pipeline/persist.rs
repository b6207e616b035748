//! Writing back a batch: states, days, assessments, history, and the events of the
//! transitions in the outbox.

use anyhow::Context;
use chrono::{DateTime, Utc};
use shared_runtime::outbox::{self, OutboxError};
use shared_schemas::events::ComponentHealth;
use shared_schemas::{Event, EventEnvelope};
use sqlx::PgConnection;

use super::fold::Done;
use super::{Assessor, Cause, PRODUCER};
use crate::db::{anomalies, days, history, services, vehicles};
use crate::domain::announce::{self, Outgoing};
use crate::domain::counters;

/// The day rows a batch writes, and the window starts before which stored days go.
#[derive(Default)]
struct DayWrites<'a> {
    ids: Vec<&'a str>,
    days: Vec<i64>,
    data: Vec<&'a [u8]>,
    oldest_ids: Vec<&'a str>,
    oldest_days: Vec<i64>,
}

impl<'a> DayWrites<'a> {
    fn add(&mut self, d: &'a Done) {
        let id = d.row.vehicle_id.as_str();
        for (day, data) in &d.days {
            self.ids.push(id);
            self.days.push(*day);
            self.data.push(data.as_slice());
        }
        if let Some(oldest) = d.oldest_kept_day {
            self.oldest_ids.push(id);
            self.oldest_days.push(oldest);
        }
    }
}

impl Assessor {
    /// Writes back what `done` computed and enqueues its events; returns how many.
    pub(super) async fn persist(
        &self,
        conn: &mut PgConnection,
        done: &[Done],
    ) -> anyhow::Result<u64> {
        let now = Utc::now();
        let mut updates = Vec::new();
        let mut day_writes = DayWrites::default();
        let mut history_rows = Vec::new();
        for d in done.iter().filter(|d| d.write) {
            let id = d.row.vehicle_id.as_str();
            if d.reset {
                days::delete_all(conn, id)
                    .await
                    .context("deleting undecodable days")?;
            }
            day_writes.add(d);
            if let (Some(a), true) = (&d.assessment, d.publish_computed) {
                history_rows.extend(history_rows_of(
                    id,
                    &d.org_id,
                    a.at,
                    &a.components,
                    self.engine.model_version(),
                ));
            }
            updates.push(self.update_of(d, now));
        }
        let w = &day_writes;
        days::upsert(conn, &w.ids, &w.days, &w.data)
            .await
            .context("writing state days")?;
        days::delete_before(conn, &w.oldest_ids, &w.oldest_days)
            .await
            .context("deleting days out of the window")?;
        vehicles::update(conn, &updates)
            .await
            .context("writing vehicles")?;
        history::insert(conn, &history_rows)
            .await
            .context("inserting history")?;
        let mut n = 0;
        for d in done.iter().filter(|d| d.write) {
            record_repairs(conn, d).await?;
            n += announce(conn, d).await?;
        }
        Ok(n)
    }

    /// The row `d` writes back to `vehicles`.
    fn update_of(&self, d: &Done, now: DateTime<Utc>) -> vehicles::Update {
        let assessed = d.assessment.as_ref().map(|a| vehicles::Assessed {
            overall_score: a.overall_score,
            overall_band: a.overall_band.as_str(),
            daily_km: a.daily_km,
            components: serde_json::to_string(&a.components).unwrap_or_default(),
            unknown: serde_json::to_string(&a.unknown).unwrap_or_else(|_| "[]".to_owned()),
            component_bands: a
                .components
                .iter()
                .map(|c| format!("{}:{}", c.component.as_str(), c.band.as_str()))
                .collect::<Vec<_>>()
                .join(","),
            model_version: self.engine.model_version().to_owned(),
        });
        vehicles::Update {
            vehicle_id: d.row.vehicle_id.clone(),
            org_id: d.org_id.clone(),
            version: d.version(),
            head: d.head.clone(),
            newest_at: d.newest_at,
            odometer_km: d.latest.odometer_km,
            dtcs: serde_json::to_string(&d.latest.dtcs).unwrap_or_else(|_| "[]".to_owned()),
            engine_hours: d.latest.engine_hours,
            position: d.latest.position,
            computed_published_at: if d.publish_computed {
                Some(now)
            } else {
                d.row.computed_published_at
            },
            computed_pending: assessed.is_some() && !d.publish_computed,
            assessment: assessed,
            cause_event_id: d.cause.event_id,
            cause_correlation_id: Some(d.cause.correlation_id),
        }
    }
}

/// Records the repairs `d` applied, for the REST view.
async fn record_repairs(conn: &mut PgConnection, d: &Done) -> anyhow::Result<()> {
    let rows: Vec<services::Service> = d
        .repaired
        .iter()
        .map(|r| services::Service {
            component: r.component.as_str().to_owned(),
            appointment_id: r.appointment_id,
            serviced_at: r.at,
        })
        .collect();
    services::record(conn, &d.row.vehicle_id, &rows)
        .await
        .context("recording component services")
}

/// Records `d`'s counter anomalies and enqueues the events of its assessment
/// (transitions, anomalies, the snapshot when due); returns how many.
async fn announce(conn: &mut PgConnection, d: &Done) -> anyhow::Result<u64> {
    let Some(a) = &d.assessment else {
        return Ok(0);
    };
    let id = d.row.vehicle_id.as_str();
    let mut out = announce::transition_events(&d.org_id, id, a, &d.transitions, &d.latest);
    let anomalies = counters::anomaly_events(&d.org_id, id, &d.counter_news, a.at);
    anomalies::insert(conn, &anomalies.iter().collect::<Vec<_>>())
        .await
        .context("recording counter anomalies")?;
    out.extend(anomalies.into_iter().map(Outgoing::Odometer));
    if d.publish_computed {
        out.push(Outgoing::Computed(announce::computed(
            &d.org_id,
            id,
            a.at,
            a.components.clone(),
            a.unknown.clone(),
            a.overall_score,
            a.overall_band,
        )));
    }
    let mut n = 0;
    for event in out {
        enqueue(conn, event, d.cause, a.at).await?;
        n += 1;
    }
    Ok(n)
}

/// The history rows of one assessment, a row per component.
pub(super) fn history_rows_of<'a>(
    vehicle_id: &'a str,
    org_id: &'a str,
    at: DateTime<Utc>,
    components: &[ComponentHealth],
    model_version: &'a str,
) -> Vec<history::Row<'a>> {
    components
        .iter()
        .map(|c| history::Row {
            vehicle_id,
            org_id,
            component: c.component.as_str(),
            computed_at: at,
            score: c.score,
            band: c.band.as_str(),
            rul_days: c.rul_days,
            rul_km: c.rul_km,
            confidence: c.confidence,
            model_version,
        })
        .collect()
}

/// Puts one event in the outbox, caused by `cause`, occurred `at`.
pub(super) async fn enqueue(
    conn: &mut PgConnection,
    event: Outgoing,
    cause: Cause,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let event_type = match event {
        Outgoing::Changed(p) => put(conn, p, cause, at).await,
        Outgoing::Degraded(p) => put(conn, p, cause, at).await,
        Outgoing::Critical(p) => put(conn, p, cause, at).await,
        Outgoing::Computed(p) => put(conn, p, cause, at).await,
        Outgoing::Odometer(p) => put(conn, p, cause, at).await,
    }
    .context("enqueuing an event")?;
    metrics::counter!("health_events_total", "event_type" => event_type).increment(1);
    Ok(())
}

async fn put<P: Event>(
    conn: &mut PgConnection,
    payload: P,
    cause: Cause,
    at: DateTime<Utc>,
) -> Result<&'static str, OutboxError> {
    let mut envelope = EventEnvelope::new(PRODUCER, cause.correlation_id, payload).at(at);
    envelope.causation_id = cause.event_id;
    outbox::enqueue(conn, &envelope).await?;
    Ok(P::TYPE)
}
