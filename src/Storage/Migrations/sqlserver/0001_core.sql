-- Core schema of Loa (SQL Server). Same tables and meaning as sqlite/0001_core.sql; times are unix
-- milliseconds (UTC) in BIGINT columns. Batches are separated by GO lines.

CREATE TABLE api_keys (
    id          NVARCHAR(64)  NOT NULL PRIMARY KEY,
    key_hash    CHAR(64)      NOT NULL UNIQUE,
    name        NVARCHAR(200) NOT NULL,
    tenant      NVARCHAR(16)  NOT NULL,
    roles       NVARCHAR(400) NOT NULL,
    created_at  BIGINT        NOT NULL,
    revoked_at  BIGINT        NULL
);
GO
CREATE TABLE lists (
    id          NVARCHAR(64)  NOT NULL PRIMARY KEY,
    tenant      NVARCHAR(16)  NOT NULL,
    name        NVARCHAR(200) NOT NULL,
    created_by  NVARCHAR(200) NOT NULL,
    created_at  BIGINT        NOT NULL,
    accepted    BIGINT           NOT NULL,
    rejected    BIGINT           NOT NULL,
    duplicates  BIGINT           NOT NULL
);
CREATE INDEX ix_lists_tenant ON lists (tenant, id);
GO
CREATE TABLE list_members (
    list_id     NVARCHAR(64)  NOT NULL,
    msisdn      VARCHAR(16)   NOT NULL,
    province    NVARCHAR(16)  NOT NULL DEFAULT '',
    tags        NVARCHAR(400) NULL,
    name        NVARCHAR(200) NULL,
    CONSTRAINT pk_list_members PRIMARY KEY (list_id, msisdn)
);
GO
CREATE TABLE list_counts (
    list_id     NVARCHAR(64)  NOT NULL,
    carrier     VARCHAR(32)   NOT NULL,
    province    NVARCHAR(16)  NOT NULL,
    recipients  BIGINT           NOT NULL,
    CONSTRAINT pk_list_counts PRIMARY KEY (list_id, carrier, province)
);
GO
CREATE TABLE carrier_prefixes (
    prefix      VARCHAR(8)    NOT NULL PRIMARY KEY,
    carrier     VARCHAR(32)   NOT NULL
);
GO
CREATE TABLE ported_numbers (
    msisdn      VARCHAR(16)   NOT NULL PRIMARY KEY,
    carrier     VARCHAR(32)   NOT NULL,
    updated_at  BIGINT        NOT NULL
);
GO
CREATE TABLE campaigns (
    id              NVARCHAR(64)   NOT NULL PRIMARY KEY,
    tenant          NVARCHAR(16)   NOT NULL,
    name            NVARCHAR(200)  NOT NULL,
    kind            VARCHAR(16)    NOT NULL,
    status          VARCHAR(24)    NOT NULL,
    definition      NVARCHAR(MAX)  NOT NULL,
    sms_text        NVARCHAR(2000) NULL,
    sms_encoding    VARCHAR(8)     NULL,
    sms_parts       BIGINT            NULL,
    start_at        BIGINT         NULL,
    expires_at      BIGINT         NULL,
    created_by      NVARCHAR(200)  NOT NULL,
    created_at      BIGINT         NOT NULL,
    updated_by      NVARCHAR(200)  NOT NULL,
    updated_at      BIGINT         NOT NULL,
    submitted_by    NVARCHAR(200)  NULL,
    approved_by     NVARCHAR(200)  NULL,
    approved_at     BIGINT         NULL,
    rejected_reason NVARCHAR(1000) NULL,
    launched_at     BIGINT         NULL,
    plan_lease_until BIGINT        NULL,
    plan_list       BIGINT            NOT NULL DEFAULT 0,
    plan_after      VARCHAR(16)    NOT NULL DEFAULT '',
    planned_at      BIGINT         NULL,
    started_at      BIGINT         NULL,
    completed_at    BIGINT         NULL
);
CREATE INDEX ix_campaigns_tenant ON campaigns (tenant, id);
CREATE INDEX ix_campaigns_due ON campaigns (status, start_at);
GO
-- Clustered by (campaign, id) as architecture.md says: one campaign's rows sit together.
CREATE TABLE deliveries (
    id                  BIGINT IDENTITY(1,1) NOT NULL,
    campaign_id         NVARCHAR(64)  NOT NULL,
    recipient           VARCHAR(16)   NOT NULL,
    channel             VARCHAR(8)    NOT NULL,
    carrier             VARCHAR(32)   NOT NULL,
    province            NVARCHAR(16)  NOT NULL,
    batch_id            BIGINT        NULL,
    status              VARCHAR(16)   NOT NULL,
    attempts            BIGINT           NOT NULL DEFAULT 0,
    carrier_message_id  VARCHAR(100)  NULL,
    error               NVARCHAR(400) NULL,
    submitted_at        BIGINT        NULL,
    final_at            BIGINT        NULL,
    CONSTRAINT pk_deliveries PRIMARY KEY NONCLUSTERED (id)
);
CREATE UNIQUE CLUSTERED INDEX cx_deliveries ON deliveries (campaign_id, id);
CREATE UNIQUE INDEX ux_deliveries ON deliveries (campaign_id, recipient, channel);
CREATE INDEX ix_deliveries_batch ON deliveries (batch_id);
CREATE INDEX ix_deliveries_carrier_message ON deliveries (carrier, carrier_message_id) WHERE carrier_message_id IS NOT NULL;
GO
CREATE TABLE batches (
    id              BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    campaign_id     NVARCHAR(64)  NOT NULL,
    carrier         VARCHAR(32)   NOT NULL,
    priority        BIGINT           NOT NULL,
    messages        BIGINT           NOT NULL,
    parts           BIGINT           NOT NULL,
    status          VARCHAR(16)   NOT NULL,
    attempts        BIGINT           NOT NULL DEFAULT 0,
    created_at      BIGINT        NOT NULL,
    published_at    BIGINT        NULL,
    next_attempt_at BIGINT        NULL,
    lease_until     BIGINT        NULL,
    done_at         BIGINT        NULL,
    last_error      NVARCHAR(400) NULL
);
CREATE INDEX ix_batches_campaign ON batches (campaign_id);
CREATE INDEX ix_batches_open ON batches (status, published_at) WHERE status <> 'done';
GO
CREATE TABLE campaign_progress (
    campaign_id NVARCHAR(64) NOT NULL,
    carrier     VARCHAR(32)  NOT NULL,
    status      VARCHAR(16)  NOT NULL,
    count       BIGINT       NOT NULL,
    CONSTRAINT pk_campaign_progress PRIMARY KEY (campaign_id, carrier, status)
);
GO
CREATE TABLE parked_receipts (
    carrier             VARCHAR(32)   NOT NULL,
    carrier_message_id  VARCHAR(100)  NOT NULL,
    status              VARCHAR(16)   NOT NULL,
    error               NVARCHAR(400) NULL,
    at                  BIGINT        NOT NULL,
    received_at         BIGINT        NOT NULL,
    CONSTRAINT pk_parked_receipts PRIMARY KEY (carrier, carrier_message_id)
);
