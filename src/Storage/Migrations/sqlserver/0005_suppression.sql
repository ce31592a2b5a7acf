-- Subscribers who asked not to get awareness messages. Emergency and warning still reach them.
CREATE TABLE optouts (
    msisdn      VARCHAR(16)   NOT NULL PRIMARY KEY,
    tenant      NVARCHAR(16)  NOT NULL,
    source      VARCHAR(8)    NOT NULL,
    created_by  NVARCHAR(200) NOT NULL,
    created_at  BIGINT        NOT NULL
);
GO
-- Awareness messages planned per number, for the rolling 24-hour frequency cap.
CREATE TABLE awareness_contacts (
    msisdn      VARCHAR(16)   NOT NULL,
    at          BIGINT        NOT NULL,
    campaign_id NVARCHAR(64)  NOT NULL,
    CONSTRAINT pk_awareness_contacts PRIMARY KEY (msisdn, campaign_id)
);
GO
CREATE INDEX ix_awareness_contacts_at ON awareness_contacts (at);
