//! Hostile input against every operation of a service's OpenAPI document.
//!
//! Each service's integration tests call [`probe`] against their running app. The
//! OpenAPI document drives it, so a new operation, parameter or body field is probed
//! the day it is documented, without anyone writing a test for it. It sends control
//! characters, invalid UTF-8, huge texts, arrays and numbers, malformed and deeply
//! nested JSON, and checks that the service never answers 5xx (or not at all), and that
//! control characters are refused with a 4xx naming the field: what Postgres would
//! otherwise refuse with an internal error, or store and hand to every consumer.
//!
//! Two quirks of utoipa-generated documents are handled: query parameters of an
//! `IntoParams` struct are often declared `in: path` (a parameter is taken as a path
//! parameter only when the path template has `{name}`), and nullable types are
//! `type: [T, "null"]` or `oneOf: [.., {type: null}]`.

use std::time::Duration;

use futures::stream::{self, StreamExt};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::client::{Credential, TestClient};

/// Requests in flight at once: enough to be quick, few enough not to starve the app's
/// database pool (tests use 8 connections).
const CONCURRENCY: usize = 8;
/// A request that gets no answer in this long is a failure (an endpoint that streams
/// forever belongs in [`Target::skip`]).
const TIMEOUT: Duration = Duration::from_secs(60);
/// The key of the one entry put in every map (`additionalProperties`) of an example.
const MAP_KEY: &str = "probe_key";
/// Stands for a raw JSON literal (`1e400`) that `serde_json::Value` cannot hold; it is
/// replaced in the serialized text.
const RAW: &str = "__hostile_raw_literal__";
/// Schemas nest at most this deep in an example (recursive schemas end in `null`).
const MAX_DEPTH: usize = 32;
/// Failure reports show at most this much of an answer's body.
const SNIPPET_CHARS: usize = 300;
/// Characters left as they are in URLs; everything else is percent-encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A running service and how to reach its operations.
#[derive(Debug)]
pub struct Target<'a> {
    /// The service (only its base URL is used).
    pub client: &'a TestClient,
    /// Its OpenAPI 3.1 document.
    pub openapi: &'a Value,
    /// Credential per OpenAPI security scheme name (`bearer`, `device_key`); operations
    /// whose schemes have no credential here are skipped (and listed in the report).
    /// Operations without security requirements are called anonymously.
    pub credentials: Vec<(&'a str, Credential)>,
    /// Values for path parameters by name: ids that exist and that the credential may
    /// use, so that body cases reach the body check. Default: an example of the
    /// parameter's schema (a fresh UUID for `format: uuid`, the first value of an enum),
    /// `X-1` for plain text.
    pub path_values: Vec<(&'a str, String)>,
    /// Operations not to probe, as (method, path), e.g. `("get", "/v1/alerts/stream")`
    /// for an event stream that never ends.
    pub skip: Vec<(&'a str, &'a str)>,
    /// Operations that judge each item of a batch on its own and answer 2xx with a
    /// verdict per item (ingestion's batch): for them a 2xx whose body names the field
    /// (or says `rejected`) refuses the input as well as a 4xx does.
    pub per_item: Vec<(&'a str, &'a str)>,
}

impl<'a> Target<'a> {
    /// A target with no credentials, default path values and nothing skipped.
    pub fn new(client: &'a TestClient, openapi: &'a Value) -> Self {
        Self {
            client,
            openapi,
            credentials: Vec::new(),
            path_values: Vec::new(),
            skip: Vec::new(),
            per_item: Vec::new(),
        }
    }
}

/// What a successful [`probe`] did, so a test can check that it probed something.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Operations probed.
    pub operations: usize,
    /// Requests sent.
    pub requests: usize,
    /// Operations not probed, each `METHOD /path (why)`.
    pub skipped: Vec<String>,
}

