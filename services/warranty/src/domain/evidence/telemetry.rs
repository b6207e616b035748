//! The vehicle's own record in the pack: the component's health before the failure,
//! what telemetry says about the failure day and odometer, the key signals, and the
//! alerts and appointments on record (were warnings raised and ignored?).

use chrono::NaiveDate;

use super::canvas::{BLACK, BODY, Canvas, GREY};
use super::sections::{km, when};
use super::{EvidencePack, chart};

/// The health chart, what telemetry says about the failure, and the key signals.
pub(super) fn health(c: &mut Canvas, p: &EvidencePack) {
    let component = p.claim.component.as_str();
    c.heading(&format!("Health of the {component} before the failure"));
    let r = &p.record;
    if r.component_history.is_empty() {
        let why = if r.telemetry_available {
            "No health history on record for this component before the failure."
        } else {
            "No telemetry: the vehicle's record could not be read, so no health history is shown."
        };
        c.paragraph(why, BODY, GREY);
    } else {
        let alerts: Vec<NaiveDate> = r
            .alerts
            .iter()
            .filter(|a| a.component.is_none_or(|k| k == p.claim.component))
            .map(|a| a.created_at.date_naive())
            .collect();
        chart::health(c, &r.component_history, p.claim.failure_date, &alerts);
        let mut summary = health_summary(p);
        if !alerts.is_empty() {
            summary.push_str(" Orange squares: alerts raised about it.");
        }
        c.paragraph(&summary, BODY, BLACK);
    }
    let facts = telemetry_facts(p);
    if !facts.is_empty() {
        c.bullets(&facts);
    }
    if !p.trends.is_empty() {
        c.y -= 4.0;
        c.paragraph("Key signals", 9.5, BLACK);
        for t in &p.trends {
            chart::trend(c, t, p.claim.failure_date);
        }
    }
}

fn health_summary(p: &EvidencePack) -> String {
    let h = &p.record.component_history;
    let (Some(first), Some(last)) = (h.first(), h.last()) else {
        return String::new();
    };
    let mut s = format!(
        "{} daily readings. Score {:.2} ({}) on {}, {:.2} ({}) on {}.",
        h.len(),
        first.score,
        first.band,
        first.day,
        last.score,
        last.band,
        last.day
    );
    if let Some(rul) = h.iter().rev().find_map(|x| x.rul_days.map(|r| (x.day, r))) {
        s.push_str(&format!(
            " Remaining useful life estimated at {:.0} days on {}",
            rul.1, rul.0
        ));
        match chart::predicted_end(h) {
            Some(end) => s.push_str(&format!(" (end of life {end}).")),
            None => s.push('.'),
        }
    }
    s
}

fn telemetry_facts(p: &EvidencePack) -> Vec<String> {
    let r = &p.record;
    let mut facts = Vec::new();
    if let (Some(a), Some(b)) = (r.first_reading_at, r.last_reading_at) {
        facts.push(format!(
            "Readings on record from {} to {} UTC.",
            when(a),
            when(b)
        ));
    }
    match r.reporting_at_failure {
        Some(true) => {
            facts.push("The vehicle was reporting within a day of the failure date.".to_owned())
        }
        Some(false) => {
            facts.push("The vehicle sent no readings within a day of the failure date.".to_owned())
        }
        None => {}
    }
    if let Some(t) = r.telemetry_odometer_km {
        let diff = p.claim.odometer_km - t;
        facts.push(format!(
            "Telemetry odometer around the failure: {} (claimed {}, difference {}).",
            km(t),
            km(p.claim.odometer_km),
            km(diff)
        ));
    }
    for (at, kind) in &r.odometer_anomalies {
        facts.push(format!(
            "Odometer anomaly on record: {kind} at {} UTC.",
            when(*at)
        ));
    }
    facts
}

/// Alerts (acknowledged or not, and how fast) and appointments of the vehicle.
pub(super) fn on_record(c: &mut Canvas, p: &EvidencePack) {
    c.heading("Alerts and decisions on record");
    let r = &p.record;
    let component = |c: Option<shared_schemas::events::Component>| {
        c.map_or_else(|| "vehicle".to_owned(), |c| c.as_str().to_owned())
    };
    if r.alerts.is_empty() {
        c.paragraph("No alerts on record for this vehicle.", BODY, GREY);
    } else {
        let rows: Vec<Vec<String>> = r
            .alerts
            .iter()
            .map(|a| {
                let ack = a.acknowledged_at.map_or_else(
                    || "no".to_owned(),
                    |t| {
                        format!(
                            "{} ({:.1} h after)",
                            when(t),
                            (t - a.created_at).num_minutes() as f64 / 60.0
                        )
                    },
                );
                vec![
                    when(a.created_at),
                    component(a.component),
                    a.severity.clone(),
                    ack,
                ]
            })
            .collect();
        let open = r
            .alerts
            .iter()
            .filter(|a| a.acknowledged_at.is_none())
            .count();
        c.table(
            &[
                ("Raised (UTC)", 1.2),
                ("About", 1.0),
                ("Severity", 0.9),
                ("Acknowledged", 1.9),
            ],
            &rows,
        );
        c.paragraph(
            &format!("{} alert(s), {open} never acknowledged.", r.alerts.len()),
            BODY,
            BLACK,
        );
    }
    c.y -= 4.0;
    if r.appointments.is_empty() {
        c.paragraph("No service appointments on record.", BODY, GREY);
    } else {
        let rows: Vec<Vec<String>> = r
            .appointments
            .iter()
            .map(|a| vec![when(a.starts_at), component(a.component), a.status.clone()])
            .collect();
        c.table(
            &[("Appointment (UTC)", 1.2), ("About", 1.0), ("Status", 2.8)],
            &rows,
        );
    }
}
