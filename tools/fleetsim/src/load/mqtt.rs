//! `load --mqtt`: the same readings published to the broker (QoS 1, one vehicle per
//! message, to `{root}/{org}/{vehicle}/telemetry` or `…/batch`) instead of POSTed.
//!
//! A broker's PUBACK says the broker has the message, not that ingestion took it, so
//! what reached the stream is read from ingestion's own counters: `--url`'s `/metrics`
//! (`ingestion_readings_total{outcome}`) before the run and until it stops growing
//! after the last message. The reported rate is readings counted there per second from
//! the first publish to the last count that grew; the latency is publish → PUBACK.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Outgoing, Packet, QoS};

use super::LoadReport;

/// Where `--mqtt` publishes.
#[derive(Debug, Clone)]
pub struct MqttTarget {
    /// `mqtt://[user:password@]host[:port]`.
    pub url: String,
    /// The organization level of the topics.
    pub org: String,
    /// The first topic level.
    pub root: String,
}

/// The publishing side of a run: the client and each vehicle's topic.
#[derive(Debug)]
pub(super) struct Sink {
    client: AsyncClient,
    /// Per template (vehicle), the topic its messages go to.
    topics: Vec<String>,
}

impl Sink {
    /// A handle on the connection (to disconnect it).
    pub(super) fn client(&self) -> AsyncClient {
        self.client.clone()
    }

    /// Queues `body` (readings of vehicle `vi`) for publishing at QoS 1.
    pub(super) async fn publish(&self, vi: usize, body: Vec<u8>, tally: &mut LoadReport) {
        tally.requests += 1;
        if self
            .client
            .publish(&self.topics[vi], QoS::AtLeastOnce, false, body)
            .await
            .is_err()
        {
            tally.errors += 1;
            tally.transport_errors += 1;
        }
    }
}

/// Connects to the broker; returns the sink (topics for `vehicles`, messages of
/// `kind`) and the event loop, to be polled by [`acknowledgements`].
pub(super) fn connect(
    target: &MqttTarget,
    vehicles: &[String],
    kind: &str,
    window: usize,
) -> anyhow::Result<(Sink, EventLoop)> {
    let rest = target
        .url
        .strip_prefix("mqtt://")
        .with_context(|| format!("--mqtt {} is not an mqtt:// URL", target.url))?;
    let (user, hostport) = match rest.trim_end_matches('/').rsplit_once('@') {
        Some((user, hostport)) => (Some(user.split_once(':').unwrap_or((user, ""))), hostport),
        None => (None, rest.trim_end_matches('/')),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse()
                .with_context(|| format!("bad port in --mqtt {hostport}"))?,
        ),
        None => (hostport, 1883),
    };
    if host.is_empty() {
        bail!("no host in --mqtt {}", target.url);
    }
    let id = format!(
        "fleetsim-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let mut options = MqttOptions::new(id, host, port);
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_max_packet_size(64 << 20, 64 << 20)
        .set_inflight(u16::try_from(window).unwrap_or(u16::MAX).max(1));
    if let Some((u, p)) = user {
        options.set_credentials(u, p);
    }
    let (client, events) = AsyncClient::new(options, window.max(16));
    let topics = vehicles
        .iter()
        .map(|v| format!("{}/{}/{v}/{kind}", target.root, target.org))
        .collect();
    Ok((Sink { client, topics }, events))
}

/// What the event loop saw: acknowledged messages and their publish → PUBACK times.
#[derive(Debug)]
pub(super) struct Acks {
    pub(super) acked: Arc<AtomicU64>,
    pub(super) latency_us: Histogram<u64>,
    pub(super) error: Option<String>,
}

/// Polls the connection until it is disconnected (or fails), counting PUBACKs.
pub(super) async fn acknowledgements(
    mut events: EventLoop,
    acked: Arc<AtomicU64>,
    mut latency_us: Histogram<u64>,
) -> Acks {
    let mut sent: HashMap<u16, Instant> = HashMap::new();
    let error = loop {
        match events.poll().await {
            Ok(Event::Outgoing(Outgoing::Publish(pkid))) => {
                sent.insert(pkid, Instant::now());
            }
            Ok(Event::Incoming(Packet::PubAck(ack))) => {
                if let Some(t0) = sent.remove(&ack.pkid) {
                    latency_us.saturating_record((t0.elapsed().as_micros() as u64).max(1));
                }
                acked.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Event::Outgoing(Outgoing::Disconnect)) => break None,
            Ok(_) => {}
            Err(e) => break Some(e.to_string()),
        }
    };
    Acks {
        acked,
        latency_us,
        error,
    }
}

/// Ingestion's reading counters: accepted, duplicate, rejected.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Counted {
    pub(super) accepted: u64,
    pub(super) duplicate: u64,
    pub(super) rejected: u64,
}

impl Counted {
    pub(super) fn total(self) -> u64 {
        self.accepted + self.duplicate + self.rejected
    }
}

/// Reads `ingestion_readings_total{outcome}` from ingestion's `/metrics` at `base`.
pub(super) async fn counted(http: &reqwest::Client, base: &str) -> anyhow::Result<Counted> {
    let url = format!("{}/metrics", base.trim_end_matches('/'));
    let text = http
        .get(&url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .with_context(|| format!("reading {url}"))?
        .text()
        .await?;
    Ok(parse_counts(&text))
}

fn parse_counts(text: &str) -> Counted {
    let mut c = Counted::default();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("ingestion_readings_total{outcome=\"") else {
            continue;
        };
        let Some((outcome, value)) = rest.split_once("\"}") else {
            continue;
        };
        let n = value.trim().parse::<f64>().unwrap_or(0.0) as u64;
        match outcome {
            "accepted" => c.accepted = n,
            "duplicate" => c.duplicate = n,
            "rejected" => c.rejected = n,
            _ => {}
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_counters_are_parsed_from_the_exposition() {
        let text = "# TYPE ingestion_readings_total counter\n\
                    ingestion_readings_total{outcome=\"accepted\"} 1500\n\
                    ingestion_readings_total{outcome=\"duplicate\"} 2\n\
                    ingestion_readings_total{outcome=\"deferred\"} 9\n\
                    ingestion_mqtt_messages_total{outcome=\"acked\"} 3\n";
        let c = parse_counts(text);
        assert_eq!(
            c,
            Counted {
                accepted: 1500,
                duplicate: 2,
                rejected: 0
            }
        );
        assert_eq!(c.total(), 1502);
    }

    #[test]
    fn urls_and_topics() {
        let target = MqttTarget {
            url: "mqtt://dev:pw@127.0.0.1:1884".to_owned(),
            org: "dev".to_owned(),
            root: "fleet".to_owned(),
        };
        let (sink, _events) = connect(&target, &["VH-1".to_owned()], "batch", 8).expect("connect");
        assert_eq!(sink.topics, ["fleet/dev/VH-1/batch"]);
        let bad = MqttTarget {
            url: "http://x".to_owned(),
            ..target
        };
        assert!(connect(&bad, &[], "telemetry", 8).is_err());
    }
}
