//! Decision attempts on `claims`. An attempt moves the claim to `validating` with one
//! more attempt and a fresh `updated_at`: that timestamp is the attempt's lease, so a
//! claim is taken again (by any replica) only once it has gone untouched for the retry
//! period. Taking is `FOR UPDATE SKIP LOCKED`, so two sweepers never take the same claim.

use std::time::Duration;

use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

use super::claims::record;
use crate::domain::claim_status::ClaimStatus;

/// A claim taken for another attempt.
#[derive(Debug, Clone, FromRow)]
pub struct Taken {
    /// The claim.
    pub id: Uuid,
    /// Its status before (`submitted` or `validating`).
    pub was: String,
    /// This attempt's number (1 = the first).
    pub attempt: i32,
    /// Why the attempt before failed, when it said.
    pub last_error: Option<String>,
}

/// Starts the first attempt on claim `id` (submitted → validating by `by`); its number,
/// or `None` when the claim was not `submitted` (someone else started it).
pub async fn begin(conn: &mut PgConnection, id: Uuid, by: &str) -> sqlx::Result<Option<i32>> {
    let attempt: Option<i32> = sqlx::query_scalar(
        "UPDATE claims SET status = 'validating', attempts = attempts + 1, updated_at = now() \
         WHERE id = $1 AND status = 'submitted' RETURNING attempts",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    if attempt.is_some() {
        let (from, to) = (ClaimStatus::Submitted, ClaimStatus::Validating);
        record(conn, id, Some(from), to, by, None).await?;
    }
    Ok(attempt)
}

/// Takes up to `limit` claims in `submitted` or `validating` untouched for `stale`, for
/// one more attempt each by `by` (the oldest first); those that were `submitted` get
/// their move to `validating` recorded.
pub async fn take_stale(
    db: &PgPool,
    stale: Duration,
    limit: i64,
    by: &str,
) -> sqlx::Result<Vec<Taken>> {
    let mut tx = db.begin().await?;
    let taken: Vec<Taken> = sqlx::query_as(
        "WITH due AS (SELECT id, status FROM claims \
           WHERE status IN ('submitted', 'validating') \
             AND updated_at < now() - make_interval(secs => $1) \
           ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
         UPDATE claims c SET status = 'validating', attempts = c.attempts + 1, \
           updated_at = now() \
         FROM due WHERE c.id = due.id \
         RETURNING c.id, due.status AS was, c.attempts AS attempt, c.last_error",
    )
    .bind(stale.as_secs_f64())
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let note = "picked up again: its decision had not started";
    for t in taken
        .iter()
        .filter(|t| t.was == ClaimStatus::Submitted.as_str())
    {
        let (from, to) = (ClaimStatus::Submitted, ClaimStatus::Validating);
        record(&mut tx, t.id, Some(from), to, by, Some(note)).await?;
    }
    tx.commit().await?;
    Ok(taken)
}

/// Records that attempt `attempt` on claim `id` failed with `error`; the claim's lease
/// starts again from now. `false` when a later attempt or a decision came first.
pub async fn failed(
    conn: &mut PgConnection,
    id: Uuid,
    attempt: i32,
    error: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE claims SET last_error = $3, updated_at = now() \
         WHERE id = $1 AND status = 'validating' AND attempts = $2",
    )
    .bind(id)
    .bind(attempt)
    .bind(error)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
