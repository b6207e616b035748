//! The model provider: OpenAI-compatible chat completions with tool calling through
//! async-openai (OpenAI, vLLM, Ollama, llama.cpp server…).
//!
//! One conversation per decision: the worker's system prompt and the case, then up to
//! `max_tool_rounds` turns in which the model may call tools, then its final JSON
//! answer, validated against the decision schema and the severity bounds; an answer
//! that does not validate is sent back with the error `repair_attempts` times. Every
//! HTTP call goes through [`transport::Transport`] (timeouts, retries, `Retry-After`),
//! and the whole conversation through the deadline. Tokens are summed from each
//! response's `usage` and priced per 1,000.
//!
//! The request and response bodies are built and read here as JSON
//! (async-openai's bring-your-own-types calls): local servers differ in small ways
//! (missing `created`, arguments as objects, no `usage`) that strict typed responses
//! would reject.

pub mod prompt;
pub mod transport;

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::Ordering;
use std::time::Instant;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use serde_json::{Value, json};

use crate::config::{LlmConfig, ResponseFormat};
use crate::domain::case::Case;
use crate::domain::decision::{self, Draft, ToolCall};
use crate::domain::orchestrator::Classification;
use crate::tools::Toolbox;
use transport::{Traffic, Transport, TransportError};

/// Installs rustls' ring crypto provider once (reqwest is built without a default one,
/// so that no C toolchain beyond a C compiler is needed).
pub fn install_tls() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Tokens and calls of one conversation (also when it failed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    /// Prompt tokens.
    pub tokens_in: u64,
    /// Completion tokens.
    pub tokens_out: u64,
    /// HTTP calls, retries included.
    pub calls: u32,
    /// Cost, USD.
    pub cost_usd: f64,
}

/// A conversation's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The validated draft, or why there is none.
    pub result: Result<Draft, Failure>,
    /// Tokens, calls and cost spent either way.
    pub usage: Usage,
    /// Tool calls the model made.
    pub tool_calls: Vec<ToolCall>,
}

/// Why the model did not give a usable answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Failure {
    /// A call or the deadline ran out.
    #[error("timeout")]
    Timeout,
    /// 429 until the retries or the deadline ran out.
    #[error("rate_limited")]
    RateLimited,
    /// The provider failed (5xx, quota, unreachable) or refused the request (4xx).
    #[error("provider_error: {0}")]
    Provider(String),
    /// The response was not a chat completion.
    #[error("invalid_response: {0}")]
    InvalidResponse(String),
    /// The answer did not validate (schema or severity bounds), repairs included.
    #[error("invalid_output: {0}")]
    InvalidOutput(String),
}

impl Failure {
    /// A short label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::RateLimited => "rate_limited",
            Self::Provider(_) => "provider_error",
            Self::InvalidResponse(_) => "invalid_response",
            Self::InvalidOutput(_) => "invalid_output",
        }
    }
}

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

/// The provider client.
#[derive(Clone)]
pub struct LlmClient {
    config: LlmConfig,
    http: reqwest::Client,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient")
            .field("provider", &self.config.provider)
            .field("model", &self.config.model)
            .finish_non_exhaustive()
    }
}

impl LlmClient {
    /// A client for `config`.
    pub fn new(config: LlmConfig) -> anyhow::Result<Self> {
        install_tls();
        let http = reqwest::Client::builder()
            .timeout(config.call_timeout)
            .connect_timeout(config.call_timeout.min(std::time::Duration::from_secs(5)))
            .build()?;
        Ok(Self { config, http })
    }

    /// The provider name recorded with decisions.
    pub fn provider(&self) -> &str {
        &self.config.provider
    }

    /// The model name.
    pub fn model(&self) -> &str {
        &self.config.model
    }

    /// The settings.
    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    fn client(
        &self,
        deadline: tokio::time::Instant,
        traffic: Arc<Traffic>,
    ) -> Client<OpenAIConfig> {
        let mut config =
            OpenAIConfig::new().with_api_base(self.config.base_url.trim_end_matches('/'));
        config = match &self.config.api_key {
            Some(key) => config.with_api_key(key.expose()),
            // Local servers take any key; an empty bearer is rejected by some proxies.
            None => config.with_api_key("none"),
        };
        let transport = Transport::new(
            self.http.clone(),
            self.config.max_retries,
            self.config.backoff,
            deadline,
            traffic,
        );
        Client::with_config(config).with_http_service(transport)
    }

    /// Runs the conversation of `case`, within the deadline.
    pub async fn decide(&self, case: &Case, class: &Classification, tools: &Toolbox) -> Outcome {
        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + self.config.deadline;
        let traffic = Arc::new(Traffic::default());
        let client = self.client(deadline, Arc::clone(&traffic));
        let mut usage = Usage::default();
        let mut tool_calls = Vec::new();
        let result = match tokio::time::timeout_at(
            deadline,
            self.converse(&client, case, class, tools, &mut usage, &mut tool_calls),
        )
        .await
        {
            Ok(r) => r,
            Err(_) => Err(Failure::Timeout),
        };
        usage.calls = traffic.calls.load(Ordering::Relaxed);
        usage.cost_usd = (usage.tokens_in as f64 / 1000.0) * self.config.price_in_per_1k
            + (usage.tokens_out as f64 / 1000.0) * self.config.price_out_per_1k;
        let label = match &result {
            Ok(_) => "ok",
            Err(f) => f.kind(),
        };
        metrics::counter!("agent_llm_conversations_total", "outcome" => label).increment(1);
        metrics::histogram!("agent_llm_conversation_seconds")
            .record(started.elapsed().as_secs_f64());
        metrics::counter!("agent_llm_tokens_total", "kind" => "prompt").increment(usage.tokens_in);
        metrics::counter!("agent_llm_tokens_total", "kind" => "completion")
            .increment(usage.tokens_out);
        Outcome {
            result,
            usage,
            tool_calls,
        }
    }

