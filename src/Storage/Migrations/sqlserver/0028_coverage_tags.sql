-- Coverage by target group: see the SQLite script of this number. Tags are at most 8 of 32 ASCII
-- characters (as list_members.tags): VARCHAR(300) keeps the counters' key under 900 bytes.
ALTER TABLE deliveries ADD tags VARCHAR(300) NULL;
GO

ALTER TABLE coverage_journal ADD tags VARCHAR(300) NOT NULL CONSTRAINT df_coverage_journal_tags DEFAULT '';
GO

ALTER TABLE coverage_counts ADD tags VARCHAR(300) NOT NULL CONSTRAINT df_coverage_counts_tags DEFAULT '';
GO

ALTER TABLE coverage_counts DROP CONSTRAINT pk_coverage_counts;
GO

ALTER TABLE coverage_counts ADD CONSTRAINT pk_coverage_counts PRIMARY KEY (bucket, first_month, province, carrier, tags);
GO
