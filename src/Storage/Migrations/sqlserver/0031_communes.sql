-- Issue 19, geography as it is today (SQL Server): same table and meaning as sqlite/0031_communes.sql.
CREATE TABLE communes (
    code        VARCHAR(5)     NOT NULL,
    name        NVARCHAR(200)  NOT NULL,
    province    VARCHAR(2)     NOT NULL,
    updated_at  BIGINT         NOT NULL,
    CONSTRAINT pk_communes PRIMARY KEY (code)
);
GO
CREATE INDEX ix_communes_province ON communes (province, code);
GO