/// Sends hostile input to every operation of `target.openapi` (see the module docs) and
/// panics listing every failure: method, path, case, status and body. A failure is a
/// 5xx, no answer at all (the server crashed or hung), or a control character that was
/// not refused with a 4xx naming the field.
pub async fn probe(target: &Target<'_>) -> Report {
    let (operations, skipped) = operations(target);
    let base = target.client.base().trim_end_matches('/');
    let cases: Vec<Case> = operations
        .iter()
        .enumerate()
        .flat_map(|(index, op)| cases(target, index, op, base))
        .collect();
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .expect("an HTTP client with a timeout");
    let requests = cases.len();
    let mut failures: Vec<(usize, String)> = stream::iter(cases.into_iter().enumerate())
        .map(|(n, case)| {
            let http = &http;
            let op = &operations[case.op];
            async move { run(http, op, &case).await.map(|why| (n, why)) }
        })
        .buffer_unordered(CONCURRENCY)
        .filter_map(|failure| async move { failure })
        .collect()
        .await;
    failures.sort_by_key(|(n, _)| *n);
    if !failures.is_empty() {
        let mut report = format!(
            "hostile input: {} of {requests} requests to {} operations failed:\n",
            failures.len(),
            operations.len()
        );
        for (i, (_, why)) in failures.iter().enumerate() {
            report.push_str(&format!("{:>4}. {why}\n", i + 1));
        }
        panic!("{report}");
    }
    Report {
        operations: operations.len(),
        requests,
        skipped,
    }
}

// ---------------------------------------------------------------- operations

/// One documented operation, with the credential it is called with.
struct Operation<'d> {
    method: Method,
    path: String,
    path_params: Vec<Param<'d>>,
    query_params: Vec<Param<'d>>,
    /// The `application/json` request body's schema.
    body: Option<&'d Value>,
    who: Credential,
    /// Answers 2xx with a verdict per item ([`Target::per_item`]).
    per_item: bool,
}

/// A path or query parameter.
struct Param<'d> {
    name: String,
    schema: &'d Value,
    required: bool,
}

/// Every operation of the document that can be called, and those that cannot (or must
/// not) be, with the reason.
fn operations<'d>(target: &Target<'d>) -> (Vec<Operation<'d>>, Vec<String>) {
    let doc = target.openapi;
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return (found, vec!["the document has no `paths`".to_owned()]);
    };
    for (path, item) in paths {
        for (name, method) in METHODS {
            let Some(op) = item.get(*name).filter(|op| op.is_object()) else {
                continue;
            };
            let label = format!("{method} {path}");
            if target
                .skip
                .iter()
                .any(|(m, p)| m.eq_ignore_ascii_case(name) && p == path)
            {
                skipped.push(format!("{label} (skip list)"));
                continue;
            }
            let who = match credential(target, op) {
                Ok(who) => who,
                Err(why) => {
                    skipped.push(format!("{label} ({why})"));
                    continue;
                }
            };
            let (path_params, query_params) = parameters(doc, path, item, op);
            let body = op
                .pointer("/requestBody/content/application~1json/schema")
                .map(|s| resolve(doc, s));
            let per_item = target
                .per_item
                .iter()
                .any(|(m, p)| m.eq_ignore_ascii_case(name) && p == path);
            found.push(Operation {
                method: method.clone(),
                path: path.clone(),
                path_params,
                query_params,
                body,
                who,
                per_item,
            });
        }
    }
    (found, skipped)
}

/// The HTTP methods an OpenAPI path item may hold, as named there.
const METHODS: &[(&str, Method)] = &[
    ("get", Method::GET),
    ("put", Method::PUT),
    ("post", Method::POST),
    ("delete", Method::DELETE),
    ("patch", Method::PATCH),
];

/// The credential to call `op` with: anonymous without security requirements (own or
/// the document's), else the first requirement whose scheme has a credential; `Err`
/// names the schemes lacking one.
fn credential(target: &Target<'_>, op: &Value) -> Result<Credential, String> {
    let requirements = op
        .get("security")
        .or_else(|| target.openapi.get("security"))
        .and_then(Value::as_array);
    let Some(requirements) = requirements.filter(|r| !r.is_empty()) else {
        return Ok(Credential::Anonymous);
    };
    let mut wanted = Vec::new();
    for requirement in requirements {
        let Some(schemes) = requirement.as_object() else {
            continue;
        };
        let Some(scheme) = schemes.keys().next() else {
            return Ok(Credential::Anonymous);
        };
        match target.credentials.iter().find(|(name, _)| name == scheme) {
            Some((_, who)) => return Ok(who.clone()),
            None => wanted.push(scheme.as_str()),
        }
    }
    Err(format!("no credential for {}", wanted.join(" or ")))
}

