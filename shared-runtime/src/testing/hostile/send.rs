//! Part of the hostile-input probe (see the parent module).

use super::*;

/// Sends `case`; `Some` describes why it failed.
pub(super) async fn run(http: &reqwest::Client, op: &Operation<'_>, case: &Case) -> Option<String> {
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
pub(super) async fn send(
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
pub(super) async fn send_raw(op: &Operation<'_>, case: &Case) -> Result<(u16, String), String> {
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
pub(super) fn judge(expect: &Expect, per_item: bool, status: u16, body: &str) -> Option<String> {
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
pub(super) fn snippet(body: &str) -> String {
    let mut text: String = body.chars().take(SNIPPET_CHARS).collect();
    if body.chars().nth(SNIPPET_CHARS).is_some() {
        text.push('…');
    }
    text.escape_debug().to_string()
}

/// An error with its causes (`reqwest` hides the interesting part in them).
pub(super) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}
