//! Contacts (recipients) and their preferences, managed over REST until analytics owns
//! users: `GET/POST /v1/contacts`, `GET/PUT/DELETE /v1/contacts/{id}`,
//! `GET/PUT /v1/contacts/{id}/preferences`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use shared_runtime::auth::{Auth, Claims, Role as UserRole};
use shared_runtime::http::{ApiJson, ApiPath, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use shared_schemas::ids::{check_org_id, check_vehicle_id};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::contacts;
use crate::domain::contact::{Contact, Preferences};
use crate::domain::policy::Role;
use crate::error::ApiError;
use crate::state::AppState;

const MANAGERS: [UserRole; 2] = [UserRole::Admin, UserRole::FleetManager];
const READERS: [UserRole; 3] = [UserRole::Admin, UserRole::FleetManager, UserRole::Support];
/// Roles of people, who may read one contact (managers and support any of their
/// organization's, the others their own); services have no use for contacts.
const PEOPLE: [UserRole; 5] = [
    UserRole::Admin,
    UserRole::FleetManager,
    UserRole::Support,
    UserRole::Technician,
    UserRole::Owner,
];
/// Who may change preferences (managers any, the others their own); support is
/// read-only.
const PREFERENCE_EDITORS: [UserRole; 4] = [
    UserRole::Admin,
    UserRole::FleetManager,
    UserRole::Technician,
    UserRole::Owner,
];
/// Vehicles one contact may answer for (more: leave the list empty for all).
const MAX_CONTACT_VEHICLES: usize = 10_000;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/contacts", get(list).post(create))
        .route(
            "/v1/contacts/{contact_id}",
            get(one).put(put).delete(remove),
        )
        .route(
            "/v1/contacts/{contact_id}/preferences",
            get(preferences).put(set_preferences),
        )
}

/// A contact to create or replace.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// Organization (admins must give it; others default to, and must match, their own).
    pub org_id: Option<String>,
    /// Display name (1–200 characters).
    pub name: String,
    /// `owner`, `fleet_manager` or `emergency_contact`.
    pub role: Role,
    /// The vehicles this contact answers for; empty or absent = all of the organization's.
    #[serde(default)]
    pub vehicle_ids: Vec<String>,
    /// The platform user this contact is (JWT `sub`).
    pub user_id: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Mobile number, E.164.
    pub phone: Option<String>,
    /// Push registration token.
    pub push_token: Option<String>,
    /// Webhook URL (http or https).
    pub webhook_url: Option<String>,
    /// Preferences (defaults: the domain reference's channels per severity, no quiet hours).
    pub preferences: Option<Preferences>,
    /// Default true.
    pub active: Option<bool>,
}

/// Filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Organization (admins; others see their own).
    pub org_id: Option<String>,
}

fn validate(c: &ContactInput) -> Result<(), ApiError> {
    let bad = |m: String| Err(ApiError::BadRequest(m));
    let name = c.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return bad("name must be 1 to 200 characters".to_owned());
    }
    if let Some(e) = &c.email
        && e.parse::<lettre::Address>().is_err()
    {
        return bad(format!("email {e:?} is not an email address"));
    }
    if let Some(p) = &c.phone {
        let digits = p.strip_prefix('+').unwrap_or("");
        if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return bad(format!(
                "phone {p:?} is not an E.164 number like +15551234567"
            ));
        }
    }
    if let Some(t) = &c.push_token
        && (t.trim().is_empty() || t.len() > 4096)
    {
        return bad("push_token must be 1 to 4096 characters".to_owned());
    }
    if let Some(u) = &c.webhook_url
        && reqwest::Url::parse(u).map_or(true, |u| !matches!(u.scheme(), "http" | "https"))
    {
        return bad(format!("webhook_url {u:?} is not an http or https URL"));
    }
    if c.vehicle_ids.len() > MAX_CONTACT_VEHICLES {
        return bad(format!(
            "vehicle_ids has {} ids; at most {MAX_CONTACT_VEHICLES} are allowed",
            c.vehicle_ids.len()
        ));
    }
    for (i, v) in c.vehicle_ids.iter().enumerate() {
        check_vehicle_id(v).map_err(|m| ApiError::BadRequest(format!("`vehicle_ids[{i}]` {m}")))?;
    }
    if let Some(org) = &c.org_id {
        check_org_id(org).map_err(|m| ApiError::BadRequest(format!("`org_id` {m}")))?;
    }
    if c.user_id
        .as_ref()
        .is_some_and(|u| u.trim().is_empty() || u.chars().count() > 200)
    {
        return bad("user_id must be 1 to 200 characters".to_owned());
    }
    if c.webhook_url.as_ref().is_some_and(|u| u.len() > 2_048) {
        return bad("webhook_url must be at most 2048 characters".to_owned());
    }
    if let Some(p) = &c.preferences {
        p.validate().map_err(ApiError::BadRequest)?;
    }
    Ok(())
}

