//! `GET /v1/audit` (search), `GET /v1/audit/export` (CSV) and `GET /v1/audit/verify`
//! (recompute the chains). Admins see every organization; fleet managers and support
//! their own; other roles none. Nothing edits or deletes an entry.

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use shared_runtime::auth::{Auth, AuthError, Claims, Role};
use shared_runtime::http::ApiQuery;
use shared_runtime::openapi::responses::{BadRequest, Unauthorized};
use shared_schemas::ids::{check_org_id, check_vehicle_id};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::audit::Filter;
use crate::domain::audit::{Entry, Kind, csv};
use crate::error::ApiError;
use crate::pipeline::audit::Verification;
use crate::state::AppState;

/// Most entries a page lists.
pub const MAX_PAGE: u32 = 1_000;
/// Most entries an export holds (newest first); narrow `from`/`to` for older ones.
pub const MAX_EXPORT: i64 = 100_000;
/// Entries fetched at a time while an export streams.
const EXPORT_CHUNK: i64 = 1_000;
/// Longest `actor` and `q`.
const MAX_TEXT: usize = 200;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/audit", get(list))
        .route("/v1/audit/export", get(export))
        .route("/v1/audit/verify", get(verify))
}

/// What to search for; every filter is optional and they combine.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// One organization's chain (admins; others see their own and may only name it).
    pub org_id: Option<String>,
    /// A caller: the token subject of a request's entry.
    pub actor: Option<String>,
    /// A vehicle.
    pub vehicle_id: Option<String>,
    /// An event type, e.g. `alert.created` or `audit.request.recorded`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub event_type: Option<String>,
    /// `event` or `request`.
    pub kind: Option<String>,
    /// Occurred at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Occurred before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Text the summary or the payload contains (case-insensitive, up to 200
    /// characters).
    pub q: Option<String>,
    /// Page size, 1–1000 (default 100); for an export, most rows (default and at most
    /// 100,000).
    pub limit: Option<u32>,
    /// The previous page's `next_cursor` (not for exports).
    pub cursor: Option<String>,
}

/// Which chain to verify.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VerifyQuery {
    /// One organization (admins; others verify their own). Default: every chain the
    /// caller sees.
    pub org_id: Option<String>,
}

/// One entry of the log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// The chain (organization).
    pub org_id: String,
    /// Position in the chain, from 1.
    pub seq: i64,
    /// The entry's id.
    pub entry_id: Uuid,
    /// The event recorded (for a request, its audit event).
    pub source_id: Uuid,
    /// `event` or `request`.
    #[schema(value_type = Kind)]
    pub kind: String,
    /// The event type.
    pub event_type: String,
    /// The producing service.
    pub producer: String,
    /// A request's caller (token subject).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The caller's role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_role: Option<String>,
    /// The vehicle concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicle_id: Option<String>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When the audit recorded it.
    pub recorded_at: DateTime<Utc>,
    /// One line: what, who, which vehicle, outcome.
    pub summary: String,
    /// The event's payload, as received.
    #[schema(value_type = Object)]
    pub payload: Box<RawValue>,
    /// The previous entry's hash (hex; zeros for the first).
    pub prev_hash: String,
    /// This entry's hash (hex).
    pub hash: String,
}

impl From<Entry> for AuditEntry {
    fn from(e: Entry) -> Self {
        let c = e.content;
        let payload = RawValue::from_string(c.payload).unwrap_or_else(|e| {
            // The column only takes JSON; keep the answer valid whatever happened.
            tracing::error!(error = %e, "stored audit payload is not JSON");
            RawValue::from_string("null".to_owned()).unwrap_or_default()
        });
        Self {
            org_id: c.org_id,
            seq: c.seq,
            entry_id: c.entry_id,
            source_id: c.source_id,
            kind: c.kind,
            event_type: c.event_type,
            producer: c.producer,
            actor: c.actor,
            actor_role: c.actor_role,
            vehicle_id: c.vehicle_id,
            occurred_at: c.occurred_at,
            recorded_at: c.recorded_at,
            summary: c.summary,
            payload,
            prev_hash: hex::encode(e.prev_hash),
            hash: hex::encode(e.hash),
        }
    }
}

/// A page of entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// The entries.
    pub entries: Vec<AuditEntry>,
    /// Pass as `cursor` for the next page (absent on the last).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The organization the caller's reading is limited to (`None`: all): admins any they
/// name; fleet managers and support their own (naming another is refused the same way
/// whether it exists or not); other roles may not read the log.
fn org_scope(claims: &Claims, requested: Option<&str>) -> Result<Option<String>, ApiError> {
    claims.require(&[Role::Admin, Role::FleetManager, Role::Support])?;
    if let Some(o) = requested {
        check_org_id(o).map_err(|m| ApiError::BadRequest(format!("`org_id` {m}")))?;
    }
    match (claims.role, requested) {
        (Role::Admin, r) => Ok(r.map(str::to_owned)),
        (_, Some(o)) if o != claims.org => Err(ApiError::Auth(AuthError::Forbidden(format!(
            "you see organization {}'s audit log, not {o}'s",
            claims.org
        )))),
        _ => Ok(Some(claims.org.clone())),
    }
}

