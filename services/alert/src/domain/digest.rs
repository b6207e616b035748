//! The maintenance-planning digest email: every planning item of the fleet manager's
//! vehicles, soonest first. Pure: the sender renders it from the items captured when the
//! digest was planned, so a retry sends the same email.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::alert::component_name;
use super::message::{Email, esc};
use super::planning::PlanningItem;

/// The sentence that says what these are (and are not).
pub const NOT_FAULTS: &str =
    "These are planning items for parts wearing at their normal pace, not faults.";

/// Everything a digest email is made from.
#[derive(Debug, Clone)]
pub struct Digest<'a> {
    /// The organization.
    pub org_id: &'a str,
    /// The recipient's name.
    pub recipient: &'a str,
    /// The end of the period (the reference time of the days left).
    pub period_end: DateTime<Utc>,
    /// The digest period (`ALERT_DIGEST_EVERY`), named in the subject.
    pub every: Duration,
    /// The items, in any order.
    pub items: &'a [PlanningItem],
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 item".to_owned()
    } else {
        format!("{n} items")
    }
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".to_owned()
    } else {
        format!("{n} days")
    }
}

/// `week` for 7 days, `day` for one, `period` otherwise.
fn period_name(every: Duration) -> &'static str {
    match every.as_secs() {
        604_800 => "week",
        86_400 => "day",
        _ => "period",
    }
}

impl Digest<'_> {
    /// The items, soonest end of the planning window first.
    pub fn sorted(&self) -> Vec<&PlanningItem> {
        let mut items: Vec<&PlanningItem> = self.items.iter().collect();
        items.sort_by(|a, b| {
            (a.plan_by, &a.vehicle_id, a.component).cmp(&(b.plan_by, &b.vehicle_id, b.component))
        });
        items
    }

    /// E.g. `Maintenance to plan: 3 items (fleet acme, week to 2026-12-04)`.
    pub fn subject(&self) -> String {
        format!(
            "Maintenance to plan: {} (fleet {}, {} to {})",
            plural(self.items.len()),
            self.org_id,
            period_name(self.every),
            self.period_end.format("%Y-%m-%d")
        )
    }

    fn window(&self, i: &PlanningItem) -> String {
        format!(
            "plan within {} (by {})",
            days(i.days_left(self.period_end)),
            i.plan_by.format("%Y-%m-%d")
        )
    }

    fn cost(i: &PlanningItem) -> String {
        let c = &i.estimated_cost;
        format!("{:.0}-{:.0} {}", c.min, c.max, c.currency)
    }

    fn cost_html(i: &PlanningItem) -> String {
        let c = &i.estimated_cost;
        format!("{:.0}&ndash;{:.0} {}", c.min, c.max, esc(&c.currency))
    }

    fn text(&self, items: &[&PlanningItem]) -> String {
        let mut text = format!(
            "Hello {},\n\n{} to plan for fleet {}, soonest first. {NOT_FAULTS}\n\n",
            self.recipient,
            plural(items.len()),
            self.org_id
        );
        for (n, i) in items.iter().enumerate() {
            text.push_str(&format!(
                "{}. {} - {}: {}\n   {}\n",
                n + 1,
                i.vehicle_id,
                component_name(i.component),
                self.window(i),
                i.diagnosis
            ));
            if let Some(first) = i.actions.first() {
                text.push_str(&format!("   To do: {first}\n"));
            }
            text.push_str(&format!("   Estimated cost: {}\n\n", Self::cost(i)));
        }
        text
    }

    fn html(&self, items: &[&PlanningItem]) -> String {
        let mut html = String::from(
            "<!doctype html><html><body style=\"font-family:sans-serif;max-width:48em\">",
        );
        html.push_str(&format!(
            "<p>Hello {},</p><h2>{} to plan for fleet {}</h2><p>Soonest first. {}</p>",
            esc(self.recipient),
            plural(items.len()),
            esc(self.org_id),
            esc(NOT_FAULTS)
        ));
        html.push_str(
            "<table cellpadding=\"4\"><tr><th align=\"left\">Vehicle</th><th align=\"left\">Component</th>\
             <th align=\"left\">When</th><th align=\"left\">What</th><th align=\"left\">Estimated cost</th></tr>",
        );
        for i in items {
            let mut what = esc(&i.diagnosis);
            if let Some(first) = i.actions.first() {
                what.push_str(&format!("<br><em>{}</em>", esc(first)));
            }
            html.push_str(&format!(
                "<tr valign=\"top\"><td>{}</td><td>{}</td><td>{}</td><td>{what}</td><td>{}</td></tr>",
                esc(&i.vehicle_id),
                esc(component_name(i.component)),
                esc(&self.window(i)),
                Self::cost_html(i)
            ));
        }
        html.push_str("</table></body></html>");
        html
    }

    /// The email: subject, text and HTML (everything user-controlled escaped).
    pub fn email(&self) -> Email {
        let items = self.sorted();
        Email {
            subject: self.subject(),
            text: self.text(&items),
            html: self.html(&items),
        }
    }
}

#[cfg(test)]
mod tests {
    use shared_schemas::events::{Component, CostRange};
    use uuid::Uuid;

    use super::*;

    fn item(vehicle: &str, component: Component, within: i64, now: DateTime<Utc>) -> PlanningItem {
        PlanningItem {
            item_id: Uuid::now_v7(),
            org_id: "dev".to_owned(),
            vehicle_id: vehicle.to_owned(),
            component,
            decision_id: Uuid::now_v7(),
            diagnosis: format!("Routine wear <{vehicle}>"),
            actions: vec!["Plan a pad replacement".to_owned()],
            within_days: u32::try_from(within).unwrap_or(0),
            plan_by: now + chrono::Duration::days(within),
            estimated_cost: CostRange {
                min: 180.0,
                max: 420.0,
                currency: "USD".to_owned(),
            },
            decided_at: now,
            first_seen_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn the_digest_lists_items_soonest_first_escaped_and_says_they_are_not_faults() {
        let now = DateTime::parse_from_rfc3339("2026-12-04T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let items = [
            item("VH-2", Component::Brakes, 159, now),
            item("VH-1", Component::Tires, 30, now),
            item("VH-3", Component::Battery, 90, now),
        ];
        let d = Digest {
            org_id: "dev",
            recipient: "Frank <FM>",
            period_end: now,
            every: Duration::from_secs(604_800),
            items: &items,
        };
        let e = d.email();
        assert_eq!(
            e.subject,
            "Maintenance to plan: 3 items (fleet dev, week to 2026-12-04)"
        );
        let (p1, p3, p2) = (
            e.text.find("VH-1").unwrap(),
            e.text.find("VH-3").unwrap(),
            e.text.find("VH-2").unwrap(),
        );
        assert!(p1 < p3 && p3 < p2, "{}", e.text);
        assert!(e.text.contains("plan within 30 days (by 2027-01-03)"));
        assert!(e.text.contains("Estimated cost: 180-420 USD"));
        assert!(e.text.contains(NOT_FAULTS));
        assert!(e.html.contains("Frank &lt;FM&gt;") && !e.html.contains("<FM>"));
        assert!(e.html.contains("Routine wear &lt;VH-1&gt;"), "{}", e.html);
        let one = Digest {
            items: &items[..1],
            every: Duration::from_secs(2),
            ..d
        };
        assert!(
            one.subject()
                .starts_with("Maintenance to plan: 1 item (fleet dev, period")
        );
    }
}
