//! Queries, one module per table. Runtime-checked SQL with bound parameters only
//! (ADR 0004).

pub mod alerts;
pub mod contacts;
pub mod deliveries;
pub mod digests;
pub mod listing;
pub mod liveness;
pub mod notices;
pub mod planning;
pub mod send_queue;
pub mod stats;

/// Serializes changes to one vehicle's alerts within a transaction (folding, planning
/// with its rate limits, escalating, acknowledging): every writer takes this lock
/// first, then row locks, so they never deadlock.
pub async fn lock_vehicle(
    conn: &mut sqlx::PgConnection,
    vehicle_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 4004))")
        .bind(vehicle_id)
        .execute(conn)
        .await?;
    Ok(())
}
