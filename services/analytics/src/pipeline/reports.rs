//! Reports from the read models: [`Reports::build`] assembles a
//! [`Report`](crate::domain::report::Report) of a kind, scope and window (the summary's
//! figures, a chart, the detail rows, notes); [`scheduler::Scheduler`] mails the
//! scheduled ones.

pub mod scheduler;

use chrono::{DateTime, NaiveDate, Utc};

use crate::db::metrics::{Filter, Scope};
use crate::db::reports::{self, AlertRow, EpisodeRow, VehicleRow};
use crate::domain::metrics::{Outcome, Window, days_between};
use crate::domain::report::{Chart, Figure, Kind, Report, Series, Table, num, percent, time};
use crate::pipeline::metrics::{
    AlertSeries, BREAKDOWN_COST_MISSING, HealthSeries, Metrics, Summary, UPTIME_BASIS,
};

/// Builds reports.
#[derive(Debug, Clone)]
pub struct Reports {
    metrics: Metrics,
}

impl Reports {
    /// Reports over `metrics`' read models.
    pub fn new(metrics: Metrics) -> Self {
        Self { metrics }
    }

    /// The `kind` report of `scope` over `window`.
    pub async fn build(
        &self,
        kind: Kind,
        scope: &Scope,
        window: Window,
        now: DateTime<Utc>,
    ) -> Result<Report, sqlx::Error> {
        let summary = self.metrics.summary(scope, window).await?;
        let db = self.metrics.db();
        let f = Filter { scope, window };
        let (figures, chart, table, notes) = match kind {
            Kind::FleetHealth => {
                let (series, rows) = tokio::try_join!(
                    self.metrics.health_series(scope, window),
                    reports::vehicles(db, f)
                )?;
                fleet_health(&summary, &series, &rows)
            }
            Kind::Alerts => {
                let (series, rows) = tokio::try_join!(
                    self.metrics.alert_series(scope, window),
                    reports::alerts(db, f)
                )?;
                alerts(&series, &rows)
            }
            Kind::Maintenance => maintenance(&summary, window, &reports::episodes(db, f).await?),
        };
        Ok(Report {
            kind,
            scope: scope_label(scope),
            from: window.first_day,
            to: window.last_day,
            generated_at: now,
            figures,
            chart,
            table,
            notes,
        })
    }
}

type Parts = (Vec<Figure>, Chart, Table, Vec<String>);

/// Whose data, in words.
pub fn scope_label(scope: &Scope) -> String {
    match (&scope.org, &scope.vehicles) {
        (None, _) => "all organizations".to_owned(),
        (Some(org), None) => format!("organization {org}"),
        (Some(org), Some(v)) => format!("{org}, vehicles {}", v.join(" ")),
    }
}

/// A table cell: the number, or empty when there is none.
fn cell(v: Option<f64>, decimals: usize) -> String {
    v.map(|x| format!("{x:.decimals$}")).unwrap_or_default()
}

fn day_label(d: NaiveDate) -> String {
    d.format("%m-%d").to_string()
}

fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(|c| (*c).to_owned()).collect()
}

const BAND_COLORS: [[f32; 3]; 5] = [
    [0.10, 0.50, 0.25],
    [0.45, 0.75, 0.35],
    [0.95, 0.80, 0.20],
    [0.95, 0.50, 0.15],
    [0.80, 0.15, 0.15],
];

