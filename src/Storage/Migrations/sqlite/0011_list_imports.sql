-- A list upload in progress: written with its first chunk of members, touched by every chunk, and
-- deleted with its commit (or by the import that gives up, once its members are gone). A row a
-- crashed process left behind names members no reader will ever find (no `lists` row points at
-- them); the API's sweeper deletes them once the row has been still for Loa:Lists:AbandonedAfter.
CREATE TABLE list_imports (
    id              TEXT    NOT NULL PRIMARY KEY,
    last_written_at INTEGER NOT NULL
);
CREATE INDEX ix_list_imports_still ON list_imports (last_written_at);
