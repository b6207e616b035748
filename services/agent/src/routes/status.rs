//! `GET /v1/agent/status`: throughput, fallback rate, latency percentiles, tokens and
//! cost over a window, the provider in use, the consumer's backlog and how often
//! reviewers agree with the agent.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, Role};
use shared_runtime::http::ApiQuery;
use shared_runtime::openapi::responses::{BadRequest, Forbidden, Unauthorized};
use utoipa::{IntoParams, ToSchema};

use crate::db::{reviews, stats};
use crate::error::ApiError;
use crate::events::consumer::{EVENT_TYPES, GROUP};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/v1/agent/status", get(status))
}

/// Window.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// Hours back, 1–720 (default 24).
    pub window_hours: Option<u32>,
}

/// The configured model provider.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderInfo {
    /// Whether a model decides (otherwise the rules decide everything).
    pub configured: bool,
    /// Provider name (`rules` when none).
    pub name: String,
    /// Model (or rule-set version).
    pub model: String,
}

/// Decision latency percentiles, ms.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Latency {
    /// Median.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Largest.
    pub max: Option<i64>,
}

/// The health-event consumer's backlog (absent when Redis cannot be asked).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Backlog {
    /// Events delivered and not yet decided.
    pub pending: u64,
    /// Events not delivered yet (unknown when the streams were trimmed mid-way).
    pub lag: Option<u64>,
}

/// Reviewers' agreement with the agent on one UTC day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgreementDay {
    /// The day (UTC).
    pub day: chrono::NaiveDate,
    /// Reviews closed that day.
    pub reviewed: i64,
    /// Share where the agent's severity and key action were right.
    pub agreement_rate: f64,
}

/// The human in the loop: review outcomes over the window, the queue now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewStats {
    /// Reviews closed in the window.
    pub reviewed: i64,
    /// Of which confirmed.
    pub confirmed: i64,
    /// Of which overridden.
    pub overridden: i64,
    /// Share of reviews agreeing with the agent's severity and key (first) action.
    pub agreement_rate: f64,
    /// Share agreeing with the agent's severity.
    pub severity_agreement_rate: f64,
    /// Escalations waiting for a person now.
    pub open: i64,
    /// Of which past their urgency window (escalated through the alert service).
    pub overdue: i64,
    /// Agreement per day, oldest first (days with reviews only).
    pub by_day: Vec<AgreementDay>,
}

/// Agent status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentStatus {
    /// Window start.
    pub since: DateTime<Utc>,
    /// Window length, hours.
    pub window_hours: u32,
    /// The provider.
    pub provider: ProviderInfo,
    /// Decisions in the window.
    pub decisions: i64,
    /// Decisions per hour over the window.
    pub throughput_per_hour: f64,
    /// Share decided by the rules because the provider failed (0 with no provider).
    pub fallback_rate: f64,
    /// Share decided by a model.
    pub model_rate: f64,
    /// Share escalated to a human.
    pub escalation_rate: f64,
    /// Decision latency, ms.
    pub latency_ms: Latency,
    /// Prompt tokens.
    pub tokens_in: i64,
    /// Completion tokens.
    pub tokens_out: i64,
    /// Provider cost, USD.
    pub cost_usd: f64,
    /// Decisions per severity.
    pub by_severity: BTreeMap<String, i64>,
    /// Decisions per worker agent.
    pub by_agent: BTreeMap<String, i64>,
    /// Decisions per provider.
    pub by_provider: BTreeMap<String, i64>,
    /// Fallbacks per reason (`timeout`, `rate_limited`, `invalid_output`…).
    pub fallback_reasons: BTreeMap<String, i64>,
    /// The consumer's backlog (all organizations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backlog: Option<Backlog>,
    /// Reviews of escalated decisions and their agreement with the agent.
    pub reviews: ReviewStats,
    /// Newest decision in the window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_decision_at: Option<DateTime<Utc>>,
}

fn rate(n: i64, d: i64) -> f64 {
    if d == 0 {
        0.0
    } else {
        ((n as f64 / d as f64) * 10_000.0).round() / 10_000.0
    }
}

