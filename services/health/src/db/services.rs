//! `component_services`: each component's latest service, for the REST view.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

/// One component's latest service.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct Service {
    /// Component (wire name).
    pub component: String,
    /// The appointment that did the work.
    pub appointment_id: Uuid,
    /// When the work was finished.
    pub serviced_at: DateTime<Utc>,
}

/// Records `services` of `vehicle_id`, replacing each component's previous one (the
/// engine applies only a service newer than the one it knows).
pub async fn record(
    conn: &mut PgConnection,
    vehicle_id: &str,
    services: &[Service],
) -> Result<(), sqlx::Error> {
    if services.is_empty() {
        return Ok(());
    }
    let components: Vec<&str> = services.iter().map(|s| s.component.as_str()).collect();
    let appointments: Vec<Uuid> = services.iter().map(|s| s.appointment_id).collect();
    let at: Vec<DateTime<Utc>> = services.iter().map(|s| s.serviced_at).collect();
    sqlx::query(
        "INSERT INTO component_services (vehicle_id, component, appointment_id, serviced_at)
         SELECT $1, * FROM UNNEST($2::text[], $3::uuid[], $4::timestamptz[])
         ON CONFLICT (vehicle_id, component) DO UPDATE
         SET appointment_id = EXCLUDED.appointment_id, serviced_at = EXCLUDED.serviced_at,
             recorded_at = now()",
    )
    .bind(vehicle_id)
    .bind(&components)
    .bind(&appointments)
    .bind(&at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The latest service of each serviced component of `vehicle_id`.
pub async fn of_vehicle(pool: &PgPool, vehicle_id: &str) -> Result<Vec<Service>, sqlx::Error> {
    sqlx::query_as(
        "SELECT component, appointment_id, serviced_at FROM component_services
         WHERE vehicle_id = $1 ORDER BY component",
    )
    .bind(vehicle_id)
    .fetch_all(pool)
    .await
}
