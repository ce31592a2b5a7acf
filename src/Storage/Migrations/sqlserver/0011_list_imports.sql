-- A list upload in progress (same as sqlite/0011_list_imports.sql).
CREATE TABLE list_imports (
    id              NVARCHAR(64) NOT NULL PRIMARY KEY,
    last_written_at BIGINT       NOT NULL
);
GO
CREATE INDEX ix_list_imports_still ON list_imports (last_written_at);
GO
