//! Alert settings from the environment.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use shared_runtime::config::{self, CommonConfig, ConfigError, Secret};
use shared_schemas::events::{AlertSeverity, Channel};

/// Service port from docs/domain.md.
pub const DEFAULT_PORT: u16 = 8004;

/// The SMTP relay (`ALERT_SMTP_URL`, `ALERT_SMTP_FROM`).
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// `ALERT_SMTP_URL`: `smtp://host:port` (plain, for local receivers),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://user:pass@host:465`.
    /// A secret: it may carry credentials.
    pub url: Secret,
    /// `ALERT_SMTP_FROM`: the sender, e.g. `Fleet alerts <alerts@fleet.example>`.
    pub from: String,
}

/// A Twilio-compatible SMS API (`ALERT_SMS_*`).
#[derive(Debug, Clone)]
pub struct SmsConfig {
    /// `ALERT_SMS_URL`: API base, e.g. `https://api.twilio.com` (the client posts to
    /// `{base}/2010-04-01/Accounts/{sid}/Messages.json`).
    pub base_url: String,
    /// `ALERT_SMS_ACCOUNT_SID`.
    pub account_sid: String,
    /// `ALERT_SMS_AUTH_TOKEN`.
    pub auth_token: Secret,
    /// `ALERT_SMS_FROM`: the sending number (E.164).
    pub from: String,
}

/// An FCM HTTP v1-compatible push API (`ALERT_PUSH_*`).
#[derive(Debug, Clone)]
pub struct PushConfig {
    /// `ALERT_PUSH_URL`: API base, e.g. `https://fcm.googleapis.com` (the client posts to
    /// `{base}/v1/projects/{project}/messages:send`).
    pub base_url: String,
    /// `ALERT_PUSH_PROJECT`: the Firebase project id.
    pub project: String,
    /// `ALERT_PUSH_ACCESS_TOKEN`: an OAuth 2 access token, or
    /// `ALERT_PUSH_ACCESS_TOKEN_FILE`: a file holding one, re-read before each send (so
    /// a sidecar can refresh it).
    pub token: PushToken,
}

/// Where the push bearer token comes from.
#[derive(Debug, Clone)]
pub enum PushToken {
    /// A fixed token.
    Static(Secret),
    /// A file re-read on every send.
    File(std::path::PathBuf),
}

