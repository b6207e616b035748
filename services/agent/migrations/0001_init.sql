-- The agent service's own tables (outbox and inbox are the runtime's, migrated apart).

-- One row per decision; at most one per triggering event (or manual request id). The
-- inbox mark, this row and the outbox rows of agent.decision.made / agent.escalation
-- commit in one transaction.
CREATE TABLE decisions (
    decision_id      UUID             PRIMARY KEY,
    trigger_event_id UUID             NOT NULL UNIQUE,
    trigger          TEXT             NOT NULL,
    org_id           TEXT             NOT NULL,
    vehicle_id       TEXT             NOT NULL,
    component        TEXT             NOT NULL,
    agent            TEXT             NOT NULL,
    failure_mode     TEXT             NOT NULL,
    severity         TEXT             NOT NULL,
    rule_severity    TEXT             NOT NULL,
    confidence       DOUBLE PRECISION NOT NULL,
    escalated        BOOLEAN          NOT NULL,
    provider         TEXT             NOT NULL,
    model            TEXT             NOT NULL,
    fallback_used    BOOLEAN          NOT NULL,
    fallback_reason  TEXT,
    latency_ms       BIGINT           NOT NULL,
    tokens_in        BIGINT           NOT NULL,
    tokens_out       BIGINT           NOT NULL,
    cost_usd         DOUBLE PRECISION NOT NULL,
    detected_at      TIMESTAMPTZ      NOT NULL,
    decided_at       TIMESTAMPTZ      NOT NULL,
    -- Who asked, for manual requests.
    requested_by     TEXT,
    -- The whole decision as served (diagnosis, actions, costs, reasoning, evidence,
    -- tool calls).
    record           JSONB            NOT NULL
);
CREATE INDEX decisions_vehicle ON decisions (vehicle_id, decided_at DESC);
CREATE INDEX decisions_org ON decisions (org_id, decided_at DESC);
CREATE INDEX decisions_decided_at ON decisions (decided_at);
CREATE INDEX decisions_escalated ON decisions (org_id, decided_at DESC) WHERE escalated;
