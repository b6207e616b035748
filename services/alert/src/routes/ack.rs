//! The one-click acknowledge link of every message:
//! `GET /v1/alerts/{id}/ack?token=…` answers a small HTML page. With
//! `ALERT_ACK_LINK_CONFIRM=true` the GET shows a button and the POST acknowledges (for
//! mail systems whose link scanners open every link).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;
use shared_runtime::http::{ApiPath, ApiQuery};
use shared_schemas::events::AckVia;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::db::contacts;
use crate::domain::link::LinkError;
use crate::domain::message::esc;
use crate::pipeline::Outcome;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/v1/alerts/{alert_id}/ack", get(follow).post(confirm))
}

/// The signed token.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AckQuery {
    /// The token from the message's link.
    pub token: Option<String>,
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{t}</title></head><body style=\"font-family:sans-serif;max-width:32em;margin:3em auto\">\
         <h1>{t}</h1>{body}</body></html>",
        t = esc(title)
    );
    (status, Html(html)).into_response()
}

/// Acknowledges the alert from a message's link and answers an HTML page (or, with
/// `ALERT_ACK_LINK_CONFIRM`, a page with a button). 400 malformed token, 403 forged or
/// for another alert, 404 unknown alert, 409 already resolved, 410 expired.
#[utoipa::path(get, path = "/v1/alerts/{alert_id}/ack", tag = "acknowledge",
    params(("alert_id" = Uuid, Path, description = "Alert id"), AckQuery),
    responses(
        (status = 200, description = "Acknowledged (or already acknowledged): an HTML page", content_type = "text/html"),
        (status = 400, description = "Missing or malformed token", content_type = "text/html"),
        (status = 403, description = "Forged token, or a token of another alert", content_type = "text/html"),
        (status = 404, description = "Unknown alert", content_type = "text/html"),
        (status = 409, description = "The alert is resolved", content_type = "text/html"),
        (status = 410, description = "The link expired", content_type = "text/html"),
    ))]
pub async fn follow(
    State(state): State<AppState>,
    path: Result<ApiPath<Uuid>, shared_runtime::http::InputRejection>,
    ApiQuery(q): ApiQuery<AckQuery>,
) -> Result<Response, Response> {
    let ApiPath(alert_id) = path.map_err(|e| invalid_id(&e))?;
    let token = q.token.as_deref();
    if !state.link_confirm {
        return Ok(acknowledge(&state, alert_id, token).await);
    }
    check(&state, alert_id, token).map_err(|r| *r)?;
    Ok(page(
        StatusCode::OK,
        "Acknowledge this alert?",
        &format!(
            "<form method=\"post\" action=\"/v1/alerts/{alert_id}/ack?token={}\"><button type=\"submit\" style=\"font-size:1.2em;padding:.5em 1.5em\">Acknowledge</button></form>",
            esc(token.unwrap_or_default())
        ),
    ))
}

/// Acknowledges (the button of the confirmation page).
#[utoipa::path(post, path = "/v1/alerts/{alert_id}/ack", tag = "acknowledge",
    params(("alert_id" = Uuid, Path, description = "Alert id"), AckQuery),
    responses(
        (status = 200, description = "Acknowledged: an HTML page", content_type = "text/html"),
        (status = 400, description = "Missing or malformed token", content_type = "text/html"),
        (status = 403, description = "Forged token", content_type = "text/html"),
        (status = 410, description = "The link expired", content_type = "text/html"),
    ))]
pub async fn confirm(
    State(state): State<AppState>,
    path: Result<ApiPath<Uuid>, shared_runtime::http::InputRejection>,
    ApiQuery(q): ApiQuery<AckQuery>,
) -> Result<Response, Response> {
    let ApiPath(alert_id) = path.map_err(|e| invalid_id(&e))?;
    Ok(acknowledge(&state, alert_id, q.token.as_deref()).await)
}

/// The page of a link whose alert id does not parse.
fn invalid_id(e: &shared_runtime::http::InputRejection) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Invalid link",
        &format!(
            "<p>The link's alert id is not valid ({}). Open the alert in the dashboard instead.</p>",
            esc(e.message())
        ),
    )
}

fn check(state: &AppState, alert_id: Uuid, token: Option<&str>) -> Result<Uuid, Box<Response>> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(Box::new(page(
            StatusCode::BAD_REQUEST,
            "Invalid link",
            "<p>The link has no <code>token</code>: copy the whole link from the message.</p>",
        )));
    };
    state.links.verify(alert_id, token, Utc::now()).map_err(|e| Box::new(match e {
        LinkError::Malformed => page(StatusCode::BAD_REQUEST, "Invalid link", "<p>The link's token is malformed: copy the whole link from the message.</p>"),
        LinkError::Forged => page(StatusCode::FORBIDDEN, "Invalid link", "<p>This link is not valid for this alert.</p>"),
        LinkError::Expired(at) => page(
            StatusCode::GONE,
            "Link expired",
            &format!("<p>This link expired at {}. Acknowledge the alert in the dashboard or through the API.</p>", at.format("%Y-%m-%d %H:%M UTC")),
        ),
    }))
}

async fn acknowledge(state: &AppState, alert_id: Uuid, token: Option<&str>) -> Response {
    let contact_id = match check(state, alert_id, token) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let who = match contacts::get(&state.db, contact_id).await {
        Ok(Some(c)) => c.user_id.unwrap_or_else(|| format!("contact:{contact_id}")),
        Ok(None) => format!("contact:{contact_id}"),
        Err(e) => {
            tracing::error!(error = %e, "reading the contact of an acknowledge link");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again",
                "<p>The alert service cannot reach its database right now. Try the link again in a minute.</p>",
            );
        }
    };
    match state
        .alerting
        .acknowledge(alert_id, &who, AckVia::Link)
        .await
    {
        Ok(Outcome::Done(a)) => page(
            StatusCode::OK,
            "Alert acknowledged",
            &format!(
                "<p><strong>{}</strong></p><p>Thank you: the escalation is stopped. Nobody else will be notified about this alert.</p>",
                esc(&a.title)
            ),
        ),
        Ok(Outcome::Already(a)) => page(
            StatusCode::OK,
            "Already acknowledged",
            &format!(
                "<p><strong>{}</strong></p><p>It was acknowledged by {} at {}.</p>",
                esc(&a.title),
                esc(a.acknowledged_by.as_deref().unwrap_or("someone")),
                a.acknowledged_at
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default()
            ),
        ),
        Ok(Outcome::Conflict(a)) => page(
            StatusCode::CONFLICT,
            "Alert already resolved",
            &format!(
                "<p><strong>{}</strong></p><p>It was resolved ({}); there is nothing to acknowledge.</p>",
                esc(&a.title),
                esc(a.resolution.as_deref().unwrap_or("-"))
            ),
        ),
        Ok(Outcome::Missing) => page(
            StatusCode::NOT_FOUND,
            "Unknown alert",
            "<p>No such alert.</p>",
        ),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "acknowledging from a link");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again",
                "<p>The alert could not be acknowledged right now. Try the link again in a minute.</p>",
            )
        }
    }
}