fn org_for(claims: &Claims, requested: Option<&str>) -> Result<String, ApiError> {
    match (claims.role, requested) {
        (UserRole::Admin, Some(o)) => Ok(o.to_owned()),
        (UserRole::Admin, None) => Err(ApiError::BadRequest(
            "org_id is required for admins".to_owned(),
        )),
        (_, Some(o)) if o != claims.org => {
            Err(ApiError::Auth(shared_runtime::auth::AuthError::Forbidden(
                format!("you manage organization {}, not {o}", claims.org),
            )))
        }
        _ => Ok(claims.org.clone()),
    }
}

fn can_manage(claims: &Claims, c: &Contact) -> bool {
    match claims.role {
        UserRole::Admin => true,
        UserRole::FleetManager => claims.org == c.org_id,
        _ => false,
    }
}

fn can_read(claims: &Claims, c: &Contact) -> bool {
    match claims.role {
        UserRole::Admin => true,
        UserRole::FleetManager | UserRole::Support => claims.org == c.org_id,
        _ => c.user_id.as_deref() == Some(claims.sub.as_str()) && claims.org == c.org_id,
    }
}

fn build(id: Uuid, org: String, input: ContactInput, created_at: chrono::DateTime<Utc>) -> Contact {
    Contact {
        contact_id: id,
        org_id: org,
        name: input.name.trim().to_owned(),
        role: input.role,
        vehicle_ids: input.vehicle_ids,
        user_id: input.user_id,
        email: input.email,
        phone: input.phone,
        push_token: input.push_token,
        webhook_url: input.webhook_url,
        preferences: input.preferences.unwrap_or_default(),
        active: input.active.unwrap_or(true),
        created_at,
        updated_at: Utc::now(),
    }
}

async fn found(
    state: &AppState,
    claims: &Claims,
    id: Uuid,
    allowed: fn(&Claims, &Contact) -> bool,
) -> Result<Contact, ApiError> {
    contacts::get(&state.db, id)
        .await?
        .filter(|c| allowed(claims, c))
        .ok_or_else(|| ApiError::NotFound(format!("no contact {id}")))
}

/// The organization's contacts (admins: any organization, or all).
#[utoipa::path(get, path = "/v1/contacts", tag = "contacts", params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = [Contact]),
        Unauthorized,
        Forbidden,
    ))]
pub async fn list(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Contact>>, ApiError> {
    claims.require(&READERS)?;
    let org = match claims.role {
        UserRole::Admin => q.org_id,
        _ => Some(org_for(&claims, q.org_id.as_deref())?),
    };
    Ok(Json(contacts::list(&state.db, org.as_deref()).await?))
}

/// Adds a contact (admins and fleet managers).
#[utoipa::path(post, path = "/v1/contacts", tag = "contacts", request_body = ContactInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Contact),
        BadRequest,
        Unauthorized,
        Forbidden,
    ))]