/// Everything the alert service reads from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Settings every service shares.
    pub common: CommonConfig,
    /// `ALERT_LINK_SECRET` (required): HMAC key of the one-click acknowledge links.
    pub link_secret: Secret,
    /// `ALERT_PUBLIC_URL`: the base URL the links point at (default
    /// `http://127.0.0.1:8004`).
    pub public_url: String,
    /// `ALERT_LINK_TTL_H`: how long an acknowledge link works (default 168 h).
    pub link_ttl: chrono::Duration,
    /// `ALERT_ACK_LINK_CONFIRM`: when true, following a link shows a button that
    /// acknowledges (for mail systems whose scanners open every link); default false:
    /// following the link acknowledges.
    pub link_confirm: bool,
    /// Email; `None` when `ALERT_SMTP_URL` is unset (email deliveries are skipped).
    pub smtp: Option<SmtpConfig>,
    /// SMS; `None` unless `ALERT_SMS_URL` is set.
    pub sms: Option<SmsConfig>,
    /// Push; `None` unless `ALERT_PUSH_URL` is set.
    pub push: Option<PushConfig>,
    /// `ALERT_WEBHOOK_SECRET`: HMAC key of webhook signatures; webhooks are skipped
    /// without it.
    pub webhook_secret: Option<Secret>,
    /// `ALERT_ESCALATION_DELAYS`: unacknowledged time before the next step, per severity
    /// (default `warning=24h,critical=2h,emergency=15m`; info never escalates).
    pub escalation_delays: BTreeMap<AlertSeverity, Duration>,
    /// `ALERT_MAX_ESCALATION_STEPS`: steps after the first notice (owner → fleet manager →
    /// emergency contact, then reminders to the whole chain; default 5).
    pub max_escalation_steps: u32,
    /// `ALERT_DECISION_WAIT_MS`: how long a `component.critical` alert waits for the
    /// agent's diagnosis before it is sent without one (default 30,000).
    pub decision_wait: Duration,
    /// `ALERT_RATE_LIMITS`: messages to one recipient per vehicle and channel in any 24
    /// hours (default `sms=5,push=20`); emergencies are never held back.
    pub rate_limits: HashMap<Channel, u32>,
    /// `ALERT_MAX_ATTEMPTS`: send attempts before a delivery is `failed` (default 6).
    pub max_attempts: i32,
    /// `ALERT_RETRY_BASE_MS`: first retry delay, doubled per attempt with jitter
    /// (default 2,000), capped by `ALERT_RETRY_MAX_MS` (default 300,000).
    pub retry_base: Duration,
    /// See `retry_base`.
    pub retry_max: Duration,
    /// `ALERT_SEND_TIMEOUT_MS`: one send (default 15,000).
    pub send_timeout: Duration,
    /// `ALERT_SEND_CONCURRENCY`: sends in flight (default 16).
    pub send_concurrency: usize,
    /// `ALERT_SENDER_LEASE_S`: a delivery claimed this long ago without an outcome was
    /// claimed by a sender that died; it is sent again (default 120; above the send
    /// timeout).
    pub sender_lease: Duration,
    /// `ALERT_TICK_MS`: how often escalation timers are checked (default 1,000).
    pub tick: Duration,
    /// `ALERT_STALE_FACTOR`: a vehicle is stale after this many of its usual longest
    /// gaps without a report (default 3).
    pub stale_factor: f64,
    /// `ALERT_STALE_MIN_S`: never stale before this long (default 900).
    pub stale_min: Duration,
    /// `ALERT_STALE_MAX_GAP_S`: the usual gap counted is at most this (default 86,400).
    pub stale_max_gap: Duration,
    /// `ALERT_STALE_MIN_SAMPLES`: reports needed before a vehicle is judged (default 10).
    pub stale_min_samples: i32,
    /// `ALERT_STALE_CHECK_S`: how often staleness is checked (default 60).
    pub stale_check: Duration,
    /// `ALERT_CONCURRENCY`: vehicles handled at once by the event consumer (default 16).
    pub concurrency: usize,
    /// `ALERT_BATCH`: events read per stream and call (default 128).
    pub batch: usize,
    /// `ALERT_INBOX_RETENTION_DAYS`: applied-event marks kept (default 14).
    pub inbox_retention_days: i64,
    /// `ALERT_DIGEST_EVERY`: the period of the maintenance-planning digest to fleet
    /// managers (default `7d`; `0` disables it: planning items are kept and served, no
    /// digest is planned).
    pub digest_every: Option<Duration>,
    /// `ALERT_SCHEDULING_URL`: the scheduling service's base URL, e.g.
    /// `http://127.0.0.1:8005`, where appointment emails fetch their calendar invitation
    /// (`GET /v1/appointments/{id}/calendar.ics`); unset: they go without one and say
    /// where to download it.
    pub scheduling_url: Option<String>,
    /// `ALERT_WARRANTY_URL`: the warranty service's base URL, e.g.
    /// `http://127.0.0.1:8006`, linked from claim notices (the claim, its evidence pack
    /// `GET /v1/claims/{id}/evidence.pdf`, the review queue); unset: the paths are named.
    pub warranty_url: Option<String>,
}

