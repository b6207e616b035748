//! Tenant isolation checks every service's tests share: a caller of one organization
//! who names another organization's resource must get no 2xx and exactly the answer an
//! unknown id gets (no existence leaks), and every operation that takes an id must be
//! in a service's probe table.

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
        let path = self.path.replace("{id}", &encode(id));
        let body = self.body.as_ref().map(|b| substitute(b, id));
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

fn substitute(template: &Value, id: &str) -> Value {
    match template {
        Value::String(s) => Value::String(s.replace("{id}", id)),
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, id)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute(v, id)))
                .collect(),
        ),
        other => other.clone(),
    }
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

/// Panics naming every operation of the OpenAPI document `openapi` that takes a path
/// parameter and no probe of `probes` exercises, unless listed in `exempt` (as
/// `(method, path)`, e.g. a signed link that authenticates by its own token). A probe
/// exercises the operation whose path template it fits best (`{id}` or a literal value
/// where the template has a parameter).
pub fn assert_probes_cover(openapi: &Value, probes: &[Probe], exempt: &[(&str, &str)]) {
    let mut operations: Vec<(String, String)> = Vec::new();
    let paths = openapi["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in &paths {
        if path.contains('{') {
            for method in item.as_object().into_iter().flat_map(|o| o.keys()) {
                operations.push((method.clone(), path.clone()));
            }
        }
    }
    let mut covered = vec![false; operations.len()];
    let used = probes
        .iter()
        .map(|p| (p.method.as_str().to_ascii_lowercase(), p.path))
        .chain(exempt.iter().map(|(m, p)| (m.to_ascii_lowercase(), *p)));
    for (method, path) in used {
        let best = operations
            .iter()
            .enumerate()
            .filter(|(_, (m, _))| *m == method)
            .filter_map(|(i, (_, template))| fit(template, path).map(|score| (score, i)))
            .max();
        if let Some((_, i)) = best {
            covered[i] = true;
        }
    }
    let missing: Vec<String> = operations
        .iter()
        .zip(&covered)
        .filter(|(_, c)| !**c)
        .map(|((m, p), _)| format!("{} {p}", m.to_ascii_uppercase()))
        .collect();
    assert!(
        missing.is_empty(),
        "operations taking an id without a tenancy probe (add them to the service's tenancy test): {missing:?}"
    );
}

/// How well `path` fits `template`: `None` if it does not, else the number of literal
/// segments that match exactly.
fn fit(template: &str, path: &str) -> Option<usize> {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    if t.len() != p.len() {
        return None;
    }
    let mut exact = 0;
    for (ts, ps) in t.iter().zip(&p) {
        if ts == ps {
            exact += 1;
        } else if !ts.starts_with('{') {
            return None;
        }
    }
    Some(exact)
}
