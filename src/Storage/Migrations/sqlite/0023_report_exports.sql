-- Issue 19, scheduled exports: the yearly and quarterly reports generated on schedule or on demand,
-- kept in the database for download, and the provinces' own schedules.

-- 0021 made report_exports before anything wrote it; no release ever put a row in it, so it is
-- replaced whole rather than altered (SQLite cannot add a UNIQUE column or drop one in place).
DROP TABLE report_exports;

-- The files are kept here, not on disk: several API hosts share one SQL Server in production, and a
-- file written under one host's directory would be missing behind the load balancer's other host.
-- A report is tens of kilobytes (34 provinces x 5 carriers), a few a year per tenant.
CREATE TABLE report_exports (
    id              TEXT    NOT NULL PRIMARY KEY,   -- UUIDv7 hex: keyset paging runs oldest first
    tenant          TEXT    NOT NULL,               -- 'national' or a province code: whose figures, who may read it
    kind            TEXT    NOT NULL,               -- 'yearly' | 'quarterly'
    period          TEXT    NOT NULL,               -- '2026' | '2026-Q3'
    period_from     INTEGER NOT NULL,               -- unix ms, inclusive
    period_to       INTEGER NOT NULL,               -- unix ms, exclusive: the fire time for a year so far
    origin          TEXT    NOT NULL,               -- 'scheduled' | 'on-demand'
    -- One scheduled run per tenant, kind and period: 'scheduled:<tenant>:<kind>:<period>'. A firing
    -- recovered after a crash, or a misfire run after downtime, finds its key taken and writes nothing.
    -- On-demand exports take 'on-demand:<id>', so they never collide.
    run_key         TEXT    NOT NULL UNIQUE,
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    csv_bytes       INTEGER NOT NULL,
    xlsx_bytes      INTEGER NOT NULL,
    csv             BLOB    NOT NULL,
    xlsx            BLOB    NOT NULL
);
CREATE INDEX ix_report_exports_tenant ON report_exports (tenant, id);

-- A province's own dates for its reports: a Quartz cron read in Asia/Ho_Chi_Minh, per kind. The
-- national schedules are configuration (Loa:Reports:Yearly, Loa:Reports:Quarterly), not rows.
CREATE TABLE report_schedules (
    tenant          TEXT    NOT NULL,
    kind            TEXT    NOT NULL,               -- 'yearly' | 'quarterly'
    cron            TEXT    NOT NULL,
    updated_by      TEXT    NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant, kind)
) WITHOUT ROWID;
