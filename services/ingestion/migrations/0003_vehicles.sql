-- Which organization each vehicle belongs to (docs/adr/0008-vehicle-ownership.md).
-- A vehicle is registered by a fleet manager or admin, or claimed by the device key of
-- its first accepted reading; from then on only an admin transfer changes its owner,
-- and a reading sent for it with another organization's key is refused.
CREATE TABLE vehicles (
    vehicle_id     TEXT        PRIMARY KEY,
    org_id         TEXT        NOT NULL,
    vin            TEXT,
    label          TEXT,
    -- `device-key:<key id>` for a claim by a first reading, else the user's subject.
    registered_by  TEXT        NOT NULL,
    registered_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    transferred_at TIMESTAMPTZ
);
CREATE INDEX vehicles_org ON vehicles (org_id, vehicle_id);

-- Every change of owner, kept for audit; never updated or deleted.
CREATE TABLE vehicle_transfers (
    id             UUID        PRIMARY KEY,
    vehicle_id     TEXT        NOT NULL REFERENCES vehicles (vehicle_id),
    from_org_id    TEXT        NOT NULL,
    to_org_id      TEXT        NOT NULL,
    reason         TEXT        NOT NULL,
    transferred_by TEXT        NOT NULL,
    transferred_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX vehicle_transfers_vehicle ON vehicle_transfers (vehicle_id, transferred_at);

-- Vehicles that reported before this table existed belong to the organization of their
-- first audited reading (a later reading under another organization's key was the
-- takeover this table stops).
INSERT INTO vehicles (vehicle_id, org_id, registered_by, registered_at)
SELECT DISTINCT ON (vehicle_id) vehicle_id, org_id, 'first-reading', received_at
FROM readings
ORDER BY vehicle_id, received_at, id;
