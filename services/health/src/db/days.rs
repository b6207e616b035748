//! `vehicle_days`: the engine state's daily aggregates.

use sqlx::PgConnection;

/// Every stored day of `vehicle_ids`: `(vehicle_id, day, data)`.
pub async fn load(
    conn: &mut PgConnection,
    vehicle_ids: &[&str],
) -> Result<Vec<(String, i64, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT vehicle_id, day, data FROM vehicle_days WHERE vehicle_id = ANY($1)
         ORDER BY vehicle_id, day",
    )
    .bind(vehicle_ids)
    .fetch_all(conn)
    .await
}

/// Writes days `(vehicle_ids[i], days[i], data[i])`, replacing stored ones.
pub async fn upsert(
    conn: &mut PgConnection,
    vehicle_ids: &[&str],
    days: &[i64],
    data: &[&[u8]],
) -> Result<(), sqlx::Error> {
    if vehicle_ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO vehicle_days (vehicle_id, day, data)
         SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bytea[])
         ON CONFLICT (vehicle_id, day) DO UPDATE SET data = EXCLUDED.data",
    )
    .bind(vehicle_ids)
    .bind(days)
    .bind(data)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes the days of `vehicle_ids[i]` before `oldest[i]` (out of the state's window).
pub async fn delete_before(
    conn: &mut PgConnection,
    vehicle_ids: &[&str],
    oldest: &[i64],
) -> Result<(), sqlx::Error> {
    if vehicle_ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "DELETE FROM vehicle_days d USING UNNEST($1::text[], $2::bigint[]) AS t(v, oldest)
         WHERE d.vehicle_id = t.v AND d.day < t.oldest",
    )
    .bind(vehicle_ids)
    .bind(oldest)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes every day of a vehicle (its state is being reset).
pub async fn delete_all(conn: &mut PgConnection, vehicle_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM vehicle_days WHERE vehicle_id = $1")
        .bind(vehicle_id)
        .execute(conn)
        .await?;
    Ok(())
}