pub async fn create(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<(StatusCode, Json<Contact>), ApiError> {
    claims.require(&MANAGERS)?;
    validate(&input)?;
    let org = org_for(&claims, input.org_id.as_deref())?;
    let c = build(Uuid::now_v7(), org, input, Utc::now());
    contacts::upsert(&state.db, &c).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Replaces a contact the caller manages. Ids are the service's (`POST` creates): an
/// unknown id and another organization's answer the same 404, so an id can be neither
/// probed nor taken over.
#[utoipa::path(put, path = "/v1/contacts/{contact_id}", tag = "contacts",
    params(("contact_id" = Uuid, Path, description = "Contact id")),
    request_body = ContactInput,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Contact),
        BadRequest,
        Unauthorized,
        Forbidden,
        (status = 404, description = "Unknown, or not managed by the caller", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn put(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(contact_id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<Json<Contact>, ApiError> {
    claims.require(&MANAGERS)?;
    validate(&input)?;
    let existing = found(&state, &claims, contact_id, can_manage).await?;
    // A contact stays in its organization; moving one is deleting and creating.
    let org = match input.org_id.as_deref() {
        Some(o) if o != existing.org_id => {
            return Err(ApiError::BadRequest(format!(
                "`org_id` cannot change ({} to {o}); create the contact in the other organization",
                existing.org_id
            )));
        }
        _ => existing.org_id.clone(),
    };
    let c = build(contact_id, org, input, existing.created_at);
    if !contacts::upsert(&state.db, &c).await? {
        return Err(ApiError::NotFound(format!("no contact {contact_id}")));
    }
    Ok(Json(c))
}

/// One contact (managers, support, or the contact's own user).
#[utoipa::path(get, path = "/v1/contacts/{contact_id}", tag = "contacts",
    params(("contact_id" = Uuid, Path, description = "Contact id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Contact),
        Unauthorized,
        Forbidden,
        NotFound,
    ))]
pub async fn one(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(contact_id): ApiPath<Uuid>,
) -> Result<Json<Contact>, ApiError> {
    claims.require(&PEOPLE)?;
    Ok(Json(found(&state, &claims, contact_id, can_read).await?))
}

/// Removes a contact (planned messages to it are skipped).
#[utoipa::path(delete, path = "/v1/contacts/{contact_id}", tag = "contacts",
    params(("contact_id" = Uuid, Path, description = "Contact id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        Unauthorized,
        Forbidden,
        NotFound,
    ))]
pub async fn remove(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(contact_id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    claims.require(&MANAGERS)?;
    found(&state, &claims, contact_id, can_manage).await?;
    contacts::delete(&state.db, contact_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A contact's preferences (managers, or the contact's own user).
#[utoipa::path(get, path = "/v1/contacts/{contact_id}/preferences", tag = "contacts",
    params(("contact_id" = Uuid, Path, description = "Contact id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Preferences),
        Unauthorized,
        Forbidden,
        NotFound,
    ))]
pub async fn preferences(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(contact_id): ApiPath<Uuid>,
) -> Result<Json<Preferences>, ApiError> {
    claims.require(&PEOPLE)?;
    Ok(Json(
        found(&state, &claims, contact_id, can_read)
            .await?
            .preferences,
    ))
}

fn can_edit_prefs(claims: &Claims, c: &Contact) -> bool {
    can_manage(claims, c)
        || (c.user_id.as_deref() == Some(claims.sub.as_str()) && claims.org == c.org_id)
}

/// Replaces a contact's preferences: the lowest severity per channel (`info`, `warning`,
/// `critical`, `emergency` or `off`) and quiet hours (`start`, `end`, `timezone`).
/// Emergencies override both.
#[utoipa::path(put, path = "/v1/contacts/{contact_id}/preferences", tag = "contacts",
    params(("contact_id" = Uuid, Path, description = "Contact id")),
    request_body = Preferences,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Preferences),
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
    ))]
pub async fn set_preferences(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(contact_id): ApiPath<Uuid>,
    ApiJson(p): ApiJson<Preferences>,
) -> Result<Json<Preferences>, ApiError> {
    claims.require(&PREFERENCE_EDITORS)?;
    p.validate().map_err(ApiError::BadRequest)?;
    found(&state, &claims, contact_id, can_edit_prefs).await?;
    contacts::set_preferences(&state.db, contact_id, &p).await?;
    Ok(Json(p))
}
