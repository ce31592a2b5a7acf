-- Issue 19, scheduled exports (SQL Server): same tables and meaning as sqlite/0023_report_exports.sql.
-- Batches are separated by GO lines; the migrator runs them all in one transaction.

-- Never written since 0021 made it: replaced whole.
DROP TABLE report_exports;
GO

CREATE TABLE report_exports (
    id              VARCHAR(40)     NOT NULL PRIMARY KEY,
    tenant          NVARCHAR(16)    NOT NULL,
    kind            VARCHAR(16)     NOT NULL,
    period          VARCHAR(10)     NOT NULL,
    period_from     BIGINT          NOT NULL,
    period_to       BIGINT          NOT NULL,
    origin          VARCHAR(16)     NOT NULL,
    run_key         NVARCHAR(100)   NOT NULL,
    created_by      NVARCHAR(200)   NOT NULL,
    created_at      BIGINT          NOT NULL,
    csv_bytes       BIGINT          NOT NULL,
    xlsx_bytes      BIGINT          NOT NULL,
    csv             VARBINARY(MAX)  NOT NULL,
    xlsx            VARBINARY(MAX)  NOT NULL,
    CONSTRAINT ux_report_exports_run_key UNIQUE (run_key)
);
GO
CREATE INDEX ix_report_exports_tenant ON report_exports (tenant, id);
GO

CREATE TABLE report_schedules (
    tenant          NVARCHAR(16)    NOT NULL,
    kind            VARCHAR(16)     NOT NULL,
    cron            VARCHAR(120)    NOT NULL,
    updated_by      NVARCHAR(200)   NOT NULL,
    updated_at      BIGINT          NOT NULL,
    CONSTRAINT pk_report_schedules PRIMARY KEY (tenant, kind)
);