fn fleet_health(s: &Summary, series: &HealthSeries, rows: &[VehicleRow]) -> Parts {
    let mut figures = vec![
        Figure::new("Vehicles", s.fleet.vehicles.to_string()),
        Figure::new("Needing attention", s.fleet.needing_attention.to_string()),
        Figure::new("Mean health score", num(s.fleet.mean_score, 2)),
        Figure::new("Uptime", percent(s.uptime.ratio)),
    ];
    for b in &s.fleet.by_band {
        figures.push(Figure::new(
            format!("Now {}", b.band.as_str()),
            b.vehicles.to_string(),
        ));
    }
    let pick: [fn(&crate::pipeline::metrics::DayBands) -> i64; 5] = [
        |d| d.excellent,
        |d| d.good,
        |d| d.fair,
        |d| d.poor,
        |d| d.critical,
    ];
    let names = ["excellent", "good", "fair", "poor", "critical"];
    let chart = Chart {
        title: "Vehicles per health band, each day (last band of the day)".to_owned(),
        labels: series.days.iter().map(|d| day_label(d.day)).collect(),
        series: (0..5)
            .map(|i| Series {
                name: names[i].to_owned(),
                color: BAND_COLORS[i],
                values: series.days.iter().map(|d| pick[i](d) as f64).collect(),
            })
            .collect(),
    };
    let table = Table {
        columns: columns(&[
            "vehicle",
            "organization",
            "band",
            "score",
            "worst component",
            "its band",
            "min RUL days",
            "attention",
            "last report",
        ]),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.vehicle_id.clone(),
                    r.org_id.clone(),
                    r.overall_band.clone(),
                    format!("{:.2}", r.overall_score),
                    r.worst_component.clone().unwrap_or_default(),
                    r.worst_band.clone().unwrap_or_default(),
                    cell(r.min_rul_days, 0),
                    if r.attention { "yes" } else { "no" }.to_owned(),
                    time(Some(r.computed_at)),
                ]
            })
            .collect(),
    };
    (
        figures,
        chart,
        table,
        vec![format!("Uptime: {UPTIME_BASIS}")],
    )
}

const SEVERITY_COLORS: [[f32; 3]; 4] = [
    [0.30, 0.55, 0.85],
    [0.95, 0.80, 0.20],
    [0.95, 0.50, 0.15],
    [0.80, 0.15, 0.15],
];

fn minutes(seconds: Option<f64>) -> String {
    seconds.map_or_else(|| "n/a".to_owned(), |s| format!("{:.0} min", s / 60.0))
}

fn alerts(series: &AlertSeries, rows: &[AlertRow]) -> Parts {
    let t = &series.totals;
    let figures = vec![
        Figure::new("Alerts raised", t.created.to_string()),
        Figure::new(
            "Critical or emergency",
            (t.critical + t.emergency).to_string(),
        ),
        Figure::new("Acknowledged", t.acknowledged.to_string()),
        Figure::new("Open (not acknowledged)", t.open.to_string()),
        Figure::new("Escalated", t.escalated.to_string()),
        Figure::new("Resolved", t.resolved.to_string()),
        Figure::new("Time to acknowledge, median", minutes(t.ack_p50_s)),
        Figure::new("Time to acknowledge, p90", minutes(t.ack_p90_s)),
    ];
    let pick: [fn(&crate::pipeline::metrics::DayAlerts) -> i64; 4] =
        [|d| d.info, |d| d.warning, |d| d.critical, |d| d.emergency];
    let names = ["info", "warning", "critical", "emergency"];
    let chart = Chart {
        title: "Alerts raised per day, by severity".to_owned(),
        labels: series.days.iter().map(|d| day_label(d.day)).collect(),
        series: (0..4)
            .map(|i| Series {
                name: names[i].to_owned(),
                color: SEVERITY_COLORS[i],
                values: series.days.iter().map(|d| pick[i](d) as f64).collect(),
            })
            .collect(),
    };
    let table = Table {
        columns: columns(&[
            "alert",
            "vehicle",
            "severity",
            "kind",
            "component",
            "raised",
            "acknowledged",
            "minutes to ack",
            "escalations",
            "resolved",
        ]),
        rows: rows
            .iter()
            .map(|r| {
                let ack = r
                    .created_at
                    .zip(r.acknowledged_at)
                    .map(|(c, a)| (a - c).num_seconds() as f64 / 60.0);
                vec![
                    r.alert_id.to_string(),
                    r.vehicle_id.clone(),
                    r.severity.clone().unwrap_or_default(),
                    r.kind.clone().unwrap_or_default(),
                    r.component.clone().unwrap_or_default(),
                    time(r.created_at),
                    time(r.acknowledged_at),
                    cell(ack, 0),
                    r.escalations.to_string(),
                    time(r.resolved_at),
                ]
            })
            .collect(),
    };
    let notes = vec![
        "Time to acknowledge: from the alert being raised to its first acknowledgement.".to_owned(),
    ];
    (figures, chart, table, notes)
}

