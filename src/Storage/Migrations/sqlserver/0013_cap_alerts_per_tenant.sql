-- A CAP alert's key gains its tenant (SQL Server): (tenant, sender, identifier, sent). Same reason
-- and meaning as sqlite/0013_cap_alerts_per_tenant.sql. The key stays within the 900-byte limit
-- (16 + 200 + 200 characters and a BIGINT). Existing rows are unique under the old key, so the new
-- one is built on them without a change.
ALTER TABLE cap_alerts DROP CONSTRAINT pk_cap_alerts;
GO
ALTER TABLE cap_alerts ADD CONSTRAINT pk_cap_alerts PRIMARY KEY (tenant, sender, identifier, sent);
