-- Fleet metrics read models (ADR 0014), built by the consumer group `analytics-metrics`
-- from the platform's events only. Compact on purpose: a current-state row per
-- vehicle, a row per vehicle and day, a per-organization daily rollup of bands, and a
-- row per alert, decision, prediction episode, appointment and warranty claim.

-- The latest health of each vehicle (vehicle.health.computed; newest computed_at wins).
-- org_id follows vehicle.ownership.transferred (a vehicle's health moves with it).
-- Updated up to once a minute per vehicle: room in each page (fillfactor) and one index
-- whose columns rarely change keep the updates HOT, and autovacuum runs early, so the
-- table stays a few hundred pages for 10,000 vehicles instead of bloating.
CREATE TABLE metric_vehicles (
    vehicle_id       TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL,
    overall_score    DOUBLE PRECISION NOT NULL,
    overall_band     TEXT NOT NULL,
    -- The component with the lowest score, its band and the lowest RUL of any component.
    worst_component  TEXT,
    worst_band       TEXT,
    min_rul_days     DOUBLE PRECISION,
    -- Overall band fair or worse, or a component poor or worse (domain::metrics).
    attention        BOOLEAN NOT NULL,
    computed_at      TIMESTAMPTZ NOT NULL,
    first_seen_at    TIMESTAMPTZ NOT NULL
) WITH (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.02,
        autovacuum_analyze_scale_factor = 0.05);
-- The summary counts bands and attention per organization from this index alone.
CREATE INDEX metric_vehicles_org ON metric_vehicles (org_id, overall_band, attention);

-- Each vehicle's last overall band of each UTC day it reported (the day's state).
CREATE TABLE metric_vehicle_days (
    vehicle_id   TEXT NOT NULL,
    day          DATE NOT NULL,
    org_id       TEXT NOT NULL,
    band         TEXT NOT NULL,
    score        DOUBLE PRECISION NOT NULL,
    computed_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (vehicle_id, day)
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02);
CREATE INDEX metric_vehicle_days_org ON metric_vehicle_days (org_id, day);

-- Rollup of metric_vehicle_days: vehicles per organization, day and band. Recounted
-- for the (organization, day) pairs a batch touched, so it converges whatever the
-- redeliveries or concurrent replicas.
CREATE TABLE metric_band_days (
    org_id    TEXT NOT NULL,
    day       DATE NOT NULL,
    band      TEXT NOT NULL,
    vehicles  INTEGER NOT NULL,
    PRIMARY KEY (org_id, day, band)
) WITH (autovacuum_vacuum_scale_factor = 0.02);

-- Alerts (alert.created / .acknowledged / .escalated / .resolved). Streams are ordered
-- per event type only, so any of them may arrive first: every column but the keys is
-- nullable and filled by whichever event carries it.
CREATE TABLE metric_alerts (
    alert_id         UUID PRIMARY KEY,
    org_id           TEXT NOT NULL,
    vehicle_id       TEXT NOT NULL,
    severity         TEXT,
    kind             TEXT,
    component        TEXT,
    created_at       TIMESTAMPTZ,
    acknowledged_at  TIMESTAMPTZ,
    escalations      INTEGER NOT NULL DEFAULT 0,
    resolved_at      TIMESTAMPTZ
);
-- Covering: the summary's alert figures read the index alone.
CREATE INDEX metric_alerts_org ON metric_alerts (org_id, created_at)
    INCLUDE (severity, acknowledged_at, escalations, resolved_at);
CREATE INDEX metric_alerts_vehicle ON metric_alerts (vehicle_id, created_at);