/// The provider deciding (the rules when none is configured).
fn provider_info(state: &AppState) -> ProviderInfo {
    match state.agent.llm() {
        Some(llm) => ProviderInfo {
            configured: true,
            name: llm.provider().to_owned(),
            model: llm.model().to_owned(),
        },
        None => ProviderInfo {
            configured: false,
            name: crate::domain::rules::PROVIDER.to_owned(),
            model: crate::domain::rules::VERSION.to_owned(),
        },
    }
}

async fn review_stats(
    state: &AppState,
    since: DateTime<Utc>,
    org: Option<&str>,
) -> Result<ReviewStats, ApiError> {
    let a = reviews::agreement(&state.db, since, org).await?;
    let by_day = reviews::agreement_by_day(&state.db, since, org)
        .await?
        .into_iter()
        .map(|(day, reviewed, agreed)| AgreementDay {
            day,
            reviewed,
            agreement_rate: rate(agreed, reviewed),
        })
        .collect();
    Ok(ReviewStats {
        reviewed: a.reviewed,
        confirmed: a.confirmed,
        overridden: a.overridden,
        agreement_rate: rate(a.agreed, a.reviewed),
        severity_agreement_rate: rate(a.severity_agreed, a.reviewed),
        open: a.open,
        overdue: a.overdue,
        by_day,
    })
}

/// The agent's throughput, fallback rate and latency percentiles over a window, for
/// the caller's organization (all for admins and services).
#[utoipa::path(get, path = "/v1/agent/status", tag = "status",
    params(StatusQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AgentStatus),
        BadRequest,
        Unauthorized,
        Forbidden,
    ))]
pub async fn status(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> Result<Json<AgentStatus>, ApiError> {
    auth.0.require(&[
        Role::Admin,
        Role::FleetManager,
        Role::Technician,
        Role::Support,
        Role::Service,
    ])?;
    let hours = q.window_hours.unwrap_or(24);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::BadRequest(
            "window_hours must be 1 to 720".to_owned(),
        ));
    }
    let since = Utc::now() - chrono::Duration::hours(i64::from(hours));
    let org = auth.0.org_scope();
    let w = stats::window(&state.db, since, org).await?;
    let mut by_severity = BTreeMap::new();
    let mut by_agent = BTreeMap::new();
    let mut by_provider = BTreeMap::new();
    let mut fallback_reasons = BTreeMap::new();
    for (kind, key, n) in stats::breakdown(&state.db, since, org).await? {
        let map = match kind.as_str() {
            "severity" => &mut by_severity,
            "agent" => &mut by_agent,
            "provider" => &mut by_provider,
            _ => &mut fallback_reasons,
        };
        map.insert(key, n);
    }
    let reviews = review_stats(&state, since, org).await?;
    let mut conn = state.redis.clone();
    let backlog = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        shared_runtime::consumer::lag(&mut conn, &state.keys, GROUP, &EVENT_TYPES),
    )
    .await
    .ok()
    .and_then(Result::ok)
    .map(|l| Backlog {
        pending: l.pending,
        lag: l.lag,
    });
    let provider = provider_info(&state);
    Ok(Json(AgentStatus {
        since,
        window_hours: hours,
        provider,
        decisions: w.decisions,
        throughput_per_hour: (w.decisions as f64 / f64::from(hours) * 100.0).round() / 100.0,
        fallback_rate: rate(w.fallbacks, w.decisions),
        model_rate: rate(w.by_model, w.decisions),
        escalation_rate: rate(w.escalated, w.decisions),
        latency_ms: Latency {
            p50: w.p50_ms,
            p95: w.p95_ms,
            p99: w.p99_ms,
            max: w.max_ms,
        },
        tokens_in: w.tokens_in,
        tokens_out: w.tokens_out,
        cost_usd: w.cost_usd,
        by_severity,
        by_agent,
        by_provider,
        fallback_reasons,
        backlog,
        reviews,
        last_decision_at: w.last_at,
    }))
}
