//! The `notifications` command: the notification budget of a simulated fleet, read
//! from the running platform after `simulate` fed it (ADR 0010).
//!
//! Messages to people are what the alert service recorded as *sent* per delivery
//! (email, SMS, push; webhooks and the in-app feed are reported apart), plus the
//! weekly digests. Each is attributed with the truth file: about an injected fault
//! (the degraded vehicle's injected component), or not (a healthy vehicle, or another
//! component of a degraded one). For each injected fault, the first decision that
//! alerted about it (simulated time, from the agent) gives the lead before its failure.
//!
//! The last stdout line is `healthy_per_1000_vd=<x> healthy_max_severity=<s>
//! faults_alerted=<n>/<m> alerted_before_failure=<n>/<m> lead_p50_days=<x>`.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::runtime;

/// `notifications` options.
#[derive(Debug, Clone, clap::Args)]
pub struct NotifyArgs {
    /// The truth file `simulate` wrote.
    #[arg(long)]
    pub truth: std::path::PathBuf,
    /// Alert service base URL.
    #[arg(long, default_value = "http://127.0.0.1:8004")]
    pub alert_url: String,
    /// Agent service base URL.
    #[arg(long, default_value = "http://127.0.0.1:8003")]
    pub agent_url: String,
    /// Admin JWT.
    #[arg(long, env = "FLEET_ADMIN_TOKEN", hide_env_values = true)]
    pub token: String,
}

/// What the truth file says, as far as the budget needs it.
#[derive(Debug, Deserialize)]
struct Truth {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    vehicles: Vec<TruthVehicle>,
}

#[derive(Debug, Deserialize)]
struct TruthVehicle {
    vehicle_id: String,
    degradation: Option<TruthFault>,
}

#[derive(Debug, Deserialize)]
struct TruthFault {
    component: String,
    mode: String,
    failure_at: DateTime<Utc>,
    fails_within_run: bool,
}

/// One alert with its deliveries, as the alert service serves it.
#[derive(Debug, Deserialize)]
struct AlertDetail {
    vehicle_id: String,
    subject: String,
    severity: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    deliveries: Vec<Delivery>,
}

#[derive(Debug, Deserialize)]
struct Delivery {
    channel: String,
    status: String,
    step: i32,
}

/// One decision, as the agent serves it.
#[derive(Debug, Deserialize)]
struct Decision {
    component: String,
    #[serde(default)]
    disposition: Option<String>,
    detected_at: DateTime<Utc>,
}

/// Messages per channel.
#[derive(Debug, Default)]
struct Tally {
    by_channel: BTreeMap<String, u64>,
    max_severity: Option<String>,
    escalations: u64,
}

impl Tally {
    fn add(&mut self, channel: &str, severity: &str, step: i32) {
        *self.by_channel.entry(channel.to_owned()).or_default() += 1;
        if step > 0 {
            self.escalations += 1;
        }
        if self
            .max_severity
            .as_deref()
            .is_none_or(|m| rank(severity) > rank(m))
        {
            self.max_severity = Some(severity.to_owned());
        }
    }

    /// Messages to people: email, SMS and push.
    fn to_people(&self) -> u64 {
        ["email", "sms", "push"]
            .iter()
            .map(|c| self.by_channel.get(*c).copied().unwrap_or(0))
            .sum()
    }
}

fn rank(severity: &str) -> u8 {
    match severity {
        "info" => 1,
        "warning" => 2,
        "critical" => 3,
        "emergency" => 4,
        _ => 0,
    }
}

/// Runs the command.
pub fn run(args: NotifyArgs) -> anyhow::Result<()> {
    let truth: Truth = serde_json::from_reader(std::io::BufReader::new(
        std::fs::File::open(&args.truth)
            .with_context(|| format!("opening {}", args.truth.display()))?,
    ))
    .with_context(|| format!("reading {}", args.truth.display()))?;
    runtime::build(1)?.block_on(report(&args, &truth))
}

/// Messages sent, by what they were about.
#[derive(Debug, Default)]
struct Tallies {
    /// About an injected fault.
    fault: Tally,
    /// About another component of a degraded vehicle.
    other_healthy: Tally,
    /// About a vehicle without an injected fault.
    healthy_vehicle: Tally,
    /// That a vehicle went silent.
    stale: Tally,
}

