//! The error type of every service's handlers and its HTTP mapping: the common failures
//! here, a service's own (`E`) beside them.

use std::convert::Infallible;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::error_response;
use crate::auth::AuthError;

/// Every way a request can fail. 4xx variants carry a message naming the problem; 5xx
/// variants log their cause and tell the client only what it can act on. `E` holds the
/// failures only one service has (with their own response); `Infallible` when none.
#[derive(Debug, thiserror::Error)]
pub enum ApiError<E: std::error::Error = Infallible> {
    /// Authentication or authorization failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The request is malformed (bad parameter, range, body…).
    #[error("{0}")]
    BadRequest(String),
    /// Nothing there (or not visible to the caller).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// The request is larger than the service takes.
    #[error("{0}")]
    TooLarge(String),
    /// Something the request needs is down; retrying later may succeed.
    #[error("{0}")]
    Unavailable(String),
    /// A failure of the service's own.
    #[error(transparent)]
    Service(E),
    /// Anything else.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl<E: std::error::Error> From<sqlx::Error> for ApiError<E> {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl<E: std::error::Error + IntoResponse> IntoResponse for ApiError<E> {
    fn into_response(self) -> Response {
        match self {
            Self::Auth(e) => e.into_response(),
            Self::BadRequest(m) => error_response(StatusCode::BAD_REQUEST, "bad_request", &m),
            Self::NotFound(m) => error_response(StatusCode::NOT_FOUND, "not_found", &m),
            Self::Conflict(m) => error_response(StatusCode::CONFLICT, "conflict", &m),
            Self::TooLarge(m) => error_response(StatusCode::PAYLOAD_TOO_LARGE, "too_large", &m),
            Self::Unavailable(m) => {
                error_response(StatusCode::SERVICE_UNAVAILABLE, "unavailable", &m)
            }
            Self::Service(e) => e.into_response(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_common_failure_has_its_status() {
        let status = |e: ApiError| e.into_response().status();
        assert_eq!(status(ApiError::BadRequest("x".into())), 400);
        assert_eq!(status(ApiError::NotFound("x".into())), 404);
        assert_eq!(status(ApiError::Conflict("x".into())), 409);
        assert_eq!(status(ApiError::TooLarge("x".into())), 413);
        assert_eq!(status(ApiError::Unavailable("x".into())), 503);
        assert_eq!(status(ApiError::Internal(anyhow::anyhow!("boom"))), 500);
    }
}
