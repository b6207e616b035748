//! `fleetctl`: operator commands. `login` takes a token from the analytics service;
//! `org` and `user` manage organizations and accounts through its API; `token` mints a
//! development token signed with `JWT_SECRET` (tests and scripts only).

mod api;

use anyhow::Context;
use clap::{Parser, Subcommand};
use shared_runtime::auth::{Claims, Jwt, Role};
use shared_runtime::config;

#[derive(Debug, Parser)]
#[command(name = "fleetctl", about = "Fleet platform operator commands")]
struct Cli {
    /// The analytics service.
    #[arg(
        long,
        global = true,
        env = "FLEET_ANALYTICS_URL",
        default_value = "http://127.0.0.1:8007"
    )]
    url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Log in; prints the access token (15 minutes). The password comes from
    /// FLEET_PASSWORD or the first line of standard input.
    Login {
        /// Email address.
        #[arg(long, env = "FLEET_EMAIL")]
        email: String,
    },
    /// Organizations (needs an admin's FLEET_TOKEN).
    Org {
        #[command(subcommand)]
        command: api::OrgCommand,
    },
    /// User accounts (needs an admin's or fleet manager's FLEET_TOKEN).
    User {
        #[command(subcommand)]
        command: api::UserCommand,
    },
    /// Print a development JWT signed with JWT_SECRET (accepted only by services that
    /// run with that development secret: tests, fuzzing, benchmarks).
    Token {
        /// admin, fleet_manager, technician, owner, support or service.
        #[arg(long)]
        role: Role,
        /// Organization (fleet) id.
        #[arg(long, default_value = "dev")]
        org: String,
        /// Subject: user id or service name.
        #[arg(long, default_value = "dev-user")]
        sub: String,
        /// Vehicles an owner may see (comma-separated).
        #[arg(long, value_delimiter = ',')]
        vehicles: Vec<String>,
        /// Service centers of a technician (comma-separated).
        #[arg(long, value_delimiter = ',')]
        centers: Vec<String>,
        /// Lifetime, e.g. 30m, 12h, 7d.
        #[arg(long, default_value = "12h", value_parser = parse_ttl)]
        ttl: chrono::Duration,
    },
}

fn parse_ttl(s: &str) -> Result<chrono::Duration, String> {
    let (num, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 30m, 12h or 7d"))?;
    match unit {
        "s" => Ok(chrono::Duration::seconds(n)),
        "m" => Ok(chrono::Duration::minutes(n)),
        "h" => Ok(chrono::Duration::hours(n)),
        "d" => Ok(chrono::Duration::days(n)),
        _ => Err(format!("{s:?}: unit must be s, m, h or d")),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let api = api::Api::new(&cli.url)?;
    match cli.command {
        Command::Login { email } => {
            let password = api::password_from_env_or_stdin()?;
            println!("{}", api.login(&email, &password).await?);
        }
        Command::Org { command } => api.org(command).await?,
        Command::User { command } => api.user(command).await?,
        Command::Token {
            role,
            org,
            sub,
            vehicles,
            centers,
            ttl,
        } => {
            let secret = config::secret("JWT_SECRET").context("minting a development token")?;
            let mut claims = Claims::new(sub, role, org, ttl);
            claims.vehicle_ids = vehicles;
            claims.center_ids = centers;
            println!("{}", Jwt::new(&secret).issue(&claims)?);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_ttl;

    #[test]
    fn ttl_units() {
        assert_eq!(parse_ttl("90s"), Ok(chrono::Duration::seconds(90)));
        assert_eq!(parse_ttl("7d"), Ok(chrono::Duration::days(7)));
        assert!(parse_ttl("7w").is_err());
        assert!(parse_ttl("").is_err());
    }
}
