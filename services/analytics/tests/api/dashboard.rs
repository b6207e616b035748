//! The dashboard's one origin (ADR 0022): the built files at `/`, client-side routes
//! answered with `index.html`, and `/api/<service>/...` forwarded to the service with
//! the caller's token, answers streamed back.

use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::any;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_with};

/// A stand-in service: echoes what reached it, and `/v1/slow` sends one SSE event then
/// holds the answer open (like the alert feed).
async fn upstream() -> String {
    async fn echo(
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, [(&'static str, &'static str); 2], String) {
        let seen = json!({
            "method": method.as_str(),
            "uri": uri.to_string(),
            "authorization": headers.get("authorization").and_then(|v| v.to_str().ok()),
            "cookie": headers.get("cookie").and_then(|v| v.to_str().ok()),
            "idempotency_key": headers.get("idempotency-key").and_then(|v| v.to_str().ok()),
            "body": String::from_utf8_lossy(&body),
        });
        let status = if method == Method::POST {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        (
            status,
            [
                ("content-type", "application/json"),
                ("set-cookie", "tracker=1"),
            ],
            seen.to_string(),
        )
    }
    async fn slow() -> ([(&'static str, &'static str); 1], Body) {
        let first = futures::stream::once(async {
            Ok::<_, std::io::Error>(Bytes::from_static(b"event: alert.created\ndata: {}\n\n"))
        });
        let never = futures::stream::once(async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(Bytes::new())
        });
        use futures::StreamExt;
        (
            [("content-type", "text/event-stream")],
            Body::from_stream(first.chain(never)),
        )
    }
    let app = Router::new().route("/v1/slow", any(slow)).fallback(echo);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

/// A dashboard build: `index.html` and one asset.
fn dashboard_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("analytics-dashboard-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>Fleet</title>",
    )
    .unwrap();
    std::fs::write(dir.join("assets/index-abc123.js"), "console.log('fleet')").unwrap();
    dir
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).send().await.unwrap()
}

async fn app_with_gateway() -> TestApp {
    let echo = upstream().await;
    let dir = dashboard_dir();
    spawn_with(move |c| {
        c.dashboard.dir = Some(dir);
        c.dashboard.upstreams = vec![
            ("echo".to_owned(), echo),
            // Nothing listens on port 9 (discard) here: a service that is down.
            ("down".to_owned(), "http://127.0.0.1:9".to_owned()),
        ];
    })
    .await
}

#[tokio::test]
async fn serves_the_app_its_routes_and_files() {
    let app = app_with_gateway().await;
    for path in ["/", "/vehicles/VH-000001", "/alerts"] {
        let r = get(&app, path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            r.headers()["content-type"],
            "text/html; charset=utf-8",
            "{path}"
        );
        assert_eq!(r.headers()["cache-control"], "no-cache", "{path}");
        assert!(
            r.text().await.unwrap().contains("<title>Fleet</title>"),
            "{path}"
        );
    }
    let js = get(&app, "/assets/index-abc123.js").await;
    assert_eq!(js.status(), 200);
    assert_eq!(
        js.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(
        js.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    // Missing files, traversal and unknown API paths are 404s, never the app.
    for path in [
        "/assets/gone.js",
        "/assets/..%2f..%2fetc%2fpasswd",
        "/.env",
        "/v1/no-such-route",
    ] {
        let r = get(&app, path).await;
        assert_eq!(r.status(), 404, "{path}");
        assert!(!r.text().await.unwrap().contains("<title>"), "{path}");
    }
    // The API itself is unchanged.
    let jwks = get(&app, "/.well-known/jwks.json").await;
    assert_eq!(jwks.status(), 200);
}

#[tokio::test]
async fn forwards_api_calls_with_the_callers_token_only() {
    let app = app_with_gateway().await;
    let r = app
        .client
        .post(app.url("/api/echo/v1/alerts/a%2Fb/acknowledge?limit=5&status=open"))
        .header("authorization", "Bearer the-users-token")
        .header("cookie", "session=secret")
        .header("idempotency-key", "k-1")
        .body("{\"note\":\"hi\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "the service's status passes through");
    assert!(
        r.headers().get("set-cookie").is_none(),
        "no cookies come back"
    );
    let seen: Value = r.json().await.unwrap();
    assert_eq!(seen["method"], "POST");
    assert_eq!(
        seen["uri"],
        "/v1/alerts/a%2Fb/acknowledge?limit=5&status=open"
    );
    assert_eq!(seen["authorization"], "Bearer the-users-token");
    assert_eq!(seen["idempotency_key"], "k-1");
    assert_eq!(seen["cookie"], Value::Null, "cookies stay behind");
    assert_eq!(seen["body"], "{\"note\":\"hi\"}");
}

#[tokio::test]
async fn unknown_and_unreachable_services_are_named() {
    let app = app_with_gateway().await;
    let r = get(&app, "/api/nosuch/v1/x").await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("'nosuch'"),
        "{body}"
    );
    let r = get(&app, "/api/down/v1/alerts").await;
    assert_eq!(r.status(), 502);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("down service"),
        "{body}"
    );
}

#[tokio::test]
async fn streams_answers_as_they_come() {
    let app = app_with_gateway().await;
    let mut r = get(&app, "/api/echo/v1/slow").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    // The first event arrives while the service still holds the answer open.
    let first = tokio::time::timeout(Duration::from_secs(5), r.chunk())
        .await
        .expect("the first event is relayed before the answer ends")
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event: alert.created"));
}

#[tokio::test]
async fn without_a_dashboard_nothing_is_served() {
    let app = spawn_with(|_| {}).await;
    assert_eq!(get(&app, "/").await.status(), 404);
    assert_eq!(get(&app, "/api/alert/v1/alerts").await.status(), 404);
}