/// The filter of `q` for `claims`, with the query's text checked.
fn filter(claims: &Claims, q: &AuditQuery) -> Result<Filter, ApiError> {
    let bad = |m: String| ApiError::BadRequest(m);
    if let Some(v) = q.vehicle_id.as_deref() {
        check_vehicle_id(v).map_err(|m| bad(format!("`vehicle_id` {m}")))?;
    }
    for (name, value) in [("actor", &q.actor), ("q", &q.q)] {
        if let Some(v) = value
            && (v.is_empty() || v.chars().count() > MAX_TEXT)
        {
            return Err(bad(format!("`{name}` must be 1 to {MAX_TEXT} characters")));
        }
    }
    if let Some(t) = q.event_type.as_deref()
        && !crate::events::audit::event_types().iter().any(|k| k == t)
    {
        return Err(bad(format!(
            "`type` {t:?} is not an event type of the catalog (docs/events/README.md)"
        )));
    }
    if let Some(k) = q.kind.as_deref()
        && ![Kind::Event.as_str(), Kind::Request.as_str()].contains(&k)
    {
        return Err(bad(format!("`kind` {k:?} must be event or request")));
    }
    if let (Some(from), Some(to)) = (q.from, q.to)
        && from >= to
    {
        return Err(bad("`from` must be before `to`".to_owned()));
    }
    Ok(Filter {
        org_id: org_scope(claims, q.org_id.as_deref())?,
        actor: q.actor.clone(),
        vehicle_id: q.vehicle_id.clone(),
        event_type: q.event_type.clone(),
        kind: q.kind.clone(),
        from: q.from,
        to: q.to,
        text: q.q.clone(),
    })
}

fn cursor(c: Option<&str>) -> Result<Option<i64>, ApiError> {
    c.map(|c| {
        c.parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ApiError::BadRequest("`cursor` is not a cursor this API gave".into()))
    })
    .transpose()
}

/// Searches the log: entries of the caller's organization (admins: every one, or the
/// one named) matching every filter given, newest first.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AuditPage),
        BadRequest,
        Unauthorized,
        (status = 403, description = "A role that may not read the log (technician, owner, service), or another organization named", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let filter = filter(&claims, &q)?;
    let limit = match q.limit.unwrap_or(100) {
        n @ 1..=MAX_PAGE => i64::from(n),
        _ => {
            return Err(ApiError::BadRequest(format!(
                "`limit` must be 1 to {MAX_PAGE}"
            )));
        }
    };
    let before = cursor(q.cursor.as_deref())?;
    let rows = state.auditor.list(&filter, before, limit).await?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|(id, _)| id.to_string()))
        .flatten();
    let entries = rows.into_iter().map(|(_, e)| e.into()).collect();
    Ok(Json(AuditPage {
        entries,
        next_cursor,
    }))
}

/// The entries `list` would give, as CSV (RFC 4180, `text/csv`), streamed newest first:
/// at most `limit` rows (100,000 at most). Columns: org_id, seq, entry_id, source_id,
/// kind, event_type, producer, actor, actor_role, vehicle_id, occurred_at,
/// recorded_at, summary, payload, prev_hash, hash.
#[utoipa::path(get, path = "/v1/audit/export", tag = "audit", params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The entries as CSV", content_type = "text/csv", body = String),
        BadRequest,
        Unauthorized,
        (status = 403, description = "A role that may not read the log (technician, owner, service), or another organization named", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn export(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Response, ApiError> {
    let filter = filter(&claims, &q)?;
    if q.cursor.is_some() {
        return Err(ApiError::BadRequest(
            "`cursor` is for pages; narrow an export with `from` and `to`".to_owned(),
        ));
    }
    let max = match q.limit.map_or(MAX_EXPORT, i64::from) {
        n @ 1..=MAX_EXPORT => n,
        _ => {
            return Err(ApiError::BadRequest(format!(
                "`limit` must be 1 to {MAX_EXPORT}"
            )));
        }
    };
    let body = Body::from_stream(csv_stream(state.auditor.clone(), filter, max));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// The export's bytes: the header, then chunks of rows fetched by keyset until `max`
/// rows or the end. A database failure mid-way ends the stream with an error (the
/// client sees a cut transfer, not a short file that looks complete).
fn csv_stream(
    auditor: crate::pipeline::audit::Auditor,
    filter: Filter,
    max: i64,
) -> impl futures::Stream<Item = Result<String, sqlx::Error>> {
    struct Cursor {
        before: Option<i64>,
        left: i64,
        started: bool,
    }
    let start = Cursor {
        before: None,
        left: max,
        started: false,
    };
    futures::stream::try_unfold(start, move |mut cur| {
        let auditor = auditor.clone();
        let filter = filter.clone();
        async move {
            if !cur.started {
                cur.started = true;
                return Ok(Some((csv::header(), cur)));
            }
            if cur.left == 0 {
                return Ok(None);
            }
            let rows = auditor
                .list(&filter, cur.before, cur.left.min(EXPORT_CHUNK))
                .await
                .inspect_err(|e| tracing::error!(error = %e, "audit export failed mid-way"))?;
            let Some((last, _)) = rows.last() else {
                return Ok(None);
            };
            cur.before = Some(*last);
            cur.left -= rows.len() as i64;
            let mut out = String::new();
            for (_, entry) in &rows {
                csv::write_row(&mut out, entry);
            }
            Ok(Some((out, cur)))
        }
    })
}

/// Recomputes the chains the caller sees (admins: every chain, or the one named) and
/// reports, per chain, the entries checked, the head (note it: a later verification
/// against a noted head shows the past did not change) and the first broken link:
/// where, what (`content`, `link`, `sequence`, `head`), the expected and found values.
#[utoipa::path(get, path = "/v1/audit/verify", tag = "audit", params(VerifyQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Verification),
        BadRequest,
        Unauthorized,
        (status = 403, description = "A role that may not read the log, or another organization named", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn verify(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<VerifyQuery>,
) -> Result<Json<Verification>, ApiError> {
    let org = org_scope(&claims, q.org_id.as_deref())?;
    Ok(Json(state.auditor.verify(org.as_deref()).await?))
}
