//! Part of the RBAC matrix (see the parent module): which operations the document
//! has, the row and fixture of each, and what does not match up.

use serde_json::Value;

use super::policy::{Expect, Row};
use super::{Matrix, Request};

/// One operation to check.
pub(super) struct Planned<'m> {
    pub(super) row: &'m Row,
    pub(super) request: Option<&'m Request>,
}

/// A documented operation.
struct Documented {
    method: String,
    path: String,
    bearer: bool,
    body: bool,
}

/// The operations of `openapi`, in document order.
fn documented(openapi: &Value) -> Vec<Documented> {
    let mut out = Vec::new();
    let paths = openapi["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in &paths {
        for (method, op) in item.as_object().into_iter().flatten() {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let requirements = op
                .get("security")
                .or_else(|| openapi.get("security"))
                .and_then(Value::as_array);
            let bearer = requirements
                .into_iter()
                .flatten()
                .any(|r| r.get("bearer").is_some());
            out.push(Documented {
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                bearer,
                body: op.get("requestBody").is_some(),
            });
        }
    }
    out
}

/// The operations to check, each with its row and fixture, and every mismatch between
/// the document, the rows and the fixture.
pub(super) fn plan<'m>(m: &'m Matrix<'_>, rows: &'m [Row]) -> (Vec<Planned<'m>>, Vec<String>) {
    let ops = documented(m.openapi);
    let mut plan = Vec::new();
    let mut problems = Vec::new();
    for op in &ops {
        let what = format!("{} {}", op.method, op.path);
        let Some(row) = rows
            .iter()
            .find(|r| r.method == op.method && r.path == op.path)
        else {
            problems.push(format!(
                "{what} is in the OpenAPI document but has no row under `## {}` in docs/rbac.md",
                m.service
            ));
            continue;
        };
        let request = m
            .requests
            .iter()
            .find(|r| r.method.as_str() == op.method && r.path == op.path);
        let role_based = row.cells.iter().all(|c| *c != Expect::NotBearer);
        if role_based != op.bearer {
            problems.push(if op.bearer {
                format!("docs/rbac.md line {}: {what} takes a bearer token; its cells must be statuses, not `-`", row.line)
            } else {
                format!("docs/rbac.md line {}: {what} is not called with a bearer token; its cells must be `-`", row.line)
            });
            continue;
        }
        if role_based && op.body && request.is_none_or(|r| r.body.is_none()) {
            problems.push(format!(
                "{what} takes a request body; give one in the matrix fixture"
            ));
            continue;
        }
        plan.push(Planned { row, request });
    }
    for row in rows {
        if !ops
            .iter()
            .any(|o| o.method == row.method && o.path == row.path)
        {
            problems.push(format!(
                "docs/rbac.md line {}: {} {} is not an operation of the OpenAPI document",
                row.line, row.method, row.path
            ));
        }
    }
    for r in &m.requests {
        if !ops
            .iter()
            .any(|o| o.method == r.method.as_str() && o.path == r.path)
        {
            problems.push(format!(
                "the matrix fixture has a request for {} {}, which the OpenAPI document lacks",
                r.method, r.path
            ));
        }
    }
    (plan, problems)
}
