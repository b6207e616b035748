//! The HTTP side: the Twilio, FCM and webhook receivers, the JSON API and the page.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::store::{Item, Store};

type Shared = Arc<Store>;

pub(crate) fn router(store: Shared) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/messages/{id}", get(page))
        .route("/api/messages", get(list).delete(clear))
        .route("/api/messages/{id}", get(one))
        .route("/api/counts", get(counts))
        .route(
            "/twilio/2010-04-01/Accounts/{sid}/Messages.json",
            post(twilio),
        )
        .route("/fcm/v1/projects/{project}/messages:send", post(fcm))
        .route("/webhook/{*name}", post(webhook))
        .route(
            "/health/live",
            get(|| async { Json(json!({"status": "live"})) }),
        )
        .with_state(store)
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"code": status.as_u16(), "message": message})),
    )
        .into_response()
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

fn keep_headers(h: &HeaderMap) -> HashMap<String, String> {
    h.iter()
        .filter(|(k, _)| {
            let k = k.as_str();
            k.starts_with("x-") || k == "idempotency-key" || k.starts_with("i-twilio")
        })
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_owned(), v.to_owned()))
        })
        .collect()
}

/// An item of `kind` received over HTTP now: its headers worth keeping and size; the
/// rest empty, for the receiver to fill in.
fn received(kind: &'static str, headers: &HeaderMap, body: &[u8]) -> Item {
    Item {
        id: 0,
        kind,
        received_at: Utc::now(),
        from: String::new(),
        to: Vec::new(),
        subject: String::new(),
        text: String::new(),
        html: None,
        message_id: None,
        headers: keep_headers(headers),
        data: None,
        size: body.len(),
        attachments: Vec::new(),
    }
}

/// Twilio's `Messages.json`: form `To`, `From`, `Body`; basic auth required.
async fn twilio(
    State(store): State<Shared>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !header(&headers, "authorization").is_some_and(|a| a.starts_with("Basic ")) {
        return error(
            StatusCode::UNAUTHORIZED,
            "basic authentication (account SID and auth token) required",
        );
    }
    let form: HashMap<String, String> = match serde_urlencoded_parse(&body) {
        Some(f) => f,
        None => return error(StatusCode::BAD_REQUEST, "the body is not a form"),
    };
    let (Some(to), Some(body_text)) = (form.get("To"), form.get("Body")) else {
        return error(
            StatusCode::BAD_REQUEST,
            "A 'To' phone number and a 'Body' are required",
        );
    };
    let from = form.get("From").cloned().unwrap_or_default();
    let key = header(&headers, "i-twilio-idempotency-token")
        .or_else(|| header(&headers, "idempotency-key"));
    let item = Item {
        from: from.clone(),
        to: vec![to.clone()],
        text: body_text.clone(),
        message_id: key.clone(),
        ..received("sms", &headers, &body)
    };
    let (id, _) = store.add(item, key.as_deref());
    (
        StatusCode::CREATED,
        Json(json!({
            "sid": format!("SM{id:032x}"),
            "account_sid": sid,
            "to": to,
            "from": from,
            "body": body_text,
            "status": "queued",
            "date_created": Utc::now().to_rfc2822(),
        })),
    )
        .into_response()
}

