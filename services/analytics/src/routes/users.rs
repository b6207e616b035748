//! Accounts: `POST/GET /v1/users`, `GET/PATCH /v1/users/{user_id}`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, Role};
use shared_runtime::http::{ApiJson, ApiPath, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::account::User;
use crate::error::ApiError;
use crate::pipeline::identity::{NewUser, UserPatch};
use crate::state::AppState;

/// Most accounts per page.
const MAX_PAGE: i64 = 500;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/users", get(list).post(create))
        .route("/v1/users/{user_id}", get(one).patch(update))
}

/// The account created; with an invitation link when no password was given (also
/// emailed to the user).
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// The account.
    pub user: User,
    /// The one-time invitation link, when the account was invited.
    pub invitation_url: Option<String>,
}

/// Filter and page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Organization (admins; others see their own).
    pub org_id: Option<String>,
    /// Only this role.
    pub role: Option<Role>,
    /// Accounts after this email (the last of the previous page).
    pub after: Option<String>,
    /// Page size, 1-500 (default 100).
    pub limit: Option<i64>,
}

/// The account's id.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserPath {
    /// Account id.
    pub user_id: Uuid,
}

/// Creates an account: with a password, or without one to send an invitation.
/// Admins create any account; fleet managers the non-admin accounts of their
/// organization.
#[utoipa::path(post, path = "/v1/users", tag = "users", security(("bearer" = [])), request_body = NewUser,
    responses((status = 201, description = "Created", body = Created), BadRequest,
        Unauthorized, Forbidden, NotFound,
        (status = 409, description = "The email has an account", body = shared_runtime::http::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let (user, invitation_url) = state.identity.create_user(&claims, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(Created {
            user,
            invitation_url,
        }),
    ))
}

/// Accounts of an organization, by email: admins any organization, fleet managers and
/// support their own.
#[utoipa::path(get, path = "/v1/users", tag = "users", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "A page of accounts", body = Vec<User>), BadRequest,
        Unauthorized, Forbidden))]
pub async fn list(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<User>>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_PAGE}"
        )));
    }
    let users = state
        .identity
        .users(
            &claims,
            q.org_id.as_deref(),
            q.role,
            q.after.as_deref(),
            limit,
        )
        .await?;
    Ok(Json(users))
}

/// One account (yours, or one of an organization you may see; services none).
#[utoipa::path(get, path = "/v1/users/{user_id}", tag = "users", security(("bearer" = [])), params(UserPath),
    responses((status = 200, description = "The account", body = User), BadRequest,
        Unauthorized, Forbidden, NotFound))]
pub async fn one(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(path): ApiPath<UserPath>,
) -> Result<Json<User>, ApiError> {
    state.identity.user(&claims, path.user_id).await.map(Json)
}

/// Changes an account's name, role, vehicles, centers or whether it is disabled. Role
/// changes and disabling end the account's sessions.
#[utoipa::path(patch, path = "/v1/users/{user_id}", tag = "users", security(("bearer" = [])), params(UserPath),
    request_body = UserPatch,
    responses((status = 200, description = "The account", body = User), BadRequest,
        Unauthorized, Forbidden, NotFound,
        (status = 409, description = "You cannot demote or disable yourself", body = shared_runtime::http::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(path): ApiPath<UserPath>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> Result<Json<User>, ApiError> {
    state
        .identity
        .update_user(&claims, path.user_id, patch)
        .await
        .map(Json)
}
