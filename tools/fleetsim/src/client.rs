//! Posting readings to ingestion, with retries.
//!
//! Every simulated reading carries a deterministic `reading_id`, so a retried request
//! can never double-count: ingestion answers the repeats as duplicates. Overload and
//! outages (429, 5xx, `Retry-After`, connection errors) are retried with capped
//! exponential backoff and jitter; validation rejections (400, 413, 422) are counted,
//! not retried; authentication and routing errors (401, 403, 404, 405) abort the run,
//! since every further request would fail the same way.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use serde::Deserialize;

/// Counts of one request's readings by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Accepted.
    pub accepted: u64,
    /// Already known (same reading id).
    pub duplicates: u64,
    /// Rejected by validation.
    pub rejected: u64,
}

/// Why a post did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostError {
    /// Retrying cannot help (bad key, wrong URL); the run should stop.
    Fatal(String),
    /// Still failing after every attempt.
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
}

impl fmt::Display for PostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fatal(m) => write!(f, "ingestion refused the request: {m}"),
            Self::GaveUp { attempts, last } => {
                write!(f, "gave up after {attempts} attempts: {last}")
            }
        }
    }
}

impl std::error::Error for PostError {}

/// Retry schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included.
    pub max_attempts: u32,
    /// Delay before the first retry (doubles each time).
    pub base_delay: Duration,
    /// Longest delay between attempts (also caps `Retry-After`).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 12 attempts, 250 ms doubling to 30 s: rides out a few minutes of outage.
    fn default() -> Self {
        Self {
            max_attempts: 12,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Delay before retry number `retry` (1-based): full exponential backoff with
    /// jitter in its upper half, so shards that failed together do not retry in
    /// lock-step.
    fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1 << retry.saturating_sub(1).min(16));
        let capped = exp.min(self.max_delay);
        capped.mul_f64(rand::rng().random_range(0.5..=1.0))
    }
}

/// Ingestion's HTTP API.
#[derive(Debug, Clone)]
pub struct IngestClient {
    http: reqwest::Client,
    single_url: String,
    batch_url: String,
    obd2_url: String,
    api_key: Option<HeaderValue>,
    policy: RetryPolicy,
}

/// Problems printed per run at most, so a systematically rejected run does not flood
/// the terminal.
const PROBLEM_LOG_BUDGET: usize = 10;
static PROBLEMS_LOGGED: AtomicUsize = AtomicUsize::new(0);

fn log_problem(what: impl FnOnce() -> String) {
    if PROBLEMS_LOGGED.fetch_add(1, Ordering::Relaxed) < PROBLEM_LOG_BUDGET {
        eprintln!("fleetsim: rejected: {}", what());
    }
}

/// The lean part of a batch answer; per-reading results are only parsed when
/// something was rejected.
#[derive(Debug, Deserialize)]
pub(crate) struct BatchCounts {
    #[serde(default)]
    pub(crate) accepted: u64,
    #[serde(default)]
    pub(crate) duplicates: u64,
    #[serde(default)]
    pub(crate) rejected: u64,
}

#[derive(Debug, Deserialize)]
struct BatchResults {
    #[serde(default)]
    results: Vec<BatchItem>,
}

#[derive(Debug, Deserialize)]
struct BatchItem {
    #[serde(default)]
    index: usize,
    #[serde(default)]
    reading_id: Option<String>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    problems: Vec<Problem>,
}

#[derive(Debug, Deserialize)]
struct Problem {
    #[serde(default)]
    field: String,
    #[serde(default)]
    message: String,
}

#[derive(Debug, Deserialize)]
struct SingleAnswer {
    #[serde(default)]
    status: Option<String>,
}

/// Whether a single-reading answer says the reading was already known.
pub(crate) fn is_duplicate(answer: &[u8]) -> bool {
    serde_json::from_slice::<SingleAnswer>(answer)
        .ok()
        .and_then(|a| a.status)
        .is_some_and(|s| s == "duplicate")
}

