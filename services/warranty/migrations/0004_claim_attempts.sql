-- Decision attempts. A claim left in `submitted` or `validating` (the service stopped
-- mid-decision, the analysis failed) is decided again by the retry sweeper: each attempt
-- is counted and refreshes `updated_at`, which is its lease (no replica takes the claim
-- again before it has gone stale); the last failure is kept for the reviewer the claim
-- goes to once the attempts run out.
ALTER TABLE claims
    ADD COLUMN attempts   integer NOT NULL DEFAULT 0,
    ADD COLUMN last_error text;
CREATE INDEX claims_unfinished ON claims (updated_at)
    WHERE status IN ('submitted', 'validating');
