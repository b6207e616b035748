//! The native providers through rig-core (Anthropic Messages, Gemini, Ollama's
//! `/api/chat`), each against a local server speaking its protocol: tool use, token
//! and cost accounting, malformed output, timeouts, 429 and overload, all with the
//! same bounds and the same rule fallback as the OpenAI-compatible path.

use std::time::Duration;

use agent::config::Protocol;
use serde_json::Value;

use crate::helpers::{TestApp, dpf_degraded, envelope, llm_config, spawn_with};
use crate::llm_server::Reply;
use crate::native_server::{Call, NativeServer};

/// An agent deciding with `protocol` at `server`.
async fn app_with(
    protocol: Protocol,
    server: &NativeServer,
    tweak: impl FnOnce(&mut agent::config::LlmConfig),
) -> TestApp {
    let mut llm = llm_config(&server.base_url);
    llm.protocol = protocol;
    tweak(&mut llm);
    spawn_with(|c| c.llm = Some(llm)).await
}

/// Publishes one clogging-DPF event (RUL 10 days) and returns its decision.
async fn decide(app: &TestApp, vehicle: &str) -> Value {
    let e = envelope(dpf_degraded(vehicle, 10.0));
    app.publish(std::slice::from_ref(&e)).await;
    app.wait_caught_up().await;
    assert_eq!(app.decision_count().await, 1);
    app.decision_of(e.event_id).await
}

