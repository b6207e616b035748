//! An HTTP client for integration tests: one call shape for every service, with the
//! caller's credential, answering status and body.

use reqwest::Method;
use serde_json::Value;

/// Who a request is from.
#[derive(Debug, Clone)]
pub enum Credential {
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// A device's `x-api-key`.
    DeviceKey(String),
    /// Nothing.
    Anonymous,
}

/// What a service answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body as JSON (`Value::String` of the text when it is not JSON).
    pub body: Value,
}

impl Answer {
    /// The body's `message` (error bodies), or the whole body as text.
    pub fn message(&self) -> String {
        self.body
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| self.body.to_string(), str::to_owned)
    }
}

/// A client of one service at `base` (`http://127.0.0.1:<port>`).
#[derive(Debug, Clone)]
pub struct TestClient {
    base: String,
    http: reqwest::Client,
}

impl TestClient {
    /// A client of the service at `base`.
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            base: base.into(),
            http: reqwest::Client::new(),
        }
    }

    /// The service's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `method path` with `body` (JSON) as `who`; panics only when the service cannot
    /// be reached.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        who: &Credential,
        body: Option<&Value>,
    ) -> Answer {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        request = match who {
            Credential::Bearer(token) => request.bearer_auth(token),
            Credential::DeviceKey(key) => request.header("x-api-key", key),
            Credential::Anonymous => request,
        };
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, body }
    }

    /// `GET path` with a bearer token.
    pub async fn get_as(&self, path: &str, token: &str) -> Answer {
        self.call(
            Method::GET,
            path,
            &Credential::Bearer(token.to_owned()),
            None,
        )
        .await
    }

    /// `POST path` with a JSON body and a bearer token.
    pub async fn post_as(&self, path: &str, token: &str, body: &Value) -> Answer {
        let who = Credential::Bearer(token.to_owned());
        self.call(Method::POST, path, &who, Some(body)).await
    }
}
