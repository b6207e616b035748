//! Native provider protocols through rig-core (ADR 0006): Anthropic Messages, Google
//! Gemini `generateContent` and Ollama's `/api/chat`. rig-core encodes each request and
//! decodes each reply (messages, tool calls, usage); every byte goes through our
//! [`Transport`] (per-call timeout, retries with backoff and `Retry-After`, the
//! conversation's deadline, call counting), which rig-core takes as its HTTP client.
//! The conversation loop, its bounds, the validation and the fallback stay the
//! agent's (`super`).

use std::future::Future;

use bytes::Bytes;
use rig_core::DynModel;
use rig_core::completion::{CompletionRequest, CompletionResponse, ToolDefinition};
use rig_core::http_client::{
    self, HttpClientExt, LazyBody, MultipartForm, Request, Response, StreamingResponse,
};
use rig_core::message::{Message, ToolChoice, ToolName, ToolResultContent};
use rig_core::operation::Completion;
use rig_core::providers::anthropic::AnthropicConfig;
use rig_core::providers::gemini::GeminiConfig;
use rig_core::providers::ollama::OllamaConfig;
use serde_json::Value;

use super::transport::{Transport, TransportError};
use super::{Failure, Reply, RequestedCall};
use crate::config::{LlmConfig, Protocol};

/// rig-core's HTTP client: our transport.
#[derive(Clone)]
struct Http(Transport);

/// A request reqwest could not take (the error rig-core sees).
struct Unsent(Box<http_client::Error>);

impl From<reqwest::Error> for Unsent {
    fn from(e: reqwest::Error) -> Self {
        Self(Box::new(http_client::Error::instance(e)))
    }
}

fn unsupported(what: &str) -> http_client::Error {
    http_client::Error::Instance(
        format!("the agent's transport sends unary JSON requests only, not {what}").into(),
    )
}

/// The reqwest request of rig-core's (built again for each attempt).
fn request(parts: &http::request::Parts, body: &Bytes) -> Result<reqwest::Request, Unsent> {
    let url = reqwest::Url::parse(&parts.uri.to_string())
        .map_err(|e| Unsent(Box::new(http_client::Error::instance(e))))?;
    let mut r = reqwest::Request::new(parts.method.clone(), url);
    *r.headers_mut() = parts.headers.clone();
    *r.body_mut() = Some(reqwest::Body::from(body.clone()));
    Ok(r)
}

impl HttpClientExt for Http {
    fn send<T, U>(
        &self,
        req: Request<T>,
    ) -> impl Future<Output = http_client::Result<Response<LazyBody<U>>>> + Send + 'static
    where
        T: Into<Bytes> + Send,
        U: From<Bytes> + Send + 'static,
    {
        let transport = self.0.clone();
        let (parts, body) = req.into_parts();
        let body: Bytes = body.into();
        async move {
            let build = move || std::future::ready(request(&parts, &body));
            let response = transport.send(build).await.map_err(|e| match e {
                // Kept whole so that the agent tells a timeout from a rate limit.
                Ok(gave_up) => http_client::Error::instance(gave_up),
                Err(Unsent(e)) => *e,
            })?;
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = response
                .bytes()
                .await
                .map_err(|e| http_client::Error::instance(e.without_url()))?;
            let mut reply = Response::builder().status(status);
            if let Some(h) = reply.headers_mut() {
                *h = headers;
            }
            let lazy: LazyBody<U> = Box::pin(async move { Ok(U::from(bytes)) });
            reply.body(lazy).map_err(http_client::Error::Protocol)
        }
    }

    fn send_multipart<U>(
        &self,
        _req: Request<MultipartForm>,
    ) -> impl Future<Output = http_client::Result<Response<LazyBody<U>>>> + Send + 'static
    where
        U: From<Bytes> + Send + 'static,
    {
        std::future::ready(Err(unsupported("multipart")))
    }

    fn send_streaming<T>(
        &self,
        _req: Request<T>,
    ) -> impl Future<Output = http_client::Result<StreamingResponse>> + Send
    where
        T: Into<Bytes> + Send,
    {
        std::future::ready(Err(unsupported("streams")))
    }
}

/// The completion model of `config` on `transport`; `None` for the OpenAI-compatible
/// protocol (async-openai's).
pub(crate) fn model(config: &LlmConfig, transport: Transport) -> Option<DynModel<Completion>> {
    let http = Http(transport);
    let key = config
        .api_key
        .as_ref()
        .map(|k| k.expose().to_owned())
        .unwrap_or_default();
    let base = config.base_url.trim_end_matches('/');
    Some(match config.protocol {
        Protocol::OpenAi => return None,
        Protocol::Anthropic => AnthropicConfig::new(key)
            .with_base_url(base)
            .connect(http)
            .completion(&config.model)
            .erase(),
        Protocol::Gemini => GeminiConfig::new(key)
            .with_base_url(base)
            .connect(http)
            .completion(&config.model)
            .erase(),
        Protocol::Ollama => {
            let mut c = OllamaConfig::new().with_base_url(base);
            if !key.is_empty() {
                c = c.with_api_key(key);
            }
            c.connect(http).native_completion(&config.model).erase()
        }
    })
}

