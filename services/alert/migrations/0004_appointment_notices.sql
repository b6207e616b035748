-- Appointment notices (ADR 0016): the scheduling service's bookings, cancellations and
-- proposals, emailed to the vehicle's owners and fleet managers. Not alerts: nothing to
-- acknowledge, no escalation. One row per event and recipient (unique: a redelivered
-- event plans nothing twice), sent like digests: claimed, sent outside any transaction
-- (the calendar file fetched from the scheduling service at send time), retried with
-- backoff. `content` is the event as received, so a retry sends the same text.
CREATE TABLE notices (
    notice_id      UUID        PRIMARY KEY,
    event_id       UUID        NOT NULL,
    -- scheduled | cancelled | proposed
    kind           TEXT        NOT NULL CHECK (kind IN ('scheduled', 'cancelled', 'proposed')),
    org_id         TEXT        NOT NULL,
    vehicle_id     TEXT        NOT NULL,
    appointment_id UUID,
    contact_id     UUID        NOT NULL,
    address        TEXT,
    -- pending | sending | sent | failed | skipped
    status         TEXT        NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    reason         TEXT,
    attempts       INTEGER     NOT NULL DEFAULT 0,
    content        JSONB       NOT NULL,
    correlation_id UUID        NOT NULL,
    due_at         TIMESTAMPTZ NOT NULL,
    claimed_at     TIMESTAMPTZ,
    sent_at        TIMESTAMPTZ,
    provider_ref   TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (event_id, contact_id)
);
CREATE INDEX notices_due ON notices (due_at) WHERE status = 'pending';
CREATE INDEX notices_claimed ON notices (claimed_at) WHERE status = 'sending';
CREATE INDEX notices_vehicle_created ON notices (org_id, vehicle_id, created_at DESC);
