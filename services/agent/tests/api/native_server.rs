//! A local HTTP server speaking a native provider protocol, started by the test:
//! Anthropic Messages (`POST /v1/messages`), Gemini (`POST
//! /v1beta/models/{model}:generateContent`) or Ollama (`POST /api/chat`). Its replies
//! are scripted per call with the chat-completions server's [`Reply`]: answers, tool
//! calls in the protocol's own shape, malformed output, delays, 429s and overloads.

use std::sync::{Arc, Mutex};

use agent::config::Protocol;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::llm_server::{Reply, answer, serve, status};

/// One received call.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) body: Value,
    pub(crate) headers: HeaderMap,
    pub(crate) uri: Uri,
    pub(crate) at: std::time::Instant,
}

type Script = Arc<dyn Fn(usize) -> Reply + Send + Sync>;

#[derive(Clone)]
struct ServerState {
    protocol: Protocol,
    script: Script,
    calls: Arc<Mutex<Vec<Call>>>,
}

/// The running server.
pub(crate) struct NativeServer {
    /// Its root (`http://127.0.0.1:port`), the agent's `AGENT_LLM_BASE_URL`.
    pub(crate) base_url: String,
    calls: Arc<Mutex<Vec<Call>>>,
}

/// The valid answer for the tests' clogging DPF (RUL 10 days: medium).
pub(crate) fn dpf_answer() -> Value {
    answer(
        &Value::Null,
        &json!({"component": "dpf", "failure_mode": "dpf_clogging", "severity": "medium"}),
    )
}

impl NativeServer {
    /// A server of `protocol` replaying `replies` in order, then answering validly.
    pub(crate) async fn sequence(protocol: Protocol, replies: Vec<Reply>) -> Self {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let state = ServerState {
            protocol,
            script: Arc::new(move |n| replies.get(n).cloned().unwrap_or(Reply::Answer)),
            calls: Arc::clone(&calls),
        };
        let app = Router::new()
            .route("/v1/messages", post(handle))
            .route("/v1beta/{*action}", post(handle))
            .route("/api/chat", post(handle))
            .with_state(state);
        let port = serve(app).await;
        Self {
            base_url: format!("http://127.0.0.1:{port}"),
            calls,
        }
    }

    /// The calls received so far.
    pub(crate) fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

async fn handle(
    State(state): State<ServerState>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let n = {
        let mut calls = state.calls.lock().unwrap();
        calls.push(Call {
            body: serde_json::from_str(&body).unwrap_or(Value::Null),
            headers,
            uri,
            at: std::time::Instant::now(),
        });
        calls.len() - 1
    };
    respond(state.protocol, (state.script)(n)).await
}

fn respond(
    protocol: Protocol,
    reply: Reply,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>> {
    Box::pin(async move {
        match reply {
            Reply::Answer => text(protocol, &dpf_answer().to_string()),
            Reply::AnswerWith(overrides) => {
                let mut a = dpf_answer();
                for (k, v) in overrides.as_object().unwrap() {
                    a[k] = v.clone();
                }
                text(protocol, &a.to_string())
            }
            Reply::Text(t) => text(protocol, &t),
            Reply::Tools(calls) => tools(protocol, &calls),
            Reply::Status(code, headers, body) => status(code, &headers, body),
            Reply::Delay(d, then) => {
                tokio::time::sleep(d).await;
                respond(protocol, *then).await
            }
            Reply::Garbage => (StatusCode::OK, "<html>gateway says hi</html>").into_response(),
            Reply::Gate(gate, then) => {
                let _permit = gate.acquire().await.unwrap();
                respond(protocol, *then).await
            }
        }
    })
}

/// A final text answer in `protocol`'s shape, with 1,200 prompt and 150 completion
/// tokens.
fn text(protocol: Protocol, text: &str) -> Response {
    let body = match protocol {
        Protocol::Anthropic => anthropic(json!([{"type": "text", "text": text}]), "end_turn"),
        Protocol::Gemini => gemini(json!([{"text": text}])),
        _ => ollama(json!({"role": "assistant", "content": text})),
    };
    axum::Json(body).into_response()
}

/// Tool calls `(name, arguments JSON)` in `protocol`'s shape.
fn tools(protocol: Protocol, calls: &[(&str, &str)]) -> Response {
    let args = |a: &str| serde_json::from_str::<Value>(a).unwrap();
    let body = match protocol {
        Protocol::Anthropic => anthropic(
            calls
                .iter()
                .enumerate()
                .map(|(i, (name, a))| {
                    json!({"type": "tool_use", "id": format!("toolu_{i}"), "name": name, "input": args(a)})
                })
                .collect(),
            "tool_use",
        ),
        Protocol::Gemini => gemini(
            calls
                .iter()
                .map(|(name, a)| json!({"functionCall": {"name": name, "args": args(a)}}))
                .collect(),
        ),
        _ => ollama(json!({"role": "assistant", "content": "", "tool_calls": calls
            .iter()
            .map(|(name, a)| json!({"function": {"name": name, "arguments": args(a)}}))
            .collect::<Vec<_>>()})),
    };
    axum::Json(body).into_response()
}

fn anthropic(content: Value, stop: &str) -> Value {
    json!({
        "id": "msg_test", "type": "message", "role": "assistant", "model": "fake-model-1",
        "content": content, "stop_reason": stop, "stop_sequence": null,
        "usage": {"input_tokens": 1200, "output_tokens": 150}
    })
}

fn gemini(parts: Value) -> Value {
    json!({
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 1200, "candidatesTokenCount": 150, "totalTokenCount": 1350},
        "modelVersion": "fake-model-1"
    })
}

fn ollama(message: Value) -> Value {
    json!({
        "model": "fake-model-1", "created_at": "2026-01-01T00:00:00Z", "message": message,
        "done": true, "done_reason": "stop", "prompt_eval_count": 1200, "eval_count": 150
    })
}
