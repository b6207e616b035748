-- Components a vehicle reports signals of but whose health its readings cannot judge
-- (`ComponentUnknown`: what evidence each needs), written with the assessment.
ALTER TABLE vehicles ADD COLUMN unknown_components JSONB NOT NULL DEFAULT '[]';
