-- A campaign's deliveries are found by their id range instead of an index on (campaign_id, id):
-- every index is paid for on every planned row, and this one (with its 26-character campaign id)
-- was a quarter of the planner's writes (issue 7: 10M planned in 60 s). The planner keeps each
-- campaign's first and last delivery id; the deliveries page walks the rowid between them and skips
-- the few rows of campaigns planned at the same time.
ALTER TABLE campaigns ADD COLUMN first_delivery_id INTEGER NULL;
ALTER TABLE campaigns ADD COLUMN last_delivery_id INTEGER NULL;
UPDATE campaigns SET
    first_delivery_id = (SELECT MIN(d.id) FROM deliveries d WHERE d.campaign_id = campaigns.id),
    last_delivery_id  = (SELECT MAX(d.id) FROM deliveries d WHERE d.campaign_id = campaigns.id);
DROP INDEX ix_deliveries_campaign;