/// The path and query parameters of `op` (and of its path item). A parameter declared
/// `in: path` whose name is not in the template is a query parameter (utoipa declares an
/// `IntoParams` struct's fields that way unless told otherwise).
fn parameters<'d>(
    doc: &'d Value,
    path: &str,
    item: &'d Value,
    op: &'d Value,
) -> (Vec<Param<'d>>, Vec<Param<'d>>) {
    let declared = [item, op]
        .into_iter()
        .filter_map(|o| o.get("parameters").and_then(Value::as_array))
        .flatten()
        .map(|p| resolve(doc, p));
    let (mut in_path, mut in_query) = (Vec::new(), Vec::new());
    for param in declared {
        let Some(name) = param.get("name").and_then(Value::as_str) else {
            continue;
        };
        let param_in = param.get("in").and_then(Value::as_str).unwrap_or("");
        let templated = path.contains(&format!("{{{name}}}"));
        let entry = Param {
            name: name.to_owned(),
            schema: param
                .get("schema")
                .map_or(&Value::Null, |s| resolve(doc, s)),
            required: param.get("required").and_then(Value::as_bool) == Some(true),
        };
        match param_in {
            "path" if templated => in_path.push(entry),
            "path" | "query" => in_query.push(entry),
            _ => {}
        }
    }
    (in_path, in_query)
}

// ---------------------------------------------------------------- cases

/// One request to send and what its answer must be.
struct Case {
    /// Index of the operation in the list.
    op: usize,
    label: String,
    url: String,
    body: Option<Vec<u8>>,
    expect: Expect,
}

/// What an answer must be (never a 5xx, whatever the case).
enum Expect {
    /// Anything but a 5xx.
    NotServerError,
    /// A 4xx.
    ClientError,
    /// A 4xx whose body names one of these (any 4xx when empty).
    Naming(Vec<String>),
}

/// The valid-looking request every case of an operation starts from.
struct Baseline {
    /// Path parameters, percent-encoded.
    path: Vec<(String, String)>,
    /// Required query parameters, percent-encoded.
    query: Vec<(String, String)>,
    /// Example body and where its mutable parts are.
    body: Option<(Value, Vec<Site>)>,
}

impl Baseline {
    fn new(target: &Target<'_>, op: &Operation<'_>) -> Self {
        let doc = target.openapi;
        let path = op
            .path_params
            .iter()
            .map(|p| {
                let given = target.path_values.iter().find(|(n, _)| *n == p.name);
                let text = given.map_or_else(|| example_text(doc, p.schema), |(_, v)| v.clone());
                (p.name.clone(), encode(&text))
            })
            .collect();
        let query = op
            .query_params
            .iter()
            .filter(|p| p.required)
            .map(|p| (p.name.clone(), encode(&example_text(doc, p.schema))))
            .collect();
        let body = op.body.map(|schema| {
            let mut builder = Builder {
                doc,
                sites: Vec::new(),
            };
            let example = builder.build(schema, &mut Vec::new(), 0);
            (example, builder.sites)
        });
        Self { path, query, body }
    }

    /// The URL with `path_override` (name, encoded value) in place of a path parameter
    /// and `query_override` set (replacing a required one of the same name).
    fn url(
        &self,
        base: &str,
        op: &Operation<'_>,
        path_override: Option<(&str, &str)>,
        query_override: Option<(&str, &str)>,
    ) -> String {
        let mut path = op.path.clone();
        for (name, value) in &self.path {
            let value = match path_override {
                Some((n, v)) if n == name => v,
                _ => value,
            };
            path = path.replace(&format!("{{{name}}}"), value);
        }
        let mut query: Vec<String> = self
            .query
            .iter()
            .filter(|(name, _)| query_override.is_none_or(|(n, _)| n != name))
            .map(|(name, value)| format!("{}={value}", encode(name)))
            .collect();
        if let Some((name, value)) = query_override {
            query.push(format!("{}={value}", encode(name)));
        }
        if query.is_empty() {
            format!("{base}{path}")
        } else {
            format!("{base}{path}?{}", query.join("&"))
        }
    }

