//! Part of the RBAC matrix (see the parent module): calling one operation as every
//! role in every case and comparing with its row.

use std::time::Duration;

use serde_json::Value;

use super::coverage::Planned;
use super::policy::{Expect, ROLES, Scope};
use super::{Caller, Case, Matrix, role_name};
use crate::auth::Role;
use crate::testing::client::Answer;
use crate::testing::tenancy::{alike, fill, fill_json};

/// A request that gets no answer in this long is a failure.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Failure reports show at most this much of a body.
const SNIPPET_CHARS: usize = 240;

/// `(name, value)` of each parameter, or `(used, unknown)` id pairs.
type Pairs = Vec<(String, String)>;

/// A request ready to send.
#[derive(Debug, Clone, PartialEq)]
struct Built {
    path: String,
    body: Option<Value>,
}

/// Sends the calls and collects the mismatches.
pub(super) struct Runner<'m, 'a> {
    m: &'m Matrix<'a>,
    http: reqwest::Client,
    pub(super) problems: Vec<String>,
    pub(super) requests: usize,
}

/// The cases run for `role` on an operation of `scope`: "other" only where it can
/// differ from "own" (owners' vehicles and collections, technicians' centers).
fn cases(scope: Scope, role: Role) -> Vec<Case> {
    let other = match role {
        Role::Owner => matches!(scope, Scope::Vehicle | Scope::None),
        Role::Technician => scope == Scope::Center,
        _ => false,
    };
    if other {
        vec![Case::Own, Case::Other, Case::Foreign]
    } else {
        vec![Case::Own, Case::Foreign]
    }
}

fn describe(c: &Caller, case: Case) -> String {
    let what = match case {
        Case::Own => "own",
        Case::Other => "other (same organization, another vehicle/center)",
        Case::Foreign => "foreign (another organization)",
        Case::Unknown => "unknown ids (another organization)",
    };
    format!("as {} of {} [{what}]", role_name(c.role), c.org)
}

