//! The evidence pack of a claim: `GET /v1/claims/{id}/evidence.pdf`, drawn from what
//! the analysis saw (the vehicle's record, the claim history, the near neighbours) and
//! the decision on record; and the near neighbours alone as JSON
//! (`GET /v1/claims/{id}/similar`), for a reviewer's screen beside the fraud signals.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Serialize;
use shared_runtime::auth::{Auth, Claims};
use shared_runtime::http::ApiPath;
use shared_runtime::openapi::responses::{BadRequest, NotFound, Unauthorized};
use shared_schemas::events::Component;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::claims::{self as db, StoredClaim, Transition};
use crate::db::{contracts, history};
use crate::domain::claim_status::ClaimStatus;
use crate::domain::evidence::{self, Decision, EvidencePack, SimilarEntry};
use crate::domain::model::SimilarClaim;
use crate::error::ApiError;
use crate::state::AppState;

/// The similar past claims the caller may see, with how each ended. The index finds
/// neighbours across the organization: for an owner, those are mostly other owners'
/// vehicles, which are not theirs to see.
async fn neighbours(
    conn: &mut PgConnection,
    c: &Claims,
    hits: Vec<SimilarClaim>,
) -> Result<Vec<SimilarEntry>, ApiError> {
    let mut similar = Vec::new();
    for hit in hits {
        let past = db::get(conn, hit.claim_id).await?;
        if past
            .as_ref()
            .is_some_and(|p| !c.can_read_vehicle(&p.claim.org_id, &p.claim.vehicle_id))
        {
            continue;
        }
        let label = db::label_of(conn, hit.claim_id).await?;
        similar.push(SimilarEntry {
            outcome: past.as_ref().map(|p| p.status.as_str().to_owned()),
            claim: past.map(|p| p.claim),
            hit,
            fraud_confirmed: label.unwrap_or(false),
        });
    }
    Ok(similar)
}

/// The decision on record, once the analysis has moved the claim on; its note is the
/// latest one of the claim's moves (payment and closing carry none).
fn decision_of(stored: &StoredClaim, transitions: &[Transition]) -> Option<Decision> {
    let decided = !matches!(
        stored.status,
        ClaimStatus::Submitted | ClaimStatus::Validating
    );
    decided.then(|| Decision {
        outcome: stored.status.as_str().to_owned(),
        by: stored.decided_by.clone().filter(|b| b != "system"),
        at: stored.decided_at.unwrap_or(stored.claim.submitted_at),
        note: transitions.iter().rev().find_map(|t| t.note.clone()),
    })
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/claims/{id}/evidence.pdf", get(pack))
        .route("/v1/claims/{id}/similar", get(similar))
}

/// A similar past claim, as the evidence pack lists it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SimilarPast {
    /// The past claim.
    pub claim_id: Uuid,
    /// Similarity by text and features, 0..1 (1 = identical).
    pub similarity: f64,
    /// Its vehicle (absent when the claim is no longer on record).
    pub vehicle_id: Option<String>,
    /// Its failed component.
    pub component: Option<Component>,
    /// Its day of failure.
    pub failure_date: Option<NaiveDate>,
    /// Its final status (`approved`, `rejected`, `paid`, …), if decided.
    pub outcome: Option<String>,
    /// Whether a reviewer confirmed fraud on it.
    pub fraud_confirmed: bool,
}

impl From<SimilarEntry> for SimilarPast {
    fn from(e: SimilarEntry) -> Self {
        Self {
            claim_id: e.hit.claim_id,
            similarity: e.hit.similarity,
            vehicle_id: e.claim.as_ref().map(|c| c.vehicle_id.clone()),
            component: e.claim.as_ref().map(|c| c.component),
            failure_date: e.claim.as_ref().map(|c| c.failure_date),
            outcome: e.outcome,
            fraud_confirmed: e.fraud_confirmed,
        }
    }
}

/// The similar past claims the analysis found, most similar first, with how each
/// ended: the evidence pack's list as data (for an owner, only those of their own
/// vehicles). 404 until the claim has been analysed.
#[utoipa::path(get, path = "/v1/claims/{id}/similar", tag = "claims",
    params(("id" = Uuid, Path, description = "Claim id")),
    security(("bearer" = [])),
    responses((status = 200, body = [SimilarPast]), BadRequest, Unauthorized, NotFound))]
pub async fn similar(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<SimilarPast>>, ApiError> {
    let stored = super::claims::visible(&state, &c, id).await?;
    if stored.assessment.is_none() {
        return Err(ApiError::NotFound(format!(
            "claim {id} has not been analysed yet"
        )));
    }
    let (_, seen) = history::seen(&state.db, id).await?.unwrap_or_default();
    let mut conn = state.db.acquire().await?;
    let similar = neighbours(&mut conn, &c, seen.similar).await?;
    Ok(Json(similar.into_iter().map(SimilarPast::from).collect()))
}

/// The claim's evidence pack as PDF: claim and coverage, the component's health before
/// the failure, the alerts and appointments on record, each fraud signal, similar past
/// claims (for an owner, only those of their own vehicles), the decision and its
/// reasons. 404 until the claim has been analysed.
#[utoipa::path(get, path = "/v1/claims/{id}/evidence.pdf", tag = "claims",
    params(("id" = Uuid, Path, description = "Claim id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The PDF", content((Vec<u8> = "application/pdf"))),
        BadRequest, Unauthorized, NotFound))]
pub async fn pack(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let stored = super::claims::visible(&state, &c, id).await?;
    let assessment = stored
        .assessment
        .clone()
        .ok_or_else(|| ApiError::NotFound(format!("claim {id} has not been analysed yet")))?;
    let mut conn = state.db.acquire().await?;
    let contract = contracts::get(&mut conn, &stored.claim.vehicle_id).await?;
    let (record, seen) = history::seen(&state.db, id).await?.unwrap_or_default();
    let similar = neighbours(&mut conn, &c, seen.similar).await?;
    let transitions = db::transitions(&mut conn, id).await?;
    let decision = decision_of(&stored, &transitions);
    let pdf = evidence::render(&EvidencePack {
        claim: stored.claim,
        contract,
        assessment,
        record,
        trends: Vec::new(),
        similar,
        decision,
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"claim-{id}-evidence.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response())
}
