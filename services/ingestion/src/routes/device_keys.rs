//! `/v1/device-keys`: device API key management (admins; fleet managers for their
//! own organization; support reads the list).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, Role};
use shared_runtime::http::{ApiJson, ApiPath};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use shared_schemas::ids::{check_org_id, check_vehicle_id};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::device_keys::{self, DeviceKeyRow, Insert};
use crate::device_auth::generate_key;
use crate::error::ApiError;
use crate::state::AppState;

const MANAGERS: &[Role] = &[Role::Admin, Role::FleetManager];
/// Support reads what managers read (secrets are never shown again to anyone).
const READERS: &[Role] = &[Role::Admin, Role::FleetManager, Role::Support];
/// Vehicles one key may be limited to (a gateway serves a handful; a depot key more).
const MAX_KEY_VEHICLES: usize = 10_000;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/device-keys", get(list).post(create))
        .route("/v1/device-keys/{id}", delete(revoke))
}

/// A key to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// Name, e.g. the gateway serial number (1–100 characters).
    pub name: String,
    /// Organization; admins must give it, fleet managers get their own.
    pub org_id: Option<String>,
    /// Restrict the key to these vehicles (default: any vehicle of the organization).
    #[serde(default)]
    pub vehicle_ids: Vec<String>,
}

/// A created key: the only time its secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    /// The secret to configure on the device (`x-api-key` header).
    pub key: String,
    /// The stored key.
    #[serde(flatten)]
    pub device_key: DeviceKeyRow,
}

/// Create a device key.
#[utoipa::path(post, path = "/v1/device-keys", tag = "device-keys",
    request_body = CreateKey, security(("bearer" = [])),
    responses(
        (status = 201, body = CreatedKey),
        BadRequest,
        Unauthorized,
        Forbidden,
    ))]
pub async fn create(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiJson(req): ApiJson<CreateKey>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    claims.require(MANAGERS)?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::BadRequest(
            "`name` must be 1–100 characters".to_owned(),
        ));
    }
    let org = match (claims.role, req.org_id) {
        (Role::Admin, Some(org)) => {
            check_org_id(&org).map_err(|m| ApiError::BadRequest(format!("`org_id` {m}")))?;
            org
        }
        (Role::Admin, _) => {
            return Err(ApiError::BadRequest(
                "`org_id` is required for admins".to_owned(),
            ));
        }
        (_, Some(org)) if org != claims.org => {
            return Err(ApiError::Auth(shared_runtime::auth::AuthError::Forbidden(
                format!("you may create keys only for organization {}", claims.org),
            )));
        }
        _ => claims.org.clone(),
    };
    if req.vehicle_ids.len() > MAX_KEY_VEHICLES {
        return Err(ApiError::BadRequest(format!(
            "`vehicle_ids` has {} ids; at most {MAX_KEY_VEHICLES} are allowed",
            req.vehicle_ids.len()
        )));
    }
    for (i, v) in req.vehicle_ids.iter().enumerate() {
        check_vehicle_id(v).map_err(|m| ApiError::BadRequest(format!("`vehicle_ids[{i}]` {m}")))?;
    }
    let key = generate_key();
    let row = device_keys::insert(
        &state.db,
        &Insert {
            org_id: &org,
            name,
            key_prefix: &key.prefix,
            key_hash: &key.hash,
            vehicle_ids: &req.vehicle_ids,
            created_by: &claims.sub,
        },
    )
    .await?
    .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("random key collided")))?;
    tracing::info!(key_id = %row.id, org = %row.org_id, by = %claims.sub, "device key created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            key: key.secret,
            device_key: row,
        }),
    ))
}

/// List device keys (secrets are never shown again): admins, fleet managers and
/// support.
#[utoipa::path(get, path = "/v1/device-keys", tag = "device-keys", security(("bearer" = [])),
    responses((status = 200, body = Vec<DeviceKeyRow>), Unauthorized, Forbidden))]
pub async fn list(
    State(state): State<AppState>,
    Auth(claims): Auth,
) -> Result<Json<Vec<DeviceKeyRow>>, ApiError> {
    claims.require(READERS)?;
    Ok(Json(
        device_keys::list(&state.db, claims.org_scope()).await?,
    ))
}

/// Revoke a device key; devices using it are refused within 30 s.
#[utoipa::path(delete, path = "/v1/device-keys/{id}", tag = "device-keys", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Key id")),
    responses((status = 200, body = DeviceKeyRow), Unauthorized, Forbidden, NotFound))]
pub async fn revoke(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<DeviceKeyRow>, ApiError> {
    claims.require(MANAGERS)?;
    let row = device_keys::revoke(&state.db, id, claims.org_scope())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no device key {id}")))?;
    state.device_keys.invalidate();
    tracing::info!(key_id = %id, by = %claims.sub, "device key revoked");
    Ok(Json(row))
}
