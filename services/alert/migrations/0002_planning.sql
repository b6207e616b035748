-- Maintenance planning: decisions whose disposition is `plan` (routine wear at the
-- vehicle's normal pace) are planning items, not alerts; a periodic digest lists them
-- to the fleet managers (ADR 0010).

-- One item per organization, vehicle and component: the latest `plan` decision on it.
-- An `alert` or `monitor` decision on the same component removes it.
CREATE TABLE planning_items (
    item_id       UUID             NOT NULL UNIQUE,
    org_id        TEXT             NOT NULL,
    vehicle_id    TEXT             NOT NULL,
    component     TEXT             NOT NULL,
    decision_id   UUID             NOT NULL,
    diagnosis     TEXT             NOT NULL,
    actions       TEXT[]           NOT NULL DEFAULT '{}',
    -- The planning window of the decision, and the date it ends (decided_at + window).
    within_days   INTEGER          NOT NULL,
    plan_by       TIMESTAMPTZ      NOT NULL,
    cost_min      DOUBLE PRECISION NOT NULL,
    cost_max      DOUBLE PRECISION NOT NULL,
    currency      TEXT             NOT NULL,
    decided_at    TIMESTAMPTZ      NOT NULL,
    first_seen_at TIMESTAMPTZ      NOT NULL,
    updated_at    TIMESTAMPTZ      NOT NULL,
    PRIMARY KEY (org_id, vehicle_id, component)
);
CREATE INDEX planning_items_updated ON planning_items (updated_at DESC, item_id DESC);
CREATE INDEX planning_items_org_updated ON planning_items (org_id, updated_at DESC, item_id DESC);

-- One row per organization and digest period: when the org's previous digest was
-- planned (the next is due `ALERT_DIGEST_EVERY` after period_end), also when nobody
-- could receive it.
CREATE TABLE digest_periods (
    org_id       TEXT        NOT NULL,
    period_start TIMESTAMPTZ NOT NULL,
    period_end   TIMESTAMPTZ NOT NULL,
    items        INTEGER     NOT NULL,
    recipients   INTEGER     NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, period_end)
);

-- One digest email per organization, fleet manager and period (unique: planned once),
-- sent like deliveries: claimed, sent outside any transaction, retried with backoff.
-- `content` is the list of items as they were at planning time, so a retry sends the
-- same email.
CREATE TABLE digests (
    digest_id    UUID        PRIMARY KEY,
    org_id       TEXT        NOT NULL,
    contact_id   UUID        NOT NULL,
    period_start TIMESTAMPTZ NOT NULL,
    period_end   TIMESTAMPTZ NOT NULL,
    address      TEXT,
    -- pending | sending | sent | failed | skipped
    status       TEXT        NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    reason       TEXT,
    attempts     INTEGER     NOT NULL DEFAULT 0,
    items        INTEGER     NOT NULL,
    content      JSONB       NOT NULL,
    due_at       TIMESTAMPTZ NOT NULL,
    claimed_at   TIMESTAMPTZ,
    sent_at      TIMESTAMPTZ,
    provider_ref TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (org_id, contact_id, period_end),
    FOREIGN KEY (org_id, period_end) REFERENCES digest_periods (org_id, period_end) ON DELETE CASCADE
);
CREATE INDEX digests_due ON digests (due_at) WHERE status = 'pending';
CREATE INDEX digests_claimed ON digests (claimed_at) WHERE status = 'sending';
CREATE INDEX digests_org_created ON digests (org_id, created_at DESC, digest_id DESC);
CREATE INDEX digests_created ON digests (created_at DESC, digest_id DESC);
