//! The broker subscriber's settings: `INGESTION_MQTT_*`.

use shared_runtime::config::{self, ConfigError};

/// How ingestion reaches the broker (ADR 0024). Absent when `INGESTION_MQTT_URL` is
/// unset: MQTT ingestion is off.
#[derive(Clone)]
pub struct MqttConfig {
    /// Broker host.
    pub host: String,
    /// Broker port (1883 when the URL names none).
    pub port: u16,
    /// The subscriber's own broker credentials (user, password), from the URL's user
    /// part: its ACL lets it read `{topic_root}/#` and nothing else.
    pub credentials: Option<(String, String)>,
    /// `INGESTION_MQTT_CLIENT_ID`: must be stable across restarts and distinct per
    /// instance (default `ingestion-<hostname>`). The session is persistent, so messages
    /// taken but not acknowledged when an instance dies are delivered again when that
    /// client id reconnects.
    pub client_id: String,
    /// `INGESTION_MQTT_SHARE_GROUP`: the shared-subscription group instances split the
    /// load in (default `ingestion`).
    pub share_group: String,
    /// `INGESTION_MQTT_TOPIC_ROOT`: first topic level (default `fleet`); devices publish
    /// to `{root}/{org}/{vehicle}/telemetry` and `{root}/{org}/{vehicle}/batch`.
    pub topic_root: String,
    /// `INGESTION_MQTT_INFLIGHT`: messages handled at once, unacknowledged (default 100).
    pub inflight: usize,
    /// `INGESTION_MQTT_MAX_PACKET`: largest message taken, bytes (default 16 MiB).
    pub max_packet: usize,
}

impl std::fmt::Debug for MqttConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.credentials.as_ref().map(|c| &c.0))
            .field("client_id", &self.client_id)
            .field("share_group", &self.share_group)
            .field("topic_root", &self.topic_root)
            .finish_non_exhaustive()
    }
}

impl MqttConfig {
    /// Settings for the broker at `url` (`mqtt://[user:password@]host[:port]`), the
    /// rest defaulted.
    pub fn new(url: &str, client_id: impl Into<String>) -> Result<Self, String> {
        let rest = url
            .strip_prefix("mqtt://")
            .or_else(|| url.strip_prefix("tcp://"))
            .ok_or_else(|| format!("`{url}` is not an mqtt:// URL"))?;
        let rest = rest.trim_end_matches('/');
        let (credentials, hostport) = match rest.rsplit_once('@') {
            Some((user, hostport)) => {
                let (u, p) = user.split_once(':').unwrap_or((user, ""));
                (Some((u.to_owned(), p.to_owned())), hostport)
            }
            None => (None, rest),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse()
                    .map_err(|_| format!("`{p}` is not a port in `{hostport}`"))?,
            ),
            None => (hostport, 1883),
        };
        if host.is_empty() {
            return Err(format!("no host in `{url}`"));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            credentials,
            client_id: client_id.into(),
            share_group: "ingestion".to_owned(),
            topic_root: "fleet".to_owned(),
            inflight: 100,
            max_packet: 16 * 1024 * 1024,
        })
    }

    /// `INGESTION_MQTT_URL` and friends; `None` when the URL is unset.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        let Ok(url) = std::env::var("INGESTION_MQTT_URL") else {
            return Ok(None);
        };
        if url.trim().is_empty() {
            return Ok(None);
        }
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".to_owned());
        let client_id: String =
            config::or("INGESTION_MQTT_CLIENT_ID", format!("ingestion-{host}"))?;
        let mut mqtt = Self::new(&url, client_id).map_err(|reason| ConfigError::Invalid {
            name: "INGESTION_MQTT_URL".to_owned(),
            // The URL may carry the subscriber's password.
            value: "<redacted>".to_owned(),
            reason,
        })?;
        mqtt.share_group = config::or("INGESTION_MQTT_SHARE_GROUP", mqtt.share_group)?;
        mqtt.topic_root = config::or("INGESTION_MQTT_TOPIC_ROOT", mqtt.topic_root)?;
        mqtt.inflight = config::positive("INGESTION_MQTT_INFLIGHT", mqtt.inflight)?;
        mqtt.max_packet = config::positive("INGESTION_MQTT_MAX_PACKET", mqtt.max_packet)?;
        Ok(Some(mqtt))
    }

    /// The two shared subscriptions: `$share/{group}/{root}/+/+/telemetry` and `…/batch`.
    pub fn subscriptions(&self) -> [String; 2] {
        ["telemetry", "batch"]
            .map(|kind| format!("$share/{}/{}/+/+/{kind}", self.share_group, self.topic_root))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_parsed_with_and_without_credentials() {
        let c = MqttConfig::new("mqtt://ing:s3cr:t@broker.local:1884", "i-0").unwrap();
        assert_eq!((c.host.as_str(), c.port), ("broker.local", 1884));
        assert_eq!(c.credentials, Some(("ing".to_owned(), "s3cr:t".to_owned())));
        let c = MqttConfig::new("mqtt://127.0.0.1", "i-0").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.credentials.clone()),
            ("127.0.0.1", 1883, None)
        );
        assert_eq!(
            c.subscriptions(),
            [
                "$share/ingestion/fleet/+/+/telemetry",
                "$share/ingestion/fleet/+/+/batch"
            ]
        );
        assert!(MqttConfig::new("http://x", "i").is_err());
        assert!(MqttConfig::new("mqtt://x:notaport", "i").is_err());
    }
}
