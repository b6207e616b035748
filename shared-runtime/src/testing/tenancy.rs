//! Tenant isolation checks every service's tests share: a caller of one organization
//! who names another organization's resource must get no 2xx and exactly the answer an
//! unknown id gets (no existence leaks). The RBAC matrix (`testing::rbac`) runs this
//! comparison for every operation of a service's OpenAPI document; the probe here is
//! for requests outside it (a signed link with a forged token).

use reqwest::Method;
use serde_json::Value;

use super::client::{Answer, Credential, TestClient};

/// One request of a tenancy table: `{id}` in the path (and in string values of the
/// body) is replaced by the id under test.
#[derive(Debug, Clone)]
pub struct Probe {
    /// HTTP method.
    pub method: Method,
    /// Path template, e.g. `/v1/alerts/{id}`.
    pub path: &'static str,
    /// JSON body template, if any.
    pub body: Option<Value>,
}

impl Probe {
    /// A probe without a body.
    pub fn new(method: Method, path: &'static str) -> Self {
        Self {
            method,
            path,
            body: None,
        }
    }

    /// A probe with a JSON body.
    pub fn with_body(method: Method, path: &'static str, body: Value) -> Self {
        Self {
            method,
            path,
            body: Some(body),
        }
    }

    async fn send(&self, client: &TestClient, who: &Credential, id: &str) -> Answer {
        let values = [("id".to_owned(), id.to_owned())];
        let path = fill(self.path, &values, true);
        let body = self.body.as_ref().map(|b| fill_json(b, &values));
        client
            .call(self.method.clone(), &path, who, body.as_ref())
            .await
    }
}

pub(crate) fn encode(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~:".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `template` with each `{name}` in its strings replaced by the value of `name`.
pub(crate) fn fill_json(template: &Value, values: &[(String, String)]) -> Value {
    match template {
        Value::String(s) => Value::String(fill(s, values, false)),
        Value::Array(items) => Value::Array(items.iter().map(|v| fill_json(v, values)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill_json(v, values)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `template` with each `{name}` replaced by its value (percent-`encoded` for paths).
pub(crate) fn fill(template: &str, values: &[(String, String)], encoded: bool) -> String {
    values.iter().fold(template.to_owned(), |t, (name, value)| {
        let value = if encoded {
            encode(value)
        } else {
            value.clone()
        };
        t.replace(&format!("{{{name}}}"), &value)
    })
}

/// Sends `probe` as `who` (labelled `label` in failures) with another organization's
/// id `foreign` and with the unknown id `unknown`; panics unless both answer the same
/// status and body (with the id swapped) and neither is a 2xx. Returns the answer.
pub async fn assert_foreign_like_unknown(
    client: &TestClient,
    label: &str,
    who: &Credential,
    probe: &Probe,
    foreign: &str,
    unknown: &str,
) -> Answer {
    let to_foreign = probe.send(client, who, foreign).await;
    let to_unknown = probe.send(client, who, unknown).await;
    let what = format!("{label}: {} {}", probe.method, probe.path);
    assert!(
        !(200..300).contains(&to_foreign.status),
        "{what} with another organization's id {foreign} answered {}: {}",
        to_foreign.status,
        to_foreign.body
    );
    assert!(
        alike(&to_foreign, &to_unknown, &[(foreign, unknown)]),
        "{what} tells another organization's id from an unknown one:\n  foreign {foreign}: {} {}\n  unknown {unknown}: {} {}",
        to_foreign.status,
        to_foreign.body,
        to_unknown.status,
        to_unknown.body
    );
    to_foreign
}

/// Whether the answer about another organization's resource equals the answer about an
/// unknown one: the same status and the same body once each foreign id of `swaps` is
/// replaced by its unknown counterpart (messages may name the id asked about).
pub fn alike(foreign: &Answer, unknown: &Answer, swaps: &[(&str, &str)]) -> bool {
    let text = swaps
        .iter()
        .fold(foreign.body.to_string(), |t, (f, u)| t.replace(f, u));
    let swapped: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    foreign.status == unknown.status && swapped == unknown.body
}