    /// The example body, serialized (none when the operation takes none).
    fn body_bytes(&self) -> Option<Vec<u8>> {
        self.body
            .as_ref()
            .map(|(example, _)| serde_json::to_vec(example).expect("a JSON value serializes"))
    }
}

/// Every case of operation `index`: the example request, then hostile path parameters,
/// query parameters and bodies.
fn cases(target: &Target<'_>, index: usize, op: &Operation<'_>, base: &str) -> Vec<Case> {
    let baseline = Baseline::new(target, op);
    let mut out = Vec::new();
    // A DELETE of the example would remove what `path_values` names for other cases.
    if op.method != Method::DELETE {
        out.push(Case {
            op: index,
            label: "the example request".to_owned(),
            url: baseline.url(base, op, None, None),
            body: baseline.body_bytes(),
            expect: Expect::NotServerError,
        });
    }
    out.extend(path_cases(index, op, &baseline, base));
    out.extend(query_cases(target.openapi, index, op, &baseline, base));
    if let Some((example, sites)) = &baseline.body {
        let url = baseline.url(base, op, None, None);
        let mut body = site_cases(example, sites);
        body.extend(whole_body_cases(example, sites, op.body));
        out.extend(body.into_iter().map(|(label, bytes, expect)| Case {
            op: index,
            label,
            url: url.clone(),
            body: Some(bytes),
            expect,
        }));
    }
    out
}

/// Hostile texts for a URL component: label, percent-encoded value, whether it holds a
/// control character (which must be refused naming the parameter).
fn url_texts() -> Vec<(&'static str, String, bool)> {
    vec![
        ("NUL", encode("a\u{0}b"), true),
        ("ESC", encode("a\u{1b}b"), true),
        ("invalid UTF-8", "%FF%FE".to_owned(), false),
        ("100,000 chars", "x".repeat(100_000), false),
    ]
}

/// Each path parameter replaced by hostile text.
fn path_cases(index: usize, op: &Operation<'_>, baseline: &Baseline, base: &str) -> Vec<Case> {
    let mut texts = url_texts();
    texts.push(("10,000 chars", "x".repeat(10_000), false));
    let mut out = Vec::new();
    for param in &op.path_params {
        for (label, value, control) in &texts {
            out.push(Case {
                op: index,
                label: format!("path parameter `{}` = {label}", param.name),
                url: baseline.url(base, op, Some((&param.name, value)), None),
                body: baseline.body_bytes(),
                expect: naming_if(*control, &param.name),
            });
        }
    }
    out
}

/// Each query parameter set to hostile text (and numeric parameters to numbers out of
/// range).
fn query_cases(
    doc: &Value,
    index: usize,
    op: &Operation<'_>,
    baseline: &Baseline,
    base: &str,
) -> Vec<Case> {
    let mut out = Vec::new();
    for param in &op.query_params {
        let mut texts = url_texts();
        if matches!(
            primary_type(resolve(doc, param.schema)),
            "integer" | "number"
        ) {
            for n in ["1e400", "-1", "99999999999999999999999"] {
                texts.push((n, n.to_owned(), false));
            }
        }
        for (label, value, control) in &texts {
            out.push(Case {
                op: index,
                label: format!("query parameter `{}` = {label}", param.name),
                url: baseline.url(base, op, None, Some((&param.name, value))),
                body: baseline.body_bytes(),
                expect: naming_if(*control, &param.name),
            });
        }
    }
    out
}

/// A 4xx naming `name` for a control character, else anything but a 5xx.
fn naming_if(control: bool, name: &str) -> Expect {
    if control {
        Expect::Naming(vec![name.to_owned()])
    } else {
        Expect::NotServerError
    }
}

/// Percent-encodes `text` for a path segment or query component.
fn encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

// ---------------------------------------------------------------- bodies

