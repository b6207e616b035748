//! Claims: `POST /v1/claims` (owners for their vehicles, fleet managers for their
//! organization, admins), `GET /v1/claims` (scoped), `GET /v1/claims/{id}` and a
//! document's download. Another owner's vehicle or claim is a 404, never a 403.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shared_runtime::auth::{Auth, Claims, Role};
use shared_runtime::http::{ApiPath, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use utoipa::IntoParams;
use uuid::Uuid;

use super::claim_upload;
use super::scope::{limit, org_for, vehicles_in_reach};
use crate::db::claims::{self as db, Filter, Idempotency, StoredClaim};
use crate::domain::claim_input::ClaimInput;
use crate::domain::claim_status::ClaimStatus;
use crate::error::ApiError;
use crate::pipeline::claims::{Filed, Upload};
use crate::state::AppState;
use crate::storage::sha256_hex;

/// Who files claims.
const FILERS: [Role; 3] = [Role::Admin, Role::FleetManager, Role::Owner];
/// Who reads claims (each in their scope).
const READERS: [Role; 4] = [Role::Admin, Role::FleetManager, Role::Owner, Role::Support];

pub(crate) fn router(max_body: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/v1/claims",
            get(list)
                .post(file)
                .layer(axum::extract::DefaultBodyLimit::max(max_body)),
        )
        .route("/v1/claims/{id}", get(one))
        .route("/v1/claims/{id}/documents/{sha}", get(document))
}

/// The claim if the caller may see it (else 404, so existence does not leak).
pub(crate) async fn visible(
    state: &AppState,
    c: &Claims,
    id: Uuid,
) -> Result<StoredClaim, ApiError> {
    c.require(&READERS)?;
    let mut conn = state.db.acquire().await?;
    db::get(&mut conn, id)
        .await?
        .filter(|s| c.can_read_vehicle(&s.claim.org_id, &s.claim.vehicle_id))
        .ok_or_else(|| ApiError::NotFound(format!("no claim {id}")))
}

/// The key of a retried submission: the caller's within the claim's organization, so
/// that a key can never hand one organization's claim to another (nothing makes a
/// token's subject unique across organizations).
fn idempotency(
    headers: &HeaderMap,
    c: &Claims,
    org: &str,
    input: &ClaimInput,
    uploads: &[Upload],
) -> Result<Option<Idempotency>, ApiError> {
    let Some(key) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = key
        .to_str()
        .ok()
        .filter(|k| (1..=200).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::BadRequest(
                "`Idempotency-Key` must be 1 to 200 visible ASCII characters".to_owned(),
            )
        })?;
    let mut sent = serde_json::to_string(input).map_err(anyhow::Error::from)?;
    for u in uploads {
        sent.push('|');
        sent.push_str(&u.sha256);
    }
    Ok(Some(Idempotency {
        caller: format!("{org}/{}", c.sub),
        key: key.to_owned(),
        request_hash: sha256_hex(sent.as_bytes()),
    }))
}

/// Files a claim: `multipart/form-data` with a `claim` JSON part (the fields of
/// `ClaimInput`) and up to 10 `document` files (PDF, JPEG or PNG by content), or the
/// claim as `application/json`. With an `Idempotency-Key`, a retry returns the first
/// claim (200); the same key with a different claim is 409. Every problem of the body
/// is named in one 400. The role is checked first (403), then the body (400), an
/// organization named that is not the caller's (403), and last the vehicle (404 when out
/// of the caller's reach). The claim is then checked and decided at once; when the
/// decision fails (the analysis errs) the claim is answered `validating` and decided
/// again later (`WARRANTY_RETRY_SECS`), or handed to a reviewer once the attempts run
/// out (`WARRANTY_RETRY_MAX_ATTEMPTS`).
#[utoipa::path(post, path = "/v1/claims", tag = "claims",
    request_body(content = ClaimInput, description = "The claim (JSON), or multipart/form-data with a `claim` part and `document` files"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried submission return the first claim")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Filed (and decided, queued for review, or `validating` until a retry decides it)", body = StoredClaim),
        (status = 200, description = "Filed earlier under the same Idempotency-Key", body = StoredClaim),
        (status = 409, description = "The Idempotency-Key was used for a different claim"),
        (status = 413, description = "A document over the size limit"),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn file(
    State(state): State<AppState>,
    Auth(c): Auth,
    req: Request,
) -> Result<(StatusCode, Json<StoredClaim>), ApiError> {
    c.require(&FILERS)?;
    let headers = req.headers().clone();
    let mut sub = claim_upload::read(req, &state).await?;
    let input = sub.input()?;
    let contract = state.desk.contract(&input.vehicle_id).await?;
    let org = org_for(
        &c,
        input.org_id.as_deref(),
        contract.as_ref().map(|k| k.org_id.as_str()),
    )?;
    if !c.can_read_vehicle(&org, &input.vehicle_id)
        || contract.as_ref().is_some_and(|k| k.org_id != org)
    {
        return Err(ApiError::NotFound(format!(
            "no vehicle {} in {org}",
            input.vehicle_id
        )));
    }
    if let Some(k) = &contract
        && k.vin != input.vin
    {
        return Err(ApiError::BadRequest(format!(
            "`vin` {} does not match the VIN on the vehicle's contract ({})",
            input.vin, k.vin
        )));
    }
    let idem = idempotency(&headers, &c, &org, &input, &sub.uploads)?;
    let claim = input.into_claim(Uuid::now_v7(), org, &c.sub);
    match state
        .desk
        .file(claim, std::mem::take(&mut sub.uploads), idem)
        .await?
    {
        Filed::New(s) => Ok((StatusCode::CREATED, Json(*s))),
        Filed::Again(s) => Ok((StatusCode::OK, Json(*s))),
    }
}

