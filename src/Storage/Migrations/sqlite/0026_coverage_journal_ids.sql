-- The coverage fold reads its chunk before taking the write lock (CoverageStore.FoldAsync) and then
-- forgets every journal row up to the chunk's last id. Without AUTOINCREMENT SQLite hands out ids again
-- once the journal has been emptied, and a folder that read before another emptied it could forget reaches
-- appended since under the same ids. AUTOINCREMENT never reuses one.
CREATE TABLE coverage_journal_next (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient_hash  INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    province        TEXT    NOT NULL,
    carrier         TEXT    NOT NULL
);

INSERT INTO coverage_journal_next (id, recipient_hash, at, province, carrier)
SELECT id, recipient_hash, at, province, carrier FROM coverage_journal;

DROP TABLE coverage_journal;

ALTER TABLE coverage_journal_next RENAME TO coverage_journal;
