-- Recurring campaigns: the approved campaign is a series (recurrence = a Quartz cron in
-- Asia/Ho_Chi_Minh, next_run_at = its next occurrence); each occurrence becomes a run, a campaign
-- row of its own with series_id and run_at, planned and counted like any campaign. The unique
-- index makes an occurrence produce one run however often the claim is retried.
ALTER TABLE campaigns ADD COLUMN recurrence TEXT NULL;
ALTER TABLE campaigns ADD COLUMN next_run_at INTEGER NULL;
ALTER TABLE campaigns ADD COLUMN series_id TEXT NULL;
ALTER TABLE campaigns ADD COLUMN run_at INTEGER NULL;
CREATE UNIQUE INDEX ux_campaign_runs ON campaigns (series_id, run_at) WHERE series_id IS NOT NULL;
CREATE INDEX ix_campaigns_next_run ON campaigns (status, next_run_at) WHERE recurrence IS NOT NULL;
