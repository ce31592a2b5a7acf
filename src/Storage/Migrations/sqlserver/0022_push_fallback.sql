-- Issue 17 (SQL Server): same tables and meaning as sqlite/0022_push_fallback.sql.
CREATE TABLE push_acks (
    delivery_id  BIGINT        NOT NULL,
    received_at  BIGINT        NOT NULL,
    opened_at    BIGINT        NULL,
    CONSTRAINT pk_push_acks PRIMARY KEY (delivery_id)
);
GO

CREATE TABLE campaign_push_counts (
    campaign_id  NVARCHAR(64)  NOT NULL,
    carrier      VARCHAR(32)   NOT NULL,
    counter      VARCHAR(16)   NOT NULL,
    count        BIGINT        NOT NULL,
    CONSTRAINT pk_campaign_push_counts PRIMARY KEY (campaign_id, carrier, counter)
);
GO

CREATE TABLE push_fallbacks (
    campaign_id  NVARCHAR(64)  NOT NULL,
    after_ms     BIGINT        NOT NULL,
    position     BIGINT        NOT NULL CONSTRAINT df_push_fallbacks_position DEFAULT 0,
    created_at   BIGINT        NOT NULL,
    done_at      BIGINT        NULL,
    CONSTRAINT pk_push_fallbacks PRIMARY KEY (campaign_id)
);
GO
CREATE INDEX ix_push_fallbacks_open ON push_fallbacks (campaign_id) WHERE done_at IS NULL;
GO
