-- Segments (issue 19): members carry tags and a commune, and the counts kept at upload are keyed by
-- a member's whole segment (carrier, province, commune, tag set), so that any include/exclude of
-- tags, provinces, communes and carriers is previewed exactly from counters, never by counting members.

-- Until now `tags` was free text "kept as given, not used for targeting": it stays, renamed, and the
-- new `tags` holds only the normalised tag set (sorted, distinct, comma-joined) that audiences filter
-- on. Renaming and adding are schema changes only: no member row is rewritten.
ALTER TABLE list_members RENAME COLUMN tags TO legacy_tags;
ALTER TABLE list_members ADD COLUMN tags TEXT NULL;
ALTER TABLE list_members ADD COLUMN commune TEXT NULL;

-- SQLite cannot change a primary key: the table is rebuilt (list_counts is small, a few rows per list).
CREATE TABLE list_counts_v20 (
    list_id     TEXT    NOT NULL,
    carrier     TEXT    NOT NULL,
    province    TEXT    NOT NULL,
    commune     TEXT    NOT NULL DEFAULT '',
    tags        TEXT    NOT NULL DEFAULT '',      -- the member's whole tag set, as list_members.tags ('' none)
    recipients  INTEGER NOT NULL,
    PRIMARY KEY (list_id, carrier, province, commune, tags)
) WITHOUT ROWID;
INSERT INTO list_counts_v20 (list_id, carrier, province, commune, tags, recipients)
SELECT list_id, carrier, province, '', '', recipients FROM list_counts;
DROP TABLE list_counts;
ALTER TABLE list_counts_v20 RENAME TO list_counts;

-- Re-send: a draft to those a finished campaign did not reach; both point at each other (resends by query).
ALTER TABLE campaigns ADD COLUMN resend_of TEXT NULL;
CREATE INDEX ix_campaigns_resend_of ON campaigns (resend_of) WHERE resend_of IS NOT NULL;
