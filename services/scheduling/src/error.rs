//! The service's error type: the common failures, and a booking conflict, which
//! carries the alternatives still free.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::appointment::SlotView;

/// Every way a request can fail (see [`shared_runtime::http::ApiError`]).
pub type ApiError = shared_runtime::http::ApiError<BookingError>;

/// Failures only scheduling has.
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    /// The slot was taken (or its parts are gone): here is what is free instead.
    #[error("{message}")]
    Conflict {
        /// What was taken.
        message: String,
        /// Free slots for the same work, best first.
        alternatives: Vec<SlotView>,
    },
}

/// The body of a 409 on a booking.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictBody {
    /// `slot_taken`.
    pub error: &'static str,
    /// What was taken.
    pub message: String,
    /// Free slots for the same work, best first (empty when none is left in the horizon).
    pub alternatives: Vec<SlotView>,
}

impl IntoResponse for BookingError {
    fn into_response(self) -> Response {
        match self {
            Self::Conflict {
                message,
                alternatives,
            } => (
                StatusCode::CONFLICT,
                Json(ConflictBody {
                    error: "slot_taken",
                    message,
                    alternatives,
                }),
            )
                .into_response(),
        }
    }
}
