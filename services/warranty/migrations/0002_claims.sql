-- Contracts, claims with their documents, their life and the reviewers' labels.

CREATE TABLE contracts (
    vehicle_id        text PRIMARY KEY,
    org_id            text NOT NULL,
    vin               text NOT NULL,
    start_date        date NOT NULL,
    start_odometer_km double precision NOT NULL,
    terms             jsonb NOT NULL,
    deductible        double precision NOT NULL,
    currency          text NOT NULL,
    updated_by        text NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contracts_org ON contracts (org_id);

CREATE TABLE claims (
    id                 uuid PRIMARY KEY,
    org_id             text NOT NULL,
    vehicle_id         text NOT NULL,
    vin                text NOT NULL,
    component          text NOT NULL,
    failure_date       date NOT NULL,
    odometer_km        double precision NOT NULL,
    description        text NOT NULL,
    shop_id            text NOT NULL,
    shop_region        text NOT NULL,
    shop               jsonb NOT NULL,
    cost               jsonb NOT NULL,
    cost_total         double precision NOT NULL,
    currency           text NOT NULL,
    submitted_by       text NOT NULL,
    submitted_at       timestamptz NOT NULL,
    status             text NOT NULL,
    coverage           text,
    eligibility        jsonb,
    assessment         jsonb,
    approved_amount    double precision,
    decided_by         text,
    decided_at         timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    -- A retried submission: the same caller and key return the first claim.
    idempotency_caller text,
    idempotency_key    text,
    request_hash       text,
    UNIQUE (idempotency_caller, idempotency_key)
);
CREATE INDEX claims_org_status ON claims (org_id, status, submitted_at DESC);
CREATE INDEX claims_vehicle ON claims (vehicle_id, submitted_at DESC);
CREATE INDEX claims_vin ON claims (vin, failure_date);
CREATE INDEX claims_shop ON claims (shop_id, failure_date);
CREATE INDEX claims_region ON claims (shop_region, component, failure_date);

CREATE TABLE claim_documents (
    claim_id     uuid NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    sha256       text NOT NULL,
    content_type text NOT NULL,
    size_bytes   bigint NOT NULL,
    filename     text,
    stored_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (claim_id, sha256)
);

CREATE TABLE claim_transitions (
    id          bigserial PRIMARY KEY,
    claim_id    uuid NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    from_status text,
    to_status   text NOT NULL,
    by_user     text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    note        text
);
CREATE INDEX claim_transitions_claim ON claim_transitions (claim_id, id);

-- A reviewer's decision as a training label: was the claim fraud?
CREATE TABLE claim_labels (
    claim_id   uuid PRIMARY KEY REFERENCES claims (id) ON DELETE CASCADE,
    fraud      boolean NOT NULL,
    decision   text NOT NULL,
    note       text,
    decided_by text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
