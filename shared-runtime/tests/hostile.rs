//! The hostile-input probe against a small app: it passes on handlers that read their
//! input through `ApiJson`/`ApiPath`/`ApiQuery`, and fails, listing every problem, on
//! handlers that do not.

use std::collections::HashMap;

use axum::extract::{Path, Request};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::FutureExt;
use serde::Deserialize;
use serde_json::{Value, json};
use shared_runtime::http::{ApiJson, ApiPath, ApiQuery};
use shared_runtime::testing::hostile::{Target, probe};
use shared_runtime::testing::{Credential, TestClient};
use uuid::Uuid;

const TOKEN: &str = "secret-token";

/// The document of both apps: a path parameter with queries (one declared `in: path`
/// the way utoipa does), a nested body with `$ref`, `oneOf`, nullable types, an enum,
/// an array of objects, a map and numbers; an operation whose scheme has no credential
/// and a stream that is skipped.
fn openapi() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "probe test", "version": "1"},
        "paths": {
            "/v1/items/{item_id}": {"get": {
                "security": [{"bearer": []}],
                "parameters": [
                    {"name": "item_id", "in": "path", "required": true,
                     "schema": {"type": "string", "format": "uuid"}},
                    {"name": "q", "in": "query", "schema": {"type": ["string", "null"]}},
                    {"name": "limit", "in": "path",
                     "schema": {"type": ["integer", "null"], "format": "int32", "minimum": 0}}
                ]
            }},
            "/v1/things/{thing_id}": {"post": {
                "security": [{"bearer": []}],
                "parameters": [{"name": "thing_id", "in": "path", "required": true,
                                "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/ThingInput"}}}}
            }},
            "/v1/devices": {"post": {
                "security": [{"device_key": []}],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}
            }},
            "/v1/stream": {"get": {"security": [{"bearer": []}]}}
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "device_key": {"type": "apiKey", "in": "header", "name": "x-api-key"}
            },
            "schemas": {
                "ThingInput": {
                    "type": "object",
                    "required": ["name", "kind", "count"],
                    "properties": {
                        "name": {"type": "string"},
                        "kind": {"$ref": "#/components/schemas/Kind"},
                        "count": {"type": "integer", "format": "int32", "minimum": 0},
                        "weight": {"type": ["number", "null"], "format": "double"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Part"}},
                        "owner": {"oneOf": [{"$ref": "#/components/schemas/Owner"}, {"type": "null"}]},
                        "seen_at": {"type": ["string", "null"], "format": "date-time"}
                    },
                    "additionalProperties": false
                },
                "Kind": {"type": "string", "enum": ["gadget", "widget"]},
                "Part": {"type": "object", "required": ["code"],
                         "properties": {"code": {"type": "string"}}},
                "Owner": {"allOf": [
                    {"type": "object", "required": ["id"],
                     "properties": {"id": {"type": "string", "format": "uuid"}}},
                    {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}}
                ]}
            }
        }
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Gadget,
    Widget,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ThingInput {
    name: String,
    kind: Kind,
    count: u32,
    weight: Option<f64>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    labels: HashMap<String, String>,
    #[serde(default)]
    parts: Vec<Part>,
    owner: Option<Owner>,
    seen_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Part {
    code: String,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Owner {
    id: Uuid,
    email: Option<String>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ItemQuery {
    q: Option<String>,
    limit: Option<u32>,
}

/// Refuses requests without the bearer token, as the services' auth does.
async fn bearer(request: Request, next: Next) -> Response {
    let expected = format!("Bearer {TOKEN}");
    match request.headers().get(header::AUTHORIZATION) {
        Some(v) if v.as_bytes() == expected.as_bytes() => next.run(request).await,
        _ => (StatusCode::UNAUTHORIZED, "no token").into_response(),
    }
}

/// Handlers that read their input through the checked extractors.
fn good_app() -> Router {
    Router::new()
        .route(
            "/v1/items/{item_id}",
            get(
                |ApiPath(id): ApiPath<Uuid>, ApiQuery(q): ApiQuery<ItemQuery>| async move {
                    Json(json!({"id": id, "q": q.q, "limit": q.limit}))
                },
            ),
        )
        .route(
            "/v1/things/{thing_id}",
            post(
                |ApiPath(id): ApiPath<String>, ApiJson(thing): ApiJson<ThingInput>| async move {
                    Json(json!({"id": id, "name": thing.name, "tags": thing.tags.len()}))
                },
            ),
        )
        .route("/v1/stream", get(std::future::pending::<()>))
        .route_layer(middleware::from_fn(bearer))
}

/// Handlers that read their input unchecked, fail with a 500 on a NUL and crash on a
/// long text.
fn broken_app() -> Router {
    Router::new()
        .route(
            "/v1/items/{item_id}",
            get(|Path(id): Path<String>| async move { Json(json!({"id": id})) }),
        )
        .route(
            "/v1/things/{thing_id}",
            post(|Json(body): Json<Value>| async move {
                let text = body.to_string();
                assert!(text.len() < 50_000, "a handler that cannot take long texts");
                if text.contains("\\u0000") {
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
                Json(body).into_response()
            }),
        )
        .route("/v1/stream", get(std::future::pending::<()>))
        .route_layer(middleware::from_fn(bearer))
}

/// Serves `app` on a free loopback port; returns its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("a local address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn target<'a>(client: &'a TestClient, doc: &'a Value) -> Target<'a> {
    let mut target = Target::new(client, doc);
    target
        .credentials
        .push(("bearer", Credential::Bearer(TOKEN.to_owned())));
    target.path_values.push(("thing_id", "thing-1".to_owned()));
    target.skip.push(("get", "/v1/stream"));
    target
}

#[tokio::test]
async fn checked_handlers_pass() {
    let client = TestClient::new(serve(good_app()).await);
    let doc = openapi();
    let report = probe(&target(&client, &doc)).await;
    assert_eq!(report.operations, 2, "{report:?}");
    assert_eq!(
        report.skipped,
        [
            "POST /v1/devices (no credential for device_key)",
            "GET /v1/stream (skip list)"
        ],
        "{report:?}"
    );
    assert!(report.requests > 60 && report.requests < 200, "{report:?}");
}

#[tokio::test]
async fn unchecked_handlers_fail_with_every_problem_listed() {
    let client = TestClient::new(serve(broken_app()).await);
    let doc = openapi();
    let target = target(&client, &doc);
    let outcome = std::panic::AssertUnwindSafe(probe(&target))
        .catch_unwind()
        .await;
    let Err(panic) = outcome else {
        panic!("the probe passed a broken app");
    };
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    for expected in [
        // NUL in a path parameter accepted.
        "GET /v1/items/{item_id} — path parameter `item_id` = NUL: expected a 4xx naming `item_id`; got 200",
        // NUL in a body string: a 500.
        "POST /v1/things/{thing_id} — body `name` = NUL: server error; got 500",
        "POST /v1/things/{thing_id} — body `parts[0].code` = ESC: expected a 4xx naming `code`; got 200",
        "POST /v1/things/{thing_id} — body `labels` = a key with NUL: server error; got 500",
        // The handler's panic drops the connection.
        "POST /v1/things/{thing_id} — body `owner.email` = 100000 chars: no answer",
        // A duplicate key is taken (the last one wins).
        "POST /v1/things/{thing_id} — body a duplicate key: expected a 4xx; got 200",
    ] {
        assert!(
            message.contains(expected),
            "missing «{expected}» in:\n{message}"
        );
    }
}