/// The second request carries the first tool call's result, in the protocol's shape,
/// and the protocol's credentials.
fn check_wire(protocol: Protocol, calls: &[Call]) {
    let second = &calls[1];
    let text = second.body.to_string();
    match protocol {
        Protocol::Anthropic => {
            assert_eq!(second.uri.path(), "/v1/messages");
            assert_eq!(second.headers["x-api-key"], "sk-test-never-logged");
            assert!(second.headers.contains_key("anthropic-version"));
            assert_eq!(second.body["model"], "fake-model-1");
            assert_eq!(second.body["max_tokens"], 2048);
            assert!(second.body["system"].to_string().contains("JSON"), "{text}");
            assert!(text.contains(r#""tool_use_id":"toolu_0""#), "{text}");
            assert!(text.contains(r#""type":"tool_result""#), "{text}");
        }
        Protocol::Gemini => {
            assert_eq!(
                second.uri.path(),
                "/v1beta/models/fake-model-1:generateContent"
            );
            let keyed = second
                .uri
                .query()
                .unwrap_or("")
                .contains("sk-test-never-logged")
                || second.headers.get("x-goog-api-key").is_some();
            assert!(keyed, "{:?}", second.uri);
            assert!(text.contains("functionResponse"), "{text}");
            assert!(text.contains("functionDeclarations"), "{text}");
        }
        _ => {
            assert_eq!(second.uri.path(), "/api/chat");
            assert_eq!(second.body["stream"], false, "{text}");
            assert!(text.contains(r#""role":"tool""#), "{text}");
            assert!(second.body["tools"].is_array(), "{text}");
        }
    }
}

/// Tool use, then a valid answer: tools run, tokens and cost are summed, nothing falls
/// back.
async fn tool_use(protocol: Protocol) {
    let server = NativeServer::sequence(
        protocol,
        vec![
            Reply::Tools(vec![
                ("lookup_dtc", r#"{"code": "P2463"}"#),
                ("get_component_health", "{}"),
            ]),
            Reply::Answer,
        ],
    )
    .await;
    let app = app_with(protocol, &server, |_| {}).await;
    let d = decide(&app, "VH-N1").await;
    assert_eq!(d["fallback_used"], false, "{d:#}");
    assert_eq!(d["provider"], "fake-llm");
    assert_eq!(d["failure_mode"], "dpf_clogging");
    assert_eq!(d["severity"], "medium");
    assert_eq!(d["llm_calls"], 2);
    assert_eq!(d["tokens_in"], 2400);
    assert_eq!(d["tokens_out"], 300);
    assert!(
        (d["cost_usd"].as_f64().unwrap() - 1.65).abs() < 1e-9,
        "{d:#}"
    );
    let tools: Vec<(&str, bool)> = d["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["tool"].as_str().unwrap(), t["ok"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        tools,
        vec![("lookup_dtc", true), ("get_component_health", false)]
    );
    let calls = server.calls();
    assert_eq!(calls.len(), 2);
    check_wire(protocol, &calls);
    app.stop().await;
}

/// Output that is not the decision is sent back once, then the rules answer; a body
/// that is not the protocol's at all is an invalid response.
async fn malformed(protocol: Protocol) {
    let server = NativeServer::sequence(
        protocol,
        vec![
            Reply::Text("The DPF looks clogged, book it in.".to_owned()),
            Reply::Text("```json\n{\"component\": \"dpf\"}\n```".to_owned()),
        ],
    )
    .await;
    let app = app_with(protocol, &server, |_| {}).await;
    let d = decide(&app, "VH-N2").await;
    assert_eq!(d["fallback_used"], true);
    assert_eq!(d["provider"], "fake-llm");
    let reason = d["fallback_reason"].as_str().unwrap();
    assert!(reason.starts_with("invalid_output"), "{reason}");
    assert_eq!(d["llm_calls"], 2);
    assert_eq!(
        d["tokens_in"], 2400,
        "tokens spent count even when they fall back"
    );
    let repair = server.calls()[1].body.to_string();
    assert!(
        repair.contains("did not validate") || repair.contains("not the decision schema"),
        "{repair}"
    );
    app.stop().await;

    let server = NativeServer::sequence(protocol, vec![Reply::Garbage]).await;
    let app = app_with(protocol, &server, |_| {}).await;
    let d = decide(&app, "VH-N3").await;
    assert_eq!(d["fallback_used"], true);
    let reason = d["fallback_reason"].as_str().unwrap();
    assert!(
        reason.starts_with("invalid_response") || reason.starts_with("provider_error"),
        "{reason}"
    );
    app.stop().await;
}

/// A provider that never answers in time: retried, then the rules answer within the
/// deadline.
async fn timeout(protocol: Protocol) {
    let slow = Reply::Delay(Duration::from_secs(10), Box::new(Reply::Answer));
    let server = NativeServer::sequence(protocol, vec![slow.clone(), slow.clone(), slow]).await;
    let app = app_with(protocol, &server, |c| c.max_retries = 1).await;
    let started = std::time::Instant::now();
    let d = decide(&app, "VH-N4").await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(d["fallback_used"], true);
    assert_eq!(d["fallback_reason"], "timeout");
    assert_eq!(d["llm_calls"], 2, "one retry");
    app.stop().await;
}

/// The protocol's rate-limit and overload replies.
fn limited(protocol: Protocol) -> (Reply, Reply) {
    let (status, body) = match protocol {
        Protocol::Anthropic => (
            529,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        ),
        Protocol::Gemini => (
            503,
            r#"{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}"#,
        ),
        _ => (503, r#"{"error":"server busy, please try again"}"#),
    };
    let rate = match protocol {
        Protocol::Anthropic => {
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}"#
        }
        Protocol::Gemini => {
            r#"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}"#
        }
        _ => r#"{"error":"too many requests"}"#,
    };
    (
        Reply::Status(429, vec![("retry-after", "0.3")], rate.to_owned()),
        Reply::Status(status, vec![], body.to_owned()),
    )
}

/// A 429 and an overload are retried (after the time asked for); persistent 429s fall
/// back as rate limited.
async fn rate_limits(protocol: Protocol) {
    let (rate, overloaded) = limited(protocol);
    let server =
        NativeServer::sequence(protocol, vec![rate.clone(), overloaded, Reply::Answer]).await;
    let app = app_with(protocol, &server, |_| {}).await;
    let d = decide(&app, "VH-N5").await;
    assert_eq!(d["fallback_used"], false, "{d:#}");
    assert_eq!(d["llm_calls"], 3);
    let calls = server.calls();
    assert_eq!(calls.len(), 3);
    let waited = calls[1].at - calls[0].at;
    assert!(
        waited >= Duration::from_millis(300),
        "Retry-After honoured: {waited:?}"
    );
    app.stop().await;

    let server = NativeServer::sequence(protocol, vec![rate.clone(), rate.clone(), rate]).await;
    let app = app_with(protocol, &server, |c| c.max_retries = 2).await;
    let d = decide(&app, "VH-N6").await;
    assert_eq!(d["fallback_used"], true);
    assert_eq!(d["fallback_reason"], "rate_limited");
    assert_eq!(d["llm_calls"], 3);
    app.stop().await;
}

/// Once the tool rounds are spent the model must answer: Anthropic and Gemini are told
/// to call none, Ollama (no tool choice) is offered none.
async fn tools_spent(protocol: Protocol) {
    let server = NativeServer::sequence(
        protocol,
        vec![
            Reply::Tools(vec![("lookup_dtc", r#"{"code": "P2463"}"#)]),
            Reply::Answer,
        ],
    )
    .await;
    let app = app_with(protocol, &server, |c| c.max_tool_rounds = 1).await;
    let d = decide(&app, "VH-N8").await;
    assert_eq!(d["fallback_used"], false, "{d:#}");
    let calls = server.calls();
    let (first, last) = (&calls[0].body, &calls[1].body);
    match protocol {
        Protocol::Anthropic => {
            assert_eq!(first["tool_choice"]["type"], "auto", "{first}");
            assert_eq!(last["tool_choice"]["type"], "none", "{last}");
        }
        Protocol::Gemini => {
            let mode = |b: &Value| b.pointer("/toolConfig/functionCallingConfig/mode").cloned();
            assert_eq!(mode(last), Some(Value::from("NONE")), "{last}");
            assert_ne!(mode(first), mode(last), "{first}");
        }
        _ => {
            assert!(first["tools"].is_array(), "{first}");
            assert!(last.get("tools").is_none_or(Value::is_null), "{last}");
        }
    }
    app.stop().await;
}

async fn exercise(protocol: Protocol) {
    tool_use(protocol).await;
    tools_spent(protocol).await;
    malformed(protocol).await;
    timeout(protocol).await;
    rate_limits(protocol).await;
}

#[tokio::test]
async fn anthropic_messages_natively() {
    exercise(Protocol::Anthropic).await;
}

#[tokio::test]
async fn gemini_natively() {
    exercise(Protocol::Gemini).await;
}

#[tokio::test]
async fn ollama_natively() {
    exercise(Protocol::Ollama).await;
}

#[tokio::test]
async fn an_unreachable_gemini_falls_back_without_its_key_in_the_reason() {
    // Gemini's API key travels in the query string; a connection error names the URL.
    let mut llm = llm_config("http://127.0.0.1:9");
    llm.protocol = Protocol::Gemini;
    llm.max_retries = 0;
    let app = spawn_with(|c| c.llm = Some(llm)).await;
    let d = decide(&app, "VH-N7").await;
    assert_eq!(d["fallback_used"], true);
    let reason = d["fallback_reason"].as_str().unwrap();
    assert!(
        reason.starts_with("provider_error: unreachable"),
        "{reason}"
    );
    assert!(!reason.contains("sk-test-never-logged"), "{reason}");
    assert!(!d.to_string().contains("sk-test-never-logged"));
    app.stop().await;
}