/// A step into a JSON value.
#[derive(Debug, Clone)]
enum Seg {
    /// A declared property.
    Key(String),
    /// An entry of a map (`additionalProperties`).
    Entry(String),
    /// An array item.
    Index(usize),
}

/// What can be mutated at a place in the example body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Integer,
    Number,
    Array,
    Map,
}

/// A mutable place in the example body.
#[derive(Debug, Clone)]
struct Site {
    path: Vec<Seg>,
    kind: Kind,
}

/// Builds a valid-looking example of a schema, noting every place worth mutating.
struct Builder<'d> {
    doc: &'d Value,
    sites: Vec<Site>,
}

impl Builder<'_> {
    /// An example of `schema` at `path`: every property (required or not), one array
    /// item, one map entry, the first enum value or branch, non-null when nullable.
    fn build(&mut self, schema: &Value, path: &mut Vec<Seg>, depth: usize) -> Value {
        let schema = resolve(self.doc, schema);
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        let fixed = schema
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.iter().find(|v| !v.is_null()))
            .or_else(|| schema.get("const"));
        if let Some(value) = fixed {
            if value.is_string() {
                self.note(path, Kind::Text);
            }
            return value.clone();
        }
        if let Some(branch) = first_branch(self.doc, schema) {
            return self.build(branch, path, depth + 1);
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            let mut merged = Map::new();
            for part in parts {
                if let Value::Object(fields) = self.build(part, path, depth + 1) {
                    merged.extend(fields);
                }
            }
            return Value::Object(merged);
        }
        match primary_type(schema) {
            "string" => {
                self.note(path, Kind::Text);
                Value::String(text_example(schema))
            }
            "integer" => {
                self.note(path, Kind::Integer);
                json!(1)
            }
            "number" => {
                self.note(path, Kind::Number);
                json!(1.0)
            }
            "boolean" => Value::Bool(true),
            "array" => self.array(schema, path, depth),
            "object" => self.object(schema, path, depth),
            _ => Value::Null,
        }
    }

    /// An array of one example item.
    fn array(&mut self, schema: &Value, path: &mut Vec<Seg>, depth: usize) -> Value {
        self.note(path, Kind::Array);
        let items = schema.get("items").unwrap_or(&Value::Null);
        path.push(Seg::Index(0));
        let item = self.build(items, path, depth + 1);
        path.pop();
        Value::Array(vec![item])
    }

    /// An object with every declared property, and one [`MAP_KEY`] entry when it is a
    /// map (`additionalProperties` is a schema).
    fn object(&mut self, schema: &Value, path: &mut Vec<Seg>, depth: usize) -> Value {
        let mut fields = Map::new();
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                path.push(Seg::Key(name.clone()));
                fields.insert(name.clone(), self.build(property, path, depth + 1));
                path.pop();
            }
        }
        if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            self.note(path, Kind::Map);
            path.push(Seg::Entry(MAP_KEY.to_owned()));
            fields.insert(MAP_KEY.to_owned(), self.build(values, path, depth + 1));
            path.pop();
        }
        Value::Object(fields)
    }

    fn note(&mut self, path: &[Seg], kind: Kind) {
        self.sites.push(Site {
            path: path.to_vec(),
            kind,
        });
    }
}

