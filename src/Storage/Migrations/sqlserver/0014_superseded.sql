-- A campaign is superseded when a correction of it is approved (SQL Server). Same reason and meaning
-- as sqlite/0014_superseded.sql.
ALTER TABLE campaigns ADD superseded_by NVARCHAR(64) NULL;
GO
CREATE INDEX ix_campaigns_corrects ON campaigns (corrects);
