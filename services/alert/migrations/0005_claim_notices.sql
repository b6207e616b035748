-- Warranty claim notices (ADR 0016): the warranty service's claim events, emailed like
-- appointment notices through the same table. The kinds widen, and a notice about a
-- claim names it (as appointment notices name their appointment).
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN (
    'scheduled', 'cancelled', 'proposed',
    'claim_submitted', 'claim_validated', 'claim_rejected', 'fraud_detected'));
ALTER TABLE notices ADD COLUMN claim_id UUID;
CREATE INDEX notices_claim ON notices (claim_id) WHERE claim_id IS NOT NULL;