-- Agent decisions (agent.decision.made) and escalations (agent.escalation).
CREATE TABLE metric_decisions (
    decision_id    UUID PRIMARY KEY,
    org_id         TEXT NOT NULL,
    vehicle_id     TEXT NOT NULL,
    component      TEXT NOT NULL,
    severity       TEXT NOT NULL,
    disposition    TEXT NOT NULL,
    fallback_used  BOOLEAN NOT NULL,
    cost_min       DOUBLE PRECISION NOT NULL,
    cost_max       DOUBLE PRECISION NOT NULL,
    currency       TEXT NOT NULL,
    provider_cost_usd DOUBLE PRECISION NOT NULL,
    decided_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX metric_decisions_org ON metric_decisions (org_id, decided_at)
    INCLUDE (severity, disposition, fallback_used, provider_cost_usd);
CREATE INDEX metric_decisions_vehicle ON metric_decisions (vehicle_id, component, decided_at);

CREATE TABLE metric_escalations (
    decision_id   UUID PRIMARY KEY,
    org_id        TEXT NOT NULL,
    vehicle_id    TEXT NOT NULL,
    escalated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX metric_escalations_org ON metric_escalations (org_id, escalated_at);

-- Prediction episodes of one vehicle component (ADR 0014): opened by component.degraded
-- (a predicted failure: predicted_at, RUL), ended by component.critical (the failure
-- happened; critical without a prediction is an unpredicted failure), by
-- appointment.completed servicing the component (repaired: failure avoided), or by
-- vehicle.health.changed back to good or excellent (recovered).
CREATE TABLE metric_episodes (
    id                  BIGSERIAL PRIMARY KEY,
    org_id              TEXT NOT NULL,
    vehicle_id          TEXT NOT NULL,
    component           TEXT NOT NULL,
    predicted_at        TIMESTAMPTZ,
    predicted_rul_days  DOUBLE PRECISION,
    failed_at           TIMESTAMPTZ,
    repaired_at         TIMESTAMPTZ,
    recovered_at        TIMESTAMPTZ
);
CREATE INDEX metric_episodes_vehicle ON metric_episodes (vehicle_id, component);
-- Every repair and recovery of a component, kept so that a prediction processed after
-- them (its stream lagged) still ends the way it did.
CREATE TABLE metric_component_marks (
    vehicle_id  TEXT NOT NULL,
    component   TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('repaired', 'recovered')),
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (vehicle_id, component, kind, at)
);
CREATE INDEX metric_episodes_org_predicted ON metric_episodes (org_id, predicted_at);
CREATE INDEX metric_episodes_org_failed ON metric_episodes (org_id, failed_at);

-- Scheduling (appointment.proposed / .scheduled / .cancelled / .completed).
CREATE TABLE metric_proposals (
    proposal_id  UUID PRIMARY KEY,
    org_id       TEXT NOT NULL,
    vehicle_id   TEXT NOT NULL,
    proposed_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX metric_proposals_org ON metric_proposals (org_id, proposed_at);

CREATE TABLE metric_appointments (
    appointment_id  UUID PRIMARY KEY,
    org_id          TEXT NOT NULL,
    vehicle_id      TEXT NOT NULL,
    kind            TEXT,
    auto_booked     BOOLEAN,
    starts_at       TIMESTAMPTZ,
    ends_at         TIMESTAMPTZ,
    cancelled_at    TIMESTAMPTZ,
    completed_at    TIMESTAMPTZ
);
CREATE INDEX metric_appointments_org ON metric_appointments (org_id, starts_at);
CREATE INDEX metric_appointments_vehicle ON metric_appointments (vehicle_id);

-- Warranty claims (warranty.claim.submitted / .validated / .rejected,
-- warranty.fraud.detected); any may arrive first, as for alerts.
CREATE TABLE metric_claims (
    claim_id          UUID PRIMARY KEY,
    org_id            TEXT NOT NULL,
    vehicle_id        TEXT NOT NULL,
    component         TEXT,
    submitted_at      TIMESTAMPTZ,
    cost_estimate     DOUBLE PRECISION,
    currency          TEXT,
    validated_at      TIMESTAMPTZ,
    approved_amount   DOUBLE PRECISION,
    auto_approved     BOOLEAN,
    rejected_at       TIMESTAMPTZ,
    fraud_flagged_at  TIMESTAMPTZ
);
CREATE INDEX metric_claims_org ON metric_claims (org_id, submitted_at);

-- Scheduled reports: one user's report of one kind, daily or weekly, by email.
CREATE TABLE report_schedules (
    id           UUID PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('fleet_health', 'alerts', 'maintenance')),
    frequency    TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    -- An admin's chosen organization (NULL: every one); others' reports follow their
    -- own scope at send time.
    org_id       TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    next_run_at  TIMESTAMPTZ NOT NULL,
    -- A replica working on it holds it until then (a crashed one lets go).
    leased_until TIMESTAMPTZ,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
);
CREATE INDEX report_schedules_user ON report_schedules (user_id);
CREATE INDEX report_schedules_due ON report_schedules (next_run_at);

-- The sent-marker: one row per schedule and occurrence (its due time), written in the
-- transaction that advances the schedule after the mail went out, so a restart does
-- not send an occurrence again.
CREATE TABLE report_deliveries (
    schedule_id  UUID NOT NULL REFERENCES report_schedules (id) ON DELETE CASCADE,
    due_at       TIMESTAMPTZ NOT NULL,
    sent_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    recipient    TEXT NOT NULL,
    PRIMARY KEY (schedule_id, due_at)
);
