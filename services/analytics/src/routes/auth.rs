//! Login and tokens: `GET /.well-known/jwks.json`, `POST /v1/auth/{login, refresh,
//! logout, logout-all, token}`, `GET /v1/auth/me`, password reset and invitation
//! acceptance.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, Role};
use shared_runtime::http::ApiJson;
use shared_runtime::openapi::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::account::User;
use crate::error::ApiError;
use crate::pipeline::identity::{ServiceToken, Session};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/jwks.json", get(jwks))
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/refresh", post(refresh))
        .route("/v1/auth/logout", post(logout))
        .route("/v1/auth/logout-all", post(logout_all))
        .route("/v1/auth/token", post(token))
        .route("/v1/auth/me", get(me))
        .route("/v1/auth/password-reset", post(request_reset))
        .route("/v1/auth/password-reset/complete", post(complete_reset))
        .route("/v1/auth/invitations/accept", post(accept_invitation))
}

/// Email and password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login name.
    pub email: String,
    /// Password.
    pub password: String,
}

/// A refresh token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token of the last login or refresh.
    pub refresh_token: String,
}

/// An address to send a reset link to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The account's email.
    pub email: String,
}

/// A one-time link's token and the new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    /// The `token` of the emailed link.
    pub token: String,
    /// The new password (12-128 characters).
    pub password: String,
}

/// The caller as its token says, and its account when it is a user.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// Token subject.
    pub sub: String,
    /// Role.
    pub role: Role,
    /// Organization.
    pub org: String,
    /// Vehicles (owners).
    pub vehicle_ids: Vec<String>,
    /// Centers (technicians).
    pub center_ids: Vec<String>,
    /// When the token expires (Unix seconds).
    pub exp: i64,
    /// The account (absent for services and development tokens).
    pub user: Option<User>,
}

/// Sessions ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    /// Refresh tokens revoked.
    pub revoked: u64,
}

/// The public keys access tokens are signed with (RFC 7517); services verify tokens
/// offline against them.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "auth",
    responses((status = 200, description = "The key set", body = Object)))]
pub async fn jwks(
    State(state): State<AppState>,
) -> (
    [(header::HeaderName, &'static str); 1],
    Json<serde_json::Value>,
) {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(state.identity.jwks()),
    )
}

/// Logs in: an access token (15 minutes at most) and a refresh token. Wrong email and
/// wrong password answer alike; repeated failures lock the address for a while (429).
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "Logged in", body = Session),
        BadRequest,
        (status = 401, description = "Wrong email or password", body = shared_runtime::http::ErrorBody),
        (status = 429, description = "Locked after repeated failures; see Retry-After", body = shared_runtime::http::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<Session>, ApiError> {
    state
        .identity
        .login(&body.email, &body.password)
        .await
        .map(Json)
}

/// Trades a refresh token for a new pair. Each refresh token works once; presenting
/// one a second time revokes every token of that login.
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, description = "A new pair", body = Session),
        BadRequest,
        (status = 401, description = "Unknown, expired, revoked or reused token", body = shared_runtime::http::ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<Json<Session>, ApiError> {
    state.identity.refresh(&body.refresh_token).await.map(Json)
}

/// Logs out: revokes the refresh token's login (its access tokens expire on their own
/// within 15 minutes).
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "Logged out"), BadRequest))]
pub async fn logout(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    state.identity.logout(&body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session of the caller.
#[utoipa::path(post, path = "/v1/auth/logout-all", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "Sessions ended", body = Revoked),
        Unauthorized, Forbidden))]
pub async fn logout_all(
    State(state): State<AppState>,
    Auth(claims): Auth,
) -> Result<Json<Revoked>, ApiError> {
    let revoked = state.identity.logout_everywhere(&claims).await?;
    Ok(Json(Revoked { revoked }))
}

/// The client-credentials grant (RFC 6749 §4.4): a service token for a platform
/// service. Form body `grant_type=client_credentials`; credentials in HTTP Basic or as
/// `client_id` and `client_secret` form fields.
#[utoipa::path(post, path = "/v1/auth/token", tag = "auth",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "grant_type=client_credentials[&client_id=…&client_secret=…]"),
    responses((status = 200, description = "A service token", body = ServiceToken),
        BadRequest,
        (status = 401, description = "Unknown client or wrong secret", body = shared_runtime::http::ErrorBody)))]
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ServiceToken>, ApiError> {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|e| ApiError::BadRequest(format!("expected a form body: {e}")))?;
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match field("grant_type") {
        Some("client_credentials") => {}
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "grant_type {other:?} is not supported; use client_credentials"
            )));
        }
        None => {
            return Err(ApiError::BadRequest(
                "grant_type is required (client_credentials)".to_owned(),
            ));
        }
    }
    let (id, secret) =
        match basic_credentials(&headers)? {
            Some(pair) => pair,
            None => match (field("client_id"), field("client_secret")) {
                (Some(id), Some(secret)) => (id.to_owned(), secret.to_owned()),
                _ => return Err(ApiError::BadRequest(
                    "client credentials are required (HTTP Basic, or client_id and client_secret)"
                        .to_owned(),
                )),
            },
        };
    state.identity.service_token(&id, &secret).map(Json)
}

fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::BadRequest(
            "Authorization: expected `Basic base64(client_id:client_secret)`".to_owned(),
        )
    };
    let encoded = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Basic "))
        .ok_or_else(bad)?;
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    Ok(Some((id.to_owned(), secret.to_owned())))
}

/// The caller: its token's claims and, for users, the account.
#[utoipa::path(get, path = "/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The caller", body = Me), Unauthorized))]
pub async fn me(State(state): State<AppState>, Auth(claims): Auth) -> Result<Json<Me>, ApiError> {
    let user = match claims.sub.parse::<Uuid>() {
        Ok(id) => state.identity.user(&claims, id).await.ok(),
        Err(_) => None,
    };
    Ok(Json(Me {
        sub: claims.sub,
        role: claims.role,
        org: claims.org,
        vehicle_ids: claims.vehicle_ids,
        center_ids: claims.center_ids,
        exp: claims.exp,
        user,
    }))
}

/// Emails a one-time reset link if an account has this address. The answer is the
/// same either way (202), so it does not reveal who has an account.
#[utoipa::path(post, path = "/v1/auth/password-reset", tag = "auth", request_body = ResetRequest,
    responses((status = 202, description = "A link is on its way if the account exists"), BadRequest))]
pub async fn request_reset(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<StatusCode, ApiError> {
    state.identity.request_reset(&body.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Sets a new password with the emailed link's token; every session of the account
/// ends.
#[utoipa::path(post, path = "/v1/auth/password-reset/complete", tag = "auth", request_body = SetPassword,
    responses((status = 204, description = "Password changed"), BadRequest,
        NotFound))]
pub async fn complete_reset(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SetPassword>,
) -> Result<StatusCode, ApiError> {
    state
        .identity
        .complete_reset(&body.token, &body.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accepts an invitation: sets the first password and logs in.
#[utoipa::path(post, path = "/v1/auth/invitations/accept", tag = "auth", request_body = SetPassword,
    responses((status = 200, description = "Logged in", body = Session), BadRequest,
        NotFound))]
pub async fn accept_invitation(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SetPassword>,
) -> Result<Json<Session>, ApiError> {
    state
        .identity
        .accept_invitation(&body.token, &body.password)
        .await
        .map(Json)
}
