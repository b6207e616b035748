-- The newest reading's engine hours, and the newest GPS fix (of the newest reading
-- that had one): scheduling reads them to plan preventive work and travel.
ALTER TABLE vehicles
    ADD COLUMN engine_hours DOUBLE PRECISION,
    ADD COLUMN position_lat DOUBLE PRECISION,
    ADD COLUMN position_lon DOUBLE PRECISION,
    ADD COLUMN position_at  TIMESTAMPTZ;

-- Each component's latest service (`appointment.completed`), as the REST view shows
-- it. The engine state's head holds the same facts for the engine; this copy saves
-- the view from decoding heads. Written once per applied service.
CREATE TABLE component_services (
    vehicle_id     TEXT        NOT NULL,
    component      TEXT        NOT NULL,
    appointment_id UUID        NOT NULL,
    serviced_at    TIMESTAMPTZ NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (vehicle_id, component)
);
