-- What the analysis of a claim saw: the vehicle's record from the other services and
-- the near neighbours in the claim index, kept so the evidence pack shows exactly that.
CREATE TABLE claim_records (
    claim_id    uuid PRIMARY KEY REFERENCES claims (id) ON DELETE CASCADE,
    record      jsonb NOT NULL,
    history     jsonb NOT NULL,
    gathered_at timestamptz NOT NULL DEFAULT now()
);