/// What replaces a site's value.
enum Replacement {
    Value(Value),
    /// JSON text `serde_json::Value` cannot hold (`1e400`, `18446744073709551616`).
    Raw(&'static str),
}

/// The mutations of every site of the example: label, body, expectation.
fn site_cases(example: &Value, sites: &[Site]) -> Vec<(String, Vec<u8>, Expect)> {
    let mut out = Vec::new();
    for site in sites {
        let at = display(&site.path);
        let mut add = |what: &str, replacement: Replacement, expect: Expect| {
            let body = mutated(example, &site.path, replacement);
            out.push((format!("body `{at}` = {what}"), body, expect));
        };
        match site.kind {
            Kind::Text => {
                for (what, text) in [("NUL", "a\u{0}b"), ("ESC", "a\u{1b}b")] {
                    let value = Replacement::Value(Value::String(text.to_owned()));
                    add(what, value, Expect::Naming(names(&site.path)));
                }
                for n in [10_000, 100_000] {
                    let value = Replacement::Value(Value::String("x".repeat(n)));
                    add(&format!("{n} chars"), value, Expect::NotServerError);
                }
            }
            Kind::Integer | Kind::Number => {
                let mut literals = vec!["1e308", "-1e308", "18446744073709551616", "1e400"];
                if site.kind == Kind::Integer {
                    literals.push("1.5");
                }
                for literal in literals {
                    add(literal, Replacement::Raw(literal), Expect::NotServerError);
                }
            }
            Kind::Array => {
                let item = lookup(example, &site.path).and_then(|a| a.get(0)).cloned();
                let items = vec![item.unwrap_or(Value::Null); 10_000];
                let value = Replacement::Value(Value::Array(items));
                add("10,000 items", value, Expect::NotServerError);
            }
            Kind::Map => {
                let mut map = lookup(example, &site.path).cloned().unwrap_or(json!({}));
                if let Value::Object(entries) = &mut map {
                    let value = entries.get(MAP_KEY).cloned().unwrap_or(Value::Null);
                    entries.insert("a\u{0}b".to_owned(), value);
                }
                let expect = Expect::Naming(names(&site.path));
                add("a key with NUL", Replacement::Value(map), expect);
            }
        }
    }
    out
}

/// Malformed bodies, each to be refused with a 4xx.
fn whole_body_cases(
    example: &Value,
    sites: &[Site],
    schema: Option<&Value>,
) -> Vec<(String, Vec<u8>, Expect)> {
    let root_type = schema.map_or("", primary_type);
    let mut bodies: Vec<(&str, Vec<u8>)> = vec![
        ("invalid UTF-8", b"\xFF\xFE{}".to_vec()),
        ("not JSON", b"this is not JSON".to_vec()),
        ("nested 10,000 deep", nested(10_000)),
        ("empty", Vec::new()),
    ];
    if root_type != "array" {
        bodies.push(("[]", b"[]".to_vec()));
    }
    if !schema.is_some_and(nullable) {
        bodies.push(("null", b"null".to_vec()));
    }
    if let Some(site) = sites.iter().find(|s| s.kind == Kind::Text) {
        let mut text = mutated(example, &site.path, Replacement::Raw("\"\u{1}\""));
        // The control character stands in for invalid bytes inside the string.
        if let Some(at) = text.iter().position(|b| *b == 1) {
            text.splice(at..=at, [0xFF, 0xFE]);
        }
        bodies.push(("invalid UTF-8 in a string", text));
    }
    if let Some((key, value)) = example.as_object().and_then(|o| o.iter().next()) {
        let text = serde_json::to_string(example).expect("a JSON value serializes");
        let first = serde_json::to_string(&json!({ key: value })).expect("serializes");
        let duplicated = format!("{},{}", first.trim_end_matches('}'), &text[1..]);
        bodies.push(("a duplicate key", duplicated.into_bytes()));
    }
    bodies
        .into_iter()
        .map(|(what, bytes)| (format!("body {what}"), bytes, Expect::ClientError))
        .collect()
}

/// `[[[…]]]`, `depth` levels deep.
fn nested(depth: usize) -> Vec<u8> {
    let mut text = "[".repeat(depth).into_bytes();
    text.extend(std::iter::repeat_n(b']', depth));
    text
}

/// The example with the value at `path` replaced, as JSON text.
fn mutated(example: &Value, path: &[Seg], replacement: Replacement) -> Vec<u8> {
    let mut value = example.clone();
    let (new, raw) = match replacement {
        Replacement::Value(v) => (v, None),
        Replacement::Raw(literal) => (Value::String(RAW.to_owned()), Some(literal)),
    };
    if let Some(slot) = value.pointer_mut(&pointer(path)) {
        *slot = new;
    }
    let text = serde_json::to_string(&value).expect("a JSON value serializes");
    match raw {
        Some(literal) => text
            .replacen(&format!("\"{RAW}\""), literal, 1)
            .into_bytes(),
        None => text.into_bytes(),
    }
}

fn lookup<'v>(example: &'v Value, path: &[Seg]) -> Option<&'v Value> {
    example.pointer(&pointer(path))
}