/// One claim with its documents, analysis and transitions.
#[utoipa::path(get, path = "/v1/claims/{id}", tag = "claims",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = StoredClaim), Unauthorized, Forbidden, NotFound))]
pub async fn one(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<StoredClaim>, ApiError> {
    let mut s = visible(&state, &c, id).await?;
    let mut conn = state.db.acquire().await?;
    s.transitions = db::transitions(&mut conn, id).await?;
    Ok(Json(s))
}

/// Filters of the claim list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ClaimQuery {
    /// Status (`submitted`, `validating`, `approved`, `rejected`, `needs_review`, `paid`, `closed`).
    pub status: Option<String>,
    /// One vehicle.
    pub vehicle_id: Option<String>,
    /// Most claims (1 to 500, default 100).
    pub limit: Option<i64>,
}

/// Claims the caller reaches, newest first.
#[utoipa::path(get, path = "/v1/claims", tag = "claims", params(ClaimQuery),
    security(("bearer" = [])),
    responses((status = 200, body = [StoredClaim]), BadRequest, Unauthorized, Forbidden))]
pub async fn list(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiQuery(q): ApiQuery<ClaimQuery>,
) -> Result<Json<Vec<StoredClaim>>, ApiError> {
    c.require(&READERS)?;
    let status = q
        .status
        .as_deref()
        .map(|s| {
            ClaimStatus::parse(s)
                .ok_or_else(|| ApiError::BadRequest(format!("unknown `status` {s:?}")))
        })
        .transpose()?;
    let vehicles = vehicles_in_reach(&c, q.vehicle_id.as_deref());
    let filter = Filter {
        org: c.org_scope(),
        vehicles: vehicles.as_deref(),
        status,
        limit: limit(q.limit)?,
        oldest_first: false,
    };
    let mut conn = state.db.acquire().await?;
    Ok(Json(db::list(&mut conn, &filter).await?))
}

/// A document of a claim, with the type sniffed when it was filed.
#[utoipa::path(get, path = "/v1/claims/{id}/documents/{sha}", tag = "claims",
    params(("id" = Uuid, Path), ("sha" = String, Path, description = "SHA-256 of the document, hex")),
    security(("bearer" = [])),
    responses((status = 200, description = "The document's bytes", content_type = "application/octet-stream"), Unauthorized, Forbidden, NotFound))]
pub async fn document(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath((id, sha)): ApiPath<(Uuid, String)>,
) -> Result<Response, ApiError> {
    let s = visible(&state, &c, id).await?;
    let missing = || ApiError::NotFound(format!("no document {sha} on claim {id}"));
    let doc = s
        .documents
        .iter()
        .find(|d| d.sha256 == sha)
        .ok_or_else(missing)?;
    let bytes = state
        .desk
        .storage()
        .get(id, &sha)
        .await
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("reading a document")))?
        .ok_or_else(missing)?;
    Ok(([(header::CONTENT_TYPE, doc.content_type.clone())], bytes).into_response())
}
