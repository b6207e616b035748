//! The request audit against the real Redis: a server with the middleware the skeleton
//! adds records state-changing requests (actor from the `Auth` extractor, outcome,
//! vehicle, addresses, correlation id), skips reads, and flushes its queue when the
//! server stops.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post};
use shared_runtime::auth::{Auth, Jwt, Role};
use shared_runtime::bus::{Keys, Publisher};
use shared_runtime::config::Secret;
use shared_runtime::http::audit::{self, RequestAudit};
use shared_runtime::http::{CORRELATION_HEADER, observe, serve};
use shared_runtime::testing;
use shared_schemas::events::{RequestOutcome, RequestRecorded};
use shared_schemas::{Event, EventEnvelope};
use tokio_util::sync::CancellationToken;

const SECRET: &str = "request-audit-test-secret-0123456789";

async fn transfer(Auth(claims): Auth, Path(id): Path<String>) -> (StatusCode, String) {
    (StatusCode::CREATED, format!("{id} moved by {}", claims.sub))
}

/// A server with the audit middleware inside `observe`, like `Service::serve`; returns
/// its address, the stop token and the task that ends once everything queued is sent.
async fn start(keys: &Keys) -> (String, CancellationToken, tokio::task::JoinHandle<()>) {
    let redis = shared_runtime::bus::connect(&testing::redis_url())
        .await
        .expect("the test Redis");
    let (audit, publisher) =
        RequestAudit::new("audit-test", Publisher::new(redis, keys.clone(), 10_000));
    let flushed = tokio::spawn(publisher.run());
    let jwt = Arc::new(Jwt::new(&Secret::new(SECRET)));
    let router = Router::new()
        .route("/v1/vehicles/{id}/transfers", post(transfer))
        .route("/v1/things", get(|| async { "read" }))
        .with_state(jwt)
        .layer(axum::middleware::from_fn_with_state(audit, audit::record))
        .layer(axum::middleware::from_fn(observe));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = format!("http://{}", listener.local_addr().expect("bound"));
    let stop = CancellationToken::new();
    let token = stop.clone();
    tokio::spawn(async move { serve(listener, router, token).await });
    (address, stop, flushed)
}

#[tokio::test]
async fn state_changing_requests_are_published_and_flushed_at_shutdown() {
    let keys = Keys::new(testing::unique_prefix("request-audit"));
    let (address, stop, flushed) = start(&keys).await;
    let client = reqwest::Client::new();
    let token = testing::token(SECRET, "manager-1", Role::FleetManager, "acme", &[]);
    let correlation = uuid::Uuid::now_v7();

    let ok = client
        .post(format!(
            "{address}/v1/vehicles/truck-7/transfers?note=secret"
        ))
        .bearer_auth(&token)
        .header(CORRELATION_HEADER, correlation.to_string())
        .header("x-forwarded-for", "203.0.113.9, 10.0.0.1")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 201);
    let denied = client
        .post(format!("{address}/v1/vehicles/truck-7/transfers"))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    let unknown = client
        .delete(format!("{address}/v1/nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let read = client.get(format!("{address}/v1/things")).send().await;
    assert_eq!(read.unwrap().status(), 200);

    // Stopping the server closes the queue; the publisher sends what it holds, then ends.
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(10), flushed)
        .await
        .expect("the publisher ends once the server stopped")
        .unwrap();

    let mut redis = shared_runtime::bus::connect(&testing::redis_url())
        .await
        .unwrap();
    let events: Vec<EventEnvelope<RequestRecorded>> =
        testing::stream_envelopes(&mut redis, &keys, RequestRecorded::TYPE)
            .await
            .into_iter()
            .map(|v| serde_json::from_value(v).unwrap())
            .collect();
    assert_eq!(events.len(), 3, "the GET is not audited: {events:#?}");

    check_authenticated(&events[0], correlation);
    let p = &events[1].payload;
    assert_eq!((p.status, p.outcome), (401, RequestOutcome::Denied));
    assert_eq!(p.actor, None);
    assert_eq!(p.remote_addr.as_deref(), Some("127.0.0.1"));

    let p = &events[2].payload;
    assert_eq!(
        (p.method.as_str(), p.route.as_str(), p.status, p.outcome),
        ("DELETE", "unmatched", 404, RequestOutcome::Rejected)
    );
    assert_eq!(events[2].vehicle_id, "");
}

/// The authenticated, successful request: everything the event says about it.
fn check_authenticated(event: &EventEnvelope<RequestRecorded>, correlation: uuid::Uuid) {
    assert_eq!(event.producer, "audit-test");
    assert_eq!(event.correlation_id, correlation);
    assert_eq!(event.vehicle_id, "truck-7");
    let p = &event.payload;
    assert_eq!(
        (p.method.as_str(), p.route.as_str(), p.path.as_str()),
        (
            "POST",
            "/v1/vehicles/{id}/transfers",
            "/v1/vehicles/truck-7/transfers"
        )
    );
    assert_eq!((p.status, p.outcome), (201, RequestOutcome::Success));
    let actor = p
        .actor
        .as_ref()
        .expect("the handler authenticated the caller");
    assert_eq!(
        (actor.sub.as_str(), actor.role.as_str(), actor.org.as_str()),
        ("manager-1", "fleet_manager", "acme")
    );
    assert_eq!(p.remote_addr.as_deref(), Some("203.0.113.9"));
    assert!(
        p.peer_addr
            .as_deref()
            .is_some_and(|a| a.starts_with("127.0.0.1:")),
        "{p:?}"
    );
    assert_eq!(p.request_id, correlation);
}
