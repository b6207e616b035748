//! The analytics API as fleetctl uses it.

use anyhow::{Context, bail};
use clap::Subcommand;
use serde_json::{Value, json};

/// Organization commands.
#[derive(Debug, Subcommand)]
pub(crate) enum OrgCommand {
    /// Create an organization.
    Create {
        /// Id (letters, digits, `. _ : -`), as in events' org_id.
        #[arg(long)]
        id: String,
        /// Display name.
        #[arg(long)]
        name: String,
    },
    /// List the organizations you may see.
    List,
}

/// User commands.
#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create an account. With --password-stdin (or FLEET_NEW_PASSWORD) it gets that
    /// password; otherwise the user is invited by email (the link is printed too).
    Create {
        /// Email address (the login name).
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// admin, fleet_manager, technician, owner or support.
        #[arg(long)]
        role: String,
        /// Organization (default: yours).
        #[arg(long)]
        org: Option<String>,
        /// An owner's vehicles (comma-separated).
        #[arg(long, value_delimiter = ',')]
        vehicles: Vec<String>,
        /// A technician's service centers (comma-separated).
        #[arg(long, value_delimiter = ',')]
        centers: Vec<String>,
        /// Read the initial password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts (of --org, or yours).
    List {
        /// Organization (admins).
        #[arg(long)]
        org: Option<String>,
    },
}

/// A client of the analytics service.
pub(crate) struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    pub(crate) fn new(base: &str) -> anyhow::Result<Self> {
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()?,
        })
    }

    /// An access token for `email`.
    pub(crate) async fn login(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let body = json!({ "email": email, "password": password });
        let session = self
            .call(reqwest::Method::POST, "/v1/auth/login", None, Some(&body))
            .await?;
        session["access_token"]
            .as_str()
            .map(str::to_owned)
            .context("the answer has no access_token")
    }

    pub(crate) async fn org(&self, command: OrgCommand) -> anyhow::Result<()> {
        let token = token()?;
        let answer = match command {
            OrgCommand::Create { id, name } => {
                let body = json!({ "id": id, "name": name });
                self.call(reqwest::Method::POST, "/v1/orgs", Some(&token), Some(&body))
                    .await?
            }
            OrgCommand::List => {
                self.call(reqwest::Method::GET, "/v1/orgs", Some(&token), None)
                    .await?
            }
        };
        println!("{}", serde_json::to_string_pretty(&answer)?);
        Ok(())
    }

    pub(crate) async fn user(&self, command: UserCommand) -> anyhow::Result<()> {
        let token = token()?;
        let answer = match command {
            UserCommand::Create {
                email,
                name,
                role,
                org,
                vehicles,
                centers,
                password_stdin,
            } => {
                let password = if password_stdin {
                    Some(first_stdin_line()?)
                } else {
                    std::env::var("FLEET_NEW_PASSWORD").ok()
                };
                let body = json!({
                    "email": email, "name": name, "role": role, "org_id": org,
                    "vehicle_ids": vehicles, "center_ids": centers, "password": password,
                });
                self.call(
                    reqwest::Method::POST,
                    "/v1/users",
                    Some(&token),
                    Some(&body),
                )
                .await?
            }
            UserCommand::List { org } => {
                let path = match org {
                    Some(org) => format!("/v1/users?org_id={org}"),
                    None => "/v1/users".to_owned(),
                };
                self.call(reqwest::Method::GET, &path, Some(&token), None)
                    .await?
            }
        };
        println!("{}", serde_json::to_string_pretty(&answer)?);
        Ok(())
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url);
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(b) = body {
            request = request.json(b);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("calling {url}"))?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!(
                "{url} answered {status}: {}",
                answer["message"].as_str().unwrap_or("(no message)")
            );
        }
        Ok(answer)
    }
}

fn token() -> anyhow::Result<String> {
    std::env::var("FLEET_TOKEN").context("set FLEET_TOKEN to an access token (fleetctl login)")
}

/// FLEET_PASSWORD, or the first line of standard input.
pub(crate) fn password_from_env_or_stdin() -> anyhow::Result<String> {
    match std::env::var("FLEET_PASSWORD") {
        Ok(p) if !p.is_empty() => Ok(p),
        _ => first_stdin_line(),
    }
}

fn first_stdin_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    if line.is_empty() {
        bail!("no password on standard input");
    }
    Ok(line)
}