impl IngestClient {
    /// A client for ingestion at `base_url` keeping up to `pool` idle connections.
    pub fn new(base_url: &str, api_key: Option<&str>, pool: usize) -> anyhow::Result<Self> {
        let base = base_url.trim_end_matches('/');
        reqwest::Url::parse(base).with_context(|| format!("invalid --url {base_url}"))?;
        let api_key = api_key
            .map(|k| HeaderValue::from_str(k).context("the API key is not a valid header value"))
            .transpose()?;
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(pool.max(1))
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            http,
            single_url: format!("{base}/v1/telemetry"),
            batch_url: format!("{base}/v1/telemetry/batch"),
            obd2_url: format!("{base}/v1/telemetry/obd2"),
            api_key,
            policy: RetryPolicy::default(),
        })
    }

    /// Replaces the retry policy.
    #[must_use]
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Posts `{"readings":[…]}` holding `n` readings.
    pub async fn post_batch(&self, body: Bytes, n: usize) -> Result<Counts, PostError> {
        self.post(&self.batch_url, body, n, None).await
    }

    /// Posts `{"readings":[…]}` holding `n` readings as one flow: ingestion stamps
    /// `correlation_id` (sent as `x-correlation-id`, retries included) on the events
    /// of these readings, and every service downstream carries it on.
    pub async fn post_batch_correlated(
        &self,
        body: Bytes,
        n: usize,
        correlation_id: uuid::Uuid,
    ) -> Result<Counts, PostError> {
        let id = HeaderValue::from_str(&correlation_id.to_string())
            .map_err(|e| PostError::Fatal(format!("correlation id header: {e}")))?;
        self.post(&self.batch_url, body, n, Some(&id)).await
    }

    /// Posts one reading.
    pub async fn post_one(&self, body: Bytes) -> Result<Counts, PostError> {
        self.post(&self.single_url, body, 1, None).await
    }

    /// Posts one reading as OBD-II mode-01 PIDs (`POST /v1/telemetry/obd2`).
    pub async fn post_obd2(&self, body: Bytes) -> Result<Counts, PostError> {
        self.post(&self.obd2_url, body, 1, None).await
    }

    async fn post(
        &self,
        url: &str,
        body: Bytes,
        n: usize,
        correlation_id: Option<&HeaderValue>,
    ) -> Result<Counts, PostError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self
                .http
                .post(url)
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body.clone());
            if let Some(k) = &self.api_key {
                req = req.header("x-api-key", k.clone());
            }
            if let Some(id) = correlation_id {
                req = req.header("x-correlation-id", id.clone());
            }
            let (why, retry_after) = match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let retry_after = retry_after(resp.headers());
                    match resp.bytes().await {
                        Ok(answer) => match classify(status, &answer, n) {
                            Outcome::Done(c) => return Ok(c),
                            Outcome::Fatal(m) => return Err(PostError::Fatal(m)),
                            Outcome::Retry(m) => (m, retry_after),
                        },
                        Err(e) => (format!("reading the answer: {e}"), None),
                    }
                }
                Err(e) => (transport_error(&e), None),
            };
            if attempt >= self.policy.max_attempts {
                return Err(PostError::GaveUp {
                    attempts: attempt,
                    last: why,
                });
            }
            let delay = retry_after.map_or_else(
                || self.policy.backoff(attempt),
                |d| d.min(self.policy.max_delay),
            );
            tokio::time::sleep(delay).await;
        }
    }
}

enum Outcome {
    Done(Counts),
    Retry(String),
    Fatal(String),
}

