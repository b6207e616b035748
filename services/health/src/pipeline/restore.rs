//! The decoded states of locked vehicles: from the cache when its version matches the
//! row's, else restored from `vehicles.head` and `vehicle_days`.

use std::collections::HashMap;

use anyhow::Context;
use models::health::VehicleState;
use sqlx::PgConnection;

use super::Assessor;
use crate::db::{days, vehicles};

impl Assessor {
    /// Decoded states of the locked `rows`: from the cache when the version matches,
    /// else restored from Postgres. A state that does not decode (written by an
    /// incompatible engine) starts afresh, flagged `reset`.
    pub(super) async fn load(
        &self,
        conn: &mut PgConnection,
        rows: Vec<vehicles::Locked>,
    ) -> anyhow::Result<Vec<(vehicles::Locked, VehicleState, bool)>> {
        let mut out = Vec::with_capacity(rows.len());
        let mut misses = Vec::new();
        for row in rows {
            if row.version == 0 {
                out.push((row, VehicleState::new(), false));
            } else if let Some(state) = self.cache.take(&row.vehicle_id, row.version) {
                out.push((row, state, false));
            } else {
                misses.push(row);
            }
        }
        metrics::counter!("health_state_cache_total", "result" => "hit")
            .increment((out.len()) as u64);
        if misses.is_empty() {
            return Ok(out);
        }
        metrics::counter!("health_state_cache_total", "result" => "miss")
            .increment(misses.len() as u64);
        let ids: Vec<&str> = misses.iter().map(|r| r.vehicle_id.as_str()).collect();
        let mut heads: HashMap<String, Option<Vec<u8>>> = vehicles::heads(conn, &ids)
            .await
            .context("loading state heads")?
            .into_iter()
            .collect();
        let mut stored: HashMap<String, Vec<(i64, Vec<u8>)>> = HashMap::new();
        for (vehicle, day, data) in days::load(conn, &ids).await.context("loading state days")? {
            stored.entry(vehicle).or_default().push((day, data));
        }
        for row in misses {
            let head = heads.remove(&row.vehicle_id).flatten();
            let days = stored.remove(&row.vehicle_id).unwrap_or_default();
            let restored = match &head {
                None => Ok(VehicleState::new()),
                Some(head) => {
                    VehicleState::restore(head, days.iter().map(|(d, b)| (*d, b.as_slice())))
                }
            };
            match restored {
                Ok(state) => out.push((row, state, false)),
                Err(e) => {
                    tracing::error!(vehicle_id = %row.vehicle_id, error = %e,
                        "stored health state does not decode; starting the vehicle afresh");
                    metrics::counter!("health_state_resets_total").increment(1);
                    out.push((row, VehicleState::new(), true));
                }
            }
        }
        Ok(out)
    }
}
