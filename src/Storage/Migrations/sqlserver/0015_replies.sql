-- Subscribers' replies over a carrier's connection (SQL Server). Same reason and meaning as
-- sqlite/0015_replies.sql.
CREATE TABLE replies (
    id          BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    carrier     VARCHAR(32)    NOT NULL,
    msisdn      VARCHAR(16)    NOT NULL,
    to_address  NVARCHAR(32)   NOT NULL,
    text        NVARCHAR(1600) NOT NULL,
    opted_out   BIT            NOT NULL,
    received_at BIGINT         NOT NULL
);
GO
CREATE INDEX ix_replies_received ON replies (received_at);
CREATE INDEX ix_replies_msisdn ON replies (msisdn);