/// One native conversation: rig-core's messages so far and the last reply.
pub(crate) struct Native {
    model: DynModel<Completion>,
    protocol: Protocol,
    history: Vec<Message>,
    tools: Vec<ToolDefinition>,
    last: Option<CompletionResponse>,
}

/// Our tool definitions (OpenAI's function shape) as rig-core's.
fn definitions(openai: &Value) -> Vec<ToolDefinition> {
    openai
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let f = t.get("function")?;
            let name = ToolName::new(f.get("name")?.as_str()?).ok()?;
            let description = f.get("description").and_then(Value::as_str).unwrap_or("");
            Some(ToolDefinition::new(
                name,
                description,
                f.get("parameters").cloned().unwrap_or(Value::Null),
            ))
        })
        .collect()
}

/// What rig-core's error means for the decision.
fn failure(e: &rig_core::ProviderError) -> Failure {
    use rig_core::ProviderError as E;
    let gave_up = match e {
        E::Http(h) => match h.as_ref() {
            http_client::Error::Instance(inner) => inner.downcast_ref::<TransportError>(),
            _ => None,
        },
        _ => None,
    };
    match (gave_up, e) {
        (Some(TransportError::Timeout), _) => Failure::Timeout,
        (Some(TransportError::RateLimited { .. }), _) => Failure::RateLimited,
        (Some(other), _) => Failure::Provider(other.to_string()),
        (None, E::Json(_) | E::Response(_)) => Failure::InvalidResponse(short(&e.to_string())),
        (None, _) => Failure::Provider(short(&e.to_string())),
    }
}

fn short(s: &str) -> String {
    s.chars().take(300).collect()
}

impl Native {
    /// A conversation with `model` that starts with the worker's prompt.
    pub(crate) fn new(
        model: DynModel<Completion>,
        protocol: Protocol,
        system: String,
        user: String,
        tools: &Value,
    ) -> Self {
        Self {
            model,
            protocol,
            history: vec![Message::system(system), Message::user(user)],
            tools: definitions(tools),
            last: None,
        }
    }

    /// One model turn; tools are offered while `tools_allowed`.
    pub(crate) async fn turn(
        &mut self,
        config: &LlmConfig,
        tools_allowed: bool,
    ) -> Result<Reply, Failure> {
        let mut request = CompletionRequest::new(Message::user(String::new()));
        request.chat_history = self.history.clone();
        request.temperature = Some(f64::from(config.temperature));
        request.max_tokens = Some(config.max_tokens);
        // Ollama has no tool choice: tools are simply not offered once spent.
        // Anthropic and Gemini keep the definitions (the history refers to them).
        match (tools_allowed, self.protocol) {
            (true, _) => {
                request.tools = self.tools.clone();
                request.tool_choice = Some(ToolChoice::Auto);
            }
            (false, Protocol::Ollama) => {}
            (false, _) => {
                request.tools = self.tools.clone();
                request.tool_choice = Some(ToolChoice::None);
            }
        }
        let response = self.model.call(request).await.map_err(|e| failure(&e))?;
        let calls = response
            .tool_calls()
            .map(|c| RequestedCall {
                name: c.function.name.to_string(),
                arguments: c
                    .function
                    .invalid_arguments
                    .clone()
                    .unwrap_or_else(|| Value::Object(c.function.arguments.clone()).to_string()),
            })
            .collect();
        let reply = Reply {
            text: response.text(),
            calls,
            tokens_in: response.usage.input_tokens.unwrap_or(0),
            tokens_out: response.usage.output_tokens.unwrap_or(0),
        };
        self.last = Some(response);
        Ok(reply)
    }

    /// Continues after the last reply's tool calls with their `results`, in order.
    pub(crate) fn answer_tools(&mut self, results: Vec<String>) {
        let Some(last) = self.last.take() else {
            return;
        };
        let answers = last
            .tool_calls()
            .zip(results)
            .map(|(call, content)| call.result(vec![ToolResultContent::text(content)]))
            .collect();
        self.history.extend(last.message());
        self.history.push(Message::tool_results(answers));
    }

    /// Sends an answer that did not validate back with the error.
    pub(crate) fn repair(&mut self, text: &str, error: &str) {
        self.history.push(Message::assistant(text));
        self.history
            .push(Message::user(super::prompt::repair(error)));
    }
}