fn snippet(a: &Answer) -> String {
    let text = a.body.to_string();
    match text.char_indices().nth(SNIPPET_CHARS) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

impl<'m, 'a> Runner<'m, 'a> {
    pub(super) fn new(m: &'m Matrix<'a>) -> Self {
        Self {
            m,
            http: reqwest::Client::builder()
                .timeout(TIMEOUT)
                .build()
                .expect("an HTTP client"),
            problems: Vec::new(),
            requests: 0,
        }
    }

    /// Every role, every case of one operation.
    pub(super) async fn operation(&mut self, op: &Planned<'_>) {
        for role in ROLES {
            match op.row.expect(role) {
                Expect::NotBearer => self.not_bearer(op, role).await,
                Expect::Status { inside, outside } => {
                    for case in cases(op.row.scope, role) {
                        let expected = if case == Case::Own { inside } else { outside };
                        self.case(op, role, case, expected).await;
                    }
                }
            }
        }
    }

    /// A `-` operation called with `role`'s token: no success, unless the same call
    /// without any token gets the very same answer (a public document such as a key
    /// set): the token adds nothing.
    async fn not_bearer(&mut self, op: &Planned<'_>, role: Role) {
        let caller = Caller::of(&self.m.world, role, Case::Own);
        let built = Self::build(op, &self.values(op).await);
        let got = self.send(op, &built, Some(&caller)).await;
        if !(200..300).contains(&got.status) {
            return;
        }
        let anonymous = self.send(op, &built, None).await;
        if anonymous != got {
            let why = format!(
                "no 2xx for a bearer token, or the answer without one ({} {})",
                anonymous.status,
                snippet(&anonymous)
            );
            self.problem(op, &caller, Case::Own, &why, &got);
        }
    }

    /// One call, compared with `expected`; for a foreign call that must fail, the
    /// same call with unknown ids too.
    async fn case(&mut self, op: &Planned<'_>, role: Role, case: Case, expected: u16) {
        let caller = Caller::of(&self.m.world, role, case);
        let values = self.values(op).await;
        let built = Self::build(op, &values);
        let got = self.send(op, &built, Some(&caller)).await;
        if got.status != expected {
            self.problem(op, &caller, case, &expected.to_string(), &got);
        }
        let reaches_all = matches!(role, Role::Admin | Role::Service);
        if case != Case::Own && !reaches_all && (200..300).contains(&got.status) {
            let text = got.body.to_string();
            if let Some(leak) = self.m.private.iter().find(|p| text.contains(p.as_str())) {
                let why = format!("nothing of {}'s (it shows {leak})", self.m.world.org);
                self.problem(op, &caller, case, &why, &got);
            }
        }
        // A foreign call that failed as it should: an unknown id must fail alike.
        if case != Case::Foreign || (200..300).contains(&expected) || got.status != expected {
            return;
        }
        let (unknown_values, swaps) = self.unknown(&values);
        let unknown = Self::build(op, &unknown_values);
        if unknown == built {
            return;
        }
        let to_unknown = self.send(op, &unknown, Some(&caller)).await;
        let pairs: Vec<(&str, &str)> = swaps
            .iter()
            .map(|(f, u)| (f.as_str(), u.as_str()))
            .collect();
        if !alike(&got, &to_unknown, &pairs) {
            let why = format!(
                "the answer an unknown id gets ({} {})",
                to_unknown.status,
                snippet(&to_unknown)
            );
            self.problem(op, &caller, Case::Unknown, &why, &got);
        }
    }

    /// The parameter values of a call: the fixture's own, renewed when the operation
    /// consumes its resource.
    async fn values(&self, op: &Planned<'_>) -> Pairs {
        let mut values: Pairs = self
            .m
            .params
            .iter()
            .map(|p| (p.name.clone(), p.own.clone()))
            .collect();
        if let Some(renew) = op.request.and_then(|r| r.renew.as_ref()) {
            for (name, value) in renew().await {
                values.retain(|(n, _)| *n != name);
                values.push((name, value));
            }
        }
        values
    }

    /// `values` with every id replaced by its unknown counterpart, and the (used,
    /// unknown) pairs.
    fn unknown(&self, values: &[(String, String)]) -> (Pairs, Pairs) {
        let mut swaps = Vec::new();
        let replaced = values
            .iter()
            .map(|(name, value)| {
                match self
                    .m
                    .params
                    .iter()
                    .find(|p| p.name == *name && p.own != p.unknown)
                {
                    Some(p) => {
                        swaps.push((value.clone(), p.unknown.clone()));
                        (name.clone(), p.unknown.clone())
                    }
                    None => (name.clone(), value.clone()),
                }
            })
            .collect();
        (replaced, swaps)
    }

    /// The request with `values` in the path, query and body.
    fn build(op: &Planned<'_>, values: &[(String, String)]) -> Built {
        let mut path = fill(&op.row.path, values, true);
        if let Some(q) = op.request.and_then(|r| r.query.as_deref()) {
            path = format!("{path}?{}", fill(q, values, false));
        }
        let body = op
            .request
            .and_then(|r| r.body.as_ref())
            .map(|b| fill_json(b, values));
        Built { path, body }
    }

    /// Sends `built` with `caller`'s token (none without a caller); an event stream's
    /// body is not read.
    async fn send(&mut self, op: &Planned<'_>, built: &Built, caller: Option<&Caller>) -> Answer {
        self.requests += 1;
        let url = format!(
            "{}{}",
            self.m.client.base().trim_end_matches('/'),
            built.path
        );
        let method = reqwest::Method::from_bytes(op.row.method.as_bytes())
            .expect("the policy's methods are HTTP methods");
        let mut request = self.http.request(method, url);
        if let Some(caller) = caller {
            request = request.bearer_auth((self.m.mint)(caller));
        }
        if let Some(body) = &built.body {
            request = request.json(body);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                return Answer {
                    status: 0,
                    body: Value::String(format!("no answer: {e}")),
                };
            }
        };
        let status = response.status().as_u16();
        let streams = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/event-stream"));
        if streams {
            return Answer {
                status,
                body: Value::Null,
            };
        }
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, body }
    }

    fn problem(
        &mut self,
        op: &Planned<'_>,
        caller: &Caller,
        case: Case,
        expected: &str,
        got: &Answer,
    ) {
        self.problems.push(format!(
            "{} {} {} (docs/rbac.md line {}): expected {expected}, got {} {}",
            op.row.method,
            op.row.path,
            describe(caller, case),
            op.row.line,
            got.status,
            snippet(got)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn other_is_run_only_where_it_can_differ_from_own() {
        assert_eq!(cases(Scope::Vehicle, Role::Owner).len(), 3);
        assert_eq!(cases(Scope::None, Role::Owner).len(), 3);
        assert_eq!(cases(Scope::Org, Role::Owner).len(), 2);
        assert_eq!(cases(Scope::Center, Role::Technician).len(), 3);
        assert_eq!(cases(Scope::Vehicle, Role::Technician).len(), 2);
        assert_eq!(
            cases(Scope::Vehicle, Role::FleetManager),
            [Case::Own, Case::Foreign]
        );
    }

    #[test]
    fn placeholders_are_filled_encoded_in_paths_and_plain_in_bodies() {
        let values = vec![("vehicle_id".to_owned(), "VH 1/2".to_owned())];
        assert_eq!(
            fill("/v1/vehicles/{vehicle_id}/health", &values, true),
            "/v1/vehicles/VH%201%2F2/health"
        );
        assert_eq!(
            fill_json(
                &json!({"v": "{vehicle_id}", "n": [1, "{vehicle_id}"]}),
                &values
            ),
            json!({"v": "VH 1/2", "n": [1, "VH 1/2"]})
        );
    }
}
