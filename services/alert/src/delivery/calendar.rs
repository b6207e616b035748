//! The scheduling service's calendar endpoint, the one source of an appointment's
//! iCalendar file: `GET {ALERT_SCHEDULING_URL}/v1/appointments/{id}/calendar.ics` with
//! the alert service's service token.
//!
//! What a failure means for the email: a connect error, a timeout, a 5xx, a 429 or no
//! token may pass, so the notice is retried with the send queue's backoff; a 404 (or
//! any other refusal, or a body that is not a calendar) will not, so the email goes
//! without the file and says where to download it.

use std::sync::Arc;
use std::time::Duration;

use shared_runtime::auth::ServiceTokens;
use uuid::Uuid;

use super::SendError;

/// Largest calendar file accepted (one event is about a kilobyte).
const MAX_BYTES: usize = 256 * 1024;

/// What the scheduling service gave for an appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Calendar {
    /// The RFC 5545 text.
    Ics(String),
    /// None to be had (404, refused, not a calendar): why.
    Unavailable(String),
}

/// The HTTP client of the scheduling service's calendar endpoint.
#[derive(Clone)]
pub struct CalendarClient {
    base: String,
    http: reqwest::Client,
    tokens: Arc<ServiceTokens>,
}

impl std::fmt::Debug for CalendarClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalendarClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl CalendarClient {
    /// A client of the scheduling service at `base` (e.g. `http://127.0.0.1:8005`),
    /// presenting tokens from `tokens`; each call is bounded by `timeout`.
    pub fn new(base: &str, tokens: Arc<ServiceTokens>, timeout: Duration) -> anyhow::Result<Self> {
        crate::install_crypto();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
            tokens,
        })
    }

    /// Where the appointment's calendar file is downloaded (with a token).
    pub fn url(&self, appointment_id: Uuid) -> String {
        format!("{}{}", self.base, path(appointment_id))
    }

    /// The appointment's calendar file; `Err` (transient) when it may work later.
    pub async fn fetch(&self, appointment_id: Uuid) -> Result<Calendar, SendError> {
        let token = self
            .tokens
            .token()
            .await
            .map_err(|e| SendError::Transient(e.to_string()))?;
        let url = self.url(appointment_id);
        let response = self
            .http
            .get(&url)
            .bearer_auth(token)
            .header("accept", "text/calendar")
            .send()
            .await
            .map_err(|e| SendError::Transient(format!("{url}: {e}")))?;
        let status = response.status();
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(SendError::Transient(format!("{url} answered {status}")));
        }
        if !status.is_success() {
            return Ok(Calendar::Unavailable(format!("{url} answered {status}")));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| SendError::Transient(format!("reading {url}: {e}")))?;
        Ok(calendar_of(&body).unwrap_or_else(|why| Calendar::Unavailable(format!("{url}: {why}"))))
    }
}

/// The endpoint's path for an appointment.
pub fn path(appointment_id: Uuid) -> String {
    format!("/v1/appointments/{appointment_id}/calendar.ics")
}

/// The calendar in a 200 body, or why it is not one.
fn calendar_of(body: &[u8]) -> Result<Calendar, String> {
    if body.len() > MAX_BYTES {
        return Err(format!("{} bytes, more than a calendar file", body.len()));
    }
    let text = std::str::from_utf8(body).map_err(|_| "not UTF-8 text".to_owned())?;
    if !text.trim_start().starts_with("BEGIN:VCALENDAR") {
        return Err("not an iCalendar file (no BEGIN:VCALENDAR)".to_owned());
    }
    Ok(Calendar::Ics(text.to_owned()))
}

/// The calendar's `METHOD` (e.g. `REQUEST`, `CANCEL`), if it names one.
pub fn method(ics: &str) -> Option<&str> {
    ics.lines()
        .find_map(|l| l.strip_prefix("METHOD:"))
        .map(str::trim)
        .filter(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_that_are_not_calendars_are_refused_and_the_method_is_read() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:CANCEL\r\nEND:VCALENDAR\r\n";
        assert_eq!(
            calendar_of(ics.as_bytes()),
            Ok(Calendar::Ics(ics.to_owned()))
        );
        assert_eq!(method(ics), Some("CANCEL"));
        assert_eq!(method("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), None);
        assert!(
            calendar_of(b"<html>oops</html>")
                .unwrap_err()
                .contains("BEGIN:VCALENDAR")
        );
        assert!(calendar_of(&[0xff, 0xfe]).unwrap_err().contains("UTF-8"));
        assert!(calendar_of(&vec![b'x'; MAX_BYTES + 1]).is_err());
        // A header injection attempt is not a method.
        assert_eq!(method("METHOD:REQUEST; x=y\r\n"), None);
    }
}
