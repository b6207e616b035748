//! Reading `POST /v1/claims`: `multipart/form-data` with a `claim` JSON part and up to
//! ten `document` parts, or a plain JSON claim. Documents are typed by their content
//! and refused over the size limit; other problems are collected for one 400.

use axum::extract::multipart::Field;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use bytes::Bytes;
use serde_json::Value;
use shared_runtime::http::{check_json, forbidden_char};

use crate::domain::claim_input::{ClaimInput, parse_claim};
use crate::error::ApiError;
use crate::pipeline::claims::Upload;
use crate::state::AppState;
use crate::storage::{MAX_DOCUMENTS, sha256_hex, sniff};

/// Longest file name kept with a document.
const MAX_FILENAME_CHARS: usize = 255;

/// What the request carried.
#[derive(Debug, Default)]
pub(crate) struct Submission {
    /// The claim JSON (`Null` when missing).
    pub claim: Value,
    /// The documents that passed.
    pub uploads: Vec<Upload>,
    /// Every problem found so far.
    pub problems: Vec<String>,
}

impl Submission {
    /// The claim, or one 400 naming every problem of the submission (a claim that
    /// could not be read at all is `Null`, its problem already noted).
    pub(crate) fn input(&mut self) -> Result<ClaimInput, ApiError> {
        let unread = self.claim.is_null() && !self.problems.is_empty();
        match parse_claim(&self.claim) {
            Ok(input) if self.problems.is_empty() => return Ok(input),
            Err(p) if !unread => self.problems.extend(p),
            Ok(_) | Err(_) => {}
        }
        Err(ApiError::BadRequest(self.problems.join("; ")))
    }
}

/// Reads the body of a claim filing.
pub(crate) async fn read(req: Request, state: &AppState) -> Result<Submission, ApiError> {
    let kind = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    match kind.as_str() {
        "multipart/form-data" => {
            let form = Multipart::from_request(req, state)
                .await
                .map_err(|e| ApiError::BadRequest(e.body_text()))?;
            read_form(form, state.max_attachment_bytes).await
        }
        "application/json" => {
            let bytes = Bytes::from_request(req, state).await.map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::TooLarge(e.body_text())
                } else {
                    ApiError::BadRequest(e.body_text())
                }
            })?;
            let mut s = Submission::default();
            s.claim = json_of(&bytes, "body", &mut s.problems);
            Ok(s)
        }
        _ => Err(ApiError::BadRequest(
            "send the claim as multipart/form-data (a `claim` JSON part and `document` files) or as application/json".to_owned(),
        )),
    }
}

fn json_of(bytes: &[u8], what: &str, problems: &mut Vec<String>) -> Value {
    if let Err(p) = check_json(bytes) {
        problems.push(format!("{what}: {}", p.message));
        return Value::Null;
    }
    serde_json::from_slice(bytes).unwrap_or_else(|e| {
        problems.push(format!("{what}: {e}"));
        Value::Null
    })
}

fn multipart_error(e: &axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(format!("the request is too large: {}", e.body_text()))
    } else {
        ApiError::BadRequest(format!("reading the form: {}", e.body_text()))
    }
}

/// The client's name of document `n`, if it is one to keep: no control characters, at
/// most [`MAX_FILENAME_CHARS`] characters.
fn file_name(field: &Field<'_>, n: usize) -> Result<Option<String>, String> {
    let Some(name) = field.file_name() else {
        return Ok(None);
    };
    if let Some(c) = forbidden_char(name) {
        return Err(format!(
            "document {n}: the file name contains a control character (U+{:04X})",
            c as u32
        ));
    }
    let chars = name.chars().count();
    if chars > MAX_FILENAME_CHARS {
        return Err(format!(
            "document {n}: the file name is {chars} characters long; at most {MAX_FILENAME_CHARS} are allowed"
        ));
    }
    Ok(Some(name.to_owned()))
}

/// Reads document `n` into `s`: refused over `max_bytes` (413), noted as a problem
/// when its name or content is not acceptable, skipped past [`MAX_DOCUMENTS`].
async fn read_document(
    mut field: Field<'_>,
    n: usize,
    max_bytes: usize,
    s: &mut Submission,
) -> Result<(), ApiError> {
    let filename = match file_name(&field, n) {
        Ok(f) => f,
        Err(problem) => {
            s.problems.push(problem);
            None
        }
    };
    let label = format!(
        "document {n}{}",
        filename
            .as_ref()
            .map_or(String::new(), |f| format!(" ({f})"))
    );
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(&e))? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > max_bytes {
            return Err(ApiError::TooLarge(format!(
                "{label} is larger than {max_bytes} bytes"
            )));
        }
    }
    if n > MAX_DOCUMENTS {
        return Ok(());
    }
    let Some(content_type) = sniff(&bytes) else {
        let declared = field.content_type().unwrap_or("no type");
        s.problems.push(format!(
            "{label} is not a PDF, JPEG or PNG by its content (declared {declared})"
        ));
        return Ok(());
    };
    s.uploads.push(Upload {
        sha256: sha256_hex(&bytes),
        content_type,
        filename,
        bytes,
    });
    Ok(())
}

async fn read_form(mut form: Multipart, max_bytes: usize) -> Result<Submission, ApiError> {
    let mut s = Submission::default();
    let mut claim_parts = 0;
    let mut documents = 0;
    while let Some(field) = form.next_field().await.map_err(|e| multipart_error(&e))? {
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "claim" => {
                claim_parts += 1;
                let bytes = field.bytes().await.map_err(|e| multipart_error(&e))?;
                s.claim = json_of(&bytes, "the `claim` part", &mut s.problems);
            }
            "document" => {
                documents += 1;
                read_document(field, documents, max_bytes, &mut s).await?;
            }
            other => s.problems.push(format!(
                "unknown form part `{other}`; expected `claim` and `document`"
            )),
        }
    }
    if documents > MAX_DOCUMENTS {
        s.problems.push(format!(
            "at most {MAX_DOCUMENTS} documents, not {documents}"
        ));
    }
    match claim_parts {
        0 => s.problems.push("the `claim` part is missing".to_owned()),
        1 => {}
        n => s
            .problems
            .push(format!("one `claim` part expected, not {n}")),
    }
    Ok(s)
}
