-- Reach as it happens, appended in the receipt's transaction, and folded off the hot path
-- (CoverageStore.FoldAsync). Inserting three random-keyed rows per delivered message into
-- coverage_reached inside every receipt post made each post dirty ~1,500 pages at 1M recipients (the
-- end-to-end run eight times slower); an append dirties a few.
CREATE TABLE coverage_journal (
    id              INTEGER PRIMARY KEY,
    recipient_hash  INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    province        TEXT    NOT NULL,
    carrier         TEXT    NOT NULL
);

-- One row per person and year, the months (bit 0 = January, Vietnam time) they were reached in: a third
-- of coverage_reached's rows, and a repeat reach in a month already set writes nothing. Whether a reach
-- is the first of its year, quarter or month is read from the mask. coverage_reached (0021) was never
-- written by a released build, so it goes.
CREATE TABLE coverage_people (
    year            INTEGER NOT NULL,
    recipient_hash  INTEGER NOT NULL,
    months          INTEGER NOT NULL,
    PRIMARY KEY (year, recipient_hash)
) WITHOUT ROWID;

DROP TABLE coverage_reached;
