//! One load worker: builds request bodies from its vehicles' templates and sends them,
//! one request in flight, flat out or on its schedule.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderValue};

use super::reading::{Clock, write_reading};
use super::{Ctx, LoadReport, pace};
use crate::client::{BatchCounts, is_duplicate};

/// Sends requests until the run is over and returns what this worker measured.
pub(super) async fn worker(
    ctx: Arc<Ctx>,
    w: usize,
    deadline: tokio::time::Instant,
) -> anyhow::Result<LoadReport> {
    let mut tally = LoadReport::empty(ctx.rate)?;
    let mut bodies = Bodies::new(&ctx, w);
    let schedule = ctx
        .rate
        .map(|r| pace::Schedule::for_worker(r, ctx.batch, ctx.workers, w));
    let mut slot: u64 = 0;
    loop {
        if let Some(s) = &schedule {
            let next = s.next_slot(slot, ctx.started.elapsed().as_secs_f64());
            tally.skipped += (next - slot) * ctx.batch as u64;
            let due = s.at(next);
            if due >= ctx.duration.as_secs_f64() {
                break;
            }
            let at = ctx.started + Duration::from_secs_f64(due);
            tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
            slot = next + 1;
        } else if tokio::time::Instant::now() >= deadline {
            break;
        }
        let vehicle = bodies.vi;
        let body = bodies.next(&ctx);
        tally.readings_sent += ctx.batch as u64;
        match &ctx.mqtt {
            Some(sink) => sink.publish(vehicle, body, &mut tally).await,
            None => post(&ctx, body, &mut tally).await,
        }
    }
    Ok(tally)
}

/// One worker's request bodies: its vehicles' readings in turn, numbered.
#[derive(Debug)]
struct Bodies {
    w: usize,
    clock: Clock,
    /// The vehicle of the next reading, and the step to the one after.
    vi: usize,
    stride: usize,
    seq: u64,
    /// xorshift32 state: cheap per-reading jitter of rpm and speed.
    x: u32,
    /// Capacity of the next body: the last one's size and a margin.
    cap: usize,
    /// Every reading of a body is of one vehicle (an MQTT message is published to its
    /// vehicle's topic), instead of one vehicle per reading.
    per_vehicle: bool,
}

impl Bodies {
    fn new(ctx: &Ctx, w: usize) -> Self {
        let n = ctx.templates.len();
        Self {
            w,
            clock: Clock::default(),
            vi: w % n,
            // Workers own disjoint vehicle sets when there are enough vehicles, so
            // each vehicle's readings come from one sender.
            stride: if n >= ctx.workers { ctx.workers } else { 1 },
            seq: 0,
            x: 0x9E37_79B9 ^ (w as u32).wrapping_mul(0x85EB_CA6B),
            cap: 1024,
            per_vehicle: ctx.mqtt.is_some(),
        }
    }

    /// The next body: one reading, or `{"readings":[…]}` with a batch of them.
    fn next(&mut self, ctx: &Ctx) -> Vec<u8> {
        let n = ctx.templates.len();
        let mut body = Vec::with_capacity(self.cap);
        if ctx.batch > 1 && ctx.batch_ids {
            let _ = write!(
                body,
                "{{\"batch_id\":\"load-{}-{}-{}\",\"readings\":[",
                ctx.run_id, self.w, self.seq
            );
        } else if ctx.batch > 1 {
            body.extend_from_slice(b"{\"readings\":[");
        }
        for k in 0..ctx.batch {
            if k > 0 {
                body.push(b',');
            }
            self.x ^= self.x << 13;
            self.x ^= self.x >> 17;
            self.x ^= self.x << 5;
            write_reading(
                &mut body,
                ctx,
                &mut self.clock,
                self.w,
                self.seq,
                self.vi,
                self.x,
            );
            self.seq += 1;
            if !self.per_vehicle {
                self.advance(n);
            }
        }
        if self.per_vehicle {
            self.advance(n);
        }
        if ctx.batch > 1 {
            body.extend_from_slice(b"]}");
        }
        self.cap = body.len() + 256;
        body
    }

    /// On to this worker's next vehicle.
    fn advance(&mut self, n: usize) {
        self.vi += self.stride;
        if self.vi >= n {
            self.vi = self.w % self.stride.min(n);
        }
    }
}

/// Posts `body` and tallies the answer; errors are counted, never retried.
async fn post(ctx: &Ctx, body: Vec<u8>, tally: &mut LoadReport) {
    let mut req = ctx
        .http
        .post(ctx.url.clone())
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .body(body);
    if let Some(k) = &ctx.api_key {
        req = req.header("x-api-key", k.clone());
    }
    let t0 = Instant::now();
    let answered = match req.send().await {
        Ok(resp) => {
            let status = resp.status();
            resp.bytes().await.map(|b| (status, b))
        }
        Err(e) => Err(e),
    };
    tally.requests += 1;
    match answered {
        Ok((status, answer)) => {
            let us = (t0.elapsed().as_micros() as u64).max(1);
            tally.latency_us.saturating_record(us);
            *tally.statuses.entry(status.as_u16()).or_default() += 1;
            if !status.is_success() {
                tally.errors += 1;
            } else if ctx.batch == 1 {
                if is_duplicate(&answer) {
                    tally.duplicates += 1;
                } else {
                    tally.accepted += 1;
                }
            } else if let Ok(c) = serde_json::from_slice::<BatchCounts>(&answer) {
                tally.accepted += c.accepted;
                tally.duplicates += c.duplicates;
                tally.rejected += c.rejected;
            } else {
                tally.errors += 1;
            }
        }
        Err(_) => {
            tally.errors += 1;
            tally.transport_errors += 1;
            // Do not spin on a refused connection.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
