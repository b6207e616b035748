//! Scheduled reports by email: every minute (and at once when a schedule is created)
//! the due schedules are leased, each report is built for its user's scope as it is
//! now, rendered as PDF and sent over SMTP (lettre) with the PDF attached.
//!
//! At least once, never twice after a restart: the sent-marker of an occurrence and the
//! move to the next occurrence commit together once the mail went out. A crash between
//! the send and that commit sends the occurrence again; a marker already there (another
//! replica or an earlier run got that far) skips the send. A failed send is retried
//! with backoff (1 min doubling to 1 h) under the lease.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use shared_runtime::auth::Role;
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::Reports;
use crate::db::reports::{self, Recipient, ScheduleRow};
use crate::domain::metrics::{Scope, Window};
use crate::domain::report::{Frequency, Kind, Report, pdf};

/// How often due schedules are looked for.
const TICK: Duration = Duration::from_secs(60);
/// How long a replica holds schedules it works on.
const LEASE: Duration = Duration::from_secs(300);
/// Schedules handled per pass.
const BATCH: i64 = 20;

/// Sends due scheduled reports.
#[derive(Clone)]
pub struct Mailer {
    db: PgPool,
    reports: Reports,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer through `smtp_url` (`smtp://…`, `smtps://…`) from `from`; the errors
    /// name the variable (the URL itself, which may hold a password, is not logged).
    pub fn new(db: PgPool, reports: Reports, smtp_url: &str, from: &str) -> anyhow::Result<Self> {
        crate::install_crypto();
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("ANALYTICS_MAIL_FROM {from:?} is not an address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| anyhow::anyhow!("ANALYTICS_SMTP_URL is not a usable SMTP URL: {e}"))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        Ok(Self {
            db,
            reports,
            transport,
            from,
            wake: Arc::new(Notify::new()),
        })
    }

    /// Poke it to look for due schedules now (a schedule was created).
    pub fn notifier(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Sends due reports until `shutdown`.
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
                tracing::warn!(schedule = %s.id, error = format!("{e:#}"), retry_s = retry.as_secs(), "scheduled report not sent");
                reports::failed(&self.db, s.id, &format!("{e:#}"), retry).await?;
            }
        }
        Ok(due.len())
    }

    /// Sends one due occurrence (unless already sent) and moves to the next.
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
        self.send(&user, &report).await?;
        reports::advance(&self.db, s, next, Some(&user.email)).await?;
        metrics::counter!("analytics_reports_sent_total", "kind" => kind.as_str()).increment(1);
        Ok(())
    }

    async fn send(&self, user: &Recipient, report: &Report) -> anyhow::Result<()> {
        let to: Mailbox = format!(
            "{} <{}>",
            user.name.replace(['<', '>', '"'], ""),
            user.email
        )
        .parse()
        .or_else(|_| user.email.parse())
        .context("the user's email address")?;
        let subject = format!(
            "{} - {} - {} to {}",
            report.kind.title(),
            report.scope,
            report.from,
            report.to
        );
        let mut body = format!("{subject}\n\n");
        for f in &report.figures {
            body.push_str(&format!("{}: {}\n", f.label, f.value));
        }
        body.push_str("\nThe full report is attached as PDF.\n");
        let attachment = Attachment::new(format!("{}.pdf", report.file_stem()))
            .body(pdf::render(report), ContentType::parse("application/pdf")?);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(body))
                    .singlepart(attachment),
            )?;
        self.transport.send(message).await.context("SMTP")?;
        Ok(())
    }
}

/// The report scope of `user` as the account is now (an admin's schedule may name an
/// organization).
fn scope_of(user: &Recipient, org: Option<&str>) -> anyhow::Result<Scope> {
    let role: Role = user.role.parse().map_err(anyhow::Error::msg)?;
    Scope::for_caller(role, &user.org_id, &user.vehicles, org).map_err(anyhow::Error::msg)
}
