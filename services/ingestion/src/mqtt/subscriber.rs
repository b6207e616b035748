//! The broker connection: subscribe, take messages, hand each to [`handle`] on its own
//! task, acknowledge it once handled.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rumqttc::{
    AsyncClient, Event, EventLoop, MqttOptions, Packet, Publish, QoS, SubscribeReasonCode,
};
use shared_runtime::service::Tasks;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::config::MqttConfig;
use super::handle::{Wait, handle};
use super::topic::Route;
use crate::state::AppState;

/// How long `start` waits for the broker to confirm the subscriptions before the
/// service starts anyway (the subscriber keeps trying in the background).
const SUBSCRIBE_WAIT: Duration = Duration::from_secs(10);
/// First and longest pause before trying a held message again after Redis or the
/// registry failed.
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// `ingestion_mqtt_*`: messages by outcome, holds by reason, connection state.
struct Metrics {
    received: metrics::Counter,
    acked: metrics::Counter,
    rejected: metrics::Counter,
    unroutable: metrics::Counter,
    held_unavailable: metrics::Counter,
    held_backlogged: metrics::Counter,
    connected: metrics::Gauge,
}

impl Metrics {
    fn register() -> Self {
        shared_runtime::http::metrics_handle();
        let outcome =
            |o: &'static str| metrics::counter!("ingestion_mqtt_messages_total", "outcome" => o);
        let held = |r: &'static str| metrics::counter!("ingestion_mqtt_held_total", "reason" => r);
        Self {
            received: outcome("received"),
            acked: outcome("acked"),
            rejected: outcome("rejected"),
            unroutable: outcome("unroutable"),
            held_unavailable: held("unavailable"),
            held_backlogged: held("backlogged"),
            connected: metrics::gauge!("ingestion_mqtt_connected"),
        }
    }
}

/// What every message task shares.
struct Shared {
    client: AsyncClient,
    state: AppState,
    root: String,
    metrics: Metrics,
    shutdown: CancellationToken,
}

/// Connects to the broker and subscribes (waiting up to 10 s for the broker to confirm,
/// so a started service is listening), then serves messages on `tasks` until shutdown.
pub async fn start(config: MqttConfig, state: AppState, tasks: &mut Tasks) -> anyhow::Result<()> {
    let mut options = MqttOptions::new(&config.client_id, &config.host, config.port);
    options
        .set_clean_session(false)
        .set_manual_acks(true)
        .set_keep_alive(Duration::from_secs(30))
        .set_max_packet_size(config.max_packet, config.max_packet);
    if let Some((user, password)) = &config.credentials {
        options.set_credentials(user, password);
    }
    let inflight = config.inflight;
    let (client, events) = AsyncClient::new(options, 2 * inflight + 16);
    let shared = Arc::new(Shared {
        client,
        state,
        root: config.topic_root.clone(),
        metrics: Metrics::register(),
        shutdown: tasks.shutdown(),
    });
    let (ready, subscribed) = oneshot::channel();
    tasks.spawn(run(shared, events, config, ready));
    match tokio::time::timeout(SUBSCRIBE_WAIT, subscribed).await {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(refused))) => Err(anyhow::anyhow!(refused)).context("MQTT subscription"),
        Ok(Err(_)) => Ok(()), // stopping
        Err(_) => {
            tracing::warn!("MQTT broker not subscribed within 10 s; still trying");
            Ok(())
        }
    }
}

