//! The model provider: OpenAI-compatible chat completions with tool calling through
//! async-openai (OpenAI, vLLM, Ollama, llama.cpp server…) ([`compat`]), or a native
//! protocol through rig-core: Anthropic Messages, Gemini, Ollama's `/api/chat`
//! ([`native`]), chosen by `AGENT_LLM_PROVIDER`.
//!
//! One conversation per decision: the worker's system prompt and the case, then up to
//! `max_tool_rounds` turns in which the model may call tools, then its final JSON
//! answer, validated against the decision schema and the severity bounds; an answer
//! that does not validate is sent back with the error `repair_attempts` times. Every
//! HTTP call goes through [`transport::Transport`] (timeouts, retries, `Retry-After`),
//! and the whole conversation through the deadline. Tokens are summed from each
//! response's `usage` and priced per 1,000.
//!
//! The loop, its bounds, the validation and the accounting are the same whatever the
//! protocol: each protocol only turns the conversation into requests and replies into
//! text, tool calls and token counts.

mod compat;
mod native;
pub mod prompt;
pub mod transport;

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::config::LlmConfig;
use crate::domain::case::Case;
use crate::domain::decision::{self, Draft, ToolCall};
use crate::domain::orchestrator::Classification;
use crate::tools::Toolbox;
use compat::Compat;
use native::Native;
use transport::{Traffic, Transport};

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

    fn transport(&self, deadline: tokio::time::Instant, traffic: Arc<Traffic>) -> Transport {
        Transport::new(
            self.http.clone(),
            self.config.max_retries,
            self.config.backoff,
            deadline,
            traffic,
        )
    }

    /// The conversation of `case` on the configured protocol, before its first turn.
    fn dialogue(&self, case: &Case, class: &Classification, transport: Transport) -> Dialogue {
        let schema = decision::answer_schema(case, class);
        let system = prompt::system(case, class, &schema);
        let user = prompt::user(case, class);
        match native::model(&self.config, transport.clone()) {
            Some(model) => Dialogue::Native(Native::new(
                model,
                self.config.protocol,
                system,
                user,
                &Toolbox::definitions(),
            )),
            None => Dialogue::Compat(Compat::new(&self.config, transport, system, user, schema)),
        }
    }

    /// Runs the conversation of `case`, within the deadline.
    pub async fn decide(&self, case: &Case, class: &Classification, tools: &Toolbox) -> Outcome {
        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + self.config.deadline;
        let traffic = Arc::new(Traffic::default());
        let mut dialogue =
            self.dialogue(case, class, self.transport(deadline, Arc::clone(&traffic)));
        let mut usage = Usage::default();
        let mut tool_calls = Vec::new();
        let result = match tokio::time::timeout_at(
            deadline,
            self.converse(
                &mut dialogue,
                case,
                class,
                tools,
                &mut usage,
                &mut tool_calls,
            ),
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

    /// The bounded loop, the same on every protocol: tool rounds while allowed, then
    /// the answer, validated, sent back `repair_attempts` times when it does not.
    async fn converse(
        &self,
        dialogue: &mut Dialogue,
        case: &Case,
        class: &Classification,
        tools: &Toolbox,
        usage: &mut Usage,
        tool_calls: &mut Vec<ToolCall>,
    ) -> Result<Draft, Failure> {
        let mut rounds = 0;
        let mut repairs = 0;
        loop {
            let tools_allowed = rounds < self.config.max_tool_rounds;
            let reply = dialogue.turn(&self.config, tools_allowed).await?;
            usage.tokens_in += reply.tokens_in;
            usage.tokens_out += reply.tokens_out;
            if !reply.calls.is_empty() && tools_allowed {
                let mut results = Vec::with_capacity(reply.calls.len());
                for call in &reply.calls {
                    let (content, record) = tools.call(&call.name, &call.arguments, case).await;
                    tool_calls.push(record);
                    results.push(content.to_string());
                }
                dialogue.answer_tools(rounds, results);
                rounds += 1;
                continue;
            }
            match decision::validate(&reply.text, case, class) {
                Ok(draft) => return Ok(draft),
                Err(e) => {
                    metrics::counter!("agent_llm_invalid_answers_total", "kind" => e.kind())
                        .increment(1);
                    if repairs >= self.config.repair_attempts {
                        return Err(Failure::InvalidOutput(e.to_string()));
                    }
                    repairs += 1;
                    dialogue.repair(&reply.text, &e.to_string());
                }
            }
        }
    }
}

/// A tool call the model asked for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RequestedCall {
    /// The tool.
    pub(crate) name: String,
    /// Its JSON arguments, as text.
    pub(crate) arguments: String,
}

/// One model turn, whatever the protocol.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    /// The answer text (empty when it only called tools).
    pub(crate) text: String,
    /// The tools it called, in order.
    pub(crate) calls: Vec<RequestedCall>,
    /// Prompt tokens the provider reported (0 when it reports none).
    pub(crate) tokens_in: u64,
    /// Completion tokens.
    pub(crate) tokens_out: u64,
}

/// A conversation on one protocol.
enum Dialogue {
    Compat(Compat),
    Native(Native),
}

impl Dialogue {
    async fn turn(&mut self, config: &LlmConfig, tools_allowed: bool) -> Result<Reply, Failure> {
        match self {
            Self::Compat(c) => c.turn(config, tools_allowed).await,
            Self::Native(n) => n.turn(config, tools_allowed).await,
        }
    }

    fn answer_tools(&mut self, round: u32, results: Vec<String>) {
        match self {
            Self::Compat(c) => c.answer_tools(round, results),
            Self::Native(n) => n.answer_tools(results),
        }
    }

    fn repair(&mut self, text: &str, error: &str) {
        match self {
            Self::Compat(c) => c.repair(text, error),
            Self::Native(n) => n.repair(text, error),
        }
    }
}
