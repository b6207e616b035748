//! Analytics settings from the environment.

use std::path::PathBuf;
use std::time::Duration;

use shared_runtime::config::{self, CommonConfig, ConfigError, Secret};

/// Service port from docs/domain.md.
pub const DEFAULT_PORT: u16 = 8007;

/// Everything the analytics service reads from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Settings every service shares.
    pub common: CommonConfig,
    /// Identity: keys, token lifetimes, lockout, bootstrap admin, service clients.
    pub identity: IdentityConfig,
    /// `ANALYTICS_SMTP_URL` (e.g. `smtp://127.0.0.1:2525`, `smtps://user:pass@host`):
    /// where password-reset links and scheduled reports are sent from. Unset: no mail
    /// (reset requests are accepted and logged as undeliverable).
    pub smtp_url: Option<Secret>,
    /// `ANALYTICS_MAIL_FROM`: sender address (default `fleet-platform@localhost`).
    pub mail_from: String,
    /// `ANALYTICS_PUBLIC_URL`: base of links in mail (default `http://localhost:8007`).
    pub public_url: String,
    /// `ANALYTICS_AUDIT_YIELDS_TO`: consumer groups (comma-separated, `none` for none;
    /// default `health`) that the audit's backfill yields to while they fall behind on
    /// live events (ADR 0020).
    pub audit_yields_to: Vec<String>,
    /// The web dashboard served from this origin (ADR 0022).
    pub dashboard: DashboardConfig,
}

/// The dashboard's one origin: its built files and the services it reaches through
/// `/api/<service>/...` (ADR 0022).
#[derive(Debug, Clone, Default)]
pub struct DashboardConfig {
    /// `ANALYTICS_DASHBOARD_DIR`: the built dashboard (`dashboard/dist`), served at `/`
    /// (its client-side routes answer `index.html`). Unset: no dashboard.
    pub dir: Option<PathBuf>,
    /// `ANALYTICS_UPSTREAMS`: `name=base_url` pairs, comma-separated (e.g.
    /// `alert=http://127.0.0.1:8004`): `/api/<name>/<path>` is forwarded to
    /// `<base_url>/<path>` with the caller's `Authorization`. Unset: no forwarding.
    pub upstreams: Vec<(String, String)>,
}

impl DashboardConfig {
    fn from_env() -> Result<Self, ConfigError> {
        let dir: String = config::or("ANALYTICS_DASHBOARD_DIR", String::new())?;
        let upstreams: String = config::or("ANALYTICS_UPSTREAMS", String::new())?;
        Ok(Self {
            dir: (!dir.trim().is_empty()).then(|| PathBuf::from(dir.trim())),
            upstreams: parse_upstreams(&upstreams).map_err(|reason| ConfigError::Invalid {
                name: "ANALYTICS_UPSTREAMS".to_owned(),
                value: upstreams.clone(),
                reason,
            })?,
        })
    }
}

/// `name=url,name=url`: names of lowercase letters, digits and `-`, each once; URLs
/// `http(s)://` without a trailing slash (one is trimmed).
pub fn parse_upstreams(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, url) = pair
            .split_once('=')
            .ok_or_else(|| format!("'{pair}' is not name=url"))?;
        let (name, url) = (name.trim(), url.trim().trim_end_matches('/'));
        let valid_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid_name {
            return Err(format!(
                "'{name}': a name is lowercase letters, digits and '-'"
            ));
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains('?') {
            return Err(format!("'{url}' ({name}): an http:// or https:// base URL"));
        }
        if out.iter().any(|(n, _)| n == name) {
            return Err(format!("'{name}' is named twice"));
        }
        out.push((name.to_owned(), url.to_owned()));
    }
    Ok(out)
}

