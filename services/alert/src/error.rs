//! The service's error type and its HTTP mapping.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shared_runtime::auth::AuthError;
use shared_runtime::http::error_response;

/// Every way a request can fail. 4xx variants carry a message naming the problem;
/// 5xx variants log their cause chain and tell the client only what it can act on.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Authentication or authorization failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Nothing there (or not visible to the caller).
    #[error("{0}")]
    NotFound(String),
    /// Not possible in the resource's state.
    #[error("{0}")]
    Conflict(String),
    /// Anything else.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Auth(e) => e.into_response(),
            Self::BadRequest(m) => error_response(StatusCode::BAD_REQUEST, "bad_request", &m),
            Self::NotFound(m) => error_response(StatusCode::NOT_FOUND, "not_found", &m),
            Self::Conflict(m) => error_response(StatusCode::CONFLICT, "conflict", &m),
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
