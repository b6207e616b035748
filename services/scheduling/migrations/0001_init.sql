-- The scheduling service's own tables (outbox and inbox are the runtime's, migrated apart).
-- Times are UTC. A booking's slot is guarded here, not in the application: exclusion
-- constraints keep a technician, a bay and a vehicle to one active appointment at a
-- time, so two requests racing for one slot cannot both commit.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE centers (
    id              uuid PRIMARY KEY,
    org_id          text NOT NULL,
    name            text NOT NULL,
    address         text NOT NULL DEFAULT '',
    lat             double precision NOT NULL,
    lon             double precision NOT NULL,
    bays            integer NOT NULL CHECK (bays BETWEEN 1 AND 100),
    -- Seven entries, Monday first: null (closed) or [open_minute, close_minute] UTC.
    hours           jsonb NOT NULL,
    specializations text[] NOT NULL DEFAULT '{}',
    emergency       boolean NOT NULL DEFAULT false,
    rating          double precision NOT NULL DEFAULT 4.0 CHECK (rating BETWEEN 0 AND 5),
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX centers_org ON centers (org_id) WHERE active;

CREATE TABLE technicians (
    id          uuid PRIMARY KEY,
    org_id      text NOT NULL,
    center_id   uuid NOT NULL REFERENCES centers (id),
    name        text NOT NULL,
    email       text,
    -- The platform user (JWT sub) this technician logs in as, if any.
    user_id     text,
    skills      text[] NOT NULL,
    -- Weekly pattern: [{"weekday": 0..6, "start_minute": m, "end_minute": m}] UTC.
    shifts      jsonb NOT NULL,
    days_off    date[] NOT NULL DEFAULT '{}',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX technicians_center ON technicians (center_id) WHERE active;

-- Parts on hand per center; `reserved` is what active bookings hold from stock.
CREATE TABLE stock (
    center_id       uuid NOT NULL REFERENCES centers (id),
    part            text NOT NULL,
    on_hand         integer NOT NULL CHECK (on_hand >= 0),
    reserved        integer NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
    -- Hours from ordering until the part is here; null = cannot be ordered here.
    lead_time_hours double precision CHECK (lead_time_hours >= 0),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (center_id, part)
);

-- Work that needs a slot: from an agent decision, a maintenance plan or a person.
CREATE TABLE jobs (
    id               uuid PRIMARY KEY,
    org_id           text NOT NULL,
    vehicle_id       text NOT NULL,
    decision_id      uuid UNIQUE,
    plan_id          uuid,
    component        text,
    kind             text NOT NULL,
    severity         text NOT NULL,
    skill            text NOT NULL,
    duration_minutes integer NOT NULL CHECK (duration_minutes > 0),
    parts            jsonb NOT NULL DEFAULT '{}',
    title            text NOT NULL,
    release_at       timestamptz NOT NULL,
    due_at           timestamptz NOT NULL,
    lat              double precision,
    lon              double precision,
    -- pending (no slot yet) | proposed | booked | done | cancelled
    status           text NOT NULL,
    note             text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_open ON jobs (org_id, status) WHERE status IN ('pending', 'proposed');

CREATE TABLE proposals (
    id          uuid PRIMARY KEY,
    job_id      uuid NOT NULL REFERENCES jobs (id),
    org_id      text NOT NULL,
    vehicle_id  text NOT NULL,
    -- [{label, center_id, center_name, technician_id, starts_at, ends_at,
    --   parts_from_stock, cost, score}]
    options     jsonb NOT NULL,
    -- open | approved | superseded
    status      text NOT NULL DEFAULT 'open',
    created_at  timestamptz NOT NULL DEFAULT now(),
    decided_at  timestamptz,
    decided_by  text
);
CREATE INDEX proposals_vehicle ON proposals (org_id, vehicle_id, status);

CREATE TABLE appointments (
    id               uuid PRIMARY KEY,
    job_id           uuid NOT NULL REFERENCES jobs (id),
    org_id           text NOT NULL,
    vehicle_id       text NOT NULL,
    center_id        uuid NOT NULL REFERENCES centers (id),
    technician_id    uuid NOT NULL REFERENCES technicians (id),
    bay              integer NOT NULL CHECK (bay >= 1),
    proposal_id      uuid REFERENCES proposals (id),
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL CHECK (ends_at > starts_at),
    -- scheduled | in_progress | completed | cancelled | no_show
    status           text NOT NULL DEFAULT 'scheduled',
    auto_booked      boolean NOT NULL DEFAULT false,
    parts_from_stock boolean NOT NULL,
    -- The parts this booking holds from stock (released on cancel).
    reserved_parts   jsonb NOT NULL DEFAULT '{}',
    sequence         integer NOT NULL DEFAULT 0,
    booked_by        text,
    cancel_reason    text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT technician_free EXCLUDE USING gist (
        technician_id WITH =, tstzrange(starts_at, ends_at) WITH &&
    ) WHERE (status IN ('scheduled', 'in_progress')),
    CONSTRAINT bay_free EXCLUDE USING gist (
        center_id WITH =, bay WITH =, tstzrange(starts_at, ends_at) WITH &&
    ) WHERE (status IN ('scheduled', 'in_progress')),
    CONSTRAINT vehicle_free EXCLUDE USING gist (
        org_id WITH =, vehicle_id WITH =, tstzrange(starts_at, ends_at) WITH &&
    ) WHERE (status IN ('scheduled', 'in_progress'))
);
CREATE INDEX appointments_vehicle ON appointments (org_id, vehicle_id, starts_at);
CREATE INDEX appointments_center ON appointments (center_id, starts_at);
CREATE UNIQUE INDEX appointments_one_per_job ON appointments (job_id)
    WHERE status IN ('scheduled', 'in_progress', 'completed');

CREATE TABLE work_orders (
    appointment_id   uuid PRIMARY KEY REFERENCES appointments (id),
    technician_id    uuid REFERENCES technicians (id),
    started_at       timestamptz,
    completed_at     timestamptz,
    labour_hours     double precision CHECK (labour_hours >= 0),
    -- {part: quantity}
    parts_used       jsonb NOT NULL DEFAULT '{}',
    components       text[] NOT NULL DEFAULT '{}',
    cost             double precision CHECK (cost >= 0),
    currency         text,
    notes            text,
    odometer_km      double precision,
    engine_hours     double precision
);

CREATE TABLE maintenance_plans (
    id                 uuid PRIMARY KEY,
    org_id             text NOT NULL,
    vehicle_id         text NOT NULL,
    title              text NOT NULL,
    skill              text NOT NULL,
    duration_minutes   integer NOT NULL CHECK (duration_minutes > 0),
    parts              jsonb NOT NULL DEFAULT '{}',
    every_km           double precision CHECK (every_km > 0),
    every_engine_hours double precision CHECK (every_engine_hours > 0),
    every_days         integer CHECK (every_days > 0),
    last_done_at       timestamptz NOT NULL,
    last_odometer_km   double precision,
    last_engine_hours  double precision,
    -- The open job this plan proposed, if any (one at a time).
    open_job_id        uuid REFERENCES jobs (id),
    active             boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (every_km IS NOT NULL OR every_engine_hours IS NOT NULL OR every_days IS NOT NULL)
);
CREATE INDEX maintenance_plans_org ON maintenance_plans (org_id) WHERE active;

-- What the health service last said about a vehicle: position and counters.
CREATE TABLE vehicle_state (
    org_id        text NOT NULL,
    vehicle_id    text NOT NULL,
    lat           double precision,
    lon           double precision,
    odometer_km   double precision,
    engine_hours  double precision,
    daily_km      double precision,
    fetched_at    timestamptz NOT NULL,
    PRIMARY KEY (org_id, vehicle_id)
);

-- Batch plans returned before they are committed.
CREATE TABLE plans (
    id           uuid PRIMARY KEY,
    org_id       text NOT NULL,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    body         jsonb NOT NULL,
    committed_at timestamptz
);