    async fn converse(
        &self,
        client: &Client<OpenAIConfig>,
        case: &Case,
        class: &Classification,
        tools: &Toolbox,
        usage: &mut Usage,
        tool_calls: &mut Vec<ToolCall>,
    ) -> Result<Draft, Failure> {
        let schema = decision::answer_schema(case, class);
        let mut messages = vec![
            json!({"role": "system", "content": prompt::system(case, class, &schema)}),
            json!({"role": "user", "content": prompt::user(case, class)}),
        ];
        let definitions = Toolbox::definitions();
        let mut rounds = 0;
        let mut repairs = 0;
        loop {
            let tools_allowed = rounds < self.config.max_tool_rounds;
            let request = self.request(&messages, &definitions, &schema, tools_allowed);
            let response: Value = client.chat().create_byot(request).await.map_err(failure)?;
            add_usage(usage, &response);
            let message = response
                .pointer("/choices/0/message")
                .cloned()
                .ok_or_else(|| Failure::InvalidResponse("no choices[0].message".to_owned()))?;
            let calls: Vec<Value> = message
                .get("tool_calls")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if !calls.is_empty() && tools_allowed {
                let answered = call_tools(&calls, rounds, tools, case, tool_calls).await;
                messages.extend(answered);
                rounds += 1;
                continue;
            }
            let text = message
                .get("content")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            match decision::validate(&text, case, class) {
                Ok(draft) => return Ok(draft),
                Err(e) => {
                    metrics::counter!("agent_llm_invalid_answers_total", "kind" => e.kind())
                        .increment(1);
                    if repairs >= self.config.repair_attempts {
                        return Err(Failure::InvalidOutput(e.to_string()));
                    }
                    repairs += 1;
                    messages.push(json!({"role": "assistant", "content": text}));
                    messages
                        .push(json!({"role": "user", "content": prompt::repair(&e.to_string())}));
                }
            }
        }
    }

    /// The chat completion request of one turn: the conversation so far, the tools
    /// (callable while `tools_allowed`) and the answer format asked for.
    fn request(
        &self,
        messages: &[Value],
        definitions: &Value,
        schema: &Value,
        tools_allowed: bool,
    ) -> Value {
        let mut request = json!({
            "model": self.config.model,
            "messages": messages,
            "tools": definitions,
            "tool_choice": if tools_allowed { "auto" } else { "none" },
            "temperature": self.config.temperature,
            "stream": false,
        });
        match self.config.response_format {
            ResponseFormat::JsonSchema => {
                request["response_format"] = json!({"type": "json_schema", "json_schema": {
                    "name": "decision", "strict": true, "schema": schema}});
            }
            ResponseFormat::JsonObject => {
                request["response_format"] = json!({"type": "json_object"});
            }
            ResponseFormat::None => {}
        }
        request
    }
}

/// Adds the tokens a response reports (servers without `usage` count nothing).
fn add_usage(usage: &mut Usage, response: &Value) {
    if let Some(u) = response.get("usage") {
        usage.tokens_in += u.get("prompt_tokens").and_then(Value::as_u64).unwrap_or(0);
        usage.tokens_out += u
            .get("completion_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0);
    }
}

/// Runs the tool calls of round `round` (recording each in `tool_calls`) and returns
/// the messages that continue the conversation: the assistant's calls, normalized
/// (ids given, arguments as strings), then one answer per call.
async fn call_tools(
    calls: &[Value],
    round: u32,
    tools: &Toolbox,
    case: &Case,
    tool_calls: &mut Vec<ToolCall>,
) -> Vec<Value> {
    let mut normalized = Vec::with_capacity(calls.len());
    let mut results = Vec::with_capacity(calls.len());
    for (i, call) in calls.iter().enumerate() {
        let id = call
            .get("id")
            .and_then(Value::as_str)
            .map_or_else(|| format!("call_{round}_{i}"), str::to_owned);
        let name = call
            .pointer("/function/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let arguments = match call.pointer("/function/arguments") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => "{}".to_owned(),
            Some(other) => other.to_string(),
        };
        let (content, record) = tools.call(&name, &arguments, case).await;
        tool_calls.push(record);
        normalized.push(json!({"id": id, "type": "function",
            "function": {"name": name, "arguments": arguments}}));
        results.push(json!({"role": "tool", "tool_call_id": id, "content": content.to_string()}));
    }
    let mut messages =
        vec![json!({"role": "assistant", "content": Value::Null, "tool_calls": normalized})];
    messages.extend(results);
    messages
}
