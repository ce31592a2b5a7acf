-- Coverage by target group (issue 19, groupBy=tag): a delivery keeps the tag set its list member had when
-- it was planned (the normalised form of list_members.tags; null: none), the journal carries it to the fold,
-- and the counters are kept per tag set as well as per province and carrier. A person reached in a period
-- counts once, under the tags of the reach that first reached them in it; per tag, the report adds up the
-- tag sets that hold the tag. The tag sets in use are a handful, so the counters stay a few hundred rows.
ALTER TABLE deliveries ADD COLUMN tags TEXT;

ALTER TABLE coverage_journal ADD COLUMN tags TEXT NOT NULL DEFAULT '';

CREATE TABLE coverage_counts_next (
    bucket          TEXT    NOT NULL,
    first_month     INTEGER NOT NULL,
    province        TEXT    NOT NULL,
    carrier         TEXT    NOT NULL,
    tags            TEXT    NOT NULL,
    reached         INTEGER NOT NULL,
    PRIMARY KEY (bucket, first_month, province, carrier, tags)
) WITHOUT ROWID;

INSERT INTO coverage_counts_next (bucket, first_month, province, carrier, tags, reached)
SELECT bucket, first_month, province, carrier, '', reached FROM coverage_counts;

DROP TABLE coverage_counts;

ALTER TABLE coverage_counts_next RENAME TO coverage_counts;
