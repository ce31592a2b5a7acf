-- Reach as it happens, appended in the receipt's transaction, folded off the hot path, and one row per
-- person and year with a month mask: see the SQLite script for why.
CREATE TABLE coverage_journal (
    id              BIGINT IDENTITY(1,1) NOT NULL,
    recipient_hash  BIGINT          NOT NULL,
    at              BIGINT          NOT NULL,
    province        NVARCHAR(16)    NOT NULL,
    carrier         VARCHAR(32)     NOT NULL,
    CONSTRAINT pk_coverage_journal PRIMARY KEY (id)
);
GO

CREATE TABLE coverage_people (
    year            INT             NOT NULL,
    recipient_hash  BIGINT          NOT NULL,
    months          INT             NOT NULL,
    CONSTRAINT pk_coverage_people PRIMARY KEY (year, recipient_hash)
);
GO

DROP TABLE coverage_reached;
GO
