-- CAP 1.2 alerts received at POST /api/v1/alerts/cap (SQL Server). Same table and meaning as
-- sqlite/0004_cap.sql. sender and identifier stay at 200 characters so that the key fits SQL
-- Server's 900-byte index key limit; they compare exactly (binary), as in SQLite.

CREATE TABLE cap_alerts (
    sender              NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    identifier          NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    sent                BIGINT        NOT NULL,
    msg_type            VARCHAR(16)   NOT NULL,
    status              VARCHAR(16)   NOT NULL,
    tenant              NVARCHAR(16)  NOT NULL,
    campaign_id         NVARCHAR(64)  NULL,
    updates_campaign_id NVARCHAR(64)  NULL,
    received_by         NVARCHAR(200) NOT NULL,
    received_at         BIGINT        NOT NULL,
    CONSTRAINT pk_cap_alerts PRIMARY KEY (sender, identifier, sent)
);
CREATE INDEX ix_cap_alerts_campaign ON cap_alerts (campaign_id);