fn maintenance(s: &Summary, window: Window, rows: &[EpisodeRow]) -> Parts {
    let p = &s.predictions;
    let estimates: Vec<String> = s
        .cost_avoided
        .repair_estimates
        .iter()
        .map(|c| match &c.currency {
            Some(cur) => format!("{} {cur}", num(c.repair_estimate, 0)),
            None => format!("{} without estimate", c.failures),
        })
        .collect();
    let figures = vec![
        Figure::new("Failures predicted", p.predicted.to_string()),
        Figure::new(
            "Predicted, then happened",
            p.failed_as_predicted.to_string(),
        ),
        Figure::new("Happened unpredicted", p.failed_unpredicted.to_string()),
        Figure::new("Failures avoided", p.avoided.to_string()),
        Figure::new(
            "Lead time, median",
            format!("{} days", num(p.lead_time_p50_days, 1)),
        ),
        Figure::new(
            "Repair cost of avoided",
            if estimates.is_empty() {
                "none".to_owned()
            } else {
                estimates.join(", ")
            },
        ),
        Figure::new("Cost avoided", "n/a (see notes)"),
        Figure::new(
            "Decisions (fallback rate)",
            format!(
                "{} ({})",
                s.decisions.figures.total,
                percent(s.decisions.fallback_rate)
            ),
        ),
        Figure::new(
            "Appointments completed",
            s.service.figures.completed.to_string(),
        ),
        Figure::new("Shop hours", num(s.service.figures.shop_hours, 1)),
        Figure::new(
            "Warranty claims approved / rejected",
            format!(
                "{} / {}",
                s.service.figures.claims_approved, s.service.figures.claims_rejected
            ),
        ),
        Figure::new(
            "Claim approval rate",
            percent(s.service.claim_approval_rate),
        ),
    ];
    let chart = episode_chart(window, rows);
    let table = Table {
        columns: columns(&[
            "vehicle",
            "component",
            "predicted",
            "predicted RUL days",
            "failed",
            "repaired",
            "recovered",
            "outcome",
            "lead time days",
        ]),
        rows: rows.iter().map(episode_row).collect(),
    };
    let notes = vec![
        "A failure is predicted when health announces component.degraded (the component crossed into poor) and happens when it announces component.critical; serviced before that (appointment.completed) counts as avoided.".to_owned(),
        format!("Cost avoided: {BREAKDOWN_COST_MISSING}"),
    ];
    (figures, chart, table, notes)
}

fn episode_row(r: &EpisodeRow) -> Vec<String> {
    let outcome = Outcome::of(r.predicted_at, r.failed_at, r.repaired_at, r.recovered_at);
    let lead = r
        .predicted_at
        .zip(r.failed_at)
        .map(|(p, f)| days_between(p, f));
    vec![
        r.vehicle_id.clone(),
        r.component.clone(),
        time(r.predicted_at),
        cell(r.predicted_rul_days, 0),
        time(r.failed_at),
        time(r.repaired_at),
        time(r.recovered_at),
        outcome.as_str().to_owned(),
        cell(lead, 1),
    ]
}

/// Per day: predictions made, failures, repairs.
fn episode_chart(window: Window, rows: &[EpisodeRow]) -> Chart {
    let days: Vec<NaiveDate> = window.days().collect();
    let count = |pick: fn(&EpisodeRow) -> Option<DateTime<Utc>>| -> Vec<f64> {
        days.iter()
            .map(|d| {
                rows.iter()
                    .filter(|r| pick(r).is_some_and(|t| t.date_naive() == *d))
                    .count() as f64
            })
            .collect()
    };
    Chart {
        title: "Predictions, failures and repairs per day".to_owned(),
        labels: days.iter().map(|d| day_label(*d)).collect(),
        series: vec![
            Series {
                name: "predicted".to_owned(),
                color: [0.30, 0.55, 0.85],
                values: count(|r| r.predicted_at),
            },
            Series {
                name: "failed".to_owned(),
                color: [0.80, 0.15, 0.15],
                values: count(|r| r.failed_at),
            },
            Series {
                name: "repaired".to_owned(),
                color: [0.10, 0.50, 0.25],
                values: count(|r| r.repaired_at),
            },
        ],
    }
}
