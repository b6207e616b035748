//! Reports: a [`Report`] model (figures, one chart, one table, notes) built from the
//! metrics read models, rendered as CSV ([`csv::render`]: the table) or PDF
//! ([`pdf::render`]: everything, the chart drawn as vector paths). Pure functions of
//! the model, so they are tested without a database.

pub mod csv;
pub mod pdf;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Health now and over time, uptime, every vehicle worst first.
    FleetHealth,
    /// Alert volume, time to acknowledge, every alert of the period.
    Alerts,
    /// Failures predicted vs happened, lead time, cost avoided, scheduling, warranty,
    /// every prediction episode of the period.
    Maintenance,
}

impl Kind {
    /// The wire name (also the file name's start).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FleetHealth => "fleet_health",
            Self::Alerts => "alerts",
            Self::Maintenance => "maintenance",
        }
    }

    /// The title on the page and in the mail.
    pub fn title(self) -> &'static str {
        match self {
            Self::FleetHealth => "Fleet health report",
            Self::Alerts => "Alerts report",
            Self::Maintenance => "Maintenance report",
        }
    }
}

/// How often a scheduled report is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Every day at 00:00 UTC, covering the day before.
    Daily,
    /// Every Monday at 00:00 UTC, covering the 7 days before.
    Weekly,
}

impl Frequency {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
        }
    }

    /// Days a report of this frequency covers.
    pub fn days(self) -> u32 {
        match self {
            Self::Daily => 1,
            Self::Weekly => 7,
        }
    }

    /// The next due time strictly after `after`: the next midnight UTC (weekly: the
    /// next Monday's).
    pub fn next_after(self, after: DateTime<Utc>) -> DateTime<Utc> {
        let mut day: NaiveDate = after.date_naive() + Duration::days(1);
        if self == Self::Weekly {
            while day.weekday() != chrono::Weekday::Mon {
                day += Duration::days(1);
            }
        }
        day.and_time(NaiveTime::MIN).and_utc()
    }
}

/// A labelled figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// What it is.
    pub label: String,
    /// Its value, formatted.
    pub value: String,
}

impl Figure {
    /// A figure.
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            value: value.into(),
        }
    }
}

/// One series of a stacked bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend.
    pub name: String,
    /// RGB, 0..1.
    pub color: [f32; 3],
    /// One value per label.
    pub values: Vec<f64>,
}

/// A stacked bar chart: one bar per label, one segment per series.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Title above it.
    pub title: String,
    /// Bar labels (days).
    pub labels: Vec<String>,
    /// Segments, bottom first.
    pub series: Vec<Series>,
}

impl Chart {
    /// The tallest bar.
    pub fn max_total(&self) -> f64 {
        (0..self.labels.len())
            .map(|i| {
                self.series
                    .iter()
                    .filter_map(|s| s.values.get(i))
                    .sum::<f64>()
            })
            .fold(0.0, f64::max)
    }
}

/// A table: a header and rows of cells.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, as many cells as columns.
    pub rows: Vec<Vec<String>>,
}

/// A report, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Which.
    pub kind: Kind,
    /// Whose data, in words (e.g. `organization acme`).
    pub scope: String,
    /// First day covered.
    pub from: NaiveDate,
    /// Last day covered.
    pub to: NaiveDate,
    /// When it was made.
    pub generated_at: DateTime<Utc>,
    /// Headline figures.
    pub figures: Vec<Figure>,
    /// The chart.
    pub chart: Chart,
    /// The detail rows (all of them in CSV; the first [`pdf::MAX_ROWS`] in PDF).
    pub table: Table,
    /// How figures are counted, what is missing.
    pub notes: Vec<String>,
}

impl Report {
    /// The file name, without extension: kind, scope and period, safe characters only.
    pub fn file_stem(&self) -> String {
        let scope: String = self
            .scope
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{}-{}-{}-{}", self.kind.as_str(), scope, self.from, self.to)
    }
}

/// A number with `decimals` decimals, or `n/a` when there is none.
pub fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "n/a".to_owned(), |x| format!("{x:.decimals$}"))
}

/// A ratio as a percentage, or `n/a`.
pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |x| format!("{:.1} %", x * 100.0))
}

/// A time as `YYYY-MM-DD HH:MM` UTC, or empty.
pub fn time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::TimeZone;

    use super::*;

    /// A small report of every part, for the renderers' tests.
    pub(crate) fn sample(rows: usize) -> Report {
        Report {
            kind: Kind::FleetHealth,
            scope: "organization acme".to_owned(),
            from: NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2025, 3, 3).unwrap(),
            generated_at: Utc.with_ymd_and_hms(2025, 3, 3, 8, 0, 0).unwrap(),
            figures: vec![
                Figure::new("Vehicles", "3"),
                Figure::new("Uptime", "75.0 %"),
            ],
            chart: Chart {
                title: "Vehicles per band".to_owned(),
                labels: vec!["03-01".into(), "03-02".into(), "03-03".into()],
                series: vec![
                    Series {
                        name: "good".into(),
                        color: [0.2, 0.6, 0.3],
                        values: vec![2.0, 0.0, 1.0],
                    },
                    Series {
                        name: "poor".into(),
                        color: [0.9, 0.4, 0.1],
                        values: vec![1.0, 1.0, 0.0],
                    },
                ],
            },
            table: Table {
                columns: vec!["vehicle".into(), "note".into()],
                rows: (0..rows)
                    .map(|i| vec![format!("v{i}"), "a, \"quoted\" note".into()])
                    .collect(),
            },
            notes: vec!["Uptime counts reported days only.".to_owned()],
        }
    }

    #[test]
    fn due_times_are_the_next_midnight_or_monday() {
        let t = Utc.with_ymd_and_hms(2025, 3, 5, 13, 0, 0).unwrap(); // a Wednesday
        assert_eq!(
            Frequency::Daily.next_after(t),
            Utc.with_ymd_and_hms(2025, 3, 6, 0, 0, 0).unwrap()
        );
        assert_eq!(
            Frequency::Weekly.next_after(t),
            Utc.with_ymd_and_hms(2025, 3, 10, 0, 0, 0).unwrap()
        );
        let monday = Utc.with_ymd_and_hms(2025, 3, 10, 0, 0, 0).unwrap();
        assert_eq!(
            Frequency::Weekly.next_after(monday),
            Utc.with_ymd_and_hms(2025, 3, 17, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn file_names_and_formats_are_safe_and_say_when_a_value_is_missing() {
        let mut r = sample(1);
        r.scope = "org ../x".to_owned();
        assert_eq!(r.file_stem(), "fleet_health-org____x-2025-03-01-2025-03-03");
        assert_eq!(num(None, 1), "n/a");
        assert_eq!(percent(Some(0.755)), "75.5 %");
        assert_eq!(r.chart.max_total(), 3.0);
    }
}