fn classify(status: StatusCode, answer: &[u8], n: usize) -> Outcome {
    let text = || String::from_utf8_lossy(&answer[..answer.len().min(300)]).into_owned();
    match status.as_u16() {
        200..=299 if n == 1 && status == StatusCode::ACCEPTED => {
            Outcome::Done(if is_duplicate(answer) {
                Counts {
                    duplicates: 1,
                    ..Counts::default()
                }
            } else {
                Counts {
                    accepted: 1,
                    ..Counts::default()
                }
            })
        }
        200..=299 => match serde_json::from_slice::<BatchCounts>(answer) {
            Ok(c) => {
                if c.rejected > 0 {
                    log_batch_problems(answer);
                }
                Outcome::Done(Counts {
                    accepted: c.accepted,
                    duplicates: c.duplicates,
                    rejected: c.rejected,
                })
            }
            // A 2xx without counts (e.g. a single-reading 200): all accepted.
            Err(_) => Outcome::Done(Counts {
                accepted: n as u64,
                ..Counts::default()
            }),
        },
        400 | 413 | 422 => {
            log_problem(|| format!("{status}: {}", text()));
            Outcome::Done(Counts {
                rejected: n as u64,
                ..Counts::default()
            })
        }
        401 | 403 | 404 | 405 => Outcome::Fatal(format!("{status}: {}", text())),
        408 | 429 | 500..=599 => Outcome::Retry(format!("{status}: {}", text())),
        _ => {
            log_problem(|| format!("unexpected {status}: {}", text()));
            Outcome::Done(Counts {
                rejected: n as u64,
                ..Counts::default()
            })
        }
    }
}

