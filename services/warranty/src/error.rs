//! The service's error type: the common failures.

/// Every way a request can fail (see [`shared_runtime::http::ApiError`]).
pub type ApiError = shared_runtime::http::ApiError;