/// `path` as a JSON pointer (RFC 6901).
fn pointer(path: &[Seg]) -> String {
    path.iter()
        .map(|seg| match seg {
            Seg::Key(k) | Seg::Entry(k) => format!("/{}", k.replace('~', "~0").replace('/', "~1")),
            Seg::Index(i) => format!("/{i}"),
        })
        .collect()
}

/// `path` as the services name fields: `readings[0].dtcs[0].code`, `body` for the root.
fn display(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) | Seg::Entry(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) | Seg::Entry(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        "body".to_owned()
    } else {
        out
    }
}

/// The names an error about the value at `path` may use: the last property or map key
/// (the array's name for an item), and for a map entry also the map's name. Empty for
/// the root.
fn names(path: &[Seg]) -> Vec<String> {
    let mut named = path.iter().rev().filter_map(|seg| match seg {
        Seg::Key(k) => Some((k, false)),
        Seg::Entry(k) => Some((k, true)),
        Seg::Index(_) => None,
    });
    let mut out = Vec::new();
    if let Some((name, entry)) = named.next() {
        out.push(name.clone());
        if entry && let Some((outer, _)) = named.next() {
            out.push(outer.clone());
        }
    }
    out
}

// ---------------------------------------------------------------- schemas

/// `schema` with `$ref`s to `#/components/...` followed (at most 32 hops, against
/// cycles).
fn resolve<'d>(doc: &'d Value, mut schema: &'d Value) -> &'d Value {
    for _ in 0..32 {
        let Some(target) = schema.get("$ref").and_then(Value::as_str) else {
            break;
        };
        match target.strip_prefix('#').and_then(|p| doc.pointer(p)) {
            Some(next) => schema = next,
            None => break,
        }
    }
    schema
}

