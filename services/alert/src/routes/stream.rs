//! `GET /v1/alerts/stream`: the in-app live feed (Server-Sent Events) of alert
//! events the caller may see. Token in `Authorization: Bearer …`, or `?access_token=`
//! for browsers' `EventSource`, which cannot set headers. Each event's id is the
//! event id: reconnecting with `Last-Event-ID` replays what was missed (the last 1,000
//! events of this replica).

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures::Stream;
use serde::Deserialize;
use shared_runtime::auth::{AuthError, Claims};
use shared_runtime::http::ApiQuery;
use shared_runtime::openapi::responses::Unauthorized;
use tokio::sync::broadcast::error::RecvError;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::events::feed::FeedItem;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/v1/alerts/stream", get(stream))
}

/// Token for clients that cannot send headers.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// The JWT, when it cannot go in `Authorization`.
    pub access_token: Option<String>,
}

async fn claims(
    state: &AppState,
    headers: &HeaderMap,
    q: &StreamQuery,
) -> Result<Claims, AuthError> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let token = header
        .or(q.access_token.as_deref())
        .ok_or(AuthError::Missing)?;
    state.jwt.verify(token.trim()).await
}

fn event(item: &FeedItem) -> Event {
    Event::default()
        .id(item.id.clone())
        .event(item.event_type.clone())
        .data(item.json.clone())
}

/// The live feed: `alert.created`, `alert.acknowledged`, `alert.escalated` and
/// `alert.resolved` envelopes as SSE events named after their type.
#[utoipa::path(get, path = "/v1/alerts/stream", tag = "alerts", params(StreamQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "text/event-stream of alert events", content_type = "text/event-stream"),
        Unauthorized,
    ))]
pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let claims = claims(&state, &headers, &q).await?;
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (rx, replay) = state.feed.subscribe(last.as_deref());
    let replay: Vec<FeedItem> = replay
        .into_iter()
        .filter(|i| claims.can_read_vehicle(&i.org_id, &i.vehicle_id))
        .collect();
    let live = futures::stream::unfold((rx, claims), |(mut rx, claims)| async move {
        loop {
            match rx.recv().await {
                Ok(item) if claims.can_read_vehicle(&item.org_id, &item.vehicle_id) => {
                    return Some((Ok(event(&item)), (rx, claims)));
                }
                Ok(_) => {}
                Err(RecvError::Lagged(n)) => {
                    let e = Event::default()
                        .event("lagged")
                        .data(format!("{{\"missed\":{n}}}"));
                    return Some((Ok(e), (rx, claims)));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let first = futures::stream::iter(replay.into_iter().map(|i| Ok(event(&i))));
    use futures::StreamExt;
    Ok(Sse::new(first.chain(live)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
