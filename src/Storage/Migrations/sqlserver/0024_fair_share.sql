-- The tenant a batch is sent for (SQL Server). Same reason and meaning as sqlite/0024_fair_share.sql.
ALTER TABLE batches ADD tenant NVARCHAR(16) NOT NULL CONSTRAINT df_batches_tenant DEFAULT '';
GO
UPDATE b SET tenant = c.tenant FROM batches b JOIN campaigns c ON c.id = b.campaign_id WHERE b.status <> 'done';
GO
CREATE INDEX ix_batches_lane_tenant ON batches (carrier, tenant, priority, id) WHERE status = 'pending';
GO