/// The first non-null branch of a `oneOf`/`anyOf`.
fn first_branch<'d>(doc: &'d Value, schema: &'d Value) -> Option<&'d Value> {
    ["oneOf", "anyOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .flatten()
        .find(|branch| primary_type(resolve(doc, branch)) != "null")
}

/// The schema's type, the non-null one when nullable (`[T, "null"]`); inferred from
/// `properties`/`items` when absent, `""` when unknown.
fn primary_type(schema: &Value) -> &str {
    match schema.get("type") {
        Some(Value::String(t)) => t,
        Some(Value::Array(types)) => {
            let mut names = types.iter().filter_map(Value::as_str);
            let first = names.clone().next().unwrap_or("");
            names.find(|t| *t != "null").unwrap_or(first)
        }
        _ if schema.get("properties").is_some() => "object",
        _ if schema.get("items").is_some() => "array",
        _ => "",
    }
}

/// Whether `null` is a valid value of the schema.
fn nullable(schema: &Value) -> bool {
    let typed = schema
        .get("type")
        .and_then(Value::as_array)
        .is_some_and(|t| t.iter().any(|v| v == "null"));
    let branch = ["oneOf", "anyOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .flatten()
        .any(|b| primary_type(b) == "null");
    typed || branch
}

/// A valid-looking text for a string schema, by `format`.
fn text_example(schema: &Value) -> String {
    match schema.get("format").and_then(Value::as_str).unwrap_or("") {
        "uuid" => uuid::Uuid::new_v4().to_string(),
        "date-time" => chrono::Utc::now().to_rfc3339(),
        "date" => chrono::Utc::now().format("%Y-%m-%d").to_string(),
        "email" => "a@example.com".to_owned(),
        "uri" | "url" => "https://example.com/x".to_owned(),
        _ => "X-1".to_owned(),
    }
}

/// A valid-looking value of a parameter's schema, as text.
fn example_text(doc: &Value, schema: &Value) -> String {
    let mut builder = Builder {
        doc,
        sites: Vec::new(),
    };
    match builder.build(schema, &mut Vec::new(), 0) {
        Value::String(text) => text,
        Value::Null => "X-1".to_owned(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------- sending

/// Sends `case`; `Some` describes why it failed.
async fn run(http: &reqwest::Client, op: &Operation<'_>, case: &Case) -> Option<String> {
    let what = format!("{} {} — {}", op.method, op.path, case.label);
    // `http::Uri` holds at most 65,534 bytes: a longer URL goes out over a bare socket.
    let answer = if case.url.len() > usize::from(u16::MAX) - 2 {
        send_raw(op, case).await
    } else {
        send(http, op, case).await
    };
    match answer {
        Err(e) => Some(format!("{what}: no answer: {e}")),
        Ok((status, body)) => {
            let why = judge(&case.expect, op.per_item, status, &body)?;
            Some(format!("{what}: {why}; got {status}: {}", snippet(&body)))
        }
    }
}

/// Status and body of `case`, or why there is no answer.
async fn send(
    http: &reqwest::Client,
    op: &Operation<'_>,
    case: &Case,
) -> Result<(u16, String), String> {
    let mut request = http.request(op.method.clone(), &case.url);
    request = match &op.who {
        Credential::Bearer(token) => request.bearer_auth(token),
        Credential::DeviceKey(key) => request.header("x-api-key", key),
        Credential::Anonymous => request,
    };
    if let Some(body) = &case.body {
        request = request
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.clone());
    }
    // Errors name the URL, which may be 100,000 characters long.
    let response = request.send().await.map_err(|e| chain(&e.without_url()))?;
    let status = response.status().as_u16();
    let body = response
        .text()
        .await
        .map_err(|e| format!("{status}, then no body: {}", chain(&e.without_url())))?;
    Ok((status, body))
}

/// `case` as HTTP/1.1 over a bare TCP connection, for URLs too long for `reqwest`.
async fn send_raw(op: &Operation<'_>, case: &Case) -> Result<(u16, String), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = reqwest::Url::parse(&case.url).map_err(|e| format!("bad URL: {e}"))?;
    let host = url.host_str().unwrap_or("127.0.0.1");
    let port = url.port_or_known_default().unwrap_or(80);
    let target = &case.url[url.origin().ascii_serialization().len()..];
    let body = case.body.as_deref().unwrap_or_default();
    let mut head = format!("{} {target} HTTP/1.1\r\nHost: {host}:{port}\r\n", op.method);
    match &op.who {
        Credential::Bearer(token) => head.push_str(&format!("Authorization: Bearer {token}\r\n")),
        Credential::DeviceKey(key) => head.push_str(&format!("x-api-key: {key}\r\n")),
        Credential::Anonymous => {}
    }
    if case.body.is_some() {
        head.push_str("Content-Type: application/json\r\n");
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect((host, port)).await?;
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    let answer = tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| format!("nothing within {TIMEOUT:?}"))?
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {}", snippet(&text)))?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Ok((status, body.to_owned()))
}

/// Why an answer does not meet `expect`, if it does not. Names are looked for in the
/// whole body (the `message`, or a `problems` list). For a `per_item` operation a 2xx
/// that rejects the item counts as a refusal.
fn judge(expect: &Expect, per_item: bool, status: u16, body: &str) -> Option<String> {
    let item_refused = per_item && (200..300).contains(&status) && body.contains("rejected");
    let client_error = (400..500).contains(&status) || item_refused;
    if status >= 500 {
        return Some("server error".to_owned());
    }
    match expect {
        Expect::NotServerError => None,
        Expect::ClientError if client_error => None,
        Expect::ClientError => Some("expected a 4xx".to_owned()),
        Expect::Naming(names) => {
            let named = names.is_empty() || names.iter().any(|n| body.contains(n.as_str()));
            if client_error && named {
                return None;
            }
            let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            Some(format!("expected a 4xx naming {}", quoted.join(" or ")))
        }
    }
}

/// The start of an answer's body, on one line.
fn snippet(body: &str) -> String {
    let mut text: String = body.chars().take(SNIPPET_CHARS).collect();
    if body.chars().nth(SNIPPET_CHARS).is_some() {
        text.push('…');
    }
    text.escape_debug().to_string()
}

/// An error with its causes (`reqwest` hides the interesting part in them).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}
