-- One unresolved alert per organization, vehicle and subject: after a vehicle moves to
-- another organization (ADR 0008), its new organization's alerts never fold into the
-- old one's (whose open alerts the transfer resolves).
DROP INDEX alerts_one_unresolved;
CREATE UNIQUE INDEX alerts_one_unresolved ON alerts (org_id, vehicle_id, subject)
    WHERE status <> 'resolved';
