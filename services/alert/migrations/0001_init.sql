-- The alert service's own tables (outbox and inbox are the runtime's, migrated apart).

-- Recipients: per organization, with a role on the escalation chain and optionally the
-- vehicles they answer for (empty = all of the organization's).
CREATE TABLE contacts (
    contact_id   UUID        PRIMARY KEY,
    org_id       TEXT        NOT NULL,
    name         TEXT        NOT NULL,
    role         TEXT        NOT NULL CHECK (role IN ('owner', 'fleet_manager', 'emergency_contact')),
    vehicle_ids  TEXT[]      NOT NULL DEFAULT '{}',
    user_id      TEXT,
    email        TEXT,
    phone        TEXT,
    push_token   TEXT,
    webhook_url  TEXT,
    preferences  JSONB       NOT NULL,
    active       BOOLEAN     NOT NULL DEFAULT true,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX contacts_org ON contacts (org_id, role);
CREATE INDEX contacts_user ON contacts (user_id) WHERE user_id IS NOT NULL;

-- Alerts: at most one unresolved per vehicle and subject (a component, or
-- 'staleness'); repeats fold into it.
CREATE TABLE alerts (
    alert_id           UUID        PRIMARY KEY,
    org_id             TEXT        NOT NULL,
    vehicle_id         TEXT        NOT NULL,
    subject            TEXT        NOT NULL,
    component          TEXT,
    kind               TEXT        NOT NULL,
    severity           TEXT        NOT NULL,
    severity_rank      SMALLINT    NOT NULL,
    status             TEXT        NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
    title              TEXT        NOT NULL,
    message            TEXT        NOT NULL,
    diagnosis          JSONB       NOT NULL,
    needs_review       BOOLEAN     NOT NULL DEFAULT false,
    review_reason      TEXT,
    occurrences        INTEGER     NOT NULL DEFAULT 1,
    step               INTEGER     NOT NULL DEFAULT 0,
    next_escalation_at TIMESTAMPTZ,
    correlation_id     UUID        NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    acknowledged_at    TIMESTAMPTZ,
    acknowledged_by    TEXT,
    ack_via            TEXT,
    resolved_at        TIMESTAMPTZ,
    resolved_by        TEXT,
    resolution         TEXT
);
CREATE UNIQUE INDEX alerts_one_unresolved ON alerts (vehicle_id, subject) WHERE status <> 'resolved';
CREATE INDEX alerts_org_created ON alerts (org_id, created_at DESC, alert_id DESC);
CREATE INDEX alerts_vehicle_created ON alerts (vehicle_id, created_at DESC);
CREATE INDEX alerts_created ON alerts (created_at DESC, alert_id DESC);
CREATE INDEX alerts_escalation_due ON alerts (next_escalation_at)
    WHERE status = 'open' AND next_escalation_at IS NOT NULL;

-- What happened to an alert, in order (created, folded, upgraded, escalated,
-- acknowledged, resolved, review).
CREATE TABLE alert_history (
    id        BIGSERIAL   PRIMARY KEY,
    alert_id  UUID        NOT NULL REFERENCES alerts (alert_id) ON DELETE CASCADE,
    at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    what      TEXT        NOT NULL,
    detail    JSONB       NOT NULL DEFAULT '{}'
);
CREATE INDEX alert_history_alert ON alert_history (alert_id, id);

-- The delivery outbox: one row per alert x recipient x channel x escalation step x
-- severity, unique, so replaying an event never plans a message twice. The sender
-- claims due rows (FOR UPDATE SKIP LOCKED), sends, and records the outcome.
CREATE TABLE deliveries (
    delivery_id    UUID        PRIMARY KEY,
    alert_id       UUID        NOT NULL REFERENCES alerts (alert_id) ON DELETE CASCADE,
    contact_id     UUID        NOT NULL,
    channel        TEXT        NOT NULL,
    step           INTEGER     NOT NULL,
    severity       TEXT        NOT NULL,
    severity_rank  SMALLINT    NOT NULL,
    org_id         TEXT        NOT NULL,
    vehicle_id     TEXT        NOT NULL,
    address        TEXT,
    -- pending | sending | sent | failed | cancelled | superseded | suppressed |
    -- rate_limited | skipped
    status         TEXT        NOT NULL,
    -- Why it waits (decision, quiet_hours), or why it was not sent / last error.
    held           TEXT,
    reason         TEXT,
    attempts       INTEGER     NOT NULL DEFAULT 0,
    due_at         TIMESTAMPTZ NOT NULL,
    claimed_at     TIMESTAMPTZ,
    sent_at        TIMESTAMPTZ,
    provider_ref   TEXT,
    correlation_id UUID        NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (alert_id, contact_id, channel, step, severity)
);
CREATE INDEX deliveries_due ON deliveries (due_at) WHERE status = 'pending';
CREATE INDEX deliveries_claimed ON deliveries (claimed_at) WHERE status = 'sending';
CREATE INDEX deliveries_vehicle_channel ON deliveries (vehicle_id, channel, created_at);
CREATE INDEX deliveries_alert ON deliveries (alert_id);

-- When each vehicle last reported (from vehicle.health.computed) and its usual
-- longest gap between reports, for staleness.
CREATE TABLE vehicle_liveness (
    vehicle_id     TEXT             PRIMARY KEY,
    org_id         TEXT             NOT NULL,
    last_seen_at   TIMESTAMPTZ      NOT NULL,
    expected_gap_s DOUBLE PRECISION NOT NULL DEFAULT 0,
    samples        INTEGER          NOT NULL DEFAULT 1,
    updated_at     TIMESTAMPTZ      NOT NULL DEFAULT now()
);
CREATE INDEX vehicle_liveness_last_seen ON vehicle_liveness (last_seen_at);
