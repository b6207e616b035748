-- Device API keys. Only a SHA-256 of each key is stored; keys are 160-bit random, so a
-- fast hash is enough and lookups stay cheap on the hot path.
CREATE TABLE device_keys (
    id           UUID PRIMARY KEY,
    org_id       TEXT        NOT NULL,
    name         TEXT        NOT NULL,
    key_prefix   TEXT        NOT NULL,
    key_hash     BYTEA       NOT NULL UNIQUE,
    vehicle_ids  TEXT[]      NOT NULL DEFAULT '{}',
    created_by   TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at   TIMESTAMPTZ
);

-- Audit of every accepted reading: the normalized form and, for adapter protocols, the
-- raw input. Written by the audit writer from the stream, so (vehicle_id, reading_id)
-- makes a redelivered entry a no-op.
CREATE TABLE readings (
    id           BIGSERIAL PRIMARY KEY,
    org_id       TEXT        NOT NULL,
    vehicle_id   TEXT        NOT NULL,
    reading_id   TEXT        NOT NULL,
    event_id     UUID        NOT NULL,
    protocol     TEXT        NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,
    normalized   JSONB       NOT NULL,
    raw          TEXT,
    UNIQUE (vehicle_id, reading_id)
);
CREATE INDEX readings_vehicle_time ON readings (vehicle_id, recorded_at DESC, id DESC);
