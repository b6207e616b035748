-- The warranty service's own tables (outbox and inbox are the runtime's, migrated apart).
-- Tables are added by the migrations that follow.
SELECT 1;
