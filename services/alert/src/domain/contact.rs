//! Recipients: contacts with a role on the escalation chain, their addresses, the
//! severities they want on each channel and their quiet hours.

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use shared_schemas::events::{AlertSeverity, Channel};
use utoipa::ToSchema;
use uuid::Uuid;

use super::policy::Role;

/// A recipient of alerts, as stored and served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    /// Id.
    pub contact_id: Uuid,
    /// Organization.
    pub org_id: String,
    /// Display name.
    pub name: String,
    /// Place on the escalation chain.
    pub role: Role,
    /// Vehicles this contact is responsible for; empty = every vehicle of the
    /// organization.
    pub vehicle_ids: Vec<String>,
    /// The platform user this contact is (JWT `sub`), who may then edit their own
    /// preferences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Email address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Mobile number, E.164 (`+15551234567`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Device registration token for push.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_token: Option<String>,
    /// Webhook URL (on-call and ticketing systems).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// Which severities on which channel, quiet hours.
    pub preferences: Preferences,
    /// Inactive contacts get nothing.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl Contact {
    /// The address for `channel`, if the contact has one.
    pub fn address(&self, channel: Channel) -> Option<&str> {
        match channel {
            Channel::Email => self.email.as_deref(),
            Channel::Sms => self.phone.as_deref(),
            Channel::Push => self.push_token.as_deref(),
            Channel::Webhook => self.webhook_url.as_deref(),
            Channel::InApp => None,
        }
    }

    /// Whether the contact is responsible for `vehicle_id`.
    pub fn covers(&self, vehicle_id: &str) -> bool {
        self.vehicle_ids.is_empty() || self.vehicle_ids.iter().any(|v| v == vehicle_id)
    }
}

/// The lowest severity a channel is used for, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MinSeverity {
    /// Info and above.
    Info,
    /// Warning and above.
    Warning,
    /// Critical and above.
    Critical,
    /// Emergencies only.
    Emergency,
    /// Never (emergencies still come: they override preferences).
    Off,
}

impl MinSeverity {
    fn allows(self, s: AlertSeverity) -> bool {
        let min = match self {
            Self::Info => AlertSeverity::Info,
            Self::Warning => AlertSeverity::Warning,
            Self::Critical => AlertSeverity::Critical,
            Self::Emergency => AlertSeverity::Emergency,
            Self::Off => return false,
        };
        s >= min
    }
}

/// Per channel, the lowest severity sent on it. Defaults follow docs/domain.md: email from
/// info, SMS and push from critical, webhooks for emergencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelPrefs {
    /// Email (default `info`).
    #[serde(default = "default_email")]
    pub email: MinSeverity,
    /// SMS (default `critical`).
    #[serde(default = "default_critical")]
    pub sms: MinSeverity,
    /// Push (default `critical`).
    #[serde(default = "default_critical")]
    pub push: MinSeverity,
    /// Webhook (default `emergency`).
    #[serde(default = "default_emergency")]
    pub webhook: MinSeverity,
}

fn default_email() -> MinSeverity {
    MinSeverity::Info
}
fn default_critical() -> MinSeverity {
    MinSeverity::Critical
}
fn default_emergency() -> MinSeverity {
    MinSeverity::Emergency
}

impl Default for ChannelPrefs {
    fn default() -> Self {
        Self {
            email: default_email(),
            sms: default_critical(),
            push: default_critical(),
            webhook: default_emergency(),
        }
    }
}

/// Hours during which SMS and push below emergency wait (email, webhooks and the feed
/// do not wake anyone and are not held).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// Local start, `HH:MM`.
    pub start: String,
    /// Local end, `HH:MM` (before `start`: the quiet hours span midnight).
    pub end: String,
    /// IANA time zone, e.g. `Europe/Berlin` (default `UTC`).
    #[serde(default = "utc")]
    pub timezone: String,
}

fn utc() -> String {
    "UTC".to_owned()
}

/// A contact's preferences.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// The lowest severity per channel.
    #[serde(default)]
    pub channels: ChannelPrefs,
    /// Quiet hours, if any.
    #[serde(default)]
    pub quiet_hours: Option<QuietHours>,
}

impl Preferences {
    /// Checks the quiet hours; the error names the problem.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(q) = &self.quiet_hours {
            q.parsed()?;
        }
        Ok(())
    }

    /// Whether `channel` is wanted for `severity` (emergencies override).
    pub fn wants(&self, channel: Channel, severity: AlertSeverity) -> bool {
        if severity == AlertSeverity::Emergency {
            return true;
        }
        let min = match channel {
            Channel::Email => self.channels.email,
            Channel::Sms => self.channels.sms,
            Channel::Push => self.channels.push,
            Channel::Webhook => self.channels.webhook,
            Channel::InApp => MinSeverity::Info,
        };
        min.allows(severity)
    }

    /// When a message on `channel` may go out if it is `now` within the quiet hours
    /// (`None`: now). Only SMS and push below emergency are held.
    pub fn held_until(
        &self,
        channel: Channel,
        severity: AlertSeverity,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        if severity == AlertSeverity::Emergency || !matches!(channel, Channel::Sms | Channel::Push)
        {
            return None;
        }
        let (start, end, tz) = self.quiet_hours.as_ref()?.parsed().ok()?;
        quiet_end(start, end, tz, now)
    }
}

