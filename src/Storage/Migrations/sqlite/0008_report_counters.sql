-- Counters for reports and the dashboard, all moved in the same transaction as the delivery rows
-- they count (see Deliveries/Progress.cs), so that nothing on a read path counts deliveries.

-- campaign_progress is kept per province too, for reports by province. SQLite cannot change a
-- primary key in place: the table is rebuilt. Rows written before this version keep province ''
-- (unknown); moves after it use the delivery's own province, so a campaign that was running during
-- the upgrade may show a '' row and its real province rows that only add up together.
CREATE TABLE campaign_progress_v8 (
    campaign_id TEXT    NOT NULL,
    carrier     TEXT    NOT NULL,
    province    TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, carrier, province, status)
) WITHOUT ROWID;
INSERT INTO campaign_progress_v8 (campaign_id, carrier, province, status, count)
SELECT campaign_id, carrier, '', status, count FROM campaign_progress;
DROP TABLE campaign_progress;
ALTER TABLE campaign_progress_v8 RENAME TO campaign_progress;

-- Why deliveries failed: one row per campaign, carrier and reason (the stored error, cut to 200).
CREATE TABLE campaign_failures (
    campaign_id TEXT    NOT NULL,
    carrier     TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, carrier, reason)
) WITHOUT ROWID;

-- Moves into submitted, delivered and failed per 10-second bucket (unix ms, floored), for the
-- dashboard's rate chart: read by primary-key range.
CREATE TABLE campaign_throughput (
    campaign_id  TEXT    NOT NULL,
    bucket_start INTEGER NOT NULL,
    submitted    INTEGER NOT NULL,
    delivered    INTEGER NOT NULL,
    failed       INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, bucket_start)
) WITHOUT ROWID;

-- Reports pick campaigns by the time they started.
CREATE INDEX ix_campaigns_started ON campaigns (started_at) WHERE started_at IS NOT NULL;