/// How users and services prove who they are.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// `ANALYTICS_SIGNING_KEY`: the Ed25519 key access tokens are signed with: its
    /// 32-byte seed (64 hex digits or base64) or a PKCS#8 PEM
    /// (`openssl genpkey -algorithm ed25519`).
    pub signing_key: Secret,
    /// `ANALYTICS_RETIRED_SIGNING_KEY`: the previous key after a rotation; its public
    /// half stays in the JWKS so tokens it signed verify until they expire.
    pub retired_signing_key: Option<Secret>,
    /// `ANALYTICS_ACCESS_TTL_S`: access-token lifetime (default 900, at most 900).
    pub access_ttl: Duration,
    /// `ANALYTICS_REFRESH_TTL_DAYS`: refresh-token lifetime (default 30).
    pub refresh_ttl_days: u32,
    /// `ANALYTICS_LOCKOUT_AFTER`: failed logins before an account is locked (default 5).
    pub lockout_after: u32,
    /// `ANALYTICS_LOCKOUT_S`: first lock duration, doubled for each further failure up
    /// to an hour (default 60).
    pub lockout: Duration,
    /// `ANALYTICS_RESET_TTL_MIN`: how long a password-reset link works (default 30).
    pub reset_ttl: Duration,
    /// `ANALYTICS_INVITE_TTL_HOURS`: how long an invitation works (default 72).
    pub invite_ttl: Duration,
    /// `ANALYTICS_BOOTSTRAP_ADMIN_EMAIL` / `_PASSWORD`: the first admin, created when
    /// no user exists yet.
    pub bootstrap_admin: Option<(String, Secret)>,
    /// `ANALYTICS_SERVICE_CLIENTS`: `name=secret` pairs, comma-separated: the services
    /// that may take a token with the client-credentials grant.
    pub service_clients: Secret,
}

impl Config {
    /// Reads the configuration; the error names the offending variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env(DEFAULT_PORT)?,
            identity: IdentityConfig::from_env()?,
            smtp_url: config::optional_secret("ANALYTICS_SMTP_URL"),
            mail_from: config::or("ANALYTICS_MAIL_FROM", "fleet-platform@localhost".to_owned())?,
            public_url: config::or(
                "ANALYTICS_PUBLIC_URL",
                format!("http://localhost:{DEFAULT_PORT}"),
            )?,
            audit_yields_to: config::list("ANALYTICS_AUDIT_YIELDS_TO", &["health"]),
            dashboard: DashboardConfig::from_env()?,
        })
    }
}

impl IdentityConfig {
    /// The documented defaults with `signing_key`: no bootstrap admin, no service
    /// clients (what tests and benchmarks start from).
    pub fn with_signing_key(signing_key: Secret) -> Self {
        Self {
            signing_key,
            retired_signing_key: None,
            access_ttl: Duration::from_secs(900),
            refresh_ttl_days: 30,
            lockout_after: 5,
            lockout: Duration::from_secs(60),
            reset_ttl: Duration::from_secs(30 * 60),
            invite_ttl: Duration::from_secs(72 * 3600),
            bootstrap_admin: None,
            service_clients: Secret::new(""),
        }
    }

    fn from_env() -> Result<Self, ConfigError> {
        let d = Self::with_signing_key(config::secret("ANALYTICS_SIGNING_KEY")?);
        let access_ttl = config::positive("ANALYTICS_ACCESS_TTL_S", d.access_ttl.as_secs())?;
        if access_ttl > 900 {
            return Err(ConfigError::Invalid {
                name: "ANALYTICS_ACCESS_TTL_S".to_owned(),
                value: access_ttl.to_string(),
                reason: "access tokens live at most 15 minutes (900 s)".to_owned(),
            });
        }
        let admin_email: String = config::or("ANALYTICS_BOOTSTRAP_ADMIN_EMAIL", String::new())?;
        let bootstrap_admin = if admin_email.is_empty() {
            None
        } else {
            Some((
                admin_email,
                config::secret("ANALYTICS_BOOTSTRAP_ADMIN_PASSWORD")?,
            ))
        };
        Ok(Self {
            retired_signing_key: config::optional_secret("ANALYTICS_RETIRED_SIGNING_KEY"),
            access_ttl: Duration::from_secs(access_ttl),
            refresh_ttl_days: config::positive("ANALYTICS_REFRESH_TTL_DAYS", d.refresh_ttl_days)?,
            lockout_after: config::positive("ANALYTICS_LOCKOUT_AFTER", d.lockout_after)?,
            lockout: Duration::from_secs(config::positive(
                "ANALYTICS_LOCKOUT_S",
                d.lockout.as_secs(),
            )?),
            reset_ttl: Duration::from_secs(
                60 * config::positive("ANALYTICS_RESET_TTL_MIN", d.reset_ttl.as_secs() / 60)?,
            ),
            invite_ttl: Duration::from_secs(
                3600 * config::positive(
                    "ANALYTICS_INVITE_TTL_HOURS",
                    d.invite_ttl.as_secs() / 3600,
                )?,
            ),
            bootstrap_admin,
            service_clients: config::optional_secret("ANALYTICS_SERVICE_CLIENTS")
                .unwrap_or(d.service_clients),
            ..d
        })
    }
}
