-- Issue 17, fallback for pushes that failed (SQL Server): same table and meaning as sqlite/0029_pruned_devices.sql.
CREATE TABLE pruned_devices (
    id         BIGINT       NOT NULL,
    msisdn     VARCHAR(16)  NOT NULL,
    pruned_at  BIGINT       NOT NULL,
    CONSTRAINT pk_pruned_devices PRIMARY KEY (id)
);
GO
CREATE INDEX ix_pruned_devices_at ON pruned_devices (pruned_at);
GO
