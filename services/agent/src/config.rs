//! Agent settings from the environment.

use std::time::Duration;

use shared_runtime::config::{self, CommonConfig, ConfigError, Secret};

/// Service port from docs/domain.md.
pub const DEFAULT_PORT: u16 = 8003;

/// The wire protocol the model provider speaks (`AGENT_LLM_PROVIDER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OpenAI-compatible chat completions through async-openai (OpenAI, vLLM,
    /// llama.cpp server, Ollama's `/v1`, gateways): the default, and any provider
    /// name other than the three below.
    OpenAi,
    /// Anthropic Messages (`/v1/messages`) through rig-core.
    Anthropic,
    /// Google Gemini `generateContent` through rig-core.
    Gemini,
    /// Ollama's native `/api/chat` through rig-core.
    Ollama,
}

impl Protocol {
    /// The protocol a provider name asks for: `anthropic`, `gemini` and `ollama`
    /// are native; any other name is OpenAI-compatible.
    pub fn of(provider: &str) -> Self {
        match provider {
            "anthropic" => Self::Anthropic,
            "gemini" => Self::Gemini,
            "ollama" => Self::Ollama,
            _ => Self::OpenAi,
        }
    }

    /// The public API root of a native provider (`None`: OpenAI-compatible servers
    /// have no single default).
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Self::OpenAi => None,
            Self::Anthropic => Some("https://api.anthropic.com"),
            Self::Gemini => Some("https://generativelanguage.googleapis.com"),
            Self::Ollama => Some("http://127.0.0.1:11434"),
        }
    }
}

/// The model provider, when one is configured (`AGENT_LLM_MODEL` set, with
/// `AGENT_LLM_BASE_URL` unless the provider is native).
#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// `AGENT_LLM_BASE_URL`: the API root. OpenAI-compatible: the API base, e.g.
    /// `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1` (Ollama),
    /// `http://127.0.0.1:8000/v1` (vLLM), `http://127.0.0.1:8080/v1` (llama.cpp).
    /// Native: the root without a version (default `https://api.anthropic.com`,
    /// `https://generativelanguage.googleapis.com`, `http://127.0.0.1:11434`).
    pub base_url: String,
    /// `AGENT_LLM_MODEL`.
    pub model: String,
    /// `AGENT_LLM_API_KEY` (optional for local servers; never logged).
    pub api_key: Option<Secret>,
    /// `AGENT_LLM_PROVIDER`: the name recorded with decisions (default: the base URL's
    /// host, e.g. `api.openai.com`); `anthropic`, `gemini` and `ollama` also choose
    /// that provider's native protocol.
    pub provider: String,
    /// The protocol, from the provider name.
    pub protocol: Protocol,
    /// `AGENT_LLM_MAX_TOKENS`: most tokens of one answer, for the native protocols
    /// (Anthropic requires it; default 2,048).
    pub max_tokens: u64,
    /// `AGENT_LLM_TIMEOUT_MS`: one HTTP call (default 20,000).
    pub call_timeout: Duration,
    /// `AGENT_LLM_DEADLINE_MS`: the whole model conversation of one decision, retries
    /// and tools included (default 60,000). Past it the rules answer.
    pub deadline: Duration,
    /// `AGENT_LLM_MAX_RETRIES`: retries of one call on 429, 5xx, timeouts and connection
    /// errors (default 3).
    pub max_retries: u32,
    /// `AGENT_LLM_BACKOFF_MS`: first retry delay, doubled each time with jitter, capped
    /// at 8 s; a `Retry-After` header wins when present (default 500).
    pub backoff: Duration,
    /// `AGENT_LLM_MAX_TOOL_ROUNDS`: model turns that may call tools before it must answer
    /// (default 4).
    pub max_tool_rounds: u32,
    /// `AGENT_LLM_REPAIR_ATTEMPTS`: times an answer that does not validate is sent back
    /// with the validation error (default 1).
    pub repair_attempts: u32,
    /// `AGENT_LLM_RESPONSE_FORMAT`: `json_schema` (default), `json_object` or `none`
    /// (the schema is in the prompt either way), for servers without structured output.
    pub response_format: ResponseFormat,
    /// `AGENT_LLM_PRICE_IN_PER_1K`: USD per 1,000 prompt tokens (default 0).
    pub price_in_per_1k: f64,
    /// `AGENT_LLM_PRICE_OUT_PER_1K`: USD per 1,000 completion tokens (default 0).
    pub price_out_per_1k: f64,
    /// `AGENT_LLM_TEMPERATURE` (default 0.1).
    pub temperature: f32,
}

