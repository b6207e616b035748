//! HTTP routes, one module per resource.

mod claim_upload;
pub mod claims;
pub mod contracts;
pub mod evidence;
pub mod reviews;
pub(crate) mod scope;
pub mod vehicles;

use axum::Router;

use crate::state::AppState;
use crate::storage::MAX_DOCUMENTS;

/// Every resource route (ops routes and docs are added by the runtime); a claim's body
/// may carry `MAX_DOCUMENTS` documents of `max_attachment_bytes` and the claim itself.
pub fn router(max_attachment_bytes: usize) -> Router<AppState> {
    let max_body = max_attachment_bytes
        .saturating_mul(MAX_DOCUMENTS)
        .saturating_add(1 << 20);
    Router::new()
        .merge(contracts::router())
        .merge(claims::router(max_body))
        .merge(reviews::router())
        .merge(evidence::router())
        .merge(vehicles::router())
}
