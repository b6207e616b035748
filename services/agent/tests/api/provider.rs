//! The OpenAI-compatible client against a local chat-completions server: tool calls,
//! malformed JSON, answers out of bounds, timeouts, 429s and 5xx. Every event still
//! gets exactly one decision.

use std::time::Duration;

use serde_json::{Value, json};
use shared_schemas::events::Component;

use crate::helpers::{TestApp, bare_degraded, dpf_degraded, envelope, llm_config, spawn_with};
use crate::llm_server::{LlmServer, Reply};

/// An agent deciding with the model at `server`.
async fn app_with(
    server: &LlmServer,
    tweak: impl FnOnce(&mut agent::config::LlmConfig),
) -> TestApp {
    let mut llm = llm_config(&server.base_url);
    tweak(&mut llm);
    spawn_with(|c| c.llm = Some(llm)).await
}

/// Publishes one clogging-DPF event and returns its decision.
async fn decide_one(app: &TestApp, vehicle: &str, rul_days: f64) -> Value {
    let e = envelope(dpf_degraded(vehicle, rul_days));
    app.publish(std::slice::from_ref(&e)).await;
    app.wait_caught_up().await;
    assert_eq!(app.decision_count().await, 1);
    app.decision_of(e.event_id).await
}

#[tokio::test]
async fn the_model_calls_tools_then_decides() {
    let server = LlmServer::sequence(vec![
        Reply::Tools(vec![
            ("lookup_dtc", r#"{"code": "P2463"}"#),
            ("get_component_health", "{}"),
            ("get_open_appointments", "{}"),
        ]),
        Reply::Answer,
    ])
    .await;
    let app = app_with(&server, |_| {}).await;
    let d = decide_one(&app, "VH-T1", 10.0).await;
    assert_eq!(d["provider"], "fake-llm", "{d:#}");
    assert_eq!(d["model"], "fake-model-1");
    assert_eq!(d["fallback_used"], false);
    assert_eq!(d["failure_mode"], "dpf_clogging");
    assert_eq!(d["llm_calls"], 2);
    assert_eq!(d["tokens_in"], 2400);
    assert_eq!(d["tokens_out"], 300);
    // 2.4k prompt tokens at 0.5 $/1k + 0.3k completion tokens at 1.5 $/1k.
    assert!(
        (d["cost_usd"].as_f64().unwrap() - 1.65).abs() < 1e-9,
        "{}",
        d["cost_usd"]
    );
    // The DTC table answered; the health service is down and scheduling not deployed:
    // the decision is degraded, not failed.
    let tools: Vec<(String, bool)> = d["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tool"].as_str().unwrap().to_owned(),
                t["ok"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tools,
        vec![
            ("lookup_dtc".to_owned(), true),
            ("get_component_health".to_owned(), false),
            ("get_open_appointments".to_owned(), false),
        ]
    );
    // Costs come from the catalog for the actions the model chose.
    let actions: Vec<&str> = d["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["dpf_forced_regeneration", "dpf_clean_or_replace"]);
    assert_eq!(d["estimated_cost"]["min"], 700.0);
    assert_eq!(d["estimated_cost"]["max"], 4800.0);

    let calls = server.calls();
    assert_eq!(calls.len(), 2);
    let first = &calls[0].body;
    assert_eq!(first["model"], "fake-model-1");
    assert_eq!(first["tools"].as_array().unwrap().len(), 6);
    assert_eq!(first["response_format"]["json_schema"]["strict"], true);
    assert_eq!(
        calls[0].authorization.as_deref(),
        Some("Bearer sk-test-never-logged")
    );
    // The second request carries the tool results, the DTC's meaning among them.
    let messages = calls[1].body["messages"].as_array().unwrap();
    let tool_msgs: Vec<&Value> = messages.iter().filter(|m| m["role"] == "tool").collect();
    assert_eq!(tool_msgs.len(), 3);
    assert!(
        tool_msgs[0]["content"]
            .as_str()
            .unwrap()
            .contains("soot accumulation"),
        "{}",
        tool_msgs[0]
    );
    assert!(
        tool_msgs[1]["content"]
            .as_str()
            .unwrap()
            .contains("\"available\":false")
    );
    // The published event says who decided.
    let made = app.stream("agent.decision.made").await;
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["payload"]["provider"], "fake-llm");
    assert_eq!(made[0]["payload"]["fallback_used"], false);
    assert_eq!(made[0]["payload"]["tokens_in"], 2400);
}

#[tokio::test]
async fn malformed_json_is_sent_back_once_then_the_rules_answer() {
    let server = LlmServer::start(|_, _| {
        Reply::Text("Sure! The DPF looks clogged, I'd say severity high.".to_owned())
    })
    .await;
    let app = app_with(&server, |_| {}).await;
    let d = decide_one(&app, "VH-M1", 10.0).await;
    assert_eq!(d["fallback_used"], true, "{d:#}");
    assert!(
        d["fallback_reason"]
            .as_str()
            .unwrap()
            .starts_with("invalid_output"),
        "{}",
        d["fallback_reason"]
    );
    assert_eq!(d["provider"], "fake-llm");
    assert_eq!(d["failure_mode"], "dpf_clogging", "the rules answered");
    assert_eq!(d["llm_calls"], 2, "the answer and one repair");
    assert_eq!(
        d["tokens_in"], 2400,
        "tokens are counted for failed answers too"
    );
    // The repair request quotes the validation error.
    let repair = &server.calls()[1].body["messages"];
    let last = repair.as_array().unwrap().last().unwrap();
    assert!(
        last["content"]
            .as_str()
            .unwrap()
            .contains("did not validate"),
        "{last}"
    );
}

#[tokio::test]
async fn a_repaired_or_fenced_answer_is_accepted() {
    let server = LlmServer::start(|n, req| match n {
        0 => Reply::Text("{\"component\": \"dpf\", \"severity\": ".to_owned()),
        _ => Reply::Text(format!(
            "```json\n{}\n```",
            crate::llm_server::answer(req, &json!({}))
        )),
    })
    .await;
    let app = app_with(&server, |_| {}).await;
    let d = decide_one(&app, "VH-R1", 10.0).await;
    assert_eq!(d["fallback_used"], false, "{d:#}");
    assert_eq!(d["llm_calls"], 2);
}

#[tokio::test]
async fn answers_outside_the_schema_or_the_severity_bounds_do_not_count() {
    // RUL 1 day: the rule band is critical, and a model may not lower it.
    let low = LlmServer::start(|_, _| Reply::AnswerWith(json!({"severity": "low"}))).await;
    let app = app_with(&low, |_| {}).await;
    let d = decide_one(&app, "VH-B1", 1.0).await;
    assert_eq!(d["fallback_used"], true);
    assert!(
        d["fallback_reason"].as_str().unwrap().contains("severity"),
        "{}",
        d["fallback_reason"]
    );
    assert_eq!(d["severity"], "critical");

    let wrong = LlmServer::start(|_, _| {
        Reply::AnswerWith(
            json!({"component": "brakes", "recommended_actions": ["buy_a_new_truck"]}),
        )
    })
    .await;
    let app = app_with(&wrong, |_| {}).await;
    let d = decide_one(&app, "VH-B2", 10.0).await;
    assert_eq!(d["fallback_used"], true);
    assert!(
        d["fallback_reason"]
            .as_str()
            .unwrap()
            .starts_with("invalid_output")
    );

    let extra = LlmServer::start(|_, _| Reply::AnswerWith(json!({"cost_usd": 5}))).await;
    let app = app_with(&extra, |_| {}).await;
    let d = decide_one(&app, "VH-B3", 10.0).await;
    assert_eq!(
        d["fallback_used"], true,
        "unknown fields are not the schema"
    );
}

#[tokio::test]
async fn a_model_that_never_answers_in_time_falls_back_within_the_deadline() {
    let server =
        LlmServer::start(|_, _| Reply::Delay(Duration::from_secs(30), Box::new(Reply::Answer)))
            .await;
    let app = app_with(&server, |c| {
        c.call_timeout = Duration::from_millis(200);
        c.deadline = Duration::from_millis(1_500);
    })
    .await;
    let d = decide_one(&app, "VH-S1", 10.0).await;
    assert_eq!(d["fallback_used"], true);
    assert_eq!(d["fallback_reason"], "timeout");
    assert!(
        d["llm_calls"].as_u64().unwrap() >= 2,
        "timeouts are retried: {}",
        d["llm_calls"]
    );
    assert!(d["latency_ms"].as_u64().unwrap() < 10_000);
}

#[tokio::test]
async fn rate_limits_are_retried_after_the_time_the_server_asks() {
    let server = LlmServer::sequence(vec![
        Reply::Status(
            429,
            vec![("retry-after", "1")],
            r#"{"error":{"message":"slow down","type":"rate_limit_error"}}"#.to_owned(),
        ),
        Reply::Status(503, vec![], "upstream overloaded".to_owned()),
        Reply::Answer,
    ])
    .await;
    let app = app_with(&server, |_| {}).await;
    let d = decide_one(&app, "VH-L1", 10.0).await;
    assert_eq!(d["fallback_used"], false, "{d:#}");
    assert_eq!(d["llm_calls"], 3);
    let calls = server.calls();
    assert!(
        calls[1].at - calls[0].at >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured"
    );
}

#[tokio::test]
async fn persistent_rate_limits_and_quota_errors_fall_back() {
    let limited = LlmServer::start(|_, _| {
        Reply::Status(
            429,
            vec![("retry-after-ms", "20")],
            r#"{"error":{"message":"slow down","type":"rate_limit_error"}}"#.to_owned(),
        )
    })
    .await;
    let app = app_with(&limited, |_| {}).await;
    let d = decide_one(&app, "VH-L2", 10.0).await;
    assert_eq!(d["fallback_reason"], "rate_limited");
    assert_eq!(d["llm_calls"], 4, "the first call and 3 retries");

    let quota = LlmServer::start(|_, _| {
        Reply::Status(
            429,
            vec![],
            r#"{"error":{"message":"no credit","type":"insufficient_quota"}}"#.to_owned(),
        )
    })
    .await;
    let app = app_with(&quota, |_| {}).await;
    let d = decide_one(&app, "VH-L3", 10.0).await;
    assert!(
        d["fallback_reason"].as_str().unwrap().contains("quota"),
        "{}",
        d["fallback_reason"]
    );
    assert_eq!(d["llm_calls"], 1, "quota errors are not retried");
}

#[tokio::test]
async fn every_event_gets_exactly_one_decision_whatever_the_model_does() {
    // Each call draws a behaviour from the call number: valid answers, tool calls,
    // malformed JSON, prose, bodies that are not JSON, answers out of bounds, 429s,
    // 5xx, stalls past the timeout.
    let server = LlmServer::start(|n, _| match n % 9 {
        0 => Reply::Answer,
        1 => Reply::Tools(vec![
            ("lookup_dtc", r#"{"code":"P2463"}"#),
            ("get_health_history", r#"{"days": 7}"#),
        ]),
        2 => Reply::Text("{\"component\": ".to_owned()),
        3 => Reply::Text("I cannot help with that.".to_owned()),
        4 => Reply::Garbage,
        5 => Reply::AnswerWith(json!({"severity": "banana"})),
        6 => Reply::Status(429, vec![("retry-after-ms", "30")], "{}".to_owned()),
        7 => Reply::Status(500, vec![], "boom".to_owned()),
        _ => Reply::Delay(Duration::from_secs(5), Box::new(Reply::Answer)),
    })
    .await;
    let app = app_with(&server, |c| {
        c.call_timeout = Duration::from_millis(300);
        c.deadline = Duration::from_secs(2);
    })
    .await;
    let components = [
        Component::Dpf,
        Component::Cooling,
        Component::Brakes,
        Component::Tires,
    ];
    let mut events = Vec::new();
    for v in 0..12 {
        for (i, c) in components.iter().enumerate() {
            let vehicle = format!("VH-C{v:02}");
            events.push(if i == 0 {
                envelope(dpf_degraded(&vehicle, 2.0 + f64::from(v)))
            } else {
                envelope(bare_degraded(&vehicle, *c))
            });
        }
    }
    app.publish(&events).await;
    app.wait_caught_up().await;
    assert_eq!(
        app.decision_count().await,
        events.len() as i64,
        "100 % decision completion"
    );
    let made = app.stream("agent.decision.made").await;
    assert_eq!(made.len(), events.len());
    let mut causes: Vec<String> = made
        .iter()
        .map(|e| e["causation_id"].as_str().unwrap().to_owned())
        .collect();
    causes.sort();
    causes.dedup();
    assert_eq!(causes.len(), events.len(), "one decision per event");
    let (by_model, fallbacks): (Vec<&Value>, Vec<&Value>) = made
        .iter()
        .partition(|e| e["payload"]["fallback_used"] == false);
    assert!(
        !by_model.is_empty() && !fallbacks.is_empty(),
        "{} by the model, {} fallbacks",
        by_model.len(),
        fallbacks.len()
    );
    // Redelivering everything changes nothing.
    app.publish(&events).await;
    app.wait_caught_up().await;
    assert_eq!(app.decision_count().await, events.len() as i64);
    assert_eq!(app.stream("agent.decision.made").await.len(), events.len());
}

#[tokio::test]
async fn a_slow_model_call_for_one_vehicle_does_not_hold_up_the_others() {
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    let held = std::sync::Arc::clone(&gate);
    // The model answers every vehicle at once except VH-SLOW, whose call waits for the
    // test to open the gate.
    let server = LlmServer::start(move |_, req| {
        let slow = req["messages"][1]["content"]
            .as_str()
            .unwrap_or_default()
            .contains("VH-SLOW");
        if slow {
            Reply::Gate(std::sync::Arc::clone(&held), Box::new(Reply::Answer))
        } else {
            Reply::Answer
        }
    })
    .await;
    let app = app_with(&server, |c| {
        c.call_timeout = Duration::from_secs(60);
        c.deadline = Duration::from_secs(120);
    })
    .await;
    let slow = envelope(dpf_degraded("VH-SLOW", 10.0));
    let fast: Vec<_> = (0..5)
        .map(|i| envelope(dpf_degraded(&format!("VH-FAST{i}"), 10.0)))
        .collect();
    app.publish(std::slice::from_ref(&slow)).await;
    app.publish(&fast).await;
    // The other vehicles are decided while VH-SLOW's call is still held.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while app.decision_count().await < 5 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "other vehicles waited for the slow one"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let slow_decided: i64 =
        sqlx::query_scalar("SELECT count(*) FROM decisions WHERE vehicle_id = 'VH-SLOW'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(slow_decided, 0, "the gate is still closed");
    gate.add_permits(1);
    app.wait_caught_up().await;
    assert_eq!(app.decision_count().await, 6);
    let d = app.decision_of(slow.event_id).await;
    assert_eq!(d["fallback_used"], false);
}