/// How the final answer's format is requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFormat {
    /// `response_format: {type: json_schema, strict: true}`.
    JsonSchema,
    /// `response_format: {type: json_object}`.
    JsonObject,
    /// Nothing: the prompt alone asks for the JSON.
    None,
}

impl std::str::FromStr for ResponseFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json_schema" => Ok(Self::JsonSchema),
            "json_object" => Ok(Self::JsonObject),
            "none" => Ok(Self::None),
            _ => Err("expected json_schema, json_object or none".to_owned()),
        }
    }
}

/// Everything the agent reads from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Settings every service shares.
    pub common: CommonConfig,
    /// The model provider; `None`: the rule-based diagnoser decides everything.
    pub llm: Option<LlmConfig>,
    /// `AGENT_HEALTH_URL`: the health service (default `http://127.0.0.1:8002`).
    pub health_url: String,
    /// `AGENT_SCHEDULING_URL`: the scheduling service, when deployed (open
    /// appointments, booking options); unset: those tools answer "not available".
    pub scheduling_url: Option<String>,
    /// `AGENT_WARRANTY_URL`: the warranty service, when deployed (the vehicle's claim
    /// history); unset: the tool answers "not available".
    pub warranty_url: Option<String>,
    /// `AGENT_TOOL_TIMEOUT_MS`: one tool call to another service (default 2,000).
    pub tool_timeout: Duration,
    /// `AGENT_CONCURRENCY`: vehicles decided at once (default 16); one vehicle's events
    /// are always decided one after the other.
    pub concurrency: usize,
    /// `AGENT_BATCH`: events read per stream and call (default 64).
    pub batch: usize,
    /// `AGENT_CONSUMERS`: consumers of the group in this process (default 4); a consumer
    /// waiting on a slow model call stops reading and the others take the new events.
    pub consumers: usize,
    /// `AGENT_RECLAIM_IDLE_MS`: events pending this long on a dead consumer are taken
    /// over (default 600,000; must exceed a batch's worst case, which with a model is
    /// a few deadlines).
    pub reclaim_idle: Duration,
    /// `AGENT_CURRENCY`: ISO 4217 code of the cost table (default `USD`).
    pub currency: String,
    /// `AGENT_INBOX_RETENTION_DAYS`: how long applied-event marks are kept (default 14;
    /// longer than any redelivery can take; decisions stay unique per trigger anyway).
    pub inbox_retention_days: i64,
    /// `AGENT_REVIEW_MIN_WINDOW_MS`: an escalated decision's review is due at the end
    /// of its urgency window, and never sooner than this (default 3,600,000: an hour,
    /// for decisions to act on now).
    pub review_min_window: Duration,
    /// `AGENT_REVIEW_CHECK_MS`: how often reviews are checked for being overdue
    /// (default 60,000).
    pub review_check_every: Duration,
}

impl Config {
    /// Reads the configuration; the error names the offending variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env(DEFAULT_PORT)?,
            llm: LlmConfig::from_env()?,
            health_url: config::or("AGENT_HEALTH_URL", "http://127.0.0.1:8002".to_owned())?,
            scheduling_url: Some(config::or("AGENT_SCHEDULING_URL", String::new())?)
                .filter(|s| !s.is_empty()),
            warranty_url: Some(config::or("AGENT_WARRANTY_URL", String::new())?)
                .filter(|s| !s.is_empty()),
            tool_timeout: config::millis("AGENT_TOOL_TIMEOUT_MS", 2_000)?,
            concurrency: config::positive("AGENT_CONCURRENCY", 16)?,
            batch: config::positive("AGENT_BATCH", 64)?,
            consumers: config::positive("AGENT_CONSUMERS", 4)?,
            reclaim_idle: config::millis("AGENT_RECLAIM_IDLE_MS", 600_000)?,
            currency: config::or("AGENT_CURRENCY", "USD".to_owned())?,
            inbox_retention_days: config::or("AGENT_INBOX_RETENTION_DAYS", 14)?,
            review_min_window: config::millis("AGENT_REVIEW_MIN_WINDOW_MS", 3_600_000)?,
            review_check_every: config::millis("AGENT_REVIEW_CHECK_MS", 60_000)?,
        })
    }
}