/// Polls the connection: subscribes on every connect, spawns a task per message
/// (at most `inflight` of them handling at once; the broker's in-flight window bounds
/// how many are waiting), and on shutdown lets those tasks finish and their
/// acknowledgements go out before disconnecting.
async fn run(
    shared: Arc<Shared>,
    mut events: EventLoop,
    config: MqttConfig,
    ready: oneshot::Sender<Result<(), String>>,
) {
    let mut ready = Some(ready);
    let permits = Arc::new(Semaphore::new(config.inflight));
    let mut handlers = JoinSet::new();
    let mut confirmed = 0;
    let subscriptions = config.subscriptions();
    loop {
        let event = tokio::select! {
            biased;
            () = shared.shutdown.cancelled() => break,
            // Reaps finished message tasks.
            Some(_) = handlers.join_next(), if !handlers.is_empty() => continue,
            event = events.poll() => event,
        };
        match event {
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                shared.metrics.received.increment(1);
                // The permit is waited for on the task, never here: this loop must keep
                // polling, or the acknowledgements of the running tasks would not go out.
                let permits = Arc::clone(&permits);
                let shared = Arc::clone(&shared);
                handlers.spawn(async move {
                    let Ok(_permit) = permits.acquire_owned().await else {
                        return;
                    };
                    take(&shared, publish).await;
                });
            }
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                tracing::info!(session_present = ack.session_present, "MQTT connected");
                shared.metrics.connected.set(1.0);
                confirmed = 0;
                for topic in &subscriptions {
                    if let Err(e) = shared.client.try_subscribe(topic, QoS::AtLeastOnce) {
                        tracing::error!(error = %e, topic, "MQTT subscribe could not be queued");
                    }
                }
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                if ack.return_codes.contains(&SubscribeReasonCode::Failure) {
                    let why = format!(
                        "the broker refused a subscription of {subscriptions:?} (its ACL must let this user read them)"
                    );
                    tracing::error!("{why}");
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(Err(why));
                    }
                } else {
                    confirmed += 1;
                    if confirmed >= subscriptions.len()
                        && let Some(ready) = ready.take()
                    {
                        tracing::info!(?subscriptions, "MQTT subscribed");
                        let _ = ready.send(Ok(()));
                    }
                }
            }
            Ok(_) => {}
            Err(e) => {
                shared.metrics.connected.set(0.0);
                tracing::warn!(error = %e, "MQTT connection lost; reconnecting in 1 s");
                tokio::select! {
                    () = shared.shutdown.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
    drain(&shared, events, handlers).await;
}

/// After shutdown: lets the message tasks finish (a held one gives up, unacknowledged,
/// to be delivered again), polls so their acknowledgements reach the broker, and
/// disconnects. Messages arriving meanwhile are not acknowledged: the persistent session
/// keeps them for the next start.
async fn drain(shared: &Shared, mut events: EventLoop, mut handlers: JoinSet<()>) {
    let finished = async { while handlers.join_next().await.is_some() {} };
    tokio::pin!(finished);
    let deadline = tokio::time::sleep(Duration::from_secs(10));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            () = &mut finished => break,
            () = &mut deadline => break,
            event = events.poll() => if event.is_err() { break },
        }
    }
    let _ = shared.client.try_disconnect();
    let flush = async {
        while let Ok(event) = events.poll().await {
            if matches!(event, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), flush).await;
    shared.metrics.connected.set(0.0);
}

/// Handles one message until it can be acknowledged, holding it (unacknowledged) while
/// Redis or the registry is down or its backfill must wait.
async fn take(shared: &Shared, publish: Publish) {
    let Some(route) = Route::parse(&shared.root, &publish.topic) else {
        // Nothing to attribute it to: acknowledged, so it is not delivered forever.
        tracing::warn!(
            topic = publish.topic,
            "MQTT message on a topic that is not ours"
        );
        shared.metrics.unroutable.increment(1);
        ack(shared, &publish).await;
        return;
    };
    let received_at = chrono::Utc::now();
    let mut pause = RETRY_FIRST;
    loop {
        match handle(&shared.state, &route, &publish.payload, received_at).await {
            Ok(tally) => {
                if tally.accepted + tally.duplicate == 0 {
                    shared.metrics.rejected.increment(1);
                }
                ack(shared, &publish).await;
                return;
            }
            Err(wait) => {
                let wait_for = match wait {
                    Wait::Unavailable(why) => {
                        shared.metrics.held_unavailable.increment(1);
                        tracing::warn!(
                            error = why,
                            topic = publish.topic,
                            "MQTT message held: hand-off failed"
                        );
                        let p = pause;
                        pause = (pause * 2).min(RETRY_MAX);
                        p
                    }
                    Wait::Backlogged(seconds) => {
                        shared.metrics.held_backlogged.increment(1);
                        Duration::from_secs(seconds)
                    }
                };
                tokio::select! {
                    () = shared.shutdown.cancelled() => return,
                    () = tokio::time::sleep(wait_for) => {}
                }
            }
        }
    }
}

async fn ack(shared: &Shared, publish: &Publish) {
    match shared.client.ack(publish).await {
        Ok(()) => shared.metrics.acked.increment(1),
        Err(e) => tracing::warn!(error = %e, "MQTT acknowledgement could not be queued"),
    }
}
