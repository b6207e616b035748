//! The `claims` table and each claim's `claim_transitions`: a claim moves only from the
//! status it is known to be in, so two deciders cannot both win.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared_schemas::events::{Component, Coverage};
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection};
use utoipa::ToSchema;
use uuid::Uuid;

use super::documents::Document;
use crate::domain::claim_status::ClaimStatus;
use crate::domain::model::{Assessment, Claim, ClaimCost, Eligibility, RepairShop};

/// A claim with where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StoredClaim {
    /// The claim as filed (its fields inline).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub claim: Claim,
    /// Where it is in its life.
    pub status: ClaimStatus,
    /// The coverage it falls under, once checked and covered.
    #[schema(value_type = Option<String>)]
    pub coverage: Option<Coverage>,
    /// The coverage check, once done.
    #[schema(value_type = Option<Object>)]
    pub eligibility: Option<Eligibility>,
    /// The analysis, once done.
    #[schema(value_type = Option<Object>)]
    pub assessment: Option<Assessment>,
    /// The amount approved (cost less deductible, or a reviewer's figure).
    pub approved_amount: Option<f64>,
    /// Who decided (a reviewer, or `system`).
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<DateTime<Utc>>,
    /// Documents attached.
    pub documents: Vec<Document>,
    /// Its moves, oldest first (on a single claim only, not in lists).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<Transition>,
}

/// One move of a claim.
#[derive(Debug, Clone, PartialEq, Serialize, FromRow, ToSchema)]
pub struct Transition {
    /// From (none for the filing).
    pub from_status: Option<String>,
    /// To.
    pub to_status: String,
    /// Who (a user id, or `system`).
    pub by_user: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Why, in words.
    pub note: Option<String>,
}

/// The key of a retried submission.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The caller (`sub`).
    pub caller: String,
    /// The `Idempotency-Key` header.
    pub key: String,
    /// Hash of what was sent (a different body under the same key is refused).
    pub request_hash: String,
}

#[derive(FromRow)]
struct Row {
    id: Uuid,
    org_id: String,
    vehicle_id: String,
    vin: String,
    component: String,
    failure_date: NaiveDate,
    odometer_km: f64,
    description: String,
    shop: Json<RepairShop>,
    cost: Json<ClaimCost>,
    submitted_by: String,
    submitted_at: DateTime<Utc>,
    status: String,
    coverage: Option<String>,
    eligibility: Option<Json<Eligibility>>,
    assessment: Option<Json<Assessment>>,
    approved_amount: Option<f64>,
    decided_by: Option<String>,
    decided_at: Option<DateTime<Utc>>,
}

macro_rules! select_claims {
    () => {
        "SELECT id, org_id, vehicle_id, vin, component, failure_date, odometer_km, \
         description, shop, cost, submitted_by, submitted_at, status, coverage, eligibility, \
         assessment, approved_amount, decided_by, decided_at FROM claims"
    };
}

/// A snake_case enum stored as text.
fn word<T: DeserializeOwned>(column: &str, s: &str) -> sqlx::Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|e| {
        sqlx::Error::ColumnDecode {
            index: column.to_owned(),
            source: Box::new(e),
        }
    })
}

/// The wire name of a snake_case enum.
pub(crate) fn name_of<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl Row {
    fn into_stored(self) -> sqlx::Result<StoredClaim> {
        let status = ClaimStatus::parse(&self.status).ok_or_else(|| sqlx::Error::ColumnDecode {
            index: "status".into(),
            source: format!("unknown status {}", self.status).into(),
        })?;
        Ok(StoredClaim {
            claim: Claim {
                id: self.id,
                org_id: self.org_id,
                vehicle_id: self.vehicle_id,
                vin: self.vin,
                component: word::<Component>("component", &self.component)?,
                failure_date: self.failure_date,
                odometer_km: self.odometer_km,
                description: self.description,
                shop: self.shop.0,
                cost: self.cost.0,
                submitted_by: self.submitted_by,
                submitted_at: self.submitted_at,
            },
            status,
            coverage: self
                .coverage
                .as_deref()
                .map(|c| word("coverage", c))
                .transpose()?,
            eligibility: self.eligibility.map(|j| j.0),
            assessment: self.assessment.map(|j| j.0),
            approved_amount: self.approved_amount,
            decided_by: self.decided_by,
            decided_at: self.decided_at,
            documents: Vec::new(),
            transitions: Vec::new(),
        })
    }
}

/// Inserts `c` as submitted (and its first transition); `false` when `idem`'s key was
/// already used by the same caller (nothing inserted).
pub async fn insert(
    conn: &mut PgConnection,
    c: &Claim,
    idem: Option<&Idempotency>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO claims (id, org_id, vehicle_id, vin, component, failure_date, odometer_km, \
           description, shop_id, shop_region, shop, cost, cost_total, currency, submitted_by, \
           submitted_at, status, idempotency_caller, idempotency_key, request_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
           'submitted', $17, $18, $19) \
         ON CONFLICT (idempotency_caller, idempotency_key) DO NOTHING",
    )
    .bind(c.id)
    .bind(&c.org_id)
    .bind(&c.vehicle_id)
    .bind(&c.vin)
    .bind(c.component.as_str())
    .bind(c.failure_date)
    .bind(c.odometer_km)
    .bind(&c.description)
    .bind(&c.shop.id)
    .bind(&c.shop.region)
    .bind(Json(&c.shop))
    .bind(Json(&c.cost))
    .bind(c.cost.total())
    .bind(&c.cost.currency)
    .bind(&c.submitted_by)
    .bind(c.submitted_at)
    .bind(idem.map(|i| &i.caller))
    .bind(idem.map(|i| &i.key))
    .bind(idem.map(|i| &i.request_hash))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    record(
        conn,
        c.id,
        None,
        ClaimStatus::Submitted,
        &c.submitted_by,
        None,
    )
    .await?;
    Ok(true)
}

