-- The health service's own tables (the outbox is the runtime's, migrated separately).

-- One row per vehicle: the engine state's head, the newest reading's facts and the
-- current assessment. `version` is bumped on every write of the state and validates
-- in-process caches of decoded states; the consumer locks the row (FOR UPDATE) while it
-- folds readings in, so replicas take turns per vehicle.
-- Every batch rewrites its vehicles' rows: no index on columns that change per batch
-- and free space in each page keep those updates HOT, and `components` is JSON (not
-- JSONB) because it is written far more often than queried (parsing it into JSONB was
-- half the cost of the update).
CREATE TABLE vehicles (
    vehicle_id            TEXT             PRIMARY KEY,
    -- Organization of the vehicle's newest reading.
    org_id                TEXT             NOT NULL,
    version               BIGINT           NOT NULL DEFAULT 0,
    -- VehicleState::encode_head(); NULL before the first reading was folded in.
    head                  BYTEA,
    -- The newest reading: its instant (also the instant assessed), odometer and DTCs.
    newest_at             TIMESTAMPTZ,
    odometer_km           DOUBLE PRECISION,
    dtcs                  JSONB            NOT NULL DEFAULT '[]',
    -- Current assessment (NULL until the first one).
    overall_score         DOUBLE PRECISION,
    overall_band          TEXT,
    daily_km              DOUBLE PRECISION,
    components            JSON             NOT NULL DEFAULT '[]',
    model_version         TEXT,
    assessed_at           TIMESTAMPTZ,
    -- vehicle.health.computed throttle: when it was last published (wall clock), and
    -- whether the current assessment still waits to be.
    computed_published_at TIMESTAMPTZ,
    computed_pending      BOOLEAN          NOT NULL DEFAULT false,
    -- The telemetry event behind the current assessment (causation of a deferred
    -- vehicle.health.computed).
    cause_event_id        UUID,
    cause_correlation_id  UUID,
    created_at            TIMESTAMPTZ      NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ      NOT NULL DEFAULT now()
) WITH (fillfactor = 70);
CREATE INDEX vehicles_org ON vehicles (org_id);
CREATE INDEX vehicles_computed_pending ON vehicles (computed_published_at) WHERE computed_pending;

-- The engine state's daily aggregates (VehicleState::encode_day), one row per vehicle
-- and UTC day number; only days changed by a batch are rewritten, and days older than
-- the state's window are deleted.
CREATE TABLE vehicle_days (
    vehicle_id TEXT   NOT NULL,
    day        BIGINT NOT NULL,
    data       BYTEA  NOT NULL,
    PRIMARY KEY (vehicle_id, day)
);

-- Readings already folded into a state: the consumer inserts a batch's keys first and
-- applies only those that were new, in the same transaction, so redelivered events and
-- re-sent readings are no-ops. Marks older than the late horizon (relative to the
-- vehicle's newest reading) are pruned: such a reading would be refused anyway. Marks
-- arrive roughly in time order, so a BRIN index finds the old ones cheaply.
CREATE TABLE applied_readings (
    vehicle_id  TEXT        NOT NULL,
    reading_id  TEXT        NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (vehicle_id, reading_id)
);
CREATE INDEX applied_readings_age ON applied_readings USING brin (recorded_at);

-- Component health each time vehicle.health.computed was published (computed_at is the
-- instant assessed: the vehicle's newest reading).
CREATE TABLE health_history (
    vehicle_id    TEXT             NOT NULL,
    org_id        TEXT             NOT NULL,
    component     TEXT             NOT NULL,
    computed_at   TIMESTAMPTZ      NOT NULL,
    score         DOUBLE PRECISION NOT NULL,
    band          TEXT             NOT NULL,
    rul_days      DOUBLE PRECISION NOT NULL,
    rul_km        DOUBLE PRECISION,
    confidence    DOUBLE PRECISION NOT NULL,
    model_version TEXT             NOT NULL,
    PRIMARY KEY (vehicle_id, component, computed_at)
);
-- Retention deletes by age; rows arrive roughly in time order.
CREATE INDEX health_history_age ON health_history USING brin (computed_at);
