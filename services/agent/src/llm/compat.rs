//! The OpenAI-compatible protocol through async-openai: chat completions with tool
//! calling (OpenAI, vLLM, Ollama's `/v1`, llama.cpp server, gateways).
//!
//! The request and response bodies are built and read here as JSON (async-openai's
//! bring-your-own-types calls): local servers differ in small ways (missing
//! `created`, arguments as objects, no `usage`) that strict typed responses would
//! reject.

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use serde_json::{Value, json};

use super::transport::{Transport, TransportError};
use super::{Failure, Reply, RequestedCall};
use crate::config::{LlmConfig, ResponseFormat};
use crate::tools::Toolbox;

fn failure(e: OpenAIError) -> Failure {
    match e {
        OpenAIError::Boxed(b) => match b.downcast::<TransportError>() {
            Ok(t) => match *t {
                TransportError::Timeout => Failure::Timeout,
                TransportError::RateLimited { .. } => Failure::RateLimited,
                other => Failure::Provider(other.to_string()),
            },
            Err(other) => Failure::Provider(other.to_string()),
        },
        OpenAIError::Reqwest(e) if e.is_timeout() => Failure::Timeout,
        OpenAIError::Reqwest(e) => Failure::Provider(e.to_string()),
        OpenAIError::ApiError(a) => {
            Failure::Provider(format!("{} {}", a.status_code, a.api_error.message))
        }
        OpenAIError::JSONDeserialize(e, body) => Failure::InvalidResponse(format!(
            "{e}: {}",
            body.chars().take(200).collect::<String>()
        )),
        other => Failure::Provider(other.to_string()),
    }
}

/// One OpenAI-compatible conversation: its messages so far and the last reply's calls.
pub(crate) struct Compat {
    client: Client<OpenAIConfig>,
    messages: Vec<Value>,
    definitions: Value,
    schema: Value,
    last_calls: Vec<Value>,
}

impl Compat {
    /// A conversation on `transport` that starts with the worker's prompt.
    pub(crate) fn new(
        config: &LlmConfig,
        transport: Transport,
        system: String,
        user: String,
        schema: Value,
    ) -> Self {
        let mut api = OpenAIConfig::new().with_api_base(config.base_url.trim_end_matches('/'));
        api = match &config.api_key {
            Some(key) => api.with_api_key(key.expose()),
            // Local servers take any key; an empty bearer is rejected by some proxies.
            None => api.with_api_key("none"),
        };
        Self {
            client: Client::with_config(api).with_http_service(transport),
            messages: vec![
                json!({"role": "system", "content": system}),
                json!({"role": "user", "content": user}),
            ],
            definitions: Toolbox::definitions(),
            schema,
            last_calls: Vec::new(),
        }
    }

    /// One model turn; tools are callable while `tools_allowed`.
    pub(crate) async fn turn(
        &mut self,
        config: &LlmConfig,
        tools_allowed: bool,
    ) -> Result<Reply, Failure> {
        let request = self.request(config, tools_allowed);
        let response: Value = self
            .client
            .chat()
            .create_byot(request)
            .await
            .map_err(failure)?;
        let message = response
            .pointer("/choices/0/message")
            .cloned()
            .ok_or_else(|| Failure::InvalidResponse("no choices[0].message".to_owned()))?;
        self.last_calls = message
            .get("tool_calls")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let calls = self
            .last_calls
            .iter()
            .map(|call| RequestedCall {
                name: call
                    .pointer("/function/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                arguments: arguments(call),
            })
            .collect();
        let usage = |key: &str| {
            response
                .pointer(&format!("/usage/{key}"))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        Ok(Reply {
            text: message
                .get("content")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            calls,
            tokens_in: usage("prompt_tokens"),
            tokens_out: usage("completion_tokens"),
        })
    }

    /// Continues after round `round`'s tool calls with their `results`, in order: the
    /// assistant's calls, normalized (ids given, arguments as strings), then one
    /// answer per call.
    pub(crate) fn answer_tools(&mut self, round: u32, results: Vec<String>) {
        let mut normalized = Vec::with_capacity(self.last_calls.len());
        let mut answers = Vec::with_capacity(self.last_calls.len());
        for (i, (call, content)) in self.last_calls.iter().zip(results).enumerate() {
            let id = call
                .get("id")
                .and_then(Value::as_str)
                .map_or_else(|| format!("call_{round}_{i}"), str::to_owned);
            let name = call
                .pointer("/function/name")
                .cloned()
                .unwrap_or(Value::Null);
            normalized.push(json!({"id": id, "type": "function",
                "function": {"name": name, "arguments": arguments(call)}}));
            answers.push(json!({"role": "tool", "tool_call_id": id, "content": content}));
        }
        self.messages
            .push(json!({"role": "assistant", "content": Value::Null, "tool_calls": normalized}));
        self.messages.extend(answers);
    }

    /// Sends an answer that did not validate back with the error.
    pub(crate) fn repair(&mut self, text: &str, error: &str) {
        self.messages
            .push(json!({"role": "assistant", "content": text}));
        self.messages
            .push(json!({"role": "user", "content": super::prompt::repair(error)}));
    }

    /// The chat completion request of one turn: the conversation so far, the tools
    /// (callable while `tools_allowed`) and the answer format asked for.
    fn request(&self, config: &LlmConfig, tools_allowed: bool) -> Value {
        let mut request = json!({
            "model": config.model,
            "messages": self.messages,
            "tools": self.definitions,
            "tool_choice": if tools_allowed { "auto" } else { "none" },
            "temperature": config.temperature,
            "stream": false,
        });
        match config.response_format {
            ResponseFormat::JsonSchema => {
                request["response_format"] = json!({"type": "json_schema", "json_schema": {
                    "name": "decision", "strict": true, "schema": self.schema}});
            }
            ResponseFormat::JsonObject => {
                request["response_format"] = json!({"type": "json_object"});
            }
            ResponseFormat::None => {}
        }
        request
    }
}

/// A call's arguments as a JSON string (some servers send an object, or nothing).
fn arguments(call: &Value) -> String {
    match call.pointer("/function/arguments") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "{}".to_owned(),
        Some(other) => other.to_string(),
    }
}
