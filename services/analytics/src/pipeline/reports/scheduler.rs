//! Scheduled reports by email: every minute (and at once when a schedule is created)
//! the due schedules are leased, each report is built for its user's scope as it is
//! now, rendered as PDF and queued as a mail with the PDF attached; the mailer
//! ([`crate::pipeline::mailer`]) sends it, retrying while the relay is down.
//!
//! Once per occurrence: the occurrence's sent-marker, the queued mail and the move to
//! the next occurrence commit together; a marker already there (another replica got
//! that far) queues nothing. A report that cannot be built is retried with backoff
//! (1 min doubling to 1 h) under the lease.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use shared_runtime::auth::Role;
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::Reports;
use crate::db::reports::{self, Recipient, ScheduleRow};
use crate::domain::mail::{Attachment, Mail};
use crate::domain::metrics::{Scope, Window};
use crate::domain::report::{Frequency, Kind, Report, pdf};

/// How often due schedules are looked for.
const TICK: Duration = Duration::from_secs(60);
/// How long a replica holds schedules it works on.
const LEASE: Duration = Duration::from_secs(300);
/// Schedules handled per pass.
const BATCH: i64 = 20;

/// Queues due scheduled reports.
#[derive(Debug, Clone)]
pub struct Scheduler {
    db: PgPool,
    reports: Reports,
    wake: Arc<Notify>,
    mail_wake: Arc<Notify>,
}

impl Scheduler {
    /// A scheduler building `reports`; `mail_wake` is the mailer's notifier.
    pub fn new(db: PgPool, reports: Reports, mail_wake: Arc<Notify>) -> Self {
        Self {
            db,
            reports,
            wake: Arc::new(Notify::new()),
            mail_wake,
        }
    }

    /// Poke it to look for due schedules now (a schedule was created).
    pub fn notifier(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Queues due reports until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            match self.send_due().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reports = n, "scheduled reports handled"),
                Err(e) => tracing::warn!(
                    error = format!("{e:#}"),
                    "scheduled reports pass failed; retrying"
                ),
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(TICK) => {}
                () = self.wake.notified() => {}
            }
        }
    }

    /// One pass: handles the due schedules; returns how many.
    pub async fn send_due(&self) -> anyhow::Result<usize> {
        let due = reports::claim_due(&self.db, BATCH, LEASE).await?;
        for s in &due {
            if let Err(e) = self.occurrence(s).await {
                let retry = Duration::from_secs((60u64 << s.attempts.clamp(0, 6)).min(3600));
                tracing::warn!(schedule = %s.id, error = format!("{e:#}"), retry_s = retry.as_secs(), "scheduled report not built");
                reports::failed(&self.db, s.id, &format!("{e:#}"), retry).await?;
            }
        }
        Ok(due.len())
    }

    /// Queues one due occurrence (unless already queued) and moves to the next.
    async fn occurrence(&self, s: &ScheduleRow) -> anyhow::Result<()> {
        let frequency: Frequency = serde_json::from_value(s.frequency.clone().into())?;
        let next = frequency.next_after(Utc::now());
        if reports::was_sent(&self.db, s.id, s.next_run_at).await? {
            reports::advance(&self.db, s, next, None).await?;
            return Ok(());
        }
        let Some(user) = reports::recipient(&self.db, s.user_id)
            .await?
            .filter(|u| !u.disabled)
        else {
            tracing::info!(schedule = %s.id, "the schedule's user is disabled or gone: occurrence skipped");
            reports::advance(&self.db, s, next, None).await?;
            return Ok(());
        };
        let kind: Kind = serde_json::from_value(s.kind.clone().into())?;
        let Ok(scope) = scope_of(&user, s.org_id.as_deref()) else {
            tracing::info!(schedule = %s.id, "the user's role no longer covers the schedule's organization: occurrence skipped");
            reports::advance(&self.db, s, next, None).await?;
            return Ok(());
        };
        // The days before the due time: a report due at midnight covers the day(s) before.
        let end = s.next_run_at - chrono::Duration::seconds(1);
        let window = Window::last_days(frequency.days(), end).map_err(anyhow::Error::msg)?;
        let report = self.reports.build(kind, &scope, window, Utc::now()).await?;
        if reports::advance(&self.db, s, next, Some(&mail(&user, &report))).await? {
            self.mail_wake.notify_one();
            metrics::counter!("analytics_reports_sent_total", "kind" => kind.as_str()).increment(1);
        }
        Ok(())
    }
}

/// The mail of `report` to `user`, the PDF attached.
fn mail(user: &Recipient, report: &Report) -> Mail {
    let subject = format!(
        "{} - {} - {} to {}",
        report.kind.title(),
        report.scope,
        report.from,
        report.to
    );
    let mut text = format!("{subject}\n\n");
    for f in &report.figures {
        text.push_str(&format!("{}: {}\n", f.label, f.value));
    }
    text.push_str("\nThe full report is attached as PDF.\n");
    Mail {
        to: format!(
            "{} <{}>",
            user.name.replace(['<', '>', '"', ','], ""),
            user.email
        ),
        subject,
        text,
        attachment: Some(Attachment {
            filename: format!("{}.pdf", report.file_stem()),
            content_type: "application/pdf".to_owned(),
            bytes: pdf::render(report),
        }),
    }
}

/// The report scope of `user` as the account is now (an admin's schedule may name an
/// organization).
fn scope_of(user: &Recipient, org: Option<&str>) -> anyhow::Result<Scope> {
    let role: Role = user.role.parse().map_err(anyhow::Error::msg)?;
    Scope::for_caller(role, &user.org_id, &user.vehicles, org).map_err(anyhow::Error::msg)
}
