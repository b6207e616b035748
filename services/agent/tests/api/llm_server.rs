//! A local HTTP server speaking the OpenAI chat-completions protocol, started by the
//! test, whose replies are scripted per call: answers, tool calls, malformed output,
//! delays past the client's timeout, 429s with `Retry-After`, 5xx.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// What the server answers to one call.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// A valid decision at the lowest allowed severity, for the requested component.
    Answer,
    /// A decision JSON with fields overridden.
    AnswerWith(Value),
    /// A message whose content is this text.
    Text(String),
    /// Tool calls `(name, arguments JSON)`.
    Tools(Vec<(&'static str, &'static str)>),
    /// An HTTP status with headers and a body.
    Status(u16, Vec<(&'static str, &'static str)>, String),
    /// Waits, then answers.
    Delay(Duration, Box<Reply>),
    /// A 200 whose body is not JSON.
    Garbage,
    /// Waits until the test adds a permit to the semaphore, then answers.
    Gate(Arc<tokio::sync::Semaphore>, Box<Reply>),
}

/// One received call.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) body: Value,
    pub(crate) authorization: Option<String>,
    pub(crate) at: Instant,
}

type Script = Arc<dyn Fn(usize, &Value) -> Reply + Send + Sync>;

#[derive(Clone)]
struct ServerState {
    script: Script,
    calls: Arc<Mutex<Vec<Call>>>,
}

/// The running server.
pub(crate) struct LlmServer {
    /// Base URL (`http://127.0.0.1:port/v1`).
    pub(crate) base_url: String,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl LlmServer {
    /// Starts a server answering call `n` (0-based) with `script(n, request)`.
    pub(crate) async fn start(
        script: impl Fn(usize, &Value) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let state = ServerState {
            script: Arc::new(script),
            calls: Arc::clone(&calls),
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .with_state(state);
        let port = serve(app).await;
        Self {
            base_url: format!("http://127.0.0.1:{port}/v1"),
            calls,
        }
    }

    /// A server replaying `replies` in order, then answering validly.
    pub(crate) async fn sequence(replies: Vec<Reply>) -> Self {
        Self::start(move |n, _| replies.get(n).cloned().unwrap_or(Reply::Answer)).await
    }

    /// The calls received so far.
    pub(crate) fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

async fn chat(State(state): State<ServerState>, headers: HeaderMap, body: String) -> Response {
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let n = {
        let mut calls = state.calls.lock().unwrap();
        calls.push(Call {
            body: request.clone(),
            authorization: headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            at: Instant::now(),
        });
        calls.len() - 1
    };
    let reply = (state.script)(n, &request);
    respond(reply, &request).await
}

fn respond(
    reply: Reply,
    request: &Value,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send + '_>> {
    Box::pin(async move {
        match reply {
            Reply::Answer => {
                completion(json!({"content": answer(request, &json!({})).to_string()}))
            }
            Reply::AnswerWith(overrides) => {
                completion(json!({"content": answer(request, &overrides).to_string()}))
            }
            Reply::Text(t) => completion(json!({"content": t})),
            Reply::Tools(calls) => {
                let calls: Vec<Value> = calls
                    .iter()
                    .enumerate()
                    .map(|(i, (name, args))| {
                        json!({"id": format!("call_{i}"), "type": "function",
                               "function": {"name": name, "arguments": args}})
                    })
                    .collect();
                completion(json!({"content": null, "tool_calls": calls}))
            }
            Reply::Status(code, headers, body) => status(code, &headers, body),
            Reply::Delay(d, then) => {
                tokio::time::sleep(d).await;
                respond(*then, request).await
            }
            Reply::Garbage => (StatusCode::OK, "<html>gateway says hi</html>").into_response(),
            Reply::Gate(gate, then) => {
                let _permit = gate.acquire().await.unwrap();
                respond(*then, request).await
            }
        }
    })
}

/// Serves `app` on a free local port until the test ends; returns the port.
pub(crate) async fn serve(app: Router) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    port
}

/// A reply of HTTP status `code` with `headers` and `body`.
pub(crate) fn status(code: u16, headers: &[(&str, &str)], body: String) -> Response {
    let mut r = (StatusCode::from_u16(code).unwrap(), body).into_response();
    for (k, v) in headers {
        r.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    r
}

fn completion(message: Value) -> Response {
    let mut message = message;
    message["role"] = json!("assistant");
    axum::Json(json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_767_225_600,
        "model": "fake-model-1",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1200, "completion_tokens": 150, "total_tokens": 1350}
    }))
    .into_response()
}

/// A valid answer to `request`: its component, its lowest allowed severity, the first
/// allowed mode, then `overrides`.
pub(crate) fn answer(request: &Value, overrides: &Value) -> Value {
    let schema = request
        .pointer("/response_format/json_schema/schema/properties")
        .cloned()
        .unwrap_or(Value::Null);
    let first = |field: &str| {
        schema
            .pointer(&format!("/{field}/enum/0"))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let mut a = json!({
        "component": first("component"),
        "failure_mode": first("failure_mode"),
        "diagnosis": "The filter loads faster than regenerations clear it; pressure drop is 62 % of the way to the limit.",
        "severity": first("severity"),
        "recommended_actions": ["dpf_forced_regeneration", "dpf_clean_or_replace"],
        "confidence": 0.88,
        "reasoning": "Restriction trend t = 9.4 and P2463 active; regeneration has not recovered the pressure drop."
    });
    if let (Some(a), Some(o)) = (a.as_object_mut(), overrides.as_object()) {
        for (k, v) in o {
            a.insert(k.clone(), v.clone());
        }
    }
    a
}
