//! The service's error type and its HTTP mapping.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shared_runtime::auth::AuthError;
use shared_runtime::http::error_response;
use shared_schemas::events::telemetry::Problem;

/// Every way a request can fail. 4xx variants carry a message naming the problem;
/// 5xx variants log their cause chain and tell the client only what it can act on.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Authentication or authorization failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The request is malformed (not JSON, wrong shape, bad parameter).
    #[error("{0}")]
    BadRequest(String),
    /// The reading(s) failed validation; every problem is listed.
    #[error("{} problem(s) in the reading", .0.len())]
    Invalid(Vec<Problem>),
    /// Nothing there (or not visible to the caller).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with what exists.
    #[error("{0}")]
    Conflict(String),
    /// Too much in one request.
    #[error("{0}")]
    TooLarge(String),
    /// A store a 2xx depends on (the event stream, the vehicle registry) is
    /// unreachable: nothing was accepted, retry later. Names which.
    #[error("{0} is unavailable")]
    Unavailable(&'static str, #[source] anyhow::Error),
    /// Anything else.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.into())
    }
}

#[derive(Serialize)]
struct InvalidBody<'a> {
    code: &'static str,
    message: String,
    problems: &'a [Problem],
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Auth(e) => e.into_response(),
            Self::BadRequest(m) => error_response(StatusCode::BAD_REQUEST, "bad_request", &m),
            Self::NotFound(m) => error_response(StatusCode::NOT_FOUND, "not_found", &m),
            Self::Conflict(m) => error_response(StatusCode::CONFLICT, "conflict", &m),
            Self::TooLarge(m) => error_response(StatusCode::PAYLOAD_TOO_LARGE, "too_large", &m),
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
            Self::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; it has been logged",
                )
            }
        }
    }
}