impl LlmConfig {
    /// The provider settings, `None` unless both `AGENT_LLM_BASE_URL` and
    /// `AGENT_LLM_MODEL` are set (one without the other is an error).
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        let mut base_url: String = config::or("AGENT_LLM_BASE_URL", String::new())?;
        let model: String = config::or("AGENT_LLM_MODEL", String::new())?;
        let named: String = config::or("AGENT_LLM_PROVIDER", String::new())?;
        let protocol = Protocol::of(&named);
        if base_url.is_empty() && !model.is_empty() {
            base_url = protocol.default_base_url().unwrap_or_default().to_owned();
        }
        match (base_url.is_empty(), model.is_empty()) {
            (true, true) => return Ok(None),
            (false, true) => return Err(ConfigError::Missing("AGENT_LLM_MODEL".to_owned())),
            (true, false) => return Err(ConfigError::Missing("AGENT_LLM_BASE_URL".to_owned())),
            (false, false) => {}
        }
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(ConfigError::Invalid {
                name: "AGENT_LLM_BASE_URL".to_owned(),
                value: base_url,
                reason: "must be an http:// or https:// URL".to_owned(),
            });
        }
        let api_key = config::secret("AGENT_LLM_API_KEY").ok();
        let mut c = Self::new(base_url, model, api_key);
        if !named.is_empty() {
            c.provider = named;
        }
        c.protocol = protocol;
        c.max_tokens = config::or("AGENT_LLM_MAX_TOKENS", 2_048)?;
        c.call_timeout = config::millis("AGENT_LLM_TIMEOUT_MS", 20_000)?;
        c.deadline = config::millis("AGENT_LLM_DEADLINE_MS", 60_000)?;
        c.max_retries = config::or("AGENT_LLM_MAX_RETRIES", 3)?;
        c.backoff = config::millis("AGENT_LLM_BACKOFF_MS", 500)?;
        c.max_tool_rounds = config::or("AGENT_LLM_MAX_TOOL_ROUNDS", 4)?;
        c.repair_attempts = config::or("AGENT_LLM_REPAIR_ATTEMPTS", 1)?;
        c.response_format = config::or("AGENT_LLM_RESPONSE_FORMAT", ResponseFormat::JsonSchema)?;
        c.price_in_per_1k = config::or("AGENT_LLM_PRICE_IN_PER_1K", 0.0)?;
        c.price_out_per_1k = config::or("AGENT_LLM_PRICE_OUT_PER_1K", 0.0)?;
        c.temperature = config::or("AGENT_LLM_TEMPERATURE", 0.1)?;
        Ok(Some(c))
    }

    /// Settings with the defaults above.
    pub fn new(base_url: String, model: String, api_key: Option<Secret>) -> Self {
        Self {
            provider: host_of(&base_url),
            protocol: Protocol::OpenAi,
            max_tokens: 2_048,
            base_url,
            model,
            api_key,
            call_timeout: Duration::from_secs(20),
            deadline: Duration::from_secs(60),
            max_retries: 3,
            backoff: Duration::from_millis(500),
            max_tool_rounds: 4,
            repair_attempts: 1,
            response_format: ResponseFormat::JsonSchema,
            price_in_per_1k: 0.0,
            price_out_per_1k: 0.0,
            temperature: 0.1,
        }
    }
}

/// `https://api.openai.com/v1` → `api.openai.com`.
fn host_of(url: &str) -> String {
    url.split("://")
        .nth(1)
        .unwrap_or(url)
        .split(['/', '?'])
        .next()
        .unwrap_or("llm")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::{Protocol, host_of};

    #[test]
    fn the_provider_name_chooses_the_protocol() {
        assert_eq!(Protocol::of("anthropic"), Protocol::Anthropic);
        assert_eq!(Protocol::of("gemini"), Protocol::Gemini);
        assert_eq!(Protocol::of("ollama"), Protocol::Ollama);
        // Any other name is a label on the OpenAI-compatible path, as before.
        assert_eq!(Protocol::of("vllm"), Protocol::OpenAi);
        assert_eq!(Protocol::of(""), Protocol::OpenAi);
        assert_eq!(Protocol::OpenAi.default_base_url(), None);
        assert_eq!(
            Protocol::Ollama.default_base_url(),
            Some("http://127.0.0.1:11434")
        );
    }

    #[test]
    fn provider_name_is_the_host() {
        assert_eq!(host_of("https://api.openai.com/v1"), "api.openai.com");
        assert_eq!(host_of("http://127.0.0.1:11434/v1"), "127.0.0.1:11434");
    }
}
