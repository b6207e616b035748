-- Odometer and engine-hours readings that moved more than a vehicle can (ADR 0009),
-- recorded with their evidence when announced as `vehicle.odometer.anomaly`. Written
-- once per anomaly (announced once), kept like health history.
CREATE TABLE counter_anomalies (
    id             BIGSERIAL        PRIMARY KEY,
    vehicle_id     TEXT             NOT NULL,
    org_id         TEXT             NOT NULL,
    counter        TEXT             NOT NULL,
    kind           TEXT             NOT NULL,
    before_at      TIMESTAMPTZ      NOT NULL,
    before_value   DOUBLE PRECISION NOT NULL,
    after_at       TIMESTAMPTZ      NOT NULL,
    after_value    DOUBLE PRECISION NOT NULL,
    max_plausible  DOUBLE PRECISION NOT NULL,
    confirmed_by   INTEGER          NOT NULL,
    detail         TEXT             NOT NULL,
    detected_at    TIMESTAMPTZ      NOT NULL,
    UNIQUE (vehicle_id, counter, after_at, kind)
);
CREATE INDEX counter_anomalies_vehicle ON counter_anomalies (vehicle_id, after_at DESC);
