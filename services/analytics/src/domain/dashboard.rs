//! The dashboard's one origin (ADR 0022): which file a browser path names, what type
//! it is served as, and which headers cross the forwarding to another service.

use std::path::PathBuf;

/// What a `GET` of `path` (the URL path, already percent-decoded by nothing: raw) is
/// answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asset {
    /// A file under the dashboard directory (relative path).
    File(PathBuf),
    /// A client-side route (`/vehicles/VH-1`): the app's `index.html`.
    App,
    /// Not the dashboard's: API paths, traversal attempts, odd bytes.
    None,
}

/// Path prefixes that belong to the services' APIs, never to the dashboard.
const API_PREFIXES: [&str; 6] = [
    "/v1/",
    "/api/",
    "/health/",
    "/.well-known/",
    "/docs",
    "/openapi",
];

/// Resolves a request path: `/` and extension-less paths are the app, paths with an
/// extension are files (only plain segments: no `..`, no hidden files, no `%`).
pub fn resolve(path: &str) -> Asset {
    if API_PREFIXES.iter().any(|p| path.starts_with(p)) || path == "/metrics" {
        return Asset::None;
    }
    let rel = path.strip_prefix('/').unwrap_or(path);
    if rel.is_empty() {
        return Asset::App;
    }
    let plain = |s: &str| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if !rel.split('/').all(plain) {
        return Asset::None;
    }
    let last = rel.rsplit('/').next().unwrap_or(rel);
    if last.contains('.') {
        Asset::File(PathBuf::from(rel))
    } else {
        Asset::App
    }
}

/// The `Content-Type` of a dashboard file, by extension.
pub fn content_type(file: &std::path::Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Vite names built files by their content (`assets/index-3f2a.js`): they never change,
/// so browsers may keep them; everything else is revalidated.
pub fn cache_control(file: &std::path::Path) -> &'static str {
    if file.starts_with("assets") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// Request headers forwarded to a service: what the APIs read. Cookies, hop-by-hop
/// headers and `Host` stay behind.
pub const FORWARDED_REQUEST_HEADERS: [&str; 8] = [
    "authorization",
    "content-type",
    "accept",
    "idempotency-key",
    "last-event-id",
    "x-correlation-id",
    "if-none-match",
    "accept-language",
];

/// Response headers passed back to the browser.
pub const FORWARDED_RESPONSE_HEADERS: [&str; 8] = [
    "content-type",
    "content-disposition",
    "cache-control",
    "retry-after",
    "etag",
    "location",
    "x-correlation-id",
    "www-authenticate",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_routes_files_and_refusals() {
        assert_eq!(resolve("/"), Asset::App);
        assert_eq!(resolve("/vehicles/VH-000001"), Asset::App);
        assert_eq!(
            resolve("/assets/index-abc.js"),
            Asset::File(PathBuf::from("assets/index-abc.js"))
        );
        assert_eq!(resolve("/v1/auth/me"), Asset::None);
        assert_eq!(resolve("/api/alert/v1/alerts"), Asset::None);
        assert_eq!(resolve("/assets/../../etc/passwd"), Asset::None);
        assert_eq!(resolve("/%2e%2e/secret"), Asset::None);
        assert_eq!(resolve("/.env"), Asset::None);
        assert_eq!(resolve("//etc/passwd"), Asset::None);
    }

    #[test]
    fn types_and_caching() {
        let js = std::path::Path::new("assets/index-abc.js");
        assert_eq!(content_type(js), "text/javascript; charset=utf-8");
        assert_eq!(cache_control(js), "public, max-age=31536000, immutable");
        assert_eq!(
            cache_control(std::path::Path::new("index.html")),
            "no-cache"
        );
    }
}
