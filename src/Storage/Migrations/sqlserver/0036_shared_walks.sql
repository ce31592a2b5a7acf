-- The numbers a set of lists shares, walked once and kept (SQL Server). Same reason and meaning as
-- sqlite/0036_shared_walks.sql.
CREATE TABLE shared_walks (
    lists_key   CHAR(64)       NOT NULL PRIMARY KEY,
    lists       NVARCHAR(MAX)  NOT NULL,
    routes      CHAR(64)       NOT NULL,
    numbers     BIGINT         NOT NULL,
    computed_at BIGINT         NOT NULL,
    shapes      NVARCHAR(MAX)  NOT NULL
);