fn serde_urlencoded_parse(body: &[u8]) -> Option<HashMap<String, String>> {
    let s = std::str::from_utf8(body).ok()?;
    let mut out = HashMap::new();
    for pair in s.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(decode(k)?, decode(v)?);
    }
    Some(out)
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let h = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// FCM HTTP v1 `messages:send`: `{"message": {"token", "notification": {"title",
/// "body"}, "data"}}`; a bearer token required.
async fn fcm(
    State(store): State<Shared>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !header(&headers, "authorization").is_some_and(|a| a.starts_with("Bearer ") && a.len() > 7) {
        return error(
            StatusCode::UNAUTHORIZED,
            "a bearer access token is required",
        );
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "the body is not JSON");
    };
    let m = &v["message"];
    let Some(token) = m["token"].as_str() else {
        return error(StatusCode::BAD_REQUEST, "message.token is required");
    };
    let key = header(&headers, "idempotency-key");
    let item = Item {
        from: project.clone(),
        to: vec![token.to_owned()],
        subject: m["notification"]["title"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        text: m["notification"]["body"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        message_id: key.clone(),
        data: Some(m["data"].clone()),
        ..received("push", &headers, &body)
    };
    let (id, _) = store.add(item, key.as_deref());
    Json(json!({"name": format!("projects/{project}/messages/{id}")})).into_response()
}

/// Any webhook: the body and headers are kept.
async fn webhook(
    State(store): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let data = serde_json::from_slice::<Value>(&body).ok();
    let key = header(&headers, "x-fleet-delivery");
    let item = Item {
        to: vec![format!("/webhook/{name}")],
        subject: data
            .as_ref()
            .and_then(|d| d["alert"]["title"].as_str())
            .unwrap_or_default()
            .to_owned(),
        text: String::from_utf8_lossy(&body).into_owned(),
        message_id: key,
        data,
        ..received("webhook", &headers, &body)
    };
    let (id, _) = store.add(item, None);
    Json(json!({"received": id})).into_response()
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    kind: Option<String>,
    q: Option<String>,
    after: Option<u64>,
    limit: Option<usize>,
}

async fn list(State(store): State<Shared>, Query(q): Query<ListQuery>) -> Json<Value> {
    let items = store.list(
        q.kind.as_deref(),
        q.q.as_deref(),
        q.after.unwrap_or(0),
        q.limit.unwrap_or(1_000).min(10_000),
    );
    Json(json!({"messages": items}))
}

async fn one(State(store): State<Shared>, Path(id): Path<u64>) -> Response {
    match store.get(id) {
        Some(i) => Json(i).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such message"),
    }
}

async fn clear(State(store): State<Shared>) -> Json<Value> {
    Json(json!({"deleted": store.clear()}))
}

async fn counts(State(store): State<Shared>) -> Json<Value> {
    Json(json!(store.counts()))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[derive(Debug, Deserialize)]
struct IndexQuery {
    kind: Option<String>,
}

async fn index(State(store): State<Shared>, Query(q): Query<IndexQuery>) -> Html<String> {
    let mut items = store.list(q.kind.as_deref(), None, 0, usize::MAX);
    items.reverse();
    items.truncate(500);
    let counts = store.counts();
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"5\">\
         <title>devinbox</title><style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}\
         td,th{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;font-size:14px}\
         .k{font-weight:bold;text-transform:uppercase;font-size:12px}</style></head><body>\
         <h1>devinbox</h1><p>What the alert service sent to the local receivers (refreshes every 5 s). Filter: \
         <a href=\"/\">all</a>",
    );
    for k in ["email", "sms", "push", "webhook"] {
        html.push_str(&format!(
            " · <a href=\"/?kind={k}\">{k} ({})</a>",
            counts.get(k).copied().unwrap_or(0)
        ));
    }
    html.push_str(". JSON: <a href=\"/api/messages\">/api/messages</a></p><table><tr><th>#</th><th>kind</th><th>received</th><th>to</th><th>subject / text</th></tr>");
    for i in &items {
        let what = if i.subject.is_empty() {
            &i.text
        } else {
            &i.subject
        };
        let what: String = what.chars().take(160).collect();
        html.push_str(&format!(
            "<tr><td><a href=\"/messages/{id}\">{id}</a></td><td class=\"k\">{}</td><td>{}</td><td>{}</td><td><a href=\"/messages/{id}\">{}</a></td></tr>",
            i.kind,
            i.received_at.format("%H:%M:%S%.3f"),
            esc(&i.to.join(", ")),
            esc(&what),
            id = i.id,
        ));
    }
    if items.is_empty() {
        html.push_str("<tr><td colspan=\"5\">Nothing yet.</td></tr>");
    }
    html.push_str("</table></body></html>");
    Html(html)
}

async fn page(State(store): State<Shared>, Path(id): Path<u64>) -> Response {
    let Some(i) = store.get(id) else {
        return (
            StatusCode::NOT_FOUND,
            Html("<p>No such message. <a href=\"/\">Back</a></p>".to_owned()),
        )
            .into_response();
    };
    let mut html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>devinbox #{id}</title></head>\
         <body style=\"font-family:sans-serif;margin:1.5em\"><p><a href=\"/\">&larr; all messages</a></p>\
         <h2>{kind} #{id}: {subject}</h2><table>\
         <tr><th align=\"left\">received</th><td>{at}</td></tr><tr><th align=\"left\">from</th><td>{from}</td></tr>\
         <tr><th align=\"left\">to</th><td>{to}</td></tr><tr><th align=\"left\">id</th><td>{mid}</td></tr>",
        id = i.id,
        kind = i.kind,
        subject = esc(&i.subject),
        at = i.received_at.to_rfc3339(),
        from = esc(&i.from),
        to = esc(&i.to.join(", ")),
        mid = esc(i.message_id.as_deref().unwrap_or("-")),
    );
    let mut hs: Vec<_> = i.headers.iter().collect();
    hs.sort();
    for (k, v) in hs {
        html.push_str(&format!(
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
            esc(k),
            esc(v)
        ));
    }
    html.push_str("</table>");
    if let Some(h) = &i.html {
        html.push_str(&format!(
            "<h3>HTML</h3><iframe sandbox=\"\" style=\"width:100%;height:32em;border:1px solid #ccc\" srcdoc=\"{}\"></iframe>",
            esc(h)
        ));
    }
    html.push_str(&format!(
        "<h3>Text</h3><pre style=\"white-space:pre-wrap\">{}</pre>",
        esc(&i.text)
    ));
    for a in &i.attachments {
        html.push_str(&format!(
            "<h3>Attachment {} ({})</h3><pre style=\"white-space:pre-wrap\">{}</pre>",
            esc(a.filename.as_deref().unwrap_or("unnamed")),
            esc(&a.content_type),
            esc(&a.content)
        ));
    }
    if let Some(d) = &i.data {
        html.push_str(&format!(
            "<h3>Data</h3><pre>{}</pre>",
            esc(&serde_json::to_string_pretty(d).unwrap_or_default())
        ));
    }
    html.push_str("</body></html>");
    Html(html).into_response()
}