impl Tallies {
    /// Counts the sent deliveries of `alerts`, attributed with `faults`.
    fn of(alerts: &[AlertDetail], faults: &HashMap<&str, &TruthFault>) -> Self {
        let mut t = Self::default();
        for a in alerts {
            let tally = if a.subject == "staleness" {
                &mut t.stale
            } else if is_about_fault(a, faults) {
                &mut t.fault
            } else if faults.contains_key(a.vehicle_id.as_str()) {
                &mut t.other_healthy
            } else {
                &mut t.healthy_vehicle
            };
            for d in a.deliveries.iter().filter(|d| d.status == "sent") {
                tally.add(&d.channel, &a.severity, d.step);
            }
        }
        t
    }

    /// Messages to people about healthy vehicles and parts, and the highest severity
    /// among them.
    fn healthy(&self) -> (u64, String) {
        let healthy = self.healthy_vehicle.to_people() + self.other_healthy.to_people();
        let max_healthy = [&self.healthy_vehicle, &self.other_healthy]
            .iter()
            .filter_map(|t| t.max_severity.clone())
            .max_by_key(|s| rank(s))
            .unwrap_or_else(|| "none".to_owned());
        (healthy, max_healthy)
    }

    fn print(&self, digests: usize) {
        println!("messages sent (email / sms / push / webhook; escalations; highest severity)");
        for (label, t) in [
            ("about injected faults", &self.fault),
            ("about healthy vehicles", &self.healthy_vehicle),
            (
                "about healthy parts of degraded vehicles",
                &self.other_healthy,
            ),
            ("staleness (vehicle silent)", &self.stale),
        ] {
            let n = |c: &str| t.by_channel.get(c).copied().unwrap_or(0);
            println!(
                "  {label:<42} {:>6} {:>6} {:>6} {:>6}   {:>4}   {}",
                n("email"),
                n("sms"),
                n("push"),
                n("webhook"),
                t.escalations,
                t.max_severity.as_deref().unwrap_or("-")
            );
        }
        println!("  weekly digests sent to fleet managers: {digests}");
    }
}

/// Whether `a` is about its vehicle's injected fault.
fn is_about_fault(a: &AlertDetail, faults: &HashMap<&str, &TruthFault>) -> bool {
    faults
        .get(a.vehicle_id.as_str())
        .is_some_and(|f| f.component == a.subject)
}

async fn report(args: &NotifyArgs, truth: &Truth) -> anyhow::Result<()> {
    let api = Api {
        http: reqwest::Client::new(),
        token: args.token.clone(),
    };
    let faults: HashMap<&str, &TruthFault> = truth
        .vehicles
        .iter()
        .filter_map(|v| v.degradation.as_ref().map(|d| (v.vehicle_id.as_str(), d)))
        .collect();
    let alerts = api.alerts(&args.alert_url).await?;
    let tallies = Tallies::of(&alerts, &faults);
    let digests = api.digests_sent(&args.alert_url).await?;
    let days = (truth.end - truth.start).num_seconds() as f64 / 86_400.0;
    let vehicle_days = truth.vehicles.len() as f64 * days;
    println!(
        "notifications: {} vehicles, {days:.0} days ({vehicle_days:.0} vehicle-days), {} injected faults, {} alerts",
        truth.vehicles.len(),
        faults.len(),
        alerts.len()
    );
    tallies.print(digests);
    print_other_alerts(&alerts, &faults);
    let (healthy, max_healthy) = tallies.healthy();
    let per_1000 = 1000.0 * healthy as f64 / vehicle_days;
    let lead = leads(&api, &args.agent_url, &faults).await?;
    print_leads(&lead, &faults);
    let alerted = lead.values().filter(|l| l.is_some()).count();
    let failing: Vec<&str> = faults
        .iter()
        .filter(|(_, f)| f.fails_within_run)
        .map(|(v, _)| *v)
        .collect();
    let before: Vec<f64> = failing
        .iter()
        .filter_map(|v| lead.get(*v).copied().flatten())
        .filter(|d| *d >= 0.0)
        .collect();
    println!(
        "healthy_per_1000_vd={per_1000:.2} healthy_max_severity={max_healthy} faults_alerted={alerted}/{} alerted_before_failure={}/{} lead_p50_days={:.1}",
        faults.len(),
        before.len(),
        failing.len(),
        median(&before)
    );
    Ok(())
}

/// Lists the alerts about anything but an injected fault, their message shortened.
fn print_other_alerts(alerts: &[AlertDetail], faults: &HashMap<&str, &TruthFault>) {
    let others: Vec<&AlertDetail> = alerts
        .iter()
        .filter(|a| !is_about_fault(a, faults))
        .collect();
    if !others.is_empty() {
        println!("alerts about anything but an injected fault:");
        for a in others {
            let msg: String = a.message.chars().take(220).collect();
            println!("  {} {} {}: {msg}", a.vehicle_id, a.subject, a.severity);
        }
    }
}