impl QuietHours {
    fn parsed(&self) -> Result<(NaiveTime, NaiveTime, chrono_tz::Tz), String> {
        let t = |s: &str, what: &str| {
            NaiveTime::parse_from_str(s, "%H:%M")
                .map_err(|_| format!("quiet_hours.{what} {s:?} is not a time like 22:00"))
        };
        let start = t(&self.start, "start")?;
        let end = t(&self.end, "end")?;
        if start == end {
            return Err("quiet_hours.start and quiet_hours.end are equal".to_owned());
        }
        let tz: chrono_tz::Tz = self.timezone.parse().map_err(|_| {
            format!(
                "quiet_hours.timezone {:?} is not an IANA time zone like Europe/Berlin",
                self.timezone
            )
        })?;
        Ok((start, end, tz))
    }
}

/// The end of the quiet period containing `now`, or `None` when `now` is outside.
fn quiet_end(
    start: NaiveTime,
    end: NaiveTime,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let local = now.with_timezone(&tz);
    let t = local.time();
    let today = local.date_naive();
    let inside = if start < end {
        t >= start && t < end
    } else {
        t >= start || t < end
    };
    if !inside {
        return None;
    }
    let end_date = if start > end && t >= start {
        today.succ_opt()?
    } else {
        today
    };
    let naive = end_date.and_time(end);
    // A gap (DST spring forward) at the end: the earliest valid instant after it.
    let resolved = tz.from_local_datetime(&naive).earliest().or_else(|| {
        tz.from_local_datetime(&(naive + chrono::Duration::hours(1)))
            .earliest()
    })?;
    Some(resolved.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn prefs(start: &str, end: &str, tz: &str) -> Preferences {
        Preferences {
            channels: ChannelPrefs::default(),
            quiet_hours: Some(QuietHours {
                start: start.to_owned(),
                end: end.to_owned(),
                timezone: tz.to_owned(),
            }),
        }
    }

    #[test]
    fn channel_preferences_and_emergency_override() {
        let p = Preferences::default();
        assert!(p.wants(Channel::Email, AlertSeverity::Info));
        assert!(!p.wants(Channel::Sms, AlertSeverity::Warning));
        assert!(p.wants(Channel::Sms, AlertSeverity::Critical));
        let mut off = p.clone();
        off.channels.sms = MinSeverity::Off;
        assert!(!off.wants(Channel::Sms, AlertSeverity::Critical));
        assert!(off.wants(Channel::Sms, AlertSeverity::Emergency));
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn quiet_hours_span_midnight_in_the_contacts_time_zone() {
        use AlertSeverity::{Critical, Emergency, Info, Warning};
        use Channel::{Email, Push, Sms};
        let berlin = prefs("22:00", "07:00", "Europe/Berlin");
        let day = prefs("09:00", "17:00", "UTC");
        // 23:30 UTC on 2026-01-15 is 00:30 in Berlin (UTC+1).
        let night = utc(2026, 1, 15, 23, 30);
        let cases = [
            // Held until 06:00 UTC.
            (&berlin, Sms, Critical, night, Some(utc(2026, 1, 16, 6, 0))),
            // 21:30 Berlin: before, nothing held; 20:30 UTC.
            (&berlin, Sms, Critical, utc(2026, 1, 15, 20, 30), None),
            // 22:30 Berlin: until 07:00 Berlin the next day.
            (
                &berlin,
                Push,
                Warning,
                utc(2026, 1, 15, 21, 30),
                Some(utc(2026, 1, 16, 6, 0)),
            ),
            // Email and emergencies are never held.
            (&berlin, Email, Critical, night, None),
            (&berlin, Sms, Emergency, night, None),
            // Summer time: 22:00–07:00 Berlin is UTC+2.
            (
                &berlin,
                Sms,
                Critical,
                utc(2026, 7, 1, 1, 0),
                Some(utc(2026, 7, 1, 5, 0)),
            ),
            // Daytime window.
            (
                &day,
                Sms,
                Info,
                utc(2026, 3, 2, 12, 0),
                Some(utc(2026, 3, 2, 17, 0)),
            ),
        ];
        for (p, channel, severity, at, held) in cases {
            assert_eq!(
                p.held_until(channel, severity, at),
                held,
                "{channel:?} {severity:?} at {at}"
            );
        }
    }

    #[test]
    fn invalid_quiet_hours_name_the_field() {
        assert!(
            prefs("25:00", "07:00", "UTC")
                .validate()
                .unwrap_err()
                .contains("quiet_hours.start")
        );
        assert!(
            prefs("22:00", "07:00", "Mars/Olympus")
                .validate()
                .unwrap_err()
                .contains("timezone")
        );
        assert!(prefs("22:00", "22:00", "UTC").validate().is_err());
    }
}
