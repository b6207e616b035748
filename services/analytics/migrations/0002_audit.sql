-- The audit log (ADR 0013): every event of every stream and every state-changing
-- request, one hash chain per organization. Append-only: the service's role may not
-- UPDATE, DELETE or TRUNCATE entries, and a trigger refuses them as a second line.

CREATE TABLE audit_entries (
    -- Storage order across chains (listing cursor); not part of the hash.
    id            BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    org_id        TEXT NOT NULL,
    -- 1, 2, 3… within the organization's chain.
    seq           BIGINT NOT NULL CHECK (seq > 0),
    entry_id      UUID NOT NULL UNIQUE,
    -- The event id (for a request, its audit event's id): an event is recorded once
    -- per chain whatever the redeliveries.
    source_id     UUID NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('event', 'request')),
    event_type    TEXT NOT NULL,
    producer      TEXT NOT NULL,
    -- Token subject and role of a request's caller.
    actor         TEXT,
    actor_role    TEXT,
    vehicle_id    TEXT,
    occurred_at   TIMESTAMPTZ NOT NULL,
    recorded_at   TIMESTAMPTZ NOT NULL,
    summary       TEXT NOT NULL,
    -- `json`, not `jsonb`: the text is kept byte for byte, so the hash over it can be
    -- recomputed from what is stored.
    payload       JSON NOT NULL,
    prev_hash     BYTEA NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash          BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (org_id, seq),
    UNIQUE (source_id, org_id)
);
CREATE INDEX audit_entries_org_id ON audit_entries (org_id, id);
CREATE INDEX audit_entries_vehicle ON audit_entries (vehicle_id, id) WHERE vehicle_id IS NOT NULL;
CREATE INDEX audit_entries_actor ON audit_entries (actor, id) WHERE actor IS NOT NULL;
CREATE INDEX audit_entries_type ON audit_entries (event_type, id);
CREATE INDEX audit_entries_occurred ON audit_entries (occurred_at);

-- The newest entry of each chain: appends lock its row, so one organization's entries
-- are chained one after the other; verification compares it with the last entry (a
-- deleted tail shows).
CREATE TABLE audit_chains (
    org_id      TEXT PRIMARY KEY,
    seq         BIGINT NOT NULL,
    hash        BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The organization of each vehicle as the audit last learned it (telemetry and
-- ownership transfers), for entries whose payload names no organization.
CREATE TABLE audit_vehicle_orgs (
    vehicle_id  TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    as_of       TIMESTAMPTZ NOT NULL
);

CREATE FUNCTION audit_entries_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entries is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_entries_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();
CREATE TRIGGER audit_entries_no_truncate
    BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries FROM CURRENT_USER;