impl Config {
    /// Reads the configuration; the error names the offending variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        let public_url: String =
            config::or("ALERT_PUBLIC_URL", "http://127.0.0.1:8004".to_owned())?;
        http_url("ALERT_PUBLIC_URL", &public_url)?;
        let smtp = SmtpConfig::from_env()?;
        let sms = SmsConfig::from_env()?;
        let push = PushConfig::from_env()?;
        let delays: String = config::or(
            "ALERT_ESCALATION_DELAYS",
            "warning=24h,critical=2h,emergency=15m".to_owned(),
        )?;
        let limits: String = config::or("ALERT_RATE_LIMITS", "sms=5,push=20".to_owned())?;
        let digest: String = config::or("ALERT_DIGEST_EVERY", "7d".to_owned())?;
        let digest_every =
            parse_duration(&digest).map_err(|e| invalid("ALERT_DIGEST_EVERY", &digest, &e))?;
        let stale_factor: f64 = config::or("ALERT_STALE_FACTOR", 3.0)?;
        if !(stale_factor >= 1.0 && stale_factor.is_finite()) {
            return Err(invalid(
                "ALERT_STALE_FACTOR",
                &stale_factor.to_string(),
                "must be at least 1",
            ));
        }
        Ok(Self {
            common: CommonConfig::from_env(DEFAULT_PORT)?,
            link_secret: config::secret("ALERT_LINK_SECRET")?,
            public_url: public_url.trim_end_matches('/').to_owned(),
            link_ttl: chrono::Duration::hours(config::or("ALERT_LINK_TTL_H", 168)?),
            link_confirm: config::or("ALERT_ACK_LINK_CONFIRM", false)?,
            smtp,
            sms,
            push,
            webhook_secret: config::secret("ALERT_WEBHOOK_SECRET").ok(),
            escalation_delays: parse_delays(&delays)
                .map_err(|e| invalid("ALERT_ESCALATION_DELAYS", &delays, &e))?,
            max_escalation_steps: config::or("ALERT_MAX_ESCALATION_STEPS", 5)?,
            decision_wait: config::millis("ALERT_DECISION_WAIT_MS", 30_000)?,
            rate_limits: parse_limits(&limits)
                .map_err(|e| invalid("ALERT_RATE_LIMITS", &limits, &e))?,
            max_attempts: config::positive("ALERT_MAX_ATTEMPTS", 6)?,
            retry_base: config::millis("ALERT_RETRY_BASE_MS", 2_000)?,
            retry_max: config::millis("ALERT_RETRY_MAX_MS", 300_000)?,
            send_timeout: config::millis("ALERT_SEND_TIMEOUT_MS", 15_000)?,
            send_concurrency: config::positive("ALERT_SEND_CONCURRENCY", 16)?,
            sender_lease: config::secs("ALERT_SENDER_LEASE_S", 120)?,
            tick: config::millis("ALERT_TICK_MS", 1_000)?,
            stale_factor,
            stale_min: config::secs("ALERT_STALE_MIN_S", 900)?,
            stale_max_gap: config::secs("ALERT_STALE_MAX_GAP_S", 86_400)?,
            stale_min_samples: config::or("ALERT_STALE_MIN_SAMPLES", 10)?,
            stale_check: config::secs("ALERT_STALE_CHECK_S", 60)?,
            concurrency: config::positive("ALERT_CONCURRENCY", 16)?,
            batch: config::positive("ALERT_BATCH", 128)?,
            inbox_retention_days: config::or("ALERT_INBOX_RETENTION_DAYS", 14)?,
            digest_every: (!digest_every.is_zero()).then_some(digest_every),
            scheduling_url: base_url("ALERT_SCHEDULING_URL")?,
            warranty_url: base_url("ALERT_WARRANTY_URL")?,
        })
    }

    /// The escalation delay of `severity` (`None`: never escalated).
    pub fn escalation_delay(&self, severity: AlertSeverity) -> Option<Duration> {
        self.escalation_delays.get(&severity).copied()
    }
}

impl SmtpConfig {
    /// `ALERT_SMTP_URL` (e-mail is off without it) and `ALERT_SMTP_FROM`.
    fn from_env() -> Result<Option<Self>, ConfigError> {
        let Ok(url) = config::secret("ALERT_SMTP_URL") else {
            return Ok(None);
        };
        Ok(Some(Self {
            url,
            from: config::or(
                "ALERT_SMTP_FROM",
                "Fleet alerts <alerts@fleet.local>".to_owned(),
            )?,
        }))
    }
}

impl SmsConfig {
    /// `ALERT_SMS_URL` (SMS is off without it) and the account it needs.
    fn from_env() -> Result<Option<Self>, ConfigError> {
        let Some(base_url) = base_url("ALERT_SMS_URL")? else {
            return Ok(None);
        };
        Ok(Some(Self {
            base_url,
            account_sid: config::required("ALERT_SMS_ACCOUNT_SID")?,
            auth_token: config::secret("ALERT_SMS_AUTH_TOKEN")?,
            from: config::required("ALERT_SMS_FROM")?,
        }))
    }
}

