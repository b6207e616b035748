//! Reading what a client sends: JSON bodies, path and query parameters.
//!
//! Every text value is checked here, once, before a handler sees it: control
//! characters (NUL above all, which Postgres refuses in `text`) and invalid UTF-8 are
//! refused with a 400 naming the field, as are duplicate keys, nesting deeper than 128
//! levels and strings longer than [`MAX_TEXT_CHARS`]. A handler then validates only what
//! its own fields mean.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, RawPathParams, Request};
use axum::http::{StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::error_response;

/// Longest text value accepted anywhere in a request (a handler may allow less).
pub const MAX_TEXT_CHARS: usize = 65_536;

/// Why a request's input was refused: a 4xx with a `{code, message}` body naming what
/// could not be read.
#[derive(Debug)]
pub struct InputRejection {
    status: StatusCode,
    message: String,
}

impl InputRejection {
    /// A 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What was wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl IntoResponse for InputRejection {
    fn into_response(self) -> Response {
        let code = match self.status {
            StatusCode::PAYLOAD_TOO_LARGE => "too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            _ => "bad_request",
        };
        error_response(self.status, code, &self.message)
    }
}

/// The first character of `text` no client may send: a control character other than
/// tab, line feed and carriage return.
pub fn forbidden_char(text: &str) -> Option<char> {
    text.chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Checks one text value a client sent as `field`: no forbidden character, at most
/// [`MAX_TEXT_CHARS`] characters. The error names the field.
pub fn check_text(field: &str, text: &str) -> Result<(), String> {
    if let Some(c) = forbidden_char(text) {
        return Err(format!(
            "`{field}` contains a control character (U+{:04X})",
            c as u32
        ));
    }
    if text.len() > MAX_TEXT_CHARS && text.chars().count() > MAX_TEXT_CHARS {
        return Err(format!(
            "`{field}` is longer than {MAX_TEXT_CHARS} characters"
        ));
    }
    Ok(())
}

/// `axum::Json` that checks every text value and key first (see the module docs) and
/// names the field of any problem. Rejections are `{code, message}` 400s (413 for a
/// body over the limit, 415 for a body that is not declared JSON).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = InputRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !declares_json(&req) {
            return Err(InputRejection {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                message: "expected a JSON body with `Content-Type: application/json`".to_owned(),
            });
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| InputRejection {
                status: e.status(),
                message: e.body_text(),
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

fn declares_json(req: &Request) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let essence = essence.to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A problem [`check_json`] found: the field (`""` for the document as a whole) and
/// what is wrong, the message naming the field too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextProblem {
    /// Path of the field, e.g. `vehicle_ids[2]`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// Checks a JSON document without keeping it: valid JSON, nesting at most 128 levels,
/// no duplicate keys, every text value and key passes [`check_text`].
pub fn check_json(bytes: &[u8]) -> Result<(), TextProblem> {
    let failed = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Scan {
        path: String::new(),
        failed: &failed,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end())
    .map_err(|e| TextProblem {
        field: failed.take().unwrap_or_default(),
        message: e.to_string(),
    })
}

/// Parses a JSON body into `T` after checking every text value and key: the error
/// names the field. Every request body of the platform is a JSON object (serde would
/// otherwise read a struct from an array, `[]` being an empty one).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, InputRejection> {
    check_json(bytes).map_err(|p| InputRejection::bad_request(format!("body: {}", p.message)))?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(InputRejection::bad_request("body: must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        InputRejection::bad_request(if path == "." {
            format!("body: {inner}")
        } else {
            format!("`{path}`: {inner}")
        })
    })?;
    de.end()
        .map_err(|e| InputRejection::bad_request(format!("body: {e}")))?;
    Ok(value)
}

/// Walks a JSON document without keeping it, refusing forbidden text and duplicate
/// keys; `path` names where it is (`name`, `vehicle_ids[2]`, `preferences.channels`),
/// and `failed` receives the path of a refusal.
struct Scan<'f> {
    path: String,
    failed: &'f RefCell<Option<String>>,
}

impl Scan<'_> {
    fn field(&self) -> &str {
        if self.path.is_empty() {
            "body"
        } else {
            &self.path
        }
    }

    fn child(&self, key: &str) -> Self {
        let path = if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        };
        Self {
            path,
            failed: self.failed,
        }
    }

    fn refuse<E: de::Error>(&self, message: String) -> E {
        self.failed.replace(Some(self.path.clone()));
        E::custom(message)
    }
}

impl<'de> DeserializeSeed<'de> for Scan<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scan<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        check_text(self.field(), v).map_err(|m| self.refuse(m))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while seq
            .next_element_seed(Scan {
                path: format!("{}[{i}]", self.path),
                failed: self.failed,
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let child = self.child(&key);
            check_text(&format!("{} (a key)", child.path), &key)
                .map_err(|m| child.refuse::<A::Error>(m))?;
            if !seen.insert(key) {
                let message = format!("`{}` appears twice in the same object", child.path);
                return Err(child.refuse(message));
            }
            map.next_value_seed(child)?;
        }
        Ok(())
    }
}

