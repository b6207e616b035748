//! Organizations (tenants): `POST/GET /v1/orgs`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shared_runtime::auth::Auth;
use shared_runtime::http::ApiJson;
use shared_runtime::openapi::responses::{BadRequest, Forbidden, Unauthorized};
use utoipa::ToSchema;

use crate::db::orgs::Org;
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/v1/orgs", get(list).post(create))
}

/// A new organization.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    /// Id (1-64 letters, digits, `. _ : -`), as the events' `org_id`.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// Creates an organization (admins).
#[utoipa::path(post, path = "/v1/orgs", tag = "orgs", security(("bearer" = [])), request_body = NewOrg,
    responses((status = 201, description = "Created", body = Org), BadRequest,
        Unauthorized, Forbidden,
        (status = 409, description = "The id is taken", body = shared_runtime::http::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiJson(new): ApiJson<NewOrg>,
) -> Result<(StatusCode, Json<Org>), ApiError> {
    let org = state
        .identity
        .create_org(&claims, &new.id, &new.name)
        .await?;
    Ok((StatusCode::CREATED, Json(org)))
}

/// The organizations the caller may see: every one for admins, else their own.
#[utoipa::path(get, path = "/v1/orgs", tag = "orgs", security(("bearer" = [])),
    responses((status = 200, description = "Organizations", body = Vec<Org>), Unauthorized))]
pub async fn list(
    State(state): State<AppState>,
    Auth(claims): Auth,
) -> Result<Json<Vec<Org>>, ApiError> {
    state.identity.orgs(&claims).await.map(Json)
}
