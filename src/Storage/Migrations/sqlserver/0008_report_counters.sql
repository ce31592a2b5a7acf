-- Counters for reports and the dashboard (same tables and meaning as sqlite/0008_report_counters.sql),
-- moved in the same transaction as the delivery rows they count. Batches are separated by GO lines;
-- the migrator runs them all in one transaction.

-- campaign_progress is kept per province too. Rows written before this version keep province ''
-- (unknown). status is widened on the way: 'suppressed:not-test-number' does not fit in 16.
ALTER TABLE campaign_progress ADD province NVARCHAR(16) NOT NULL CONSTRAINT df_campaign_progress_province DEFAULT '';
GO
ALTER TABLE campaign_progress DROP CONSTRAINT pk_campaign_progress;
GO
ALTER TABLE campaign_progress ALTER COLUMN status VARCHAR(40) NOT NULL;
GO
ALTER TABLE campaign_progress ADD CONSTRAINT pk_campaign_progress PRIMARY KEY (campaign_id, carrier, province, status);
GO
CREATE TABLE campaign_failures (
    campaign_id NVARCHAR(64)  NOT NULL,
    carrier     VARCHAR(32)   NOT NULL,
    reason      NVARCHAR(200) NOT NULL,
    count       BIGINT        NOT NULL,
    CONSTRAINT pk_campaign_failures PRIMARY KEY (campaign_id, carrier, reason)
);
GO
CREATE TABLE campaign_throughput (
    campaign_id  NVARCHAR(64) NOT NULL,
    bucket_start BIGINT       NOT NULL,
    submitted    BIGINT       NOT NULL,
    delivered    BIGINT       NOT NULL,
    failed       BIGINT       NOT NULL,
    CONSTRAINT pk_campaign_throughput PRIMARY KEY (campaign_id, bucket_start)
);
GO
CREATE INDEX ix_campaigns_started ON campaigns (started_at) WHERE started_at IS NOT NULL;
