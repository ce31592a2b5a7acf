-- Reach as it happens, appended in the receipt's transaction, and folded into coverage_reached and
-- coverage_counts off the hot path (ReachedTally.FoldAsync): see the SQLite script for why.
CREATE TABLE coverage_journal (
    id              BIGINT IDENTITY(1,1) NOT NULL,
    recipient_hash  BIGINT          NOT NULL,
    at              BIGINT          NOT NULL,
    province        NVARCHAR(16)    NOT NULL,
    carrier         VARCHAR(32)     NOT NULL,
    CONSTRAINT pk_coverage_journal PRIMARY KEY (id)
);
GO