fn log_batch_problems(answer: &[u8]) {
    if PROBLEMS_LOGGED.load(Ordering::Relaxed) >= PROBLEM_LOG_BUDGET {
        return;
    }
    let Ok(r) = serde_json::from_slice::<BatchResults>(answer) else {
        return;
    };
    for item in r.results.iter().filter(|i| i.status == "rejected") {
        log_problem(|| {
            let problems: Vec<String> = item
                .problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect();
            format!(
                "reading #{} ({}): {}",
                item.index,
                item.reading_id.as_deref().unwrap_or("?"),
                problems.join("; ")
            )
        });
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by ingestion).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let secs: f64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

fn transport_error(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

#[cfg(test)]
pub(crate) mod testserver {
    //! A tiny scripted HTTP/1.1 server for tests: answers each request with the next
    //! scripted response (the last one repeats) and records the requests.

    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    /// A recorded request.
    #[derive(Debug, Clone)]
    pub(crate) struct Request {
        pub(crate) path: String,
        pub(crate) api_key: Option<String>,
        pub(crate) correlation_id: Option<String>,
        pub(crate) body: Vec<u8>,
    }

    /// A running server.
    #[derive(Debug)]
    pub(crate) struct Server {
        pub(crate) url: String,
        pub(crate) requests: Arc<Mutex<Vec<Request>>>,
    }

    /// A batch answer counting `accepted` and `duplicates` readings, none rejected.
    pub(crate) fn batch_answer(accepted: u64, duplicates: u64) -> &'static str {
        // Leaked: the script holds `'static` answers, and a test makes a handful.
        format!(r#"{{"accepted":{accepted},"duplicates":{duplicates},"rejected":0,"results":[]}}"#)
            .leak()
    }

    /// Starts a server answering every request with a batch answer accepting
    /// `accepted` readings.
    pub(crate) async fn accepting(accepted: u64) -> Server {
        start(vec![(200, "", batch_answer(accepted, 0))]).await
    }

    /// Starts a server answering with `script`: (status, extra headers, body).
    pub(crate) async fn start(script: Vec<(u16, &'static str, &'static str)>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let script = Arc::new(script);
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let seen = Arc::clone(&seen);
                let script = Arc::clone(&script);
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut r = BufReader::new(r);
                    loop {
                        let mut line = String::new();
                        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                        let mut len = 0;
                        let mut api_key = None;
                        let mut correlation_id = None;
                        loop {
                            let mut h = String::new();
                            if r.read_line(&mut h).await.unwrap_or(0) == 0 {
                                return;
                            }
                            let h = h.trim_end();
                            if h.is_empty() {
                                break;
                            }
                            let (k, v) = h.split_once(':').unwrap_or((h, ""));
                            match k.to_ascii_lowercase().as_str() {
                                "content-length" => len = v.trim().parse().unwrap_or(0),
                                "x-api-key" => api_key = Some(v.trim().to_owned()),
                                "x-correlation-id" => {
                                    correlation_id = Some(v.trim().to_owned());
                                }
                                _ => {}
                            }
                        }
                        let mut body = vec![0; len];
                        if r.read_exact(&mut body).await.is_err() {
                            return;
                        }
                        let i = {
                            let mut seen = seen.lock().expect("lock");
                            seen.push(Request {
                                path,
                                api_key,
                                correlation_id,
                                body,
                            });
                            seen.len() - 1
                        };
                        let (status, headers, answer) = script[i.min(script.len() - 1)];
                        let resp = format!(
                            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{headers}\r\n{answer}",
                            answer.len()
                        );
                        if w.write_all(resp.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Server { url, requests }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        }
    }

    /// A server that first answers 503 (retry at once), then `answer`; and a client of
    /// it with key `k1` and fast retries.
    async fn after_one_503(answer: &'static str) -> (testserver::Server, IngestClient) {
        let server =
            testserver::start(vec![(503, "retry-after: 0\r\n", "{}"), (200, "", answer)]).await;
        let client = IngestClient::new(&server.url, Some("k1"), 2)
            .expect("client")
            .with_policy(fast());
        (server, client)
    }

    #[tokio::test]
    async fn retries_503_then_counts_the_batch_answer() {
        let (server, client) = after_one_503(testserver::batch_answer(2, 1)).await;
        let c = client
            .post_batch(Bytes::from_static(b"{\"readings\":[]}"), 3)
            .await
            .expect("post");
        assert_eq!(
            c,
            Counts {
                accepted: 2,
                duplicates: 1,
                rejected: 0
            }
        );
        let reqs = server.requests.lock().expect("lock").clone();
        assert_eq!(reqs.len(), 2);
        assert!(reqs.iter().all(|r| r.path == "/v1/telemetry/batch"));
        assert_eq!(reqs[0].api_key.as_deref(), Some("k1"));
        assert_eq!(reqs[0].correlation_id, None);
        assert_eq!(
            reqs[0].body, reqs[1].body,
            "a retry re-sends the same readings"
        );
    }

    #[tokio::test]
    async fn validation_errors_are_counted_not_retried_and_auth_errors_are_fatal() {
        let server = testserver::start(vec![(
            422,
            "",
            r#"{"code":"invalid","message":"bad","problems":[]}"#,
        )])
        .await;
        let client = IngestClient::new(&server.url, None, 1)
            .expect("client")
            .with_policy(fast());
        let c = client
            .post_one(Bytes::from_static(b"{}"))
            .await
            .expect("post");
        assert_eq!(c.rejected, 1);
        assert_eq!(server.requests.lock().expect("lock").len(), 1);

        let server = testserver::start(vec![(401, "", "{}")]).await;
        let client = IngestClient::new(&server.url, None, 1)
            .expect("client")
            .with_policy(fast());
        let e = client.post_one(Bytes::from_static(b"{}")).await;
        assert!(matches!(e, Err(PostError::Fatal(_))), "{e:?}");
    }

    #[tokio::test]
    async fn gives_up_after_max_attempts() {
        let server = testserver::start(vec![(503, "", "{}")]).await;
        let client = IngestClient::new(&server.url, None, 1)
            .expect("client")
            .with_policy(fast());
        let e = client.post_one(Bytes::from_static(b"{}")).await;
        assert!(
            matches!(e, Err(PostError::GaveUp { attempts: 4, .. })),
            "{e:?}"
        );
        assert_eq!(server.requests.lock().expect("lock").len(), 4);
    }

    #[tokio::test]
    async fn a_correlated_batch_sends_its_id_on_every_attempt() {
        let (server, client) = after_one_503(testserver::batch_answer(1, 0)).await;
        let id = uuid::Uuid::new_v4();
        let c = client
            .post_batch_correlated(Bytes::from_static(b"{\"readings\":[]}"), 1, id)
            .await
            .expect("post");
        assert_eq!(c.accepted, 1);
        let reqs = server.requests.lock().expect("lock").clone();
        assert_eq!(reqs.len(), 2);
        for r in &reqs {
            assert_eq!(r.correlation_id.as_deref(), Some(id.to_string().as_str()));
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        assert!(p.backoff(1) <= Duration::from_millis(250));
        assert!(p.backoff(3) >= Duration::from_millis(500));
        assert!(p.backoff(30) <= Duration::from_secs(30));
    }
}
