-- The human in the loop (issue 16): every escalated decision gets a review task; a
-- person confirms it or overrides it, and the outcome is kept as a labelled case.

-- The decision a person's override replaced (NULL for the agent's own decisions).
ALTER TABLE decisions ADD COLUMN supersedes UUID REFERENCES decisions (decision_id);

CREATE TABLE reviews (
    -- The escalated decision (one review each).
    decision_id   UUID        PRIMARY KEY REFERENCES decisions (decision_id),
    org_id        TEXT        NOT NULL,
    vehicle_id    TEXT        NOT NULL,
    component     TEXT        NOT NULL,
    -- What the agent said.
    severity      TEXT        NOT NULL,
    confidence    DOUBLE PRECISION NOT NULL,
    reason        TEXT        NOT NULL,
    status        TEXT        NOT NULL DEFAULT 'open'
                  CHECK (status IN ('open', 'confirmed', 'overridden')),
    created_at    TIMESTAMPTZ NOT NULL,
    -- The end of the decision's urgency window (at least AGENT_REVIEW_MIN_WINDOW_MS):
    -- unreviewed past it, the escalation goes up the alert chain.
    due_at        TIMESTAMPTZ NOT NULL,
    -- When the overdue escalation was announced (once).
    overdue_at    TIMESTAMPTZ,
    reviewed_at   TIMESTAMPTZ,
    reviewed_by   TEXT,
    note          TEXT,
    -- The labelled case: what the reviewer says is right (the agent's own values on a
    -- confirmation), and whether that agrees with the agent.
    label_severity TEXT,
    label_actions  JSONB,
    label_diagnosis TEXT,
    severity_agrees BOOLEAN,
    agrees         BOOLEAN,
    -- The decision that replaced it, on an override.
    superseded_by  UUID REFERENCES decisions (decision_id),
    CHECK ((status = 'open') = (reviewed_at IS NULL))
);
CREATE INDEX reviews_open ON reviews (org_id, created_at DESC) WHERE status = 'open';
CREATE INDEX reviews_due ON reviews (due_at) WHERE status = 'open' AND overdue_at IS NULL;
CREATE INDEX reviews_reviewed ON reviews (reviewed_at) WHERE status <> 'open';
