//! The HTTP transport under async-openai: per-call timeout, retries with exponential
//! backoff and jitter on 429, 5xx, timeouts and connection errors, honouring
//! `Retry-After` (and OpenAI's `retry-after-ms`), all within the conversation's
//! deadline; `insufficient_quota` 429s are not retried. Counts every HTTP call.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// Longest backoff between two attempts (a `Retry-After` may ask for more; the
/// deadline caps it).
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// Why the transport gave up.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransportError {
    /// A call, or the conversation's deadline, ran out.
    #[error("timed out")]
    Timeout,
    /// The provider could not be reached.
    #[error("unreachable: {0}")]
    Connect(String),
    /// 429 after every retry (or no time left to wait for it).
    #[error("rate limited (429){}", retry_after.map(|d| format!(", retry after {} ms", d.as_millis())).unwrap_or_default())]
    RateLimited {
        /// What the provider asked for last.
        retry_after: Option<Duration>,
    },
    /// 429 `insufficient_quota`: retrying cannot help.
    #[error("quota exhausted (429 insufficient_quota)")]
    Quota,
    /// 5xx after every retry.
    #[error("provider error {status}: {body}")]
    Server {
        /// HTTP status.
        status: u16,
        /// Start of the body.
        body: String,
    },
}

/// Counters of one conversation's HTTP traffic.
#[derive(Debug, Default)]
pub struct Traffic {
    /// HTTP calls made, retries included.
    pub calls: AtomicU32,
    /// Retries.
    pub retries: AtomicU32,
}

/// A tower service executing async-openai's requests.
#[derive(Clone)]
pub struct Transport {
    http: reqwest::Client,
    max_retries: u32,
    backoff: Duration,
    deadline: Instant,
    traffic: Arc<Traffic>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("max_retries", &self.max_retries)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A transport over `http` (whose own timeout bounds each call) that retries up to
    /// `max_retries` times, first after `backoff`, never past `deadline`.
    pub fn new(
        http: reqwest::Client,
        max_retries: u32,
        backoff: Duration,
        deadline: Instant,
        traffic: Arc<Traffic>,
    ) -> Self {
        Self {
            http,
            max_retries,
            backoff,
            deadline,
            traffic,
        }
    }

    /// Sends the request `build` makes (again for each retry), retrying 429, 5xx,
    /// timeouts and connection errors; a response of any other status is returned as
    /// it is. `Err(Ok(_))`: the transport gave up; `Err(Err(_))`: building the request,
    /// or reqwest itself, failed.
    pub async fn send<B, F, E>(
        &self,
        mut build: B,
    ) -> Result<reqwest::Response, Result<TransportError, E>>
    where
        B: FnMut() -> F,
        F: Future<Output = Result<reqwest::Request, E>>,
        E: From<reqwest::Error>,
    {
        let mut attempt: u32 = 0;
        loop {
            let request = build().await.map_err(Err)?;
            let remaining = self.deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(Ok(TransportError::Timeout));
            }
            self.traffic.calls.fetch_add(1, Ordering::Relaxed);
            // Errors lose their URL: Gemini's carries the API key in its query string,
            // and a reason is stored with the decision.
            let outcome = tokio::time::timeout(remaining, self.http.execute(request))
                .await
                .map(|r| r.map_err(reqwest::Error::without_url));
            let (error, retry_after) = match outcome {
                Err(_) => (TransportError::Timeout, None),
                Ok(Err(e)) if e.is_timeout() => (TransportError::Timeout, None),
                Ok(Err(e)) if e.is_connect() => (TransportError::Connect(e.to_string()), None),
                Ok(Err(e)) => return Err(Err(E::from(e))),
                Ok(Ok(response)) => match retryable(response).await {
                    Ok(response) => return Ok(response),
                    Err((TransportError::Quota, _)) => return Err(Ok(TransportError::Quota)),
                    Err(failed) => failed,
                },
            };
            if attempt >= self.max_retries {
                return Err(Ok(error));
            }
            let delay = retry_after.unwrap_or_else(|| jittered(self.backoff, attempt));
            if Instant::now() + delay >= self.deadline {
                // Waiting would overrun the deadline: give up now, the rules answer.
                return Err(Ok(error));
            }
            attempt += 1;
            self.traffic.retries.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("agent_llm_retries_total", "reason" => reason_label(&error))
                .increment(1);
            tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, %error, "retrying the model call");
            tokio::time::sleep(delay).await;
        }
    }

    async fn execute(self, factory: HttpRequestFactory) -> Result<reqwest::Response, OpenAIError> {
        self.send(move || {
            let factory = factory.clone();
            async move { factory.build().await }
        })
        .await
        .map_err(|e| e.map_or_else(|e| e, boxed))
    }
}

/// The response, unless it is one to retry: a 429 (`Quota` when the body says
/// `insufficient_quota`, which no retry fixes, otherwise `RateLimited`) or a 5xx, with
/// the wait the provider asked for.
async fn retryable(
    response: reqwest::Response,
) -> Result<reqwest::Response, (TransportError, Option<Duration>)> {
    let status = response.status();
    if status.as_u16() != 429 && !status.is_server_error() {
        return Ok(response);
    }
    let wait = retry_after(response.headers());
    let body = response.text().await.unwrap_or_default();
    if status.as_u16() == 429 {
        if body.contains("insufficient_quota") {
            return Err((TransportError::Quota, None));
        }
        return Err((TransportError::RateLimited { retry_after: wait }, wait));
    }
    Err((
        TransportError::Server {
            status: status.as_u16(),
            body: body.chars().take(200).collect(),
        },
        wait,
    ))
}

fn reason_label(e: &TransportError) -> &'static str {
    match e {
        TransportError::Timeout => "timeout",
        TransportError::Connect(_) => "connect",
        TransportError::RateLimited { .. } => "rate_limited",
        TransportError::Quota => "quota",
        TransportError::Server { .. } => "server_error",
    }
}

fn boxed(e: TransportError) -> OpenAIError {
    OpenAIError::Boxed(Box::new(e))
}

/// `backoff × 2^attempt`, capped, with ±25 % jitter so that many vehicles' retries do
/// not arrive together.
fn jittered(backoff: Duration, attempt: u32) -> Duration {
    let base = backoff
        .saturating_mul(2u32.saturating_pow(attempt))
        .min(MAX_BACKOFF);
    let factor = 0.75 + rand::random::<f64>() * 0.5;
    base.mul_f64(factor)
}

/// `Retry-After` in seconds (or an HTTP date), or OpenAI's `retry-after-ms`.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

impl tower::Service<HttpRequestFactory> for Transport {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = Pin<Box<dyn Future<Output = Result<reqwest::Response, OpenAIError>> + Send>>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        Box::pin(self.clone().execute(factory))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", "250".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
        let mut d = HeaderMap::new();
        d.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&d), Some(Duration::ZERO), "a past date: now");
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        for attempt in 0..10 {
            let d = jittered(Duration::from_millis(500), attempt);
            let base = (500.0 * 2f64.powi(attempt as i32)).min(8_000.0);
            assert!(
                d.as_secs_f64() * 1000.0 >= base * 0.74 && d.as_secs_f64() * 1000.0 <= base * 1.26
            );
        }
    }
}
