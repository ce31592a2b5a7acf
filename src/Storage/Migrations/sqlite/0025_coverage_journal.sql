-- Reach as it happens, appended in the receipt's transaction, and folded into coverage_reached and
-- coverage_counts off the hot path (ReachedTally.FoldAsync). Inserting three random-keyed rows per
-- delivered message into coverage_reached inside every receipt post made each post dirty ~1,500 pages
-- at 1M recipients (eight times slower end to end); an append dirties a few, and a fold of thousands
-- of rows, sorted by key, touches each page of coverage_reached once.
CREATE TABLE coverage_journal (
    id              INTEGER PRIMARY KEY,
    recipient_hash  INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    province        TEXT    NOT NULL,
    carrier         TEXT    NOT NULL
);
