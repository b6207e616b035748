//! `fleetctl`: operator commands. For now it mints development tokens, signed with
//! `JWT_SECRET`, until the analytics service issues real ones at login.

use anyhow::Context;
use clap::{Parser, Subcommand};
use shared_runtime::auth::{Claims, Jwt, Role};
use shared_runtime::config;

#[derive(Debug, Parser)]
#[command(name = "fleetctl", about = "Fleet platform operator commands")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a signed JWT for development (reads JWT_SECRET from the environment).
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
        /// Service center of a technician.
        #[arg(long)]
        center: Option<String>,
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

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Token {
            role,
            org,
            sub,
            vehicles,
            center,
            ttl,
        } => {
            let secret = config::secret("JWT_SECRET").context("minting a token")?;
            let mut claims = Claims::new(sub, role, org, ttl);
            claims.vehicle_ids = vehicles;
            claims.center_ids = center.into_iter().collect();
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
