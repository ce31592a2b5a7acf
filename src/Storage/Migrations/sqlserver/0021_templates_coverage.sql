-- Issue 19 (SQL Server): same tables and meaning as sqlite/0021_templates_coverage.sql.
CREATE TABLE templates (
    id              VARCHAR(40)     NOT NULL PRIMARY KEY,
    tenant          NVARCHAR(16)    NOT NULL,
    title           NVARCHAR(200)   NOT NULL,
    kind            VARCHAR(32)     NOT NULL,
    sms             NVARCHAR(2000)  NULL,
    sms_unaccented  NVARCHAR(2000)  NULL,
    push_title      NVARCHAR(200)   NULL,
    push_body       NVARCHAR(2000)  NULL,
    tags            NVARCHAR(1000)  NOT NULL,
    created_by      NVARCHAR(200)   NOT NULL,
    created_at      BIGINT          NOT NULL,
    updated_by      NVARCHAR(200)   NULL,
    updated_at      BIGINT          NULL,
    deleted_at      BIGINT          NULL
);
GO
CREATE INDEX ix_templates_tenant ON templates (tenant, id);
GO

CREATE TABLE campaign_links (
    campaign_id     VARCHAR(40)     NOT NULL PRIMARY KEY,
    template_id     VARCHAR(40)     NULL,
    joins           VARCHAR(40)     NULL,
    tenant          NVARCHAR(16)    NOT NULL
);
GO
CREATE INDEX ix_campaign_links_joins ON campaign_links (joins, campaign_id) WHERE joins IS NOT NULL;
GO

CREATE TABLE coverage_reached (
    bucket          VARCHAR(10)     NOT NULL,
    recipient_hash  BIGINT          NOT NULL,
    CONSTRAINT pk_coverage_reached PRIMARY KEY (bucket, recipient_hash)
);
GO

CREATE TABLE coverage_counts (
    bucket          VARCHAR(10)     NOT NULL,
    first_month     INT             NOT NULL,
    province        NVARCHAR(16)    NOT NULL,
    carrier         VARCHAR(32)     NOT NULL,
    reached         BIGINT          NOT NULL,
    CONSTRAINT pk_coverage_counts PRIMARY KEY (bucket, first_month, province, carrier)
);
GO

CREATE TABLE coverage_base (
    province        NVARCHAR(16)    NOT NULL,
    carrier         VARCHAR(32)     NOT NULL,
    tag             NVARCHAR(64)    NOT NULL,
    as_of           CHAR(10)        NOT NULL,
    subscribers     BIGINT          NOT NULL,
    source          NVARCHAR(400)   NOT NULL,
    entered_by      NVARCHAR(200)   NOT NULL,
    entered_at      BIGINT          NOT NULL,
    CONSTRAINT pk_coverage_base PRIMARY KEY (province, carrier, tag, as_of)
);
GO

CREATE TABLE coverage_targets (
    tag             NVARCHAR(64)    NOT NULL PRIMARY KEY,
    name            NVARCHAR(200)   NOT NULL,
    target_percent  FLOAT           NOT NULL
);
INSERT INTO coverage_targets (tag, name, target_percent) VALUES (N'', N'Internet users', 80), (N'student', N'Students', 100);
GO

CREATE TABLE report_exports (
    id              VARCHAR(40)     NOT NULL PRIMARY KEY,
    tenant          NVARCHAR(16)    NOT NULL,
    kind            VARCHAR(16)     NOT NULL,
    period          VARCHAR(10)     NOT NULL,
    period_from     CHAR(10)        NOT NULL,
    period_to       CHAR(10)        NOT NULL,
    created_at      BIGINT          NOT NULL,
    csv             VARBINARY(MAX)  NOT NULL,
    xlsx            VARBINARY(MAX)  NOT NULL,
    CONSTRAINT ux_report_exports UNIQUE (tenant, kind, period)
);
