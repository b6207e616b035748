//! The service's error type: the common failures, and the identity failures only
//! analytics has (bad credentials, a locked account).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shared_runtime::http::error_response;

/// Every way a request can fail (see [`shared_runtime::http::ApiError`]).
pub type ApiError = shared_runtime::http::ApiError<IdentityError>;

/// Login and token failures.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Wrong email or password, or an unusable token; the same words whether or not
    /// the user exists.
    #[error("{0}")]
    Unauthorized(String),
    /// Too many failures: try again after this many seconds.
    #[error("too many failed attempts; try again in {0} s")]
    Locked(u64),
}

impl IntoResponse for IdentityError {
    fn into_response(self) -> Response {
        match &self {
            Self::Unauthorized(m) => error_response(StatusCode::UNAUTHORIZED, "unauthorized", m),
            Self::Locked(secs) => {
                let mut response =
                    error_response(StatusCode::TOO_MANY_REQUESTS, "locked", &self.to_string());
                if let Ok(v) = secs.to_string().parse() {
                    response
                        .headers_mut()
                        .insert(axum::http::header::RETRY_AFTER, v);
                }
                response
            }
        }
    }
}