/// Days from the first alerting decision about each fault to its failure (`None`: no
/// decision alerted about it).
async fn leads(
    api: &Api,
    agent: &str,
    faults: &HashMap<&str, &TruthFault>,
) -> anyhow::Result<HashMap<String, Option<f64>>> {
    let mut out = HashMap::new();
    for (vehicle, f) in faults {
        let decisions = api.decisions(agent, vehicle, &f.component).await?;
        let first = decisions
            .iter()
            .filter(|d| d.component == f.component)
            .filter(|d| d.disposition.as_deref().is_none_or(|x| x == "alert"))
            .map(|d| d.detected_at)
            .min();
        out.insert(
            (*vehicle).to_owned(),
            first.map(|t| (f.failure_at - t).num_seconds() as f64 / 86_400.0),
        );
    }
    Ok(out)
}

fn print_leads(lead: &HashMap<String, Option<f64>>, faults: &HashMap<&str, &TruthFault>) {
    let mut rows: Vec<(&str, &&TruthFault)> = faults.iter().map(|(v, f)| (*v, f)).collect();
    rows.sort_by_key(|(v, _)| *v);
    println!(
        "faults: vehicle, mode, fails within the run, first alert's lead (days before failure)"
    );
    for (v, f) in rows {
        let l = lead
            .get(v)
            .copied()
            .flatten()
            .map_or_else(|| "not alerted".to_owned(), |d| format!("{d:.1}"));
        println!("  {v:<12} {:<24} {:<5} {l}", f.mode, f.fails_within_run);
    }
}

fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

/// The REST calls, as an admin.
struct Api {
    http: reqwest::Client,
    token: String,
}

impl Api {
    async fn get(&self, url: &str) -> anyhow::Result<Value> {
        let r = self
            .http
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!(
                "GET {url} answered {status}: {}",
                body.chars().take(300).collect::<String>()
            );
        }
        serde_json::from_str(&body).with_context(|| format!("GET {url}: not JSON"))
    }

    /// Every alert, with its deliveries.
    async fn alerts(&self, base: &str) -> anyhow::Result<Vec<AlertDetail>> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{base}/v1/alerts?limit=200");
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let page = self.get(&url).await?;
            for a in page["alerts"].as_array().into_iter().flatten() {
                ids.extend(a["alert_id"].as_str().map(str::to_owned));
            }
            cursor = page["next_cursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        let mut out = Vec::with_capacity(ids.len());
        let mut seen = HashSet::new();
        for id in ids.into_iter().filter(|id| seen.insert(id.clone())) {
            let detail = self.get(&format!("{base}/v1/alerts/{id}")).await?;
            out.push(serde_json::from_value(detail).context("an alert")?);
        }
        Ok(out)
    }

    /// Digests the alert service recorded as sent (0 from an alert service without
    /// digests).
    async fn digests_sent(&self, base: &str) -> anyhow::Result<usize> {
        let all = match self.get(&format!("{base}/v1/digests")).await {
            Ok(all) => all,
            Err(e) if e.to_string().contains("404") => return Ok(0),
            Err(e) => return Err(e),
        };
        let list = all
            .as_array()
            .or_else(|| all["digests"].as_array())
            .cloned()
            .unwrap_or_default();
        Ok(list.iter().filter(|d| d["status"] == "sent").count())
    }

    /// Every decision of the agent about `vehicle`'s `component`.
    async fn decisions(
        &self,
        base: &str,
        vehicle: &str,
        component: &str,
    ) -> anyhow::Result<Vec<Decision>> {
        let mut out = Vec::new();
        let mut before: Option<String> = None;
        loop {
            let mut url =
                format!("{base}/v1/vehicles/{vehicle}/decisions?component={component}&limit=200");
            if let Some(b) = &before {
                url.push_str(&format!("&before={}", b.replace('+', "%2B")));
            }
            let page = match self.get(&url).await {
                Ok(p) => p,
                // No decision about the vehicle at all.
                Err(e) if e.to_string().contains("404") => return Ok(out),
                Err(e) => return Err(e),
            };
            for d in page["decisions"].as_array().into_iter().flatten() {
                out.push(serde_json::from_value(d.clone()).context("a decision")?);
            }
            before = page["next_before"].as_str().map(str::to_owned);
            if before.is_none() {
                return Ok(out);
            }
        }
    }
}
