-- Issue 17, topics (SQL Server): same table and meaning as sqlite/0027_push_topic_acks.sql.
CREATE TABLE push_topic_acks (
    campaign_id  NVARCHAR(64)  NOT NULL,
    device_id    BIGINT        NOT NULL,
    received_at  BIGINT        NOT NULL,
    opened_at    BIGINT        NULL,
    CONSTRAINT pk_push_topic_acks PRIMARY KEY (campaign_id, device_id)
);
GO
