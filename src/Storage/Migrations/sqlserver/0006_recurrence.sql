-- Recurring campaigns: a series row (recurrence, next_run_at) and one run row per occurrence
-- (series_id, run_at), unique per occurrence.
ALTER TABLE campaigns ADD recurrence NVARCHAR(120) NULL, next_run_at BIGINT NULL, series_id NVARCHAR(64) NULL, run_at BIGINT NULL;
GO
CREATE UNIQUE INDEX ux_campaign_runs ON campaigns (series_id, run_at) WHERE series_id IS NOT NULL;
GO
CREATE INDEX ix_campaigns_next_run ON campaigns (status, next_run_at) WHERE recurrence IS NOT NULL;
