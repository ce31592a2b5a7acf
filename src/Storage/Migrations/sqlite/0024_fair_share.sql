-- The tenant a batch is sent for, so that a lane shares its carrier between tenants by weight
-- (issue 19, fair share): the lane finds which tenants wait and each one's next batch by index seeks,
-- never by counting a campaign's rows. Written by the planner with the batch; the open batches of
-- campaigns planned before are filled here, the closed ones keep '' (no lane reads them again).
ALTER TABLE batches ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
UPDATE batches SET tenant = (SELECT c.tenant FROM campaigns c WHERE c.id = batches.campaign_id)
WHERE status <> 'done' AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = batches.campaign_id);
-- Only what waits: a sent batch leaves the index, so a lane's seeks never walk a finished campaign.
CREATE INDEX ix_batches_lane_tenant ON batches (carrier, tenant, priority, id) WHERE status = 'pending';
