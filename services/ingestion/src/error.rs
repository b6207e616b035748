//! The service's error type: the common one, with ingestion's own failures.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shared_runtime::http::error_response;
use shared_schemas::events::telemetry::Problem;

/// Every way a request can fail (see [`shared_runtime::http::ApiError`]).
pub type ApiError = shared_runtime::http::ApiError<Rejection>;

/// What only ingestion answers.
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    /// Readings failed validation; each problem names its field (422).
    #[error("{} problem(s) in the reading", .0.len())]
    Invalid(Vec<Problem>),
    /// A store the hand-off needs is down: nothing was accepted (503, retry after 1 s).
    #[error("{0} is unavailable")]
    Unavailable(&'static str, #[source] anyhow::Error),
    /// Backfill while the backlog is too long: nothing was accepted; retry after the
    /// given seconds (429, ADR 0020).
    #[error("backfill deferred: {backlog} readings are waiting to be processed")]
    Backlogged {
        /// Readings waiting on the backfill lane.
        backlog: u64,
        /// Seconds to wait before retrying.
        retry_after_s: u64,
    },
    /// Some consumer group is so far behind that what is accepted now could be trimmed
    /// from the stream before it reads it: nothing is accepted (503).
    #[error("telemetry refused: a consumer group is {lag} readings behind")]
    StreamFull {
        /// The deepest lag of a group on a telemetry lane.
        lag: u64,
        /// Seconds to wait before retrying.
        retry_after_s: u64,
    },
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        Self::Service(r)
    }
}

#[derive(Serialize)]
struct InvalidBody<'a> {
    code: &'static str,
    message: String,
    problems: &'a [Problem],
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Self::Invalid(problems) => {
                let message = problems
                    .iter()
                    .map(|p| format!("{}: {}", p.field, p.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                let body = InvalidBody {
                    code: "validation_failed",
                    message,
                    problems: &problems,
                };
                (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
            }
            Self::Unavailable(what, cause) => {
                tracing::error!(error = ?cause, "{what} is unavailable");
                let mut r = error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    &format!("{what} is unavailable; nothing was accepted, retry later"),
                );
                r.headers_mut()
                    .insert("retry-after", axum::http::HeaderValue::from_static("1"));
                r
            }
            Self::Backlogged {
                backlog,
                retry_after_s,
            } => {
                let mut r = error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    "backfill_deferred",
                    &format!(
                        "{backlog} older readings are waiting to be processed; readings recorded \
                         this long ago are not accepted now, retry after {retry_after_s} s \
                         (live readings are still taken)"
                    ),
                );
                r.headers_mut()
                    .insert("retry-after", axum::http::HeaderValue::from(retry_after_s));
                r
            }
            Self::StreamFull { lag, retry_after_s } => {
                let mut r = error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "stream_full",
                    &format!(
                        "the platform is {lag} readings behind on telemetry, close to \
                         dropping readings it has not processed; nothing was accepted, keep \
                         the readings and retry after {retry_after_s} s"
                    ),
                );
                r.headers_mut()
                    .insert("retry-after", axum::http::HeaderValue::from(retry_after_s));
                r
            }
        }
    }
}
