-- The devices apps register for push (SQL Server). Same reason and meaning as
-- sqlite/0017_devices.sql. The primary key is the token hash, kept nonclustered: 10M random hashes
-- as the clustered key would split pages on every insert, so the rows are clustered on the
-- ever-growing id, which is also the order of the planner's keyset walk.
CREATE TABLE devices (
    id            BIGINT IDENTITY(1,1) NOT NULL,
    token_hash    CHAR(64)       NOT NULL,
    token         VARCHAR(8000)  NOT NULL,        -- a token of 4096 characters protects to about 5,600
    platform      VARCHAR(8)     NOT NULL,
    app           VARCHAR(64)    NOT NULL,
    province      NVARCHAR(16)   NOT NULL,
    language      VARCHAR(8)     NOT NULL,
    msisdn        VARCHAR(16)    NULL,
    tenant        NVARCHAR(16)   NOT NULL,
    registered_by NVARCHAR(200)  NOT NULL,
    created_at    BIGINT         NOT NULL,
    updated_at    BIGINT         NOT NULL,
    CONSTRAINT pk_devices PRIMARY KEY NONCLUSTERED (token_hash)
);
GO
CREATE UNIQUE CLUSTERED INDEX ux_devices_id ON devices (id);
CREATE INDEX ix_devices_audience ON devices (app, province, language, id);
