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

mod bodies;
mod cases;
mod operations;
mod schema;
mod send;

use self::bodies::*;
use self::cases::*;
use self::operations::*;
use self::schema::*;
use self::send::*;

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
