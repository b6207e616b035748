-- The audit trail stores each normalized reading as `json` (validated text), not
-- `jsonb`: it is written for every accepted reading and only ever returned whole,
-- never queried into, and parsing it into jsonb was the largest part of the insert.
ALTER TABLE readings ALTER COLUMN normalized TYPE json USING normalized::json;
