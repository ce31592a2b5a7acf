-- Each campaign's first and last delivery id, kept by the planner (same columns as
-- sqlite/0009_delivery_bounds.sql). SQL Server keeps its clustered index on (campaign_id, id),
-- which serves the deliveries page by itself; the columns are kept so both dialects hold the same data.
ALTER TABLE campaigns ADD first_delivery_id BIGINT NULL, last_delivery_id BIGINT NULL;
GO
UPDATE campaigns SET
    first_delivery_id = (SELECT MIN(d.id) FROM deliveries d WHERE d.campaign_id = campaigns.id),
    last_delivery_id  = (SELECT MAX(d.id) FROM deliveries d WHERE d.campaign_id = campaigns.id);
GO