/// The claim `caller` filed under `key`, with the hash of what was sent then.
pub async fn by_idempotency(
    conn: &mut PgConnection,
    caller: &str,
    key: &str,
) -> sqlx::Result<Option<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT id, coalesce(request_hash, '') FROM claims \
         WHERE idempotency_caller = $1 AND idempotency_key = $2",
    )
    .bind(caller)
    .bind(key)
    .fetch_optional(conn)
    .await
}

/// One claim with its documents.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<StoredClaim>> {
    let row: Option<Row> = sqlx::query_as(concat!(select_claims!(), " WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut stored = row.into_stored()?;
    stored.documents = super::documents::of_claim(conn, id).await?;
    Ok(Some(stored))
}

/// What a listing is limited to.
#[derive(Debug, Default)]
pub struct Filter<'a> {
    /// Organization (`None` = all).
    pub org: Option<&'a str>,
    /// Vehicles (`None` = all).
    pub vehicles: Option<&'a [String]>,
    /// Status.
    pub status: Option<ClaimStatus>,
    /// Most rows.
    pub limit: i64,
    /// Oldest first (a queue) rather than newest first.
    pub oldest_first: bool,
}

/// Claims matching `f` (without their documents).
pub async fn list(conn: &mut PgConnection, f: &Filter<'_>) -> sqlx::Result<Vec<StoredClaim>> {
    let rows: Vec<Row> = sqlx::query_as(concat!(
        select_claims!(),
        " WHERE ($1::text IS NULL OR org_id = $1) \
         AND ($2::text[] IS NULL OR vehicle_id = ANY($2)) \
         AND ($3::text IS NULL OR status = $3) \
         ORDER BY CASE WHEN $5 THEN submitted_at END ASC, submitted_at DESC, id LIMIT $4"
    ))
    .bind(f.org)
    .bind(f.vehicles)
    .bind(f.status.map(ClaimStatus::as_str))
    .bind(f.limit)
    .bind(f.oldest_first)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(Row::into_stored).collect()
}

/// Moves claim `id` from `from` to `to` and records it; `false` when it was not in
/// `from` (someone else moved it first).
pub async fn transition(
    conn: &mut PgConnection,
    id: Uuid,
    from: ClaimStatus,
    to: ClaimStatus,
    by: &str,
    note: Option<&str>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE claims SET status = $3, updated_at = now() WHERE id = $1 AND status = $2",
    )
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    record(conn, id, Some(from), to, by, note).await?;
    Ok(true)
}

/// Records claim `id`'s move from `from` to `to` by `by`.
pub(crate) async fn record(
    conn: &mut PgConnection,
    id: Uuid,
    from: Option<ClaimStatus>,
    to: ClaimStatus,
    by: &str,
    note: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO claim_transitions (claim_id, from_status, to_status, by_user, note) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(from.map(ClaimStatus::as_str))
    .bind(to.as_str())
    .bind(by)
    .bind(note)
    .execute(conn)
    .await?;
    Ok(())
}

/// The moves of claim `id`, oldest first.
pub async fn transitions(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Vec<Transition>> {
    sqlx::query_as(
        "SELECT from_status, to_status, by_user, at, note FROM claim_transitions \
         WHERE claim_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(conn)
    .await
}

/// Stores the analysis of claim `id`.
pub async fn set_assessment(conn: &mut PgConnection, id: Uuid, a: &Assessment) -> sqlx::Result<()> {
    sqlx::query("UPDATE claims SET eligibility = $2, assessment = $3, coverage = $4 WHERE id = $1")
        .bind(id)
        .bind(Json(&a.eligibility))
        .bind(Json(a))
        .bind(a.eligibility.coverage.as_ref().map(name_of))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records who decided claim `id` and the amount approved, if any.
pub async fn set_decision(
    conn: &mut PgConnection,
    id: Uuid,
    by: &str,
    approved_amount: Option<f64>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE claims SET decided_by = $2, decided_at = now(), approved_amount = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(by)
    .bind(approved_amount)
    .execute(conn)
    .await?;
    Ok(())
}

/// A reviewer's decision as a training label (the last one stands).
pub async fn label(
    conn: &mut PgConnection,
    id: Uuid,
    fraud: bool,
    decision: &str,
    note: Option<&str>,
    by: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO claim_labels (claim_id, fraud, decision, note, decided_by) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (claim_id) DO UPDATE SET fraud = $2, \
         decision = $3, note = $4, decided_by = $5, at = now()",
    )
    .bind(id)
    .bind(fraud)
    .bind(decision)
    .bind(note)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a reviewer labelled claim `id` fraud (`None`: no label).
pub async fn label_of(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<bool>> {
    sqlx::query_scalar("SELECT fraud FROM claim_labels WHERE claim_id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}