impl PushConfig {
    /// `ALERT_PUSH_URL` (push is off without it), the project and a token or token file.
    fn from_env() -> Result<Option<Self>, ConfigError> {
        let Some(base_url) = base_url("ALERT_PUSH_URL")? else {
            return Ok(None);
        };
        let token = match config::secret("ALERT_PUSH_ACCESS_TOKEN") {
            Ok(t) => PushToken::Static(t),
            Err(_) => PushToken::File(
                config::required::<String>("ALERT_PUSH_ACCESS_TOKEN_FILE")
                    .map_err(|_| {
                        ConfigError::Missing(
                            "ALERT_PUSH_ACCESS_TOKEN (or ALERT_PUSH_ACCESS_TOKEN_FILE)".to_owned(),
                        )
                    })?
                    .into(),
            ),
        };
        Ok(Some(Self {
            base_url,
            project: config::required("ALERT_PUSH_PROJECT")?,
            token,
        }))
    }
}

fn invalid(name: &str, value: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        name: name.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

/// An optional http(s) base URL, without its trailing slash (`None`: not set).
fn base_url(name: &str) -> Result<Option<String>, ConfigError> {
    let url: String = config::or(name, String::new())?;
    if url.is_empty() {
        return Ok(None);
    }
    http_url(name, &url)?;
    Ok(Some(url.trim_end_matches('/').to_owned()))
}

fn http_url(name: &str, value: &str) -> Result<(), ConfigError> {
    if value.starts_with("http://") || value.starts_with("https://") {
        Ok(())
    } else {
        Err(invalid(name, value, "must be an http:// or https:// URL"))
    }
}

/// `500ms`, `30s`, `15m`, `2h`, `1d` or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 30s, 15m, 2h, 7d"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86_400.0,
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {s:?}; use ms, s, m, h or d"
            ));
        }
    };
    if !(secs.is_finite() && secs >= 0.0) {
        return Err(format!("{s:?} is not a duration"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn severity_of(name: &str) -> Result<AlertSeverity, String> {
    serde_json::from_value(serde_json::Value::String(name.trim().to_owned())).map_err(|_| {
        format!("unknown severity {name:?}; expected info, warning, critical or emergency")
    })
}

fn channel_of(name: &str) -> Result<Channel, String> {
    serde_json::from_value(serde_json::Value::String(name.trim().to_owned())).map_err(|_| {
        format!("unknown channel {name:?}; expected email, sms, push, webhook or in_app")
    })
}

/// `warning=24h,critical=2h,emergency=15m`; `never` (or `off`) drops a severity.
pub fn parse_delays(s: &str) -> Result<BTreeMap<AlertSeverity, Duration>, String> {
    let mut out = BTreeMap::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("expected severity=duration, got {part:?}"))?;
        let sev = severity_of(k)?;
        if matches!(v.trim(), "never" | "off") {
            out.remove(&sev);
            continue;
        }
        let d = parse_duration(v)?;
        if d.is_zero() {
            return Err(format!("the delay of {k} must be positive"));
        }
        out.insert(sev, d);
    }
    Ok(out)
}

/// `sms=5,push=20`.
pub fn parse_limits(s: &str) -> Result<HashMap<Channel, u32>, String> {
    let mut out = HashMap::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("expected channel=count, got {part:?}"))?;
        let n: u32 = v
            .trim()
            .parse()
            .map_err(|_| format!("{v:?} is not a count"))?;
        out.insert(channel_of(k)?, n);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_delays_and_limits_parse() {
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("2 weeks").is_err());
        let d = parse_delays("warning=24h,critical=2h,emergency=15m").unwrap();
        assert_eq!(d[&AlertSeverity::Emergency], Duration::from_secs(900));
        assert!(!d.contains_key(&AlertSeverity::Info));
        assert!(
            parse_delays("urgent=1h")
                .unwrap_err()
                .contains("unknown severity")
        );
        assert!(
            !parse_delays("warning=never")
                .unwrap()
                .contains_key(&AlertSeverity::Warning)
        );
        let l = parse_limits("sms=5, push=20").unwrap();
        assert_eq!(l[&Channel::Sms], 5);
        assert!(
            parse_limits("fax=1")
                .unwrap_err()
                .contains("unknown channel")
        );
    }
}
