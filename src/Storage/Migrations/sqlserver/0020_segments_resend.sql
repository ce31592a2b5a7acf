-- Segments and re-send (same tables and meaning as sqlite/0020_segments_resend.sql). Batches are
-- separated by GO lines; the migrator runs them all in one transaction.

-- The free-text tags column stays, renamed; `tags` now holds the normalised tag set audiences filter on.
EXEC sp_rename 'list_members.tags', 'legacy_tags', 'COLUMN';
GO
-- At most 8 tags of 32 ASCII characters (CampaignApi checks): 300 bytes keeps the counters' key under 900.
ALTER TABLE list_members ADD tags VARCHAR(300) NULL, commune VARCHAR(5) NULL;
GO
ALTER TABLE list_counts ADD commune VARCHAR(5) NOT NULL CONSTRAINT df_list_counts_commune DEFAULT '',
                            tags VARCHAR(300) NOT NULL CONSTRAINT df_list_counts_tags DEFAULT '';
GO
ALTER TABLE list_counts DROP CONSTRAINT pk_list_counts;
GO
ALTER TABLE list_counts ADD CONSTRAINT pk_list_counts PRIMARY KEY (list_id, carrier, province, commune, tags);
GO
ALTER TABLE campaigns ADD resend_of NVARCHAR(64) NULL;
GO
CREATE INDEX ix_campaigns_resend_of ON campaigns (resend_of) WHERE resend_of IS NOT NULL;