/// `axum::extract::Path` that refuses parameters with forbidden characters (see
/// [`check_text`]) and answers `{code, message}` 400s naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = InputRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| InputRejection::bad_request(e.body_text()))?;
        for (name, value) in &raw {
            check_text(&format!("path parameter {name}"), value)
                .map_err(InputRejection::bad_request)?;
        }
        let Path(value) = Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| InputRejection::bad_request(e.body_text()))?;
        Ok(Self(value))
    }
}

/// `axum::extract::Query` that refuses parameters that are not UTF-8 or hold forbidden
/// characters, and answers `{code, message}` 400s naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = InputRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        check_query(parts.uri.query().unwrap_or("")).map_err(InputRejection::bad_request)?;
        let Query(value) = Query::<T>::try_from_uri(&parts.uri)
            .map_err(|e| InputRejection::bad_request(e.body_text()))?;
        Ok(Self(value))
    }
}

/// Checks every name and value of a query string (`a=1&b=x%00`).
fn check_query(query: &str) -> Result<(), String> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(name).map_err(|()| "a query parameter name is not UTF-8".to_owned())?;
        check_text("a query parameter name", &name)?;
        let value =
            decode(value).map_err(|()| format!("query parameter `{name}` is not valid UTF-8"))?;
        check_text(&format!("query parameter {name}"), &value)?;
    }
    Ok(())
}

/// Percent-decodes a form-encoded component (`+` is a space).
fn decode(component: &str) -> Result<String, ()> {
    let spaced = component.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Contact {
        name: String,
        #[serde(default)]
        tags: Vec<String>,
        count: Option<u32>,
    }

    fn refused(body: &str) -> String {
        parse_json::<Contact>(body.as_bytes())
            .map(|c| panic!("accepted {c:?}"))
            .unwrap_err()
            .message
    }

    #[test]
    fn good_json_passes() {
        let c: Contact = parse_json(br#"{"name":"a\tb\nc","tags":["x"]}"#).unwrap();
        assert_eq!(c.name, "a\tb\nc");
    }

    #[test]
    fn control_characters_are_refused_naming_the_field() {
        let m = refused(r#"{"name":"gw\u0000x"}"#);
        assert!(
            m.contains("`name` contains a control character (U+0000)"),
            "{m}"
        );
        let m = refused(r#"{"name":"ok","tags":["a","b\u001b"]}"#);
        assert!(m.contains("`tags[1]`") && m.contains("U+001B"), "{m}");
        let m = refused(r#"{"name":"ok","x":{"a\u0007":1}}"#);
        assert!(m.contains("x.a\u{7} (a key)"), "{m}");
    }

    #[test]
    fn duplicate_keys_deep_nesting_and_long_text_are_refused() {
        let m = refused(r#"{"name":"a","name":"b"}"#);
        assert!(m.contains("`name` appears twice"), "{m}");
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let m = refused(&format!(r#"{{"name":"a","tags":{deep}}}"#));
        assert!(m.contains("recursion limit"), "{m}");
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        let m = refused(&format!(r#"{{"name":"{long}"}}"#));
        assert!(m.contains("`name` is longer than"), "{m}");
    }

    #[test]
    fn type_errors_name_the_field() {
        let m = refused(r#"{"name":"a","count":1e400}"#);
        assert!(m.starts_with("body:") || m.contains("count"), "{m}");
        let m = refused(r#"{"name":"a","count":-1}"#);
        assert!(m.contains("`count`"), "{m}");
        let m = refused(r#"{"name":"a","tags":[1]}"#);
        assert!(m.contains("`tags[0]`"), "{m}");
        let m = refused(r#"{"name":"a"} trailing"#);
        assert!(m.starts_with("body:"), "{m}");
        let m = refused(r#"["a"]"#);
        assert!(m.contains("must be a JSON object"), "{m}");
        assert!(m.starts_with("body:"), "{m}");
        let m = parse_json::<Contact>(b"{\"name\":\"\xff\"}")
            .unwrap_err()
            .message;
        assert!(m.contains("invalid unicode"), "{m}");
    }

    #[test]
    fn check_json_names_the_field_it_refuses() {
        let p = check_json(br#"{"a":{"b":["ok","x\u0000"]}}"#).unwrap_err();
        assert_eq!(p.field, "a.b[1]");
        assert!(
            p.message.contains("`a.b[1]` contains a control character"),
            "{p:?}"
        );
        assert_eq!(check_json(b"not json").unwrap_err().field, "");
        assert!(check_json(br#"{"a":[1,2,{"b":null}]}"#).is_ok());
    }

    #[test]
    fn query_strings_are_checked() {
        assert!(check_query("a=1&b=x+y&c=%C3%A9").is_ok());
        let m = check_query("org_id=a%00b").unwrap_err();
        assert!(
            m.contains("`query parameter org_id` contains a control character"),
            "{m}"
        );
        let m = check_query("vehicle_id=%FF").unwrap_err();
        assert!(m.contains("`vehicle_id` is not valid UTF-8"), "{m}");
    }
}
